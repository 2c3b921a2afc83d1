package io.clearing.settlement;

import io.clearing.sbe.snapshot.PositionTableDecoder;
import io.clearing.sbe.snapshot.PositionTableEncoder;
import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * Position slots: one per (account, instrument) that holds a position or open orders. A slot keeps the signed
 * quantity, the cost basis (signed entry notional, 1e-8 settlement asset), the contracts on open buy and sell
 * orders, and links into two insertion-ordered lists - the account's slots and the instrument's holders - so every
 * walk is deterministic and never depends on hash iteration order. The hash map is used for lookup only.
 * Arrays grow by doubling (allocation only at a new high-water mark). A snapshot holds every slot below the
 * high-water mark, free ones included, so a restored table hands out the same slots in the same order.
 * Not thread-safe.
 */
public final class Positions
{
    private final Accounts accounts;
    private final Long2LongHashMap slotByKey = new Long2LongHashMap(-1L);
    private final int[] firstHolder = new int[Limits.MAX_INSTRUMENTS];
    private final int[] holderCount = new int[Limits.MAX_INSTRUMENTS];

    private int[] account;
    private int[] instrument;
    private long[] quantity;
    private long[] cost;
    private long[] openBuy;
    private long[] openSell;
    private int[] nextInAccount;
    private int[] prevInAccount;
    private int[] nextHolder;
    private int[] prevHolder;
    private ChangeObserver observer;
    private int freeHead = -1;
    private int highWater;
    private int live;

    /**
     * @param accounts        account heads of the per-account lists.
     * @param initialCapacity initial number of slots.
     */
    public Positions(final Accounts accounts, final int initialCapacity)
    {
        this.accounts = accounts;
        Arrays.fill(firstHolder, -1);
        allocate(Math.max(16, initialCapacity));
    }

    private void allocate(final int capacity)
    {
        account = grow(account, capacity);
        instrument = grow(instrument, capacity);
        quantity = grow(quantity, capacity);
        cost = grow(cost, capacity);
        openBuy = grow(openBuy, capacity);
        openSell = grow(openSell, capacity);
        nextInAccount = grow(nextInAccount, capacity);
        prevInAccount = grow(prevInAccount, capacity);
        nextHolder = grow(nextHolder, capacity);
        prevHolder = grow(prevHolder, capacity);
    }

    private static int[] grow(final int[] array, final int capacity)
    {
        return array == null ? new int[capacity] : Arrays.copyOf(array, capacity);
    }

    private static long[] grow(final long[] array, final int capacity)
    {
        return array == null ? new long[capacity] : Arrays.copyOf(array, capacity);
    }

    private static long key(final int accountId, final int instrumentId)
    {
        return ((long)accountId << 16) | instrumentId;
    }

    /** @return the slot of (account, instrument), or -1. */
    public int find(final int accountId, final int instrumentId)
    {
        return (int)slotByKey.get(key(accountId, instrumentId));
    }

    /** @return the slot of (account, instrument), created empty at the tail of both lists if absent. */
    public int findOrCreate(final int accountId, final int instrumentId)
    {
        final long key = key(accountId, instrumentId);
        final int existing = (int)slotByKey.get(key);
        if (existing >= 0)
        {
            return existing;
        }
        final int slot;
        if (freeHead >= 0)
        {
            slot = freeHead;
            freeHead = nextInAccount[slot];
        }
        else
        {
            if (highWater == account.length)
            {
                allocate(account.length * 2);
            }
            slot = highWater++;
        }
        account[slot] = accountId;
        instrument[slot] = instrumentId;
        quantity[slot] = 0;
        cost[slot] = 0;
        openBuy[slot] = 0;
        openSell[slot] = 0;
        appendToAccount(accountId, slot);
        appendToHolders(instrumentId, slot);
        slotByKey.put(key, slot);
        live++;
        return slot;
    }

    /** Frees the slot if it holds no position and no open orders. */
    public void releaseIfEmpty(final int slot)
    {
        if (quantity[slot] != 0 || openBuy[slot] != 0 || openSell[slot] != 0)
        {
            return;
        }
        final int accountId = account[slot];
        final int instrumentId = instrument[slot];
        unlinkFromAccount(accountId, slot);
        unlinkFromHolders(instrumentId, slot);
        slotByKey.remove(key(accountId, instrumentId));
        account[slot] = -1;
        nextInAccount[slot] = freeHead;
        freeHead = slot;
        live--;
    }

    private void appendToAccount(final int accountId, final int slot)
    {
        nextInAccount[slot] = -1;
        final int head = accounts.firstPosition(accountId);
        if (head < 0)
        {
            prevInAccount[slot] = -1;
            accounts.firstPosition(accountId, slot);
        }
        else
        {
            int tail = head;
            while (nextInAccount[tail] >= 0)
            {
                tail = nextInAccount[tail];
            }
            nextInAccount[tail] = slot;
            prevInAccount[slot] = tail;
        }
        accounts.positionCount(accountId, accounts.positionCount(accountId) + 1);
    }

    private void unlinkFromAccount(final int accountId, final int slot)
    {
        final int prev = prevInAccount[slot];
        final int next = nextInAccount[slot];
        if (prev >= 0)
        {
            nextInAccount[prev] = next;
        }
        else
        {
            accounts.firstPosition(accountId, next);
        }
        if (next >= 0)
        {
            prevInAccount[next] = prev;
        }
        accounts.positionCount(accountId, accounts.positionCount(accountId) - 1);
    }

    private void appendToHolders(final int instrumentId, final int slot)
    {
        // Holder lists are kept in insertion order with O(1) append by linking at the head's prev (tail pointer).
        final int head = firstHolder[instrumentId];
        nextHolder[slot] = -1;
        if (head < 0)
        {
            firstHolder[instrumentId] = slot;
            prevHolder[slot] = slot;
        }
        else
        {
            final int tail = prevHolder[head];
            nextHolder[tail] = slot;
            prevHolder[slot] = tail;
            prevHolder[head] = slot;
        }
        holderCount[instrumentId]++;
    }

    private void unlinkFromHolders(final int instrumentId, final int slot)
    {
        final int head = firstHolder[instrumentId];
        final int next = nextHolder[slot];
        if (slot == head)
        {
            firstHolder[instrumentId] = next;
            if (next >= 0)
            {
                prevHolder[next] = prevHolder[slot];
            }
        }
        else
        {
            final int prev = prevHolder[slot];
            nextHolder[prev] = next;
            if (next >= 0)
            {
                prevHolder[next] = prev;
            }
            else
            {
                prevHolder[head] = prev;
            }
        }
        holderCount[instrumentId]--;
    }

    /** @return next slot of the same account, -1 at the end. */
    public int nextInAccount(final int slot)
    {
        return nextInAccount[slot];
    }

    /** @return first holder slot of an instrument, -1 when none. */
    public int firstHolder(final int instrumentId)
    {
        return firstHolder[instrumentId];
    }

    /** @return next holder slot of the same instrument, -1 at the end. */
    public int nextHolder(final int slot)
    {
        return nextHolder[slot];
    }

    /** @return number of slots on an instrument. */
    public int holderCount(final int instrumentId)
    {
        return holderCount[instrumentId];
    }

    /** @return live slots. */
    public int size()
    {
        return live;
    }

    /** @return account of a slot. */
    public int account(final int slot)
    {
        return account[slot];
    }

    /** @return instrument of a slot. */
    public int instrument(final int slot)
    {
        return instrument[slot];
    }

    /** @return signed contracts, long positive. */
    public long quantity(final int slot)
    {
        return quantity[slot];
    }

    /** @return signed entry notional, 1e-8 settlement asset. */
    public long cost(final int slot)
    {
        return cost[slot];
    }

    /** @return contracts on open buy orders. */
    public long openBuy(final int slot)
    {
        return openBuy[slot];
    }

    /** @return contracts on open sell orders. */
    public long openSell(final int slot)
    {
        return openSell[slot];
    }

    /**
     * Told of every change of a slot's quantity, cost basis or open orders, right after it, with the values before:
     * what keeps aggregates over an account's positions (risk rows) exact without walking them.
     */
    @FunctionalInterface
    public interface ChangeObserver
    {
        /**
         * @param slot        the slot; its accessors give the new values.
         * @param oldQuantity quantity before the change.
         * @param oldCost     cost basis before.
         * @param oldBuy      contracts on open buy orders before.
         * @param oldSell     contracts on open sell orders before.
         */
        void changed(int slot, long oldQuantity, long oldCost, long oldBuy, long oldSell);
    }

    /** @param changeObserver told of every change made by {@link #position} and {@link #addOpen}; null for none. */
    public void observer(final ChangeObserver changeObserver)
    {
        observer = changeObserver;
    }

    /** Sets quantity and cost basis together. */
    public void position(final int slot, final long newQuantity, final long newCost)
    {
        final long oldQuantity = quantity[slot];
        final long oldCost = cost[slot];
        quantity[slot] = newQuantity;
        cost[slot] = newCost;
        if (observer != null)
        {
            observer.changed(slot, oldQuantity, oldCost, openBuy[slot], openSell[slot]);
        }
    }

    /** Adjusts open order contracts on one side. */
    public void addOpen(final int slot, final boolean buy, final long delta)
    {
        final long oldBuy = openBuy[slot];
        final long oldSell = openSell[slot];
        if (buy)
        {
            openBuy[slot] += delta;
        }
        else
        {
            openSell[slot] += delta;
        }
        if (observer != null)
        {
            observer.changed(slot, quantity[slot], cost[slot], oldBuy, oldSell);
        }
    }

    /**
     * Writes the slots below the high-water mark (free ones too: the free list decides which slot the next position
     * takes) and the holder-list heads.
     *
     * @param encoder wrapped at the message; its groups are written in schema order.
     */
    public void writeSnapshot(final PositionTableEncoder encoder)
    {
        encoder.highWater(highWater).freeHead(freeHead).live(live);
        final PositionTableEncoder.SlotsEncoder slots = encoder.slotsCount(highWater);
        for (int slot = 0; slot < highWater; slot++)
        {
            slots.next()
                .accountId(account[slot])
                .instrumentId(instrument[slot])
                .nextInAccount(nextInAccount[slot])
                .prevInAccount(prevInAccount[slot])
                .nextHolder(nextHolder[slot])
                .prevHolder(prevHolder[slot])
                .quantity(quantity[slot])
                .cost(cost[slot])
                .openBuy(openBuy[slot])
                .openSell(openSell[slot]);
        }
        int instruments = 0;
        for (int id = 0; id < Limits.MAX_INSTRUMENTS; id++)
        {
            if (firstHolder[id] != -1 || holderCount[id] != 0)
            {
                instruments++;
            }
        }
        final PositionTableEncoder.HoldersEncoder holders = encoder.holdersCount(instruments);
        for (int id = 0; id < Limits.MAX_INSTRUMENTS; id++)
        {
            if (firstHolder[id] != -1 || holderCount[id] != 0)
            {
                holders.next().instrumentId(id).firstSlot(firstHolder[id]).holderCount(holderCount[id]);
            }
        }
    }

    /**
     * Loads a snapshot written by {@link #writeSnapshot} into this table, which must be newly constructed; the
     * lookup map is rebuilt from the live slots. The accounts' list heads come with the account table.
     *
     * @param decoder wrapped at the message.
     * @throws IllegalStateException if the slot rows do not match the high-water mark or an id is out of range.
     */
    public void readSnapshot(final PositionTableDecoder decoder)
    {
        final int slotCount = decoder.highWater();
        freeHead = decoder.freeHead();
        live = decoder.live();
        if (slotCount > account.length)
        {
            allocate(Math.max(slotCount, account.length * 2));
        }
        final PositionTableDecoder.SlotsDecoder slots = decoder.slots();
        if (slots.count() != slotCount)
        {
            throw new IllegalStateException("snapshot: " + slots.count() + " position slots, high-water " + slotCount);
        }
        int slot = 0;
        for (final PositionTableDecoder.SlotsDecoder row : slots)
        {
            account[slot] = row.accountId();
            instrument[slot] = row.instrumentId();
            nextInAccount[slot] = row.nextInAccount();
            prevInAccount[slot] = row.prevInAccount();
            nextHolder[slot] = row.nextHolder();
            prevHolder[slot] = row.prevHolder();
            quantity[slot] = row.quantity();
            cost[slot] = row.cost();
            openBuy[slot] = row.openBuy();
            openSell[slot] = row.openSell();
            if (account[slot] >= 0)
            {
                slotByKey.put(key(account[slot], instrument[slot]), slot);
            }
            slot++;
        }
        highWater = slotCount;
        for (final PositionTableDecoder.HoldersDecoder row : decoder.holders())
        {
            final int id = row.instrumentId();
            if (id < 0 || id >= Limits.MAX_INSTRUMENTS)
            {
                throw new IllegalStateException("snapshot: holders of instrument " + id + " out of range");
            }
            firstHolder[id] = row.firstSlot();
            holderCount[id] = row.holderCount();
        }
    }
}
