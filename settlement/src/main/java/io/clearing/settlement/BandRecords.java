package io.clearing.settlement;

import java.util.Arrays;

/**
 * One record per registered band - an (account, price source) pair - holding the source, the next band of the same
 * account (each account's bands form a list in registration order) and the index of the band's entry in the upper
 * and in the lower trigger heap of its source (-1 for none). Records are four ints side by side; freed records are
 * chained through their next field and reused last-freed first; storage grows by doubling. A snapshot holds every
 * record below the high-water mark, free ones included, so a restored table hands out the same records. Not
 * thread-safe.
 */
final class BandRecords
{
    private static final int STRIDE = 4;
    private static final int SOURCE = 0;
    private static final int NEXT = 1;
    private static final int POSITION = 2;
    /** {@link #owners}: the record is on the free list. */
    static final int FREE = -2;
    /** {@link #owners} while checking: the record has not been met on a list yet. */
    private static final int UNLISTED = -1;

    private int[] data = new int[STRIDE * 64];
    private int highWater;
    private int freeHead = -1;

    /** @return a record for a source with no successor and no heap entries. */
    int allocate(final int source)
    {
        final int record;
        if (freeHead >= 0)
        {
            record = freeHead;
            freeHead = data[STRIDE * record + NEXT];
        }
        else
        {
            if (STRIDE * (highWater + 1) > data.length)
            {
                if (data.length > Integer.MAX_VALUE / 2 - STRIDE)
                {
                    throw new IllegalStateException("band records exhausted");
                }
                data = Arrays.copyOf(data, data.length * 2);
            }
            record = highWater++;
        }
        final int at = STRIDE * record;
        data[at + SOURCE] = source;
        data[at + NEXT] = -1;
        data[at + POSITION] = -1;
        data[at + POSITION + 1] = -1;
        return record;
    }

    /** Returns a record with no heap entries to the free list. */
    void free(final int record)
    {
        final int at = STRIDE * record;
        data[at + SOURCE] = -1;
        data[at + NEXT] = freeHead;
        freeHead = record;
    }

    int source(final int record)
    {
        return data[STRIDE * record + SOURCE];
    }

    int next(final int record)
    {
        return data[STRIDE * record + NEXT];
    }

    void next(final int record, final int nextRecord)
    {
        data[STRIDE * record + NEXT] = nextRecord;
    }

    /** @return the index of the record's entry in the heap of a side (0 upper, 1 lower), -1 for none. */
    int position(final int record, final int side)
    {
        return data[STRIDE * record + POSITION + side];
    }

    void position(final int record, final int side, final int index)
    {
        data[STRIDE * record + POSITION + side] = index;
    }

    int highWater()
    {
        return highWater;
    }

    int freeHead()
    {
        return freeHead;
    }

    /** Sizes the table for a snapshot's records, all with no heap entries until the heaps are restored. */
    void restore(final int recordCount, final int freeHeadValue)
    {
        if (recordCount < 0 || freeHeadValue < -1 || freeHeadValue >= recordCount)
        {
            throw new IllegalStateException("snapshot: " + recordCount + " band records, free head " + freeHeadValue);
        }
        data = new int[STRIDE * Math.max(64, recordCount)];
        highWater = recordCount;
        freeHead = freeHeadValue;
    }

    /** Sets one record as stored in a snapshot. */
    void restore(final int record, final int source, final int nextRecord)
    {
        if (nextRecord < -1 || nextRecord >= highWater)
        {
            throw new IllegalStateException("snapshot: band record " + record + " links to " + nextRecord);
        }
        final int at = STRIDE * record;
        data[at + SOURCE] = source;
        data[at + NEXT] = nextRecord;
        data[at + POSITION] = -1;
        data[at + POSITION + 1] = -1;
    }

    /**
     * Checks the lists of restored records before anything walks them, as a file with a valid hash may still have
     * been altered and resealed: a cycle would make a walk loop forever. Every account's list (links are in range
     * already, see {@link #restore(int, int, int)}) must be acyclic and hold records with a source; the free list
     * must be acyclic and hold exactly the records without one; every record must be on exactly one list.
     * O(records + accounts), at load only.
     *
     * @param firstBand the first record of each account, -1 for none; heads in range.
     * @return the account whose list holds each record, {@link #FREE} for a free one.
     * @throws IllegalStateException if a list is cyclic, two lists share a record, or a record is on no list or on the
     *                               wrong kind of list.
     */
    int[] owners(final int[] firstBand)
    {
        final int[] owner = new int[highWater];
        Arrays.fill(owner, UNLISTED);
        for (int accountId = 0; accountId < firstBand.length; accountId++)
        {
            for (int record = firstBand[accountId]; record != -1; record = next(record))
            {
                if (owner[record] != UNLISTED || source(record) < 0)
                {
                    throw new IllegalStateException("snapshot: band record " + record + " (source " + source(record) +
                        ") in the bands of account " + accountId + (owner[record] != UNLISTED ?
                        ", met twice (a cycle, or a record on two lists)" : ""));
                }
                owner[record] = accountId;
            }
        }
        for (int record = freeHead; record != -1; record = next(record))
        {
            if (owner[record] != UNLISTED || source(record) != -1)
            {
                throw new IllegalStateException("snapshot: band record " + record + " (source " + source(record) +
                    ") in the free list" + (owner[record] != UNLISTED ?
                    ", met twice (a cycle, or a record on two lists)" : ""));
            }
            owner[record] = FREE;
        }
        for (int record = 0; record < highWater; record++)
        {
            if (owner[record] == UNLISTED)
            {
                throw new IllegalStateException("snapshot: band record " + record + " (source " + source(record) +
                    ") on no list");
            }
        }
        return owner;
    }
}
