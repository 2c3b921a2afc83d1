package io.clearing.settlement;

import io.clearing.sbe.snapshot.PositionTableDecoder;
import io.clearing.sbe.snapshot.PositionTableEncoder;
import org.agrona.BufferUtil;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * Position slots: one per (account, instrument) that holds a position or open orders. A slot keeps the signed
 * quantity, the cost basis (signed entry notional, 1e-8 settlement asset), the contracts on open buy and sell
 * orders, and links into two insertion-ordered lists - the account's slots and the instrument's holders - so every
 * walk is deterministic and never depends on hash iteration order. The hash map is used for lookup only.
 * Slots are 64-byte records in one cache-line-aligned off-heap buffer, so walking an account's slots costs one cache
 * line per slot rather than one per field. Storage grows by doubling (allocation only at a new high-water mark). A snapshot holds every slot below the
 * high-water mark, free ones included, so a restored table hands out the same slots in the same order.
 * Not thread-safe.
 */
public final class Positions
{
    private final Accounts accounts;
    private final Long2LongHashMap slotByKey = new Long2LongHashMap(-1L);
    private final int[] firstHolder = new int[Limits.MAX_INSTRUMENTS];
    private final int[] holderCount = new int[Limits.MAX_INSTRUMENTS];
    /** Per instrument, the contracts held long (= held short): derived from the slots, rebuilt at a snapshot load. */
    private final long[] openInterest = new long[Limits.MAX_INSTRUMENTS];

    /** Bytes per slot record: one cache line. */
    private static final int SLOT_BYTES = 64;
    private static final int QUANTITY = 0;
    private static final int COST = 8;
    private static final int OPEN_BUY = 16;
    private static final int OPEN_SELL = 24;
    private static final int ACCOUNT = 32;
    private static final int INSTRUMENT = 36;
    private static final int NEXT_IN_ACCOUNT = 40;
    private static final int PREV_IN_ACCOUNT = 44;
    private static final int NEXT_HOLDER = 48;
    private static final int PREV_HOLDER = 52;

    /** Marks of {@link #checkLists}: the lists a slot was met on. */
    private static final int IN_ACCOUNT_LIST = 1;
    private static final int IN_HOLDER_LIST = 2;
    private static final int IN_FREE_LIST = 4;

    private UnsafeBuffer slots;
    private int capacity;
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

    private void allocate(final int newCapacity)
    {
        if (newCapacity > Integer.MAX_VALUE / SLOT_BYTES)
        {
            throw new IllegalStateException("position slots exhausted: " + newCapacity);
        }
        final UnsafeBuffer grown = new UnsafeBuffer(BufferUtil.allocateDirectAligned(newCapacity * SLOT_BYTES, 64));
        if (slots != null)
        {
            grown.putBytes(0, slots, 0, capacity * SLOT_BYTES);
        }
        slots = grown;
        capacity = newCapacity;
    }

    private static int at(final int slot)
    {
        return slot * SLOT_BYTES;
    }

    private int nextInAccountOf(final int slot)
    {
        return slots.getInt(at(slot) + NEXT_IN_ACCOUNT);
    }

    private void nextInAccountOf(final int slot, final int value)
    {
        slots.putInt(at(slot) + NEXT_IN_ACCOUNT, value);
    }

    private int prevInAccountOf(final int slot)
    {
        return slots.getInt(at(slot) + PREV_IN_ACCOUNT);
    }

    private void prevInAccountOf(final int slot, final int value)
    {
        slots.putInt(at(slot) + PREV_IN_ACCOUNT, value);
    }

    private int prevHolderOf(final int slot)
    {
        return slots.getInt(at(slot) + PREV_HOLDER);
    }

    private void prevHolderOf(final int slot, final int value)
    {
        slots.putInt(at(slot) + PREV_HOLDER, value);
    }

    private void nextHolderOf(final int slot, final int value)
    {
        slots.putInt(at(slot) + NEXT_HOLDER, value);
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
            freeHead = nextInAccountOf(slot);
        }
        else
        {
            if (highWater == capacity)
            {
                allocate(capacity * 2);
            }
            slot = highWater++;
        }
        final int at = at(slot);
        slots.putInt(at + ACCOUNT, accountId);
        slots.putInt(at + INSTRUMENT, instrumentId);
        slots.putLong(at + QUANTITY, 0);
        slots.putLong(at + COST, 0);
        slots.putLong(at + OPEN_BUY, 0);
        slots.putLong(at + OPEN_SELL, 0);
        appendToAccount(accountId, slot);
        appendToHolders(instrumentId, slot);
        slotByKey.put(key, slot);
        live++;
        return slot;
    }

    /** Frees the slot if it holds no position and no open orders. */
    public void releaseIfEmpty(final int slot)
    {
        if (quantity(slot) != 0 || openBuy(slot) != 0 || openSell(slot) != 0)
        {
            return;
        }
        final int accountId = account(slot);
        final int instrumentId = instrument(slot);
        unlinkFromAccount(accountId, slot);
        unlinkFromHolders(instrumentId, slot);
        slotByKey.remove(key(accountId, instrumentId));
        slots.putInt(at(slot) + ACCOUNT, -1);
        nextInAccountOf(slot, freeHead);
        freeHead = slot;
        live--;
    }

    private void appendToAccount(final int accountId, final int slot)
    {
        nextInAccountOf(slot, -1);
        final int head = accounts.firstPosition(accountId);
        if (head < 0)
        {
            prevInAccountOf(slot, -1);
            accounts.firstPosition(accountId, slot);
        }
        else
        {
            int tail = head;
            while (nextInAccountOf(tail) >= 0)
            {
                tail = nextInAccountOf(tail);
            }
            nextInAccountOf(tail, slot);
            prevInAccountOf(slot, tail);
        }
        accounts.positionCount(accountId, accounts.positionCount(accountId) + 1);
    }

    private void unlinkFromAccount(final int accountId, final int slot)
    {
        final int prev = prevInAccountOf(slot);
        final int next = nextInAccountOf(slot);
        if (prev >= 0)
        {
            nextInAccountOf(prev, next);
        }
        else
        {
            accounts.firstPosition(accountId, next);
        }
        if (next >= 0)
        {
            prevInAccountOf(next, prev);
        }
        accounts.positionCount(accountId, accounts.positionCount(accountId) - 1);
    }

    private void appendToHolders(final int instrumentId, final int slot)
    {
        // Holder lists are kept in insertion order with O(1) append by linking at the head's prev (tail pointer).
        final int head = firstHolder[instrumentId];
        nextHolderOf(slot, -1);
        if (head < 0)
        {
            firstHolder[instrumentId] = slot;
            prevHolderOf(slot, slot);
        }
        else
        {
            final int tail = prevHolderOf(head);
            nextHolderOf(tail, slot);
            prevHolderOf(slot, tail);
            prevHolderOf(head, slot);
        }
        holderCount[instrumentId]++;
    }

    private void unlinkFromHolders(final int instrumentId, final int slot)
    {
        final int head = firstHolder[instrumentId];
        final int next = nextHolder(slot);
        if (slot == head)
        {
            firstHolder[instrumentId] = next;
            if (next >= 0)
            {
                prevHolderOf(next, prevHolderOf(slot));
            }
        }
        else
        {
            final int prev = prevHolderOf(slot);
            nextHolderOf(prev, next);
            if (next >= 0)
            {
                prevHolderOf(next, prev);
            }
            else
            {
                prevHolderOf(head, prev);
            }
        }
        holderCount[instrumentId]--;
    }

    /** @return next slot of the same account, -1 at the end. */
    public int nextInAccount(final int slot)
    {
        return slots.getInt(at(slot) + NEXT_IN_ACCOUNT);
    }

    /** @return first holder slot of an instrument, -1 when none. */
    public int firstHolder(final int instrumentId)
    {
        return firstHolder[instrumentId];
    }

    /** @return next holder slot of the same instrument, -1 at the end. */
    public int nextHolder(final int slot)
    {
        return slots.getInt(at(slot) + NEXT_HOLDER);
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
        return slots.getInt(at(slot) + ACCOUNT);
    }

    /** @return instrument of a slot. */
    public int instrument(final int slot)
    {
        return slots.getInt(at(slot) + INSTRUMENT);
    }

    /** @return signed contracts, long positive. */
    public long quantity(final int slot)
    {
        return slots.getLong(at(slot) + QUANTITY);
    }

    /** @return signed entry notional, 1e-8 settlement asset. */
    public long cost(final int slot)
    {
        return slots.getLong(at(slot) + COST);
    }

    /** @return contracts on open buy orders. */
    public long openBuy(final int slot)
    {
        return slots.getLong(at(slot) + OPEN_BUY);
    }

    /** @return contracts on open sell orders. */
    public long openSell(final int slot)
    {
        return slots.getLong(at(slot) + OPEN_SELL);
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

    /**
     * @return the contracts held long in an instrument over all accounts, which equals the contracts held short (every
     * trade has two sides): the largest position anyone can hold in it.
     */
    public long openInterest(final int instrumentId)
    {
        return openInterest[instrumentId];
    }

    /** Sets quantity and cost basis together. */
    public void position(final int slot, final long newQuantity, final long newCost)
    {
        final int at = at(slot);
        final long oldQuantity = slots.getLong(at + QUANTITY);
        final long oldCost = slots.getLong(at + COST);
        slots.putLong(at + QUANTITY, newQuantity);
        slots.putLong(at + COST, newCost);
        final int instrument = slots.getInt(at + INSTRUMENT);
        openInterest[instrument] += Math.max(0, newQuantity) - Math.max(0, oldQuantity);
        if (observer != null)
        {
            observer.changed(slot, oldQuantity, oldCost, slots.getLong(at + OPEN_BUY), slots.getLong(at + OPEN_SELL));
        }
    }

    /** Adjusts open order contracts on one side. */
    public void addOpen(final int slot, final boolean buy, final long delta)
    {
        final int at = at(slot);
        final long oldBuy = slots.getLong(at + OPEN_BUY);
        final long oldSell = slots.getLong(at + OPEN_SELL);
        if (buy)
        {
            slots.putLong(at + OPEN_BUY, oldBuy + delta);
        }
        else
        {
            slots.putLong(at + OPEN_SELL, oldSell + delta);
        }
        if (observer != null)
        {
            observer.changed(slot, slots.getLong(at + QUANTITY), slots.getLong(at + COST), oldBuy, oldSell);
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
        final PositionTableEncoder.SlotsEncoder rows = encoder.slotsCount(highWater);
        for (int slot = 0; slot < highWater; slot++)
        {
            rows.next()
                .accountId(account(slot))
                .instrumentId(instrument(slot))
                .nextInAccount(nextInAccountOf(slot))
                .prevInAccount(prevInAccountOf(slot))
                .nextHolder(nextHolder(slot))
                .prevHolder(prevHolderOf(slot))
                .quantity(quantity(slot))
                .cost(cost(slot))
                .openBuy(openBuy(slot))
                .openSell(openSell(slot));
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
     * lookup map is rebuilt from the live slots. The accounts' list heads and position counts come with the account
     * table, which must be loaded first: every list is checked against them and the slots before this returns.
     *
     * @param decoder wrapped at the message.
     * @throws IllegalStateException if the slot rows do not match the high-water mark, an id is out of range, or a
     *                               list is out of range, cyclic, inconsistent or disagrees with its count.
     */
    public void readSnapshot(final PositionTableDecoder decoder)
    {
        final int slotCount = decoder.highWater();
        freeHead = decoder.freeHead();
        live = decoder.live();
        if (slotCount < 0)
        {
            throw new IllegalStateException("snapshot: high-water " + slotCount);
        }
        if (slotCount > capacity)
        {
            allocate(Math.max(slotCount, capacity * 2));
        }
        final PositionTableDecoder.SlotsDecoder rows = decoder.slots();
        if (rows.count() != slotCount)
        {
            throw new IllegalStateException("snapshot: " + rows.count() + " position slots, high-water " + slotCount);
        }
        int slot = 0;
        for (final PositionTableDecoder.SlotsDecoder row : rows)
        {
            final int at = at(slot);
            slots.putInt(at + ACCOUNT, row.accountId());
            slots.putInt(at + INSTRUMENT, row.instrumentId());
            slots.putInt(at + NEXT_IN_ACCOUNT, row.nextInAccount());
            slots.putInt(at + PREV_IN_ACCOUNT, row.prevInAccount());
            slots.putInt(at + NEXT_HOLDER, row.nextHolder());
            slots.putInt(at + PREV_HOLDER, row.prevHolder());
            slots.putLong(at + QUANTITY, row.quantity());
            slots.putLong(at + COST, row.cost());
            slots.putLong(at + OPEN_BUY, row.openBuy());
            slots.putLong(at + OPEN_SELL, row.openSell());
            if (row.accountId() >= 0)
            {
                final int other = (int)slotByKey.put(key(row.accountId(), row.instrumentId()), slot);
                if (other >= 0)
                {
                    throw new IllegalStateException("snapshot: position slots " + other + " and " + slot +
                        " both hold account " + row.accountId() + " instrument " + row.instrumentId());
                }
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
        checkLists();
        java.util.Arrays.fill(openInterest, 0);
        for (int index = 0; index < highWater; index++)
        {
            if (account(index) >= 0)
            {
                openInterest[instrument(index)] += Math.max(0, quantity(index));
            }
        }
    }

    /**
     * Checks the restored lists before anything walks them, as a file with a valid hash may still have been altered
     * and resealed: a cycle or a link out of range would make a walk loop forever or fail at some later command.
     * Every account's slot list and every instrument's holder list must be in range, acyclic, linked both ways and
     * hold only live slots of that account or instrument, as many as the account's position count or the holder
     * count; every live slot must be in exactly one of each; the free list must hold exactly the other slots.
     * O(slots + accounts + instruments), at load only.
     */
    private void checkLists()
    {
        final byte[] seen = new byte[highWater];
        int liveSlots = 0;
        for (int slot = 0; slot < highWater; slot++)
        {
            final int accountId = account(slot);
            if (accountId >= 0)
            {
                liveSlots++;
            }
            else if (accountId != -1)
            {
                throw new IllegalStateException("snapshot: position slot " + slot + " of account " + accountId);
            }
        }
        if (liveSlots != live)
        {
            throw new IllegalStateException("snapshot: " + liveSlots + " live position slots, the table says " + live);
        }
        for (int accountId = 0, capacity = accounts.capacity(); accountId < capacity; accountId++)
        {
            int count = 0;
            int prev = -1;
            for (int slot = accounts.firstPosition(accountId); slot != -1; slot = nextInAccountOf(slot))
            {
                visit(seen, slot, IN_ACCOUNT_LIST, "the list of account ", accountId);
                if (account(slot) != accountId || prevInAccountOf(slot) != prev)
                {
                    throw new IllegalStateException("snapshot: position slot " + slot + " (account " +
                        account(slot) + ", previous " + prevInAccountOf(slot) + ") in the list of account " +
                        accountId + " after slot " + prev);
                }
                prev = slot;
                count++;
            }
            if (count != accounts.positionCount(accountId))
            {
                throw new IllegalStateException("snapshot: account " + accountId + " lists " + count +
                    " position slots, its count is " + accounts.positionCount(accountId));
            }
        }
        for (int id = 0; id < Limits.MAX_INSTRUMENTS; id++)
        {
            final int head = firstHolder[id];
            int count = 0;
            int prev = -1;
            for (int slot = head; slot != -1; slot = nextHolder(slot))
            {
                visit(seen, slot, IN_HOLDER_LIST, "the holders of instrument ", id);
                if (account(slot) < 0 || instrument(slot) != id || (slot != head && prevHolderOf(slot) != prev))
                {
                    throw new IllegalStateException("snapshot: position slot " + slot + " (account " +
                        account(slot) + ", instrument " + instrument(slot) + ", previous " + prevHolderOf(slot) +
                        ") in the holders of instrument " + id + " after slot " + prev);
                }
                prev = slot;
                count++;
            }
            if (head != -1 && prevHolderOf(head) != prev)
            {
                throw new IllegalStateException("snapshot: holders of instrument " + id + " end at slot " + prev +
                    ", the head says " + prevHolderOf(head));
            }
            if (count != holderCount[id])
            {
                throw new IllegalStateException("snapshot: instrument " + id + " lists " + count +
                    " holders, its count is " + holderCount[id]);
            }
        }
        int free = 0;
        for (int slot = freeHead; slot != -1; slot = nextInAccountOf(slot))
        {
            visit(seen, slot, IN_FREE_LIST, "the free list", -1);
            if (account(slot) != -1)
            {
                throw new IllegalStateException("snapshot: position slot " + slot + " of account " + account(slot) +
                    " in the free list");
            }
            free++;
        }
        if (free != highWater - live)
        {
            throw new IllegalStateException("snapshot: " + free + " free position slots listed, " +
                (highWater - live) + " not live");
        }
        for (int slot = 0; slot < highWater; slot++)
        {
            if (account(slot) >= 0 && seen[slot] != (IN_ACCOUNT_LIST | IN_HOLDER_LIST))
            {
                throw new IllegalStateException("snapshot: live position slot " + slot + " missing from " +
                    ((seen[slot] & IN_ACCOUNT_LIST) == 0 ? "its account's list" : "its instrument's holders"));
            }
        }
    }

    /** Marks a slot met on a list walk, refusing one out of range or met before on a list of that kind. */
    private void visit(final byte[] seen, final int slot, final int list, final String where, final int ownerId)
    {
        final boolean inRange = slot >= 0 && slot < highWater;
        if (!inRange || (seen[slot] & list) != 0)
        {
            throw new IllegalStateException("snapshot: position slot " + slot + (inRange ?
                " met twice (a cycle, or a slot on two lists)" : " out of range (high-water " + highWater + ")") +
                " in " + where + (list == IN_FREE_LIST ? "" : Integer.toString(ownerId)));
        }
        seen[slot] |= (byte)list;
    }
}
