package io.clearing.settlement;

import io.clearing.sbe.snapshot.PriceWatchTableDecoder;
import io.clearing.sbe.snapshot.PriceWatchTableEncoder;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceWatchTest
{
    private static final int SOURCE = 7;
    /** No lower edge, in the single-source model. */
    private static final long NO_LOWER = Long.MIN_VALUE + 1;

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
        band(20, () -> watch.register(SOURCE, 20, 1_000, 10.9)); // edges 990 and 1,010 (floor of the half-width)
        assertEquals(List.of(), tick(1_010));
        assertEquals(List.of(), tick(990));
        assertEquals(List.of(20), tick(1_011));
        assertEquals(List.of(), tick(1_012), "a fired edge is gone");
        assertEquals(List.of(20), tick(989), "the other edge stays live until the account registers again");
        assertEquals(0, watch.edges(SOURCE));
    }

    @Test
    void theLowerEdgeFiresBelowIt()
    {
        band(20, () -> watch.register(SOURCE, 20, 1_000, 10.0));
        assertEquals(List.of(20), tick(989));
    }

    @Test
    void aZeroWidthBandFiresOnAnyChangeAndNeverOnARepeatOfThePrice()
    {
        band(21, () -> watch.register(SOURCE, 21, 500_000, 0.4));
        assertEquals(List.of(), tick(500_000));
        assertEquals(List.of(), tick(500_000));
        assertEquals(List.of(21), tick(500_001));
        watch.clearBands(21);
        band(22, () -> watch.register(SOURCE, 22, 500_000, 0.0));
        assertEquals(List.of(22), tick(499_999));
    }

    @Test
    void oneSidedBandsFireOnlyOnTheirSide()
    {
        band(30, () -> watch.registerLower(SOURCE, 30, 1_000, 5.0));
        band(31, () -> watch.registerUpper(SOURCE, 31, 1_000, 5.0));
        assertEquals(List.of(31), tick(2_000));
        assertEquals(List.of(30), tick(1));
    }

    @Test
    void aBandRegisteredAgainMovesInPlaceAndOneNotRegisteredAgainIsRemoved()
    {
        band(40, () -> watch.register(SOURCE, 40, 1_000, 5.0));
        band(40, () -> watch.register(SOURCE, 40, 1_000, 50.0));
        assertEquals(2, watch.edges(SOURCE), "one band, two edges");
        assertEquals(List.of(), tick(1_010), "the first band was replaced");
        assertEquals(List.of(40), tick(1_051));
        band(40, () -> watch.registerLower(SOURCE, 40, 1_051, 5.0));
        assertEquals(1, watch.edges(SOURCE), "the upper edge went with the one-sided band");
        band(40, () -> watch.register(SOURCE + 1, 40, 1_000, 5.0));
        assertEquals(0, watch.edges(SOURCE), "a source not registered again loses its band");
        assertEquals(2, watch.edges(SOURCE + 1));
        watch.clearBands(40);
        assertEquals(0, watch.edges(SOURCE + 1));
    }

    @Test
    void anAbortedRegistrationKeepsTheBandsSoFarAndTheOlderOnesAndFreesTheWatch()
    {
        band(60, () ->
        {
            watch.register(SOURCE, 60, 1_000, 5.0);
            watch.register(SOURCE + 1, 60, 1_000, 5.0);
        });
        watch.beginBands(60);
        watch.register(SOURCE, 60, 1_000, 50.0);
        watch.abortBands();
        assertEquals(2, watch.edges(SOURCE));
        assertEquals(2, watch.edges(SOURCE + 1), "the band not reached stays");
        assertEquals(List.of(), tick(1_010), "the band registered before the failure is the new one");
        band(61, () -> watch.register(SOURCE, 61, 1_000, 5.0));
        assertEquals(List.of(61), tick(1_006));
        band(60, () -> { });
        assertEquals(0, watch.edges(SOURCE + 1), "the next registration of the account drops what it no longer needs");
    }

    @Test
    void bandsAreRegisteredOnlyInsideARegistrationOfTheirAccount()
    {
        assertThrows(IllegalStateException.class, () -> watch.register(SOURCE, 50, 1_000, 5.0));
        watch.beginBands(50);
        assertThrows(IllegalStateException.class, () -> watch.register(SOURCE, 51, 1_000, 5.0));
        assertThrows(IllegalStateException.class, () -> watch.beginBands(51));
        watch.endBands(50);
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

    /** Moves SOURCE from 1,000,000 at time 1,000 by 1% up and down in turn every 200 ns; @return its last price. */
    private long stepOnePercent(final int steps)
    {
        long price = 1_000_000;
        long time = 1_000;
        watch.moved(SOURCE, 0, price, time);
        for (int i = 0; i < steps; i++)
        {
            final long next = i % 2 == 0 ? price + price / 100 : price - price / 100;
            time += 200;
            watch.moved(SOURCE, price, next, time);
            price = next;
        }
        return price;
    }

    /** Steps of 1% every 200 ns: sigma = 0.01 / sqrt(200) per sqrt(ns), whatever the number of steps. */
    @Test
    void theWeightIsSigmaTimesPriceTimesSensitivityToTheTwoThirds()
    {
        final long price = stepOnePercent(7);
        final double sigma = 0.01 / Math.sqrt(200);
        final double expected = Math.cbrt(Math.pow(sigma * price * 3.0, 2));
        assertEquals(expected, watch.weight(SOURCE, price, 3.0), expected * 1e-3);
    }

    /**
     * One jump (a 30% gap among 1% moves) lifts the variance estimate by at most 1.75x (the squared move counts at most
     * 16 times its expected value): without the clip the weight would grow 3.6x and stay above 2x for 25 moves; a
     * lasting change to 30% moves still reaches its full weight, 30^(2/3) times the old.
     */
    @Test
    void aJumpCountsAtMostSixteenTimesTheExpectedSquareButALastingChangeGetsItsFullWeight()
    {
        // Long enough for the running means to forget their start at zero (0.95^400).
        long price = stepOnePercent(400);
        long time = 1_000 + 400 * 200;
        final double calm = watch.weight(SOURCE, 1_000_000, 1.0);
        time += 200;
        watch.moved(SOURCE, price, price * 13 / 10, time);
        price = price * 13 / 10;
        final double afterJump = watch.weight(SOURCE, 1_000_000, 1.0);
        assertEquals(Math.cbrt(1.75), afterJump / calm, 1e-3);
        for (int i = 0; i < 200; i++)
        {
            final long next = i % 2 == 0 ? price - price * 3 / 13 : price + price * 3 / 10;
            time += 200;
            watch.moved(SOURCE, price, next, time);
            price = next;
        }
        // Moves of 3/13 and 3/10 alternate: a mean square of (0.0533 + 0.09) / 2 against 0.0001.
        final double lasting = (Math.pow(3.0 / 13, 2) + 0.09) / 2 / 1e-4;
        assertEquals(Math.cbrt(lasting), watch.weight(SOURCE, 1_000_000, 1.0) / calm, 0.02 * Math.cbrt(lasting));
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
        java.util.Arrays.fill(upper, Long.MAX_VALUE);
        java.util.Arrays.fill(lower, NO_LOWER);
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
                    upper[a] = Long.MAX_VALUE;
                }
                else if (-lower[a] < -price)
                {
                    below.add(new long[] {-lower[a], a});
                    lower[a] = NO_LOWER;
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
                band(a, price, random.nextInt(4) == 0 ? 0.0 : random.nextDouble() * 500, random, lower, upper);
            }
        }
    }

    /**
     * Seeded oracle over several sources: accounts register random sets of bands (any subset of the sources, in a
     * random order, random sides and widths), ticks pop exactly the edges a brute-force scan of the current bands
     * finds, in heap order, and remove them; midway the watch goes through a snapshot and continues from the copy,
     * which encodes to the same bytes.
     */
    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void manySourcesPopExactlyTheRegisteredEdgesAPriceLeavesAcrossASnapshot(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int n = 200;
        final int sources = 5;
        // [account][source]: upper edge and lower edge, Long.MAX_VALUE / MIN_VALUE for none.
        final long[][] upperEdge = new long[n][sources];
        final long[][] lowerEdge = new long[n][sources];
        final long[] price = new long[sources];
        java.util.Arrays.fill(price, 50_000);
        for (final long[] row : upperEdge)
        {
            java.util.Arrays.fill(row, Long.MAX_VALUE);
        }
        for (final long[] row : lowerEdge)
        {
            java.util.Arrays.fill(row, Long.MIN_VALUE);
        }
        // [account]: the sources of its band records, in list order (which registrations keep their standing edges).
        final List<List<Integer>> records = new ArrayList<>();
        for (int a = 0; a < n; a++)
        {
            records.add(new ArrayList<>());
        }
        PriceWatch current = watch;
        for (int a = 0; a < n; a++)
        {
            registerRandomly(current, a, random, price, upperEdge, lowerEdge, records);
        }
        for (int step = 0; step < 20_000; step++)
        {
            if (step == 10_000)
            {
                current = roundTrip(current);
            }
            final int source = random.nextInt(sources);
            price[source] = Math.max(1, price[source] + random.nextInt(201) - 100);
            final long p = price[source];
            final List<long[]> above = new ArrayList<>();
            final List<long[]> below = new ArrayList<>();
            for (int a = 0; a < n; a++)
            {
                if (upperEdge[a][source] < p)
                {
                    above.add(new long[] {upperEdge[a][source], a});
                    upperEdge[a][source] = Long.MAX_VALUE;
                }
                if (lowerEdge[a][source] > p)
                {
                    below.add(new long[] {-lowerEdge[a][source], a});
                    lowerEdge[a][source] = Long.MIN_VALUE;
                }
            }
            final List<Integer> want = new ArrayList<>();
            for (final List<long[]> side : List.of(above, below))
            {
                side.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
                side.forEach(e -> want.add(Accounts.FIRST_USER_ACCOUNT + (int)e[1]));
            }
            out.clear();
            current.triggered(source, p, out);
            assertEquals(want, new ArrayList<>(out), "step " + step);
            for (final int accountId : want)
            {
                registerRandomly(current, accountId - Accounts.FIRST_USER_ACCOUNT, random, price, upperEdge, lowerEdge,
                    records);
            }
            if (random.nextInt(4) == 0)
            {
                registerRandomly(current, random.nextInt(n), random, price, upperEdge, lowerEdge, records);
            }
            int edges = 0;
            for (int a = 0; a < n; a++)
            {
                edges += (upperEdge[a][source] != Long.MAX_VALUE ? 1 : 0) +
                    (lowerEdge[a][source] != Long.MIN_VALUE ? 1 : 0);
            }
            assertEquals(edges, current.edges(source), "live edges only, step " + step);
        }
    }

    private static void registerRandomly(
        final PriceWatch watch,
        final int a,
        final SplittableRandom random,
        final long[] price,
        final long[][] upperEdge,
        final long[][] lowerEdge,
        final List<List<Integer>> records)
    {
        final int accountId = Accounts.FIRST_USER_ACCOUNT + a;
        // A registration walks the account's records in list order: a source found ahead of the cursor keeps its
        // record (and its edges stand), those skipped on the way are dropped, one not found gets a new record.
        final List<Integer> before = records.get(a);
        final List<Integer> after = new ArrayList<>();
        final long[] standingUpper = upperEdge[a].clone();
        final long[] standingLower = lowerEdge[a].clone();
        int cursor = 0;
        final int sources = price.length;
        final int[] order = new int[sources];
        for (int i = 0; i < sources; i++)
        {
            order[i] = i;
        }
        if (random.nextInt(5) == 0)
        {
            for (int i = sources - 1; i > 0; i--)
            {
                final int j = random.nextInt(i + 1);
                final int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        watch.beginBands(accountId);
        for (final int source : order)
        {
            upperEdge[a][source] = Long.MAX_VALUE;
            lowerEdge[a][source] = Long.MIN_VALUE;
            if (random.nextInt(3) == 0)
            {
                continue;
            }
            final double halfWidth = random.nextInt(5) == 0 ? 0.0 : random.nextDouble() * 300;
            final long width = (long)Math.floor(halfWidth);
            final int side = random.nextInt(3);
            final int found = before.subList(cursor, before.size()).indexOf(source);
            final boolean stands = found >= 0;
            cursor = stands ? cursor + found + 1 : cursor;
            after.add(source);
            if (side == 0)
            {
                watch.register(source, accountId, price[source], halfWidth);
            }
            else if (side == 1)
            {
                watch.registerLower(source, accountId, price[source], halfWidth);
            }
            else
            {
                watch.registerUpper(source, accountId, price[source], halfWidth);
            }
            if (side != 1)
            {
                upperEdge[a][source] = upperAfter(stands ? standingUpper[source] : Long.MAX_VALUE, price[source],
                    width);
            }
            if (side != 2)
            {
                lowerEdge[a][source] = lowerAfter(stands ? standingLower[source] : Long.MIN_VALUE, Long.MIN_VALUE,
                    price[source], width);
            }
        }
        watch.endBands(accountId);
        records.set(a, after);
    }

    private PriceWatch roundTrip(final PriceWatch original)
    {
        final UnsafeBuffer first = new UnsafeBuffer(new byte[1 << 22]);
        final int length = encode(original, first);
        final PriceWatch copy = new PriceWatch(accounts);
        final PriceWatchTableDecoder decoder = new PriceWatchTableDecoder()
            .wrap(first, 0, PriceWatchTableEncoder.BLOCK_LENGTH, PriceWatchTableEncoder.SCHEMA_VERSION);
        copy.readSnapshot(decoder);
        final UnsafeBuffer second = new UnsafeBuffer(new byte[1 << 22]);
        assertEquals(length, encode(copy, second));
        for (int i = 0; i < length; i++)
        {
            assertEquals(first.getByte(i), second.getByte(i), "byte " + i);
        }
        return copy;
    }

    private static int encode(final PriceWatch watch, final UnsafeBuffer buffer)
    {
        final PriceWatchTableEncoder encoder = new PriceWatchTableEncoder().wrap(buffer, 0);
        watch.writeSnapshot(encoder);
        return encoder.encodedLength();
    }

    private void band(final int a, final long price, final double halfWidth, final SplittableRandom random,
        final long[] lower, final long[] upper)
    {
        final int accountId = Accounts.FIRST_USER_ACCOUNT + a;
        final long width = (long)Math.floor(halfWidth);
        final int side = random.nextInt(3);
        watch.beginBands(accountId);
        // The account's one band record exists from its first registration on: its edges not popped since stand.
        if (side == 0)
        {
            watch.register(SOURCE, accountId, price, halfWidth);
            lower[a] = lowerAfter(lower[a], NO_LOWER, price, width);
            upper[a] = upperAfter(upper[a], price, width);
        }
        else if (side == 1)
        {
            watch.registerLower(SOURCE, accountId, price, halfWidth);
            lower[a] = lowerAfter(lower[a], NO_LOWER, price, width);
            upper[a] = Long.MAX_VALUE;
        }
        else
        {
            watch.registerUpper(SOURCE, accountId, price, halfWidth);
            lower[a] = NO_LOWER;
            upper[a] = upperAfter(upper[a], price, width);
        }
        watch.endBands(accountId);
    }

    /**
     * The upper edge a registration leaves: the standing one (Long.MAX_VALUE for none) when it lies inside the new
     * edge by at most a quarter of the new half-width - PriceWatch keeps it in place - else the new edge.
     */
    private static long upperAfter(final long standing, final long price, final long width)
    {
        final long fresh = price + width;
        return standing != Long.MAX_VALUE && standing <= fresh && fresh - standing <= (long)(width * 0.25) ?
            standing : fresh;
    }

    /** The lower edge a registration leaves, as {@link #upperAfter}; {@code none} stands for no edge. */
    private static long lowerAfter(final long standing, final long none, final long price, final long width)
    {
        final long fresh = price - width;
        return standing != none && standing >= fresh && standing - fresh <= (long)(width * 0.25) ? standing : fresh;
    }

    private void band(final int accountId, final Runnable registrations)
    {
        watch.beginBands(accountId);
        registrations.run();
        watch.endBands(accountId);
    }
}
