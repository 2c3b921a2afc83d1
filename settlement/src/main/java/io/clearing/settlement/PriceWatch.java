package io.clearing.settlement;

import io.clearing.sbe.snapshot.PriceWatchTableDecoder;
import io.clearing.sbe.snapshot.PriceWatchTableEncoder;
import org.agrona.collections.IntArrayList;

/**
 * Finds the accounts whose margin state may have changed when a price moves, without scanning the holders.
 * <p>
 * After each evaluation an account registers, for every price it depends on (the mark of each instrument it holds,
 * the index of each non-cash collateral asset), a band around the current price. The bands are sized so that while
 * every price stays inside its band, equity less the nearest margin threshold cannot change sign: with headroom H
 * and prices of sensitivity s_j (money per price unit, an upper bound), price j gets a budget b_j with the b_j summing
 * to H, and its band is +-b_j / s_j. Any split of H is sound; the watch splits it by how fast each price moves
 * ({@link #weight}), so a price that ticks often gets a wide band and one that never moves gets none. A price tick
 * pops only the accounts whose band it leaves - O(k log n) for k such accounts - and the caller re-evaluates them,
 * which registers fresh bands. Sources are numbered: instrument marks 0..4095, underlying indexes from
 * {@link #INDEX_SOURCE_BASE}, option implied volatilities (ppm) from {@link #VOL_SOURCE_BASE}.
 * A snapshot holds the heaps exactly as in memory, stale entries and capacity included, so a restored watch is this
 * watch. Not thread-safe.
 */
public final class PriceWatch
{
    /** First source id of underlying index prices. */
    public static final int INDEX_SOURCE_BASE = Limits.MAX_INSTRUMENTS;
    /** First source id of option implied volatilities (in ppm), one per instrument id. */
    public static final int VOL_SOURCE_BASE = INDEX_SOURCE_BASE + Limits.MAX_UNDERLYINGS;
    /** Number of source ids. */
    public static final int SOURCES = VOL_SOURCE_BASE + Limits.MAX_INSTRUMENTS;
    /** Weight of the newest change in the running means of {@link #moved}. */
    private static final double NEWEST = 1.0 / 20;
    /** A band wider than any price: the account never needs a re-check for this source. */
    private static final double NO_TRIGGER = (double)Limits.MAX_PRICE * 4;

    private final Accounts accounts;
    private final TriggerHeap[] upper = new TriggerHeap[SOURCES];
    private final TriggerHeap[] lowerNegated = new TriggerHeap[SOURCES];
    private long registrations;
    private final double[] meanSquareMove = new double[SOURCES];
    private final double[] meanInterval = new double[SOURCES];
    private final long[] changedAt = new long[SOURCES];

    /**
     * @param accounts evaluation stamps tell live triggers from stale ones.
     */
    public PriceWatch(final Accounts accounts)
    {
        this.accounts = accounts;
        for (int i = 0; i < SOURCES; i++)
        {
            upper[i] = new TriggerHeap();
            lowerNegated[i] = new TriggerHeap();
        }
    }

    /**
     * Records a price change of a source, before its triggers are collected: per source the running means (the newest
     * change weighing 1/20) of the squared relative change and of the engine time between changes, whose ratio
     * estimates the variance of the price's relative moves per nanosecond. Deterministic: engine time and prices only.
     *
     * @param source source id.
     * @param before the price before, 0 or less when the source had none.
     * @param after  the new price.
     * @param now    engine time of the command.
     */
    public boolean moved(final int source, final long before, final long after, final long now)
    {
        final boolean first = meanInterval[source] == 0.0 && after != before;
        if (before <= 0)
        {
            changedAt[source] = now;
            return first;
        }
        if (after == before)
        {
            return false;
        }
        final double change = (double)(after - before) / before;
        meanSquareMove[source] += NEWEST * (change * change - meanSquareMove[source]);
        meanInterval[source] += NEWEST * (Math.max(1.0, (double)(now - changedAt[source])) - meanInterval[source]);
        changedAt[source] = now;
        return first;
    }

    /**
     * Whether a source has ever moved (changed from one positive price to another). Until it has, its weight is zero
     * and its band would have width zero - fire on any change - so callers that can find the accounts depending on it
     * without the watch may register nothing and re-evaluate those accounts on its first change instead
     * ({@link #moved} says when that is).
     */
    public boolean hasMoved(final int source)
    {
        return meanInterval[source] != 0.0;
    }

    /**
     * The share of an account's headroom a source should get, relative to its other sources: (sigma x price x
     * sensitivity)^(2/3), sigma the source's estimated volatility per square root of engine time. For prices moving as
     * independent random walks this split maximises the expected time before any band is left (an account leaves a
     * band of width w at a rate that goes as (sigma / w)^2). Zero for a source that has not moved yet: its band has
     * width zero and fires on its first change (or, see {@link #hasMoved}, the caller registers none).
     *
     * @param source      source id.
     * @param price       its current price.
     * @param sensitivity the account's sensitivity to it, money per price unit.
     * @return the weight, at least 0.
     */
    public double weight(final int source, final long price, final double sensitivity)
    {
        final double interval = meanInterval[source];
        if (interval <= 0.0)
        {
            return 0.0;
        }
        final double scale = Math.sqrt(meanSquareMove[source] / interval) * price * sensitivity;
        return scale > 0.0 && scale < Double.POSITIVE_INFINITY ? StrictMath.cbrt(scale * scale) : 0.0;
    }

    /**
     * Registers the band of one source for an account just evaluated (after
     * {@link Accounts#evaluated}).
     *
     * @param source         source id.
     * @param accountId      account.
     * @param referencePrice the source's price at the evaluation.
     * @param halfWidth      allowed move each way in price units; at least 0.
     */
    public void register(final int source, final int accountId, final long referencePrice, final double halfWidth)
    {
        if (halfWidth >= NO_TRIGGER)
        {
            return;
        }
        final long width = (long)Math.floor(halfWidth);
        final int stamp = accounts.evaluationStamp(accountId);
        upper[source].push(referencePrice + width, accountId, stamp, accounts);
        lowerNegated[source].push(-(referencePrice - width), accountId, stamp, accounts);
        registrations++;
    }

    /**
     * Registers only the lower edge of a band: for a price whose rise can only help the account.
     *
     * @see #register(int, int, long, double)
     */
    public void registerLower(final int source, final int accountId, final long referencePrice, final double halfWidth)
    {
        if (halfWidth >= NO_TRIGGER)
        {
            return;
        }
        final long width = (long)Math.floor(halfWidth);
        lowerNegated[source].push(-(referencePrice - width), accountId, accounts.evaluationStamp(accountId), accounts);
        registrations++;
    }

    /**
     * Registers only the upper edge of a band: for a price whose fall can only help the account.
     *
     * @see #register(int, int, long, double)
     */
    public void registerUpper(final int source, final int accountId, final long referencePrice, final double halfWidth)
    {
        if (halfWidth >= NO_TRIGGER)
        {
            return;
        }
        final long width = (long)Math.floor(halfWidth);
        upper[source].push(referencePrice + width, accountId, accounts.evaluationStamp(accountId), accounts);
        registrations++;
    }

    /**
     * Collects the accounts whose band the new price of a source leaves: strictly beyond an edge (a price on the edge
     * is inside the band; a band of width zero fires on any change of the price and never on a repeat of it). Each
     * live account comes once per call, possibly twice across sources; callers de-duplicate with the evaluation
     * stamp.
     *
     * @param source source id.
     * @param price  the new price.
     * @param out    receives account ids in trigger order.
     */
    public void triggered(final int source, final long price, final IntArrayList out)
    {
        final TriggerHeap up = upper[source];
        while (!up.isEmpty() && up.peekTrigger() < price)
        {
            collect(up, out);
        }
        final TriggerHeap down = lowerNegated[source];
        while (!down.isEmpty() && down.peekTrigger() < -price)
        {
            collect(down, out);
        }
    }

    private void collect(final TriggerHeap heap, final IntArrayList out)
    {
        final int accountId = heap.peekAccount();
        final boolean live = accounts.evaluationStamp(accountId) == heap.peekStamp();
        heap.pop();
        if (live)
        {
            out.addInt(accountId);
        }
    }

    /** @return bands registered since start (a measure of evaluation work). */
    public long registrations()
    {
        return registrations;
    }

    /**
     * Writes every heap not in its initial state (by source, upper side first) and their entries in array order.
     *
     * @param encoder wrapped at the message; its groups are written in schema order.
     */
    public void writeSnapshot(final PriceWatchTableEncoder encoder)
    {
        encoder.registrations(registrations);
        int heaps = 0;
        int entries = 0;
        for (int source = 0; source < SOURCES; source++)
        {
            for (int side = 0; side < 2; side++)
            {
                final TriggerHeap heap = heap(source, side);
                if (!heap.isInitial())
                {
                    heaps++;
                    entries += heap.size();
                }
            }
        }
        final PriceWatchTableEncoder.HeapsEncoder heapRows = encoder.heapsCount(heaps);
        for (int source = 0; source < SOURCES; source++)
        {
            for (int side = 0; side < 2; side++)
            {
                final TriggerHeap heap = heap(source, side);
                if (!heap.isInitial())
                {
                    heapRows.next().source(source).side((short)side).entryCapacity(heap.capacity())
                        .entryCount(heap.size());
                }
            }
        }
        final PriceWatchTableEncoder.EntriesEncoder entryRows = encoder.entriesCount(entries);
        for (int source = 0; source < SOURCES; source++)
        {
            for (int side = 0; side < 2; side++)
            {
                final TriggerHeap heap = heap(source, side);
                for (int i = 0, size = heap.size(); i < size; i++)
                {
                    entryRows.next().trigger(heap.trigger(i)).accountId(heap.account(i)).stamp(heap.stamp(i));
                }
            }
        }
        int active = 0;
        for (int source = 0; source < SOURCES; source++)
        {
            if (changedAt[source] != 0 || meanInterval[source] != 0.0)
            {
                active++;
            }
        }
        final PriceWatchTableEncoder.ActivityEncoder activityRows = encoder.activityCount(active);
        for (int source = 0; source < SOURCES; source++)
        {
            if (changedAt[source] != 0 || meanInterval[source] != 0.0)
            {
                activityRows.next().activitySource(source).meanSquareMove(meanSquareMove[source])
                    .meanInterval(meanInterval[source]).changedAt(changedAt[source]);
            }
        }
    }

    /**
     * Loads a snapshot written by {@link #writeSnapshot} into this watch, which must be newly constructed.
     *
     * @param decoder wrapped at the message.
     * @throws IllegalStateException if a source or side is out of range or the entries do not add up.
     */
    public void readSnapshot(final PriceWatchTableDecoder decoder)
    {
        registrations = decoder.registrations();
        // Heap rows come before the entry rows: remember the order to fill them in.
        final PriceWatchTableDecoder.HeapsDecoder heapRows = decoder.heaps();
        final TriggerHeap[] order = new TriggerHeap[heapRows.count()];
        int heaps = 0;
        long expectedEntries = 0;
        for (final PriceWatchTableDecoder.HeapsDecoder row : heapRows)
        {
            final int source = row.source();
            final int side = row.side();
            if (source < 0 || source >= SOURCES || side > 1)
            {
                throw new IllegalStateException("snapshot: heap of source " + source + " side " + side);
            }
            final TriggerHeap heap = heap(source, side);
            heap.restoreStorage(row.entryCapacity(), row.entryCount());
            order[heaps++] = heap;
            expectedEntries += row.entryCount();
        }
        final PriceWatchTableDecoder.EntriesDecoder entryRows = decoder.entries();
        if (entryRows.count() != expectedEntries)
        {
            throw new IllegalStateException("snapshot: " + entryRows.count() + " heap entries, heaps hold " +
                expectedEntries);
        }
        int heap = 0;
        int i = 0;
        for (final PriceWatchTableDecoder.EntriesDecoder row : entryRows)
        {
            while (i == order[heap].size())
            {
                heap++;
                i = 0;
            }
            order[heap].restore(i++, row.trigger(), row.accountId(), row.stamp());
        }
        for (final PriceWatchTableDecoder.ActivityDecoder row : decoder.activity())
        {
            final int source = row.activitySource();
            if (source < 0 || source >= SOURCES)
            {
                throw new IllegalStateException("snapshot: activity of source " + source);
            }
            meanSquareMove[source] = row.meanSquareMove();
            meanInterval[source] = row.meanInterval();
            changedAt[source] = row.changedAt();
        }
    }

    private TriggerHeap heap(final int source, final int side)
    {
        return side == 0 ? upper[source] : lowerNegated[source];
    }
}
