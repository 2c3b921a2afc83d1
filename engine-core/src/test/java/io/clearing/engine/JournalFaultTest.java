package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.engine.cli.Simulator;
import io.clearing.margin.RiskParameters;
import io.clearing.settlement.journal.Durability;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Journal faults injected for real: a filesystem that fills up while the engine runs (a size-limited tmpfs), one that
 * is read-only, a journal directory replaced by an unwritable one or removed. Each time the engine must stop with
 * an error naming the journal and the cause, refuse further commands, have acknowledged exactly the commands it
 * journaled, leave a journal that audits clean, and - once the fault is gone - resume on the same directory to the
 * very journal an uninterrupted run writes.
 * <p>
 * The engine runs in the test's JVM: the journal writer allocates disk before it writes (JournalWriter, see
 * docs/reliability.md), so it never stores into an unbacked page of its memory-mapped file and no SIGBUS can occur.
 * Without that allocation the same faults gave an asynchronous {@code InternalError}, not a crash (measured).
 */
final class JournalFaultTest
{
    private static final int ACCOUNTS = 300;
    private static final long COMMANDS = 60_000;
    private static final long SEED = 7;
    private static final int ACCOUNT_CAPACITY = 4096;
    private static final long PREALLOCATION_BYTES = 1 << 20;
    private static final long NO_STOP = Long.MAX_VALUE;

    private static String referenceHash;

    @TempDir
    Path work;

    /** The final hash of the stream run without faults. */
    @BeforeAll
    static void uninterruptedRun(@TempDir final Path reference)
    {
        final Recorder recorder = new Recorder();
        try (ClearingEngine engine = engine(reference).listener(recorder).build().start())
        {
            assertTrue(feed(engine, 0, NO_STOP, command -> {}));
            recorder.await(COMMANDS);
        }
        referenceHash = lastHash(reference);
    }

    @Test
    void journalFillingTheDiskStopsTheEngineWithAClearErrorHavingAcknowledgedOnlyJournaledCommands() throws IOException
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 8 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final Recorder recorder = new Recorder();
            try (ClearingEngine engine = engine(journal).listener(recorder).build().start())
            {
                assertFalse(feed(engine, 0, NO_STOP, command -> {}), "the disk must fill before the stream ends");

                assertStoppedBy(engine, journal, "No space left on device");
                assertEquals(ClearingEngine.OFFER_CLOSED, offerDeposit(engine));
            }
            assertJournaledExactlyTheAcknowledged(journal, recorder);
            assertTrue(recorder.count() > 0 && recorder.count() < COMMANDS, recorder.count() + " journaled");
        }
    }

    /**
     * With {@link Durability#SYNCED} the documents of a batch wait for the batch's sync: those journaled before the
     * document the full disk refused are still forced and delivered, and nothing after them.
     */
    @Test
    void syncedEngineOnAFillingDiskDeliversEveryDocumentItJournaledAndNothingElse() throws IOException
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 8 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final Recorder recorder = new Recorder();
            final ClearingEngine engine = engine(journal).durability(Durability.SYNCED).listener(recorder).build();
            try (engine)
            {
                engine.start();
                assertFalse(feed(engine, 0, NO_STOP, command -> {}), "the disk must fill before the stream ends");
                assertStoppedBy(engine, journal, "No space left on device");
            }
            assertEquals(engine.lastSequence(), engine.syncedSequence());
            assertJournaledExactlyTheAcknowledged(journal, recorder);
            assertTrue(recorder.count() > 0 && recorder.count() < COMMANDS, recorder.count() + " journaled");
        }
    }

    @Test
    void afterAnotherFileFillsTheDiskAndIsRemovedANewEngineResumesToTheUninterruptedJournal() throws IOException
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 48 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final Recorder recorder = new Recorder();
            final Path[] filler = new Path[1];
            try (ClearingEngine engine = engine(journal).listener(recorder).build().start())
            {
                assertFalse(feed(engine, 0, NO_STOP, command ->
                {
                    if (command == 20_000)
                    {
                        filler[0] = fill(disk);
                    }
                }));
                assertStoppedBy(engine, journal, "No space left on device");
            }
            // Audited while the disk is still full: reading needs no space.
            assertJournaledExactlyTheAcknowledged(journal, recorder);

            Files.delete(filler[0]);
            assertResumesToTheReferenceJournal(journal, recorder.count());
        }
    }

    @Test
    void readOnlyFileSystemRefusesToStartWithAClearErrorAndTheJournalResumesOnceWritable() throws IOException
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 48 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final Recorder recorder = new Recorder();
            try (ClearingEngine engine = engine(journal).listener(recorder).build().start())
            {
                assertFalse(feed(engine, 0, 5_000, command -> {}));
                recorder.await(5_000);
            }
            disk.remountReadOnly();

            final ClearingEngine refused = engine(journal).build();
            final UncheckedIOException ex = assertThrows(UncheckedIOException.class, refused::start);
            assertTrue(ex.getMessage().contains(journal.toAbsolutePath().toString()), ex.getMessage());
            assertTrue(ex.getMessage().contains("read-only filesystem"), ex.getMessage());
            assertEquals(ClearingEngine.OFFER_CLOSED, offerDeposit(refused));
            refused.close();
            assertJournaledExactlyTheAcknowledged(journal, recorder);

            disk.remountReadWrite();
            assertResumesToTheReferenceJournal(journal, 5_000);
        }
    }

    @Test
    void journalDirectoryReplacedByAnUnwritableOneStopsTheEngineAndTheHiddenJournalResumes() throws IOException
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 48 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final Recorder recorder = new Recorder();
            final Tmpfs[] cover = new Tmpfs[1];
            try (ClearingEngine engine = engine(journal).listener(recorder).build().start())
            {
                assertFalse(feed(engine, 0, NO_STOP, command ->
                {
                    if (command == 20_000)
                    {
                        try
                        {
                            cover[0] = Tmpfs.mountReadOnlyOver(journal);
                        }
                        catch (final IOException ex)
                        {
                            throw new UncheckedIOException(ex);
                        }
                    }
                }));
                assertStoppedBy(engine, journal, "removed or replaced");
            }
            final UncheckedIOException refused =
                assertThrows(UncheckedIOException.class, () -> engine(journal).build().start());
            assertTrue(refused.getMessage().contains(journal.toAbsolutePath().toString()), refused.getMessage());

            cover[0].close();
            // Documents written after the directory was covered went to the journal's own (hidden) file.
            assertJournaledExactlyTheAcknowledged(journal, recorder);
            assertTrue(recorder.count() > 20_000, recorder.count() + " journaled");
            assertResumesToTheReferenceJournal(journal, recorder.count());
        }
    }

    @Test
    void journalDirectoryRemovedWhileRunningStopsTheEngineWithAClearError()
    {
        final Path journal = work.resolve("journal");
        try (ClearingEngine engine = engine(journal).build().start())
        {
            assertFalse(feed(engine, 0, NO_STOP, command ->
            {
                if (command == 20_000)
                {
                    deleteRecursively(journal);
                }
            }));
            assertStoppedBy(engine, journal, "removed or replaced");
        }
    }

    @Test
    void writerRefusesADocumentTheDiskCannotHoldWithoutWritingItAndTakesItOnceSpaceIsFreed() throws IOException
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 4 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final UnsafeBuffer command = new UnsafeBuffer(new byte[200]);
            final UnsafeBuffer events = new UnsafeBuffer(new byte[1024]);
            events.putInt(0, events.capacity() - 4, JournalDocument.BYTE_ORDER);
            try (JournalWriter writer = new JournalWriter(journal, 64 << 10))
            {
                UncheckedIOException full = null;
                while (full == null)
                {
                    final long before = writer.lastSequence();
                    try
                    {
                        assertEquals(before + 1, writer.append(before, command, 0, command.capacity(), events, 0,
                            events.capacity(), 1));
                    }
                    catch (final UncheckedIOException ex)
                    {
                        full = ex;
                        assertEquals(before, writer.lastSequence(), "chain head moved");
                    }
                }
                assertTrue(full.getMessage().contains("No space left on device"), full.getMessage());
                final long journaled = writer.lastSequence();
                assertEquals(journaled, verifiedDocuments(journal));

                disk.resize(16 << 20);
                assertEquals(journaled + 1, writer.append(journaled, command, 0, command.capacity(), events, 0,
                    events.capacity(), 1));
                assertEquals(journaled + 1, verifiedDocuments(journal));
            }
        }
    }

    private static ClearingEngine.Builder engine(final Path journal)
    {
        return ClearingEngine.builder().journalDirectory(journal).accountCapacity(ACCOUNT_CAPACITY).ringSize(1024)
            .journalPreallocationBytes(PREALLOCATION_BYTES);
    }

    /**
     * Sends the seeded stream from command {@code resumeAfter + 1} to command {@code stopAfter} or the end.
     *
     * @param beforeCommand called with the 1-based number of each command just before it is sent.
     * @return true when the whole stream was accepted, false when the engine refused a command or it stopped at
     * {@code stopAfter}.
     */
    private static boolean feed(final ClearingEngine engine, final long resumeAfter, final long stopAfter,
        final java.util.function.LongConsumer beforeCommand)
    {
        final long[] number = {resumeAfter};
        final Simulator simulator = new Simulator((buffer, offset, length) ->
        {
            if (++number[0] > stopAfter)
            {
                return -1;
            }
            beforeCommand.accept(number[0]);
            return engine.submit(buffer, offset, length);
        }, ACCOUNTS, COMMANDS, SEED).resumeAfter(resumeAfter);
        try
        {
            simulator.run(sent -> {});
            return true;
        }
        catch (final IllegalStateException refused)
        {
            return false;
        }
    }

    private static void assertStoppedBy(final ClearingEngine engine, final Path journal, final String cause)
    {
        final Throwable failure = engine.failure();
        assertNotNull(failure, "the engine must have stopped");
        // A SIGBUS on the mapped file would show as an InternalError here.
        assertInstanceOf(UncheckedIOException.class, failure);
        assertTrue(failure.getMessage().contains(journal.toAbsolutePath().toString()), failure.getMessage());
        assertTrue(failure.getMessage().contains(cause), failure.getMessage());
        assertFalse(engine.isRunning());
    }

    /** The journal holds exactly the documents the listener saw, 1..n, and every one verifies and re-executes. */
    private static void assertJournaledExactlyTheAcknowledged(final Path journal, final Recorder recorder)
    {
        assertTrue(recorder.contiguousFromOne(), "acknowledged sequences are 1..n without gaps");
        final Auditor.Result audit = new Auditor(ACCOUNT_CAPACITY, new RiskParameters()).audit(journal);
        assertTrue(audit.ok(), audit.failure());
        assertEquals(recorder.count(), audit.documents());
        assertEquals(recorder.count(), audit.lastSequence());
    }

    /** A new engine replays what was journaled, takes the rest of the stream and ends where a clean run ends. */
    private static void assertResumesToTheReferenceJournal(final Path journal, final long journaled)
    {
        final Recorder recorder = new Recorder();
        final ClearingEngine engine = engine(journal).listener(recorder).build();
        try (engine)
        {
            engine.start();
            assertEquals(journaled, engine.replayedDocuments());
            assertTrue(feed(engine, journaled, NO_STOP, command -> {}));
            recorder.await(COMMANDS - journaled);
        }
        assertTrue(engine.stateMachine().ledger().checkConservation() < 0, "conservation");
        assertEquals(referenceHash, lastHash(journal));
        final Auditor.Result audit = new Auditor(ACCOUNT_CAPACITY, new RiskParameters()).audit(journal);
        assertTrue(audit.ok(), audit.failure());
        assertEquals(COMMANDS, audit.documents());
    }

    private static long offerDeposit(final ClearingEngine engine)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = io.clearing.sbe.MessageHeaderEncoder.ENCODED_LENGTH + new io.clearing.sbe.DepositEncoder()
            .wrapAndApplyHeader(buffer, 0, new io.clearing.sbe.MessageHeaderEncoder())
            .timestamp(Long.MAX_VALUE).accountId(16).assetId(0).amount(1).encodedLength();
        return engine.offer(buffer, 0, length);
    }

    private static long verifiedDocuments(final Path journal)
    {
        final JournalDocument document = new JournalDocument();
        final HashChainVerifier verifier = new HashChainVerifier();
        long count = 0;
        try (JournalReader reader = new JournalReader(journal))
        {
            while (reader.next(document))
            {
                assertEquals(HashChainVerifier.OK, verifier.verify(document), "document " + (count + 1));
                count++;
            }
        }
        return count;
    }

    private static String lastHash(final Path journal)
    {
        final JournalDocument document = new JournalDocument();
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        try (JournalReader reader = new JournalReader(journal))
        {
            assertTrue(reader.seek(reader.lastSequence()) && reader.next(document));
            document.hash(hash);
        }
        return HexFormat.of().formatHex(hash);
    }

    private static Path fill(final Tmpfs disk)
    {
        try
        {
            return disk.fill();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void deleteRecursively(final Path directory)
    {
        try (Stream<Path> walk = Files.walk(directory))
        {
            for (final Path path : (Iterable<Path>)walk.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.delete(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Counts the documents delivered to listeners and checks they are numbered 1, 2, 3 ... */
    static final class Recorder implements EngineListener
    {
        private long count;
        private long lastSequence;
        private boolean contiguous = true;

        @Override
        public synchronized void onDocument(final long sequence, final DirectBuffer command, final int commandOffset,
            final int commandLength, final DirectBuffer events, final int eventsOffset, final int eventsLength,
            final int eventCount, final long submitNanos)
        {
            contiguous &= sequence == lastSequence + 1;
            lastSequence = sequence;
            count++;
            notifyAll();
        }

        synchronized long count()
        {
            return count;
        }

        synchronized boolean contiguousFromOne()
        {
            return contiguous;
        }

        /** Waits until {@code documents} have been delivered. */
        synchronized void await(final long documents)
        {
            final long deadline = System.currentTimeMillis() + 120_000;
            while (count < documents && System.currentTimeMillis() < deadline)
            {
                try
                {
                    wait(10);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            assertEquals(documents, count, "documents delivered");
        }
    }
}
