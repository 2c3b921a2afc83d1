package io.clearing.margin;

/**
 * The configurable parameters of the margin model and of the lifecycle rules that depend on it. All rates are parts
 * per million. Mutable: the business-logic thread changes them when a risk-parameter command arrives, and the next
 * margin evaluation uses the new values. Not thread-safe.
 */
public final class RiskParameters
{
    /** Default futures and perpetual initial margin: 5% of net delta notional per underlying. */
    public static final long DEFAULT_INITIAL_MARGIN_RATE_PPM = 50_000L;
    /** Default maintenance margin: half of initial margin. */
    public static final long DEFAULT_MAINTENANCE_FACTOR_PPM = 500_000L;
    /** Default short option charge: 10% of strike notional on top of the option's mark value. */
    public static final long DEFAULT_SHORT_OPTION_RATE_PPM = 100_000L;
    /** Default liquidation penalty: 0.5% of liquidated notional. */
    public static final long DEFAULT_LIQUIDATION_PENALTY_PPM = 5_000L;
    /** Default funding interval: 8 hours. */
    public static final long DEFAULT_FUNDING_INTERVAL_NANOS = 8L * 3600L * 1_000_000_000L;
    /** Default clamp on the funding rate of one interval: 0.5%. */
    public static final long DEFAULT_FUNDING_CLAMP_PPM = 5_000L;

    private long initialMarginRatePpm = DEFAULT_INITIAL_MARGIN_RATE_PPM;
    private long maintenanceFactorPpm = DEFAULT_MAINTENANCE_FACTOR_PPM;
    private long shortOptionRatePpm = DEFAULT_SHORT_OPTION_RATE_PPM;
    private long liquidationPenaltyPpm = DEFAULT_LIQUIDATION_PENALTY_PPM;
    private long fundingIntervalNanos = DEFAULT_FUNDING_INTERVAL_NANOS;
    private long fundingClampPpm = DEFAULT_FUNDING_CLAMP_PPM;
    private long marginCallBufferPpm = 0L;

    /** @return a copy with the same values. */
    public RiskParameters copy()
    {
        final RiskParameters copy = new RiskParameters();
        copy.initialMarginRatePpm = initialMarginRatePpm;
        copy.maintenanceFactorPpm = maintenanceFactorPpm;
        copy.shortOptionRatePpm = shortOptionRatePpm;
        copy.liquidationPenaltyPpm = liquidationPenaltyPpm;
        copy.fundingIntervalNanos = fundingIntervalNanos;
        copy.fundingClampPpm = fundingClampPpm;
        copy.marginCallBufferPpm = marginCallBufferPpm;
        return copy;
    }

    /** @return futures initial margin per unit of net delta notional, ppm, 1..1,000,000. */
    public long initialMarginRatePpm()
    {
        return initialMarginRatePpm;
    }

    /** @return maintenance margin as a share of initial margin, ppm, 1..1,000,000. */
    public long maintenanceFactorPpm()
    {
        return maintenanceFactorPpm;
    }

    /** @return short option charge per unit of strike notional, ppm, 0..1,000,000. */
    public long shortOptionRatePpm()
    {
        return shortOptionRatePpm;
    }

    /** @return liquidation penalty per unit of liquidated notional, ppm, 0..100,000. */
    public long liquidationPenaltyPpm()
    {
        return liquidationPenaltyPpm;
    }

    /** @return nanoseconds between funding settlements, at least one minute. */
    public long fundingIntervalNanos()
    {
        return fundingIntervalNanos;
    }

    /** @return the largest absolute funding rate of one interval, ppm, 0..100,000. */
    public long fundingClampPpm()
    {
        return fundingClampPpm;
    }

    /** @return reserved for the Greeks-based model; stored and reported, not yet used. */
    public long marginCallBufferPpm()
    {
        return marginCallBufferPpm;
    }

    /** Sets the futures initial margin rate; see {@link #validate(int, long)} for the range. */
    public RiskParameters initialMarginRatePpm(final long value)
    {
        initialMarginRatePpm = value;
        return this;
    }

    /** Sets the maintenance factor; see {@link #validate(int, long)} for the range. */
    public RiskParameters maintenanceFactorPpm(final long value)
    {
        maintenanceFactorPpm = value;
        return this;
    }

    /** Sets the short option rate; see {@link #validate(int, long)} for the range. */
    public RiskParameters shortOptionRatePpm(final long value)
    {
        shortOptionRatePpm = value;
        return this;
    }

    /** Sets the liquidation penalty; see {@link #validate(int, long)} for the range. */
    public RiskParameters liquidationPenaltyPpm(final long value)
    {
        liquidationPenaltyPpm = value;
        return this;
    }

    /** Sets the funding interval; see {@link #validate(int, long)} for the range. */
    public RiskParameters fundingIntervalNanos(final long value)
    {
        fundingIntervalNanos = value;
        return this;
    }

    /** Sets the funding clamp; see {@link #validate(int, long)} for the range. */
    public RiskParameters fundingClampPpm(final long value)
    {
        fundingClampPpm = value;
        return this;
    }

    /** Sets the margin call buffer; see {@link #validate(int, long)} for the range. */
    public RiskParameters marginCallBufferPpm(final long value)
    {
        marginCallBufferPpm = value;
        return this;
    }

    /** Parameter ids, equal to the raw values of the SBE {@code RiskParameter} enum. */
    public static final int INITIAL_MARGIN_RATE = 1;
    /** See {@link #INITIAL_MARGIN_RATE}. */
    public static final int MAINTENANCE_FACTOR = 2;
    /** See {@link #INITIAL_MARGIN_RATE}. */
    public static final int SHORT_OPTION_RATE = 3;
    /** See {@link #INITIAL_MARGIN_RATE}. */
    public static final int LIQUIDATION_PENALTY = 4;
    /** See {@link #INITIAL_MARGIN_RATE}. */
    public static final int FUNDING_INTERVAL = 5;
    /** See {@link #INITIAL_MARGIN_RATE}. */
    public static final int FUNDING_CLAMP = 6;
    /** See {@link #INITIAL_MARGIN_RATE}. */
    public static final int MARGIN_CALL_BUFFER = 7;

    /**
     * @param parameter a parameter id.
     * @param value     proposed value.
     * @return true when the parameter exists and the value is inside its range.
     */
    public static boolean validate(final int parameter, final long value)
    {
        switch (parameter)
        {
            case INITIAL_MARGIN_RATE:
            case MAINTENANCE_FACTOR:
                return value >= 1 && value <= Fixed.PPM;
            case SHORT_OPTION_RATE:
            case MARGIN_CALL_BUFFER:
                return value >= 0 && value <= Fixed.PPM;
            case LIQUIDATION_PENALTY:
            case FUNDING_CLAMP:
                return value >= 0 && value <= 100_000L;
            case FUNDING_INTERVAL:
                return value >= 60_000_000_000L && value <= 7L * 24L * 3600L * 1_000_000_000L;
            default:
                return false;
        }
    }

    /** @return the current value of a parameter, or {@link Long#MIN_VALUE} for an unknown id. */
    public long get(final int parameter)
    {
        switch (parameter)
        {
            case INITIAL_MARGIN_RATE: return initialMarginRatePpm;
            case MAINTENANCE_FACTOR: return maintenanceFactorPpm;
            case SHORT_OPTION_RATE: return shortOptionRatePpm;
            case LIQUIDATION_PENALTY: return liquidationPenaltyPpm;
            case FUNDING_INTERVAL: return fundingIntervalNanos;
            case FUNDING_CLAMP: return fundingClampPpm;
            case MARGIN_CALL_BUFFER: return marginCallBufferPpm;
            default: return Long.MIN_VALUE;
        }
    }

    /** Sets a parameter already checked by {@link #validate(int, long)}. */
    public void set(final int parameter, final long value)
    {
        switch (parameter)
        {
            case INITIAL_MARGIN_RATE: initialMarginRatePpm = value; break;
            case MAINTENANCE_FACTOR: maintenanceFactorPpm = value; break;
            case SHORT_OPTION_RATE: shortOptionRatePpm = value; break;
            case LIQUIDATION_PENALTY: liquidationPenaltyPpm = value; break;
            case FUNDING_INTERVAL: fundingIntervalNanos = value; break;
            case FUNDING_CLAMP: fundingClampPpm = value; break;
            case MARGIN_CALL_BUFFER: marginCallBufferPpm = value; break;
            default: throw new IllegalArgumentException("unknown risk parameter " + parameter);
        }
    }
}
