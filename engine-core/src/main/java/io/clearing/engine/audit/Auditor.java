package io.clearing.engine.audit;

import io.clearing.engine.Bytes;
import io.clearing.engine.ClearingStateMachine;
import io.clearing.engine.Genesis;
import io.clearing.engine.SnapshotCodec;
import io.clearing.engine.SnapshotStore;
import io.clearing.margin.RiskParameters;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Limits;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalHasher;
import io.clearing.settlement.journal.JournalFiles;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
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
    /** Each worker reads its snapshot files into one buffer of its own (reused: no zero-filled 80 MB per file). */
    private final ThreadLocal<SnapshotStore.Reader> readers = ThreadLocal.withInitial(SnapshotStore.Reader::new);
    /** Each worker re-encodes its states into one buffer of its own, grown once to the largest snapshot. */
    private final ThreadLocal<ExpandableDirectByteBuffer> encodeBuffers =
        ThreadLocal.withInitial(() -> new ExpandableDirectByteBuffer(1 << 20));

    /**
     * @param accountCapacity account capacity of a journal started without a genesis (one with a genesis, sequence 0,
     *                        records its own; a snapshot carries its own).
     * @param parameters      starting risk parameters of a journal started without a genesis (a genesis records
     *                        them; a snapshot carries the live ones).
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
     * @param snapshots      one check per snapshot file, in sequence order ({@link #verifySnapshots} and
     *                       {@link #auditInSegments}).
     * @param segments       the segments re-executed ({@link #auditInSegments} only; one otherwise).
     */
    public record Result(boolean ok, long documents, long lastSequence, String finalHash, long failedSequence,
        String failure, long startSequence, List<SnapshotCheck> snapshots, List<Segment> segments)
    {
    }

    /**
     * One stretch of the journal re-executed on its own.
     *
     * @param firstSequence first document re-executed.
     * @param lastSequence  last document re-executed (the next segment's snapshot sequence), or the journal's last.
     * @param start         the snapshot it started from, null for a fresh engine at the first document.
     * @param documents     documents it verified.
     * @param seconds       time it took on its worker.
     * @param ok            its documents and its closing snapshot held.
     */
    public record Segment(long firstSequence, long lastSequence, Path start, long documents, double seconds,
        boolean ok)
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
        final Run run = new Run(null, 0, new byte[32], null);
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
        final String damage = fileDamage(directory);
        if (damage != null)
        {
            return fail(0, 0, -1, damage, 0, List.of());
        }
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
            files = snapshotsInSequenceOrder(directory);
        }
        catch (final IOException ex)
        {
            return fail(0, 0, 0, "snapshot directory unreadable: " + ex.getMessage(), 0, List.of());
        }
        final Run run = new Run(null, 0, new byte[32], files);
        return run.execute(directory, progress);
    }

    /**
     * Audits the whole journal in segments re-executed side by side: the valid snapshots in the journal's snapshot
     * directory cut it into stretches - from a fresh engine to the first snapshot, from each snapshot to the next, from
     * the last to the end - and up to {@code workers} threads re-execute them at once, each from its starting state.
     * Each segment proves its documents (hash chain, events bit for bit, conservation) and, at its end, that the state
     * it re-executed is byte-identical to the next segment's snapshot. By induction from the first segment, which
     * starts from a fresh engine, every snapshot used is proven equal to replay from the beginning, so the segments
     * together prove exactly what {@link #audit} proves, and the hash chain is continuous across their boundaries
     * (a snapshot is used only when the journal's document at its sequence recomputes to its chain hash). A snapshot
     * that is not intact or not at a document of this journal is not used (reported, not a failure: the journal is the
     * record); a used snapshot that differs from the re-executed state fails the audit at its sequence.
     *
     * @param directory journal directory.
     * @param workers   threads, at least 1; no more are started than there are segments.
     * @param progress  called every 500,000 documents with the count verified so far (from any worker, one at a time).
     * @return the outcome with one {@link SnapshotCheck} per snapshot file and one {@link Segment} per segment; the
     *         first failure in journal order is the one reported.
     */
    public Result auditInSegments(final Path directory, final int workers, final LongConsumer progress)
    {
        final String damage = fileDamage(directory);
        if (damage != null)
        {
            return fail(0, 0, -1, damage, 0, List.of());
        }
        final List<Path> files;
        try
        {
            files = snapshotsInSequenceOrder(directory);
        }
        catch (final IOException ex)
        {
            return fail(0, 0, 0, "snapshot directory unreadable: " + ex.getMessage(), 0, List.of());
        }
        final ExecutorService pool = Executors.newFixedThreadPool(
            Math.max(1, Math.min(workers, files.size() + 1)), runnable ->
            {
                final Thread thread = new Thread(runnable, "audit-worker");
                thread.setDaemon(true);
                return thread;
            });
        try
        {
            return auditInSegments(directory, files, pool, progress);
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    private Result auditInSegments(final Path directory, final List<Path> files, final ExecutorService pool,
        final LongConsumer progress)
    {
        // Each snapshot is read and hashed whole to be checked as a start: on the workers, side by side.
        final List<Future<Start>> checked = new ArrayList<>();
        for (final Path file : files)
        {
            checked.add(pool.submit(() -> checkStart(directory, file, readers.get())));
        }
        final List<SnapshotCheck> unused = new ArrayList<>();
        final List<Start> intactWithoutDocument = new ArrayList<>();
        final List<Start> starts = new ArrayList<>();
        for (int i = 0; i < files.size(); i++)
        {
            final Path file = files.get(i);
            Start start;
            try
            {
                start = checked.get(i).get();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                start = new Start(file, SnapshotStore.sequenceOf(file), null, null, "interrupted");
            }
            catch (final ExecutionException ex)
            {
                start = new Start(file, SnapshotStore.sequenceOf(file), null, null, "check failed: " + ex.getCause());
            }
            if (start.problem() == null)
            {
                starts.add(start);
            }
            else
            {
                unused.add(new SnapshotCheck(file, SnapshotStore.sequenceOf(file), false, "not used: " +
                    start.problem()));
                if (start.chainHash() != null && start.problem().startsWith(NO_DOCUMENT))
                {
                    // Intact, of the sequence its name says, at a document the journal does not hold.
                    intactWithoutDocument.add(start);
                }
            }
        }
        final int segments = starts.size() + 1;
        final AtomicLong verified = new AtomicLong();
        final LongConsumer shared = documents ->
        {
            final long total = verified.addAndGet(PROGRESS_EVERY);
            synchronized (progress)
            {
                progress.accept(total);
            }
        };
        final List<Future<Result>> results = new ArrayList<>(java.util.Collections.nCopies(segments, null));
        final double[] seconds = new double[segments];
        // The workers take the stretches in this order (longestFirst); the results are merged in journal order.
        final long[] startSequences = new long[starts.size()];
        final long[] startEvaluations = new long[starts.size()];
        for (int i = 0; i < starts.size(); i++)
        {
            startSequences[i] = starts.get(i).sequence();
            startEvaluations[i] = starts.get(i).evaluations();
        }
        for (final int i : longestFirst(startSequences, startEvaluations, lastSequence(directory)))
        {
            final Start from = i == 0 ? null : starts.get(i - 1);
            final Start to = i < starts.size() ? starts.get(i) : null;
            results.set(i, pool.submit(() ->
            {
                final long began = System.nanoTime();
                final Result result = auditSegment(directory, from, to, shared);
                seconds[i] = (System.nanoTime() - began) / 1e9;
                return result;
            }));
        }
        return merge(starts, unused, intactWithoutDocument, results, seconds);
    }

    /**
     * @return why the journal cannot be read at all - a queue file cut short, a queue Chronicle cannot open - or null
     * (also when it is no journal: the reader says so where it is opened).
     */
    private static String fileDamage(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            return null;
        }
        final String damage = JournalFiles.damage(directory, false);
        if (damage != null)
        {
            return damage;
        }
        try (JournalReader reader = new JournalReader(directory))
        {
            return null;
        }
        catch (final IllegalStateException ex)
        {
            return ex.getMessage();
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }

    /** @return the journal's last sequence, or -1 when it cannot be read here (its stretch will find out why). */
    private static long lastSequence(final Path directory)
    {
        try (JournalReader reader = new JournalReader(directory))
        {
            return reader.lastSequence();
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            return -1;
        }
    }

    /**
     * The order to re-execute a journal's stretches in: the most work first, so that a heavy stretch (a crash) does
     * not start last and run alone while the other workers idle. A stretch's work is estimated by the evaluations its
     * closing snapshot's engine had done beyond its starting one's; the stretch after the last snapshot by its
     * documents at the mean rate before it.
     *
     * @param startSequences   the usable snapshots' sequences, ascending.
     * @param startEvaluations their engines' evaluation counts.
     * @param lastSequence     the journal's last sequence (-1 if unknown).
     * @return the stretches' indexes (0: from a fresh engine to the first snapshot; the last: after the last
     * snapshot), most work first; equal estimates in journal order.
     */
    static int[] longestFirst(final long[] startSequences, final long[] startEvaluations, final long lastSequence)
    {
        final int segments = startSequences.length + 1;
        final double[] cost = new double[segments];
        long previousEvaluations = 0;
        for (int i = 0; i < startSequences.length; i++)
        {
            cost[i] = Math.max(0, startEvaluations[i] - previousEvaluations);
            previousEvaluations = startEvaluations[i];
        }
        if (startSequences.length > 0)
        {
            final long last = startSequences[startSequences.length - 1];
            cost[segments - 1] = (double)previousEvaluations / Math.max(1, last) * Math.max(0, lastSequence - last);
        }
        final Integer[] order = new Integer[segments];
        for (int i = 0; i < segments; i++)
        {
            order[i] = i;
        }
        // Ties (equal estimates) keep journal order: the sort is stable.
        Arrays.sort(order, (a, b) -> Double.compare(cost[b], cost[a]));
        final int[] indexes = new int[segments];
        for (int i = 0; i < segments; i++)
        {
            indexes[i] = order[i];
        }
        return indexes;
    }

    /** Re-executes the documents after {@code from} (a fresh engine when null) up to {@code to}'s, and checks it. */
    private Result auditSegment(final Path directory, final Start from, final Start to, final LongConsumer progress)
    {
        ClearingStateMachine machine = null;
        if (from == null)
        {
            // A fresh engine, configured by the journal's genesis (Run reads it).
        }
        else if (to == null && journalEndsAt(directory, from.sequence()))
        {
            // The last snapshot is at the journal's end (the segment before proved it): nothing to load or re-execute.
            return new Result(true, 0, from.sequence(), HexFormat.of().formatHex(from.chainHash()), -1, null,
                from.sequence(), List.of(), List.of());
        }
        else
        {
            try
            {
                final UnsafeBuffer bytes = readers.get().read(from.file());
                final SnapshotCodec codec = new SnapshotCodec();
                // The file must still be the one checked before (and proven by the segment before this one).
                if (codec.verify(bytes, bytes.capacity()) != null || !Arrays.equals(contentHash(bytes),
                    from.contentHash()))
                {
                    return fail(0, from.sequence(), from.sequence(), "snapshot " + from.file().getFileName() +
                        " changed during the audit", from.sequence(), List.of());
                }
                machine = codec.decode(bytes);
            }
            catch (final IOException | RuntimeException ex)
            {
                return fail(0, from.sequence(), from.sequence(), "snapshot " + from.file().getFileName() +
                    " could not be loaded: " + ex.getMessage(), from.sequence(), List.of());
            }
        }
        final Run run = new Run(machine, from == null ? 0 : from.sequence(),
            from == null ? new byte[JournalDocument.HASH_LENGTH] : from.chainHash(),
            to == null ? null : List.of(to.file()));
        if (to != null)
        {
            run.endSequence = to.sequence();
            run.closingContentHash = to.contentHash();
        }
        return run.execute(directory, progress);
    }

    /**
     * @return true when no document at all follows the one at {@code sequence} - not one that says so: a document
     * after it, whatever sequence it claims, is for the stretch to verify (as Run.execute reads on from the start).
     */
    private static boolean journalEndsAt(final Path directory, final long sequence)
    {
        try (JournalReader reader = new JournalReader(directory))
        {
            final JournalDocument document = new JournalDocument();
            return reader.seek(sequence) && reader.next(document) && !reader.next(document) &&
                endProblem(reader, sequence) == null;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            return false;
        }
    }

    private Result merge(final List<Start> starts, final List<SnapshotCheck> unused,
        final List<Start> intactWithoutDocument, final List<Future<Result>> results, final double[] seconds)
    {
        final List<Segment> segments = new ArrayList<>();
        final List<SnapshotCheck> checks = new ArrayList<>(unused);
        long documents = 0;
        long lastSequence = 0;
        String finalHash = null;
        Result failed = null;
        long failedSequence = -1;
        String failure = null;
        for (int i = 0; i < results.size(); i++)
        {
            final long first = i == 0 ? 1 : starts.get(i - 1).sequence() + 1;
            Result result;
            try
            {
                result = results.get(i).get();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                result = fail(0, first - 1, first, "interrupted", first - 1, List.of());
            }
            catch (final ExecutionException ex)
            {
                result = fail(0, first - 1, first, "segment from sequence " + first + " failed: " + ex.getCause(),
                    first - 1, List.of());
            }
            checks.addAll(result.snapshots());
            if (i < starts.size() && result.snapshots().isEmpty())
            {
                // The stretch failed before its closing snapshot: listed all the same, as not proven.
                checks.add(new SnapshotCheck(starts.get(i).file(), starts.get(i).sequence(), false,
                    "not proven: the stretch before it failed at sequence " + result.failedSequence()));
            }
            segments.add(new Segment(first, result.lastSequence(), i == 0 ? null : starts.get(i - 1).file(),
                result.documents(), seconds[i], result.ok()));
            if (failed != null)
            {
                continue;
            }
            documents += result.documents();
            if (result.ok())
            {
                lastSequence = result.lastSequence();
                finalHash = result.finalHash();
                continue;
            }
            failed = result;
            if (result.failedSequence() >= 0)
            {
                failedSequence = result.failedSequence();
                failure = result.failure();
            }
            else if (result.snapshots().isEmpty())
            {
                failedSequence = first;
                failure = result.failure();
            }
            else
            {
                // The documents held; the snapshot closing the segment is not the state they lead to.
                final SnapshotCheck check = result.snapshots().get(result.snapshots().size() - 1);
                failedSequence = check.sequence();
                failure = "snapshot " + check.file().getFileName() + " is not the state re-executed to its " +
                    "sequence (" + check.detail() + "); the documents after it are not proven (audit with " +
                    "--no-snapshots to re-execute the journal alone)";
            }
            lastSequence = result.lastSequence();
        }
        checks.sort(Comparator.comparingLong(SnapshotCheck::sequence));
        if (failed == null)
        {
            for (final Start beyond : intactWithoutDocument)
            {
                if (beyond.sequence() > lastSequence)
                {
                    // The engine writes a snapshot after the document it reflects: the journal has lost documents.
                    return new Result(false, documents, lastSequence, null, lastSequence + 1, "the journal ends at " +
                        "sequence " + lastSequence + ", but snapshot " + beyond.file().getFileName() + " (intact) " +
                        "reflects sequence " + beyond.sequence() + ": the documents after " + lastSequence +
                        " are missing or unreadable", 0, List.copyOf(checks), List.copyOf(segments));
                }
            }
        }
        if (failed != null)
        {
            return new Result(false, documents, lastSequence, null, failedSequence, failure, 0, List.copyOf(checks),
                List.copyOf(segments));
        }
        return new Result(true, documents, lastSequence, finalHash, -1, null, 0, List.copyOf(checks),
            List.copyOf(segments));
    }

    /**
     * A snapshot checked as a place to start from (not yet decoded); {@code problem} says why it cannot be, and
     * {@code evaluations} is its engine's evaluation count (for scheduling only).
     */
    private record Start(Path file, long sequence, byte[] chainHash, byte[] contentHash, String problem,
        long evaluations)
    {
        Start(final Path file, final long sequence, final byte[] chainHash, final byte[] contentHash,
            final String problem)
        {
            this(file, sequence, chainHash, contentHash, problem, 0);
        }
    }

    /** @return the SHA-256 a verified snapshot's trailer carries: the identity of the bytes that were checked. */
    private static byte[] contentHash(final UnsafeBuffer bytes)
    {
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        bytes.getBytes(bytes.capacity() - JournalDocument.HASH_LENGTH, hash);
        return hash;
    }

    /**
     * Checks a snapshot file as a place to start re-executing from, as the segmented audit does: intact (its content
     * hash holds), holding the sequence its name carries, and at a document of this journal whose hash - recomputed -
     * is the snapshot's chain hash. Its state is not proven by this (only re-execution up to it proves that).
     *
     * @param directory journal directory.
     * @param file      a snapshot file of it.
     * @return null when it can be started from, else why not.
     */
    public static String startProblem(final Path directory, final Path file)
    {
        return checkStart(directory, file, new SnapshotStore.Reader()).problem();
    }

    private static Start checkStart(final Path directory, final Path file, final SnapshotStore.Reader reader)
    {
        final long sequence = SnapshotStore.sequenceOf(file);
        final SnapshotCodec codec = new SnapshotCodec();
        final UnsafeBuffer bytes;
        try
        {
            bytes = reader.read(file);
        }
        catch (final IOException ex)
        {
            return new Start(file, sequence, null, null, "unreadable: " + ex.getMessage());
        }
        final String problem = codec.verify(bytes, bytes.capacity());
        if (problem != null)
        {
            return new Start(file, sequence, null, null, problem);
        }
        if (codec.journalSequence(bytes) != sequence)
        {
            return new Start(file, sequence, null, null, "its name says sequence " + sequence + ", its content " +
                codec.journalSequence(bytes));
        }
        final byte[] chainHash = new byte[JournalDocument.HASH_LENGTH];
        codec.chainHash(bytes, chainHash);
        final String position = checkChainPosition(directory, sequence, chainHash);
        long evaluations = 0;
        try
        {
            evaluations = codec.evaluations(bytes);
        }
        catch (final IllegalStateException ex)
        {
            // Malformed content past the header: the stretch that starts from it will say so when it decodes it.
        }
        return new Start(file, sequence, chainHash, contentHash(bytes), position, evaluations);
    }

    private static List<Path> snapshotsInSequenceOrder(final Path directory) throws IOException
    {
        final List<Path> files = new ArrayList<>(new SnapshotStore(directory).list());
        Collections.reverse(files);
        return files;
    }

    /**
     * Whether reading stopped at the journal's end and not at damage that hides documents after it (a document
     * marked incomplete, a file missing or cut short): the last document Chronicle finds reading backward must be
     * the one reached, and its indexes must count the documents read.
     *
     * @return null when the journal ends at {@code sequence}, else what lies beyond.
     */
    private static String endProblem(final JournalReader reader, final long sequence)
    {
        final long last = reader.lastSequence();
        if (last != sequence)
        {
            return "the document after sequence " + sequence + " cannot be read, but the journal goes on: its " +
                "last document claims sequence " + last;
        }
        final long first = reader.firstSequence();
        final long read = first < 0 ? 0 : sequence - first + 1;
        final long indexed = reader.indexedDocuments();
        if (indexed != read)
        {
            return "the document after sequence " + sequence + " cannot be read, but the journal's index " +
                "counts " + indexed + " documents where " + read + " were read";
        }
        return null;
    }

    /** How {@link #checkChainPosition} begins when the journal holds no document at the snapshot's sequence. */
    private static final String NO_DOCUMENT = "the journal has no document ";

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
                return NO_DOCUMENT + sequence;
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
        return new Result(false, documents, lastGood, null, failedSequence, message, startSequence, snapshots,
            List.of());
    }

    /** One pass over the journal after {@code startSequence}, from the given state. */
    private final class Run
    {
        /** Null until the first document of a run from the journal's start says how to build it (its genesis). */
        private ClearingStateMachine machine;
        private final long startSequence;
        private long endSequence = Long.MAX_VALUE;
        /** When set, the snapshot closing this run must still be the file whose trailer carries this hash. */
        private byte[] closingContentHash;
        private final List<Path> snapshotFiles;
        /** The sequence each of snapshotFiles names (parsed once: the check runs after every document). */
        private final long[] snapshotSequences;
        private final List<SnapshotCheck> snapshotChecks = new ArrayList<>();
        private final EventWriter events = new EventWriter();
        private final JournalDocument document = new JournalDocument();
        private final HashChainVerifier verifier = new HashChainVerifier();
        /** The auditor's own ledger, from the starting state's balances on. */
        private LedgerCheck ledger;
        private final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        private int nextSnapshot;
        private SnapshotCodec codec;

        Run(final ClearingStateMachine machine, final long startSequence, final byte[] startHash,
            final List<Path> snapshotFiles)
        {
            this.startSequence = startSequence;
            this.snapshotFiles = snapshotFiles == null ? List.of() : snapshotFiles;
            snapshotSequences = this.snapshotFiles.stream().mapToLong(SnapshotStore::sequenceOf).toArray();
            verifier.reset(startSequence, startHash);
            if (machine != null)
            {
                begin(machine);
            }
        }

        /** Starts from {@code machine}'s state: the auditor's ledger takes its balances. */
        private void begin(final ClearingStateMachine machine)
        {
            this.machine = machine;
            final int capacity = machine.accounts().capacity();
            ledger = new LedgerCheck(capacity);
            for (int id = 0; id < capacity; id++)
            {
                for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
                {
                    final long balance = machine.accounts().balance(id, asset);
                    if (balance != 0)
                    {
                        ledger.balance(id, asset, balance);
                    }
                }
            }
        }

        Result execute(final Path directory, final LongConsumer progress)
        {
            long documents = 0;
            long sequence = startSequence;
            boolean first = true;
            final String damage = fileDamage(directory);
            if (damage != null)
            {
                // Not at a document: a file of the journal is damaged as a whole, and nothing in it is read.
                return failed(0, sequence, -1, damage);
            }
            try (JournalReader reader = new JournalReader(directory))
            {
                // From a snapshot: position at its document (the start check proved it carries the snapshot's chain
                // hash) and read on from there, so that whatever follows it - whatever sequence a damaged one claims -
                // goes through the hash chain below. Nothing after it means the journal ends at the snapshot.
                if (startSequence > 0 && !(reader.seek(startSequence) && reader.next(document)))
                {
                    return failed(documents, sequence, sequence, "the journal's document " + sequence +
                        ", where the snapshot starts, is no longer readable");
                }
                while (sequence < endSequence)
                {
                    final boolean more;
                    try
                    {
                        // A journal being written may gain a document between the read and the end check: one more
                        // read tells an end that moved from damage that hides what follows.
                        more = reader.next(document) || endProblem(reader, sequence) != null && reader.next(document);
                    }
                    catch (final RuntimeException ex)
                    {
                        return failed(documents, sequence, sequence + 1, "unreadable document after sequence " +
                            sequence + ": " + ex.getMessage());
                    }
                    if (!more)
                    {
                        // The end, or damage that hides what follows: a stretch's closing snapshot lies further on.
                        final String end = endProblem(reader, sequence);
                        if (end != null)
                        {
                            return failed(documents, sequence, sequence + 1, end);
                        }
                        break;
                    }
                    final int check = verifier.verify(document);
                    if (check != HashChainVerifier.OK)
                    {
                        // Located by its place in the chain, never by the sequence it claims (which may be the
                        // damaged bytes); a first document that is, or claims to be, a genesis is sequence 0.
                        final boolean genesis = startSequence == 0 && first && Genesis.isFirstGenesis(document);
                        final long at = genesis ? 0 : sequence + 1;
                        return failed(documents, sequence, at, (genesis ? "genesis (sequence 0): " : "") +
                            "hash chain: " + HashChainVerifier.resultName(check));
                    }
                    first = false;
                    if (document.sequence() == 0)
                    {
                        // The verifier passes sequence 0 only as the journal's first document: its genesis.
                        try
                        {
                            begin(Genesis.decode(document).newMachine());
                        }
                        catch (final IllegalArgumentException ex)
                        {
                            return failed(documents, 0, 0, ex.getMessage());
                        }
                        continue;
                    }
                    if (machine == null)
                    {
                        begin(new ClearingStateMachine(accountCapacity, parameters));
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
            if (machine == null)
            {
                begin(new ClearingStateMachine(accountCapacity, parameters));
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
                List.copyOf(snapshotChecks), List.of());
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
            // The events equal the re-executed ones (checked above): well-formed frames.
            return ledger.check(document);
        }

        private void checkSnapshotsAt(final long sequence)
        {
            while (nextSnapshot < snapshotSequences.length && snapshotSequences[nextSnapshot] <= sequence)
            {
                final Path file = snapshotFiles.get(nextSnapshot);
                snapshotChecks.add(compare(file, snapshotSequences[nextSnapshot++], sequence));
            }
        }

        private SnapshotCheck compare(final Path file, final long fileSequence, final long sequence)
        {
            if (codec == null)
            {
                codec = new SnapshotCodec();
            }
            final UnsafeBuffer bytes;
            try
            {
                bytes = readers.get().read(file);
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
            if (closingContentHash != null && !Arrays.equals(contentHash(bytes), closingContentHash))
            {
                return new SnapshotCheck(file, fileSequence, false, "changed during the audit");
            }
            verifier.lastHash(hash);
            final ExpandableDirectByteBuffer encoded = encodeBuffers.get();
            // The state re-encodes to about the file's length: grown to it at once, not doubled while encoding.
            encoded.checkLimit(bytes.capacity() + (1 << 16));
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
