package io.clearing.engine.audit;

import io.clearing.sbe.BalanceReason;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The auditor's ledger check on documents written for the purpose: on a journal that passes the bit-for-bit compare it
 * can only fail if the engine broke its own ledger, so only hand-made events show that it catches each break.
 */
final class LedgerCheckTest
{
    private static final int CAPACITY = 64;
    private static final long T0 = 1_767_225_600_000_000_000L;

    @TempDir
    Path journal;

    /** One BalanceChanged event: account, asset, reason, amount, before, after. */
    private record Move(int account, int asset, BalanceReason reason, long amount, long before, long after)
    {
    }

    private static Move move(final int account, final BalanceReason reason, final long amount, final long before)
    {
        return new Move(account, 0, reason, amount, before, before + amount);
    }

    /** Writes one document per list of moves, then checks them in order; @return the first problem, or null. */
    private String check(final LedgerCheck ledger, final List<List<Move>> documents)
    {
        final EventWriter events = new EventWriter();
        final UnsafeBuffer command = new UnsafeBuffer(new byte[16]);
        try (JournalWriter writer = new JournalWriter(journal))
        {
            long t = T0;
            for (final List<Move> moves : documents)
            {
                events.reset();
                for (final Move m : moves)
                {
                    events.balanceChanged().accountId(m.account()).assetId(m.asset()).reason(m.reason())
                        .amount(m.amount()).balanceBefore(m.before()).balanceAfter(m.after()).referenceId(0);
                }
                writer.append(t++, command, 0, command.capacity(), events.buffer(), 0, events.length(), events.count());
            }
        }
        final JournalDocument document = new JournalDocument();
        try (JournalReader reader = new JournalReader(journal))
        {
            while (reader.next(document))
            {
                final String problem = ledger.check(document);
                if (problem != null)
                {
                    return problem;
                }
            }
        }
        return null;
    }

    private static List<List<Move>> documents(final List<Move>... documents)
    {
        return new ArrayList<>(List.of(documents));
    }

    @Test
    void depositsTransfersAndWithdrawalsThatContinueTheLedgerAndNetToZeroPass()
    {
        final LedgerCheck ledger = new LedgerCheck(CAPACITY);
        assertNull(check(ledger, documents(
            List.of(move(20, BalanceReason.DEPOSIT, 1_000, 0)),
            List.of(move(21, BalanceReason.DEPOSIT, 500, 0)),
            // A trade: P&L from 20 to 21, fees from both to the fee account (2).
            List.of(move(20, BalanceReason.REALIZED_PNL, -300, 1_000), move(21, BalanceReason.REALIZED_PNL, 300, 500),
                move(20, BalanceReason.FEE, -7, 700), move(21, BalanceReason.FEE, -5, 800),
                move(2, BalanceReason.FEE, 12, 0)),
            List.of(move(21, BalanceReason.WITHDRAWAL, -795, 795)))));
        assertEquals(693, ledger.balance(20, 0));
        assertEquals(0, ledger.balance(21, 0));
        assertEquals(12, ledger.balance(2, 0));
    }

    @Test
    void anEventThatDoesNotStartFromTheLedgersBalanceIsCaught()
    {
        final LedgerCheck ledger = new LedgerCheck(CAPACITY);
        assertEquals("balance continuity broken for account 20 asset 0 at sequence 2: the ledger holds 1000, the " +
            "event says 900 + -100 = 800", check(ledger, documents(
            List.of(move(20, BalanceReason.DEPOSIT, 1_000, 0)),
            List.of(move(20, BalanceReason.WITHDRAWAL, -100, 900)))));
    }

    @Test
    void anEventWhoseAfterIsNotBeforePlusAmountIsCaught()
    {
        final LedgerCheck ledger = new LedgerCheck(CAPACITY);
        assertEquals("balance continuity broken for account 20 asset 0 at sequence 1: the ledger holds 0, the event " +
            "says 0 + 1000 = 1001", check(ledger, documents(
            List.of(new Move(20, 0, BalanceReason.DEPOSIT, 1_000, 0, 1_001)))));
    }

    @Test
    void transfersThatDoNotNetToZeroAreCaughtButDepositsAndWithdrawalsNeedNot()
    {
        final LedgerCheck ledger = new LedgerCheck(CAPACITY);
        assertEquals("conservation: transfers of asset 0 net to 5 at sequence 2", check(ledger, documents(
            List.of(move(20, BalanceReason.DEPOSIT, 1_000, 0), move(21, BalanceReason.DEPOSIT, 1_000, 0)),
            // 20 pays 10 in funding, 21 receives 15: value appears from nowhere.
            List.of(move(20, BalanceReason.FUNDING, -10, 1_000), move(21, BalanceReason.FUNDING, 15, 1_000)))));
    }

    @Test
    void aStartingBalanceFromASnapshotIsWhereTheLedgerContinuesFrom()
    {
        final LedgerCheck ledger = new LedgerCheck(CAPACITY);
        ledger.balance(30, 3, 5_000);
        assertNull(check(ledger, documents(List.of(new Move(30, 3, BalanceReason.WITHDRAWAL, -1_000, 5_000, 4_000)))));
        assertEquals(4_000, ledger.balance(30, 3));
    }

    @Test
    void sumsThatWouldOverflowAreFailuresNotWrappedValues()
    {
        final LedgerCheck ledger = new LedgerCheck(CAPACITY);
        ledger.balance(20, 0, Long.MAX_VALUE - 5);
        // before + amount wraps to exactly the after the event claims: only overflow detection catches it.
        assertEquals("balance continuity broken for account 20 asset 0 at sequence 1: the ledger holds " +
            (Long.MAX_VALUE - 5) + ", the event says " + (Long.MAX_VALUE - 5) + " + 10 = " + (Long.MIN_VALUE + 4),
            check(ledger, documents(List.of(new Move(20, 0, BalanceReason.DEPOSIT, 10, Long.MAX_VALUE - 5,
                Long.MIN_VALUE + 4)))));
    }

    @Test
    void anAccountOrAssetOutOfRangeIsReportedNotThrown()
    {
        final LedgerCheck ledger = new LedgerCheck(CAPACITY);
        assertEquals("balance of account 64 asset 0 out of range at sequence 1",
            check(ledger, documents(List.of(move(CAPACITY, BalanceReason.DEPOSIT, 1, 0)))));
    }
}
