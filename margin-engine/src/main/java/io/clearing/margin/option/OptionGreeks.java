package io.clearing.margin.option;

/**
 * Reusable holder for the value and first-order sensitivities of one European option, filled by
 * {@link Black76#greeks(boolean, double, double, double, double, double, OptionGreeks)} so that pricing allocates
 * nothing. Each call overwrites every field.
 * <p>
 * Units: the value is a present value in the currency of the forward and strike, per one unit of underlying.
 * Not thread-safe: one instance per thread, or hand it over with a happens-before edge.
 */
public final class OptionGreeks
{
    private double price;
    private double delta;
    private double gamma;
    private double vega;
    private double theta;

    /** @return present value per unit of underlying, in the currency of the forward. */
    public double price()
    {
        return price;
    }

    /** @return dV/dF, present value per unit change of the forward; in [0, D] for a call, [-D, 0] for a put. */
    public double delta()
    {
        return delta;
    }

    /** @return d<sup>2</sup>V/dF<sup>2</sup>, per unit of forward squared; never negative. */
    public double gamma()
    {
        return gamma;
    }

    /** @return dV/d&sigma; per 1.00 (100 points) of volatility; never negative. */
    public double vega()
    {
        return vega;
    }

    /** @return -dV/dT per year of time to expiry, the forward held fixed; negative when value decays. */
    public double theta()
    {
        return theta;
    }

    void set(final double price, final double delta, final double gamma, final double vega, final double theta)
    {
        this.price = price;
        this.delta = delta;
        this.gamma = gamma;
        this.vega = vega;
        this.theta = theta;
    }

    /** {@inheritDoc} */
    @Override
    public String toString()
    {
        return "OptionGreeks{price=" + price + ", delta=" + delta + ", gamma=" + gamma + ", vega=" + vega +
            ", theta=" + theta + '}';
    }
}
