package io.clearing.margin.option;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reference values are 50-digit mpmath evaluations of the formulas in the {@link Black76} Javadoc, rounded to double.
 */
class Black76Test
{
    private static final double REFERENCE_TOLERANCE = 1e-14;

    private final OptionGreeks greeks = new OptionGreeks();

    @ParameterizedTest
    @CsvSource({
        "true, 100, 100, 1, 0.05, 0.2, 7.577082146427273, 0.5135001229824934, 0.018879647164532512, " +
            "37.75929432906503, -3.397075325585139",
        "false, 100, 100, 1, 0.05, 0.2, 7.577082146427273, -0.43772930151822065, 0.018879647164532512, " +
            "37.75929432906503, -3.397075325585139",
        "true, 100, 100, 1, 0, 0.2, 7.965567455405797, 0.539827837277029, 0.019847627373850586, " +
            "39.69525474770118, -3.969525474770118",
        "true, 60000, 75000, 0.25, 0.03, 0.65, 3139.17544013608, 0.29786366845290235, 1.7699992420702994e-05, " +
            "10354.49556611125, -13366.668972740545",
        "false, 60000, 75000, 0.25, 0.03, 0.65, 18027.096262423158, -0.6946643863662361, 1.7699992420702994e-05, " +
            "10354.49556611125, -12920.031348071932",
    })
    void matchesHighPrecisionReference(
        final boolean isCall,
        final double forward,
        final double strike,
        final double years,
        final double rate,
        final double vol,
        final double price,
        final double delta,
        final double gamma,
        final double vega,
        final double theta)
    {
        Black76.greeks(isCall, forward, strike, years, rate, vol, greeks);
        assertRelativelyClose(price, greeks.price(), "price");
        assertRelativelyClose(delta, greeks.delta(), "delta");
        assertRelativelyClose(gamma, greeks.gamma(), "gamma");
        assertRelativelyClose(vega, greeks.vega(), "vega");
        assertRelativelyClose(theta, greeks.theta(), "theta");
    }

    @Test
    void priceEqualsTheGreeksPriceBitForBit()
    {
        final Random random = new Random(11);
        for (int i = 0; i < 10_000; i++)
        {
            final boolean isCall = random.nextBoolean();
            final double forward = 100.0;
            final double strike = 100.0 * (0.2 + 4.8 * random.nextDouble());
            final double years = 3.0 * random.nextDouble();
            final double rate = 0.1 * random.nextDouble();
            final double vol = 3.0 * random.nextDouble();
            Black76.greeks(isCall, forward, strike, years, rate, vol, greeks);
            assertEquals(greeks.price(), Black76.price(isCall, forward, strike, years, rate, vol));
        }
    }

    @Test
    void putCallParityHoldsToAFewUlpsOfTheForward()
    {
        final Random random = new Random(12);
        for (int i = 0; i < 10_000; i++)
        {
            final double forward = 0.01 * StrictMath.exp(random.nextDouble() * StrictMath.log(1e7));
            final double strike = forward * 0.2 * StrictMath.exp(random.nextDouble() * StrictMath.log(25.0));
            final double years = 3.0 * random.nextDouble();
            final double rate = 0.1 * random.nextDouble();
            final double vol = 0.05 + 2.95 * random.nextDouble();
            final double call = Black76.price(true, forward, strike, years, rate, vol);
            final double put = Black76.price(false, forward, strike, years, rate, vol);
            final double forwardValue = StrictMath.exp(-rate * years) * (forward - strike);
            assertEquals(forwardValue, call - put, 1e-14 * forward, "input " + i);
        }
    }

    @Test
    void expiredOptionIsIntrinsicValueWithNoTimeValue()
    {
        Black76.greeks(true, 120.0, 100.0, 0.0, 0.05, 0.8, greeks);
        assertGreeks(20.0, 1.0, 0.0, 0.0, 0.05 * 20.0);

        Black76.greeks(false, 120.0, 100.0, 0.0, 0.05, 0.8, greeks);
        assertGreeks(0.0, 0.0, 0.0, 0.0, 0.0);

        Black76.greeks(false, 80.0, 100.0, 0.0, 0.05, 0.8, greeks);
        assertGreeks(20.0, -1.0, 0.0, 0.0, 0.05 * 20.0);

        Black76.greeks(true, 80.0, 100.0, 0.0, 0.05, 0.8, greeks);
        assertGreeks(0.0, 0.0, 0.0, 0.0, 0.0);
    }

    @Test
    void negativeTimeToExpiryIsTreatedAsExpiredAndUndiscounted()
    {
        Black76.greeks(true, 120.0, 100.0, -0.5, 0.05, 0.8, greeks);
        assertGreeks(20.0, 1.0, 0.0, 0.0, 0.05 * 20.0);
        assertEquals(20.0, Black76.price(true, 120.0, 100.0, -0.5, 0.05, 0.8));
    }

    @Test
    void zeroVolatilityIsDiscountedIntrinsicValue()
    {
        final double discount = StrictMath.exp(-0.05 * 2.0);

        Black76.greeks(true, 120.0, 100.0, 2.0, 0.05, 0.0, greeks);
        assertGreeks(discount * 20.0, discount, 0.0, 0.0, 0.05 * (discount * 20.0));

        Black76.greeks(false, 80.0, 100.0, 2.0, 0.05, 0.0, greeks);
        assertGreeks(discount * 20.0, -discount, 0.0, 0.0, 0.05 * (discount * 20.0));

        Black76.greeks(false, 120.0, 100.0, 2.0, 0.05, 0.0, greeks);
        assertGreeks(0.0, 0.0, 0.0, 0.0, 0.0);
    }

    @Test
    void atTheMoneyWithNoTimeValueHasHalfTheDiscountFactorAsDelta()
    {
        final double discount = StrictMath.exp(-0.05 * 2.0);

        Black76.greeks(true, 100.0, 100.0, 2.0, 0.05, 0.0, greeks);
        assertGreeks(0.0, 0.5 * discount, 0.0, 0.0, 0.0);

        Black76.greeks(false, 100.0, 100.0, 2.0, 0.05, 0.0, greeks);
        assertGreeks(0.0, -0.5 * discount, 0.0, 0.0, 0.0);

        Black76.greeks(true, 100.0, 100.0, 0.0, 0.05, 0.5, greeks);
        assertGreeks(0.0, 0.5, 0.0, 0.0, 0.0);
    }

    @Test
    void standardDeviationThatUnderflowsToZeroIsTreatedAsZeroVolatility()
    {
        Black76.greeks(true, 120.0, 100.0, 0.25, 0.0, Double.MIN_VALUE, greeks);
        assertGreeks(20.0, 1.0, 0.0, 0.0, 0.0);
    }

    @Test
    void tinyButNonZeroStandardDeviationGivesNoNaN()
    {
        for (final double strike : new double[] {50.0, 100.0, 150.0})
        {
            for (final boolean isCall : new boolean[] {true, false})
            {
                Black76.greeks(isCall, 100.0, strike, 1.0, 0.05, 1e-300, greeks);
                assertFiniteAndBounded(isCall, 100.0, strike, 1.0, 0.05);
            }
        }
    }

    @Test
    void deepInAndOutOfTheMoneyIsFiniteAndNeverBelowDiscountedIntrinsic()
    {
        final double[] moneyness = {1e-9, 1e-6, 1e-3, 0.01, 0.2, 0.9, 1.0, 1.1, 5.0, 100.0, 1e3, 1e6, 1e9};
        final double[] yearsToExpiry = {1e-12, 1e-6, 1.0 / 8766.0, 0.01, 0.5, 3.0, 30.0};
        final double[] vols = {1e-6, 0.01, 0.05, 0.8, 3.0, 10.0};
        final double[] rates = {-0.05, 0.0, 0.1};
        for (final double m : moneyness)
        {
            for (final double years : yearsToExpiry)
            {
                for (final double vol : vols)
                {
                    for (final double rate : rates)
                    {
                        for (final boolean isCall : new boolean[] {true, false})
                        {
                            Black76.greeks(isCall, 1000.0, 1000.0 * m, years, rate, vol, greeks);
                            assertFiniteAndBounded(isCall, 1000.0, 1000.0 * m, years, rate);
                        }
                    }
                }
            }
        }
    }

    @Test
    void volatilityOfTenHundredPercentIsStable()
    {
        Black76.greeks(true, 100.0, 100.0, 3.0, 0.05, 10.0, greeks);
        assertFiniteAndBounded(true, 100.0, 100.0, 3.0, 0.05);
        assertRelativelyClose(86.07079764250578, greeks.price(), "price");
        assertRelativelyClose(3.0781051358456403e-15, greeks.vega(), "vega");

        Black76.greeks(false, 100.0, 100.0, 3.0, 0.05, 10.0, greeks);
        assertFiniteAndBounded(false, 100.0, 100.0, 3.0, 0.05);
        assertRelativelyClose(86.07079764250578, greeks.price(), "price");
    }

    @Test
    void thetaIsMinusTheDerivativeOfPriceInTimeWithTheForwardFixed()
    {
        final Random random = new Random(13);
        for (int i = 0; i < 1_000; i++)
        {
            final boolean isCall = random.nextBoolean();
            final double strike = 100.0 * (0.5 + random.nextDouble());
            final double years = 0.05 + 2.0 * random.nextDouble();
            final double rate = 0.1 * random.nextDouble();
            final double vol = 0.1 + random.nextDouble();
            final double step = 1e-5 * years;
            final double up = Black76.price(isCall, 100.0, strike, years + step, rate, vol);
            final double down = Black76.price(isCall, 100.0, strike, years - step, rate, vol);
            Black76.greeks(isCall, 100.0, strike, years, rate, vol, greeks);
            assertEquals(-(up - down) / (2.0 * step), greeks.theta(), 1e-6 * (1.0 + Math.abs(greeks.theta())));
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsForwardThatIsNotFiniteAndPositive(final double forward)
    {
        assertThrows(IllegalArgumentException.class, () -> Black76.price(true, forward, 100.0, 1.0, 0.0, 0.5));
        assertThrows(IllegalArgumentException.class,
            () -> Black76.greeks(true, forward, 100.0, 1.0, 0.0, 0.5, greeks));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsStrikeThatIsNotFiniteAndPositive(final double strike)
    {
        assertThrows(IllegalArgumentException.class, () -> Black76.price(false, 100.0, strike, 1.0, 0.0, 0.5));
        assertThrows(IllegalArgumentException.class,
            () -> Black76.greeks(false, 100.0, strike, 1.0, 0.0, 0.5, greeks));
    }

    @ParameterizedTest
    @ValueSource(doubles = {-1e-300, -0.2, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsVolatilityThatIsNotFiniteAndNonNegative(final double vol)
    {
        assertThrows(IllegalArgumentException.class, () -> Black76.price(true, 100.0, 100.0, 1.0, 0.0, vol));
        assertThrows(IllegalArgumentException.class,
            () -> Black76.greeks(true, 100.0, 100.0, 1.0, 0.0, vol, greeks));
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsTimeToExpiryThatIsNotFinite(final double years)
    {
        assertThrows(IllegalArgumentException.class, () -> Black76.price(true, 100.0, 100.0, years, 0.0, 0.5));
        assertThrows(IllegalArgumentException.class,
            () -> Black76.greeks(true, 100.0, 100.0, years, 0.0, 0.5, greeks));
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void rejectsRateThatIsNotFinite(final double rate)
    {
        assertThrows(IllegalArgumentException.class, () -> Black76.price(true, 100.0, 100.0, 1.0, rate, 0.5));
        assertThrows(IllegalArgumentException.class,
            () -> Black76.greeks(true, 100.0, 100.0, 1.0, rate, 0.5, greeks));
    }

    @Test
    void rejectsRateAndTimeWhoseDiscountFactorOverflows()
    {
        assertThrows(IllegalArgumentException.class, () -> Black76.price(true, 100.0, 100.0, 10.0, -100.0, 0.5));
    }

    @Test
    void leavesTheResultUntouchedWhenItRejectsAnInput()
    {
        Black76.greeks(true, 100.0, 100.0, 1.0, 0.05, 0.2, greeks);
        final String before = greeks.toString();
        assertThrows(IllegalArgumentException.class,
            () -> Black76.greeks(true, Double.NaN, 100.0, 1.0, 0.05, 0.2, greeks));
        assertEquals(before, greeks.toString());
    }

    @Test
    void discountsWithNegativeRates()
    {
        final double discount = StrictMath.exp(0.02 * 0.5);
        Black76.greeks(true, 120.0, 100.0, 0.5, -0.02, 0.0, greeks);
        assertGreeks(discount * 20.0, discount, 0.0, 0.0, -0.02 * (discount * 20.0));
    }

    private void assertGreeks(
        final double price, final double delta, final double gamma, final double vega, final double theta)
    {
        assertEquals(price, greeks.price(), "price");
        assertEquals(delta, greeks.delta(), "delta");
        assertEquals(gamma, greeks.gamma(), "gamma");
        assertEquals(vega, greeks.vega(), "vega");
        assertEquals(theta, greeks.theta(), "theta");
    }

    private void assertFiniteAndBounded(
        final boolean isCall, final double forward, final double strike, final double years, final double rate)
    {
        final String context = (isCall ? "call" : "put") + " F=" + forward + " K=" + strike + " T=" + years +
            " r=" + rate + " " + greeks;
        final double discount = StrictMath.exp(-rate * years);
        final double intrinsic = discount * (isCall ? Math.max(forward - strike, 0.0) : Math.max(strike - forward, 0.0));
        final double ceiling = discount * (isCall ? forward : strike);
        assertTrue(Double.isFinite(greeks.price()), context);
        assertTrue(Double.isFinite(greeks.delta()), context);
        assertTrue(Double.isFinite(greeks.gamma()), context);
        assertTrue(Double.isFinite(greeks.vega()), context);
        assertTrue(Double.isFinite(greeks.theta()), context);
        assertTrue(greeks.price() >= intrinsic, context);
        assertTrue(greeks.price() <= ceiling * (1.0 + 1e-15), context);
        assertTrue(isCall ? greeks.delta() >= 0.0 && greeks.delta() <= discount :
            greeks.delta() <= 0.0 && greeks.delta() >= -discount, context);
        assertTrue(greeks.gamma() >= 0.0, context);
        assertTrue(greeks.vega() >= 0.0, context);
    }

    private static void assertRelativelyClose(final double expected, final double actual, final String what)
    {
        final double relative = Math.abs(actual - expected) / Math.abs(expected);
        assertTrue(relative <= REFERENCE_TOLERANCE,
            what + ": expected " + expected + " got " + actual + " relative " + relative);
    }
}
