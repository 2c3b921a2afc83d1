package io.clearing.margin.option;

import com.opengamma.strata.pricer.impl.option.BlackFormulaRepository;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compares {@link Black76} with OpenGamma Strata's {@link BlackFormulaRepository} on 100,000 seeded random inputs,
 * each priced as a call and as a put: forward log-uniform in 0.01..100,000, strike/forward log-uniform in 0.2..5,
 * time to expiry log-uniform from one hour to 3 years, volatility uniform in 5%..300%, rate uniform in 0..10% with
 * a quarter of the draws at exactly 0.
 * <p>
 * Strata works in undiscounted (forward) value, so the reference is built with D = exp(-rT):
 * price = D * price, delta = D * delta, gamma = D * gamma, vega = D * vega, and
 * theta = D * driftlessTheta + r * (D * price), because with the forward fixed V(T) = exp(-rT) B(T) and so
 * -dV/dT = r V - D dB/dT, where Strata's driftlessTheta is -dB/dT. For the inputs drawn with r = 0 the theta is
 * also compared with driftlessTheta directly, with no construction at all.
 * <p>
 * Two measures are printed for every Greek.
 * <ul>
 *     <li>Relative: |ours - Strata| / max(|Strata|, floor), the floor being 1e-12 of the Greek's natural scale
 *     (F for price, vega and theta, 1 for delta, 1/F for gamma); below it a value is noise for a margin
 *     calculation and differences are judged in absolute terms.</li>
 *     <li>Conditioned: the same, with the denominator also at least the largest term the formula subtracts, since
 *     neither side can be more exact than that: F |delta| for the price (F N(d1) against K N(d2)), |r V| for the
 *     theta (decay against carry, which cross zero). Delta, gamma and vega are products, so both measures agree.</li>
 * </ul>
 * Bounds. Both sides evaluate the same formulas with double-precision normal functions, each term good to a few
 * ulps. The density-based Greeks inherit the sensitivity of &phi;(d1) to d1, a relative change of d1<sup>2</sup>
 * times the relative change of d1; above the floor |d1| stays below about 8, and Strata's density computes
 * exp(-d1<sup>2</sup>/2) directly, losing about d1<sup>2</sup>/2 ulps, so a few 1e-15 are expected: every Greek
 * must agree within 1e-13 on the conditioned measure. On the plain relative measure the price of an out-of-the-money
 * option just above the floor is the difference of two terms up to 11,000 times larger (at &sigma;&radic;T = 5.3e-4,
 * one hour at 5%), each a few ulps off on either side, so up to about 1e-11 is possible: the price must agree within
 * 2e-11. The worst case of this seed, a put with F = 3187.2, K = 3083.3, one day to expiry, 39% volatility, is off
 * by 9.6e-13 here and 3.4e-12 in Strata against a 50-digit evaluation.
 */
class Black76StrataTest
{
    private static final long SEED = 0x5EED_B1AC_76L;
    private static final int INPUTS = 100_000;
    private static final double YEARS_PER_HOUR = 1.0 / (365.25 * 24.0);
    private static final double FLOOR = 1e-12;

    private static final double CONDITIONED_BOUND = 1e-13;
    private static final double PRICE_RELATIVE_BOUND = 2e-11;

    private static final String[] NAMES = {"price", "delta", "gamma", "vega", "theta", "theta (r = 0, direct)"};
    private static final double[] MAX_RELATIVE = new double[NAMES.length];
    private static final double[] MAX_CONDITIONED = new double[NAMES.length];
    private static int rateZeroCount;

    @BeforeAll
    static void compareAll()
    {
        final Random random = new Random(SEED);
        final OptionGreeks greeks = new OptionGreeks();
        for (int i = 0; i < INPUTS; i++)
        {
            final double forward = 0.01 * StrictMath.exp(random.nextDouble() * StrictMath.log(1e7));
            final double strike = forward * 0.2 * StrictMath.exp(random.nextDouble() * StrictMath.log(25.0));
            final double years =
                YEARS_PER_HOUR * StrictMath.exp(random.nextDouble() * StrictMath.log(3.0 / YEARS_PER_HOUR));
            final double vol = 0.05 + 2.95 * random.nextDouble();
            final double rate = random.nextInt(4) == 0 ? 0.0 : 0.10 * random.nextDouble();
            if (rate == 0.0)
            {
                rateZeroCount++;
            }
            compare(true, forward, strike, years, rate, vol, greeks);
            compare(false, forward, strike, years, rate, vol, greeks);
        }
        for (int i = 0; i < NAMES.length; i++)
        {
            System.out.printf(
                "Black76 vs Strata, %d inputs x call/put: largest difference in %s: relative %.3e, conditioned %.3e%n",
                INPUTS, NAMES[i], MAX_RELATIVE[i], MAX_CONDITIONED[i]);
        }
    }

    private static void compare(
        final boolean isCall,
        final double forward,
        final double strike,
        final double years,
        final double rate,
        final double vol,
        final OptionGreeks greeks)
    {
        Black76.greeks(isCall, forward, strike, years, rate, vol, greeks);
        final double discount = StrictMath.exp(-rate * years);
        final double price = discount * BlackFormulaRepository.price(forward, strike, years, vol, isCall);
        final double delta = discount * BlackFormulaRepository.delta(forward, strike, years, vol, isCall);
        final double gamma = discount * BlackFormulaRepository.gamma(forward, strike, years, vol);
        final double vega = discount * BlackFormulaRepository.vega(forward, strike, years, vol);
        final double driftlessTheta = BlackFormulaRepository.driftlessTheta(forward, strike, years, vol);
        final double theta = discount * driftlessTheta + rate * price;

        record(0, greeks.price(), price, FLOOR * forward, forward * Math.abs(delta));
        record(1, greeks.delta(), delta, FLOOR, 0.0);
        record(2, greeks.gamma(), gamma, FLOOR / forward, 0.0);
        record(3, greeks.vega(), vega, FLOOR * forward, 0.0);
        record(4, greeks.theta(), theta, FLOOR * forward, Math.abs(rate * price));
        if (rate == 0.0)
        {
            record(5, greeks.theta(), driftlessTheta, FLOOR * forward, 0.0);
        }
    }

    private static void record(
        final int index, final double actual, final double expected, final double floor, final double largestTerm)
    {
        final double difference = Math.abs(actual - expected);
        final double scale = Math.max(Math.abs(expected), floor);
        MAX_RELATIVE[index] = Math.max(MAX_RELATIVE[index], difference / scale);
        MAX_CONDITIONED[index] = Math.max(MAX_CONDITIONED[index], difference / Math.max(scale, largestTerm));
    }

    @Test
    void coversRateZeroInputsForTheDirectThetaComparison()
    {
        assertTrue(rateZeroCount > INPUTS / 5, "rate = 0 inputs: " + rateZeroCount);
    }

    @Test
    void priceAgreesWithStrataRelativeToTheValue()
    {
        assertTrue(MAX_RELATIVE[0] <= PRICE_RELATIVE_BOUND, "price " + MAX_RELATIVE[0]);
    }

    @Test
    void priceAgreesWithStrataRelativeToTheLargerTerm()
    {
        assertTrue(MAX_CONDITIONED[0] <= CONDITIONED_BOUND, "price " + MAX_CONDITIONED[0]);
    }

    @Test
    void deltaAgreesWithStrata()
    {
        assertTrue(MAX_RELATIVE[1] <= CONDITIONED_BOUND, "delta " + MAX_RELATIVE[1]);
    }

    @Test
    void gammaAgreesWithStrata()
    {
        assertTrue(MAX_RELATIVE[2] <= CONDITIONED_BOUND, "gamma " + MAX_RELATIVE[2]);
    }

    @Test
    void vegaAgreesWithStrata()
    {
        assertTrue(MAX_RELATIVE[3] <= CONDITIONED_BOUND, "vega " + MAX_RELATIVE[3]);
    }

    @Test
    void thetaAgreesWithDiscountedStrataTheta()
    {
        assertTrue(MAX_CONDITIONED[4] <= CONDITIONED_BOUND, "theta " + MAX_CONDITIONED[4]);
    }

    @Test
    void thetaAtZeroRateAgreesWithStrataDriftlessTheta()
    {
        assertTrue(MAX_RELATIVE[5] <= CONDITIONED_BOUND, "theta at r = 0 " + MAX_RELATIVE[5]);
    }
}
