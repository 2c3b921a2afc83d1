package io.clearing.margin.option;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Expected values are the correctly rounded doubles of a 60-digit mpmath evaluation (ncdf, npdf) at the double
 * nearest to each argument.
 */
class NormalDistributionTest
{
    private static final double RELATIVE_TOLERANCE = 1e-15;

    @ParameterizedTest
    @CsvSource({
        "-37.0, 5.725571222524577e-300",
        "-36.0, 4.182624065797283e-284",
        "-35.0, 1.1249107064724062e-268",
        "-32.0, 5.452080603512396e-225",
        "-30.0, 4.906713927148187e-198",
        "-28.0, 8.123869469659427e-173",
        "-25.0, 3.056696706382561e-138",
        "-22.0, 1.439892435145079e-107",
        "-20.0, 2.7536241186062337e-89",
        "-18.0, 9.740948918937151e-73",
        "-15.0, 3.670966199312751e-51",
        "-12.0, 1.776482112077679e-33",
        "-10.0, 7.619853024160525e-24",
        "-9.0, 1.1285884059538405e-19",
        "-8.0, 6.220960574271784e-16",
        "-7.0, 1.279812543885835e-12",
        "-6.0, 9.86587645037698e-10",
        "-5.656854249492381, 7.708628950139992e-09",
        "-5.65685424949238, 7.708628950140032e-09",
        "-5.0, 2.866515718791939e-07",
        "-4.5, 3.3976731247300603e-06",
        "-4.0, 3.1671241833119924e-05",
        "-3.5, 0.00023262907903552504",
        "-3.0, 0.0013498980316300946",
        "-2.5, 0.006209665325776135",
        "-2.0, 0.02275013194817921",
        "-1.5, 0.06680720126885807",
        "-1.0, 0.15865525393145705",
        "-0.75, 0.2266273523768682",
        "-0.6629126073623883, 0.253693263391031",
        "-0.5, 0.3085375387259869",
        "-0.25, 0.4012936743170763",
        "-0.1, 0.460172162722971",
        "-0.001, 0.49960105778608893",
        "-1e-10, 0.49999999996010575",
        "1e-10, 0.5000000000398942",
        "0.1, 0.539827837277029",
        "0.5, 0.6914624612740131",
        "0.6629126073623883, 0.746306736608969",
        "0.7, 0.758036347776927",
        "1.0, 0.8413447460685429",
        "1.5, 0.9331927987311419",
        "2.0, 0.9772498680518208",
        "3.0, 0.9986501019683699",
        "4.0, 0.9999683287581669",
        "5.0, 0.9999997133484281",
        "5.656854249492381, 0.999999992291371",
        "6.0, 0.9999999990134123",
        "7.0, 0.9999999999987201",
        "8.0, 0.9999999999999993",
    })
    void cdfMatchesReferenceValues(final double x, final double expected)
    {
        assertRelativelyClose(expected, NormalDistribution.cdf(x));
    }

    @ParameterizedTest
    @CsvSource({
        "0.0, 0.3989422804014327",
        "0.5, 0.35206532676429947",
        "1.0, 0.24197072451914334",
        "2.0, 0.05399096651318805",
        "3.0, 0.0044318484119380075",
        "5.0, 1.4867195147342977e-06",
        "8.0, 5.052271083536892e-15",
        "10.0, 7.694598626706419e-23",
        "20.0, 5.520948362159764e-88",
        "30.0, 1.4736461348785476e-196",
        "37.0, 2.1200065515246056e-298",
    })
    void pdfMatchesReferenceValues(final double x, final double expected)
    {
        assertRelativelyClose(expected, NormalDistribution.pdf(x));
    }

    @Test
    void cdfOfZeroIsExactlyOneHalf()
    {
        assertEquals(0.5, NormalDistribution.cdf(0.0));
        assertEquals(0.5, NormalDistribution.cdf(-0.0));
    }

    @Test
    void cdfBelowEightPointThreeIsTheNearestDoubleBelowOne()
    {
        assertEquals(Math.nextDown(1.0), NormalDistribution.cdf(8.2));
    }

    @ParameterizedTest
    @ValueSource(doubles = {8.3, 8.5, 9.0, 12.0, 37.0, 40.0, 1e10, Double.MAX_VALUE, Double.POSITIVE_INFINITY})
    void cdfFromEightPointThreeIsExactlyOne(final double x)
    {
        assertEquals(1.0, NormalDistribution.cdf(x));
    }

    @Test
    void cdfUnderflowsGraduallyThroughTheSubnormalRange()
    {
        assertEquals(2.8854283600687843e-316, NormalDistribution.cdf(-38.0), 4 * Double.MIN_VALUE);
    }

    @ParameterizedTest
    @ValueSource(doubles = {-38.5, -40.0, -1e10, -Double.MAX_VALUE, Double.NEGATIVE_INFINITY})
    void cdfIsZeroWhereTheTrueValueRoundsToZero(final double x)
    {
        assertEquals(0.0, NormalDistribution.cdf(x));
    }

    @ParameterizedTest
    @ValueSource(doubles = {38.6, 40.0, -40.0, 1e10, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void pdfIsZeroWhereTheTrueValueRoundsToZero(final double x)
    {
        assertEquals(0.0, NormalDistribution.pdf(x));
    }

    @Test
    void nanGivesNan()
    {
        assertTrue(Double.isNaN(NormalDistribution.cdf(Double.NaN)));
        assertTrue(Double.isNaN(NormalDistribution.pdf(Double.NaN)));
    }

    @Test
    void cdfOfXPlusCdfOfMinusXIsOneWithinOneUlp()
    {
        for (int i = 0; i <= 40_000; i++)
        {
            final double x = i * 0.001;
            final double sum = NormalDistribution.cdf(x) + NormalDistribution.cdf(-x);
            assertEquals(1.0, sum, Math.ulp(1.0), "x = " + x);
        }
    }

    @Test
    void pdfIsExactlySymmetric()
    {
        for (int i = 0; i <= 40_000; i++)
        {
            final double x = i * 0.001;
            assertEquals(NormalDistribution.pdf(x), NormalDistribution.pdf(-x), "x = " + x);
        }
    }

    @Test
    void cdfIsNonDecreasingOnAFineGrid()
    {
        double previous = 0.0;
        for (int i = -400_000; i <= 90_000; i++)
        {
            final double x = i * 1e-4;
            final double value = NormalDistribution.cdf(x);
            assertTrue(value >= previous, "x = " + x);
            previous = value;
        }
    }

    @Test
    void cdfIsNonDecreasingAcrossTheIntervalBoundaries()
    {
        // Steps of 1e-12 raise the true value by ~1e-12 relative, far above the error, so a jump between Cody's
        // intervals larger than a few ulps would show; single-ulp steps would only show rounding noise.
        final double[] boundaries = {-5.656854249492381, -0.6629126073623883, 0.6629126073623883, 5.656854249492381};
        for (final double boundary : boundaries)
        {
            double previous = NormalDistribution.cdf(boundary - 1e-9);
            for (int i = -999; i <= 1000; i++)
            {
                final double x = boundary + i * 1e-12;
                final double value = NormalDistribution.cdf(x);
                assertTrue(value >= previous, "x = " + x);
                previous = value;
            }
        }
    }

    private static void assertRelativelyClose(final double expected, final double actual)
    {
        final double relative = Math.abs(actual - expected) / expected;
        assertTrue(relative <= RELATIVE_TOLERANCE, "expected " + expected + " got " + actual + " relative " + relative);
    }
}
