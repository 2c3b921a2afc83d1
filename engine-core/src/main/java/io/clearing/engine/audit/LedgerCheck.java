package io.clearing.engine.audit;

import io.clearing.sbe.AccountCapacityChangedDecoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BalanceReason;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.settlement.Limits;
import io.clearing.settlement.journal.JournalDocument;

import java.util.Arrays;

/**
 * The auditor's own ledger, kept from the journal's events alone, apart from the engine's: every
 * {@code BalanceChanged} event must start from the balance this ledger holds for its account and asset (continuity)
 * and end at that balance plus its amount, exactly; within one document the transfers - every reason but
 * {@code DEPOSIT} and {@code WITHDRAWAL} - must net to zero per asset (conservation: a trade's P&amp;L, fees,
 * funding, expiry, penalties and insurance only move value between accounts). Arithmetic that would overflow is a
 * failure, never a wrapped sum.
 * <p>
 * The audit compares every event with the re-executed one first, so on a journal that passes that compare this
 * check fails only if the engine broke its own ledger; it is the auditor's proof of the invariant, not the engine's
 * claim of it. Allocates one row of balances per asset in use (8 bytes per account id), at its first balance, and
 * grows the rows where an {@code AccountCapacityChanged} event raises the account ids (from the capacity it holds).
 * Not thread-safe.
 */
final class LedgerCheck
{
    private int capacity;
    /** The balance each event must start from, per asset then account; a row per asset in use. */
    private final long[][] balances = new long[Limits.MAX_ASSETS][];
    private final long[] net = new long[Limits.MAX_ASSETS];
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final BalanceChangedDecoder balanceChanged = new BalanceChangedDecoder();
    private final AccountCapacityChangedDecoder capacityChanged = new AccountCapacityChangedDecoder();

    /** @param capacity account ids, 0 to capacity - 1. */
    LedgerCheck(final int capacity)
    {
        this.capacity = capacity;
    }

    /** Sets a starting balance (the state the audit starts from: empty, or a snapshot's). */
    void balance(final int accountId, final int assetId, final long balance)
    {
        row(assetId)[accountId] = balance;
    }

    /** @return the balance the ledger holds. */
    long balance(final int accountId, final int assetId)
    {
        final long[] row = balances[assetId];
        return row == null ? 0 : row[accountId];
    }

    /**
     * Checks one document's {@code BalanceChanged} events and applies them to the ledger.
     *
     * @param document a structurally valid document whose events are well-formed SBE frames.
     * @return null when every event continues the ledger and the transfers net to zero; otherwise what broke, naming
     *         the account, asset and sequence (the ledger is then left part-way through the document).
     */
    String check(final JournalDocument document)
    {
        Arrays.fill(net, 0);
        final long sequence = document.sequence();
        for (int o = document.firstEventOffset(), i = 0; i < document.eventCount(); i++, o = document.nextEventOffset(o))
        {
            final int frame = document.eventFrameOffset(o);
            header.wrap(document.buffer(), frame);
            if (header.templateId() == AccountCapacityChangedDecoder.TEMPLATE_ID)
            {
                capacityChanged.wrap(document.buffer(), frame + MessageHeaderDecoder.ENCODED_LENGTH,
                    header.blockLength(), header.version());
                final String problem = raise(capacityChanged.oldCapacity(), capacityChanged.newCapacity(), sequence);
                if (problem != null)
                {
                    return problem;
                }
                continue;
            }
            if (header.templateId() != BalanceChangedDecoder.TEMPLATE_ID)
            {
                continue;
            }
            balanceChanged.wrap(document.buffer(), frame + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                header.version());
            final int accountId = balanceChanged.accountId();
            final int assetId = balanceChanged.assetId();
            if (accountId < 0 || accountId >= capacity || assetId < 0 || assetId >= Limits.MAX_ASSETS)
            {
                return "balance of account " + accountId + " asset " + assetId + " out of range at sequence " + sequence;
            }
            final long[] row = row(assetId);
            final long before = balanceChanged.balanceBefore();
            final long amount = balanceChanged.amount();
            final long after = balanceChanged.balanceAfter();
            final long sum = before + amount;
            final boolean overflow = ((before ^ sum) & (amount ^ sum)) < 0;
            if (before != row[accountId] || overflow || after != sum)
            {
                return "balance continuity broken for account " + accountId + " asset " + assetId + " at sequence " +
                    sequence + ": the ledger holds " + row[accountId] + ", the event says " + before + " + " + amount +
                    " = " + after;
            }
            row[accountId] = after;
            final BalanceReason reason = balanceChanged.reason();
            if (reason != BalanceReason.DEPOSIT && reason != BalanceReason.WITHDRAWAL)
            {
                final long total = net[assetId] + amount;
                if (((net[assetId] ^ total) & (amount ^ total)) < 0)
                {
                    return "conservation: transfers of asset " + assetId + " overflow at sequence " + sequence;
                }
                net[assetId] = total;
            }
        }
        for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
        {
            if (net[asset] != 0)
            {
                return "conservation: transfers of asset " + asset + " net to " + net[asset] + " at sequence " +
                    sequence;
            }
        }
        return null;
    }

    private String raise(final int from, final int to, final long sequence)
    {
        if (from != capacity || to <= from)
        {
            return "account capacity raised from " + from + " to " + to + " at sequence " + sequence +
                ", but the ledger holds " + capacity + " account ids";
        }
        for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
        {
            if (balances[asset] != null)
            {
                balances[asset] = Arrays.copyOf(balances[asset], to);
            }
        }
        capacity = to;
        return null;
    }

    private long[] row(final int assetId)
    {
        long[] row = balances[assetId];
        if (row == null)
        {
            row = new long[capacity];
            balances[assetId] = row;
        }
        return row;
    }
}
