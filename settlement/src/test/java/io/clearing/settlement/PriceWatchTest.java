package io.clearing.settlement;

import org.agrona.collections.IntArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceWatchTest
{
    private static final int SOURCE = 7;

    private final Accounts accounts = new Accounts(1_024);
    private final PriceWatch watch = new PriceWatch(accounts);
    private final IntArrayList out = new IntArrayList();

    private List<Integer> tick(final long price)
    {
        out.clear();
        watch.triggered(SOURCE, price, out);
        return new ArrayList<>(out);
    }

    @Test
    void aPriceOnTheEdgeIsInsideTheBandAndOneBeyondLeavesIt()
    {
        watch.register(SOURCE, 20, 1_000, 10.9); // edges 990 and 1,010 (floor of the half-width)
        assertEquals(List.of(), tick(1_010));
        assertEquals(List.of(), tick(990));
        assertEquals(List.of(20), tick(1_011));
        assertEquals(List.of(20), tick(989), "the other edge stays live until the account is re-evaluated");
        accounts.invalidateBands(20);
        assertEquals(List.of(), tick(900), "a re-evaluation makes the old edges stale");
    }

    @Test
    void theLowerEdgeFiresBelowIt()
    {
        watch.register(SOURCE, 20, 1_000, 10.0);
        assertEquals(List.of(20), tick(989));
    }

    @Test
    void aZeroWidthBandFiresOnAnyChangeAndNeverOnARepeatOfThePrice()
    {
        watch.register(SOURCE, 21, 500_000, 0.4);
        assertEquals(List.of(), tick(500_000));
        assertEquals(List.of(), tick(500_000));
        assertEquals(List.of(21), tick(500_001));
        accounts.invalidateBands(21);
        watch.register(SOURCE, 22, 500_000, 0.0);
        assertEquals(List.of(22), tick(499_999));
    }

    @Test
    void oneSidedBandsFireOnlyOnTheirSide()
    {
        watch.registerLower(SOURCE, 30, 1_000, 5.0);
        watch.registerUpper(SOURCE, 31, 1_000, 5.0);
        assertEquals(List.of(31), tick(2_000));
        assertEquals(List.of(30), tick(1));
    }

    @Test
    void aReEvaluatedAccountsOlderBandsAreStale()
    {
        watch.register(SOURCE, 40, 1_000, 5.0);
        accounts.invalidateBands(40);
        watch.register(SOURCE, 40, 1_000, 50.0);
        assertEquals(List.of(), tick(1_010), "the first band was replaced");
        assertEquals(List.of(40), tick(1_051));
    }

    @Test
    void aSourceHasNoWeightUntilItsPriceChanges()
    {
        assertEquals(0.0, watch.weight(SOURCE, 1_000, 5.0));
        assertEquals(false, watch.moved(SOURCE, 1_000, 1_000, 50), "no price yet and no change");
        assertEquals(true, watch.moved(SOURCE, 0, 1_000, 100), "from none to a price is a change");
        assertEquals(false, watch.moved(SOURCE, 1_000, 1_000, 200));
        assertEquals(false, watch.hasMoved(SOURCE));
        assertEquals(0.0, watch.weight(SOURCE, 1_000, 5.0), "a first price and a repeat are not moves");
        assertEquals(true, watch.moved(SOURCE, 1_000, 1_010, 300), "the first move");
        assertEquals(true, watch.hasMoved(SOURCE));
        assertTrue(watch.weight(SOURCE, 1_010, 5.0) > 0.0);
        assertEquals(false, watch.moved(SOURCE, 1_010, 1_020, 400), "only the first");
    }

    /** Steps of 1% every 200 ns: sigma = 0.01 / sqrt(200) per sqrt(ns), whatever the number of steps. */
    @Test
    void theWeightIsSigmaTimesPriceTimesSensitivityToTheTwoThirds()
    {
        long price = 1_000_000;
        long time = 1_000;
        watch.moved(SOURCE, 0, price, time);
        for (int i = 0; i < 7; i++)
        {
            final long next = i % 2 == 0 ? price + price / 100 : price - price / 100;
            time += 200;
            watch.moved(SOURCE, price, next, time);
            price = next;
        }
        final double sigma = 0.01 / Math.sqrt(200);
        final double expected = Math.cbrt(Math.pow(sigma * price * 3.0, 2));
        assertEquals(expected, watch.weight(SOURCE, price, 3.0), expected * 1e-3);
    }

    @Test
    void aSourceMovingTwiceAsFarGetsTwoToTheTwoThirdsTheWeightAndOneTickingTwiceAsOftenTwoToTheOneThird()
    {
        final int calm = 1;
        final int wild = 2;
        final int fast = 3;
        watch.moved(calm, 0, 100_000, 0);
        watch.moved(wild, 0, 100_000, 0);
        watch.moved(fast, 0, 100_000, 0);
        long calmPrice = 100_000;
        long wildPrice = 100_000;
        long fastPrice = 100_000;
        for (int i = 1; i <= 40; i++)
        {
            final int sign = i % 2 == 0 ? 1 : -1;
            final long calmNext = 100_000 + (sign > 0 ? 0 : 1_000);
            final long wildNext = 100_000 + (sign > 0 ? 0 : 2_000);
            watch.moved(calm, calmPrice, calmNext, 1_000L * i);
            watch.moved(wild, wildPrice, wildNext, 1_000L * i);
            calmPrice = calmNext;
            wildPrice = wildNext;
        }
        for (int i = 1; i <= 80; i++)
        {
            final long fastNext = 100_000 + (i % 2 == 0 ? 0 : 1_000);
            watch.moved(fast, fastPrice, fastNext, 500L * i);
            fastPrice = fastNext;
        }
        final double base = watch.weight(calm, 100_000, 1.0);
        assertEquals(Math.cbrt(4.0), watch.weight(wild, 100_000, 1.0) / base, 0.03);
        assertEquals(Math.cbrt(2.0), watch.weight(fast, 100_000, 1.0) / base, 0.03);
        assertEquals(Math.cbrt(9.0), watch.weight(calm, 100_000, 3.0) / base, 1e-12);
    }

    /**
     * Seeded oracle: a list of live bands scanned by hand gives, for every tick, the accounts whose live band the price
     * leaves, in the heaps' order (upper edges, then lower edges; each by trigger, then account id); accounts re-register as the engine does after a pop.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void popsExactlyTheLiveBandsAPriceLeaves(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int n = 300;
        final long[] lower = new long[n];
        final long[] upper = new long[n];
        long price = 100_000;
        for (int a = 0; a < n; a++)
        {
            band(a, price, random.nextInt(4) == 0 ? 0.0 : random.nextDouble() * 500, random, lower, upper);
        }
        for (int step = 0; step < 20_000; step++)
        {
            price = Math.max(1, price + random.nextInt(121) - 60 + (random.nextInt(50) == 0 ? 2_000 : 0) *
                (random.nextBoolean() ? 1 : -1));
            // Upper edges first, then lower edges, each in heap order (trigger, then account id).
            final List<long[]> above = new ArrayList<>();
            final List<long[]> below = new ArrayList<>();
            for (int a = 0; a < n; a++)
            {
                if (upper[a] < price)
                {
                    above.add(new long[] {upper[a], a});
                }
                else if (-lower[a] < -price)
                {
                    below.add(new long[] {-lower[a], a});
                }
            }
            final List<Integer> want = new ArrayList<>();
            for (final List<long[]> side : List.of(above, below))
            {
                side.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
                side.forEach(e -> want.add(Accounts.FIRST_USER_ACCOUNT + (int)e[1]));
            }
            final List<Integer> got = tick(price);
            assertEquals(want, got, "step " + step + " price " + price);
            for (final int accountId : got)
            {
                final int a = accountId - Accounts.FIRST_USER_ACCOUNT;
                accounts.invalidateBands(accountId);
                band(a, price, random.nextInt(4) == 0 ? 0.0 : random.nextDouble() * 500, random, lower, upper);
            }
        }
    }

    private void band(final int a, final long price, final double halfWidth, final SplittableRandom random,
        final long[] lower, final long[] upper)
    {
        final int accountId = Accounts.FIRST_USER_ACCOUNT + a;
        final long width = (long)Math.floor(halfWidth);
        final int side = random.nextInt(3);
        if (side == 0)
        {
            watch.register(SOURCE, accountId, price, halfWidth);
            lower[a] = price - width;
            upper[a] = price + width;
        }
        else if (side == 1)
        {
            watch.registerLower(SOURCE, accountId, price, halfWidth);
            lower[a] = price - width;
            upper[a] = Long.MAX_VALUE;
        }
        else
        {
            watch.registerUpper(SOURCE, accountId, price, halfWidth);
            lower[a] = Long.MIN_VALUE + 1;
            upper[a] = price + width;
        }
    }
}
