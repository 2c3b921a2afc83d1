package io.clearing.settlement;

import io.clearing.sbe.snapshot.OrderTableDecoder;
import io.clearing.sbe.snapshot.OrderTableEncoder;
import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * Open orders that passed the pre-trade check, by order id. An order leaves when it is fully filled, cancelled or
 * its instrument expires; its id may then be used again. Slots are reused LIFO, so slot order is deterministic; a
 * snapshot holds every slot below the high-water mark, free ones included, so a restored table reuses the same slots
 * in the same order (expiry cancels in slot order). Not thread-safe.
 */
public final class Orders
{
    private final Long2LongHashMap slotById = new Long2LongHashMap(-1L);
    private long[] orderId;
    private int[] account;
    private int[] instrument;
    private boolean[] buy;
    private long[] price;
    private long[] remaining;
    private boolean[] reduceOnly;
    private long[] fillLossPerContract;
    private int[] nextFree;
    private int[] nextInAccount;
    private int[] prevInAccount;
    private int[] firstByAccount;
    private int freeHead = -1;
    private int highWater;
    private int live;

    /**
     * @param accountCapacity number of account ids.
     * @param initialCapacity initial number of order slots.
     */
    public Orders(final int accountCapacity, final int initialCapacity)
    {
        firstByAccount = new int[accountCapacity];
        Arrays.fill(firstByAccount, -1);
        allocate(Math.max(16, initialCapacity));
    }

    /**
     * Makes room for account ids up to {@code accountCapacity} - 1; the new ids have no orders. Allocates: for the
     * rare command that raises the account capacity, not for the hot path.
     *
     * @param accountCapacity at least the current number of account ids.
     */
    public void growAccounts(final int accountCapacity)
    {
        final int old = firstByAccount.length;
        if (accountCapacity < old)
        {
            throw new IllegalArgumentException("account capacity " + accountCapacity + " below " + old);
        }
        final int[] grown = Arrays.copyOf(firstByAccount, accountCapacity);
        Arrays.fill(grown, old, accountCapacity, -1);
        firstByAccount = grown;
    }

    private void allocate(final int capacity)
    {
        orderId = orderId == null ? new long[capacity] : Arrays.copyOf(orderId, capacity);
        account = account == null ? new int[capacity] : Arrays.copyOf(account, capacity);
        instrument = instrument == null ? new int[capacity] : Arrays.copyOf(instrument, capacity);
        buy = buy == null ? new boolean[capacity] : Arrays.copyOf(buy, capacity);
        price = price == null ? new long[capacity] : Arrays.copyOf(price, capacity);
        remaining = remaining == null ? new long[capacity] : Arrays.copyOf(remaining, capacity);
        reduceOnly = reduceOnly == null ? new boolean[capacity] : Arrays.copyOf(reduceOnly, capacity);
        fillLossPerContract = fillLossPerContract == null ? new long[capacity] :
            Arrays.copyOf(fillLossPerContract, capacity);
        nextFree = nextFree == null ? new int[capacity] : Arrays.copyOf(nextFree, capacity);
        nextInAccount = nextInAccount == null ? new int[capacity] : Arrays.copyOf(nextInAccount, capacity);
        prevInAccount = prevInAccount == null ? new int[capacity] : Arrays.copyOf(prevInAccount, capacity);
    }

    /** @return the newest open order slot of an account, -1 when none; follow with {@link #nextInAccount(int)}. */
    public int firstOfAccount(final int accountId)
    {
        return firstByAccount[accountId];
    }

    /** @return the next (older) open order slot of the same account, -1 at the end. */
    public int nextInAccount(final int slot)
    {
        return nextInAccount[slot];
    }

    /** @return the slot of an open order, or -1. */
    public int find(final long id)
    {
        return (int)slotById.get(id);
    }

    /** Adds an open order; the id must not be open. @return its slot. */
    public int add(
        final long id,
        final int accountId,
        final int instrumentId,
        final boolean isBuy,
        final long limitPrice,
        final long quantity,
        final boolean isReduceOnly)
    {
        final int slot;
        if (freeHead >= 0)
        {
            slot = freeHead;
            freeHead = nextFree[slot];
        }
        else
        {
            if (highWater == orderId.length)
            {
                allocate(orderId.length * 2);
            }
            slot = highWater++;
        }
        orderId[slot] = id;
        account[slot] = accountId;
        instrument[slot] = instrumentId;
        buy[slot] = isBuy;
        price[slot] = limitPrice;
        remaining[slot] = quantity;
        reduceOnly[slot] = isReduceOnly;
        fillLossPerContract[slot] = 0;
        slotById.put(id, slot);
        final int head = firstByAccount[accountId];
        nextInAccount[slot] = head;
        prevInAccount[slot] = -1;
        if (head >= 0)
        {
            prevInAccount[head] = slot;
        }
        firstByAccount[accountId] = slot;
        live++;
        return slot;
    }

    /** Removes an open order. */
    public void remove(final int slot)
    {
        slotById.remove(orderId[slot]);
        final int prev = prevInAccount[slot];
        final int next = nextInAccount[slot];
        if (prev >= 0)
        {
            nextInAccount[prev] = next;
        }
        else
        {
            firstByAccount[account[slot]] = next;
        }
        if (next >= 0)
        {
            prevInAccount[next] = prev;
        }
        orderId[slot] = 0;
        remaining[slot] = 0;
        nextFree[slot] = freeHead;
        freeHead = slot;
        live--;
    }

    /** @return one past the highest slot ever used: slots below it are live when {@link #isLive(int)}. */
    public int highWater()
    {
        return highWater;
    }

    /** @return whether a slot holds an open order. */
    public boolean isLive(final int slot)
    {
        return orderId[slot] != 0;
    }

    /** @return number of open orders. */
    public int size()
    {
        return live;
    }

    /** @return order id of a slot. */
    public long orderId(final int slot)
    {
        return orderId[slot];
    }

    /** @return owner account. */
    public int account(final int slot)
    {
        return account[slot];
    }

    /** @return instrument. */
    public int instrument(final int slot)
    {
        return instrument[slot];
    }

    /** @return true for a buy. */
    public boolean isBuy(final int slot)
    {
        return buy[slot];
    }

    /** @return limit price. */
    public long price(final int slot)
    {
        return price[slot];
    }

    /** @return contracts still open. */
    public long remaining(final int slot)
    {
        return remaining[slot];
    }

    /** Sets the contracts still open. */
    public void remaining(final int slot, final long value)
    {
        remaining[slot] = value;
    }

    /**
     * @return the loss one contract of the order realizes at once when it fills at its limit against the mark of
     * its acceptance (a buy above mark, a sell below), 1e-8 settlement asset; reserved by the pre-trade check.
     */
    public long fillLossPerContract(final int slot)
    {
        return fillLossPerContract[slot];
    }

    /** Sets the per-contract fill loss reserved for the order. */
    public void fillLossPerContract(final int slot, final long value)
    {
        fillLossPerContract[slot] = value;
    }

    /** @return true for a reduce-only order. */
    public boolean isReduceOnly(final int slot)
    {
        return reduceOnly[slot];
    }

    /**
     * Writes the slots below the high-water mark (free ones too) and the accounts' list heads.
     *
     * @param encoder wrapped at the message; its groups are written in schema order.
     */
    public void writeSnapshot(final OrderTableEncoder encoder)
    {
        encoder.highWater(highWater).freeHead(freeHead).live(live);
        final OrderTableEncoder.SlotsEncoder slots = encoder.slotsCount(highWater);
        for (int slot = 0; slot < highWater; slot++)
        {
            slots.next()
                .orderId(orderId[slot])
                .accountId(account[slot])
                .instrumentId(instrument[slot])
                .buy((short)(buy[slot] ? 1 : 0))
                .reduceOnly((short)(reduceOnly[slot] ? 1 : 0))
                .nextFree(nextFree[slot])
                .nextInAccount(nextInAccount[slot])
                .prevInAccount(prevInAccount[slot])
                .price(price[slot])
                .remaining(remaining[slot])
                .fillLossPerContract(fillLossPerContract[slot]);
        }
        int accounts = 0;
        for (int id = 0; id < firstByAccount.length; id++)
        {
            if (firstByAccount[id] != -1)
            {
                accounts++;
            }
        }
        final OrderTableEncoder.AccountHeadsEncoder heads = encoder.accountHeadsCount(accounts);
        for (int id = 0; id < firstByAccount.length; id++)
        {
            if (firstByAccount[id] != -1)
            {
                heads.next().accountId(id).firstSlot(firstByAccount[id]);
            }
        }
    }

    /**
     * Loads a snapshot written by {@link #writeSnapshot} into this table, which must be newly constructed with the
     * same account capacity; the lookup map is rebuilt from the live slots. Every list is checked against the slots
     * and the accounts' open-order counts before this returns.
     *
     * @param decoder  wrapped at the message.
     * @param accounts the account table, already loaded from the same snapshot: its open-order counts.
     * @throws IllegalStateException if the slot rows do not match the high-water mark, an id is out of range, an
     *                               order id is open twice, or a list is out of range, cyclic, inconsistent or
     *                               disagrees with its count.
     */
    public void readSnapshot(final OrderTableDecoder decoder, final Accounts accounts)
    {
        if (accounts.capacity() != firstByAccount.length)
        {
            throw new IllegalStateException("snapshot: orders for " + firstByAccount.length + " accounts, the " +
                "account table has " + accounts.capacity());
        }
        final int slotCount = decoder.highWater();
        freeHead = decoder.freeHead();
        live = decoder.live();
        if (slotCount > orderId.length)
        {
            allocate(Math.max(slotCount, orderId.length * 2));
        }
        final OrderTableDecoder.SlotsDecoder slots = decoder.slots();
        if (slots.count() != slotCount)
        {
            throw new IllegalStateException("snapshot: " + slots.count() + " order slots, high-water " + slotCount);
        }
        int slot = 0;
        for (final OrderTableDecoder.SlotsDecoder row : slots)
        {
            orderId[slot] = row.orderId();
            account[slot] = row.accountId();
            instrument[slot] = row.instrumentId();
            buy[slot] = row.buy() == 1;
            reduceOnly[slot] = row.reduceOnly() == 1;
            nextFree[slot] = row.nextFree();
            nextInAccount[slot] = row.nextInAccount();
            prevInAccount[slot] = row.prevInAccount();
            price[slot] = row.price();
            remaining[slot] = row.remaining();
            fillLossPerContract[slot] = row.fillLossPerContract();
            if (orderId[slot] != 0)
            {
                final int other = (int)slotById.put(orderId[slot], slot);
                if (other >= 0)
                {
                    throw new IllegalStateException("snapshot: order slots " + other + " and " + slot +
                        " both hold order " + orderId[slot]);
                }
            }
            slot++;
        }
        highWater = slotCount;
        for (final OrderTableDecoder.AccountHeadsDecoder row : decoder.accountHeads())
        {
            final int id = row.accountId();
            if (id < 0 || id >= firstByAccount.length)
            {
                throw new IllegalStateException("snapshot: orders of account " + id + " outside capacity");
            }
            firstByAccount[id] = row.firstSlot();
        }
        checkLists(accounts);
    }

    /**
     * Checks the restored lists before anything walks them, as a file with a valid hash may still have been altered
     * and resealed: a cycle or a link out of range would make a walk loop forever or fail at some later command.
     * Every account's order list must be in range, acyclic, linked both ways and hold only open orders of that
     * account, as many as its open-order count; every open order must be in its account's list; the free list (through
     * nextFree) must hold exactly the other slots. O(slots + accounts), at load only.
     */
    private void checkLists(final Accounts accounts)
    {
        final boolean[] seen = new boolean[highWater];
        int liveSlots = 0;
        for (int slot = 0; slot < highWater; slot++)
        {
            liveSlots += orderId[slot] != 0 ? 1 : 0;
        }
        if (liveSlots != live)
        {
            throw new IllegalStateException("snapshot: " + liveSlots + " open order slots, the table says " + live);
        }
        for (int accountId = 0; accountId < firstByAccount.length; accountId++)
        {
            int count = 0;
            int prev = -1;
            for (int slot = firstByAccount[accountId]; slot != -1; slot = nextInAccount[slot])
            {
                visit(seen, slot, accountId);
                if (orderId[slot] == 0 || account[slot] != accountId || prevInAccount[slot] != prev)
                {
                    throw new IllegalStateException("snapshot: order slot " + slot + " (order " + orderId[slot] +
                        ", account " + account[slot] + ", previous " + prevInAccount[slot] +
                        ") in the list of account " + accountId + " after slot " + prev);
                }
                prev = slot;
                count++;
            }
            if (count != accounts.openOrderCount(accountId))
            {
                throw new IllegalStateException("snapshot: account " + accountId + " lists " + count +
                    " open orders, its count is " + accounts.openOrderCount(accountId));
            }
        }
        int free = 0;
        for (int slot = freeHead; slot != -1; slot = nextFree[slot])
        {
            visit(seen, slot, -1);
            if (orderId[slot] != 0)
            {
                throw new IllegalStateException("snapshot: order slot " + slot + " of order " + orderId[slot] +
                    " in the free list");
            }
            free++;
        }
        if (free != highWater - live)
        {
            throw new IllegalStateException("snapshot: " + free + " free order slots listed, " + (highWater - live) +
                " not open");
        }
        for (int slot = 0; slot < highWater; slot++)
        {
            if (!seen[slot])
            {
                throw new IllegalStateException("snapshot: order slot " + slot + " of order " + orderId[slot] +
                    " in no list");
            }
        }
    }

    /** Marks a slot met on a list walk (accountId -1 for the free list), refusing one out of range or met before. */
    private void visit(final boolean[] seen, final int slot, final int accountId)
    {
        final boolean inRange = slot >= 0 && slot < highWater;
        if (!inRange || seen[slot])
        {
            throw new IllegalStateException("snapshot: order slot " + slot + (inRange ?
                " met twice (a cycle, or a slot on two lists)" : " out of range (high-water " + highWater + ")") +
                " in " + (accountId < 0 ? "the free list" : "the list of account " + accountId));
        }
        seen[slot] = true;
    }
}
