package io.clearing.settlement;

/**
 * A binary min-heap of price triggers (trigger price, account, evaluation stamp). Entries are never updated in
 * place: a re-evaluated account pushes fresh entries and its older ones become stale (their stamp no longer matches
 * the account's), to be dropped when popped or when the heap compacts. Ties break on account id, so pops are
 * deterministic. Storage grows by doubling only when compaction cannot make room. Compaction runs when the storage
 * is full, so the capacity is part of the state a snapshot restores. Not thread-safe.
 * <p>
 * One entry is two adjacent longs - the trigger, then the account in the high half and the stamp in the low half - so
 * moving an entry touches one cache line, not three parallel arrays.
 */
final class TriggerHeap
{
    private static final int INITIAL_CAPACITY = 8;

    private long[] entries = new long[2 * INITIAL_CAPACITY];
    private int size;

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

    int peekStamp()
    {
        return (int)entries[1];
    }

    void push(final long triggerValue, final int accountId, final int stampValue, final Accounts accounts)
    {
        if (2 * size == entries.length)
        {
            compact(accounts);
            if (size > entries.length / 4)
            {
                entries = java.util.Arrays.copyOf(entries, entries.length * 2);
            }
        }
        final long key = pack(accountId, stampValue);
        final long[] e = entries;
        int i = size++;
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            final long parentTrigger = e[2 * parent];
            final long parentKey = e[2 * parent + 1];
            if (!less(triggerValue, key, parentTrigger, parentKey))
            {
                break;
            }
            e[2 * i] = parentTrigger;
            e[2 * i + 1] = parentKey;
            i = parent;
        }
        e[2 * i] = triggerValue;
        e[2 * i + 1] = key;
    }

    void pop()
    {
        size--;
        if (size == 0)
        {
            return;
        }
        siftDown(0, entries[2 * size], entries[2 * size + 1]);
    }

    private void siftDown(final int start, final long t, final long key)
    {
        final long[] e = entries;
        int i = start;
        final int half = size >>> 1;
        while (i < half)
        {
            int child = 2 * i + 1;
            final int right = child + 1;
            if (right < size && less(e[2 * right], e[2 * right + 1], e[2 * child], e[2 * child + 1]))
            {
                child = right;
            }
            final long childTrigger = e[2 * child];
            final long childKey = e[2 * child + 1];
            if (!less(childTrigger, childKey, t, key))
            {
                break;
            }
            e[2 * i] = childTrigger;
            e[2 * i + 1] = childKey;
            i = child;
        }
        e[2 * i] = t;
        e[2 * i + 1] = key;
    }

    /** Drops stale entries and re-heapifies, in place. */
    void compact(final Accounts accounts)
    {
        final long[] e = entries;
        int kept = 0;
        for (int i = 0; i < size; i++)
        {
            final long key = e[2 * i + 1];
            if (accounts.evaluationStamp((int)(key >>> 32)) == (int)key)
            {
                e[2 * kept] = e[2 * i];
                e[2 * kept + 1] = key;
                kept++;
            }
        }
        size = kept;
        for (int i = (size >>> 1) - 1; i >= 0; i--)
        {
            siftDown(i, e[2 * i], e[2 * i + 1]);
        }
    }

    /** @return entries the storage holds before it must compact or grow. */
    int capacity()
    {
        return entries.length / 2;
    }

    /** @return true when the heap is as constructed: empty, initial storage. */
    boolean isInitial()
    {
        return size == 0 && capacity() == INITIAL_CAPACITY;
    }

    long trigger(final int i)
    {
        return entries[2 * i];
    }

    int account(final int i)
    {
        return (int)(entries[2 * i + 1] >>> 32);
    }

    int stamp(final int i)
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

    /** Sets entry {@code i} as stored in a snapshot: the array order is the heap order. */
    void restore(final int i, final long triggerValue, final int accountId, final int stampValue)
    {
        entries[2 * i] = triggerValue;
        entries[2 * i + 1] = pack(accountId, stampValue);
    }

    private static long pack(final int accountId, final int stampValue)
    {
        return ((long)accountId << 32) | (stampValue & 0xFFFF_FFFFL);
    }

    /** Trigger first, then account id (the high half of the key; account ids are non-negative). */
    private static boolean less(final long t1, final long key1, final long t2, final long key2)
    {
        return t1 < t2 || (t1 == t2 && (key1 >>> 32) < (key2 >>> 32));
    }
}
