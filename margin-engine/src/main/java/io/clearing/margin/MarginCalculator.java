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
 * {@link #updateOption}), with every per-contract contribution to margin (risk array, delta, gamma, vega, floor) in
 * whole millionths of the margin currency ({@link #MICROS}). An evaluation ({@link #begin()}, {@link #add},
 * {@link #finish()}) adds positions; or, with <em>risk rows</em> ({@link #newRow}), it adds one kept aggregate per risk unit
 * ({@link #addRow}): a row follows fills and order changes exactly ({@link #updateRow}, constant work per change)
 * and is rebuilt from the positions only after market data of its unit changed, so an evaluation whose rows are
 * current costs the same for 1 or 1,000 positions. Whole quanta make every sum over positions exact (below 2^53), so
 * a row kept through any sequence of changes and a rebuild give the same bits. Results are rounded up to money units
 * (1e-8).
 * Nothing allocates after the row table reached its size. Bit-deterministic: IEEE arithmetic and StrictMath only.
 * Not thread-safe.
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
    // Layout of one variant's block in the accumulators and in a risk row: the scenario P&L row (STRIDE values), net
    // delta, gamma, volatility-up and -down vega, the short-option floor, the gross contracts, then the futures delta
    // by expiry slot.
    private static final int DELTA = STRIDE;
    private static final int GAMMA = STRIDE + 1;
    private static final int VEGA_UP = STRIDE + 2;
    private static final int VEGA_DOWN = STRIDE + 3;
    private static final int FLOOR = STRIDE + 4;
    private static final int GROSS = STRIDE + 5;
    private static final int EXPIRY = STRIDE + 8;
    private static final int BLOCK = EXPIRY + 16;
    private static final int UNIT_BLOCK = VARIANTS * BLOCK;
    /**
     * Largest sum of (|contracts| + open buys + open sells) x {@link #magnitude} over a row's positions for which the
     * row is kept incrementally: every partial sum of its whole-quantum values then stays below 2^52 (the magnitude counts
     * the floor three times, for the order variants' floor corrections), where double arithmetic on integers is exact,
     * with a factor 2 to spare for the estimate's own rounding. A larger book is rebuilt from its positions at every
     * evaluation instead, in position order.
     */
    private static final double MASS_LIMIT = 0x1p52;
    private static final double UNITS = Fixed.SCALE;
    /**
     * Quantum of every per-contract contribution and of every sum over positions: a millionth of the margin currency
     * (100 money units). Fine enough that rounding a contract's contribution moves nothing a margin decision sees,
     * coarse enough that sums stay exact up to 2^52 of it (4.5 billion of the margin currency).
     */
    public static final double MICROS = 1e6;
    /** Money units (1e-8) per quantum. */
    private static final double UNITS_PER_MICRO = UNITS / MICROS;
    /**
     * Quanta added to maintenance margin per contract (position, or open order in the order variants): a bound of
     * what rounding the per-contract contributions to the nearest quantum can take off a margin - half a quantum per
     * contribution through the worst scenario (the expansion's delta, gamma and vega terms: at most 1.15 with
     * moves up to 90%), the delta shock (0.25) and the roll shock (0.5) at their largest parameters - so a
     * margin is never below that of the unrounded model. 2e-6 of the margin currency per contract.
     */
    private static final double ROUNDING_ALLOWANCE = 2.0;
    private static final double PPM = Fixed.PPM;
    private static final double YEAR_NANOS = 365.0 * 24 * 3600 * 1e9;
    /**
     * An option is margined as if it had at least an hour to run (the floor its volatility shocks use too), from its
     * last hour until its settlement price arrives: its gamma stays bounded, so price bands can bound how fast its
     * margin moves, and its margin does not step across the strike at the expiry timestamp while the settlement price
     * is awaited.
     */
    public static final double MIN_YEARS = 1.0 / (365.0 * 24.0);
    /** {@link #MIN_YEARS} in ns: from {@code expiry - MIN_TIME_NANOS} on an option's margin no longer moves in time. */
    public static final long MIN_TIME_NANOS = 3_600_000_000_000L;
    /** sqrt(2 pi MIN_YEARS): forward x gamma of Black-76 is at most 1 / (vol x this) at any time to expiry. */
    private static final double GAMMA_BOUND_ROOT = Math.sqrt(2.0 * Math.PI * MIN_YEARS);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    /** Half of max over x of x phi(x) (= phi(1) = 0.24197...), rounded up. */
    private static final double CHARM_BOUND = 0.125;
    /**
     * Largest maintenance margin reported: 2^59 units (5.8 billion of the margin currency); larger requirements
     * saturate here, low enough that the largest initial-margin factor (10) cannot overflow a long.
     */
    public static final long MAX_MONEY = 1L << 59;

    private final RiskParameters parameters;
    private final OptionGreeks greeks = new OptionGreeks();
    /** Per option: how many times {@link #updateOption} has run, the key of the cached time bound. */
    private final long[] optionUpdates = new long[MAX_INSTRUMENTS];
    private final double[] timeBound = new double[MAX_INSTRUMENTS];
    private final long[] timeBoundUntil = new long[MAX_INSTRUMENTS];
    private final long[] timeBoundUpdate = new long[MAX_INSTRUMENTS];
    private final long[] timeBoundVersion = new long[MAX_INSTRUMENTS];
    private final double[] volBound = new double[MAX_INSTRUMENTS];
    private final long[] volBoundUpdate = new long[MAX_INSTRUMENTS];
    private final long[] volBoundVersion = new long[MAX_INSTRUMENTS];

    // Instrument table, per contract, currency units.
    private final boolean[] defined = new boolean[MAX_INSTRUMENTS];
    private final byte[] kind = new byte[MAX_INSTRUMENTS];
    private final int[] underlying = new int[MAX_INSTRUMENTS];
    private final long[] expiry = new long[MAX_INSTRUMENTS];
    private final double[] size = new double[MAX_INSTRUMENTS];
    /** {@link #markSensitivity} of a future as of the parameter version beside it (derived, never snapshotted). */
    private final double[] futureMarkSensitivity = new double[MAX_INSTRUMENTS];
    private final long[] futureMarkSensitivityVersion = new long[MAX_INSTRUMENTS];
    private final boolean[] futureMarkSensitivityCached = new boolean[MAX_INSTRUMENTS];
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

    // Per-contract contributions in millionths of the margin currency, rounded to whole ones so that any sum of
    // them over positions is exact in double arithmetic while it stays below 2^53 (see MASS_LIMIT): the order in which
    // positions are added, removed or re-added then cannot change a bit of the result.
    private final double[] deltaUnits = new double[MAX_INSTRUMENTS];
    private final double[] gammaUnits = new double[MAX_INSTRUMENTS];
    private final double[] vegaUpUnits = new double[MAX_INSTRUMENTS];
    private final double[] vegaDownUnits = new double[MAX_INSTRUMENTS];
    private final double[] floorUnits = new double[MAX_INSTRUMENTS];
    // Largest absolute per-contract contribution of the instrument: bounds the sums a contract can enter.
    private final double[] magnitude = new double[MAX_INSTRUMENTS];

    private final int[] expiryCount = new int[MAX_UNDERLYINGS];
    private final byte[] expirySlot = new byte[MAX_INSTRUMENTS];
    /** Futures settled at expiry: their expiry no longer takes a roll-shock slot. */
    private final boolean[] futureSettled = new boolean[MAX_INSTRUMENTS];
    /** Scratch for {@link #assignExpirySlots}: the distinct live expiries of a unit, ascending. */
    private final long[] liveExpiries = new long[MAX_INSTRUMENTS];
    // The evaluation's accumulators: one unit block (VARIANTS blocks of BLOCK values) per risk unit, in the layout of a
    // risk row, so a row is added to an evaluation by one copy.
    private final double[] acc = new double[MAX_UNDERLYINGS * UNIT_BLOCK];
    private final double[] netTheta = new double[MAX_UNDERLYINGS];
    private final double[] netVega = new double[MAX_UNDERLYINGS];
    private final double[] scratchPnl = new double[SCENARIOS];
    // Risk units in the evaluation, bit u for unit u: finish() walks them in ascending order whatever the order of
    // add() and addRow() calls, so both paths sum the units' margins in the same order.
    private long touchedMask;
    private boolean fullRevaluation = true;
    private final double[] riskArray = new double[MAX_INSTRUMENTS * STRIDE];
    private final double[] scratchArray = new double[SCENARIOS];
    private final long[] arrayVersion = new long[MAX_INSTRUMENTS];
    // An option updated since its Greeks and risk array were last computed (see updateOption).
    private final boolean[] stale = new boolean[MAX_INSTRUMENTS];
    private boolean withIsolated = true;
    private boolean withOrders = true;
    private final boolean[] unitHasOrders = new boolean[MAX_UNDERLYINGS];

    // Risk rows: one account's aggregates in one risk unit (see newRow). Positions part in baseChunks (BLOCK values per
    // row), open-order part in orderChunks (ORDER_BLOCK per slot, only for rows that were asked for it); chunks of
    // CHUNK_ROWS rows so that growing never copies row data. Per row: stamps (unit epoch, global epoch, parameter
    // version) and mass of each part, open-order positions, order slot, parts being rebuilt.
    private static final int CHUNK_SHIFT = 12;
    private static final int CHUNK_ROWS = 1 << CHUNK_SHIFT;
    private static final int CHUNK_MASK = CHUNK_ROWS - 1;
    private static final int ORDER_BLOCK = UNIT_BLOCK - BLOCK;
    private static final int POSITIONS = 0;
    private static final int ORDERS = 1;
    private static final int STAMP = 6;
    /** Largest number of risk rows (open-order parts are at most as many). */
    public static final int MAX_ROWS = 1 << 24;
    private final long[] unitEpoch = new long[MAX_UNDERLYINGS];
    private long globalEpoch;
    private final double[][] baseChunks = new double[MAX_ROWS / CHUNK_ROWS][];
    private final double[][] orderChunks = new double[MAX_ROWS / CHUNK_ROWS][];
    private int[] rowUnit = new int[16];
    private long[] rowStamp = new long[16 * STAMP];
    private double[] rowMass = new double[16 * 2];
    private int[] rowOrderPositions = new int[16];
    private int[] rowOrderSlot = new int[16];
    private byte[] rowBuilding = new byte[16];
    private int rowCount;
    private int orderSlots;

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
        if (enabled != fullRevaluation)
        {
            fullRevaluation = enabled;
            globalEpoch++;
        }
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

    /** @return whether evaluations include the open orders' riskiest side. */
    public boolean withOrders()
    {
        return withOrders;
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
     * @return whether another live future of the underlying changed roll-shock slot (it may now share one, or no
     *         longer): the margin of its holders may have changed, though none of their prices did.
     */
    public boolean defineFuture(final int id, final int underlyingId, final long contractSize,
        final long expiryTimestamp)
    {
        define(id, 0, underlyingId, contractSize, 0, expiryTimestamp);
        futureSettled[id] = false;
        futureMarkSensitivityCached[id] = false;
        return assignExpirySlots(underlyingId, id);
    }

    /**
     * A future settled at its expiry (its positions are all closed): its expiry gives its roll-shock slot back, so
     * that the unit's live expiries keep slots of their own however many have come and gone. Not for the hot path.
     *
     * @return whether another live future of the underlying changed roll-shock slot, as {@link #defineFuture}.
     */
    public boolean settleFuture(final int id)
    {
        if (defined[id] && kind[id] == 0 && !futureSettled[id])
        {
            futureSettled[id] = true;
            return assignExpirySlots(underlying[id], id);
        }
        return false;
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
        optionUpdates[id]++;
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
        unitEpoch[underlying[id]]++;
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
        years[id] = Math.max(MIN_YEARS, (expiry[id] - now) / YEAR_NANOS);
        vol[id] = Math.max(0.0, impliedVol);
        optionUpdates[id]++;
        unitEpoch[underlying[id]]++;
        if (f <= 0.0)
        {
            stale[id] = false;
            deltaMoney[id] = 0;
            gammaMoney[id] = 0;
            vegaMoney[id] = 0;
            thetaMoney[id] = 0;
            value[id] = 0;
            java.util.Arrays.fill(riskArray, id * STRIDE, id * STRIDE + SCENARIOS, 0.0);
            deriveUnits(id);
            return;
        }
        // The Greeks and the 29 repricings wait for the first evaluation that needs them: a tick no holder's band
        // notices costs nothing per option. They depend only on the inputs stored above, so computing them later
        // gives the same bits as computing them now.
        stale[id] = true;
    }

    /**
     * Marks every risk row of a unit out of date, for a change the calculator does not see (an instrument's mark set
     * at expiry, say): each is rebuilt from its positions at its next use.
     */
    public void invalidate(final int underlyingId)
    {
        unitEpoch[underlyingId]++;
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
     * Rebuilds what depends on the parameters: an option's volatility shocks and every instrument's risk array (whole
     * millionths of the margin currency per contract). Kept in both modes, so the mode can change between evaluations; redone lazily when
     * the parameters change.
     */
    private void rebuild(final int id)
    {
        final int u = underlying[id];
        if (kind[id] != 0)
        {
            final double scale = volShockScale(years[id]);
            volUpShock[id] = parameters.volUpPpm(u) / PPM * scale;
            volDownShock[id] = Math.min(1.0, parameters.volDownPpm(u) / PPM * scale);
        }
        positionPnl(id, u, 1.0, scratchArray);
        final int from = id * STRIDE;
        for (int s = 0; s < SCENARIOS; s++)
        {
            riskArray[from + s] = Math.rint(scratchArray[s] * MICROS);
        }
        arrayVersion[id] = parameters.version();
        deriveUnits(id);
    }

    /**
     * The per-contract contributions in whole millionths of the margin currency, from the Greeks, shocks and risk array in place (a pure
     * function of them and the parameters, so a restored instrument derives the same bits).
     */
    private void deriveUnits(final int id)
    {
        final boolean option = kind[id] != 0;
        deltaUnits[id] = Math.rint(deltaMoney[id] * MICROS);
        gammaUnits[id] = option ? Math.rint(gammaMoney[id] * MICROS) : 0.0;
        vegaUpUnits[id] = option ? Math.rint(vegaMoney[id] * volUpShock[id] * MICROS) : 0.0;
        vegaDownUnits[id] = option ? Math.rint(vegaMoney[id] * volDownShock[id] * MICROS) : 0.0;
        floorUnits[id] = option ?
            Math.rint(size[id] * Math.max(0.0, forward[id]) * (parameters.shortOptionMinimumPpm() / PPM) * MICROS) : 0.0;
        double largest = Math.max(Math.abs(deltaUnits[id]), Math.max(Math.abs(gammaUnits[id]), 3.0 * floorUnits[id]));
        largest = Math.max(largest, Math.max(Math.abs(vegaUpUnits[id]), Math.abs(vegaDownUnits[id])));
        final int from = id * STRIDE;
        for (int s = 0; s < SCENARIOS; s++)
        {
            largest = Math.max(largest, Math.abs(riskArray[from + s]));
        }
        // At least 1 for the gross contracts; NaN (a value beyond double range) counts as too large to keep.
        magnitude[id] = largest == largest ? Math.max(1.0, largest) : Double.POSITIVE_INFINITY;
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
        for (long mask = touchedMask; mask != 0; mask &= mask - 1)
        {
            final int u = Long.numberOfTrailingZeros(mask);
            // Order variants are touched only when the unit had orders; clear only what was used.
            final int from = u * UNIT_BLOCK;
            java.util.Arrays.fill(acc, from, from + (unitHasOrders[u] ? UNIT_BLOCK : BLOCK), 0.0);
            unitHasOrders[u] = false;
            netTheta[u] = 0;
            netVega[u] = 0;
        }
        touchedMask = 0;
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
        touchedMask |= 1L << u;
        final double q = quantity;
        final int block = u * UNIT_BLOCK;
        accumulate(acc, block, BASE, id, q, 1.0);
        if (withOrders && (openBuyQty != 0 || openSellQty != 0))
        {
            unitHasOrders[u] = true;
            addOrders(acc, block, id, q, openBuyQty, openSellQty, 1.0);
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
    private void addOrders(final double[] data, final int block, final int id, final double q, final long openBuyQty,
        final long openSellQty, final double sign)
    {
        if (openBuyQty != 0)
        {
            accumulate(data, block, ALL_BUYS, id, openBuyQty, sign);
            floorDifference(data, block + ALL_BUYS * BLOCK, id, q, q + openBuyQty, openBuyQty, sign);
        }
        if (openSellQty != 0)
        {
            accumulate(data, block, ALL_SELLS, id, -openSellQty, sign);
            floorDifference(data, block + ALL_SELLS * BLOCK, id, q, q - openSellQty, -openSellQty, sign);
        }
    }

    private void accumulate(final double[] data, final int block, final int variant, final int id, final double q,
        final double sign)
    {
        if (q == 0.0)
        {
            return;
        }
        final double signed = sign * q;
        final int to = block + variant * BLOCK;
        data[to + GROSS] += sign * Math.abs(q);
        data[to + DELTA] += signed * deltaUnits[id];
        if (kind[id] == 0)
        {
            data[to + EXPIRY + expirySlot[id]] += signed * deltaUnits[id];
        }
        else
        {
            data[to + GAMMA] += signed * gammaUnits[id];
            data[to + VEGA_UP] += signed * vegaUpUnits[id];
            data[to + VEGA_DOWN] += signed * vegaDownUnits[id];
            if (q < 0)
            {
                data[to + FLOOR] += sign * -q * floorUnits[id];
            }
        }
        if (fullRevaluation)
        {
            final double[] array = riskArray;
            final int from = id * STRIDE;
            for (int s = 0; s < SCENARIOS; s++)
            {
                data[to + s] += signed * array[from + s];
            }
        }
    }

    /**
     * Corrects a variant's short-option floor: accumulate() of the order quantity alone charged the floor as if the
     * order were a position on its own; the floor of (position + order) less the floor of the position is due.
     */
    private void floorDifference(final double[] data, final int to, final int id, final double q, final double qAfter,
        final double order, final double sign)
    {
        if (kind[id] == 0)
        {
            return;
        }
        final double perContract = floorUnits[id];
        final double charged = order < 0 ? -order * perContract : 0.0;
        final double due = Math.max(0.0, -qAfter) * perContract - Math.max(0.0, -q) * perContract;
        data[to + FLOOR] += sign * (due - charged);
    }

    /**
     * Gives the unit's live futures expiries (the perpetual's is 0) roll-shock slots in ascending order of expiry, the
     * latest beyond {@link #MAX_EXPIRIES} - 1 sharing the last slot: a function of which futures are defined and not
     * settled alone, so a restored engine assigns the same slots. A change of slots makes the unit's risk rows stale
     * (they hold exposures by slot): each is rebuilt from its positions at its next use.
     *
     * @param changed the future just defined or settled (its own slot is not compared).
     * @return whether any other live future's slot changed.
     */
    private boolean assignExpirySlots(final int u, final int changed)
    {
        int distinct = 0;
        for (int id = 0; id < MAX_INSTRUMENTS; id++)
        {
            if (defined[id] && kind[id] == 0 && underlying[id] == u && !futureSettled[id])
            {
                final long e = expiry[id];
                int at = distinct;
                while (at > 0 && liveExpiries[at - 1] > e)
                {
                    at--;
                }
                if (at > 0 && liveExpiries[at - 1] == e)
                {
                    continue;
                }
                System.arraycopy(liveExpiries, at, liveExpiries, at + 1, distinct - at);
                liveExpiries[at] = e;
                distinct++;
            }
        }
        boolean moved = false;
        for (int id = 0; id < MAX_INSTRUMENTS; id++)
        {
            if (defined[id] && kind[id] == 0 && underlying[id] == u && !futureSettled[id])
            {
                int slot = 0;
                while (liveExpiries[slot] != expiry[id])
                {
                    slot++;
                }
                final byte assigned = (byte)Math.min(slot, MAX_EXPIRIES - 1);
                moved |= id != changed && expirySlot[id] != assigned;
                expirySlot[id] = assigned;
            }
        }
        expiryCount[u] = Math.min(distinct, MAX_EXPIRIES);
        invalidate(u);
        return moved;
    }

    /** Volatility shocks grow as expiry nears: (30 / days)^p with p = 0.3 under 30 days, 0.13 beyond (Deribit). */
    private static double volShockScale(final double years)
    {
        final double days = Math.max(years * 365.0, 1.0 / 24.0);
        // exp(p ln x) rather than StrictMath.pow: the JDK 17 pow allocates on every call; exp and log do not.
        return StrictMath.exp((days < 30.0 ? 0.3 : 0.13) * StrictMath.log(30.0 / days));
    }

    /** Scenario P&amp;L of {@code q} contracts by full revaluation (Black-76 repricing in every scenario), currency. */
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

    /** Maintenance margin of one position margined on its own, millionths of the margin currency. */
    private double standaloneMaintenance(final int id, final int u, final double q)
    {
        final double d = q * deltaUnits[id];
        double loss;
        double floor = 0.0;
        if (fullRevaluation)
        {
            final int from = id * STRIDE;
            for (int s = 0; s < SCENARIOS; s++)
            {
                scratchPnl[s] = q * riskArray[from + s];
            }
            loss = worstLoss(scratchPnl, 0);
        }
        else if (kind[id] == 0)
        {
            loss = expansionLoss(u, d, 0, 0, 0);
        }
        else
        {
            loss = expansionLoss(u, d, q * gammaUnits[id], q * vegaUpUnits[id], q * vegaDownUnits[id]);
        }
        if (kind[id] != 0 && q < 0)
        {
            floor = -q * floorUnits[id];
        }
        return Math.max(loss, floor) + Math.abs(d) * (parameters.deltaShockPpm() / PPM) +
            ROUNDING_ALLOWANCE * Math.abs(q);
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

    private double worstLoss(final double[] pnl, final int from)
    {
        double worst = 0.0;
        for (int s = 0; s < GRID_SCENARIOS; s++)
        {
            worst = Math.max(worst, -pnl[from + s]);
        }
        final double weight = parameters.extremeWeightPpm() / PPM;
        worst = Math.max(worst, -pnl[from + GRID_SCENARIOS] * weight);
        worst = Math.max(worst, -pnl[from + GRID_SCENARIOS + 1] * weight);
        return worst;
    }

    /** Maintenance margin of a risk unit, millionths of the margin currency: the base positions, plus a variant's difference when not BASE. */
    private double unitMaintenance(final int variant, final int u)
    {
        final double[] data = acc;
        final int base = u * UNIT_BLOCK;
        final boolean isBase = variant == BASE;
        final int other = base + variant * BLOCK;
        final double d = data[base + DELTA] + (isBase ? 0.0 : data[other + DELTA]);
        final double loss;
        if (fullRevaluation)
        {
            final double[] pnl = scratchPnl;
            for (int s = 0; s < SCENARIOS; s++)
            {
                pnl[s] = data[base + s] + (isBase ? 0.0 : data[other + s]);
            }
            loss = worstLoss(pnl, 0);
        }
        else
        {
            loss = expansionLoss(u, d,
                data[base + GAMMA] + (isBase ? 0.0 : data[other + GAMMA]),
                data[base + VEGA_UP] + (isBase ? 0.0 : data[other + VEGA_UP]),
                data[base + VEGA_DOWN] + (isBase ? 0.0 : data[other + VEGA_DOWN]));
        }
        double grossFutures = 0.0;
        double netFutures = 0.0;
        for (int e = 0; e < expiryCount[u]; e++)
        {
            final double exposure = data[base + EXPIRY + e] + (isBase ? 0.0 : data[other + EXPIRY + e]);
            grossFutures += Math.abs(exposure);
            netFutures += exposure;
        }
        final double roll = (grossFutures - Math.abs(netFutures)) * (parameters.rollShockPpm() / PPM);
        final double deltaShock = Math.abs(d) * (parameters.deltaShockPpm() / PPM);
        final double floor = data[base + FLOOR] + (isBase ? 0.0 : data[other + FLOOR]);
        final double gross = data[base + GROSS] + (isBase ? 0.0 : data[other + GROSS]);
        return Math.max(loss, floor) + deltaShock + roll + ROUNDING_ALLOWANCE * gross;
    }

    /** Completes the evaluation; results are valid until the next {@link #begin()}. */
    public void finish()
    {
        double mm = 0.0;
        double mmWithOrders = 0.0;
        for (long mask = touchedMask; mask != 0; mask &= mask - 1)
        {
            final int u = Long.numberOfTrailingZeros(mask);
            final double base = unitMaintenance(BASE, u);
            mm += base;
            mmWithOrders += unitHasOrders[u] ?
                Math.max(base, Math.max(unitMaintenance(ALL_BUYS, u), unitMaintenance(ALL_SELLS, u))) : base;
        }
        // IM is exactly factor x the rounded MM, in fixed point.
        final long factorPpm = parameters.initialMarginFactorPpm();
        maintenanceMargin = toMoney(mm * UNITS_PER_MICRO);
        initialMargin = Fixed.mulPpmUp(maintenanceMargin, factorPpm);
        initialMarginWithOrders = Math.max(initialMargin, Fixed.mulPpmUp(toMoney(mmWithOrders * UNITS_PER_MICRO), factorPpm));
        isolatedInitialMargin = Fixed.mulPpmUp(toMoney(isolatedMaintenance * UNITS_PER_MICRO), factorPpm);
    }

    /**
     * Rounds a margin up to whole money units (1e-8), saturating at {@link #MAX_MONEY}: a requirement that large
     * cannot be met by any account, so saturating keeps every decision (reject the order, liquidate) and never throws
     * mid-command.
     */
    private static long toMoney(final double units)
    {
        final double rounded = Math.ceil(units);
        if (!(rounded >= 0.0))
        {
            return rounded < 0.0 ? 0 : MAX_MONEY;
        }
        return rounded >= MAX_MONEY ? MAX_MONEY : (long)rounded;
    }

    // ------------------------------------------------------------------------------------------------ risk rows

    /**
     * Creates a risk row: the aggregates of one account's positions in one risk unit - scenario P&amp;L, net Greeks,
     * short-option floor, futures delta by expiry - and, kept apart and only once asked for, the same for every open
     * buy filled and every open sell filled. The caller maps (account, unit) to rows. An evaluation from current rows
     * ({@link #addRow}) costs the same however many positions the account holds. A new row is out of date. Allocates
     * only when the row table passes its high-water mark (in chunks: no copy of row data).
     *
     * @param underlyingId the row's risk unit.
     * @return the row id, dense from 0; -1 when the table is full ({@link #MAX_ROWS}): the caller evaluates that account
     *         position by position.
     */
    public int newRow(final int underlyingId)
    {
        final int row = rowCount;
        if (row == MAX_ROWS)
        {
            return -1;
        }
        if (row == rowUnit.length)
        {
            final int capacity = row * 2;
            rowUnit = java.util.Arrays.copyOf(rowUnit, capacity);
            rowStamp = java.util.Arrays.copyOf(rowStamp, capacity * STAMP);
            rowMass = java.util.Arrays.copyOf(rowMass, capacity * 2);
            rowOrderPositions = java.util.Arrays.copyOf(rowOrderPositions, capacity);
            rowOrderSlot = java.util.Arrays.copyOf(rowOrderSlot, capacity);
            rowBuilding = java.util.Arrays.copyOf(rowBuilding, capacity);
        }
        if ((row & CHUNK_MASK) == 0 && baseChunks[row >>> CHUNK_SHIFT] == null)
        {
            baseChunks[row >>> CHUNK_SHIFT] = new double[CHUNK_ROWS * BLOCK];
        }
        rowCount = row + 1;
        rowUnit[row] = underlyingId;
        rowOrderSlot[row] = -1;
        rowOrderPositions[row] = 0;
        rowBuilding[row] = 0;
        outOfDate(row, POSITIONS);
        outOfDate(row, ORDERS);
        return row;
    }

    private void outOfDate(final int row, final int part)
    {
        rowStamp[row * STAMP + part * 3] = unitEpoch[rowUnit[row]] - 1;
    }

    /** @return the risk unit of a row. */
    public int rowUnit(final int row)
    {
        return rowUnit[row];
    }

    /**
     * Whether a row's positions part equals the sum of its positions' contributions now: no market data of its unit,
     * no parameter and no mode has changed since it was rebuilt, and the book is small enough to be kept exactly (see
     * {@link #MASS_LIMIT}).
     */
    public boolean rowCurrent(final int row)
    {
        return partCurrent(row, POSITIONS);
    }

    /** The same for the open-order part of a row (built only by a rebuild that asked for it). */
    public boolean rowOrdersCurrent(final int row)
    {
        return rowOrderSlot[row] >= 0 && partCurrent(row, ORDERS);
    }

    private boolean partCurrent(final int row, final int part)
    {
        final int stamp = row * STAMP + part * 3;
        return rowStamp[stamp] == unitEpoch[rowUnit[row]] && rowStamp[stamp + 1] == globalEpoch &&
            rowStamp[stamp + 2] == parameters.version() && rowMass[row * 2 + part] <= MASS_LIMIT;
    }

    /**
     * Starts rebuilding parts of a row inside an evaluation (after {@link #begin()}, before the row's
     * {@link #addRow}): {@link #addToRow} each of its positions, then {@link #addRow} stores what was built. The
     * sums are made in the evaluation's own accumulators, so a rebuild costs what adding the positions costs.
     *
     * @param positions rebuild the positions part.
     * @param orders    rebuild the open-order part.
     */
    public void rebuildRow(final int row, final boolean positions, final boolean orders)
    {
        final int u = rowUnit[row];
        final int block = u * UNIT_BLOCK;
        int building = 0;
        if (positions)
        {
            building |= 1 << POSITIONS;
            java.util.Arrays.fill(acc, block, block + BLOCK, 0.0);
            stamp(row, POSITIONS);
        }
        if (orders)
        {
            building |= 1 << ORDERS;
            java.util.Arrays.fill(acc, block + BLOCK, block + UNIT_BLOCK, 0.0);
            if (rowOrderSlot[row] < 0)
            {
                rowOrderSlot[row] = newOrderSlot();
            }
            rowOrderPositions[row] = 0;
            stamp(row, ORDERS);
        }
        rowBuilding[row] = (byte)building;
    }

    private void stamp(final int row, final int part)
    {
        final int stamp = row * STAMP + part * 3;
        rowStamp[stamp] = unitEpoch[rowUnit[row]];
        rowStamp[stamp + 1] = globalEpoch;
        rowStamp[stamp + 2] = parameters.version();
        rowMass[row * 2 + part] = 0.0;
    }

    private int newOrderSlot()
    {
        final int slot = orderSlots++;
        if ((slot & CHUNK_MASK) == 0 && orderChunks[slot >>> CHUNK_SHIFT] == null)
        {
            orderChunks[slot >>> CHUNK_SHIFT] = new double[CHUNK_ROWS * ORDER_BLOCK];
        }
        return slot;
    }

    /**
     * Adds a position and its open orders to the parts of a row being rebuilt.
     *
     * @param id instrument on the row's unit.
     */
    public void addToRow(final int row, final int id, final long quantity, final long openBuyQty,
        final long openSellQty)
    {
        refreshIfNeeded(id);
        final int building = rowBuilding[row];
        final double q = quantity;
        final int block = rowUnit[row] * UNIT_BLOCK;
        if ((building & (1 << POSITIONS)) != 0)
        {
            accumulate(acc, block, BASE, id, q, 1.0);
            rowMass[row * 2 + POSITIONS] += Math.abs(q) * magnitude[id];
        }
        if ((building & (1 << ORDERS)) != 0 && (openBuyQty != 0 || openSellQty != 0))
        {
            rowOrderPositions[row]++;
            addOrders(acc, block, id, q, openBuyQty, openSellQty, 1.0);
            rowMass[row * 2 + ORDERS] += (Math.abs(q) + (double)openBuyQty + (double)openSellQty) * magnitude[id];
        }
    }

    /**
     * Moves a position of a row from its old quantities to its new ones, exactly, in each current part: a part ends
     * equal to a rebuild from the positions. Parts not current are left for their next use to rebuild.
     */
    public void updateRow(final int row, final int id, final long oldQuantity, final long oldBuy, final long oldSell,
        final long newQuantity, final long newBuy, final long newSell)
    {
        final boolean positions = oldQuantity != newQuantity && rowCurrent(row);
        final boolean orders = (oldBuy | oldSell | newBuy | newSell) != 0 && rowOrdersCurrent(row);
        if (!positions && !orders)
        {
            return;
        }
        refreshIfNeeded(id);
        if (positions)
        {
            final double[] chunk = baseChunks[row >>> CHUNK_SHIFT];
            final int block = (row & CHUNK_MASK) * BLOCK;
            accumulate(chunk, block, BASE, id, oldQuantity, -1.0);
            accumulate(chunk, block, BASE, id, newQuantity, 1.0);
            rowMass[row * 2 + POSITIONS] += (Math.abs((double)newQuantity) - Math.abs((double)oldQuantity)) *
                magnitude[id];
        }
        if (orders)
        {
            final int slot = rowOrderSlot[row];
            final double[] chunk = orderChunks[slot >>> CHUNK_SHIFT];
            // The order part's blocks sit where a unit block's variants sit, one BLOCK earlier.
            final int block = (slot & CHUNK_MASK) * ORDER_BLOCK - BLOCK;
            if ((oldBuy | oldSell) != 0)
            {
                rowOrderPositions[row]--;
                addOrders(chunk, block, id, oldQuantity, oldBuy, oldSell, -1.0);
            }
            if ((newBuy | newSell) != 0)
            {
                rowOrderPositions[row]++;
                addOrders(chunk, block, id, newQuantity, newBuy, newSell, 1.0);
            }
            // As a rebuild counts it: a position only while it has orders.
            final double newTerm = (newBuy | newSell) != 0 ?
                Math.abs((double)newQuantity) + (double)newBuy + (double)newSell : 0.0;
            final double oldTerm = (oldBuy | oldSell) != 0 ?
                Math.abs((double)oldQuantity) + (double)oldBuy + (double)oldSell : 0.0;
            rowMass[row * 2 + ORDERS] += (newTerm - oldTerm) * magnitude[id];
        }
    }

    /**
     * Adds a row to the evaluation, in place of {@link #add} of each of its positions and with the same result
     * (isolated margin, net theta and net vega aside: evaluations that need them add positions). Its positions part
     * must be current or just rebuilt; so must its order part when the evaluation is {@link #withOrders}. At most one
     * row per risk unit in an evaluation, and not mixed with {@link #add} on the same unit.
     */
    public void addRow(final int row)
    {
        final int u = rowUnit[row];
        final int to = u * UNIT_BLOCK;
        final int building = rowBuilding[row];
        rowBuilding[row] = 0;
        final double[] base = baseChunks[row >>> CHUNK_SHIFT];
        final int baseFrom = (row & CHUNK_MASK) * BLOCK;
        if ((building & (1 << POSITIONS)) != 0)
        {
            System.arraycopy(acc, to, base, baseFrom, BLOCK);
        }
        else
        {
            System.arraycopy(base, baseFrom, acc, to, BLOCK);
        }
        final boolean orders = withOrders && rowOrderSlot[row] >= 0 && rowOrderPositions[row] > 0;
        final int slot = rowOrderSlot[row];
        if ((building & (1 << ORDERS)) != 0)
        {
            System.arraycopy(acc, to + BLOCK, orderChunks[slot >>> CHUNK_SHIFT], (slot & CHUNK_MASK) * ORDER_BLOCK,
                ORDER_BLOCK);
        }
        else if (orders)
        {
            System.arraycopy(orderChunks[slot >>> CHUNK_SHIFT], (slot & CHUNK_MASK) * ORDER_BLOCK, acc, to + BLOCK,
                ORDER_BLOCK);
        }
        if (!orders && (building & (1 << ORDERS)) != 0)
        {
            // Built for later but not counted now: leave the variant blocks as begin() expects them, empty.
            java.util.Arrays.fill(acc, to + BLOCK, to + UNIT_BLOCK, 0.0);
        }
        touchedMask |= 1L << u;
        unitHasOrders[u] = orders;
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

    /** @return net delta of a risk unit in the last evaluation: P&amp;L per unit relative move of the underlying, currency. */
    public double netDelta(final int underlyingId)
    {
        return acc[underlyingId * UNIT_BLOCK + DELTA] / MICROS;
    }

    /** @return net gamma: d2(P&amp;L)/dr2, currency. */
    public double netGamma(final int underlyingId)
    {
        return acc[underlyingId * UNIT_BLOCK + GAMMA] / MICROS;
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
        if (futureMarkSensitivityCached[id] && futureMarkSensitivityVersion[id] == parameters.version())
        {
            return futureMarkSensitivity[id];
        }
        final int u = underlying[id];
        final double scenarioShare = Math.max(parameters.priceRangePpm(u),
            parameters.extremeMovePpm() * parameters.extremeWeightPpm() / PPM) + parameters.deltaShockPpm() +
            2 * parameters.rollShockPpm();
        final double sensitivity = size[id] * (1.0 + parameters.initialMarginFactorPpm() / PPM * scenarioShare / PPM);
        futureMarkSensitivity[id] = sensitivity;
        futureMarkSensitivityVersion[id] = parameters.version();
        futureMarkSensitivityCached[id] = true;
        return sensitivity;
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
     * An upper bound of how fast an option's initial margin moves with the underlying index (its forward), per
     * contract, money units per price unit, under full revaluation (the engine's mode; the expansion's terms are not
     * bounded by it). A scenario's P&amp;L per contract is size x (V(F (1 + r)) - V(F)), whose slope (1 + r) delta' -
     * delta lies within 1 + |r| (both deltas have the option's sign, within [-1, 1]); the extremes count at their
     * weight, the short-option floor moves with size x its share; the delta shock moves with size x (delta + F gamma),
     * and F gamma is at most 1 / (vol sqrt(2 pi T)), T at least {@link #MIN_YEARS}: a bound that holds however close
     * expiry comes. Gamma is taken at half the current vol, the lowest a volatility band reaches
     * ({@link #volatilitySensitivity}), so the bound holds while the vol moves within its band before the index
     * crosses (before session 13 it took the current vol: a walk at half of it overran the bound). An option with no
     * vol yet (priced at intrinsic value) is bounded as at the smallest vol an update can carry, 1e-6. Zero for
     * futures.
     */
    public double indexSensitivity(final int id)
    {
        if (kind[id] == 0)
        {
            return 0.0;
        }
        final double scenarios = Math.max(1.0 + parameters.priceRangePpm(underlying[id]) / PPM,
            parameters.extremeWeightPpm() / PPM * (1.0 + parameters.extremeMovePpm() / PPM));
        final double worstLoss = Math.max(scenarios, parameters.shortOptionMinimumPpm() / PPM);
        final double forwardGamma = 1.0 / (0.5 * Math.max(vol[id], 1e-6) * GAMMA_BOUND_ROOT);
        return size[id] * (parameters.initialMarginFactorPpm() / PPM) *
            (worstLoss + parameters.deltaShockPpm() / PPM * (1.0 + forwardGamma));
    }

    /**
     * An upper bound of how far an option's initial margin can move, per contract, in money units (1e-8), as time runs
     * from the option's last update to {@code until} with its forward and volatility unchanged (their moves are the
     * price bands' business): 0 for futures, and for an option within its last hour (its time is floored there).
     * Under full revaluation a scenario's P&amp;L is size x (V_s - V); each of V_s and V decays by at most
     * F sigma (sqrt(T) - sqrt(T')) / sqrt(2 pi) (theta is largest at the money), V_s taken at the largest scenario
     * forward and volatility, and V_s moves by at most vega x the drift of its volatility shock (the shocks grow as
     * expiry nears), vega at most F sqrt(T) / sqrt(2 pi); the delta shock moves with delta, whose rate in time (charm)
     * is at most (0.25 + sigma sqrt(t) / sqrt(2 pi)) / 2t. Each term is convex in the time elapsed, so a share of a
     * span that ends no later than the floor ({@link #MIN_YEARS} before expiry: the margin is flat after it) takes at
     * most that share of the bound. Not for the hot path of a tick: once per option and span between updates.
     *
     * @param until engine time, ns since epoch, after the option's last update.
     */
    public double timeSensitivity(final int id, final long until)
    {
        if (kind[id] == 0 || forward[id] <= 0.0 || vol[id] <= 0.0)
        {
            return 0.0;
        }
        // Every holder of the option asks with the same span between two of its updates: computed once.
        if (timeBoundUntil[id] == until && timeBoundUpdate[id] == optionUpdates[id] &&
            timeBoundVersion[id] == parameters.version())
        {
            return timeBound[id];
        }
        final double bound = computeTimeSensitivity(id, until);
        timeBound[id] = bound;
        timeBoundUntil[id] = until;
        timeBoundUpdate[id] = optionUpdates[id];
        timeBoundVersion[id] = parameters.version();
        return bound;
    }

    private double computeTimeSensitivity(final int id, final long until)
    {
        final double now = years[id];
        final double later = Math.max(MIN_YEARS, (expiry[id] - until) / YEAR_NANOS);
        if (later >= now)
        {
            return 0.0;
        }
        refreshIfNeeded(id);
        final int u = underlying[id];
        final double f = forward[id];
        final double sigma = vol[id];
        final double largestForward = f * (1.0 + Math.max(parameters.priceRangePpm(u), parameters.extremeMovePpm()) /
            PPM);
        final double scaleNow = volShockScale(now);
        final double scaleLater = volShockScale(later);
        final double up = parameters.volUpPpm(u) / PPM;
        final double down = parameters.volDownPpm(u) / PPM;
        // Every term is convex in the time elapsed (the down shock's cap at 1 is left out: a majorant).
        final double shockDrift = Math.max(up, down) * (scaleLater - scaleNow);
        final double rootDecay = Math.sqrt(now) - Math.sqrt(later);
        final double decay = (largestForward * sigma * (1.0 + up * scaleLater) + f * sigma) * rootDecay * INV_SQRT_2PI;
        final double vegaDrift = largestForward * Math.sqrt(now) * INV_SQRT_2PI * sigma * shockDrift;
        // |charm| = phi(d1) |d2| / 2T <= (max phi(x) |x| + sigma sqrt(T) / sqrt(2 pi)) / 2T, integrated over the span.
        final double deltaMove = CHARM_BOUND * StrictMath.log(now / later) + sigma * rootDecay * INV_SQRT_2PI;
        return size[id] * (decay + vegaDrift + parameters.deltaShockPpm() / PPM * f * deltaMove) *
            (parameters.initialMarginFactorPpm() / PPM) * UNITS;
    }

    /**
     * An upper bound of how fast an option's initial margin moves with its implied volatility, per contract, money
     * units per 1e-6 of volatility, for volatilities from half the current one up (a band on the volatility must not
     * reach below that). Under full revaluation a scenario's P&amp;L is size x (V_s - V), V_s at forward F (1 + r) and
     * volatility sigma (1 + shock): vega is at most F sqrt(T) / sqrt(2 pi) at any strike, taken at the largest
     * scenario forward, times 1 + shock for V_s, plus 1 for V. The delta shock moves with vanna x F, and
     * |vanna| = phi(d1) |d2| / sigma &lt;= 0.25 / sigma + sqrt(T) / sqrt(2 pi). (Before session 12 this was the vega
     * at the current forward alone: near zero for a deep in- or out-of-the-money option whose scenarios are at the
     * money, so a halving of the volatility moved the margin of a long call unseen.) 0 at no volatility: any change
     * of it must re-evaluate.
     */
    public double volatilitySensitivity(final int id)
    {
        if (kind[id] == 0 || vol[id] <= 0)
        {
            return 0.0;
        }
        if (volBoundUpdate[id] == optionUpdates[id] && volBoundVersion[id] == parameters.version())
        {
            return volBound[id];
        }
        refreshIfNeeded(id);
        final int u = underlying[id];
        final double f = Math.max(0.0, forward[id]);
        final double largestForward = f * (1.0 + Math.max(parameters.priceRangePpm(u), parameters.extremeMovePpm()) /
            PPM);
        final double rootTime = Math.sqrt(years[id]);
        final double scenarios = largestForward * rootTime * INV_SQRT_2PI * (2.0 + volUpShock[id]);
        final double vanna = 0.25 / (0.5 * vol[id]) + rootTime * INV_SQRT_2PI;
        final double deltaShock = parameters.deltaShockPpm() / PPM * f * vanna;
        final double bound = size[id] * (scenarios + deltaShock) * (parameters.initialMarginFactorPpm() / PPM) *
            UNITS / PPM;
        volBound[id] = bound;
        volBoundUpdate[id] = optionUpdates[id];
        volBoundVersion[id] = parameters.version();
        return bound;
    }

    /**
     * How far rounding alone can move an account's maintenance margin between two evaluations, per contract held, in
     * money units (1e-8): each evaluation's rounded margin is within {@link #ROUNDING_ALLOWANCE} quanta per contract of
     * the unrounded model's, so two of them differ from the model's change by at most twice that. The margin is a step
     * function of prices at that scale - a move in a position's favour can raise it by this much - which price bands
     * must leave room for.
     */
    public static double roundingDriftPerContract()
    {
        return 2.0 * ROUNDING_ALLOWANCE * UNITS_PER_MICRO;
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
        optionUpdates[id]++;
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
        deriveUnits(id);
        unitEpoch[underlying[id]]++;
    }
}
