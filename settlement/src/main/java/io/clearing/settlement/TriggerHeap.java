package io.clearing.settlement;

/**
 * A 4-ary min-heap of price triggers (trigger price, account, band record) that knows where each entry is: every
 * move writes the entry's index into its band record ({@link BandRecords}), so a band is moved or removed in place
 * in O(log n) and the heap holds live bands only. Ties break on account id (an account has at most one entry per
 * heap), so the order is total and pops are deterministic. Storage grows by doubling when full; its capacity is part
 * of the state a snapshot restores. Not thread-safe.
 * <p>
 * One entry is two adjacent longs - the trigger, then the account in the high half and the band record in the low
 * half - so moving an entry touches one cache line.
 */
final class TriggerHeap
{
    private static final int INITIAL_CAPACITY = 8;
    /**
     * Children per entry. Four entries of 16 bytes are one cache line (two when the array is not aligned), and the
     * heap is half as deep as a binary one, so a sift touches about half the lines: one-thread replay of the default
     * simulate journal 30.2 / 32.0 s against 34.1 / 33.2 s binary (alternating runs, 2026-11-24); eight children, or
     * the children's line aligned: no further change.
     */
    private static final int ARITY = 4;

    private final BandRecords records;
    private final int side;
    private long[] entries = new long[2 * INITIAL_CAPACITY];
    private int size;

    /**
     * @param records where entries record their index.
     * @param side    0 for a heap of upper edges, 1 for lower edges: which index of the record the heap keeps.
     */
    TriggerHeap(final BandRecords records, final int side)
    {
        this.records = records;
        this.side = side;
    }

    int size()
    {
        return size;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    long peekTrigger()
    {
        return entries[0];
    }

    int peekAccount()
    {
        return (int)(entries[1] >>> 32);
    }

    /** Adds the entry of a band record that has none in this heap. */
    void push(final long triggerValue, final int accountId, final int record)
    {
        if (2 * size == entries.length)
        {
            entries = java.util.Arrays.copyOf(entries, entries.length * 2);
        }
        siftUp(size++, triggerValue, pack(accountId, record));
    }

    /** Moves the entry at index {@code i} to a new trigger. */
    void update(final int i, final long triggerValue)
    {
        final long old = entries[2 * i];
        if (triggerValue < old)
        {
            siftUp(i, triggerValue, entries[2 * i + 1]);
        }
        else if (triggerValue > old)
        {
            siftDown(i, triggerValue, entries[2 * i + 1]);
        }
    }

    /** Removes the entry at index {@code i}; its record is told it has none. */
    void remove(final int i)
    {
        records.position((int)entries[2 * i + 1], side, -1);
        size--;
        if (i == size)
        {
            return;
        }
        final long t = entries[2 * size];
        final long key = entries[2 * size + 1];
        if (i > 0 && less(t, key, entries[2 * parent(i)], entries[2 * parent(i) + 1]))
        {
            siftUp(i, t, key);
        }
        else
        {
            siftDown(i, t, key);
        }
    }

    /** Removes the top entry. */
    void pop()
    {
        remove(0);
    }

    private void siftUp(final int start, final long t, final long key)
    {
        final long[] e = entries;
        int i = start;
        while (i > 0)
        {
            final int parent = parent(i);
            final long parentTrigger = e[2 * parent];
            final long parentKey = e[2 * parent + 1];
            if (!less(t, key, parentTrigger, parentKey))
            {
                break;
            }
            place(i, parentTrigger, parentKey);
            i = parent;
        }
        place(i, t, key);
    }

    private void siftDown(final int start, final long t, final long key)
    {
        final long[] e = entries;
        int i = start;
        while (true)
        {
            final int first = ARITY * i + 1;
            if (first >= size)
            {
                break;
            }
            int child = first;
            final int end = Math.min(size, first + ARITY);
            for (int c = first + 1; c < end; c++)
            {
                if (less(e[2 * c], e[2 * c + 1], e[2 * child], e[2 * child + 1]))
                {
                    child = c;
                }
            }
            final long childTrigger = e[2 * child];
            final long childKey = e[2 * child + 1];
            if (!less(childTrigger, childKey, t, key))
            {
                break;
            }
            place(i, childTrigger, childKey);
            i = child;
        }
        place(i, t, key);
    }

    private void place(final int i, final long t, final long key)
    {
        entries[2 * i] = t;
        entries[2 * i + 1] = key;
        records.position((int)key, side, i);
    }

    /** @return entries the storage holds before it must grow. */
    int capacity()
    {
        return entries.length / 2;
    }

    /** @return true when the heap is as constructed: empty, initial storage. */
    boolean isInitial()
    {
        return size == 0 && capacity() == INITIAL_CAPACITY;
    }

    /**
     * Reads the entry at {@code i} and those a move of it compares first (its parent and its children), for a caller
     * that reads ahead; @return a sum of what it read, meaningless.
     */
    long warm(final int i)
    {
        final long[] e = entries;
        long read = e[2 * i];
        if (i > 0)
        {
            read += e[2 * parent(i)];
        }
        final int child = ARITY * i + 1;
        if (child < size)
        {
            read += e[2 * child];
        }
        return read;
    }

    long trigger(final int i)
    {
        return entries[2 * i];
    }

    int account(final int i)
    {
        return (int)(entries[2 * i + 1] >>> 32);
    }

    int record(final int i)
    {
        return (int)entries[2 * i + 1];
    }

    /** Replaces the storage by {@code capacity} entries holding none, to be filled by {@link #restore}. */
    void restoreStorage(final int capacity, final int entryCount)
    {
        if (capacity < Math.max(1, entryCount))
        {
            throw new IllegalStateException("snapshot: heap of " + entryCount + " entries in capacity " + capacity);
        }
        entries = new long[2 * capacity];
        size = entryCount;
    }

    /**
     * Sets entry {@code i} as stored in a snapshot (the array order is the heap order) and its record's index; the
     * caller checks the heap order and the record afterwards ({@link #isOrdered}).
     */
    void restore(final int i, final long triggerValue, final int accountId, final int record)
    {
        place(i, triggerValue, pack(accountId, record));
    }

    /** @return true when every entry is ordered after its parent (strictly: keys are unique). */
    boolean isOrdered()
    {
        for (int i = 1; i < size; i++)
        {
            final int parent = parent(i);
            if (!less(entries[2 * parent], entries[2 * parent + 1], entries[2 * i], entries[2 * i + 1]))
            {
                return false;
            }
        }
        return true;
    }

    private static int parent(final int i)
    {
        return (i - 1) / ARITY;
    }

    private static long pack(final int accountId, final int record)
    {
        return ((long)accountId << 32) | (record & 0xFFFF_FFFFL);
    }

    /** Trigger first, then account id (the high half of the key; account ids are non-negative). */
    private static boolean less(final long t1, final long key1, final long t2, final long key2)
    {
        return t1 < t2 || (t1 == t2 && (key1 >>> 32) < (key2 >>> 32));
    }
}
