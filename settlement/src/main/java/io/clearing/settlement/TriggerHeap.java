package io.clearing.settlement;

/**
 * A binary min-heap of price triggers (trigger price, account, evaluation stamp). Entries are never updated in
 * place: a re-evaluated account pushes fresh entries and its older ones become stale (their stamp no longer matches
 * the account's), to be dropped when popped or when the heap compacts. Ties break on account id, so pops are
 * deterministic. Storage grows by doubling only when compaction cannot make room. Compaction runs when the storage
 * is full, so the capacity is part of the state a snapshot restores. Not thread-safe.
 */
final class TriggerHeap
{
    private static final int INITIAL_CAPACITY = 8;

    private long[] trigger = new long[INITIAL_CAPACITY];
    private int[] account = new int[INITIAL_CAPACITY];
    private int[] stamp = new int[INITIAL_CAPACITY];
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
        return trigger[0];
    }

    int peekAccount()
    {
        return account[0];
    }

    int peekStamp()
    {
        return stamp[0];
    }

    void push(final long triggerValue, final int accountId, final int stampValue, final Accounts accounts)
    {
        if (size == trigger.length)
        {
            compact(accounts);
            if (size > trigger.length / 2)
            {
                trigger = java.util.Arrays.copyOf(trigger, trigger.length * 2);
                account = java.util.Arrays.copyOf(account, account.length * 2);
                stamp = java.util.Arrays.copyOf(stamp, stamp.length * 2);
            }
        }
        int i = size++;
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            if (!less(triggerValue, accountId, trigger[parent], account[parent]))
            {
                break;
            }
            set(i, trigger[parent], account[parent], stamp[parent]);
            i = parent;
        }
        set(i, triggerValue, accountId, stampValue);
    }

    void pop()
    {
        size--;
        if (size == 0)
        {
            return;
        }
        siftDown(0, trigger[size], account[size], stamp[size]);
    }

    private void siftDown(final int start, final long t, final int a, final int s)
    {
        int i = start;
        final int half = size >>> 1;
        while (i < half)
        {
            int child = 2 * i + 1;
            final int right = child + 1;
            if (right < size && less(trigger[right], account[right], trigger[child], account[child]))
            {
                child = right;
            }
            if (!less(trigger[child], account[child], t, a))
            {
                break;
            }
            set(i, trigger[child], account[child], stamp[child]);
            i = child;
        }
        set(i, t, a, s);
    }

    /** Drops stale entries and re-heapifies, in place. */
    void compact(final Accounts accounts)
    {
        int kept = 0;
        for (int i = 0; i < size; i++)
        {
            if (accounts.evaluationStamp(account[i]) == stamp[i])
            {
                set(kept++, trigger[i], account[i], stamp[i]);
            }
        }
        size = kept;
        for (int i = (size >>> 1) - 1; i >= 0; i--)
        {
            siftDown(i, trigger[i], account[i], stamp[i]);
        }
    }

    private void set(final int i, final long t, final int a, final int s)
    {
        trigger[i] = t;
        account[i] = a;
        stamp[i] = s;
    }

    int capacity()
    {
        return trigger.length;
    }

    /** @return true when the heap is as constructed: empty, initial storage. */
    boolean isInitial()
    {
        return size == 0 && trigger.length == INITIAL_CAPACITY;
    }

    long trigger(final int i)
    {
        return trigger[i];
    }

    int account(final int i)
    {
        return account[i];
    }

    int stamp(final int i)
    {
        return stamp[i];
    }

    /** Replaces the storage by {@code capacity} entries holding none, to be filled by {@link #restore}. */
    void restoreStorage(final int capacity, final int entries)
    {
        if (capacity < Math.max(1, entries))
        {
            throw new IllegalStateException("snapshot: heap of " + entries + " entries in capacity " + capacity);
        }
        trigger = new long[capacity];
        account = new int[capacity];
        stamp = new int[capacity];
        size = entries;
    }

    /** Sets entry {@code i} as stored in a snapshot: the array order is the heap order. */
    void restore(final int i, final long triggerValue, final int accountId, final int stampValue)
    {
        set(i, triggerValue, accountId, stampValue);
    }

    private static boolean less(final long t1, final int a1, final long t2, final int a2)
    {
        return t1 < t2 || (t1 == t2 && a1 < a2);
    }
}
