package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.margin.RiskParameters;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots in the engine: written every N documents and on request, kept K deep; on start the newest valid one is
 * loaded and only the journal after it replayed, and the state is then exactly the state a replay of the whole
 * journal gives. Truncated, corrupted, forged and out-of-journal snapshots, and resealed ones whose lists are broken,
 * are passed over, with their reason, for an older one or for the whole journal.
 */
final class SnapshotRecoveryTest
{
    private static final int CAPACITY = 2048;
    private static final int ACCOUNTS = 600;
    private static final int COMMANDS = 23_000;
    private static final int EVERY = 5_000;
    private static final long NEWEST = 20_000;
    private static final long PREVIOUS = 15_000;

    private static final List<byte[]> COMMAND_FRAMES = new ArrayList<>();

    @TempDir
    Path work;
    private Path journal;

    @BeforeAll
    static void record()
    {
        COMMAND_FRAMES.addAll(SimulatedFrames.record(ACCOUNTS, COMMANDS, 3));
    }

    @Test
    void periodicSnapshotsAreTakenAtMultiplesOfTheIntervalAndTheNewestAreKept() throws Exception
    {
        final ClearingEngine engine = run(work.resolve("journal"), COMMANDS, EVERY);

        assertEquals(4, engine.snapshotsWritten());
        assertEquals(List.of(snapshot(NEWEST), snapshot(PREVIOUS), snapshot(10_000)), snapshotFiles());
        assertEquals(NEWEST, engine.lastSnapshot().sequence());
        assertEquals(Files.size(engine.lastSnapshot().file()), engine.lastSnapshot().bytes());
    }

    @Test
    void aRestartLoadsTheNewestSnapshotAndReplaysOnlyTheJournalAfterIt() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);

        final ClearingEngine restarted = restart();

        assertEquals(NEWEST, restarted.recovery().snapshotSequence());
        assertEquals(COMMANDS - NEWEST, restarted.recovery().replayedDocuments());
        assertEquals(List.of(), restarted.recovery().skippedSnapshots());
        assertStateEqualsFullReplay(restarted);
    }

    @Test
    void aTruncatedSnapshotIsPassedOverForThePreviousOne() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        try (RandomAccessFile file = new RandomAccessFile(snapshot(NEWEST).toFile(), "rw"))
        {
            file.setLength(file.length() / 2);
        }

        final ClearingEngine restarted = restart();

        assertEquals(PREVIOUS, restarted.recovery().snapshotSequence());
        assertEquals(COMMANDS - PREVIOUS, restarted.recovery().replayedDocuments());
        assertSkipped(restarted, NEWEST, "partial");
        assertTrue(Files.exists(rejected(NEWEST)), "set aside as .rejected");
        assertStateEqualsFullReplay(restarted);
    }

    @Test
    void aSnapshotWithAFlippedByteIsPassedOverForThePreviousOne() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        flipByte(snapshot(NEWEST), Files.size(snapshot(NEWEST)) / 2);

        final ClearingEngine restarted = restart();

        assertEquals(PREVIOUS, restarted.recovery().snapshotSequence());
        assertSkipped(restarted, NEWEST, "content hash mismatch");
        assertStateEqualsFullReplay(restarted);
    }

    @Test
    void aSnapshotAheadOfTheJournalIsPassedOver() throws Exception
    {
        final Path full = work.resolve("full");
        run(full, COMMANDS, EVERY);
        journal = work.resolve("journal");
        run(journal, (int)NEWEST - 1, 0);
        Files.createDirectories(snapshot(NEWEST).getParent());
        Files.copy(full.resolve("snapshots").resolve(SnapshotStore.fileName(NEWEST)), snapshot(NEWEST));
        Files.copy(full.resolve("snapshots").resolve(SnapshotStore.fileName(PREVIOUS)), snapshot(PREVIOUS));

        final ClearingEngine restarted = restart();

        assertSkipped(restarted, NEWEST, "ahead of the journal: reflects sequence 20000, the journal ends at 19999");
        assertEquals(PREVIOUS, restarted.recovery().snapshotSequence(), "the older one is this journal's history");
        assertEquals(NEWEST - 1 - PREVIOUS, restarted.recovery().replayedDocuments());
        assertStateEqualsFullReplay(restarted);
    }

    @Test
    void aSnapshotOfAnotherHistoryIsPassedOverEvenWithAValidHash() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        forgeChainHash(snapshot(NEWEST));

        final ClearingEngine restarted = restart();

        assertSkipped(restarted, NEWEST, "chain hash differs from journal document 20000: another history");
        assertEquals(PREVIOUS, restarted.recovery().snapshotSequence());
        assertStateEqualsFullReplay(restarted);
    }

    /** A snapshot written under other rules (its header's rules version) is intact but not this build's state. */
    @Test
    void aSnapshotOfOtherRulesIsPassedOverEvenWithAValidHash() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        forgeInt(snapshot(NEWEST), io.clearing.sbe.snapshot.SnapshotHeaderEncoder.rulesVersionEncodingOffset(),
            ClearingStateMachine.RULES_VERSION + 1);

        final ClearingEngine restarted = restart();

        assertSkipped(restarted, NEWEST, "written under rules version " + (ClearingStateMachine.RULES_VERSION + 1) +
            ", this engine implements " + ClearingStateMachine.RULES_VERSION);
        assertEquals(PREVIOUS, restarted.recovery().snapshotSequence());
        assertStateEqualsFullReplay(restarted);
    }

    @ParameterizedTest
    @EnumSource(SnapshotTampering.class)
    void aResealedSnapshotWithBrokenListsIsPassedOverForThePreviousOne(final SnapshotTampering tampering)
        throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        tamper(snapshot(NEWEST), tampering);

        final ClearingEngine restarted = assertTimeoutPreemptively(Duration.ofSeconds(60), this::restart,
            "a start must refuse the snapshot, not loop on its lists");

        assertEquals(PREVIOUS, restarted.recovery().snapshotSequence());
        assertEquals(COMMANDS - PREVIOUS, restarted.recovery().replayedDocuments());
        assertSkipped(restarted, NEWEST, "undecodable: snapshot: ");
        assertTrue(Files.exists(rejected(NEWEST)), "set aside as .rejected");
        assertStateEqualsFullReplay(restarted);
    }

    @Test
    void withEverySnapshotResealedWithACycleTheWholeJournalIsReplayed() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        for (final Path file : snapshotFiles())
        {
            tamper(file, SnapshotTampering.POSITION_CYCLE);
        }

        final ClearingEngine restarted = assertTimeoutPreemptively(Duration.ofSeconds(60), this::restart);

        assertEquals(0, restarted.recovery().snapshotSequence());
        assertEquals(COMMANDS, restarted.recovery().replayedDocuments());
        assertEquals(3, restarted.recovery().skippedSnapshots().size());
        assertTrue(restarted.recovery().skippedSnapshots().stream()
            .allMatch(line -> line.contains(": undecodable: snapshot: ")), restarted.recovery().skippedSnapshots()
            .toString());
        assertStateEqualsFullReplay(restarted);
    }

    @Test
    void aResealedSnapshotWithACycleFailsTheSegmentedAuditInsteadOfHangingIt() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        tamper(snapshot(PREVIOUS), SnapshotTampering.POSITION_CYCLE);

        final Auditor.Result result = assertTimeoutPreemptively(Duration.ofSeconds(120),
            () -> new Auditor(CAPACITY, new RiskParameters()).auditInSegments(journal, 4, documents -> { }));

        assertFalse(result.ok());
        assertEquals(PREVIOUS, result.failedSequence(), result.failure());
        final Auditor.Segment fromTampered = result.segments().stream()
            .filter(segment -> snapshot(PREVIOUS).equals(segment.start())).findFirst().orElseThrow();
        assertFalse(fromTampered.ok());
        assertEquals(0, fromTampered.documents(), "refused at load: nothing re-executed from it");
    }

    @Test
    void withNoValidSnapshotTheWholeJournalIsReplayed() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        for (final Path file : snapshotFiles())
        {
            flipByte(file, 100);
        }

        final ClearingEngine restarted = restart();

        assertEquals(0, restarted.recovery().snapshotSequence());
        assertNull(restarted.recovery().snapshotFile());
        assertEquals(COMMANDS, restarted.recovery().replayedDocuments());
        assertEquals(3, restarted.recovery().skippedSnapshots().size());
        assertEquals(List.of(), snapshotFiles());
        assertStateEqualsFullReplay(restarted);
    }

    @Test
    void aRestartWithAnotherAccountCapacityIsRefusedAndTheSnapshotsLeftInPlace() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);

        final ClearingEngine restarted = ClearingEngine.builder().journalDirectory(journal)
            .accountCapacity(CAPACITY * 2).build();
        final IllegalStateException refused = assertThrows(IllegalStateException.class, restarted::start);

        assertTrue(refused.getMessage().contains("account capacity 4096, the journal's 2048"), refused.getMessage());
        assertEquals(3, snapshotFiles().size(), "left in place for an engine with the journal's capacity");
        assertEquals(NEWEST, restart().recovery().snapshotSequence());
    }

    @Test
    void whatAnInterruptedWriteLeftIsDeleted() throws Exception
    {
        run(work.resolve("journal"), COMMANDS, EVERY);
        final Path leftover = snapshot(COMMANDS).resolveSibling(SnapshotStore.fileName(COMMANDS) + ".tmp");
        Files.write(leftover, new byte[1000]);

        final ClearingEngine restarted = restart();

        assertFalse(Files.exists(leftover));
        assertEquals(NEWEST, restarted.recovery().snapshotSequence());
        assertEquals(List.of(), restarted.recovery().skippedSnapshots());
    }

    @Test
    void aRequestedSnapshotReflectsExactlyTheDocumentsOfferedBeforeIt() throws Exception
    {
        journal = work.resolve("journal");
        final int first = 7_000;
        try (ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).accountCapacity(CAPACITY)
            .build())
        {
            engine.start();
            submit(engine, 0, first);
            final SnapshotFile taken = engine.requestSnapshot().get(60, TimeUnit.SECONDS);
            submit(engine, first, first + 500);
            awaitJournaled(engine, first + 500);

            assertEquals(first, taken.sequence());
            assertEquals(snapshot(first), taken.file());
            assertEquals(first + 500, engine.lastSequence(), "a snapshot is not a journal document");
            final UnsafeBuffer bytes = SnapshotStore.read(taken.file());
            final SnapshotCodec codec = new SnapshotCodec();
            assertNull(codec.verify(bytes, bytes.capacity()));
            assertArrayEquals(encode(replay(first), first), encode(codec.decode(bytes), first));
        }
    }

    @Test
    void aSnapshotOfAnEmptyJournalIsRefused() throws Exception
    {
        try (ClearingEngine engine = ClearingEngine.builder().journalDirectory(work.resolve("empty"))
            .accountCapacity(CAPACITY).build())
        {
            engine.start();
            final ExecutionException thrown =
                assertThrows(ExecutionException.class, () -> engine.requestSnapshot().get(60, TimeUnit.SECONDS));
            assertEquals("the journal is empty: nothing to snapshot", thrown.getCause().getMessage());
        }
    }

    private ClearingEngine run(final Path directory, final int commands, final long every) throws Exception
    {
        journal = directory;
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(directory).accountCapacity(CAPACITY)
            .ringSize(1 << 12).snapshotEvery(every).snapshotsKept(3).build();
        try (engine)
        {
            engine.start();
            submit(engine, 0, commands);
            awaitJournaled(engine, commands);
        }
        return engine;
    }

    private ClearingEngine restart()
    {
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).accountCapacity(CAPACITY)
            .build();
        engine.start().close();
        return engine;
    }

    private static void submit(final ClearingEngine engine, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            final byte[] frame = COMMAND_FRAMES.get(i);
            assertTrue(engine.submit(new UnsafeBuffer(frame), 0, frame.length) >= 0);
        }
    }

    private static void awaitJournaled(final ClearingEngine engine, final long sequence) throws InterruptedException
    {
        while (engine.lastSequence() < sequence && engine.isRunning())
        {
            Thread.sleep(1);
        }
        assertEquals(sequence, engine.lastSequence());
    }

    private void assertStateEqualsFullReplay(final ClearingEngine restarted)
    {
        final long last = journalLastSequence();
        assertArrayEquals(encode(replay(last), last), encode(restarted.stateMachine(), last),
            "state after the restart equals the state of a replay of the whole journal");
    }

    private long journalLastSequence()
    {
        try (JournalReader reader = new JournalReader(journal))
        {
            return reader.lastSequence();
        }
    }

    /** A machine that applied the journal's first {@code documents} documents. */
    private ClearingStateMachine replay(final long documents)
    {
        final ClearingStateMachine machine = Genesis.read(journal).newMachine();
        final EventWriter events = new EventWriter();
        final JournalDocument document = new JournalDocument();
        try (JournalReader reader = new JournalReader(journal))
        {
            while (reader.next(document) && document.sequence() <= documents)
            {
                if (document.sequence() == 0)
                {
                    continue;  // the genesis configured the machine
                }
                machine.apply(document.buffer(), document.commandOffset(), document.commandLength(), events);
            }
        }
        return machine;
    }

    private static byte[] encode(final ClearingStateMachine machine, final long sequence)
    {
        final SnapshotCodec codec = new SnapshotCodec();
        final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(1 << 16);
        final int length = codec.encode(machine, sequence, new byte[JournalDocument.HASH_LENGTH], buffer);
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    private static void assertSkipped(final ClearingEngine engine, final long sequence, final String reason)
    {
        final String expected = SnapshotStore.fileName(sequence) + ": " + reason;
        assertTrue(engine.recovery().skippedSnapshots().stream().anyMatch(line -> line.startsWith(expected)),
            "skipped " + engine.recovery().skippedSnapshots() + ", expected one starting with " + expected);
    }

    private Path snapshot(final long sequence)
    {
        return journal.resolve(SnapshotStore.DIRECTORY_NAME).resolve(SnapshotStore.fileName(sequence));
    }

    private Path rejected(final long sequence)
    {
        return snapshot(sequence).resolveSibling(SnapshotStore.fileName(sequence) + ".rejected");
    }

    private List<Path> snapshotFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(journal.resolve(SnapshotStore.DIRECTORY_NAME)))
        {
            return files.filter(path -> path.getFileName().toString().endsWith(".sbe"))
                .sorted(java.util.Comparator.reverseOrder()).toList();
        }
    }

    private static void flipByte(final Path file, final long position) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(position);
            final int value = raf.read();
            raf.seek(position);
            raf.write(~value);
        }
    }

    /** Alters one link or count of the file's lists and re-seals it: intact as a file, broken as a state. */
    private static void tamper(final Path file, final SnapshotTampering tampering) throws IOException
    {
        final UnsafeBuffer bytes = new UnsafeBuffer(Files.readAllBytes(file));
        tampering.apply(bytes);
        SnapshotTampering.reseal(bytes, bytes.capacity());
        Files.write(file, bytes.byteArray());
    }

    /** Puts an int into the snapshot header's block at {@code offset} and re-seals the file. */
    private static void forgeInt(final Path file, final int offset, final int value) throws IOException
    {
        final UnsafeBuffer bytes = SnapshotStore.read(file);
        final ExpandableDirectByteBuffer forged = new ExpandableDirectByteBuffer(bytes.capacity());
        forged.putBytes(0, bytes, 0, bytes.capacity());
        forged.putInt(io.clearing.sbe.snapshot.MessageHeaderEncoder.ENCODED_LENGTH + offset, value,
            java.nio.ByteOrder.LITTLE_ENDIAN);
        final int length = new SnapshotCodec().seal(forged, bytes.capacity() - SnapshotCodec.TRAILER_LENGTH);
        final byte[] out = new byte[length];
        forged.getBytes(0, out);
        Files.write(file, out);
    }

    /** Replaces the chain hash in the header and re-seals the file: intact, but of another history. */
    private static void forgeChainHash(final Path file) throws IOException
    {
        final UnsafeBuffer bytes = SnapshotStore.read(file);
        final ExpandableDirectByteBuffer forged = new ExpandableDirectByteBuffer(bytes.capacity());
        forged.putBytes(0, bytes, 0, bytes.capacity());
        final int chainHashOffset = io.clearing.sbe.snapshot.MessageHeaderEncoder.ENCODED_LENGTH +
            io.clearing.sbe.snapshot.SnapshotHeaderEncoder.chainHashEncodingOffset();
        forged.putByte(chainHashOffset, (byte)~forged.getByte(chainHashOffset));
        final int length = new SnapshotCodec().seal(forged, bytes.capacity() - SnapshotCodec.TRAILER_LENGTH);
        final byte[] out = new byte[length];
        forged.getBytes(0, out);
        Files.write(file, out);
    }
}
