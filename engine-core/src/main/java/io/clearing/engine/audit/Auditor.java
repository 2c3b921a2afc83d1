package io.clearing.engine.audit;

import io.clearing.engine.Bytes;
import io.clearing.engine.ClearingStateMachine;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BalanceReason;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Limits;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;

import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Proves a journal from the journal alone: (1) the hash chain holds from the first document to the last; (2) every
 * command, re-executed in a fresh engine, produces exactly the recorded events, bit for bit; (3) conservation: every
 * BalanceChanged event starts from the balance the previous one left, and within each document the balance
 * movements other than deposits and withdrawals sum to zero per asset.
 */
public final class Auditor
{
    private final int accountCapacity;
    private final RiskParameters parameters;

    /**
     * @param accountCapacity account capacity the engine ran with.
     * @param parameters      initial risk parameters the engine ran with.
     */
    public Auditor(final int accountCapacity, final RiskParameters parameters)
    {
        this.accountCapacity = accountCapacity;
        this.parameters = parameters;
    }

    /** Outcome of an audit. */
    public record Result(boolean ok, long documents, long lastSequence, String finalHash, long failedSequence,
        String failure)
    {
    }

    /**
     * @param directory journal directory.
     * @return the outcome; never throws for a damaged journal (it is a failed result).
     */
    public Result audit(final Path directory)
    {
        return audit(directory, documents -> { });
    }

    /**
     * @param directory journal directory.
     * @param progress  called every 500,000 documents with the count verified so far.
     * @return the outcome; never throws for a damaged journal (it is a failed result).
     */
    public Result audit(final Path directory, final java.util.function.LongConsumer progress)
    {
        final ClearingStateMachine machine = new ClearingStateMachine(accountCapacity, parameters);
        final EventWriter events = new EventWriter();
        final JournalDocument document = new JournalDocument();
        final HashChainVerifier verifier = new HashChainVerifier();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final BalanceChangedDecoder balanceChanged = new BalanceChangedDecoder();
        final long[] balances = new long[accountCapacity * Limits.MAX_ASSETS];
        final long[] net = new long[Limits.MAX_ASSETS];
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        long documents = 0;
        long sequence = 0;
        try (JournalReader reader = new JournalReader(directory))
        {
            while (true)
            {
                final boolean more;
                try
                {
                    more = reader.next(document);
                }
                catch (final RuntimeException ex)
                {
                    return fail(documents, sequence, sequence + 1, "unreadable document after sequence " +
                        sequence + ": " + ex.getMessage());
                }
                if (!more)
                {
                    break;
                }
                final int check = verifier.verify(document);
                if (check != HashChainVerifier.OK)
                {
                    return fail(documents, sequence, document.structurallyValid() ? document.sequence() : sequence + 1,
                        "hash chain: " + HashChainVerifier.resultName(check));
                }
                sequence = document.sequence();
                machine.apply(document.buffer(), document.commandOffset(), document.commandLength(), events);
                if (events.length() != document.eventsLength() || !Bytes.equal(events.buffer(), 0,
                    document.buffer(), document.eventsOffset(), document.eventsLength()))
                {
                    final int length = Math.min(events.length(), document.eventsLength());
                    final int at = Bytes.firstDifference(events.buffer(), 0, document.buffer(),
                        document.eventsOffset(), length);
                    return fail(documents, sequence, sequence, "re-executed events differ: recorded " +
                        document.eventCount() + " events / " + document.eventsLength() + " bytes, replay " +
                        events.count() + " events / " + events.length() + " bytes, first difference at byte " +
                        (at < 0 ? length : at));
                }
                java.util.Arrays.fill(net, 0);
                for (int o = document.firstEventOffset(), i = 0; i < document.eventCount();
                    i++, o = document.nextEventOffset(o))
                {
                    final int frame = document.eventFrameOffset(o);
                    header.wrap(document.buffer(), frame);
                    if (header.templateId() != BalanceChangedDecoder.TEMPLATE_ID)
                    {
                        continue;
                    }
                    balanceChanged.wrap(document.buffer(), frame + MessageHeaderDecoder.ENCODED_LENGTH,
                        header.blockLength(), header.version());
                    final int slot = balanceChanged.accountId() * Limits.MAX_ASSETS + balanceChanged.assetId();
                    if (balanceChanged.balanceBefore() != balances[slot] ||
                        balanceChanged.balanceAfter() != balanceChanged.balanceBefore() + balanceChanged.amount())
                    {
                        return fail(documents, sequence, sequence, "balance continuity broken for account " +
                            balanceChanged.accountId() + " asset " + balanceChanged.assetId());
                    }
                    balances[slot] = balanceChanged.balanceAfter();
                    final BalanceReason reason = balanceChanged.reason();
                    if (reason != BalanceReason.DEPOSIT && reason != BalanceReason.WITHDRAWAL)
                    {
                        net[balanceChanged.assetId()] += balanceChanged.amount();
                    }
                }
                for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
                {
                    if (net[asset] != 0)
                    {
                        return fail(documents, sequence, sequence, "conservation: transfers of asset " + asset +
                            " net to " + net[asset]);
                    }
                }
                documents++;
                if (documents % 500_000 == 0)
                {
                    progress.accept(documents);
                }
            }
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            return fail(documents, sequence, sequence + 1, ex.getMessage());
        }
        if (machine.ledger() != null && machine.ledger().checkConservation() >= 0)
        {
            return fail(documents, sequence, sequence, "conservation: final balances do not equal deposits less " +
                "withdrawals");
        }
        verifier.lastHash(hash);
        return new Result(true, documents, sequence, HexFormat.of().formatHex(hash), -1, null);
    }

    private static Result fail(final long documents, final long lastGood, final long failedSequence,
        final String message)
    {
        return new Result(false, documents, lastGood, null, failedSequence, message);
    }
}
