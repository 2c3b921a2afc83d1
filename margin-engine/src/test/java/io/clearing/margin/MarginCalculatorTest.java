package io.clearing.margin;

import io.clearing.margin.option.Black76;
import io.clearing.margin.option.OptionGreeks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scenario margin model: hand-computed cases, then properties on seeded random books. */
final class MarginCalculatorTest
{
    private static final long NOW = RandomBook.NOW;
    private static final long DAY_NANOS = RandomBook.DAY_NANOS;
    private static final long MILLI_BTC = 100_000L;
    private static final long ONE_BTC = Fixed.SCALE;
    private static final long BTC_MARK = 65_000L * Fixed.SCALE;
    private static final int BOOKS_PER_SEED = 500;

    private final RiskParameters parameters = new RiskParameters();
    // Expansion mode unless a test says otherwise: most expectations below are the expansion's own numbers.
    private final MarginCalculator calculator = new MarginCalculator(parameters).fullRevaluation(false);

    // ------------------------------------------------------------------------------------------------ by hand

    @Test
    void longPerpetualLosesSixteenPercentPlusTheDeltaShock()
    {
        calculator.defineFuture(0, 0, MILLI_BTC, 0);
        calculator.updateFuture(0, BTC_MARK);

        evaluate(0, 10);

        // Notional 10 x 0.001 x 65,000 = 650: worst scenario -16% loses 104, the delta shock 0.5% adds 3.25, and the
        // rounding allowance 2e-6 per contract 0.00002.
        assertEquals(10_725_002_000L, calculator.maintenanceMargin());
        // IM is 1.3 x MM rounded up in fixed point: 139.4250026.
        assertEquals(13_942_502_600L, calculator.initialMargin());
    }

    @Test
    void shortCallUnderFullRevaluationLosesItsRepricingAtPriceUpVolatilityUp()
    {
        calculator.fullRevaluation(true);
        defineShortCallBook();

        evaluate(0, -1);

        final double years = 30.0 / 365.0;
        final double loss = Black76.price(true, 65_000.0 * 1.16, 71_500.0, years, 0.0, 0.6 * 1.5) -
            Black76.price(true, 65_000.0, 71_500.0, years, 0.0, 0.6);
        // Loss 7,522.28 at (+16%, vol 60% x 1.5); plus the delta shock: MM 7,626.24.
        final double expected = loss + callDelta() * 65_000.0 * 0.005;
        assertEquals(expected, calculator.maintenanceMargin() / 1e8, expected * 1e-6);
    }

    @Test
    void shortCallUnderTheExpansionLosesDeltaGammaAndVegaAtPriceUpVolatilityUp()
    {
        defineShortCallBook();

        evaluate(0, -1);

        final OptionGreeks greeks = new OptionGreeks();
        Black76.greeks(true, 65_000.0, 71_500.0, 30.0 / 365.0, 0.0, 0.6, greeks);
        final double deltaLoss = greeks.delta() * 65_000.0 * 0.16;
        final double gammaLoss = 0.5 * greeks.gamma() * 65_000.0 * 65_000.0 * 0.16 * 0.16;
        final double vegaLoss = greeks.vega() * 0.6 * 0.5;
        // 3,326.60 + 1,729.39 + 1,998.86 + 0.005 x 65,000 x delta = 7,158.81, 6.1% below full revaluation's 7,626.24.
        final double expected = deltaLoss + gammaLoss + vegaLoss + greeks.delta() * 65_000.0 * 0.005;
        assertEquals(expected, calculator.maintenanceMargin() / 1e8, expected * 1e-6);
    }

    // ------------------------------------------------------------------------------------------------ properties

    @ParameterizedTest
    @ValueSource(longs = {101, 102, 103, 104})
    void crossInitialMarginNeverExceedsIsolated(final long seed)
    {
        assertCrossAtMostIsolated(seed, false);
    }

    @ParameterizedTest
    @ValueSource(longs = {111, 112, 113, 114})
    void crossInitialMarginNeverExceedsIsolatedUnderFullRevaluation(final long seed)
    {
        assertCrossAtMostIsolated(seed, true);
    }

    private void assertCrossAtMostIsolated(final long seed, final boolean fullRevaluation)
    {
        calculator.fullRevaluation(fullRevaluation);
        final SplittableRandom random = new SplittableRandom(seed);
        for (int n = 0; n < BOOKS_PER_SEED; n++)
        {
            final RandomBook book = RandomBook.options(random, RandomBook.ANY_EXPIRY, 1 + random.nextInt(3), 0,
                false, true);
            book.evaluate(calculator);
            // Where nothing nets (one position per unit, or all one way) cross equals isolated in exact arithmetic;
            // the two are rounded up from doubles summed in different orders, so allow the last money unit of MM,
            // which the 1.3 factor makes at most two of IM.
            assertTrue(calculator.initialMargin() <= calculator.isolatedInitialMargin() + 2,
                "book " + n + ": cross " + calculator.initialMargin() + " > isolated " +
                calculator.isolatedInitialMargin());
        }
    }

    /** Measured: cross / isolated median 0.25, p90 0.33, max 0.41 on these seeds. */
    @ParameterizedTest
    @ValueSource(longs = {201, 202, 203, 204})
    void deltaHedgedLongOptionsNeedLessThanHalfTheirOutrightLegs(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int n = 0; n < BOOKS_PER_SEED; n++)
        {
            final int hedge = hedgedLongOptions(random);
            calculator.begin();
            for (int id = 0; id < hedge; id++)
            {
                calculator.add(id, 1, 0, 0);
            }
            calculator.finish();
            final long hedgeQuantity = -Math.round(calculator.netDelta(0) / (0.001 * 65_000.0));
            calculator.begin();
            for (int id = 0; id < hedge; id++)
            {
                calculator.add(id, 1, 0, 0);
            }
            calculator.add(hedge, hedgeQuantity, 0, 0);
            calculator.finish();
            final double ratio = (double)calculator.initialMargin() / calculator.isolatedInitialMargin();
            assertTrue(ratio < 0.5, "book " + n + ": cross / isolated " + ratio);
        }
    }

    /**
     * Defines 1-5 long straddles or long calls on BTC (1 BTC contracts, strikes 90-110% of 65,000, 1 day to a year,
     * vol 30-150%) as instruments 0..n-1 and a 0.001 BTC perpetual as instrument n; returns n.
     */
    private int hedgedLongOptions(final SplittableRandom random)
    {
        final int structures = 1 + random.nextInt(5);
        int id = 0;
        for (int s = 0; s < structures; s++)
        {
            final long strike = (58_500L + random.nextInt(13_001)) * Fixed.SCALE;
            final long expiry = NOW + random.nextLong(DAY_NANOS, 365 * DAY_NANOS);
            final double vol = 0.3 + 1.2 * random.nextDouble();
            final boolean straddle = random.nextBoolean();
            calculator.defineOption(id, 0, true, ONE_BTC, strike, expiry);
            calculator.updateOption(id++, BTC_MARK, vol, NOW);
            if (straddle)
            {
                calculator.defineOption(id, 0, false, ONE_BTC, strike, expiry);
                calculator.updateOption(id++, BTC_MARK, vol, NOW);
            }
        }
        calculator.defineFuture(id, 0, MILLI_BTC, 0);
        calculator.updateFuture(id, BTC_MARK);
        return id;
    }

    @ParameterizedTest
    @ValueSource(longs = {301, 302, 303, 304})
    void doublingEveryQuantityDoublesTheMargin(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int n = 0; n < BOOKS_PER_SEED; n++)
        {
            final RandomBook book = RandomBook.options(random, RandomBook.ANY_EXPIRY, 1 + random.nextInt(3), 0,
                true, true);
            book.evaluate(calculator);
            final long maintenance = calculator.maintenanceMargin();
            final long initial = calculator.initialMargin();
            final long withOrders = calculator.initialMarginWithOrders();
            book.scaled(2).evaluate(calculator);
            // Doubling is exact in binary floating point; only the final ceil may round one unit apart.
            assertWithinUnitsBelow(2 * maintenance, calculator.maintenanceMargin(), 1, n);
            // IM = ceil(1.3 x MM) of the rounded MM: doubling can lose up to 1.3 x 1 + 2 units of rounding.
            assertWithinUnitsBelow(2 * initial, calculator.initialMargin(), 4, n);
            assertWithinUnitsBelow(2 * withOrders, calculator.initialMarginWithOrders(), 4, n);
        }
    }

    private static void assertWithinUnitsBelow(final long expected, final long actual, final long units,
        final int book)
    {
        assertTrue(actual <= expected && actual >= expected - units, "book " + book + ": " + actual + " vs " +
            expected);
    }

    /**
     * Not a theorem of the model: a higher mark vol also raises today's value, and near the money (or in it) the
     * expansion's gamma falls as vol rises, so a few books need less (see the counterexample below). Measured on
     * these seeds: 0, 2, 0 and 1 books of 500 do not rise; the bound is stated at 2 per 500.
     */
    @ParameterizedTest
    @ValueSource(longs = {401, 402, 403, 404})
    void higherVolatilityRaisesTheMarginOfAlmostEveryShortOptionBook(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        int notHigher = 0;
        for (int n = 0; n < BOOKS_PER_SEED; n++)
        {
            final RandomBook book = RandomBook.options(random, RandomBook.ANY_EXPIRY, 1, -1, false, false);
            book.evaluate(calculator);
            final long before = calculator.maintenanceMargin();
            book.withVolTimes(1.25).evaluate(calculator);
            notHigher += calculator.maintenanceMargin() > before ? 0 : 1;
        }
        assertTrue(notHigher <= 2, "books whose margin did not rise: " + notHigher);
    }

    @Test
    void higherVolatilityLowersTheExpansionMarginOfAnInTheMoneyShortCall()
    {
        // 12 short 1 BTC calls, strike 61,348, 22.677 days: gamma x r^2 / 2 falls faster than vega x shock rises.
        calculator.defineOption(0, 0, true, ONE_BTC, 61_348L * Fixed.SCALE, NOW + 1_959_309_612_716_591L);
        calculator.updateOption(0, BTC_MARK, 0.5654924875441407, NOW);
        evaluate(0, -12);
        final long before = calculator.maintenanceMargin();
        calculator.updateOption(0, BTC_MARK, 0.5654924875441407 * 1.25, NOW);
        evaluate(0, -12);

        // Per-contract contributions are whole millionths of USDC, so the margin is that of the rounded Greeks, plus
        // the rounding allowance of 12 x 2e-6.
        assertEquals(13_453_626_155_380L, before);
        assertEquals(13_319_158_593_282L, calculator.maintenanceMargin());
    }

    @ParameterizedTest
    @ValueSource(longs = {501, 502, 503, 504})
    void openOrdersNeverLowerInitialMarginAndAddNothingWhenAbsent(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int n = 0; n < BOOKS_PER_SEED; n++)
        {
            final RandomBook book = RandomBook.options(random, RandomBook.ANY_EXPIRY, 1 + random.nextInt(3), 0,
                true, true);
            book.evaluate(calculator);
            assertTrue(calculator.initialMarginWithOrders() >= calculator.initialMargin(), "book " + n);
            final long initial = calculator.initialMargin();
            book.withoutOrders().evaluate(calculator);
            assertEquals(initial, calculator.initialMargin(), "book " + n);
            assertEquals(calculator.initialMargin(), calculator.initialMarginWithOrders(), "book " + n);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {511, 512})
    void withoutOrdersTheMarginIsThatOfThePositionsAlone(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (final boolean fullRevaluation : new boolean[] {false, true})
        {
            calculator.fullRevaluation(fullRevaluation);
            for (int n = 0; n < BOOKS_PER_SEED; n++)
            {
                final RandomBook book = RandomBook.options(random, RandomBook.ANY_EXPIRY, 1 + random.nextInt(3), 0,
                    true, true);
                book.withoutOrders().evaluate(calculator);
                final long positionsOnly = calculator.initialMargin();
                final long maintenance = calculator.maintenanceMargin();
                calculator.withOrders(false);
                book.evaluate(calculator);
                calculator.withOrders(true);
                assertEquals(positionsOnly, calculator.initialMargin(), "book " + n);
                assertEquals(maintenance, calculator.maintenanceMargin(), "book " + n);
                assertEquals(positionsOnly, calculator.initialMarginWithOrders(), "book " + n);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {601, 602, 603, 604})
    void aWiderPriceRangeTakesEffectOnTheNextEvaluation(final long seed)
    {
        final RiskParameters wider = new RiskParameters().set(RiskParameters.PRICE_RANGE, -1, 200_000L);
        final MarginCalculator reference = new MarginCalculator(wider).fullRevaluation(false);
        final SplittableRandom random = new SplittableRandom(seed);
        for (int n = 0; n < BOOKS_PER_SEED; n++)
        {
            final RandomBook book = RandomBook.options(random, RandomBook.ANY_EXPIRY, 1 + random.nextInt(3), 0,
                true, true);
            parameters.set(RiskParameters.PRICE_RANGE, -1, 160_000L);
            book.evaluate(calculator);
            parameters.set(RiskParameters.PRICE_RANGE, -1, 200_000L);
            book.evaluate(calculator);
            book.evaluate(reference);
            assertEquals(reference.maintenanceMargin(), calculator.maintenanceMargin(), "book " + n);
            assertEquals(reference.initialMarginWithOrders(), calculator.initialMarginWithOrders(), "book " + n);
        }
    }

    @Test
    void aWiderPriceRangeRaisesTheLongPerpetualToTwentyPercent()
    {
        calculator.defineFuture(0, 0, MILLI_BTC, 0);
        calculator.updateFuture(0, BTC_MARK);
        evaluate(0, 10);

        parameters.set(RiskParameters.PRICE_RANGE, 0, 200_000L);
        evaluate(0, 10);

        // 20% of 650 = 130, plus the 3.25 delta shock and the 0.00002 rounding allowance.
        assertEquals(13_325_002_000L, calculator.maintenanceMargin());
    }

    /**
     * From review: contributions are rounded to millionths per contract, so a contract worth a few millionths would
     * round to nothing; the rounding allowance keeps the margin at least that of the unrounded model. The smallest
     * contract (1e-8 units) at 50.00, 10 billion contracts: 5,000 of notional, whose own -16% and delta shock are 825.
     */
    @Test
    void roundingNeverTakesAContractsMarginAway()
    {
        for (final boolean full : new boolean[] {false, true})
        {
            calculator.fullRevaluation(full);
            calculator.defineFuture(0, 0, 1, 0);
            calculator.updateFuture(0, 50 * Fixed.SCALE);

            evaluate(0, 10_000_000_000L);

            assertTrue(calculator.maintenanceMargin() >= 825L * Fixed.SCALE, "MM " + calculator.maintenanceMargin());
        }
    }

    // ------------------------------------------------------------------------------------------------ determinism

    /**
     * SHA-256 of MM, IM, IM with orders and isolated IM of 1,000 seeded books, both modes; recorded on JDK 17
     * (re-recorded when per-contract contributions became whole millionths of the margin currency, with a rounding
     * allowance, and in session 11 when roll-shock slots went to the live expiries: the books redefine their futures
     * with new expiries on one calculator, and once 16 expiries had been seen every later one shared the last slot, so
     * those books' calendar exposure paid no roll shock).
     */
    @Test
    void marginsOfThousandSeededBooksMatchTheGoldenHash() throws NoSuchAlgorithmException
    {
        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
        final ByteBuffer longs = ByteBuffer.allocate(4 * Long.BYTES);
        final MarginCalculator full = new MarginCalculator(parameters).fullRevaluation(true);
        final SplittableRandom random = new SplittableRandom(700);
        for (int n = 0; n < 1_000; n++)
        {
            final RandomBook book = RandomBook.options(random, RandomBook.ANY_EXPIRY, 1 + random.nextInt(3), 0,
                true, true);
            for (final MarginCalculator mode : new MarginCalculator[] {calculator, full})
            {
                book.evaluate(mode);
                longs.clear();
                longs.putLong(mode.maintenanceMargin()).putLong(mode.initialMargin())
                    .putLong(mode.initialMarginWithOrders()).putLong(mode.isolatedInitialMargin());
                digest.update(longs.array());
            }
        }
        assertEquals("39229e6473d3dfecacde2681bfaacee3584f3c499987fcbc9557ff667eca14a2",
            HexFormat.of().formatHex(digest.digest()));
    }

    /** Instrument 0: 1 BTC call, strike 71,500 (10% out of the money), 30 days, forward 65,000, vol 60%. */
    private void defineShortCallBook()
    {
        calculator.defineOption(0, 0, true, ONE_BTC, 71_500L * Fixed.SCALE, NOW + 30 * DAY_NANOS);
        calculator.updateOption(0, BTC_MARK, 0.6, NOW);
    }

    private static double callDelta()
    {
        final OptionGreeks greeks = new OptionGreeks();
        Black76.greeks(true, 65_000.0, 71_500.0, 30.0 / 365.0, 0.0, 0.6, greeks);
        return greeks.delta();
    }

    private void evaluate(final int id, final long quantity)
    {
        calculator.begin();
        calculator.add(id, quantity, 0, 0);
        calculator.finish();
    }
}
