package io.clearing.margin;

import java.util.Arrays;

/**
 * The parameters of the portfolio margin model and of the lifecycle rules that use it, all in parts per million
 * unless the name says otherwise (see docs/margin-methodology.md). The price range and the volatility shocks are set
 * per underlying (risk unit); the rest are global. Mutable: the business-logic thread changes them when a
 * RiskParameterUpdate command arrives and the next evaluation uses the new values. Not thread-safe.
 */
public final class RiskParameters
{
    /** Underlyings that may carry their own price range and volatility shocks. */
    public static final int MAX_UNDERLYINGS = 64;

    /** Parameter ids, equal to the raw values of the SBE {@code RiskParameter} enum. */
    public static final int PRICE_RANGE = 1;
    /** See {@link #PRICE_RANGE}. */
    public static final int VOL_UP = 2;
    /** See {@link #PRICE_RANGE}. */
    public static final int VOL_DOWN = 3;
    /** See {@link #PRICE_RANGE}. */
    public static final int EXTREME_MOVE = 4;
    /** See {@link #PRICE_RANGE}. */
    public static final int EXTREME_WEIGHT = 5;
    /** See {@link #PRICE_RANGE}. */
    public static final int SHORT_OPTION_MINIMUM = 6;
    /** See {@link #PRICE_RANGE}. */
    public static final int DELTA_SHOCK = 7;
    /** See {@link #PRICE_RANGE}. */
    public static final int ROLL_SHOCK = 8;
    /** See {@link #PRICE_RANGE}. */
    public static final int INITIAL_MARGIN_FACTOR = 9;
    /** See {@link #PRICE_RANGE}. */
    public static final int LIQUIDATION_PENALTY = 10;
    /** See {@link #PRICE_RANGE}. */
    public static final int FUNDING_INTERVAL = 11;
    /** See {@link #PRICE_RANGE}. */
    public static final int FUNDING_CLAMP = 12;
    /** See {@link #PRICE_RANGE}. */
    public static final int RECOVERY_BUFFER = 13;
    /** Highest parameter id. */
    public static final int MAX_PARAMETER = 13;

    private final long[] priceRangePpm = new long[MAX_UNDERLYINGS];
    private final long[] volUpPpm = new long[MAX_UNDERLYINGS];
    private final long[] volDownPpm = new long[MAX_UNDERLYINGS];
    private long extremeMovePpm = 330_000L;
    private long extremeWeightPpm = 330_000L;
    private long shortOptionMinimumPpm = 10_000L;
    private long deltaShockPpm = 5_000L;
    private long rollShockPpm = 10_000L;
    private long initialMarginFactorPpm = 1_300_000L;
    private long liquidationPenaltyPpm = 5_000L;
    private long fundingIntervalNanos = 8L * 3600L * 1_000_000_000L;
    private long fundingClampPpm = 5_000L;
    private long recoveryBufferPpm = 50_000L;
    private long version;

    /** Defaults: +-16% price range, vol up 50% / down 25% (scaled by time to expiry), extremes +-33% at 33%. */
    public RiskParameters()
    {
        Arrays.fill(priceRangePpm, 160_000L);
        Arrays.fill(volUpPpm, 500_000L);
        Arrays.fill(volDownPpm, 250_000L);
    }

    /** @return a copy with the same values. */
    public RiskParameters copy()
    {
        final RiskParameters copy = new RiskParameters();
        System.arraycopy(priceRangePpm, 0, copy.priceRangePpm, 0, MAX_UNDERLYINGS);
        System.arraycopy(volUpPpm, 0, copy.volUpPpm, 0, MAX_UNDERLYINGS);
        System.arraycopy(volDownPpm, 0, copy.volDownPpm, 0, MAX_UNDERLYINGS);
        copy.extremeMovePpm = extremeMovePpm;
        copy.extremeWeightPpm = extremeWeightPpm;
        copy.shortOptionMinimumPpm = shortOptionMinimumPpm;
        copy.deltaShockPpm = deltaShockPpm;
        copy.rollShockPpm = rollShockPpm;
        copy.initialMarginFactorPpm = initialMarginFactorPpm;
        copy.liquidationPenaltyPpm = liquidationPenaltyPpm;
        copy.fundingIntervalNanos = fundingIntervalNanos;
        copy.fundingClampPpm = fundingClampPpm;
        copy.recoveryBufferPpm = recoveryBufferPpm;
        return copy;
    }

    /** @return the largest price move of the scenario grid for an underlying (16% by default). */
    public long priceRangePpm(final int underlyingId)
    {
        return priceRangePpm[underlyingId];
    }

    /** @return the volatility-up shock at 30 days to expiry, relative to the mark vol (50% by default). */
    public long volUpPpm(final int underlyingId)
    {
        return volUpPpm[underlyingId];
    }

    /** @return the volatility-down shock at 30 days to expiry, relative to the mark vol (25% by default). */
    public long volDownPpm(final int underlyingId)
    {
        return volDownPpm[underlyingId];
    }

    /** @return the extreme price move, counted in part (33% by default). */
    public long extremeMovePpm()
    {
        return extremeMovePpm;
    }

    /** @return the share of an extreme move's loss that counts (33% by default, as in SPAN). */
    public long extremeWeightPpm()
    {
        return extremeWeightPpm;
    }

    /** @return floor per net short option contract, share of underlying notional (1% by default). */
    public long shortOptionMinimumPpm()
    {
        return shortOptionMinimumPpm;
    }

    /** @return add-on on the risk unit's net delta notional (0.5% by default). */
    public long deltaShockPpm()
    {
        return deltaShockPpm;
    }

    /** @return add-on on futures delta netted across expiries, the basis risk of spreads (1% by default). */
    public long rollShockPpm()
    {
        return rollShockPpm;
    }

    /** @return initial margin as a multiple of maintenance margin (1.3 by default, as OKX). */
    public long initialMarginFactorPpm()
    {
        return initialMarginFactorPpm;
    }

    /** @return liquidation penalty on liquidated notional (0.5% by default). */
    public long liquidationPenaltyPpm()
    {
        return liquidationPenaltyPpm;
    }

    /** @return nanoseconds between funding settlements (8 hours by default). */
    public long fundingIntervalNanos()
    {
        return fundingIntervalNanos;
    }

    /** @return largest absolute funding rate of one interval (0.5% by default). */
    public long fundingClampPpm()
    {
        return fundingClampPpm;
    }

    /**
     * @return how far above initial margin a margin-call account's equity must come back before it is healthy again
     * (5% of initial margin by default): hysteresis, so an account at the edge does not flip state on every tick.
     */
    public long recoveryBufferPpm()
    {
        return recoveryBufferPpm;
    }

    /** @return a counter that changes with every {@link #set}: caches built from the parameters compare it. */
    public long version()
    {
        return version;
    }

    /**
     * Restores the change counter, after the values, when loading a snapshot: risk arrays remember the version they
     * were built under.
     *
     * @param value the {@link #version()} of the parameters the snapshot was taken from.
     */
    public void restoreVersion(final long value)
    {
        version = value;
    }

    /** @return true for parameters that may be set per underlying. */
    public static boolean isPerUnderlying(final int parameter)
    {
        return parameter == PRICE_RANGE || parameter == VOL_UP || parameter == VOL_DOWN;
    }

    /**
     * @param parameter    a parameter id.
     * @param underlyingId -1 for all underlyings (and for global parameters), else 0..63 for a per-underlying one.
     * @param value        proposed value.
     * @return true when the parameter exists, the scope fits it and the value is inside its range.
     */
    public static boolean validate(final int parameter, final int underlyingId, final long value)
    {
        if (underlyingId != -1 && (!isPerUnderlying(parameter) || underlyingId < 0 || underlyingId >= MAX_UNDERLYINGS))
        {
            return false;
        }
        switch (parameter)
        {
            case PRICE_RANGE: return value >= 10_000L && value <= 900_000L;
            case VOL_UP: return value >= 0 && value <= 5_000_000L;
            case VOL_DOWN: return value >= 0 && value <= 900_000L;
            case EXTREME_MOVE: return value >= 0 && value <= 900_000L;
            case EXTREME_WEIGHT: return value >= 0 && value <= Fixed.PPM;
            case SHORT_OPTION_MINIMUM:
            case DELTA_SHOCK:
            case ROLL_SHOCK:
                return value >= 0 && value <= 500_000L;
            case INITIAL_MARGIN_FACTOR: return value >= Fixed.PPM && value <= 10 * Fixed.PPM;
            case LIQUIDATION_PENALTY:
            case FUNDING_CLAMP:
                return value >= 0 && value <= 100_000L;
            case FUNDING_INTERVAL: return value >= 60_000_000_000L && value <= 7L * 24L * 3600L * 1_000_000_000L;
            case RECOVERY_BUFFER: return value >= 0 && value <= Fixed.PPM;
            default: return false;
        }
    }

    /** @return the current value ({@code underlyingId} -1 reads underlying 0 for per-underlying parameters). */
    public long get(final int parameter, final int underlyingId)
    {
        final int u = underlyingId < 0 ? 0 : underlyingId;
        switch (parameter)
        {
            case PRICE_RANGE: return priceRangePpm[u];
            case VOL_UP: return volUpPpm[u];
            case VOL_DOWN: return volDownPpm[u];
            case EXTREME_MOVE: return extremeMovePpm;
            case EXTREME_WEIGHT: return extremeWeightPpm;
            case SHORT_OPTION_MINIMUM: return shortOptionMinimumPpm;
            case DELTA_SHOCK: return deltaShockPpm;
            case ROLL_SHOCK: return rollShockPpm;
            case INITIAL_MARGIN_FACTOR: return initialMarginFactorPpm;
            case LIQUIDATION_PENALTY: return liquidationPenaltyPpm;
            case FUNDING_INTERVAL: return fundingIntervalNanos;
            case FUNDING_CLAMP: return fundingClampPpm;
            case RECOVERY_BUFFER: return recoveryBufferPpm;
            default: return Long.MIN_VALUE;
        }
    }

    /**
     * Sets a parameter already checked by {@link #validate(int, int, long)}.
     *
     * @return this.
     */
    public RiskParameters set(final int parameter, final int underlyingId, final long value)
    {
        version++;
        switch (parameter)
        {
            case PRICE_RANGE: setPerUnderlying(priceRangePpm, underlyingId, value); break;
            case VOL_UP: setPerUnderlying(volUpPpm, underlyingId, value); break;
            case VOL_DOWN: setPerUnderlying(volDownPpm, underlyingId, value); break;
            case EXTREME_MOVE: extremeMovePpm = value; break;
            case EXTREME_WEIGHT: extremeWeightPpm = value; break;
            case SHORT_OPTION_MINIMUM: shortOptionMinimumPpm = value; break;
            case DELTA_SHOCK: deltaShockPpm = value; break;
            case ROLL_SHOCK: rollShockPpm = value; break;
            case INITIAL_MARGIN_FACTOR: initialMarginFactorPpm = value; break;
            case LIQUIDATION_PENALTY: liquidationPenaltyPpm = value; break;
            case FUNDING_INTERVAL: fundingIntervalNanos = value; break;
            case FUNDING_CLAMP: fundingClampPpm = value; break;
            case RECOVERY_BUFFER: recoveryBufferPpm = value; break;
            default: throw new IllegalArgumentException("unknown risk parameter " + parameter);
        }
        return this;
    }

    private static void setPerUnderlying(final long[] values, final int underlyingId, final long value)
    {
        if (underlyingId < 0)
        {
            Arrays.fill(values, value);
        }
        else
        {
            values[underlyingId] = value;
        }
    }
}
