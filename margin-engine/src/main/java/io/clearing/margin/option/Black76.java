package io.clearing.margin.option;

/**
 * Black-76 value and Greeks of a European call or put on a forward.
 * <p>
 * With D = exp(-rT), s = &sigma;&radic;T, d1 = ln(F/K)/s + s/2 and d2 = d1 - s:
 * <ul>
 *     <li>call = D (F N(d1) - K N(d2)), put = D (K N(-d2) - F N(-d1));</li>
 *     <li>delta = dV/dF = D N(d1) for a call, -D N(-d1) for a put;</li>
 *     <li>gamma = D &phi;(d1) / (F s);</li>
 *     <li>vega = D F &phi;(d1) &radic;T, per 1.00 of volatility;</li>
 *     <li>theta = -dV/dT per year with the forward held fixed = -D F &phi;(d1) &sigma; / (2&radic;T) + r V.</li>
 * </ul>
 * N and &phi; are {@link NormalDistribution}; exp and log are {@link StrictMath}, so every result is the same bit
 * pattern on every JDK and CPU.
 * <p>
 * Edge cases, chosen on purpose:
 * <ul>
 *     <li>yearsToExpiry &le; 0 (expired) or &sigma;&radic;T == 0 (zero volatility, or T so small that the product
 *     underflows): the discounted intrinsic value D max(F - K, 0) for a call, D max(K - F, 0) for a put; delta D or
 *     0 for a call, -D or 0 for a put, and exactly half of that (D/2, -D/2) when F == K; gamma 0; vega 0;
 *     theta r V. A negative yearsToExpiry is treated as 0, so an expired option is not discounted (D = 1).</li>
 *     <li>The value is never below the discounted intrinsic value: where rounding would take it below, the
 *     intrinsic value is returned. Deep in or out of the money nothing is NaN; d1 may be infinite, in which case
 *     N(d1) is 0 or 1 and &phi;(d1) is 0.</li>
 *     <li>Invalid input throws {@link IllegalArgumentException}: forward or strike not a finite number &gt; 0,
 *     volatility not a finite number &ge; 0, yearsToExpiry or rate not finite (NaN or infinite), or rT below
 *     about -709.78 so that D would overflow. These are contract violations, not outcomes to branch on.</li>
 * </ul>
 * Accuracy: put-call parity C - P = D (F - K) holds to a few ulps of F. Against OpenGamma Strata's
 * BlackFormulaRepository on 200,000 random options (Black76StrataTest) delta, gamma and vega agree within 2e-14
 * relative, price and theta within 2e-14 of the larger of the two terms their formulas subtract; out-of-the-money
 * prices near 1e-12 F lose up to about 1e-11 of their own size to that cancellation, on both sides.
 * <p>
 * Stateless and thread-safe; nothing is allocated except on the exception path.
 */
public final class Black76
{
    private Black76()
    {
    }

    /**
     * Present value of a European option.
     *
     * @param isCall        true for a call, false for a put.
     * @param forward       forward price of the underlying at expiry, &gt; 0, finite.
     * @param strike        strike, in the units of the forward, &gt; 0, finite.
     * @param yearsToExpiry time to expiry in years, finite; &le; 0 means expired.
     * @param rate          continuously compounded discount rate per year, finite, may be negative.
     * @param vol           Black volatility per &radic;year (0.8 is 80%), &ge; 0, finite.
     * @return the present value per unit of underlying, in the units of the forward; equal bit for bit to the
     * price that {@link #greeks(boolean, double, double, double, double, double, OptionGreeks)} computes.
     * @throws IllegalArgumentException if an input is outside the ranges above.
     */
    public static double price(
        final boolean isCall,
        final double forward,
        final double strike,
        final double yearsToExpiry,
        final double rate,
        final double vol)
    {
        validate(forward, strike, yearsToExpiry, rate, vol);
        final double years = yearsToExpiry > 0.0 ? yearsToExpiry : 0.0;
        final double discount = discountFactor(rate, years);
        final double stdDev = vol * Math.sqrt(years);
        if (stdDev == 0.0)
        {
            return discount * intrinsic(isCall, forward, strike);
        }

        final double d1 = d1(forward, strike, stdDev);
        final double d2 = d1 - stdDev;
        return isCall ?
            callPrice(forward, strike, discount, NormalDistribution.cdf(d1), d2) :
            putPrice(forward, strike, discount, NormalDistribution.cdf(-d1), d2);
    }

    /**
     * Present value and Greeks of a European option, written into {@code out}.
     *
     * @param isCall        true for a call, false for a put.
     * @param forward       forward price of the underlying at expiry, &gt; 0, finite.
     * @param strike        strike, in the units of the forward, &gt; 0, finite.
     * @param yearsToExpiry time to expiry in years, finite; &le; 0 means expired.
     * @param rate          continuously compounded discount rate per year, finite, may be negative.
     * @param vol           Black volatility per &radic;year (0.8 is 80%), &ge; 0, finite.
     * @param out           receives price, delta, gamma, vega and theta; every field is overwritten.
     * @throws IllegalArgumentException if an input is outside the ranges above; {@code out} is then unchanged.
     */
    public static void greeks(
        final boolean isCall,
        final double forward,
        final double strike,
        final double yearsToExpiry,
        final double rate,
        final double vol,
        final OptionGreeks out)
    {
        validate(forward, strike, yearsToExpiry, rate, vol);
        final double years = yearsToExpiry > 0.0 ? yearsToExpiry : 0.0;
        final double discount = discountFactor(rate, years);
        final double sqrtYears = Math.sqrt(years);
        final double stdDev = vol * sqrtYears;
        if (stdDev == 0.0)
        {
            final double price = discount * intrinsic(isCall, forward, strike);
            out.set(price, expiredDelta(isCall, forward, strike, discount), 0.0, 0.0, rate * price);
            return;
        }

        final double d1 = d1(forward, strike, stdDev);
        final double d2 = d1 - stdDev;
        final double price;
        final double delta;
        if (isCall)
        {
            final double nd1 = NormalDistribution.cdf(d1);
            price = callPrice(forward, strike, discount, nd1, d2);
            delta = discount * nd1;
        }
        else
        {
            final double nMinusD1 = NormalDistribution.cdf(-d1);
            price = putPrice(forward, strike, discount, nMinusD1, d2);
            delta = -discount * nMinusD1;
        }

        // Dividing in two steps keeps gamma 0 rather than 0/0 when the density underflows and F * s underflows too.
        final double density = NormalDistribution.pdf(d1);
        final double gamma = discount * density / forward / stdDev;
        final double discountedForwardDensity = discount * forward * density;
        final double vega = discountedForwardDensity * sqrtYears;
        final double theta = -discountedForwardDensity * vol / (2.0 * sqrtYears) + rate * price;
        out.set(price, delta, gamma, vega, theta);
    }

    private static double d1(final double forward, final double strike, final double stdDev)
    {
        // ln(F/K)/s + s/2 rather than (ln(F/K) + s^2/2)/s: same value, no overflow of s^2 for absurd inputs.
        return StrictMath.log(forward / strike) / stdDev + 0.5 * stdDev;
    }

    private static double callPrice(
        final double forward, final double strike, final double discount, final double nd1, final double d2)
    {
        final double price = discount * (forward * nd1 - strike * NormalDistribution.cdf(d2));
        return Math.max(price, discount * Math.max(forward - strike, 0.0));
    }

    private static double putPrice(
        final double forward, final double strike, final double discount, final double nMinusD1, final double d2)
    {
        final double price = discount * (strike * NormalDistribution.cdf(-d2) - forward * nMinusD1);
        return Math.max(price, discount * Math.max(strike - forward, 0.0));
    }

    private static double intrinsic(final boolean isCall, final double forward, final double strike)
    {
        return isCall ? Math.max(forward - strike, 0.0) : Math.max(strike - forward, 0.0);
    }

    private static double expiredDelta(
        final boolean isCall, final double forward, final double strike, final double discount)
    {
        if (forward == strike)
        {
            return isCall ? 0.5 * discount : -0.5 * discount;
        }
        if (isCall)
        {
            return forward > strike ? discount : 0.0;
        }
        return forward < strike ? -discount : 0.0;
    }

    private static double discountFactor(final double rate, final double years)
    {
        if (rate == 0.0)
        {
            // exp(-0 x years) is exactly 1 for any finite years: the same bits without the call (the margin
            // calculator prices at rate 0, 30 times per option refresh).
            return 1.0;
        }
        final double discount = StrictMath.exp(-rate * years);
        if (discount == Double.POSITIVE_INFINITY)
        {
            throw new IllegalArgumentException(
                "rate * yearsToExpiry too negative, discount factor overflows: rate=" + rate + " years=" + years);
        }
        return discount;
    }

    private static void validate(
        final double forward, final double strike, final double yearsToExpiry, final double rate, final double vol)
    {
        if (!(forward > 0.0 && forward < Double.POSITIVE_INFINITY))
        {
            throw new IllegalArgumentException("forward must be finite and > 0: " + forward);
        }
        if (!(strike > 0.0 && strike < Double.POSITIVE_INFINITY))
        {
            throw new IllegalArgumentException("strike must be finite and > 0: " + strike);
        }
        if (!Double.isFinite(yearsToExpiry))
        {
            throw new IllegalArgumentException("yearsToExpiry must be finite: " + yearsToExpiry);
        }
        if (!Double.isFinite(rate))
        {
            throw new IllegalArgumentException("rate must be finite: " + rate);
        }
        if (!(vol >= 0.0 && vol < Double.POSITIVE_INFINITY))
        {
            throw new IllegalArgumentException("vol must be finite and >= 0: " + vol);
        }
    }
}
