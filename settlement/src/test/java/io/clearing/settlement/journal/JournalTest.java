package io.clearing.settlement.journal;

import net.openhft.chronicle.core.time.SetTimeProvider;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalTest
{
    private static final long BASE_TIMESTAMP_NS = 1_767_225_600_000_000_000L;
    private static final byte[] ZERO_HASH = new byte[JournalDocument.HASH_LENGTH];
    private static final int WARM_UP_APPENDS = 100_000;
    private static final int MEASURED_APPENDS = 10_000;
    /**
     * Measured in this window on JDK 17 and 25: 0 bytes in every run (12 of 12). Over millions of appends two
     * sources outside our code do allocate, at points that move from run to run: one-off blips, most likely JIT
     * recompilation of the append path (16 bytes to 6.3 KB seen, mostly before ~110,000 appends), and Chronicle
     * mapping the next block of the queue file (about 670 bytes per {@link JournalWriter#BLOCK_SIZE} written; the
     * ~30 MB written here stays inside the first block). The bound sits just above the largest blip seen; a single
     * 16-byte object per append would show as 160,000 bytes.
     */
    private static final long STEADY_STATE_ALLOCATION_BOUND_BYTES = 8192;

    @TempDir
    Path tempDir;

    private final JournalDocument doc = new JournalDocument();

    @Test
    void readsBackEveryByteOfEveryDocument() throws Exception
    {
        final Path dir = tempDir.resolve("journal");
        final List<SampleDocument> written = writeRandom(dir, 300, 11L);

        final MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] expectedPreviousHash = ZERO_HASH;
        try (JournalReader reader = new JournalReader(dir))
        {
            for (int i = 0; i < written.size(); i++)
            {
                final SampleDocument expected = written.get(i);
                assertTrue(reader.next(doc));
                assertTrue(doc.structurallyValid());
                assertEquals(i + 1, doc.sequence());
                assertEquals(expected.timestamp(), doc.timestamp());
                assertEquals(expected.command().length, doc.commandLength());
                assertEquals(expected.eventsLength(), doc.eventsLength());
                assertEquals(expected.eventFrames().length, doc.eventCount());
                assertEquals(JournalDocument.FORMAT_VERSION, doc.formatVersion());
                assertEquals(expected.totalLength(), doc.totalLength());
                assertArrayEquals(expected.command(), copy(doc, doc.commandOffset(), doc.commandLength()));

                int eventOffset = doc.firstEventOffset();
                for (final byte[] frame : expected.eventFrames())
                {
                    assertEquals(frame.length, doc.eventFrameLength(eventOffset));
                    assertArrayEquals(frame, copy(doc, eventOffset + 4, doc.eventFrameLength(eventOffset)));
                    eventOffset = eventOffset + 4 + doc.eventFrameLength(eventOffset);
                }
                assertEquals(doc.eventsOffset() + doc.eventsLength(), eventOffset);

                assertArrayEquals(expectedPreviousHash, previousHashOf(doc));
                final byte[] whole = copy(doc, doc.offset(), doc.totalLength());
                sha256.update(whole, 0, whole.length - JournalDocument.HASH_LENGTH);
                expectedPreviousHash = sha256.digest();
                assertArrayEquals(expectedPreviousHash, hashOf(doc));
            }
            assertFalse(reader.next(doc));
            assertEquals(written.size(), reader.lastSequence());
        }
    }

    @Test
    void emptyJournalStartsTheChainAtZero()
    {
        final Path dir = tempDir.resolve("journal");
        try (JournalWriter writer = new JournalWriter(dir); JournalReader reader = new JournalReader(dir))
        {
            assertEquals(0, writer.lastSequence());
            final byte[] hash = new byte[32];
            Arrays.fill(hash, (byte)7);
            writer.lastHash(hash);
            assertArrayEquals(ZERO_HASH, hash);

            assertEquals(0, reader.lastSequence());
            assertFalse(reader.next(doc));
            assertFalse(reader.seek(1));
        }
    }

    @Test
    void reopenedWriterContinuesSequenceAndChain()
    {
        final Path dir = tempDir.resolve("journal");
        writeRandom(dir, 5, 21L);

        final byte[] hashOfFifth;
        try (JournalReader reader = new JournalReader(dir))
        {
            assertTrue(reader.seek(5));
            assertTrue(reader.next(doc));
            hashOfFifth = hashOf(doc);
        }

        try (JournalWriter writer = new JournalWriter(dir))
        {
            assertEquals(5, writer.lastSequence());
            final byte[] lastHash = new byte[32];
            writer.lastHash(lastHash);
            assertArrayEquals(hashOfFifth, lastHash);

            final Random random = new Random(22L);
            for (int i = 0; i < 5; i++)
            {
                assertEquals(6 + i, SampleDocument.random(random, BASE_TIMESTAMP_NS + i, 3, 40).appendTo(writer));
            }
        }

        assertEquals(10, verifyAll(dir));
    }

    @Test
    void seekPositionsAtFirstMiddleAndLastAndRejectsAbsent()
    {
        final Path dir = tempDir.resolve("journal");
        writeRandom(dir, 1_000, 31L);

        try (JournalReader reader = new JournalReader(dir))
        {
            for (final long sequence : new long[] {1, 500, 1_000, 2, 999, 1})
            {
                assertTrue(reader.seek(sequence));
                assertTrue(reader.next(doc));
                assertEquals(sequence, doc.sequence());
            }

            assertTrue(reader.seek(700));
            for (final long sequence : new long[] {0, -1, 1_001, Long.MAX_VALUE})
            {
                assertFalse(reader.seek(sequence));
            }
            assertTrue(reader.next(doc));
            assertEquals(700, doc.sequence());
        }
    }

    @Test
    void seekRefusesADocumentWhoseSequenceWasDamagedButFindsItsNeighbours() throws IOException
    {
        final Path dir = tempDir.resolve("journal");
        writeFixed(dir, 50);
        flipByte(dir, 20, 0);

        try (JournalReader reader = new JournalReader(dir))
        {
            assertFalse(reader.seek(20));
            assertTrue(reader.seek(21));
            assertTrue(reader.next(doc));
            assertEquals(21, doc.sequence());
            assertTrue(reader.seek(19));
            assertTrue(reader.next(doc));
            assertEquals(19, doc.sequence());
        }
    }

    @Test
    void seekAndReadWorkAcrossRollCycleFiles()
    {
        final Path dir = tempDir.resolve("journal");
        final SetTimeProvider clock = new SetTimeProvider(BASE_TIMESTAMP_NS);
        final Random random = new Random(41L);
        try (JournalWriter writer = new JournalWriter(dir, TestRollCycles.TEST_SECONDLY, clock))
        {
            for (int file = 0; file < 4; file++)
            {
                for (int i = 0; i < 7; i++)
                {
                    SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
                }
                clock.advanceMillis(file == 1 ? 5_000 : 1_000);
            }
        }
        try (JournalWriter writer = new JournalWriter(dir, TestRollCycles.TEST_SECONDLY, clock))
        {
            assertEquals(28, writer.lastSequence());
            assertEquals(29, SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer));
        }

        assertEquals(5, cq4Files(dir).size());
        assertEquals(29, verifyAll(dir));
        try (JournalReader reader = new JournalReader(dir))
        {
            assertEquals(29, reader.lastSequence());
            for (long sequence = 29; sequence >= 1; sequence--)
            {
                assertTrue(reader.seek(sequence));
                assertTrue(reader.next(doc));
                assertEquals(sequence, doc.sequence());
            }
            assertFalse(reader.seek(30));

            final Random seeks = new Random(42L);
            for (int i = 0; i < 500; i++)
            {
                final long sequence = seeks.nextInt(34) - 2;
                final boolean present = sequence >= 1 && sequence <= 29;
                assertEquals(present, reader.seek(sequence), "seek " + sequence);
                if (present)
                {
                    assertTrue(reader.next(doc));
                    assertEquals(sequence, doc.sequence());
                }
                if (seeks.nextInt(8) == 0)
                {
                    assertEquals(29, reader.lastSequence());
                }
            }
        }
    }

    @Test
    void syncedWriterForcesTheFileAtEverySyncAndAtARollAndTheDirectoryAfterANewFile()
    {
        final Path dir = tempDir.resolve("synced");
        final SetTimeProvider clock = new SetTimeProvider(BASE_TIMESTAMP_NS);
        final Random random = new Random(43L);
        try (JournalWriter writer = new JournalWriter(dir, TestRollCycles.TEST_SECONDLY, clock, Durability.SYNCED))
        {
            assertEquals(Durability.SYNCED, writer.durability());
            // Opening forces what is there: no file yet, the directory and metadata once.
            assertEquals(0, writer.syncedSequence());
            assertEquals(0, writer.fileForces());
            assertEquals(1, writer.directoryForces());
            for (int i = 0; i < 5; i++)
            {
                SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            }
            assertEquals(0, writer.syncedSequence(), "appending alone forces nothing");
            assertEquals(5, writer.sync());
            assertEquals(5, writer.syncedSequence());
            assertEquals(1, writer.fileForces());
            assertEquals(2, writer.directoryForces(), "the first file's entry");
            assertEquals(5, writer.sync());
            assertEquals(1, writer.fileForces(), "nothing new: no force");

            SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            clock.advanceMillis(1_000);
            SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            // Rolling to the next file forced the document left in the old one.
            assertEquals(2, writer.fileForces());
            assertEquals(5, writer.syncedSequence());
            assertEquals(7, writer.sync());
            assertEquals(3, writer.fileForces());
            assertEquals(3, writer.directoryForces(), "the new file's entry");
            SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
        }
        assertEquals(2, cq4Files(dir).size());
        try (JournalWriter writer = new JournalWriter(dir, TestRollCycles.TEST_SECONDLY, clock, Durability.SYNCED))
        {
            // Closing forced document 8; reopening forces the tail again, whatever wrote it.
            assertEquals(8, writer.lastSequence());
            assertEquals(8, writer.syncedSequence());
            assertEquals(1, writer.fileForces());
        }
        assertEquals(8, verifyAll(dir));
    }

    @Test
    void aRollForcesTheDocumentsLeftInTheOldFileEvenBeforeAnySync()
    {
        final SetTimeProvider clock = new SetTimeProvider(BASE_TIMESTAMP_NS);
        final Random random = new Random(44L);
        try (JournalWriter writer = new JournalWriter(tempDir.resolve("roll"), TestRollCycles.TEST_SECONDLY, clock,
            Durability.SYNCED))
        {
            for (int i = 0; i < 3; i++)
            {
                SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            }
            assertEquals(0, writer.fileForces(), "appending alone forces nothing");
            clock.advanceMillis(1_000);
            SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            assertEquals(1, writer.fileForces(), "the first file, never synced, is forced before the roll leaves it");
            assertEquals(4, writer.sync());
            assertEquals(2, writer.fileForces());
        }
        // The same for a genesis alone in its file.
        try (JournalWriter writer = new JournalWriter(tempDir.resolve("genesis"), TestRollCycles.TEST_SECONDLY, clock,
            Durability.SYNCED))
        {
            final org.agrona.concurrent.UnsafeBuffer command = new org.agrona.concurrent.UnsafeBuffer(new byte[16]);
            writer.appendGenesis(0, command, 0, 16, command, 0, 0, 0);
            clock.advanceMillis(1_000);
            SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            assertEquals(1, writer.fileForces(), "the genesis's file is forced before the roll leaves it");
        }
    }

    @Test
    void aFailedAppendAfterARollLeavesSyncReportingEveryDocumentItForced() throws IOException
    {
        final Path dir = tempDir.resolve("blocked");
        final SetTimeProvider clock = new SetTimeProvider(BASE_TIMESTAMP_NS);
        final Random random = new Random(45L);
        try (JournalWriter writer = new JournalWriter(dir, TestRollCycles.TEST_SECONDLY, clock, Durability.SYNCED))
        {
            for (int i = 0; i < 3; i++)
            {
                SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            }
            assertEquals(3, writer.sync());
            SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer);
            // The next second's file name is taken by a directory: the roll forces the old file, then the write fails.
            final java.time.format.DateTimeFormatter format = java.time.format.DateTimeFormatter
                .ofPattern("yyyyMMdd-HHmmss'T'").withZone(java.time.ZoneOffset.UTC);
            final String name = cq4Files(dir).get(0).getFileName().toString();
            final java.time.Instant second = java.time.Instant.from(format.parse(name.substring(0, name.length() - 4)));
            Files.createDirectory(dir.resolve(format.format(second.plusSeconds(1)) + ".cq4"));
            clock.advanceMillis(1_000);
            // Chronicle throws a FileNotFoundException undeclared; the writer reports it as it declares.
            final UncheckedIOException thrown = assertThrows(UncheckedIOException.class,
                () -> SampleDocument.random(random, BASE_TIMESTAMP_NS, 2, 30).appendTo(writer));
            assertTrue(thrown.getMessage().contains("cannot write document 6"), thrown.getMessage());
            assertEquals(5, writer.lastSequence());

            assertEquals(5, writer.sync(), "documents 4 and 5 are forced and reported synced");
            assertEquals(5, writer.syncedSequence());
        }
        catch (final RuntimeException closing)
        {
            // Closing a queue whose next file is blocked may fail; what matters was asserted above.
        }
    }

    @Test
    void syncedAndPageCacheWritersWriteTheSameChainAndOnlySyncedForces()
    {
        final byte[][] heads = new byte[2][JournalDocument.HASH_LENGTH];
        int i = 0;
        for (final Durability durability : Durability.values())
        {
            final Path dir = tempDir.resolve(durability.name());
            final Random random = new Random(44L);
            try (JournalWriter writer = new JournalWriter(dir, JournalWriter.DEFAULT_PREALLOCATION_BYTES, durability))
            {
                for (int n = 1; n <= 200; n++)
                {
                    SampleDocument.random(random, BASE_TIMESTAMP_NS + n, 3, 60).appendTo(writer);
                    if (n % 50 == 0)
                    {
                        assertEquals(durability == Durability.SYNCED ? n : 0, writer.sync());
                    }
                }
                assertEquals(durability == Durability.SYNCED ? 4 : 0, writer.fileForces());
                writer.lastHash(heads[i++]);
            }
            assertEquals(200, verifyAll(dir));
        }
        assertArrayEquals(heads[0], heads[1]);
    }

    @Test
    void tailerOnlyEverSeesWholeDocumentsWhileWriterAppends() throws Exception
    {
        final Path dir = tempDir.resolve("journal");
        final int documents = 20_000;
        final AtomicReference<Throwable> writerFailure = new AtomicReference<>();

        try (JournalWriter writer = new JournalWriter(dir); JournalReader reader = new JournalReader(dir))
        {
            final Thread appender = new Thread(() ->
            {
                try
                {
                    final Random random = new Random(51L);
                    final ExpandableArrayBuffer command = new ExpandableArrayBuffer();
                    final ExpandableArrayBuffer events = new ExpandableArrayBuffer();
                    for (int i = 0; i < documents; i++)
                    {
                        SampleDocument.random(random, BASE_TIMESTAMP_NS + i, 8, 400).appendTo(writer, command, events);
                    }
                }
                catch (final Throwable t)
                {
                    writerFailure.set(t);
                }
            }, "journal-appender");
            appender.start();

            final HashChainVerifier verifier = new HashChainVerifier();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int read = 0;
            while (read < documents && System.nanoTime() < deadlineNs && null == writerFailure.get())
            {
                if (reader.next(doc))
                {
                    final int result = verifier.verify(doc);
                    assertEquals(HashChainVerifier.OK, result,
                        () -> "document " + verifier.expectedSequence() + ": " + HashChainVerifier.resultName(result));
                    read++;
                }
                else
                {
                    Thread.onSpinWait();
                }
            }
            appender.join(TimeUnit.SECONDS.toMillis(10));

            assertNull(writerFailure.get());
            assertEquals(documents, read);
            assertEquals(documents, verifier.lastSequence());
        }
    }

    @Test
    void verifierPassesOnCleanJournalOfTenThousandDocuments()
    {
        final Path dir = tempDir.resolve("journal");
        writeRandom(dir, 10_000, 61L);

        assertEquals(10_000, verifyAll(dir));
    }

    /**
     * Document 20 of 50 has a 40-byte command and three 24-byte event frames, so: header 0-63 (sequence 0,
     * timestamp 8, commandLength 16, eventsLength 20, eventCount 24, formatVersion 28, previousHash 32-63), command
     * 64-103, events 104-187 (length fields at 104, 132, 160), hash 188-219.
     */
    @ParameterizedTest(name = "{0} at document byte {1} -> {2}")
    @CsvSource({
        "sequence,        0, HASH_MISMATCH",
        "timestamp,       9, HASH_MISMATCH",
        "commandLength,  16, MALFORMED",
        "eventsLength,   20, MALFORMED",
        "eventCount,     24, MALFORMED",
        "formatVersion,  28, MALFORMED",
        "previousHash,   47, HASH_MISMATCH",
        "command,        64, HASH_MISMATCH",
        "command,       103, HASH_MISMATCH",
        "eventLength,   132, MALFORMED",
        "eventFrame,    140, HASH_MISMATCH",
        "eventFrame,    187, HASH_MISMATCH",
        "hash,          188, HASH_MISMATCH",
        "hash,          219, HASH_MISMATCH",
    })
    void flippedByteIsReportedAtTheDamagedDocument(final String field, final int byteInDocument, final String expected)
        throws IOException
    {
        final Path dir = tempDir.resolve("journal");
        final int damagedSequence = 20;
        writeFixed(dir, 50);

        flipByte(dir, damagedSequence, byteInDocument);

        final HashChainVerifier verifier = new HashChainVerifier();
        int firstFailure = HashChainVerifier.OK;
        try (JournalReader reader = new JournalReader(dir))
        {
            while (reader.next(doc))
            {
                firstFailure = verifier.verify(doc);
                if (HashChainVerifier.OK != firstFailure)
                {
                    break;
                }
            }
        }

        assertEquals(expected, HashChainVerifier.resultName(firstFailure), field);
        assertEquals(damagedSequence, verifier.expectedSequence());
        assertEquals(damagedSequence - 1, verifier.lastSequence());
    }

    @Test
    void writerRefusesToExtendADamagedLastDocument() throws IOException
    {
        final Path dir = tempDir.resolve("journal");
        writeFixed(dir, 5);
        flipByte(dir, 5, 70);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> new JournalWriter(dir));
        assertTrue(ex.getMessage().contains(dir.toAbsolutePath().toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("fails its hash"), ex.getMessage());
    }

    @Test
    void readerRejectsMissingDirectoryWithoutCreatingIt()
    {
        final Path dir = tempDir.resolve("absent");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new JournalReader(dir));
        assertTrue(ex.getMessage().contains(dir.toAbsolutePath().toString()), ex.getMessage());
        assertFalse(Files.exists(dir));
    }

    @Test
    void readerRejectsDirectoryHoldingNoQueueWithoutWritingToIt() throws IOException
    {
        final Path dir = Files.createDirectory(tempDir.resolve("empty"));

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new JournalReader(dir));
        assertTrue(ex.getMessage().contains(dir.toAbsolutePath().toString()), ex.getMessage());
        try (Stream<Path> files = Files.list(dir))
        {
            assertEquals(0, files.count());
        }
    }

    @Test
    void appendRejectsInconsistentLengthsAndKeepsTheChainHead()
    {
        final Path dir = tempDir.resolve("journal");
        try (JournalWriter writer = new JournalWriter(dir))
        {
            final UnsafeBuffer command = new UnsafeBuffer(new byte[16]);
            final UnsafeBuffer events = new UnsafeBuffer(new byte[32]);
            events.putInt(0, 20, JournalDocument.BYTE_ORDER);

            assertThrows(IllegalArgumentException.class, () -> writer.append(1, command, 0, 16, events, 0, 32, 1));
            assertThrows(IllegalArgumentException.class, () -> writer.append(1, command, 0, 16, events, 0, 24, 2));
            assertThrows(IllegalArgumentException.class, () -> writer.append(1, command, 0, -1, events, 0, 24, 1));
            assertThrows(IllegalArgumentException.class,
                () -> writer.append(1, command, 0, JournalWriter.MAX_DOCUMENT_LENGTH - 96, events, 0, 24, 1));
            assertEquals(0, writer.lastSequence());

            assertEquals(1, writer.append(1, command, 0, 16, events, 0, 24, 1));
        }
        assertEquals(1, verifyAll(dir));
    }

    @Test
    void appendAllocatesNothingInSteadyState()
    {
        final Path dir = tempDir.resolve("journal");
        final Random random = new Random(71L);
        final SampleDocument[] samples = new SampleDocument[64];
        for (int i = 0; i < samples.length; i++)
        {
            samples[i] = SampleDocument.random(random, BASE_TIMESTAMP_NS + i, 4, 100);
        }
        final ExpandableArrayBuffer command = new ExpandableArrayBuffer(4096);
        final ExpandableArrayBuffer events = new ExpandableArrayBuffer(4096);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

        try (JournalWriter writer = new JournalWriter(dir))
        {
            // Until C2 has compiled the whole append path, interpreted frames allocate what escape analysis removes.
            for (int i = 0; i < WARM_UP_APPENDS; i++)
            {
                samples[i & 63].appendTo(writer, command, events);
            }

            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < MEASURED_APPENDS; i++)
            {
                samples[i & 63].appendTo(writer, command, events);
            }
            final long allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;

            assertTrue(allocatedBytes <= STEADY_STATE_ALLOCATION_BOUND_BYTES,
                () -> allocatedBytes + " bytes allocated by " + MEASURED_APPENDS + " steady-state appends");
        }
    }

    private static List<SampleDocument> writeRandom(final Path dir, final int count, final long seed)
    {
        final Random random = new Random(seed);
        final List<SampleDocument> written = new ArrayList<>(count);
        try (JournalWriter writer = new JournalWriter(dir))
        {
            for (int i = 0; i < count; i++)
            {
                final SampleDocument sample = SampleDocument.random(random, BASE_TIMESTAMP_NS + 1_000L * i, 5, 120);
                assertEquals(i + 1, sample.appendTo(writer));
                written.add(sample);
            }
        }

        return written;
    }

    private static void writeFixed(final Path dir, final int count)
    {
        final Random random = new Random(81L);
        try (JournalWriter writer = new JournalWriter(dir))
        {
            for (int i = 1; i <= count; i++)
            {
                SampleDocument.fixed(random, timestampOfFixed(i), 40, 3, 24).appendTo(writer);
            }
        }
    }

    private static long timestampOfFixed(final long sequence)
    {
        return BASE_TIMESTAMP_NS + 1_000L * sequence;
    }

    /**
     * Finds the document by its sequence and timestamp, which together occur once in the queue files, and flips
     * every bit of one of its bytes in place.
     */
    private static void flipByte(final Path dir, final long sequence, final int byteInDocument) throws IOException
    {
        final byte[] prefix = new byte[16];
        final UnsafeBuffer prefixBuffer = new UnsafeBuffer(prefix);
        prefixBuffer.putLong(0, sequence, JournalDocument.BYTE_ORDER);
        prefixBuffer.putLong(8, timestampOfFixed(sequence), JournalDocument.BYTE_ORDER);

        for (final Path file : cq4Files(dir))
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
                final long position = indexOf(mapped, prefix);
                if (position >= 0)
                {
                    final long target = position + byteInDocument;
                    final byte flipped = (byte)~mapped.get((int)target);
                    channel.write(ByteBuffer.wrap(new byte[] {flipped}), target);
                    return;
                }
            }
        }
        throw new AssertionError("document " + sequence + " not found in " + dir);
    }

    private static long indexOf(final MappedByteBuffer haystack, final byte[] needle)
    {
        final int limit = haystack.limit() - needle.length;
        outer:
        for (int i = 0; i <= limit; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack.get(i + j) != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }

        return -1;
    }

    private static List<Path> cq4Files(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().toList();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return number of documents, all of which must verify.
     */
    private long verifyAll(final Path dir)
    {
        final HashChainVerifier verifier = new HashChainVerifier();
        try (JournalReader reader = new JournalReader(dir))
        {
            while (reader.next(doc))
            {
                final int result = verifier.verify(doc);
                assertEquals(HashChainVerifier.OK, result,
                    () -> "document " + verifier.expectedSequence() + ": " + HashChainVerifier.resultName(result));
            }
        }

        return verifier.lastSequence();
    }

    private static byte[] copy(final JournalDocument doc, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        doc.buffer().getBytes(offset, bytes);
        return bytes;
    }

    private static byte[] hashOf(final JournalDocument doc)
    {
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        doc.hash(hash);
        return hash;
    }

    private static byte[] previousHashOf(final JournalDocument doc)
    {
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        doc.previousHash(hash);
        return hash;
    }
}
