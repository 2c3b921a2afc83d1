package io.clearing.margin;

import io.clearing.margin.option.Black76;
import io.clearing.margin.option.OptionGreeks;

/**
 * Greeks-based portfolio margin of one account, per risk unit (all instruments on one underlying), see
 * docs/margin-methodology.md.
 * <p>
 * Maintenance margin of a risk unit is the worst loss over a scenario grid - the underlying moved by 9 evenly spaced
 * steps across +-range, each with implied volatility up, unchanged and down (shocks scaled by time to expiry) - and
 * two extreme moves whose loss counts in part; floored by a minimum per net short option contract; plus a delta
 * shock on net delta and a roll shock on futures delta netted across expiries. Scenario P&amp;L comes, by default,
 * from per-instrument risk arrays (full revaluation once per instrument per market-data change, combined linearly
 * over positions); optionally from the unit's net Greeks (delta-gamma-vega expansion). Initial margin is
 * maintenance margin times a factor. Open orders count on the riskiest side (every buy filled, or every sell
 * filled). The same positions margined one by one give the isolated margin, for reporting capital efficiency.
 * <p>
 * Per-contract Greeks live in an instrument table refreshed on market data ({@link #updateFuture},
 * {@link #updateOption}); an evaluation ({@link #begin()}, {@link #add}, {@link #finish()}) is then linear in the
 * account's positions with a constant-size scenario step per risk unit, and allocates nothing. Money in results is
 * 1e-8 margin currency, rounded up. Bit-deterministic: IEEE arithmetic and StrictMath only. Not thread-safe.
 */
public final class MarginCalculator
{
    /** Largest number of underlyings (risk units). */
    public static final int MAX_UNDERLYINGS = RiskParameters.MAX_UNDERLYINGS;
    /** Largest number of instruments. */
    public static final int MAX_INSTRUMENTS = 4096;
    /** Price points of the grid. */
    public static final int PRICE_POINTS = 9;
    /** Volatility states per price point: unchanged, up, down. */
    public static final int VOL_STATES = 3;
    /** Regular scenarios: price points x volatility states. */
    public static final int GRID_SCENARIOS = PRICE_POINTS * VOL_STATES;
    /** All scenarios: the grid and two extreme moves. */
    public static final int SCENARIOS = GRID_SCENARIOS + 2;
    /** Row length of the flat scenario arrays: SCENARIOS padded to a multiple of 8 doubles. */
    private static final int STRIDE = 32;
    /** Scalars at the start of an instrument's market state ({@link #marketState}), before the risk array. */
    public static final int MARKET_STATE_SCALARS = 10;
    /** Values in an instrument's market state: the scalars and the risk array. */
    public static final int MARKET_STATE_LENGTH = MARKET_STATE_SCALARS + SCENARIOS;
    /** Futures expiries per underlying tracked for the roll shock; more are merged into the last. */
    public static final int MAX_EXPIRIES = 16;

    private static final int BASE = 0;
    private static final int ALL_BUYS = 1;
    private static final int ALL_SELLS = 2;
    private static final int VARIANTS = 3;
    private static final double UNITS = Fixed.SCALE;
    private static final double PPM = Fixed.PPM;
    private static final double YEAR_NANOS = 365.0 * 24 * 3600 * 1e9;
    /**
     * Largest maintenance margin reported: 2^59 units (5.8 billion of the margin currency); larger requirements
     * saturate here, low enough that the largest initial-margin factor (10) cannot overflow a long.
     */
    public static final long MAX_MONEY = 1L << 59;

    private final RiskParameters parameters;
    private final OptionGreeks greeks = new OptionGreeks();

    // Instrument table, per contract, currency units.
    private final boolean[] defined = new boolean[MAX_INSTRUMENTS];
    private final byte[] kind = new byte[MAX_INSTRUMENTS];
    private final int[] underlying = new int[MAX_INSTRUMENTS];
    private final long[] expiry = new long[MAX_INSTRUMENTS];
    private final double[] size = new double[MAX_INSTRUMENTS];
    private final double[] strike = new double[MAX_INSTRUMENTS];
    private final double[] forward = new double[MAX_INSTRUMENTS];
    private final double[] vol = new double[MAX_INSTRUMENTS];
    private final double[] years = new double[MAX_INSTRUMENTS];
    private final double[] deltaMoney = new double[MAX_INSTRUMENTS];
    private final double[] gammaMoney = new double[MAX_INSTRUMENTS];
    private final double[] vegaMoney = new double[MAX_INSTRUMENTS];
    private final double[] thetaMoney = new double[MAX_INSTRUMENTS];
    private final double[] volUpShock = new double[MAX_INSTRUMENTS];
    private final double[] volDownShock = new double[MAX_INSTRUMENTS];
    private final double[] value = new double[MAX_INSTRUMENTS];

    // Per risk unit and variant accumulators.
    private final double[][] netDelta = new double[VARIANTS][MAX_UNDERLYINGS];
    private final double[][] netGamma = new double[VARIANTS][MAX_UNDERLYINGS];
    private final double[][] netVegaUp = new double[VARIANTS][MAX_UNDERLYINGS];
    private final double[][] netVegaDown = new double[VARIANTS][MAX_UNDERLYINGS];
    private final double[][] shortOptionFloor = new double[VARIANTS][MAX_UNDERLYINGS];
    private final double[][][] futuresDeltaByExpiry = new double[VARIANTS][MAX_UNDERLYINGS][MAX_EXPIRIES];
    private final long[][] expiryKeys = new long[MAX_UNDERLYINGS][MAX_EXPIRIES];
    private final int[] expiryCount = new int[MAX_UNDERLYINGS];
    private final byte[] expirySlot = new byte[MAX_INSTRUMENTS];
    // Scenario P&L per (variant, unit), flat and padded to STRIDE so the per-position loop is one contiguous, vectorisable
    // multiply-add over two rows.
    private final double[] scenarioPnl = new double[VARIANTS * MAX_UNDERLYINGS * STRIDE];
    private final double[] netTheta = new double[MAX_UNDERLYINGS];
    private final double[] netVega = new double[MAX_UNDERLYINGS];
    private final double[] scratchPnl = new double[SCENARIOS];
    private final int[] touched = new int[MAX_UNDERLYINGS];
    private final boolean[] isTouched = new boolean[MAX_UNDERLYINGS];
    private int touchedCount;
    private boolean fullRevaluation = true;
    private final double[] riskArray = new double[MAX_INSTRUMENTS * STRIDE];
    private final double[] scratchArray = new double[SCENARIOS];
    private final long[] arrayVersion = new long[MAX_INSTRUMENTS];
    // An option updated since its Greeks and risk array were last computed (see updateOption).
    private final boolean[] stale = new boolean[MAX_INSTRUMENTS];
    private boolean withIsolated = true;
    private boolean withOrders = true;
    private final boolean[] unitHasOrders = new boolean[MAX_UNDERLYINGS];

    private double isolatedMaintenance;
    private long initialMargin;
    private long initialMarginWithOrders;
    private long maintenanceMargin;
    private long isolatedInitialMargin;

    /**
     * @param parameters live parameters, read on every update and evaluation.
     */
    public MarginCalculator(final RiskParameters parameters)
    {
        this.parameters = parameters;
    }

    /**
     * Chooses how scenario P&amp;L is computed. True (the default): from each instrument's risk array - its
     * per-contract P&amp;L in every scenario by full revaluation, computed once per instrument when its market data
     * changes - combined linearly over the positions (SPAN's design: exact under the model). False: from the risk
     * unit's net delta, gamma and vega (the Taylor expansion), which needs one Black-76 evaluation per option per
     * tick instead of 29 but misses the curvature of short-dated options (see docs/margin-methodology.md).
     */
    public MarginCalculator fullRevaluation(final boolean enabled)
    {
        fullRevaluation = enabled;
        return this;
    }

    /**
     * Whether evaluations also compute the isolated margin (on by default). The engine turns it off on the hot path
     * and on again for reports.
     */
    public MarginCalculator withIsolated(final boolean enabled)
    {
        withIsolated = enabled;
        return this;
    }

    /**
     * Whether evaluations also compute the margin with open orders (on by default). Off, open-order quantities are
     * ignored and {@link #initialMarginWithOrders()} equals {@link #initialMargin()}: margin states depend on positions
     * only, so the engine asks for the order variants only where a decision needs them (new orders, withdrawals,
     * reports) and saves two of the three scenario accumulations per position elsewhere.
     */
    public MarginCalculator withOrders(final boolean enabled)
    {
        withOrders = enabled;
        return this;
    }

    /** @return whether full revaluation is on. */
    public boolean fullRevaluation()
    {
        return fullRevaluation;
    }

    // ------------------------------------------------------------------------------------------------ instruments

    /**
     * Registers a future or perpetual.
     *
     * @param id               0..4095.
     * @param underlyingId     0..63.
     * @param contractSize     1e-8 underlying units per contract.
     * @param expiryTimestamp  ns since epoch, 0 for a perpetual.
     */
    public void defineFuture(final int id, final int underlyingId, final long contractSize, final long expiryTimestamp)
    {
        define(id, 0, underlyingId, contractSize, 0, expiryTimestamp);
        expirySlot[id] = (byte)expirySlot(underlyingId, expiryTimestamp);
    }

    /**
     * Registers a European option.
     *
     * @param isCall           call or put.
     * @param strikePrice      1e-8 margin currency per underlying unit.
     * @param expiryTimestamp  ns since epoch.
     */
    public void defineOption(
        final int id,
        final int underlyingId,
        final boolean isCall,
        final long contractSize,
        final long strikePrice,
        final long expiryTimestamp)
    {
        define(id, isCall ? 1 : 2, underlyingId, contractSize, strikePrice, expiryTimestamp);
    }

    private void define(final int id, final int k, final int u, final long contractSize, final long strikePrice,
        final long expiryTimestamp)
    {
        defined[id] = true;
        kind[id] = (byte)k;
        underlying[id] = u;
        size[id] = contractSize / UNITS;
        strike[id] = strikePrice / UNITS;
        expiry[id] = expiryTimestamp;
    }

    /** @return whether the instrument is an option. */
    public boolean isOption(final int id)
    {
        return kind[id] != 0;
    }

    /**
     * Refreshes a future's per-contract delta from its mark: P&amp;L in a scenario moving the underlying by r is
     * {@code contracts x size x mark x r}.
     *
     * @param markPrice 1e-8 margin currency per underlying unit.
     */
    public void updateFuture(final int id, final long markPrice)
    {
        final double mark = markPrice / UNITS;
        forward[id] = mark;
        value[id] = size[id] * mark;
        deltaMoney[id] = size[id] * mark;
        rebuild(id);
    }

    /**
     * Records an option's market data; its per-contract Greeks (Black-76, rate 0: linear options margined on the
     * forward) and risk array are computed from it at the first use that needs them, with the same result as at once.
     *
     * @param forwardPrice underlying price the option is valued on, 1e-8, positive.
     * @param impliedVol   mark implied volatility, annualised fraction.
     * @param now          engine time, ns since epoch.
     */
    public void updateOption(final int id, final long forwardPrice, final double impliedVol, final long now)
    {
        final double f = forwardPrice / UNITS;
        forward[id] = f;
        years[id] = Math.max(0.0, (expiry[id] - now) / YEAR_NANOS);
        vol[id] = Math.max(0.0, impliedVol);
        if (f <= 0.0)
        {
            stale[id] = false;
            deltaMoney[id] = 0;
            gammaMoney[id] = 0;
            vegaMoney[id] = 0;
            thetaMoney[id] = 0;
            value[id] = 0;
            java.util.Arrays.fill(riskArray, id * STRIDE, id * STRIDE + SCENARIOS, 0.0);
            return;
        }
        // The Greeks and the 29 repricings wait for the first evaluation that needs them: a tick no holder's band
        // notices costs nothing per option. They depend only on the inputs stored above, so computing them later
        // gives the same bits as computing them now.
        stale[id] = true;
    }

    /** Computes an option's Greeks and risk array from the inputs of its last {@link #updateOption}. */
    private void refreshOption(final int id)
    {
        stale[id] = false;
        final double f = forward[id];
        final double sigma = vol[id];
        Black76.greeks(kind[id] == 1, f, strike[id], years[id], 0.0, sigma, greeks);
        final double s = size[id];
        value[id] = s * greeks.price();
        deltaMoney[id] = s * greeks.delta() * f;
        gammaMoney[id] = s * greeks.gamma() * f * f;
        vegaMoney[id] = s * greeks.vega() * sigma;
        thetaMoney[id] = s * greeks.theta();
        rebuild(id);
    }

    /**
     * Rebuilds what depends on the parameters: an option's volatility shocks and every instrument's risk array. Kept
     * in both modes, so the mode can change between evaluations; redone lazily when the parameters change.
     */
    private void rebuild(final int id)
    {
        final int u = underlying[id];
        if (kind[id] != 0)
        {
            // Volatility shocks grow as expiry nears: (30 / days)^p with p = 0.3 under 30 days, 0.13 beyond (Deribit).
            final double days = Math.max(years[id] * 365.0, 1.0 / 24.0);
            // exp(p ln x) rather than StrictMath.pow: the JDK 17 pow allocates on every call; exp and log do not.
            final double scale = StrictMath.exp((days < 30.0 ? 0.3 : 0.13) * StrictMath.log(30.0 / days));
            volUpShock[id] = parameters.volUpPpm(u) / PPM * scale;
            volDownShock[id] = Math.min(1.0, parameters.volDownPpm(u) / PPM * scale);
        }
        positionPnl(id, u, 1.0, scratchArray);
        System.arraycopy(scratchArray, 0, riskArray, id * STRIDE, SCENARIOS);
        arrayVersion[id] = parameters.version();
    }

    /** Brings an instrument's Greeks and risk array up to its last update and the current parameters. */
    private void refreshIfNeeded(final int id)
    {
        if (stale[id])
        {
            refreshOption(id);
        }
        else if (arrayVersion[id] != parameters.version())
        {
            rebuild(id);
        }
    }

    // ------------------------------------------------------------------------------------------------ evaluation

    /** Starts the evaluation of one account. */
    public void begin()
    {
        for (int i = 0; i < touchedCount; i++)
        {
            final int u = touched[i];
            isTouched[u] = false;
            // Order variants are touched only when the unit had orders; clear only what was used.
            final int variants = unitHasOrders[u] ? VARIANTS : 1;
            final int expiries = Math.min(MAX_EXPIRIES, expiryCount[u]);
            for (int v = 0; v < variants; v++)
            {
                netDelta[v][u] = 0;
                netGamma[v][u] = 0;
                netVegaUp[v][u] = 0;
                netVegaDown[v][u] = 0;
                shortOptionFloor[v][u] = 0;
                java.util.Arrays.fill(futuresDeltaByExpiry[v][u], 0, expiries, 0.0);
                final int row = (v * MAX_UNDERLYINGS + u) * STRIDE;
                java.util.Arrays.fill(scenarioPnl, row, row + SCENARIOS, 0.0);
            }
            unitHasOrders[u] = false;
            netTheta[u] = 0;
            netVega[u] = 0;
        }
        touchedCount = 0;
        isolatedMaintenance = 0;
        initialMargin = 0;
        initialMarginWithOrders = 0;
        maintenanceMargin = 0;
        isolatedInitialMargin = 0;
    }

    /**
     * Adds one position of the account with its open orders.
     *
     * @param id          instrument, defined and updated.
     * @param quantity    signed contracts, long positive.
     * @param openBuyQty  contracts on open buy orders, non-negative.
     * @param openSellQty contracts on open sell orders, non-negative.
     */
    public void add(final int id, final long quantity, final long openBuyQty, final long openSellQty)
    {
        refreshIfNeeded(id);
        final int u = underlying[id];
        if (!isTouched[u])
        {
            isTouched[u] = true;
            touched[touchedCount++] = u;
        }
        final double q = quantity;
        accumulate(BASE, id, u, q, 1.0);
        if (withOrders)
        {
            addOrders(id, u, q, openBuyQty, openSellQty);
        }
        netTheta[u] += q * thetaMoney[id];
        netVega[u] += q * (vol[id] > 0 ? vegaMoney[id] / vol[id] : 0.0);
        if (withIsolated && quantity != 0)
        {
            isolatedMaintenance += standaloneMaintenance(id, u, q);
        }
    }

    /**
     * The order variants hold only what differs from the base. Scenario P&amp;L and Greeks are linear in quantity, so
     * the difference is the order quantity's own contribution; only the short-option floor is not linear.
     */
    private void addOrders(final int id, final int u, final double q, final long openBuyQty, final long openSellQty)
    {
        if (openBuyQty != 0)
        {
            unitHasOrders[u] = true;
            accumulate(ALL_BUYS, id, u, openBuyQty, 1.0);
            floorDifference(ALL_BUYS, id, u, q, q + openBuyQty, openBuyQty);
        }
        if (openSellQty != 0)
        {
            unitHasOrders[u] = true;
            accumulate(ALL_SELLS, id, u, -openSellQty, 1.0);
            floorDifference(ALL_SELLS, id, u, q, q - openSellQty, -openSellQty);
        }
    }

    private void accumulate(final int variant, final int id, final int u, final double q, final double sign)
    {
        if (q == 0.0)
        {
            return;
        }
        final double signed = sign * q;
        netDelta[variant][u] += signed * deltaMoney[id];
        if (kind[id] == 0)
        {
            futuresDeltaByExpiry[variant][u][expirySlot[id]] += signed * deltaMoney[id];
        }
        else
        {
            netGamma[variant][u] += signed * gammaMoney[id];
            netVegaUp[variant][u] += signed * vegaMoney[id] * volUpShock[id];
            netVegaDown[variant][u] += signed * vegaMoney[id] * volDownShock[id];
            if (q < 0)
            {
                shortOptionFloor[variant][u] += sign * -q * size[id] * forward[id] *
                    (parameters.shortOptionMinimumPpm() / PPM);
            }
        }
        if (fullRevaluation)
        {
            final double[] array = riskArray;
            final double[] pnl = scenarioPnl;
            final int from = id * STRIDE;
            final int to = (variant * MAX_UNDERLYINGS + u) * STRIDE;
            for (int s = 0; s < SCENARIOS; s++)
            {
                pnl[to + s] += signed * array[from + s];
            }
        }
    }

    /** Assigns each futures expiry of an underlying its slot once, at definition. */
    /**
     * Corrects a variant's short-option floor: accumulate() of the order quantity alone charged the floor as if the
     * order were a position on its own; the floor of (position + order) less the floor of the position is due.
     */
    private void floorDifference(final int variant, final int id, final int u, final double q, final double qAfter,
        final double order)
    {
        if (kind[id] == 0)
        {
            return;
        }
        final double perContract = size[id] * forward[id] * (parameters.shortOptionMinimumPpm() / PPM);
        final double charged = order < 0 ? -order * perContract : 0.0;
        final double due = Math.max(0.0, -qAfter) * perContract - Math.max(0.0, -q) * perContract;
        shortOptionFloor[variant][u] += due - charged;
    }

    private int expirySlot(final int u, final long expiryTimestamp)
    {
        final long[] keys = expiryKeys[u];
        final int count = expiryCount[u];
        for (int i = 0; i < count; i++)
        {
            if (keys[i] == expiryTimestamp)
            {
                return i;
            }
        }
        if (count == MAX_EXPIRIES)
        {
            return MAX_EXPIRIES - 1;
        }
        keys[count] = expiryTimestamp;
        expiryCount[u] = count + 1;
        return count;
    }

    /** Scenario P&amp;L of {@code q} contracts by full revaluation (Black-76 repricing in every scenario). */
    private void positionPnl(final int id, final int u, final double q, final double[] out)
    {
        final double range = parameters.priceRangePpm(u) / PPM;
        final double extreme = parameters.extremeMovePpm() / PPM;
        for (int s = 0; s < SCENARIOS; s++)
        {
            final double r = move(s, range, extreme);
            final int volState = s < GRID_SCENARIOS ? s % VOL_STATES : 0;
            if (kind[id] == 0)
            {
                out[s] = q * deltaMoney[id] * r;
            }
            else
            {
                final double sigma = volState == 1 ? vol[id] * (1.0 + volUpShock[id]) :
                    volState == 2 ? vol[id] * (1.0 - volDownShock[id]) : vol[id];
                final double shocked = forward[id] <= 0.0 ? 0.0 : size[id] *
                    Black76.price(kind[id] == 1, forward[id] * (1.0 + r), strike[id], years[id], 0.0, sigma);
                out[s] = q * (shocked - value[id]);
            }
        }
    }

    private static double move(final int scenario, final double range, final double extreme)
    {
        if (scenario < GRID_SCENARIOS)
        {
            return range * ((scenario / VOL_STATES) - 4) / 4.0;
        }
        return scenario == GRID_SCENARIOS ? -extreme : extreme;
    }

    private double standaloneMaintenance(final int id, final int u, final double q)
    {
        final double d = q * deltaMoney[id];
        double loss;
        double floor = 0.0;
        if (fullRevaluation)
        {
            final int from = id * STRIDE;
            for (int s = 0; s < SCENARIOS; s++)
            {
                scratchPnl[s] = q * riskArray[from + s];
            }
            loss = worstLoss(scratchPnl);
        }
        else if (kind[id] == 0)
        {
            loss = expansionLoss(u, d, 0, 0, 0);
        }
        else
        {
            loss = expansionLoss(u, d, q * gammaMoney[id], q * vegaMoney[id] * volUpShock[id],
                q * vegaMoney[id] * volDownShock[id]);
        }
        if (kind[id] != 0 && q < 0)
        {
            floor = -q * size[id] * forward[id] * (parameters.shortOptionMinimumPpm() / PPM);
        }
        return Math.max(loss, floor) + Math.abs(d) * (parameters.deltaShockPpm() / PPM);
    }

    private double expansionLoss(final int u, final double d, final double g, final double vegaUp,
        final double vegaDown)
    {
        final double range = parameters.priceRangePpm(u) / PPM;
        final double extreme = parameters.extremeMovePpm() / PPM;
        double worst = 0.0;
        for (int p = 0; p < PRICE_POINTS; p++)
        {
            final double r = range * (p - 4) / 4.0;
            final double pricePnl = d * r + 0.5 * g * r * r;
            worst = Math.max(worst, -pricePnl);
            worst = Math.max(worst, -(pricePnl + vegaUp));
            worst = Math.max(worst, -(pricePnl - vegaDown));
        }
        final double weight = parameters.extremeWeightPpm() / PPM;
        final double down = d * -extreme + 0.5 * g * extreme * extreme;
        final double up = d * extreme + 0.5 * g * extreme * extreme;
        worst = Math.max(worst, -down * weight);
        worst = Math.max(worst, -up * weight);
        return worst;
    }

    private double worstLoss(final double[] pnl)
    {
        double worst = 0.0;
        for (int s = 0; s < GRID_SCENARIOS; s++)
        {
            worst = Math.max(worst, -pnl[s]);
        }
        final double weight = parameters.extremeWeightPpm() / PPM;
        worst = Math.max(worst, -pnl[GRID_SCENARIOS] * weight);
        worst = Math.max(worst, -pnl[GRID_SCENARIOS + 1] * weight);
        return worst;
    }

    /** Maintenance margin of a risk unit: the base positions, plus a variant's difference when not BASE. */
    private double unitMaintenance(final int variant, final int u)
    {
        final boolean base = variant == BASE;
        final double d = netDelta[BASE][u] + (base ? 0.0 : netDelta[variant][u]);
        final double loss;
        if (fullRevaluation)
        {
            final double[] pnl = scratchPnl;
            final int baseRow = u * STRIDE;
            final int variantRow = (variant * MAX_UNDERLYINGS + u) * STRIDE;
            for (int s = 0; s < SCENARIOS; s++)
            {
                pnl[s] = scenarioPnl[baseRow + s] + (base ? 0.0 : scenarioPnl[variantRow + s]);
            }
            loss = worstLoss(pnl);
        }
        else
        {
            loss = expansionLoss(u, d,
                netGamma[BASE][u] + (base ? 0.0 : netGamma[variant][u]),
                netVegaUp[BASE][u] + (base ? 0.0 : netVegaUp[variant][u]),
                netVegaDown[BASE][u] + (base ? 0.0 : netVegaDown[variant][u]));
        }
        double grossFutures = 0.0;
        double netFutures = 0.0;
        final double[] byExpiry = futuresDeltaByExpiry[BASE][u];
        final double[] difference = futuresDeltaByExpiry[variant][u];
        for (int e = 0; e < expiryCount[u]; e++)
        {
            final double exposure = byExpiry[e] + (base ? 0.0 : difference[e]);
            grossFutures += Math.abs(exposure);
            netFutures += exposure;
        }
        final double roll = (grossFutures - Math.abs(netFutures)) * (parameters.rollShockPpm() / PPM);
        final double deltaShock = Math.abs(d) * (parameters.deltaShockPpm() / PPM);
        final double floor = shortOptionFloor[BASE][u] + (base ? 0.0 : shortOptionFloor[variant][u]);
        return Math.max(loss, floor) + deltaShock + roll;
    }

    /** Completes the evaluation; results are valid until the next {@link #begin()}. */
    public void finish()
    {
        double mm = 0.0;
        double mmWithOrders = 0.0;
        for (int i = 0; i < touchedCount; i++)
        {
            final int u = touched[i];
            final double base = unitMaintenance(BASE, u);
            mm += base;
            mmWithOrders += unitHasOrders[u] ?
                Math.max(base, Math.max(unitMaintenance(ALL_BUYS, u), unitMaintenance(ALL_SELLS, u))) : base;
        }
        // IM is exactly factor x the rounded MM, in fixed point.
        final long factorPpm = parameters.initialMarginFactorPpm();
        maintenanceMargin = toMoney(mm);
        initialMargin = Fixed.mulPpmUp(maintenanceMargin, factorPpm);
        initialMarginWithOrders = Math.max(initialMargin, Fixed.mulPpmUp(toMoney(mmWithOrders), factorPpm));
        isolatedInitialMargin = Fixed.mulPpmUp(toMoney(isolatedMaintenance), factorPpm);
    }

    /**
     * Rounds a margin up to 1e-8 units, saturating at {@link #MAX_MONEY}: a requirement that large cannot be met by
     * any account, so saturating keeps every decision (reject the order, liquidate) and never throws mid-command.
     */
    private static long toMoney(final double currency)
    {
        final double units = Math.ceil(currency * UNITS);
        if (!(units >= 0.0))
        {
            return units < 0.0 ? 0 : MAX_MONEY;
        }
        return units >= MAX_MONEY ? MAX_MONEY : (long)units;
    }

    /** @return initial margin of the positions, 1e-8 margin currency. */
    public long initialMargin()
    {
        return initialMargin;
    }

    /** @return initial margin with every open order filled on the riskiest side, per risk unit. */
    public long initialMarginWithOrders()
    {
        return initialMarginWithOrders;
    }

    /** @return the extra initial margin the open orders need. */
    public long openOrderMargin()
    {
        return initialMarginWithOrders - initialMargin;
    }

    /** @return maintenance margin of the positions. */
    public long maintenanceMargin()
    {
        return maintenanceMargin;
    }

    /** @return initial margin of the same positions margined one by one. */
    public long isolatedInitialMargin()
    {
        return isolatedInitialMargin;
    }

    /** @return net delta of a risk unit: P&amp;L per unit relative move of the underlying, currency. */
    public double netDelta(final int underlyingId)
    {
        return netDelta[BASE][underlyingId];
    }

    /** @return net gamma: d2(P&amp;L)/dr2, currency. */
    public double netGamma(final int underlyingId)
    {
        return netGamma[BASE][underlyingId];
    }

    /** @return net vega: P&amp;L per 1.00 of volatility, currency. */
    public double netVega(final int underlyingId)
    {
        return netVega[underlyingId];
    }

    /** @return net theta: -dV/dT per year, currency. */
    public double netTheta(final int underlyingId)
    {
        return netTheta[underlyingId];
    }

    /**
     * An upper bound of how fast equity less initial margin moves with the instrument's own mark, per contract, in
     * money units (1e-8) per price unit (1e-8): futures carry their mark in P&amp;L and in every scenario; an
     * option's mark moves only its P&amp;L (its margin follows the underlying and the volatility).
     */
    public double markSensitivity(final int id)
    {
        if (kind[id] != 0)
        {
            return size[id];
        }
        final int u = underlying[id];
        final double scenarioShare = Math.max(parameters.priceRangePpm(u),
            parameters.extremeMovePpm() * parameters.extremeWeightPpm() / PPM) + parameters.deltaShockPpm() +
            2 * parameters.rollShockPpm();
        return size[id] * (1.0 + parameters.initialMarginFactorPpm() / PPM * scenarioShare / PPM);
    }

    /**
     * For a future: an upper bound of how fast initial margin moves with its mark, as a share of how fast its P&amp;L
     * moves. Below 1, equity less initial margin moves in the direction of the position's P&amp;L, so a price move
     * in the position's favour can never bring the account below initial margin.
     */
    public double futuresMarginCoefficient(final int id)
    {
        return markSensitivity(id) / size[id] - 1.0;
    }

    /**
     * An upper bound of how fast an option's initial margin moves with the underlying index, per contract, money
     * units per price unit: |delta| &lt;= 1 in every scenario, doubled for the shocked and unshocked legs and the
     * gamma term. Zero for futures.
     */
    public double indexSensitivity(final int id)
    {
        return kind[id] == 0 ? 0.0 : size[id] * (parameters.initialMarginFactorPpm() / PPM) * 3.0;
    }

    /**
     * An upper bound of how fast an option's initial margin moves with its implied volatility, per contract, money
     * units per 1e-6 of volatility: vega in the shocked and unshocked scenarios.
     */
    public double volatilitySensitivity(final int id)
    {
        if (kind[id] == 0 || vol[id] <= 0)
        {
            return 0.0;
        }
        refreshIfNeeded(id);
        final double vegaPerVol = Math.abs(vegaMoney[id] / vol[id]) * UNITS / PPM;
        return vegaPerVol * (parameters.initialMarginFactorPpm() / PPM) * (2.0 + volUpShock[id]) * 2.0;
    }

    /** @return per-contract value of an option at the last update (currency), or size x mark for a future. */
    public double contractValue(final int id)
    {
        refreshIfNeeded(id);
        return value[id];
    }

    // ------------------------------------------------------------------------------------------------ snapshots

    /**
     * Copies what the instrument's last market-data update (or parameter rebuild) left, the state later evaluations
     * read besides the definition, in this order: forward, volatility, years to expiry, per-contract delta, gamma,
     * vega and theta money, volatility up and down shocks, contract value, then the {@link #SCENARIOS} entries of the
     * risk array. With {@link #riskArrayVersion(int)} and the definition it is the instrument's whole row, so a
     * snapshot restores it exactly rather than recomputing it at another time.
     *
     * @param id  a defined instrument.
     * @param out receives {@link #MARKET_STATE_LENGTH} values from index 0.
     */
    public void marketState(final int id, final double[] out)
    {
        refreshIfNeeded(id);
        out[0] = forward[id];
        out[1] = vol[id];
        out[2] = years[id];
        out[3] = deltaMoney[id];
        out[4] = gammaMoney[id];
        out[5] = vegaMoney[id];
        out[6] = thetaMoney[id];
        out[7] = volUpShock[id];
        out[8] = volDownShock[id];
        out[9] = value[id];
        System.arraycopy(riskArray, id * STRIDE, out, MARKET_STATE_SCALARS, SCENARIOS);
    }

    /** @return the {@link RiskParameters#version()} the instrument's risk array was built under. */
    public long riskArrayVersion(final int id)
    {
        refreshIfNeeded(id);
        return arrayVersion[id];
    }

    /**
     * Restores what {@link #marketState} and {@link #riskArrayVersion} read, on an instrument defined with the same
     * definition.
     *
     * @param id               a defined instrument.
     * @param state            {@link #MARKET_STATE_LENGTH} values in the order of {@link #marketState}.
     * @param riskArrayVersion the parameter version the risk array was built under.
     */
    public void restoreMarketState(final int id, final double[] state, final long riskArrayVersion)
    {
        forward[id] = state[0];
        vol[id] = state[1];
        years[id] = state[2];
        deltaMoney[id] = state[3];
        gammaMoney[id] = state[4];
        vegaMoney[id] = state[5];
        thetaMoney[id] = state[6];
        volUpShock[id] = state[7];
        volDownShock[id] = state[8];
        value[id] = state[9];
        System.arraycopy(state, MARKET_STATE_SCALARS, riskArray, id * STRIDE, SCENARIOS);
        arrayVersion[id] = riskArrayVersion;
        stale[id] = false;
    }
}
