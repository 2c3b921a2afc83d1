package io.clearing.settlement;

import io.clearing.sbe.MarginState;
import io.clearing.sbe.snapshot.AccountTableDecoder;
import io.clearing.sbe.snapshot.AccountTableEncoder;

/**
 * Accounts by id: whether open, balances per asset, the cached margin figures of the last evaluation, and the heads
 * of the account's position list. Ids are dense, 0 to capacity - 1; ids below {@link #FIRST_USER_ACCOUNT} are the
 * system accounts. Struct-of-arrays, allocated once. A snapshot ({@link #writeSnapshot}) holds every account that
 * is open or differs from a never-opened one, so a restored table is this table. Not thread-safe.
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

    private final int capacity;
    private final boolean[] open;
    private final long[] balances;
    private final byte[] state;
    private final long[] equity;
    private final long[] initialMargin;
    private final long[] maintenanceMargin;
    private final int[] firstPosition;
    private final int[] positionCount;
    private final int[] openOrderCount;
    private final int[] evaluationStamp;
    private final long[] reservedFillLoss;
    private int openCount;

    /**
     * @param capacity number of account ids, at least {@link #FIRST_USER_ACCOUNT} + 1.
     */
    public Accounts(final int capacity)
    {
        if (capacity <= FIRST_USER_ACCOUNT || capacity > (1 << 24))
        {
            throw new IllegalArgumentException("account capacity out of range: " + capacity);
        }
        this.capacity = capacity;
        open = new boolean[capacity];
        balances = new long[capacity * Limits.MAX_ASSETS];
        state = new byte[capacity];
        equity = new long[capacity];
        initialMargin = new long[capacity];
        maintenanceMargin = new long[capacity];
        firstPosition = new int[capacity];
        positionCount = new int[capacity];
        openOrderCount = new int[capacity];
        evaluationStamp = new int[capacity];
        reservedFillLoss = new long[capacity];
        java.util.Arrays.fill(firstPosition, -1);
        for (int id = 0; id < FIRST_USER_ACCOUNT; id++)
        {
            open(id);
        }
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
        return accountId >= 0 && accountId < capacity && open[accountId];
    }

    /** Opens an account (idempotent). */
    public void open(final int accountId)
    {
        if (!open[accountId])
        {
            open[accountId] = true;
            state[accountId] = (byte)MarginState.EMPTY.value();
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
        return balances[accountId * Limits.MAX_ASSETS + assetId];
    }

    /** Sets a balance; callers go through {@link Ledger} so every change is an event. */
    void balance(final int accountId, final int assetId, final long value)
    {
        balances[accountId * Limits.MAX_ASSETS + assetId] = value;
    }

    /** @return the margin state of the last evaluation, the raw value of {@link MarginState}. */
    public int state(final int accountId)
    {
        return state[accountId];
    }

    /** @return equity of the last evaluation, 1e-8 margin currency. */
    public long equity(final int accountId)
    {
        return equity[accountId];
    }

    /** @return initial margin of the last evaluation. */
    public long initialMargin(final int accountId)
    {
        return initialMargin[accountId];
    }

    /** @return maintenance margin of the last evaluation. */
    public long maintenanceMargin(final int accountId)
    {
        return maintenanceMargin[accountId];
    }

    /** Stores the result of an evaluation. */
    public void evaluated(
        final int accountId,
        final int marginState,
        final long equityValue,
        final long initialMarginValue,
        final long maintenanceMarginValue)
    {
        state[accountId] = (byte)marginState;
        equity[accountId] = equityValue;
        initialMargin[accountId] = initialMarginValue;
        maintenanceMargin[accountId] = maintenanceMarginValue;
    }

    /** Invalidates the account's registered price bands: entries carrying an older stamp are stale. */
    public void invalidateBands(final int accountId)
    {
        evaluationStamp[accountId]++;
    }

    /** @return the current band stamp (wrapping); stale price triggers carry an older one. */
    public int evaluationStamp(final int accountId)
    {
        return evaluationStamp[accountId];
    }

    /** @return the first position slot of the account, -1 when none. */
    public int firstPosition(final int accountId)
    {
        return firstPosition[accountId];
    }

    void firstPosition(final int accountId, final int slot)
    {
        firstPosition[accountId] = slot;
    }

    /** @return number of position slots (open positions or instruments with open orders). */
    public int positionCount(final int accountId)
    {
        return positionCount[accountId];
    }

    void positionCount(final int accountId, final int count)
    {
        positionCount[accountId] = count;
    }

    /** @return number of open orders. */
    public int openOrderCount(final int accountId)
    {
        return openOrderCount[accountId];
    }

    /** @return the immediate fill losses reserved for the account's open orders (limit worse than mark). */
    public long reservedFillLoss(final int accountId)
    {
        return reservedFillLoss[accountId];
    }

    /** Adjusts the reserved fill losses. */
    public void addReservedFillLoss(final int accountId, final long delta)
    {
        reservedFillLoss[accountId] += delta;
    }

    /** Adjusts the open-order count. */
    public void addOpenOrders(final int accountId, final int delta)
    {
        openOrderCount[accountId] += delta;
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
        }
        for (int i = 0; i < balances.length; i++)
        {
            if (balances[i] != 0)
            {
                nonZeroBalances++;
            }
        }
        final AccountTableEncoder.AccountsEncoder accountRows = encoder.accountsCount(rows);
        for (int id = 0; id < capacity; id++)
        {
            if (!isInitial(id))
            {
                accountRows.next()
                    .accountId(id)
                    .open((short)(open[id] ? 1 : 0))
                    .state(state[id])
                    .positionCount(positionCount[id])
                    .openOrderCount(openOrderCount[id])
                    .firstPositionSlot(firstPosition[id])
                    .evaluationStamp(evaluationStamp[id])
                    .equity(equity[id])
                    .initialMargin(initialMargin[id])
                    .maintenanceMargin(maintenanceMargin[id])
                    .reservedFillLoss(reservedFillLoss[id]);
            }
        }
        final AccountTableEncoder.BalancesEncoder balanceRows = encoder.balancesCount(nonZeroBalances);
        for (int i = 0; i < balances.length; i++)
        {
            if (balances[i] != 0)
            {
                balanceRows.next()
                    .accountId(i / Limits.MAX_ASSETS)
                    .assetId(i % Limits.MAX_ASSETS)
                    .balance(balances[i]);
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
        java.util.Arrays.fill(open, false);
        for (final AccountTableDecoder.AccountsDecoder row : decoder.accounts())
        {
            final int id = checkedId(row.accountId());
            open[id] = row.open() == 1;
            state[id] = (byte)row.state();
            positionCount[id] = row.positionCount();
            openOrderCount[id] = row.openOrderCount();
            firstPosition[id] = row.firstPositionSlot();
            evaluationStamp[id] = row.evaluationStamp();
            equity[id] = row.equity();
            initialMargin[id] = row.initialMargin();
            maintenanceMargin[id] = row.maintenanceMargin();
            reservedFillLoss[id] = row.reservedFillLoss();
        }
        for (int id = 0; id < capacity; id++)
        {
            openCount += open[id] ? 1 : 0;
        }
        for (final AccountTableDecoder.BalancesDecoder row : decoder.balances())
        {
            final int assetId = row.assetId();
            if (assetId < 0 || assetId >= Limits.MAX_ASSETS)
            {
                throw new IllegalStateException("snapshot: balance of asset " + assetId + " out of range");
            }
            balances[checkedId(row.accountId()) * Limits.MAX_ASSETS + assetId] = row.balance();
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
        return !open[id] && state[id] == 0 && positionCount[id] == 0 && openOrderCount[id] == 0 &&
            firstPosition[id] == -1 && evaluationStamp[id] == 0 && equity[id] == 0 && initialMargin[id] == 0 &&
            maintenanceMargin[id] == 0 && reservedFillLoss[id] == 0;
    }
}
