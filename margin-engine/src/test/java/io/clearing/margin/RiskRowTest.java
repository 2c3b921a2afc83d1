package io.clearing.margin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Risk rows against the evaluation of every position: on seeded random streams of position and order changes, ticks,
 * parameter changes and mode switches, an account margined from its rows (kept by {@link MarginCalculator#updateRow},
 * each part rebuilt only when not current, the open-order part only when an evaluation with orders needs it) has
 * exactly the margins of the same account margined position by position.
 */
final class RiskRowTest
{
    private static final long NOW = RandomBook.NOW;
    private static final long DAY_NANOS = RandomBook.DAY_NANOS;
    private static final int UNDERLYINGS = 3;
    private static final int INSTRUMENTS = 60;
    private static final int ACCOUNTS = 12;
    private static final int STEPS = 20_000;

    private final RiskParameters parameters = new RiskParameters();
    private final MarginCalculator calculator = new MarginCalculator(parameters).withIsolated(false);
    private final boolean[] isOption = new boolean[INSTRUMENTS];
    private final long[] forward = new long[INSTRUMENTS];
    private final double[] vol = new double[INSTRUMENTS];
    private final long[][] quantity = new long[ACCOUNTS][INSTRUMENTS];
    private final long[][] openBuy = new long[ACCOUNTS][INSTRUMENTS];
    private final long[][] openSell = new long[ACCOUNTS][INSTRUMENTS];
    private final int[][] row = new int[ACCOUNTS][UNDERLYINGS];
    private int rowsKept;
    private int rowsRebuilt;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void rowsKeptThroughChangesTicksAndParametersGiveTheBitsOfAFullEvaluation(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        define(random);
        for (int step = 0; step < STEPS; step++)
        {
            final int action = random.nextInt(100);
            if (action < 60)
            {
                change(random.nextInt(ACCOUNTS), random.nextInt(INSTRUMENTS), random, 1);
            }
            else if (action < 85)
            {
                tick(random.nextInt(INSTRUMENTS), random);
            }
            else if (action < 86)
            {
                parameters.set(RiskParameters.PRICE_RANGE, random.nextInt(UNDERLYINGS),
                    100_000 + random.nextInt(200_000));
            }
            else if (action < 87)
            {
                parameters.set(RiskParameters.SHORT_OPTION_MINIMUM, 0, random.nextInt(20_000));
            }
            else if (action < 88)
            {
                calculator.fullRevaluation(!calculator.fullRevaluation());
            }
            assertSameMargins(random.nextInt(ACCOUNTS), random.nextBoolean(), step);
        }
        // Both paths were exercised: most evaluations used rows kept through changes, ticks forced rebuilds.
        assertTrue(rowsKept > STEPS / 4, "rows kept " + rowsKept);
        assertTrue(rowsRebuilt > STEPS / 4, "rows rebuilt " + rowsRebuilt);
    }

    @ParameterizedTest
    @ValueSource(longs = {11, 12})
    void aBookTooLargeToKeepExactlyIsRebuiltAtEveryUseWithTheSameResult(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        define(random);
        for (int step = 0; step < 2_000; step++)
        {
            // Up to 10 billion contracts (the engine's largest position): far beyond exact double sums.
            change(random.nextInt(ACCOUNTS), random.nextInt(INSTRUMENTS), random, 1_000_000_000L);
            if (random.nextInt(4) == 0)
            {
                tick(random.nextInt(INSTRUMENTS), random);
            }
            assertSameMargins(random.nextInt(ACCOUNTS), random.nextBoolean(), step);
        }
        boolean anyTooLarge = false;
        for (int a = 0; a < ACCOUNTS; a++)
        {
            for (int u = 0; u < UNDERLYINGS; u++)
            {
                anyTooLarge |= !calculator.rowCurrent(row[a][u]) || !calculator.rowOrdersCurrent(row[a][u]);
            }
        }
        assertTrue(anyTooLarge, "some row must be beyond the exact range");
    }

    /**
     * From review: a position without orders when the open-order part was built, then closed by its own orders (a fill
     * comes as the order added, the position moved, the order removed), must not make the part's size estimate drift
     * low; otherwise a later order far beyond exact sums would leave the part current but inexact.
     */
    @Test
    void closingAPositionThroughItsOwnOrdersKeepsTheOrderPartExact()
    {
        // Ids on unit 0 in this test's layout (id mod 3 = unit).
        final int big = 0;
        final int small = 3;
        // 100 units of a 1,000,000 underlying per contract: 1e14 millionths; the perpetual an odd number of them.
        calculator.defineFuture(big, 0, 100L * Fixed.SCALE, NOW + 30 * DAY_NANOS);
        calculator.updateFuture(big, 1_000_000L * Fixed.SCALE);
        calculator.defineFuture(small, 0, Fixed.SCALE, 0);
        calculator.updateFuture(small, 300_000_100L);
        final int a = 0;
        for (int u = 0; u < UNDERLYINGS; u++)
        {
            row[a][u] = calculator.newRow(u);
        }
        quantity[a][big] = -400;
        assertSameMargins(a, true, 0);
        for (int i = 0; i < 10; i++)
        {
            set(a, big, quantity[a][big], 40, 0);
            set(a, big, quantity[a][big] + 40, 40, 0);
            set(a, big, quantity[a][big], 0, 0);
        }
        set(a, small, 0, 0, 1);
        // 300 x 1e14: beyond 2^53, so the part must stop being current.
        set(a, big, 0, 0, 300);
        set(a, big, 0, 0, 0);
        assertSameMargins(a, true, 1);
    }

    private void set(final int a, final int id, final long newQuantity, final long newBuy, final long newSell)
    {
        final long oldQuantity = quantity[a][id];
        final long oldBuy = openBuy[a][id];
        final long oldSell = openSell[a][id];
        quantity[a][id] = newQuantity;
        openBuy[a][id] = newBuy;
        openSell[a][id] = newSell;
        calculator.updateRow(row[a][id % UNDERLYINGS], id, oldQuantity, oldBuy, oldSell, newQuantity, newBuy, newSell);
    }

    private void define(final SplittableRandom random)
    {
        for (int a = 0; a < ACCOUNTS; a++)
        {
            for (int u = 0; u < UNDERLYINGS; u++)
            {
                row[a][u] = calculator.newRow(u);
                assertFalse(calculator.rowCurrent(row[a][u]), "a new row is out of date");
            }
        }
        for (int id = 0; id < INSTRUMENTS; id++)
        {
            final int u = id % UNDERLYINGS;
            final long spot = RandomBook.SPOTS[u] * Fixed.SCALE;
            forward[id] = spot;
            if (id < 12)
            {
                calculator.defineFuture(id, u, 100_000L, id < 3 ? 0 : NOW + DAY_NANOS * (7 + random.nextInt(180)));
                calculator.updateFuture(id, spot);
            }
            else
            {
                isOption[id] = true;
                final long strike = Math.round(spot * (0.7 + 0.6 * random.nextDouble()) / Fixed.SCALE) * Fixed.SCALE;
                calculator.defineOption(id, u, random.nextBoolean(), random.nextBoolean() ? Fixed.SCALE :
                    Fixed.SCALE / 10, strike, NOW + random.nextLong(DAY_NANOS, 365 * DAY_NANOS));
                vol[id] = 0.3 + 1.2 * random.nextDouble();
                calculator.updateOption(id, spot, vol[id], NOW);
            }
        }
    }

    /** Sets new quantities on one (account, instrument) and moves the account's row with them. */
    private void change(final int a, final int id, final SplittableRandom random, final long scale)
    {
        final long oldQuantity = quantity[a][id];
        final long oldBuy = openBuy[a][id];
        final long oldSell = openSell[a][id];
        quantity[a][id] = random.nextInt(4) == 0 ? 0 : scale * (random.nextInt(41) - 20);
        openBuy[a][id] = random.nextInt(3) == 0 ? scale * random.nextInt(30) : 0;
        openSell[a][id] = random.nextInt(3) == 0 ? scale * random.nextInt(30) : 0;
        calculator.updateRow(row[a][id % UNDERLYINGS], id, oldQuantity, oldBuy, oldSell,
            quantity[a][id], openBuy[a][id], openSell[a][id]);
    }

    private void tick(final int id, final SplittableRandom random)
    {
        forward[id] = Math.max(Fixed.SCALE, forward[id] + (long)(forward[id] * 0.02 * (2 * random.nextDouble() - 1)));
        if (isOption[id])
        {
            vol[id] = Math.max(0.05, vol[id] * (0.9 + 0.2 * random.nextDouble()));
            calculator.updateOption(id, forward[id], vol[id], NOW + random.nextLong(DAY_NANOS));
        }
        else
        {
            calculator.updateFuture(id, forward[id]);
        }
    }

    private void assertSameMargins(final int a, final boolean withOrders, final int step)
    {
        calculator.withOrders(withOrders);
        calculator.begin();
        for (int id = 0; id < INSTRUMENTS; id++)
        {
            calculator.add(id, quantity[a][id], openBuy[a][id], openSell[a][id]);
        }
        calculator.finish();
        final long maintenance = calculator.maintenanceMargin();
        final long initial = calculator.initialMargin();
        final long withOrdersMargin = calculator.initialMarginWithOrders();
        final double delta = calculator.netDelta(0);

        calculator.begin();
        // Rows in a different order than the positions: the result must not depend on it.
        for (int u = UNDERLYINGS - 1; u >= 0; u--)
        {
            final int r = row[a][u];
            final boolean positions = !calculator.rowCurrent(r);
            final boolean orders = withOrders && !calculator.rowOrdersCurrent(r);
            if (!positions && !orders)
            {
                rowsKept++;
            }
            else
            {
                rowsRebuilt++;
                calculator.rebuildRow(r, positions, orders);
                for (int id = u; id < INSTRUMENTS; id += UNDERLYINGS)
                {
                    calculator.addToRow(r, id, quantity[a][id], openBuy[a][id], openSell[a][id]);
                }
            }
            calculator.addRow(r);
        }
        calculator.finish();
        assertEquals(maintenance, calculator.maintenanceMargin(), "maintenance, step " + step);
        assertEquals(initial, calculator.initialMargin(), "initial, step " + step);
        assertEquals(withOrdersMargin, calculator.initialMarginWithOrders(), "with orders, step " + step);
        assertEquals(Double.doubleToLongBits(delta), Double.doubleToLongBits(calculator.netDelta(0)),
            "net delta, step " + step);
    }
}
