package io.clearing.settlement;

import io.clearing.sbe.snapshot.LedgerTableDecoder;
import io.clearing.sbe.snapshot.LedgerTableEncoder;

/**
 * The only way balances change. A deposit or withdrawal changes the total; every other movement is a transfer that
 * debits one account and credits another by the same amount, so the sum of all balances of an asset changes only by
 * deposits and withdrawals - exactly. Each side of each movement is a BalanceChanged event with the balance before
 * and after. Not thread-safe.
 */
public final class Ledger
{
    private final Accounts accounts;
    private final EventWriter events;
    // Deposits less withdrawals per asset as 128-bit integers (high and low words): lifetime totals may exceed a long
    // even though every balance fits one.
    private final long[] netHigh = new long[Limits.MAX_ASSETS];
    private final long[] netLow = new long[Limits.MAX_ASSETS];

    /**
     * @param accounts balances.
     * @param events   where BalanceChanged events go.
     */
    public Ledger(final Accounts accounts, final EventWriter events)
    {
        this.accounts = accounts;
        this.events = events;
    }

    /**
     * A ledger over the same balances writing to another event writer, carrying the deposit and withdrawal totals
     * of {@code previous} (may be null).
     */
    public Ledger(final Accounts accounts, final EventWriter events, final Ledger previous)
    {
        this(accounts, events);
        if (previous != null)
        {
            System.arraycopy(previous.netHigh, 0, netHigh, 0, Limits.MAX_ASSETS);
            System.arraycopy(previous.netLow, 0, netLow, 0, Limits.MAX_ASSETS);
        }
    }

    /** Credits a deposit; the caller has checked the amount and the resulting balance. */
    public void deposit(final int accountId, final int assetId, final long amount)
    {
        final long before = accounts.balance(accountId, assetId);
        final long after = Math.addExact(before, amount);
        addNet(assetId, amount);
        accounts.balance(accountId, assetId, after);
        emit(accountId, assetId, io.clearing.sbe.BalanceReason.DEPOSIT, amount, before, after, 0);
    }

    /** Debits a withdrawal; the caller has checked the balance and free collateral. */
    public void withdraw(final int accountId, final int assetId, final long amount)
    {
        final long before = accounts.balance(accountId, assetId);
        final long after = Math.subtractExact(before, amount);
        addNet(assetId, -amount);
        accounts.balance(accountId, assetId, after);
        emit(accountId, assetId, io.clearing.sbe.BalanceReason.WITHDRAWAL, -amount, before, after, 0);
    }

    /**
     * Moves {@code amount} of an asset from one account to another (a negative amount moves the other way). A zero
     * amount changes nothing and emits nothing.
     *
     * @param fromAccountId debited account.
     * @param toAccountId   credited account.
     * @param assetId       asset.
     * @param amount        1e-8 asset units.
     * @param reason        why, recorded on both events.
     * @param referenceId   trade id, instrument id or 0.
     */
    public void transfer(
        final int fromAccountId,
        final int toAccountId,
        final int assetId,
        final long amount,
        final io.clearing.sbe.BalanceReason reason,
        final long referenceId)
    {
        if (amount == 0 || fromAccountId == toAccountId)
        {
            return;
        }
        final long fromBefore = accounts.balance(fromAccountId, assetId);
        final long toBefore = accounts.balance(toAccountId, assetId);
        final long fromAfter = Math.subtractExact(fromBefore, amount);
        final long toAfter = Math.addExact(toBefore, amount);
        accounts.balance(fromAccountId, assetId, fromAfter);
        accounts.balance(toAccountId, assetId, toAfter);
        emit(fromAccountId, assetId, reason, -amount, fromBefore, fromAfter, referenceId);
        emit(toAccountId, assetId, reason, amount, toBefore, toAfter, referenceId);
    }

    private void addNet(final int assetId, final long amount)
    {
        // 128-bit add of a sign-extended long: the high word takes the sign extension and the unsigned carry.
        final long low = netLow[assetId];
        final long sum = low + amount;
        netHigh[assetId] += (amount >> 63) + (Long.compareUnsigned(sum, low) < 0 ? 1 : 0);
        netLow[assetId] = sum;
    }

    /** @return deposits less withdrawals of an asset since the start, as a decimal string (it may exceed a long). */
    public String netDeposits(final int assetId)
    {
        return java.math.BigInteger.valueOf(netHigh[assetId]).shiftLeft(64)
            .add(new java.math.BigInteger(Long.toUnsignedString(netLow[assetId]))).toString();
    }

    /**
     * The conservation invariant: for every asset, the sum of all balances equals deposits less withdrawals, exactly
     * (128-bit sums, no overflow). Linear in accounts; for tests and audit, not the hot path.
     *
     * @return the first asset id that does not conserve, or -1 when all do.
     */
    public int checkConservation()
    {
        for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
        {
            long high = 0;
            long low = 0;
            for (int id = 0; id < accounts.capacity(); id++)
            {
                final long balance = accounts.balance(id, asset);
                final long sum = low + balance;
                high += (balance >> 63) + (Long.compareUnsigned(sum, low) < 0 ? 1 : 0);
                low = sum;
            }
            if (high != netHigh[asset] || low != netLow[asset])
            {
                return asset;
            }
        }
        return -1;
    }

    private void emit(
        final int accountId,
        final int assetId,
        final io.clearing.sbe.BalanceReason reason,
        final long amount,
        final long before,
        final long after,
        final long referenceId)
    {
        events.balanceChanged()
            .accountId(accountId)
            .assetId(assetId)
            .reason(reason)
            .amount(amount)
            .balanceBefore(before)
            .balanceAfter(after)
            .referenceId(referenceId);
    }

    /**
     * Writes the deposit and withdrawal totals of every asset (the balances belong to the account table).
     *
     * @param encoder wrapped at the message.
     */
    public void writeSnapshot(final LedgerTableEncoder encoder)
    {
        final LedgerTableEncoder.AssetsEncoder rows = encoder.assetsCount(Limits.MAX_ASSETS);
        for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
        {
            rows.next().assetId(asset).netDepositsHigh(netHigh[asset]).netDepositsLow(netLow[asset]);
        }
    }

    /**
     * Loads the totals written by {@link #writeSnapshot} into this ledger.
     *
     * @param decoder wrapped at the message.
     * @throws IllegalStateException if an asset id is out of range.
     */
    public void readSnapshot(final LedgerTableDecoder decoder)
    {
        for (final LedgerTableDecoder.AssetsDecoder row : decoder.assets())
        {
            final int asset = row.assetId();
            if (asset < 0 || asset >= Limits.MAX_ASSETS)
            {
                throw new IllegalStateException("snapshot: ledger asset " + asset + " out of range");
            }
            netHigh[asset] = row.netDepositsHigh();
            netLow[asset] = row.netDepositsLow();
        }
    }
}
