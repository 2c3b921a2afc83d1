package io.clearing.settlement;

import io.clearing.sbe.snapshot.PriceWatchTableDecoder;
import io.clearing.sbe.snapshot.PriceWatchTableEncoder;
import org.agrona.collections.IntArrayList;

/**
 * Finds the accounts whose margin state may have changed when a price moves, without scanning the holders.
 * <p>
 * After each evaluation an account registers ({@link #beginBands}, then one call per band, then {@link #endBands}),
 * for every price it depends on (the mark of each instrument it holds,
 * the index of each non-cash collateral asset), a band around the current price. The bands are sized so that while
 * every price stays inside its band, equity less the nearest margin threshold cannot change sign: with headroom H
 * and prices of sensitivity s_j (money per price unit, an upper bound), price j gets a budget b_j with the b_j summing
 * to H, and its band is +-b_j / s_j. Any split of H is sound; the watch splits it by how fast each price moves
 * ({@link #weight}), so a price that ticks often gets a wide band and one that never moves gets none. A price tick
 * pops only the accounts whose band it leaves - O(k log n) for k such accounts - and the caller re-evaluates them,
 * which registers fresh bands. Sources are numbered: instrument marks 0..4095, underlying indexes from
 * {@link #INDEX_SOURCE_BASE}, option implied volatilities (ppm) from {@link #VOL_SOURCE_BASE}, engine time as seen by
 * the options of each underlying from {@link #TIME_SOURCE_BASE}, and engine time for all options {@link #TIME_SOURCE}.
 * Each band is a record ({@link BandRecords}) that knows where its entries are, so a re-registered band moves in
 * place - or keeps an edge that lies inside the new one by at most a quarter of its half-width ({@link #KEEP_SLACK}:
 * narrower only fires sooner) - and a dropped one is removed: the heaps hold live bands only. A snapshot holds the
 * heaps exactly as in memory (array order and capacity) and the band records, so a restored watch is this watch. Not
 * thread-safe.
 */
public final class PriceWatch
{
    /** First source id of underlying index prices. */
    public static final int INDEX_SOURCE_BASE = Limits.MAX_INSTRUMENTS;
    /** First source id of option implied volatilities (in ppm), one per instrument id. */
    public static final int VOL_SOURCE_BASE = INDEX_SOURCE_BASE + Limits.MAX_UNDERLYINGS;
    /**
     * First source id of engine time as seen by the options of one underlying: an account whose time edge for an
     * underlying has already passed - its options there wait to be re-priced past it - registers it here, watched only
     * by the commands that re-price options on that underlying (their margin does not move with time in between).
     */
    public static final int TIME_SOURCE_BASE = VOL_SOURCE_BASE + Limits.MAX_INSTRUMENTS;
    /**
     * The source id of engine time for every other time edge: an account holding options registers one upper edge at
     * the earliest time by which their decay on some underlying could use its share of the headroom; time "moves"
     * whenever options are re-priced at a later time.
     */
    public static final int TIME_SOURCE = TIME_SOURCE_BASE + Limits.MAX_UNDERLYINGS;
    /** Number of source ids. */
    public static final int SOURCES = TIME_SOURCE + 1;
    /** Weight of the newest change in the running means of {@link #moved}. */
    private static final double NEWEST = 1.0 / 20;
    /**
     * A squared move counts in {@link #moved}'s running mean at most this many times what the source's variance rate
     * so far expects over the move's interval (four sigmas): a jump (a crash's gap, a volatility spike) would otherwise
     * dominate a source's weight for a hundred moves and starve the account's other bands, re-evaluating thousands of
     * accounts at every tick of the prices it starved; a lasting change of regime still lifts the mean by up to 1.75x
     * a move.
     */
    private static final double JUMP_CLIP = 16.0;
    /** A band wider than any price: the account never needs a re-check for this source. */
    private static final double NO_TRIGGER = (double)Limits.MAX_PRICE * 4;
    /**
     * A band registered again keeps its standing edge when that edge lies inside the new one by at most this share of
     * the new half-width: most re-evaluations move an edge a little outward (the account's other prices barely moved),
     * and the heap moves they would cost are most of a registration. Narrower than needed only fires sooner.
     */
    private static final double KEEP_SLACK = 0.25;

    private final BandRecords records = new BandRecords();
    private int[] firstBand;
    private final TriggerHeap[] upper = new TriggerHeap[SOURCES];
    private final TriggerHeap[] lowerNegated = new TriggerHeap[SOURCES];
    private long registrations;
    /** Edges registered again that stayed where they stood ({@link #KEEP_SLACK}); not in snapshots: diagnostics. */
    private long kept;
    private final double[] meanSquareMove = new double[SOURCES];
    private final double[] meanInterval = new double[SOURCES];
    private final long[] changedAt = new long[SOURCES];
    /** The account whose bands are being registered ({@link #beginBands}), -1 outside a registration. */
    private int registering = -1;
    /** Next record of the account's previous bands not yet matched by this registration. */
    private int cursor = -1;
    /** Last record of this registration so far, -1 before the first. */
    private int previous = -1;

    /**
     * @param accounts the account table: its capacity bounds the account ids.
     */
    public PriceWatch(final Accounts accounts)
    {
        firstBand = new int[accounts.capacity()];
        java.util.Arrays.fill(firstBand, -1);
        for (int i = 0; i < SOURCES; i++)
        {
            upper[i] = new TriggerHeap(records, 0);
            lowerNegated[i] = new TriggerHeap(records, 1);
        }
    }

    /**
     * Makes room for account ids up to {@code accountCapacity} - 1; the new ids have no bands. Allocates: for the
     * rare command that raises the account capacity, not for the hot path.
     *
     * @param accountCapacity at least the current number of account ids.
     */
    public void growAccounts(final int accountCapacity)
    {
        final int old = firstBand.length;
        if (accountCapacity < old)
        {
            throw new IllegalArgumentException("account capacity " + accountCapacity + " below " + old);
        }
        final int[] grown = java.util.Arrays.copyOf(firstBand, accountCapacity);
        java.util.Arrays.fill(grown, old, accountCapacity, -1);
        firstBand = grown;
    }

    /**
     * Records a price change of a source, before its triggers are collected: per source the running means (the newest
     * change weighing 1/20) of the squared relative change (clipped at {@link #JUMP_CLIP} times its expected value) and
     * of the engine time between changes, whose ratio estimates the variance of the price's relative moves per
     * nanosecond (both means start at zero, so the ratio is unbiased from the first move).
     * Deterministic: engine time and prices only.
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
        final double square = change * change;
        final double interval = Math.max(1.0, (double)(now - changedAt[source]));
        final double rate = meanInterval[source] > 0.0 ? meanSquareMove[source] / meanInterval[source] : 0.0;
        final double counted = rate > 0.0 ? Math.min(square, JUMP_CLIP * rate * interval) : square;
        meanSquareMove[source] += NEWEST * (counted - meanSquareMove[source]);
        meanInterval[source] += NEWEST * (interval - meanInterval[source]);
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
     * Starts replacing an account's bands, after an evaluation: call {@link #register}, {@link #registerLower} or
     * {@link #registerUpper} for each band it needs now, then {@link #endBands}. A band of a source registered again
     * moves in place (an edge inside the new one by at most {@link #KEEP_SLACK} of its half-width stays); one not
     * registered again is removed.
     */
    public void beginBands(final int accountId)
    {
        if (registering >= 0)
        {
            throw new IllegalStateException("bands of account " + registering + " are being registered");
        }
        registering = accountId;
        cursor = firstBand[accountId];
        previous = -1;
    }

    /** Ends the registration started by {@link #beginBands}: the account's bands not registered again are removed. */
    public void endBands(final int accountId)
    {
        checkRegistering(accountId);
        while (cursor >= 0)
        {
            cursor = drop(cursor);
        }
        registering = -1;
    }

    /**
     * Ends a registration cut short by a failure (the engine's per-command clean-up calls it after every command): the
     * account keeps the bands registered so far and its older ones not yet reached - more bands than needed, never
     * fewer - and the watch accepts the next registration. Does nothing outside a registration.
     */
    public void abortBands()
    {
        registering = -1;
        cursor = -1;
        previous = -1;
    }

    /** Removes every band of an account (it depends on no price, or on none that needs watching). */
    public void clearBands(final int accountId)
    {
        beginBands(accountId);
        endBands(accountId);
    }

    /**
     * Registers the band of one source for the account being registered: it fires when the source's price leaves
     * [reference - halfWidth, reference + halfWidth] (the half-width floored to whole price units), or sooner: an edge
     * of the account's previous band for this source that lies inside the new edge by at most {@link #KEEP_SLACK} of
     * the half-width stays where it stands.
     *
     * @param source         source id.
     * @param accountId      the account of {@link #beginBands}.
     * @param referencePrice the source's price at the evaluation.
     * @param halfWidth      allowed move each way in price units; at least 0.
     */
    public void register(final int source, final int accountId, final long referencePrice, final double halfWidth)
    {
        register(source, accountId, referencePrice, halfWidth, halfWidth);
    }

    /**
     * Registers only the lower edge of a band: for a price whose rise can only help the account.
     *
     * @see #register(int, int, long, double)
     */
    public void registerLower(final int source, final int accountId, final long referencePrice, final double halfWidth)
    {
        register(source, accountId, referencePrice, halfWidth, Double.POSITIVE_INFINITY);
    }

    /**
     * Registers only the upper edge of a band: for a price whose fall can only help the account.
     *
     * @see #register(int, int, long, double)
     */
    public void registerUpper(final int source, final int accountId, final long referencePrice, final double halfWidth)
    {
        register(source, accountId, referencePrice, Double.POSITIVE_INFINITY, halfWidth);
    }

    /**
     * Registers a band whose edges lie at different distances from the reference: for a price whose rise and fall
     * each threaten a different threshold (an account in margin call: recovery one way, liquidation the other). An
     * edge at {@code NO_TRIGGER} or wider (infinity) is left out; with both left out the source has no band.
     *
     * @param source          source id.
     * @param accountId       the account of {@link #beginBands}.
     * @param referencePrice  the source's price at the evaluation.
     * @param lowerHalfWidth  allowed fall in price units; at least 0.
     * @param upperHalfWidth  allowed rise in price units; at least 0.
     */
    public void register(
        final int source,
        final int accountId,
        final long referencePrice,
        final double lowerHalfWidth,
        final double upperHalfWidth)
    {
        checkRegistering(accountId);
        final boolean withUpper = upperHalfWidth < NO_TRIGGER;
        final boolean withLower = lowerHalfWidth < NO_TRIGGER;
        if (!withUpper && !withLower)
        {
            return;
        }
        final int record = record(source, accountId);
        final long upperWidth = withUpper ? (long)Math.floor(upperHalfWidth) : 0;
        final long lowerWidth = withLower ? (long)Math.floor(lowerHalfWidth) : 0;
        edge(upper[source], record, 0, withUpper, accountId, referencePrice + upperWidth, keepSlack(upperWidth));
        edge(lowerNegated[source], record, 1, withLower, accountId, -(referencePrice - lowerWidth),
            keepSlack(lowerWidth));
        registrations++;
    }

    /**
     * How much nearer the reference than the new edge the standing edge of a band may lie and stay: a quarter of the
     * new half-width ({@link #KEEP_SLACK}).
     */
    private static long keepSlack(final long width)
    {
        return Math.max(0L, (long)(width * KEEP_SLACK));
    }

    private void edge(
        final TriggerHeap heap,
        final int record,
        final int side,
        final boolean wanted,
        final int accountId,
        final long trigger,
        final long slack)
    {
        final int index = records.position(record, side);
        if (!wanted)
        {
            if (index >= 0)
            {
                heap.remove(index);
            }
        }
        else if (index >= 0)
        {
            // The standing edge stays where it is when it lies inside the new one, by no more than the slack: it fires
            // no later than the new edge would (sooner re-evaluates sooner: sound), and the heap is not touched.
            // The distance is compared unsigned: with standing <= trigger it is exact in 64 bits, while a signed
            // difference of engine times far apart wraps negative and would keep an edge of any distance.
            final long standing = heap.trigger(index);
            if (standing <= trigger && Long.compareUnsigned(trigger - standing, slack) <= 0)
            {
                kept++;
            }
            else
            {
                heap.update(index, trigger);
            }
        }
        else
        {
            heap.push(trigger, accountId, record);
        }
    }

    /**
     * The record of a source's band in this registration: the account's previous one when it lies ahead of the
     * cursor (the records skipped on the way are dropped: their sources come no more), else a new one. Registrations
     * visit sources in the order of the account's positions, so the search is usually one step.
     */
    private int record(final int source, final int accountId)
    {
        int found = cursor;
        while (found >= 0 && records.source(found) != source)
        {
            found = records.next(found);
        }
        final int record;
        if (found >= 0)
        {
            while (cursor != found)
            {
                cursor = drop(cursor);
            }
            record = found;
            cursor = records.next(found);
        }
        else
        {
            record = records.allocate(source);
            records.next(record, cursor);
            link(accountId, record);
        }
        previous = record;
        return record;
    }

    /** Links {@code record} after {@link #previous}, or first. */
    private void link(final int accountId, final int record)
    {
        if (previous < 0)
        {
            firstBand[accountId] = record;
        }
        else
        {
            records.next(previous, record);
        }
    }

    /** Removes a record of the registering account at the cursor, its entries included; @return its successor. */
    private int drop(final int record)
    {
        final int source = records.source(record);
        final int up = records.position(record, 0);
        if (up >= 0)
        {
            upper[source].remove(up);
        }
        final int down = records.position(record, 1);
        if (down >= 0)
        {
            lowerNegated[source].remove(down);
        }
        final int next = records.next(record);
        link(registering, next);
        records.free(record);
        return next;
    }

    private void checkRegistering(final int accountId)
    {
        if (registering != accountId)
        {
            throw new IllegalStateException("bands of account " + accountId + " outside its registration");
        }
    }

    /**
     * Collects the accounts whose band the new price of a source leaves, and removes those edges: strictly beyond an
     * edge (a price on the edge is inside the band; a band of width zero fires on any change of the price and never on
     * a repeat of it). Each account comes at most once per side, so possibly twice per source and more across
     * sources; callers de-duplicate. The account's other edges stay until it registers again.
     *
     * @param source source id.
     * @param price  the new price.
     * @param out    receives account ids in trigger order: upper edges, then lower, each by trigger then account id.
     */
    public void triggered(final int source, final long price, final IntArrayList out)
    {
        final TriggerHeap up = upper[source];
        while (!up.isEmpty() && up.peekTrigger() < price)
        {
            out.addInt(up.peekAccount());
            up.pop();
        }
        final TriggerHeap down = lowerNegated[source];
        while (!down.isEmpty() && down.peekTrigger() < -price)
        {
            out.addInt(down.peekAccount());
            down.pop();
        }
    }

    /** @return the first of an account's bands (a handle for {@link #warmBand}), -1 for none. */
    public int firstBand(final int accountId)
    {
        return firstBand[accountId];
    }

    /** @return the band after {@code band} in its account's list, -1 at the end. */
    public int nextBand(final int band)
    {
        return records.next(band);
    }

    /**
     * Reads a band's heap entries (and the entries a move of them compares first) and does nothing else: a caller about
     * to re-register the bands of several accounts reads them across all of them first, so that the memory loads of
     * the different accounts wait together instead of one after another (see ClearingStateMachine.warm).
     *
     * @param band a band from {@link #firstBand} or {@link #nextBand}.
     * @return a sum of what was read, meaningless.
     */
    public long warmEntries(final int band)
    {
        final int source = records.source(band);
        final int up = records.position(band, 0);
        final int down = records.position(band, 1);
        long read = source;
        if (up >= 0)
        {
            read += upper[source].warm(up);
        }
        if (down >= 0)
        {
            read += lowerNegated[source].warm(down);
        }
        return read;
    }

    /** @return live band edges in the heaps of a source (upper and lower). */
    public int edges(final int source)
    {
        return upper[source].size() + lowerNegated[source].size();
    }

    /** @return bands registered since start (a measure of evaluation work). */
    public long registrations()
    {
        return registrations;
    }

    /**
     * @return edges registered again since this watch was built or restored that kept their standing place (inside
     * the new edge by at most a quarter of its half-width); a diagnostic, not part of the state.
     */
    public long keptEdges()
    {
        return kept;
    }

    /**
     * Writes every heap not in its initial state (by source, upper side first) and their entries in array order.
     *
     * @param encoder wrapped at the message; its groups are written in schema order.
     */
    public void writeSnapshot(final PriceWatchTableEncoder encoder)
    {
        encoder.registrations(registrations).bandFreeHead(records.freeHead());
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
                    entryRows.next().trigger(heap.trigger(i)).accountId(heap.account(i)).band(heap.record(i));
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
        final int recordCount = records.highWater();
        final PriceWatchTableEncoder.BandsEncoder bandRows = encoder.bandsCount(recordCount);
        for (int record = 0; record < recordCount; record++)
        {
            bandRows.next().bandSource(records.source(record)).nextBand(records.next(record));
        }
        int heads = 0;
        for (final int head : firstBand)
        {
            heads += head >= 0 ? 1 : 0;
        }
        final PriceWatchTableEncoder.BandHeadsEncoder headRows = encoder.bandHeadsCount(heads);
        for (int accountId = 0; accountId < firstBand.length; accountId++)
        {
            if (firstBand[accountId] >= 0)
            {
                headRows.next().headAccountId(accountId).firstBand(firstBand[accountId]);
            }
        }
    }

    /**
     * Loads a snapshot written by {@link #writeSnapshot} into this watch, which must be newly constructed.
     *
     * @param decoder wrapped at the message.
     * @throws IllegalStateException if a source or side is out of range, the entries do not add up, a band list or the
     *                               free list is cyclic or holds the wrong records, a record is on no list, or a
     *                               heap entry names a record of another source or account.
     */
    public void readSnapshot(final PriceWatchTableDecoder decoder)
    {
        registrations = decoder.registrations();
        final int freeHead = decoder.bandFreeHead();
        // Heap rows come before the entry rows: remember the order to fill them in.
        final PriceWatchTableDecoder.HeapsDecoder heapRows = decoder.heaps();
        final TriggerHeap[] order = new TriggerHeap[heapRows.count()];
        final int[] orderSource = new int[heapRows.count()];
        final int[] orderSide = new int[heapRows.count()];
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
            orderSource[heaps] = source;
            orderSide[heaps] = side;
            order[heaps++] = heap;
            expectedEntries += row.entryCount();
        }
        // Entries come before the records; keep them to place once the records exist.
        final PriceWatchTableDecoder.EntriesDecoder entryRows = decoder.entries();
        if (entryRows.count() != expectedEntries)
        {
            throw new IllegalStateException("snapshot: " + entryRows.count() + " heap entries, heaps hold " +
                expectedEntries);
        }
        final long[] entryTrigger = new long[entryRows.count()];
        final int[] entryAccount = new int[entryRows.count()];
        final int[] entryBand = new int[entryRows.count()];
        int entry = 0;
        for (final PriceWatchTableDecoder.EntriesDecoder row : entryRows)
        {
            entryTrigger[entry] = row.trigger();
            entryAccount[entry] = row.accountId();
            entryBand[entry] = row.band();
            entry++;
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
        final PriceWatchTableDecoder.BandsDecoder bandRows = decoder.bands();
        final int recordCount = bandRows.count();
        records.restore(recordCount, freeHead);
        int record = 0;
        for (final PriceWatchTableDecoder.BandsDecoder row : bandRows)
        {
            final int source = row.bandSource();
            if (source < -1 || source >= SOURCES)
            {
                throw new IllegalStateException("snapshot: band record " + record + " of source " + source);
            }
            records.restore(record++, source, row.nextBand());
        }
        for (final PriceWatchTableDecoder.BandHeadsDecoder row : decoder.bandHeads())
        {
            final int accountId = row.headAccountId();
            final int head = row.firstBand();
            if (accountId < 0 || accountId >= firstBand.length || head < 0 || head >= recordCount)
            {
                throw new IllegalStateException("snapshot: account " + accountId + " band head " + head);
            }
            firstBand[accountId] = head;
        }
        final int[] owner = records.owners(firstBand);
        entry = 0;
        for (int h = 0; h < heaps; h++)
        {
            final TriggerHeap heap = order[h];
            for (int i = 0, size = heap.size(); i < size; i++, entry++)
            {
                final int band = entryBand[entry];
                if (band < 0 || band >= recordCount || records.source(band) != orderSource[h] ||
                    records.position(band, orderSide[h]) >= 0 || owner[band] != entryAccount[entry])
                {
                    throw new IllegalStateException("snapshot: heap entry of band record " + band + ", account " +
                        entryAccount[entry]);
                }
                heap.restore(i, entryTrigger[entry], entryAccount[entry], band);
            }
            if (!heap.isOrdered())
            {
                throw new IllegalStateException("snapshot: heap of source " + orderSource[h] + " out of order");
            }
        }
    }

    private TriggerHeap heap(final int source, final int side)
    {
        return side == 0 ? upper[source] : lowerNegated[source];
    }
}
