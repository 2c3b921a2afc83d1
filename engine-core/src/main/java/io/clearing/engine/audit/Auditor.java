package io.clearing.engine.audit;

import io.clearing.engine.Bytes;
import io.clearing.engine.ClearingStateMachine;
import io.clearing.engine.SnapshotCodec;
import io.clearing.engine.SnapshotStore;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BalanceReason;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Limits;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalHasher;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Proves a journal from the journal alone: (1) the hash chain holds from the first document to the last; (2) every
 * command, re-executed in a fresh engine, produces exactly the recorded events, bit for bit; (3) conservation: every
 * BalanceChanged event starts from the balance the previous one left, and within each document the balance
 * movements other than deposits and withdrawals sum to zero per asset.
 * <p>
 * With snapshots: {@link #auditFromSnapshot} starts from a snapshot instead of the first document (its hash and its
 * place in the chain checked) and proves the documents after it; {@link #verifySnapshots} audits from the first
 * document and, at each snapshot's sequence, proves the re-executed state byte-identical to the snapshot file - which
 * is what makes starting from that snapshot equal to replaying from the beginning.
 */
public final class Auditor
{
    private static final int PROGRESS_EVERY = 500_000;

    private final int accountCapacity;
    private final RiskParameters parameters;

    /**
     * @param accountCapacity account capacity the engine ran with (a snapshot carries its own).
     * @param parameters      initial risk parameters the engine ran with (a snapshot carries the live ones).
     */
    public Auditor(final int accountCapacity, final RiskParameters parameters)
    {
        this.accountCapacity = accountCapacity;
        this.parameters = parameters;
    }

    /**
     * Outcome of an audit.
     *
     * @param ok             everything held (the journal and, when checked, every snapshot).
     * @param documents      documents verified and re-executed.
     * @param lastSequence   sequence of the last document verified.
     * @param finalHash      hash of the last document, hex; null when not ok.
     * @param failedSequence first failing sequence, -1 when the journal holds (a snapshot may still have failed).
     * @param failure        what failed first, null when ok.
     * @param startSequence  the snapshot's sequence when the audit started from one, else 0.
     * @param snapshots      one check per snapshot file, in sequence order ({@link #verifySnapshots} only).
     */
    public record Result(boolean ok, long documents, long lastSequence, String finalHash, long failedSequence,
        String failure, long startSequence, List<SnapshotCheck> snapshots)
    {
    }

    /**
     * One snapshot file checked against the re-executed state.
     *
     * @param file      the snapshot.
     * @param sequence  the sequence its name carries.
     * @param identical true when the file is intact and byte-identical to the state re-executed to that sequence.
     * @param detail    "identical, N bytes" or what differs.
     */
    public record SnapshotCheck(Path file, long sequence, boolean identical, String detail)
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
     * Audits the whole journal from its first document.
     *
     * @param directory journal directory.
     * @param progress  called every 500,000 documents with the count verified so far.
     * @return the outcome; never throws for a damaged journal (it is a failed result).
     */
    public Result audit(final Path directory, final LongConsumer progress)
    {
        final Run run = new Run(new ClearingStateMachine(accountCapacity, parameters), 0, new byte[32], null);
        return run.execute(directory, progress);
    }

    /**
     * Audits the journal from a snapshot: the snapshot must be intact, and the journal must hold a document at its
     * sequence whose hash - recomputed - is the snapshot's chain hash; then every later document is verified and
     * re-executed from the snapshot's state. Conservation is checked from the snapshot's balances on.
     *
     * @param directory journal directory.
     * @param snapshot  a snapshot file of that journal.
     * @param progress  called every 500,000 documents with the count verified so far.
     * @return the outcome; a bad snapshot is a failed result naming it.
     */
    public Result auditFromSnapshot(final Path directory, final Path snapshot, final LongConsumer progress)
    {
        final SnapshotCodec codec = new SnapshotCodec();
        final UnsafeBuffer bytes;
        try
        {
            bytes = SnapshotStore.read(snapshot);
        }
        catch (final IOException ex)
        {
            return fail(0, 0, 0, "snapshot " + snapshot + " unreadable: " + ex.getMessage(), 0, List.of());
        }
        final String problem = codec.verify(bytes, bytes.capacity());
        if (problem != null)
        {
            return fail(0, 0, 0, "snapshot " + snapshot.getFileName() + ": " + problem, 0, List.of());
        }
        final long sequence = codec.journalSequence(bytes);
        final byte[] chainHash = new byte[JournalDocument.HASH_LENGTH];
        codec.chainHash(bytes, chainHash);
        final String position = checkChainPosition(directory, sequence, chainHash);
        if (position != null)
        {
            return fail(0, 0, sequence, "snapshot " + snapshot.getFileName() + ": " + position, sequence, List.of());
        }
        final ClearingStateMachine machine;
        try
        {
            machine = codec.decode(bytes);
        }
        catch (final RuntimeException ex)
        {
            return fail(0, 0, sequence, "snapshot " + snapshot.getFileName() + " undecodable: " + ex.getMessage(),
                sequence, List.of());
        }
        return new Run(machine, sequence, chainHash, null).execute(directory, progress);
    }

    /**
     * Audits the whole journal from its first document and, at the sequence of each snapshot file in the journal's
     * snapshot directory, encodes the re-executed state and compares it with the file byte for byte.
     *
     * @param directory journal directory.
     * @param progress  called every 500,000 documents with the count verified so far.
     * @return the outcome with one {@link SnapshotCheck} per snapshot file; ok only when all are identical.
     */
    public Result verifySnapshots(final Path directory, final LongConsumer progress)
    {
        final List<Path> files;
        try
        {
            files = new ArrayList<>(new SnapshotStore(directory).list());
        }
        catch (final IOException ex)
        {
            return fail(0, 0, 0, "snapshot directory unreadable: " + ex.getMessage(), 0, List.of());
        }
        java.util.Collections.reverse(files);
        final Run run = new Run(new ClearingStateMachine(accountCapacity, parameters), 0, new byte[32], files);
        return run.execute(directory, progress);
    }

    /** @return null when the journal's document at {@code sequence} is intact and its hash is {@code chainHash}. */
    private static String checkChainPosition(final Path directory, final long sequence, final byte[] chainHash)
    {
        final JournalDocument document = new JournalDocument();
        final byte[] computed = new byte[JournalDocument.HASH_LENGTH];
        final byte[] stored = new byte[JournalDocument.HASH_LENGTH];
        try (JournalReader reader = new JournalReader(directory))
        {
            if (!reader.seek(sequence) || !reader.next(document))
            {
                return "the journal has no document " + sequence;
            }
            if (!document.structurallyValid())
            {
                return "journal document " + sequence + " is malformed";
            }
            new JournalHasher().hash(document.buffer(), document.offset(), document.hashedLength(), computed);
            document.hash(stored);
            if (!Arrays.equals(computed, stored))
            {
                return "journal document " + sequence + " fails its hash";
            }
            if (!Arrays.equals(stored, chainHash))
            {
                return "its chain hash is not the hash of journal document " + sequence + ": another history";
            }
            return null;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            return ex.getMessage();
        }
    }

    private static Result fail(final long documents, final long lastGood, final long failedSequence,
        final String message, final long startSequence, final List<SnapshotCheck> snapshots)
    {
        return new Result(false, documents, lastGood, null, failedSequence, message, startSequence, snapshots);
    }

    /** One pass over the journal after {@code startSequence}, from the given state. */
    private final class Run
    {
        private final ClearingStateMachine machine;
        private final long startSequence;
        private final List<Path> snapshotFiles;
        private final List<SnapshotCheck> snapshotChecks = new ArrayList<>();
        private final EventWriter events = new EventWriter();
        private final JournalDocument document = new JournalDocument();
        private final HashChainVerifier verifier = new HashChainVerifier();
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final BalanceChangedDecoder balanceChanged = new BalanceChangedDecoder();
        private final long[] balances;
        private final long[] net = new long[Limits.MAX_ASSETS];
        private final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        private int nextSnapshot;
        private SnapshotCodec codec;
        private ExpandableDirectByteBuffer encoded;

        Run(final ClearingStateMachine machine, final long startSequence, final byte[] startHash,
            final List<Path> snapshotFiles)
        {
            this.machine = machine;
            this.startSequence = startSequence;
            this.snapshotFiles = snapshotFiles == null ? List.of() : snapshotFiles;
            verifier.reset(startSequence, startHash);
            final int capacity = machine.accounts().capacity();
            balances = new long[capacity * Limits.MAX_ASSETS];
            for (int id = 0; id < capacity; id++)
            {
                for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
                {
                    balances[id * Limits.MAX_ASSETS + asset] = machine.accounts().balance(id, asset);
                }
            }
        }

        Result execute(final Path directory, final LongConsumer progress)
        {
            long documents = 0;
            long sequence = startSequence;
            try (JournalReader reader = new JournalReader(directory))
            {
                if (startSequence > 0 && !reader.seek(startSequence + 1))
                {
                    return finish(documents, sequence);
                }
                while (true)
                {
                    final boolean more;
                    try
                    {
                        more = reader.next(document);
                    }
                    catch (final RuntimeException ex)
                    {
                        return failed(documents, sequence, sequence + 1, "unreadable document after sequence " +
                            sequence + ": " + ex.getMessage());
                    }
                    if (!more)
                    {
                        break;
                    }
                    final int check = verifier.verify(document);
                    if (check != HashChainVerifier.OK)
                    {
                        return failed(documents, sequence, document.structurallyValid() ? document.sequence() :
                            sequence + 1, "hash chain: " + HashChainVerifier.resultName(check));
                    }
                    sequence = document.sequence();
                    final String problem = reexecute();
                    if (problem != null)
                    {
                        return failed(documents, sequence, sequence, problem);
                    }
                    documents++;
                    checkSnapshotsAt(sequence);
                    if (documents % PROGRESS_EVERY == 0)
                    {
                        progress.accept(documents);
                    }
                }
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                return failed(documents, sequence, sequence + 1, ex.getMessage());
            }
            if (machine.ledger().checkConservation() >= 0)
            {
                return failed(documents, sequence, sequence, "conservation: final balances do not equal deposits " +
                    "less withdrawals");
            }
            return finish(documents, sequence);
        }

        private Result finish(final long documents, final long sequence)
        {
            for (; nextSnapshot < snapshotFiles.size(); nextSnapshot++)
            {
                final Path file = snapshotFiles.get(nextSnapshot);
                snapshotChecks.add(new SnapshotCheck(file, SnapshotStore.sequenceOf(file), false,
                    "beyond the journal, which ends at sequence " + sequence));
            }
            verifier.lastHash(hash);
            final boolean snapshotsHold = snapshotChecks.stream().allMatch(SnapshotCheck::identical);
            return new Result(snapshotsHold, documents, sequence, HexFormat.of().formatHex(hash), -1,
                snapshotsHold ? null : "a snapshot differs from the re-executed state", startSequence,
                List.copyOf(snapshotChecks));
        }

        private Result failed(final long documents, final long lastGood, final long failedSequence,
            final String message)
        {
            return fail(documents, lastGood, failedSequence, message, startSequence, List.copyOf(snapshotChecks));
        }

        /** Re-executes the document and checks its events and conservation; @return null when all hold. */
        private String reexecute()
        {
            final long sequence = document.sequence();
            machine.apply(document.buffer(), document.commandOffset(), document.commandLength(), events);
            if (events.length() != document.eventsLength() || !Bytes.equal(events.buffer(), 0,
                document.buffer(), document.eventsOffset(), document.eventsLength()))
            {
                final int length = Math.min(events.length(), document.eventsLength());
                final int at = Bytes.firstDifference(events.buffer(), 0, document.buffer(),
                    document.eventsOffset(), length);
                return "re-executed events differ: recorded " + document.eventCount() + " events / " +
                    document.eventsLength() + " bytes, replay " + events.count() + " events / " + events.length() +
                    " bytes, first difference at byte " + (at < 0 ? length : at);
            }
            Arrays.fill(net, 0);
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
                    return "balance continuity broken for account " + balanceChanged.accountId() + " asset " +
                        balanceChanged.assetId() + " at sequence " + sequence;
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
                    return "conservation: transfers of asset " + asset + " net to " + net[asset];
                }
            }
            return null;
        }

        private void checkSnapshotsAt(final long sequence)
        {
            while (nextSnapshot < snapshotFiles.size() &&
                SnapshotStore.sequenceOf(snapshotFiles.get(nextSnapshot)) <= sequence)
            {
                final Path file = snapshotFiles.get(nextSnapshot++);
                snapshotChecks.add(compare(file, SnapshotStore.sequenceOf(file), sequence));
            }
        }

        private SnapshotCheck compare(final Path file, final long fileSequence, final long sequence)
        {
            if (codec == null)
            {
                codec = new SnapshotCodec();
                encoded = new ExpandableDirectByteBuffer(1 << 20);
            }
            final UnsafeBuffer bytes;
            try
            {
                bytes = SnapshotStore.read(file);
            }
            catch (final IOException ex)
            {
                return new SnapshotCheck(file, fileSequence, false, "unreadable: " + ex.getMessage());
            }
            final String problem = codec.verify(bytes, bytes.capacity());
            if (problem != null)
            {
                return new SnapshotCheck(file, fileSequence, false, problem);
            }
            if (fileSequence != sequence)
            {
                return new SnapshotCheck(file, fileSequence, false, "the journal has no document " + fileSequence);
            }
            verifier.lastHash(hash);
            final int contentLength = codec.encode(machine, sequence, hash, encoded);
            final int length = contentLength + SnapshotCodec.TRAILER_LENGTH;
            final int common = Math.min(contentLength, bytes.capacity());
            final int at = Bytes.equal(encoded, 0, bytes, 0, common) ? -1 :
                Bytes.firstDifference(encoded, 0, bytes, 0, common);
            if (at >= 0 || length != bytes.capacity())
            {
                return new SnapshotCheck(file, fileSequence, false, "differs from the re-executed state at byte " +
                    (at >= 0 ? at : common) + " (file " + bytes.capacity() + " bytes, re-encoded " + length + ")");
            }
            return new SnapshotCheck(file, fileSequence, true, "identical, " + length + " bytes");
        }
    }
}
