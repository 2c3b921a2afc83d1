package io.clearing.settlement;

import io.clearing.sbe.MarginState;
import io.clearing.sbe.snapshot.AccountTableDecoder;
import io.clearing.sbe.snapshot.AccountTableEncoder;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Accounts by id: whether open, balances per asset, the cached margin figures of the last evaluation, and the heads
 * of the account's position list. Ids are dense, 0 to capacity - 1; ids below {@link #FIRST_USER_ACCOUNT} are the
 * system accounts. One record per account in a cache-line-aligned off-heap buffer, allocated once: the figures an
 * evaluation reads and writes share one cache line, the balances follow in two more. A snapshot
 * ({@link #writeSnapshot}) holds every account that is open or differs from a never-opened one, so a restored table
 * is this table. Not thread-safe.
 */
public final class Accounts
{
    /** The central counterparty: realized PnL is paid from and to it, so every transfer has two sides. */
    public static final int CLEARING_HOUSE = 0;
    /** Receives trading fees and pays maker rebates. */
    public static final int FEE_ACCOUNT = 1;
    /** Receives liquidation penalties, covers deficits of bankrupt accounts. */
    public static final int INSURANCE_FUND = 2;
    /** Takes over liquidated positions at mark (the backstop liquidity provider). */
    public static final int LIQUIDATOR = 3;
    /** Ids below this are reserved for system accounts. */
    public static final int FIRST_USER_ACCOUNT = 16;

    /** Bytes per account record: a line of figures, then the balances (two lines). */
    private static final int RECORD_BYTES = 64 + 8 * Limits.MAX_ASSETS;
    private static final int EQUITY = 0;
    private static final int INITIAL_MARGIN = 8;
    private static final int MAINTENANCE_MARGIN = 16;
    private static final int RESERVED_FILL_LOSS = 24;
    private static final int FIRST_POSITION = 32;
    private static final int POSITION_COUNT = 36;
    private static final int OPEN_ORDER_COUNT = 40;
    private static final int EVALUATION_STAMP = 44;
    private static final int OPEN = 48;
    private static final int STATE = 49;
    /** Bit a set when the balance of asset a is not zero (derived from the balances; not in snapshots). */
    private static final int BALANCE_MASK = 50;
    private static final int BALANCES = 64;
    /** Most account ids a table holds (its records are addressed by int offsets): 8,388,608. */
    public static final int MAX_CAPACITY = 1 << 23;

    private int capacity;
    private UnsafeBuffer records;
    private int openCount;

    /**
     * @param capacity a number of account ids.
     * @return true when an {@code Accounts} can hold that many: at least {@link #FIRST_USER_ACCOUNT} + 1, at most
     * {@link #MAX_CAPACITY}.
     */
    public static boolean isValidCapacity(final int capacity)
    {
        return capacity > FIRST_USER_ACCOUNT && capacity <= MAX_CAPACITY;
    }

    /**
     * @param capacity number of account ids, at least {@link #FIRST_USER_ACCOUNT} + 1 and at most
     *                 {@link #MAX_CAPACITY}.
     */
    public Accounts(final int capacity)
    {
        if (!isValidCapacity(capacity))
        {
            throw new IllegalArgumentException("account capacity out of range: " + capacity);
        }
        this.capacity = capacity;
        records = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * RECORD_BYTES, 64));
        for (int id = 0; id < capacity; id++)
        {
            records.putInt(at(id) + FIRST_POSITION, -1);
        }
        for (int id = 0; id < FIRST_USER_ACCOUNT; id++)
        {
            open(id);
        }
    }

    /**
     * Raises the number of account ids: the records move to a new buffer of the new size, the new ids never opened.
     * Allocates and copies the whole table - for the rare command that raises the capacity, not for the hot path.
     *
     * @param newCapacity above the current capacity, at most {@link #MAX_CAPACITY}.
     */
    public void growCapacity(final int newCapacity)
    {
        if (newCapacity <= capacity || !isValidCapacity(newCapacity))
        {
            throw new IllegalArgumentException("account capacity " + newCapacity + " is not above " + capacity +
                " and at most " + MAX_CAPACITY);
        }
        final UnsafeBuffer grown = new UnsafeBuffer(BufferUtil.allocateDirectAligned(newCapacity * RECORD_BYTES, 64));
        grown.putBytes(0, records, 0, capacity * RECORD_BYTES);
        for (int id = capacity; id < newCapacity; id++)
        {
            grown.putInt(at(id) + FIRST_POSITION, -1);
        }
        records = grown;
        capacity = newCapacity;
    }

    private static int at(final int accountId)
    {
        return accountId * RECORD_BYTES;
    }

    private static int balanceAt(final int accountId, final int assetId)
    {
        return accountId * RECORD_BYTES + BALANCES + 8 * assetId;
    }

    /** @return number of account ids. */
    public int capacity()
    {
        return capacity;
    }

    /** @return true for ids below {@link #FIRST_USER_ACCOUNT}. */
    public static boolean isSystem(final int accountId)
    {
        return accountId >= 0 && accountId < FIRST_USER_ACCOUNT;
    }

    /** @return true when the id is inside the capacity. */
    public boolean inRange(final int accountId)
    {
        return accountId >= 0 && accountId < capacity;
    }

    /** @return true when the id is in range and the account is open. */
    public boolean isOpen(final int accountId)
    {
        return accountId >= 0 && accountId < capacity && records.getByte(at(accountId) + OPEN) != 0;
    }

    /** Opens an account (idempotent). */
    public void open(final int accountId)
    {
        final int at = at(accountId);
        if (records.getByte(at + OPEN) == 0)
        {
            records.putByte(at + OPEN, (byte)1);
            records.putByte(at + STATE, (byte)MarginState.EMPTY.value());
            openCount++;
        }
    }

    /** @return number of open accounts, system accounts included. */
    public int openCount()
    {
        return openCount;
    }

    /** @return balance of an asset, 1e-8 asset units, may be negative. */
    public long balance(final int accountId, final int assetId)
    {
        return records.getLong(balanceAt(accountId, assetId));
    }

    /** Sets a balance; callers go through {@link Ledger} so every change is an event. */
    void balance(final int accountId, final int assetId, final long value)
    {
        records.putLong(balanceAt(accountId, assetId), value);
        markBalance(accountId, assetId, value);
    }

    private void markBalance(final int accountId, final int assetId, final long value)
    {
        final int at = at(accountId) + BALANCE_MASK;
        final int mask = records.getShort(at) & 0xFFFF;
        final int bit = 1 << assetId;
        records.putShort(at, (short)(value != 0 ? mask | bit : mask & ~bit));
    }

    /**
     * The assets the account holds a balance of, one bit per asset id (bit a for asset a), from the account's first
     * cache line: a walk over the set bits reads only the balances that are not zero, in ascending asset order, as a
     * walk over every asset that skips zeros does.
     */
    public int balanceMask(final int accountId)
    {
        return records.getShort(at(accountId) + BALANCE_MASK) & 0xFFFF;
    }

    /** @return the margin state of the last evaluation, the raw value of {@link MarginState}. */
    public int state(final int accountId)
    {
        return records.getByte(at(accountId) + STATE);
    }

    /** @return equity of the last evaluation, 1e-8 margin currency. */
    public long equity(final int accountId)
    {
        return records.getLong(at(accountId) + EQUITY);
    }

    /** @return initial margin of the last evaluation. */
    public long initialMargin(final int accountId)
    {
        return records.getLong(at(accountId) + INITIAL_MARGIN);
    }

    /** @return maintenance margin of the last evaluation. */
    public long maintenanceMargin(final int accountId)
    {
        return records.getLong(at(accountId) + MAINTENANCE_MARGIN);
    }

    /** Stores the result of an evaluation. */
    public void evaluated(
        final int accountId,
        final int marginState,
        final long equityValue,
        final long initialMarginValue,
        final long maintenanceMarginValue)
    {
        final int at = at(accountId);
        records.putByte(at + STATE, (byte)marginState);
        records.putLong(at + EQUITY, equityValue);
        records.putLong(at + INITIAL_MARGIN, initialMarginValue);
        records.putLong(at + MAINTENANCE_MARGIN, maintenanceMarginValue);
    }

    /** Counts a registration of the account's price bands (the bands themselves live in {@link PriceWatch}). */
    public void bandsRegistered(final int accountId)
    {
        final int at = at(accountId) + EVALUATION_STAMP;
        records.putInt(at, records.getInt(at) + 1);
    }

    /** @return band registrations of the account so far, wrapping: a diagnostic kept in snapshots. */
    public int evaluationStamp(final int accountId)
    {
        return records.getInt(at(accountId) + EVALUATION_STAMP);
    }

    /** @return the first position slot of the account, -1 when none. */
    public int firstPosition(final int accountId)
    {
        return records.getInt(at(accountId) + FIRST_POSITION);
    }

    void firstPosition(final int accountId, final int slot)
    {
        records.putInt(at(accountId) + FIRST_POSITION, slot);
    }

    /** @return number of position slots (open positions or instruments with open orders). */
    public int positionCount(final int accountId)
    {
        return records.getInt(at(accountId) + POSITION_COUNT);
    }

    void positionCount(final int accountId, final int count)
    {
        records.putInt(at(accountId) + POSITION_COUNT, count);
    }

    /** @return number of open orders. */
    public int openOrderCount(final int accountId)
    {
        return records.getInt(at(accountId) + OPEN_ORDER_COUNT);
    }

    /** @return the immediate fill losses reserved for the account's open orders (limit worse than mark). */
    public long reservedFillLoss(final int accountId)
    {
        return records.getLong(at(accountId) + RESERVED_FILL_LOSS);
    }

    /** Adjusts the reserved fill losses. */
    public void addReservedFillLoss(final int accountId, final long delta)
    {
        final int at = at(accountId) + RESERVED_FILL_LOSS;
        records.putLong(at, records.getLong(at) + delta);
    }

    /** Adjusts the open-order count. */
    public void addOpenOrders(final int accountId, final int delta)
    {
        final int at = at(accountId) + OPEN_ORDER_COUNT;
        records.putInt(at, records.getInt(at) + delta);
    }

    /**
     * Writes every account that is open or not in its initial state (in practice: the open ones), ascending id, and
     * every non-zero balance.
     *
     * @param encoder wrapped at the message; its groups are written in schema order.
     */
    public void writeSnapshot(final AccountTableEncoder encoder)
    {
        int rows = 0;
        int nonZeroBalances = 0;
        for (int id = 0; id < capacity; id++)
        {
            if (!isInitial(id))
            {
                rows++;
            }
            nonZeroBalances += Integer.bitCount(balanceMask(id));
        }
        final AccountTableEncoder.AccountsEncoder accountRows = encoder.accountsCount(rows);
        for (int id = 0; id < capacity; id++)
        {
            if (!isInitial(id))
            {
                accountRows.next()
                    .accountId(id)
                    .open((short)(isOpenRaw(id) ? 1 : 0))
                    .state((short)state(id))
                    .positionCount(positionCount(id))
                    .openOrderCount(openOrderCount(id))
                    .firstPositionSlot(firstPosition(id))
                    .evaluationStamp(evaluationStamp(id))
                    .equity(equity(id))
                    .initialMargin(initialMargin(id))
                    .maintenanceMargin(maintenanceMargin(id))
                    .reservedFillLoss(reservedFillLoss(id));
            }
        }
        final AccountTableEncoder.BalancesEncoder balanceRows = encoder.balancesCount(nonZeroBalances);
        for (int id = 0; id < capacity; id++)
        {
            for (int mask = balanceMask(id); mask != 0; mask &= mask - 1)
            {
                final int asset = Integer.numberOfTrailingZeros(mask);
                balanceRows.next().accountId(id).assetId(asset).balance(balance(id, asset));
            }
        }
    }

    /**
     * Loads a snapshot written by {@link #writeSnapshot} into this table, which must be newly constructed with the
     * same capacity.
     *
     * @param decoder wrapped at the message.
     * @throws IllegalStateException if a row names an id outside the capacity.
     */
    public void readSnapshot(final AccountTableDecoder decoder)
    {
        openCount = 0;
        for (int id = 0; id < capacity; id++)
        {
            records.putByte(at(id) + OPEN, (byte)0);
        }
        for (final AccountTableDecoder.AccountsDecoder row : decoder.accounts())
        {
            final int at = at(checkedId(row.accountId()));
            records.putByte(at + OPEN, (byte)(row.open() == 1 ? 1 : 0));
            records.putByte(at + STATE, (byte)row.state());
            records.putInt(at + POSITION_COUNT, row.positionCount());
            records.putInt(at + OPEN_ORDER_COUNT, row.openOrderCount());
            records.putInt(at + FIRST_POSITION, row.firstPositionSlot());
            records.putInt(at + EVALUATION_STAMP, row.evaluationStamp());
            records.putLong(at + EQUITY, row.equity());
            records.putLong(at + INITIAL_MARGIN, row.initialMargin());
            records.putLong(at + MAINTENANCE_MARGIN, row.maintenanceMargin());
            records.putLong(at + RESERVED_FILL_LOSS, row.reservedFillLoss());
        }
        for (int id = 0; id < capacity; id++)
        {
            openCount += isOpenRaw(id) ? 1 : 0;
        }
        for (final AccountTableDecoder.BalancesDecoder row : decoder.balances())
        {
            final int assetId = row.assetId();
            if (assetId < 0 || assetId >= Limits.MAX_ASSETS)
            {
                throw new IllegalStateException("snapshot: balance of asset " + assetId + " out of range");
            }
            final int accountId = checkedId(row.accountId());
            records.putLong(balanceAt(accountId, assetId), row.balance());
            markBalance(accountId, assetId, row.balance());
        }
    }

    private int checkedId(final int accountId)
    {
        if (accountId < 0 || accountId >= capacity)
        {
            throw new IllegalStateException("snapshot: account " + accountId + " outside capacity " + capacity);
        }
        return accountId;
    }

    /** @return true when the account is exactly as construction leaves an id that is never opened. */
    private boolean isInitial(final int id)
    {
        return !isOpenRaw(id) && state(id) == 0 && positionCount(id) == 0 && openOrderCount(id) == 0 &&
            firstPosition(id) == -1 && evaluationStamp(id) == 0 && equity(id) == 0 && initialMargin(id) == 0 &&
            maintenanceMargin(id) == 0 && reservedFillLoss(id) == 0;
    }

    private boolean isOpenRaw(final int id)
    {
        return records.getByte(at(id) + OPEN) != 0;
    }
}
