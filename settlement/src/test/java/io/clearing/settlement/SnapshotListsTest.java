package io.clearing.settlement;

import io.clearing.sbe.snapshot.AccountTableDecoder;
import io.clearing.sbe.snapshot.AccountTableEncoder;
import io.clearing.sbe.snapshot.OrderTableDecoder;
import io.clearing.sbe.snapshot.OrderTableEncoder;
import io.clearing.sbe.snapshot.PositionTableDecoder;
import io.clearing.sbe.snapshot.PositionTableEncoder;
import io.clearing.sbe.snapshot.PriceWatchTableDecoder;
import io.clearing.sbe.snapshot.PriceWatchTableEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loading a table's snapshot checks its linked lists, since a file with a valid hash may have been altered and
 * resealed: each case writes a small table, alters one field of the encoded rows in place and loads it into a fresh
 * table, which must refuse it with an IllegalStateException saying "snapshot: " (in bounded time) instead of keeping
 * a cycle, a link out of range or a count that disagrees with its list. The unaltered tables load and encode again to
 * the same bytes.
 */
final class SnapshotListsTest
{
    private static final int CAPACITY = 64;
    private static final int A = 20;
    private static final int B = 21;
    private static final int C = 22;

    private final UnsafeBuffer accountTable = new UnsafeBuffer(new byte[1 << 16]);
    private final UnsafeBuffer positionTable = new UnsafeBuffer(new byte[1 << 16]);
    private final UnsafeBuffer orderTable = new UnsafeBuffer(new byte[1 << 16]);
    private final UnsafeBuffer watchTable = new UnsafeBuffer(new byte[1 << 16]);

    /**
     * Position slots 0 (A, 1), 1 free, 2 (A, 3), 3 (B, 1), 4 (B, 2), 5 free, 6 (A, 4); the free list 5, 1. Account A
     * lists 0, 2, 6; instrument 1 holds 0, 3. Orders 0 (A), 1 free, 2 (A), 3 (A), 4 (B), 5 free, 6 (B); A lists
     * 3, 2, 0 (newest first), B 6, 4; the free list 5, 1. Band records 0 (A, source 1), 1 and 2 free, 3 and 4
     * (B, sources 1 and 2), 5 (C, source 4); the free list 2, 1.
     */
    SnapshotListsTest()
    {
        final Accounts accounts = new Accounts(CAPACITY);
        final Positions positions = new Positions(accounts, 16);
        final int[][] held = {{A, 1}, {A, 2}, {A, 3}, {B, 1}, {B, 2}, {C, 1}, {A, 4}};
        for (final int[] pair : held)
        {
            positions.position(positions.findOrCreate(pair[0], pair[1]), 1, 100);
        }
        for (final int slot : new int[] {1, 5})
        {
            positions.position(slot, 0, 0);
            positions.releaseIfEmpty(slot);
        }
        final Orders orders = new Orders(CAPACITY, 16);
        final int[] owners = {A, A, A, A, B, B, B};
        for (int i = 0; i < owners.length; i++)
        {
            orders.add(100 + i, owners[i], 1, true, 1_000, 5, false);
            accounts.addOpenOrders(owners[i], 1);
        }
        for (final int slot : new int[] {1, 5})
        {
            accounts.addOpenOrders(orders.account(slot), -1);
            orders.remove(slot);
        }
        final PriceWatch watch = new PriceWatch(accounts);
        bands(watch, A, 1, 2, 3);
        bands(watch, B, 1, 2);
        bands(watch, C, 4);
        bands(watch, A, 1);

        final AccountTableEncoder accountEncoder = new AccountTableEncoder().wrap(accountTable, 0);
        accounts.writeSnapshot(accountEncoder);
        positions.writeSnapshot(new PositionTableEncoder().wrap(positionTable, 0));
        orders.writeSnapshot(new OrderTableEncoder().wrap(orderTable, 0));
        watch.writeSnapshot(new PriceWatchTableEncoder().wrap(watchTable, 0));
        assertEquals(2, positionSlot(0, SLOT_NEXT), "the layout the cases rely on");
        assertEquals(5, positionDecoder().freeHead());
        assertEquals(3, orders.firstOfAccount(A));
        assertEquals(2, new PriceWatchTableDecoder().wrap(watchTable, 0, PriceWatchTableDecoder.BLOCK_LENGTH,
            PriceWatchTableDecoder.SCHEMA_VERSION).bandFreeHead());
    }

    private static void bands(final PriceWatch watch, final int accountId, final int... sources)
    {
        watch.beginBands(accountId);
        for (final int source : sources)
        {
            watch.register(source, accountId, 1_000, 10.0);
        }
        watch.endBands(accountId);
    }

    // Positions

    @Test
    void unalteredPositionsLoadAndEncodeToTheSameBytes()
    {
        final Positions loaded = loadPositions();
        final UnsafeBuffer again = new UnsafeBuffer(new byte[positionTable.capacity()]);
        final PositionTableEncoder encoder = new PositionTableEncoder().wrap(again, 0);
        loaded.writeSnapshot(encoder);
        assertEquals(-1, firstDifference(positionTable, again, encoder.encodedLength()));
        assertEquals(5, loaded.size());
    }

    @Test
    void aCycleInAnAccountsPositionsIsRefused()
    {
        setSlot(6, SLOT_NEXT, 0);
        assertRefused(this::loadPositions, "position slot 0 met twice (a cycle, or a slot on two lists) in the list " +
            "of account 20");
    }

    @Test
    void aPositionLinkOutOfRangeIsRefused()
    {
        setSlot(0, SLOT_NEXT, 7);
        assertRefused(this::loadPositions, "position slot 7 out of range (high-water 7) in the list of account 20");
    }

    @Test
    void aPreviousLinkThatDisagreesIsRefused()
    {
        setSlot(2, SLOT_PREV, 6);
        assertRefused(this::loadPositions, "position slot 2 (account 20, previous 6) in the list of account 20 " +
            "after slot 0");
    }

    @Test
    void aPositionCountThatDisagreesWithTheListIsRefused()
    {
        setAccount(A, AccountTableDecoder.AccountsDecoder.positionCountEncodingOffset(), 4);
        assertRefused(this::loadPositions, "account 20 lists 3 position slots, its count is 4");
    }

    @Test
    void aShortenedAccountListLeavingALiveSlotOutIsRefused()
    {
        setSlot(2, SLOT_NEXT, -1);
        setAccount(A, AccountTableDecoder.AccountsDecoder.positionCountEncodingOffset(), 2);
        assertRefused(this::loadPositions, "live position slot 6 missing from its account's list");
    }

    @Test
    void aCycleInAnInstrumentsHoldersIsRefused()
    {
        setSlot(3, SLOT_NEXT_HOLDER, 0);
        assertRefused(this::loadPositions, "position slot 0 met twice (a cycle, or a slot on two lists) in the " +
            "holders of instrument 1");
    }

    @Test
    void aHolderListWhoseHeadDoesNotPointAtItsTailIsRefused()
    {
        setSlot(0, SLOT_PREV_HOLDER, 0);
        assertRefused(this::loadPositions, "holders of instrument 1 end at slot 3, the head says 0");
    }

    @Test
    void aHolderCountThatDisagreesWithTheListIsRefused()
    {
        setHolderCount(1, 3);
        assertRefused(this::loadPositions, "instrument 1 lists 2 holders, its count is 3");
    }

    @Test
    void aCycleInTheFreePositionSlotsIsRefused()
    {
        setSlot(1, SLOT_NEXT, 5);
        assertRefused(this::loadPositions, "position slot 5 met twice (a cycle, or a slot on two lists) in the free " +
            "list");
    }

    @Test
    void aFreeListMissingAFreeSlotIsRefused()
    {
        setSlot(5, SLOT_NEXT, -1);
        assertRefused(this::loadPositions, "1 free position slots listed, 2 not live");
    }

    @Test
    void aWrongLiveCountIsRefused()
    {
        positionTable.putInt(PositionTableDecoder.liveEncodingOffset(), 6, ByteOrder.LITTLE_ENDIAN);
        assertRefused(this::loadPositions, "5 live position slots, the table says 6");
    }

    @Test
    void twoSlotsOfOnePositionAreRefused()
    {
        setSlot(4, PositionTableDecoder.SlotsDecoder.instrumentIdEncodingOffset(), 1);
        assertRefused(this::loadPositions, "position slots 3 and 4 both hold account 21 instrument 1");
    }

    // Orders

    @Test
    void unalteredOrdersLoadAndEncodeToTheSameBytes()
    {
        final Orders loaded = loadOrders(CAPACITY);
        final UnsafeBuffer again = new UnsafeBuffer(new byte[orderTable.capacity()]);
        final OrderTableEncoder encoder = new OrderTableEncoder().wrap(again, 0);
        loaded.writeSnapshot(encoder);
        assertEquals(-1, firstDifference(orderTable, again, encoder.encodedLength()));
        assertEquals(5, loaded.size());
    }

    @Test
    void aCycleInAnAccountsOrdersIsRefused()
    {
        setOrder(0, ORDER_NEXT, 3);
        assertRefused(() -> loadOrders(CAPACITY), "order slot 3 met twice (a cycle, or a slot on two lists) in the " +
            "list of account 20");
    }

    @Test
    void anOrderLinkOutOfRangeIsRefused()
    {
        setOrder(3, ORDER_NEXT, -7);
        assertRefused(() -> loadOrders(CAPACITY), "order slot -7 out of range (high-water 7) in the list of account " +
            "20");
    }

    @Test
    void anOrderPreviousLinkThatDisagreesIsRefused()
    {
        setOrder(0, ORDER_PREV, 3);
        assertRefused(() -> loadOrders(CAPACITY), "order slot 0 (order 100, account 20, previous 3) in the list of " +
            "account 20 after slot 2");
    }

    @Test
    void anOpenOrderCountThatDisagreesWithTheListIsRefused()
    {
        setAccount(B, AccountTableDecoder.AccountsDecoder.openOrderCountEncodingOffset(), 1);
        assertRefused(() -> loadOrders(CAPACITY), "account 21 lists 2 open orders, its count is 1");
    }

    @Test
    void anOpenOrderOnNoListIsRefused()
    {
        setOrder(2, ORDER_NEXT, -1);
        setAccount(A, AccountTableDecoder.AccountsDecoder.openOrderCountEncodingOffset(), 2);
        assertRefused(() -> loadOrders(CAPACITY), "order slot 0 of order 100 in no list");
    }

    @Test
    void aCycleInTheFreeOrderSlotsIsRefused()
    {
        setOrder(1, OrderTableDecoder.SlotsDecoder.nextFreeEncodingOffset(), 5);
        assertRefused(() -> loadOrders(CAPACITY), "order slot 5 met twice (a cycle, or a slot on two lists) in the " +
            "free list");
    }

    @Test
    void anOpenOrderInTheFreeListIsRefused()
    {
        setOrder(1, OrderTableDecoder.SlotsDecoder.nextFreeEncodingOffset(), 6);
        assertRefused(() -> loadOrders(CAPACITY), "order slot 6 met twice (a cycle, or a slot on two lists) in the " +
            "free list");
    }

    @Test
    void aWrongOpenOrderTotalIsRefused()
    {
        orderTable.putInt(OrderTableDecoder.liveEncodingOffset(), 4, ByteOrder.LITTLE_ENDIAN);
        assertRefused(() -> loadOrders(CAPACITY), "5 open order slots, the table says 4");
    }

    @Test
    void anOrderOpenInTwoSlotsIsRefused()
    {
        orderTable.putLong(orderSlots().get(2) + OrderTableDecoder.SlotsDecoder.orderIdEncodingOffset(), 100,
            ByteOrder.LITTLE_ENDIAN);
        assertRefused(() -> loadOrders(CAPACITY), "order slots 0 and 2 both hold order 100");
    }

    @Test
    void anAccountTableOfAnotherCapacityIsRefused()
    {
        assertRefused(() -> loadOrders(CAPACITY * 2), "orders for 64 accounts, the account table has 128");
    }

    // Band records

    @Test
    void unalteredBandRecordsLoadAndEncodeToTheSameBytes()
    {
        final PriceWatch loaded = loadWatch();
        final UnsafeBuffer again = new UnsafeBuffer(new byte[watchTable.capacity()]);
        final PriceWatchTableEncoder encoder = new PriceWatchTableEncoder().wrap(again, 0);
        loaded.writeSnapshot(encoder);
        assertEquals(-1, firstDifference(watchTable, again, encoder.encodedLength()));
        assertEquals(4, loaded.edges(1), "accounts 20 and 21, both edges");
    }

    @Test
    void aCycleInAnAccountsBandsIsRefused()
    {
        setBand(4, BAND_NEXT, 3);
        assertRefused(this::loadWatch, "band record 3 (source 1) in the bands of account 21, met twice (a cycle, or " +
            "a record on two lists)");
    }

    @Test
    void aRecordOnTwoAccountsListsIsRefused()
    {
        setBand(0, BAND_NEXT, 3);
        assertRefused(this::loadWatch, "band record 3 (source 1) in the bands of account 21, met twice");
    }

    @Test
    void aFreeRecordInAnAccountsBandsIsRefused()
    {
        setBand(5, BAND_NEXT, 1);
        assertRefused(this::loadWatch, "band record 1 (source -1) in the bands of account 22");
    }

    @Test
    void aListedRecordWithoutASourceIsRefused()
    {
        setBand(4, BAND_SOURCE, -1);
        assertRefused(this::loadWatch, "band record 4 (source -1) in the bands of account 21");
    }

    @Test
    void aCycleInTheFreeRecordsIsRefused()
    {
        setBand(1, BAND_NEXT, 2);
        assertRefused(this::loadWatch, "band record 2 (source -1) in the free list, met twice");
    }

    @Test
    void aLiveRecordInTheFreeListIsRefused()
    {
        setBand(1, BAND_NEXT, 5);
        assertRefused(this::loadWatch, "band record 5 (source 4) in the free list, met twice");
    }

    @Test
    void aRecordOnNoListIsRefused()
    {
        setBand(3, BAND_NEXT, -1);
        assertRefused(this::loadWatch, "band record 4 (source 2) on no list");
    }

    @Test
    void aHeapEntryOfAnotherAccountIsRefused()
    {
        final PriceWatchTableDecoder decoder = watchDecoder();
        decoder.heaps().forEach(row -> { });
        final List<Integer> entries = rows(decoder.entries(), decoder::limit);
        watchTable.putInt(entries.get(0) + PriceWatchTableDecoder.EntriesDecoder.accountIdEncodingOffset(), C,
            ByteOrder.LITTLE_ENDIAN);
        assertRefused(this::loadWatch, ", account 22");
    }

    // Loading

    private Accounts loadAccounts(final int capacity)
    {
        final Accounts accounts = new Accounts(capacity);
        accounts.readSnapshot(new AccountTableDecoder().wrap(accountTable, 0, AccountTableDecoder.BLOCK_LENGTH,
            AccountTableDecoder.SCHEMA_VERSION));
        return accounts;
    }

    private Positions loadPositions()
    {
        final Positions positions = new Positions(loadAccounts(CAPACITY), 16);
        positions.readSnapshot(positionDecoder());
        return positions;
    }

    private Orders loadOrders(final int accountCapacity)
    {
        final Orders orders = new Orders(CAPACITY, 16);
        orders.readSnapshot(new OrderTableDecoder().wrap(orderTable, 0, OrderTableDecoder.BLOCK_LENGTH,
            OrderTableDecoder.SCHEMA_VERSION), loadAccounts(accountCapacity));
        return orders;
    }

    private PriceWatch loadWatch()
    {
        final PriceWatch watch = new PriceWatch(loadAccounts(CAPACITY));
        watch.readSnapshot(watchDecoder());
        return watch;
    }

    private static void assertRefused(final Executable load, final String reason)
    {
        final IllegalStateException refused = assertTimeoutPreemptively(Duration.ofSeconds(10),
            () -> assertThrows(IllegalStateException.class, load));
        assertTrue(refused.getMessage().startsWith("snapshot: ") && refused.getMessage().contains(reason),
            refused.getMessage());
    }

    // Altering the encoded rows

    private static final int SLOT_NEXT = PositionTableDecoder.SlotsDecoder.nextInAccountEncodingOffset();
    private static final int SLOT_PREV = PositionTableDecoder.SlotsDecoder.prevInAccountEncodingOffset();
    private static final int SLOT_NEXT_HOLDER = PositionTableDecoder.SlotsDecoder.nextHolderEncodingOffset();
    private static final int SLOT_PREV_HOLDER = PositionTableDecoder.SlotsDecoder.prevHolderEncodingOffset();
    private static final int ORDER_NEXT = OrderTableDecoder.SlotsDecoder.nextInAccountEncodingOffset();
    private static final int ORDER_PREV = OrderTableDecoder.SlotsDecoder.prevInAccountEncodingOffset();
    private static final int BAND_SOURCE = PriceWatchTableDecoder.BandsDecoder.bandSourceEncodingOffset();
    private static final int BAND_NEXT = PriceWatchTableDecoder.BandsDecoder.nextBandEncodingOffset();

    private PositionTableDecoder positionDecoder()
    {
        return new PositionTableDecoder().wrap(positionTable, 0, PositionTableDecoder.BLOCK_LENGTH,
            PositionTableDecoder.SCHEMA_VERSION);
    }

    private PriceWatchTableDecoder watchDecoder()
    {
        return new PriceWatchTableDecoder().wrap(watchTable, 0, PriceWatchTableDecoder.BLOCK_LENGTH,
            PriceWatchTableDecoder.SCHEMA_VERSION);
    }

    private int positionSlot(final int slot, final int field)
    {
        final PositionTableDecoder decoder = positionDecoder();
        return positionTable.getInt(rows(decoder.slots(), decoder::limit).get(slot) + field, ByteOrder.LITTLE_ENDIAN);
    }

    private void setSlot(final int slot, final int field, final int value)
    {
        final PositionTableDecoder decoder = positionDecoder();
        positionTable.putInt(rows(decoder.slots(), decoder::limit).get(slot) + field, value, ByteOrder.LITTLE_ENDIAN);
    }

    private void setHolderCount(final int instrumentId, final int value)
    {
        final PositionTableDecoder decoder = positionDecoder();
        decoder.slots().forEach(row -> { });
        final PositionTableDecoder.HoldersDecoder holders = decoder.holders();
        while (holders.hasNext())
        {
            final int at = decoder.limit();
            if (holders.next().instrumentId() == instrumentId)
            {
                positionTable.putInt(at + PositionTableDecoder.HoldersDecoder.holderCountEncodingOffset(), value,
                    ByteOrder.LITTLE_ENDIAN);
                return;
            }
        }
        throw new AssertionError("no holders of instrument " + instrumentId);
    }

    private List<Integer> orderSlots()
    {
        final OrderTableDecoder decoder = new OrderTableDecoder().wrap(orderTable, 0, OrderTableDecoder.BLOCK_LENGTH,
            OrderTableDecoder.SCHEMA_VERSION);
        return rows(decoder.slots(), decoder::limit);
    }

    private void setOrder(final int slot, final int field, final int value)
    {
        orderTable.putInt(orderSlots().get(slot) + field, value, ByteOrder.LITTLE_ENDIAN);
    }

    private void setAccount(final int accountId, final int field, final int value)
    {
        final AccountTableDecoder decoder = new AccountTableDecoder().wrap(accountTable, 0,
            AccountTableDecoder.BLOCK_LENGTH, AccountTableDecoder.SCHEMA_VERSION);
        final AccountTableDecoder.AccountsDecoder accounts = decoder.accounts();
        while (accounts.hasNext())
        {
            final int at = decoder.limit();
            if (accounts.next().accountId() == accountId)
            {
                accountTable.putInt(at + field, value, ByteOrder.LITTLE_ENDIAN);
                return;
            }
        }
        throw new AssertionError("no row of account " + accountId);
    }

    private void setBand(final int record, final int field, final int value)
    {
        final PriceWatchTableDecoder decoder = watchDecoder();
        decoder.heaps().forEach(row -> { });
        decoder.entries().forEach(row -> { });
        decoder.activity().forEach(row -> { });
        watchTable.putInt(rows(decoder.bands(), decoder::limit).get(record) + field, value, ByteOrder.LITTLE_ENDIAN);
    }

    /** @return the offset of each row of a group, read through its message's limit. */
    private static List<Integer> rows(final Iterator<?> group, final IntSupplier limit)
    {
        final List<Integer> offsets = new ArrayList<>();
        while (group.hasNext())
        {
            offsets.add(limit.getAsInt());
            group.next();
        }
        return offsets;
    }

    private static int firstDifference(final UnsafeBuffer a, final UnsafeBuffer b, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (a.getByte(i) != b.getByte(i))
            {
                return i;
            }
        }
        return -1;
    }
}
