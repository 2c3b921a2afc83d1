package io.clearing.margin;

/**
 * Cross-margin of one account, evaluated from its positions and open orders. This is the first, deliberately simple
 * model (see docs/margin-methodology.md): per underlying (risk unit) the futures and perpetual positions are netted
 * to one delta notional charged at the initial margin rate; each option is charged its mark value when long, and its
 * mark value plus a share of strike notional when short. Open orders are charged on the riskiest side: the larger of
 * "every open buy fills" and "every open sell fills", per risk unit. Maintenance margin is a fixed share of initial
 * margin. The same positions margined one by one give the isolated margin used to report capital efficiency.
 * <p>
 * Usage: {@link #begin()}, one {@code add*} call per position, {@link #finish()}, then read the results. The cost is
 * linear in the positions of the account and allocates nothing. Money is 1e-8 margin currency; overflow throws
 * {@link ArithmeticException}. Not thread-safe.
 */
public final class MarginCalculator
{
    /** Largest number of underlyings (risk units). */
    public static final int MAX_UNDERLYINGS = 64;

    private final RiskParameters parameters;
    private final long[] netNotional = new long[MAX_UNDERLYINGS];
    private final long[] netNotionalAllBuys = new long[MAX_UNDERLYINGS];
    private final long[] netNotionalAllSells = new long[MAX_UNDERLYINGS];
    private final long[] optionCharge = new long[MAX_UNDERLYINGS];
    private final long[] optionChargeAllBuys = new long[MAX_UNDERLYINGS];
    private final long[] optionChargeAllSells = new long[MAX_UNDERLYINGS];
    private final int[] touched = new int[MAX_UNDERLYINGS];
    private final boolean[] isTouched = new boolean[MAX_UNDERLYINGS];
    private int touchedCount;

    private long isolatedInitialMargin;
    private long initialMargin;
    private long initialMarginWithOrders;
    private long maintenanceMargin;

    /**
     * @param parameters live parameters, read on every evaluation.
     */
    public MarginCalculator(final RiskParameters parameters)
    {
        this.parameters = parameters;
    }

    /** Starts the evaluation of one account. */
    public void begin()
    {
        for (int i = 0; i < touchedCount; i++)
        {
            final int u = touched[i];
            isTouched[u] = false;
            netNotional[u] = 0;
            netNotionalAllBuys[u] = 0;
            netNotionalAllSells[u] = 0;
            optionCharge[u] = 0;
            optionChargeAllBuys[u] = 0;
            optionChargeAllSells[u] = 0;
        }
        touchedCount = 0;
        isolatedInitialMargin = 0;
        initialMargin = 0;
        initialMarginWithOrders = 0;
        maintenanceMargin = 0;
    }

    /**
     * Adds a perpetual or dated future position with its open orders.
     *
     * @param underlyingId  0..63.
     * @param quantity      signed contracts, long positive.
     * @param contractSize  1e-8 underlying units per contract.
     * @param markPrice     1e-8 margin currency per underlying unit.
     * @param openBuyQty    contracts on open buy orders, non-negative.
     * @param openSellQty   contracts on open sell orders, non-negative.
     */
    public void addFuture(
        final int underlyingId,
        final long quantity,
        final long contractSize,
        final long markPrice,
        final long openBuyQty,
        final long openSellQty)
    {
        touch(underlyingId);
        netNotional[underlyingId] = Math.addExact(netNotional[underlyingId],
            Fixed.notional(quantity, contractSize, markPrice));
        netNotionalAllBuys[underlyingId] = Math.addExact(netNotionalAllBuys[underlyingId],
            Fixed.notional(Math.addExact(quantity, openBuyQty), contractSize, markPrice));
        netNotionalAllSells[underlyingId] = Math.addExact(netNotionalAllSells[underlyingId],
            Fixed.notional(Math.subtractExact(quantity, openSellQty), contractSize, markPrice));
        isolatedInitialMargin = Math.addExact(isolatedInitialMargin,
            Fixed.mulPpmUp(Math.abs(Fixed.notional(quantity, contractSize, markPrice)),
                parameters.initialMarginRatePpm()));
    }

    /**
     * Adds a European option position with its open orders.
     *
     * @param underlyingId  0..63.
     * @param quantity      signed contracts, long positive.
     * @param contractSize  1e-8 underlying units per contract.
     * @param markPrice     option mark price, 1e-8 margin currency per underlying unit, non-negative.
     * @param strike        1e-8 margin currency per underlying unit.
     * @param openBuyQty    contracts on open buy orders, non-negative.
     * @param openSellQty   contracts on open sell orders, non-negative.
     */
    public void addOption(
        final int underlyingId,
        final long quantity,
        final long contractSize,
        final long markPrice,
        final long strike,
        final long openBuyQty,
        final long openSellQty)
    {
        touch(underlyingId);
        final long charge = optionCharge(quantity, contractSize, markPrice, strike);
        optionCharge[underlyingId] = Math.addExact(optionCharge[underlyingId], charge);
        optionChargeAllBuys[underlyingId] = Math.addExact(optionChargeAllBuys[underlyingId],
            optionCharge(Math.addExact(quantity, openBuyQty), contractSize, markPrice, strike));
        optionChargeAllSells[underlyingId] = Math.addExact(optionChargeAllSells[underlyingId],
            optionCharge(Math.subtractExact(quantity, openSellQty), contractSize, markPrice, strike));
        isolatedInitialMargin = Math.addExact(isolatedInitialMargin, charge);
    }

    /** Completes the evaluation; the results below are valid until the next {@link #begin()}. */
    public void finish()
    {
        final long rate = parameters.initialMarginRatePpm();
        long im = 0;
        long imWithOrders = 0;
        for (int i = 0; i < touchedCount; i++)
        {
            final int u = touched[i];
            final long unit = Math.addExact(Fixed.mulPpmUp(Math.abs(netNotional[u]), rate), optionCharge[u]);
            final long allBuys = Math.addExact(
                Fixed.mulPpmUp(Math.abs(netNotionalAllBuys[u]), rate), optionChargeAllBuys[u]);
            final long allSells = Math.addExact(
                Fixed.mulPpmUp(Math.abs(netNotionalAllSells[u]), rate), optionChargeAllSells[u]);
            im = Math.addExact(im, unit);
            imWithOrders = Math.addExact(imWithOrders, Math.max(unit, Math.max(allBuys, allSells)));
        }
        initialMargin = im;
        initialMarginWithOrders = imWithOrders;
        maintenanceMargin = Fixed.mulPpmUp(im, parameters.maintenanceFactorPpm());
    }

    /** @return initial margin of the positions, 1e-8 margin currency. */
    public long initialMargin()
    {
        return initialMargin;
    }

    /** @return initial margin of the positions with every open order filled on the riskiest side. */
    public long initialMarginWithOrders()
    {
        return initialMarginWithOrders;
    }

    /** @return the extra initial margin the open orders need: {@code initialMarginWithOrders - initialMargin}. */
    public long openOrderMargin()
    {
        return initialMarginWithOrders - initialMargin;
    }

    /** @return maintenance margin of the positions. */
    public long maintenanceMargin()
    {
        return maintenanceMargin;
    }

    /** @return initial margin of the same positions margined one by one (no netting). */
    public long isolatedInitialMargin()
    {
        return isolatedInitialMargin;
    }

    /**
     * How fast initial margin can move per unit of an instrument's mark price, per unit of |position notional|, in
     * ppm: the futures rate for futures, 1.0 for options (whose charge contains the mark value). Used to bound how far
     * a price may move before an account must be re-evaluated.
     *
     * @param isOption whether the instrument is an option.
     * @return sensitivity in ppm.
     */
    public long markSensitivityPpm(final boolean isOption)
    {
        return isOption ? Fixed.PPM : parameters.initialMarginRatePpm();
    }

    private long optionCharge(final long quantity, final long contractSize, final long markPrice, final long strike)
    {
        if (quantity >= 0)
        {
            return Fixed.notional(quantity, contractSize, markPrice);
        }
        final long contracts = -quantity;
        return Math.addExact(Fixed.notional(contracts, contractSize, markPrice),
            Fixed.mulPpmUp(Fixed.notional(contracts, contractSize, strike), parameters.shortOptionRatePpm()));
    }

    private void touch(final int underlyingId)
    {
        if (!isTouched[underlyingId])
        {
            isTouched[underlyingId] = true;
            touched[touchedCount++] = underlyingId;
        }
    }
}
