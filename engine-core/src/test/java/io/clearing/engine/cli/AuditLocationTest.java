package io.clearing.engine.cli;

import io.clearing.engine.ClearingEngine;
import io.clearing.engine.SnapshotStore;
import io.clearing.engine.audit.Auditor;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A flipped bit in a document's own sequence field fails the audit - whole, in stretches or from a snapshot - and is
 * located by the document's place in the chain, not by what the damaged field claims; a genesis claiming another
 * sequence is still the genesis. Journal: genesis (0), AssetDefinition (1), Deposits (2..5); with snapshots, one at 4.
 */
final class AuditLocationTest
{
    private static final long START_NANOS = 1_767_225_600_000_000_000L;
    private static final int DOCUMENTS = 5;

    @TempDir
    Path tempDir;

    private Path writeJournal(final long snapshotEvery) throws InterruptedException
    {
        final Path journal = tempDir.resolve("journal");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        try (ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal)
            .accountCapacity(ClearingCli.DEFAULT_ACCOUNT_CAPACITY).snapshotEvery(snapshotEvery).build())
        {
            engine.start();
            final AssetDefinitionEncoder usdc = new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
                .timestamp(START_NANOS + 1).assetId(0).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000);
            engine.submit(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + usdc.encodedLength());
            for (int sequence = 2; sequence <= DOCUMENTS; sequence++)
            {
                final DepositEncoder deposit = new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .timestamp(START_NANOS + sequence).accountId(16 + sequence).assetId(0)
                    .amount(100_000_000L * sequence);
                engine.submit(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + deposit.encodedLength());
            }
            while (engine.lastSequence() < DOCUMENTS)
            {
                Thread.sleep(1);
            }
        }
        return journal;
    }

    /**
     * The last document (5) follows the last snapshot (4); one bit of its sequence field flips, so it claims 4. Every
     * way of auditing fails at 5 (the segmented audit and --snapshot once took the journal to end at 4 and passed).
     */
    @Test
    void aFlippedBitInTheDocumentAfterTheLastSnapshotIsDetected() throws Exception
    {
        final Path journal = writeJournal(4);
        final Path snapshot = journal.resolve(SnapshotStore.DIRECTORY_NAME).resolve(SnapshotStore.fileName(4));
        assertTrue(Files.isRegularFile(snapshot));
        assertEquals(0, CliRun.of("audit", "--journal", journal.toString()).exitCode(), "intact journal audits");

        xorByte(journal, 5, 0, 0x01); // sequence 5 -> 4

        final CliRun oneThread = CliRun.of("audit", "--journal", journal.toString(), "--no-snapshots");
        assertEquals(1, oneThread.exitCode(), oneThread.output());
        assertTrue(oneThread.output().startsWith("audit FAILED at sequence 5:"), oneThread.output());
        final CliRun segmented = CliRun.of("audit", "--journal", journal.toString(), "--workers", "1");
        assertEquals(1, segmented.exitCode(), "default audit: " + segmented.output());
        assertTrue(segmented.output().contains("audit FAILED at sequence 5:"), segmented.output());
        final CliRun fromSnapshot = CliRun.of("audit", "--journal", journal.toString(), "--snapshot",
            snapshot.toString());
        assertEquals(1, fromSnapshot.exitCode(), "--snapshot: " + fromSnapshot.output());
        assertTrue(fromSnapshot.output().startsWith("audit FAILED at sequence 5:"), fromSnapshot.output());
    }

    /** Every bit of byte 0 of document 4's sequence flips: it claims 251, and the audit names 4. */
    @Test
    void aFlippedSequenceByteIsLocatedAtTheDamagedDocument() throws Exception
    {
        final Path journal = writeJournal(0);
        xorByte(journal, 4, 0, 0xFF);

        final CliRun outcome = CliRun.of("audit", "--journal", journal.toString(), "--no-snapshots");

        assertEquals(1, outcome.exitCode());
        assertTrue(outcome.output().startsWith("audit FAILED at sequence 4:"), outcome.output());
    }

    /** docs/audit.md: "A flipped byte in it [the genesis] fails the audit at sequence 0". */
    @Test
    void aFlippedByteInTheGenesisSequenceFailsAtSequenceZero() throws Exception
    {
        final Path journal = writeJournal(0);
        xorByte(journal, 0, 7, 0x01);

        final Auditor.Result result = new Auditor(ClearingCli.DEFAULT_ACCOUNT_CAPACITY, new RiskParameters())
            .audit(journal);

        assertFalse(result.ok());
        assertEquals(0, result.failedSequence(), result.failure());
        assertTrue(result.failure().startsWith("genesis (sequence 0): hash chain:"), result.failure());
        final CliRun statement = CliRun.of("statement", "--journal", journal.toString(), "--account", "18");
        assertEquals(1, statement.exitCode(), "statement of a journal with a damaged genesis");
    }

    /** A restart on a journal whose genesis claims another sequence is refused, and its snapshots are left alone. */
    @Test
    void aRestartOnAJournalWhoseGenesisClaimsAnotherSequenceIsRefusedAndItsSnapshotsKept() throws Exception
    {
        final Path journal = writeJournal(4);
        final Path snapshot = journal.resolve(SnapshotStore.DIRECTORY_NAME).resolve(SnapshotStore.fileName(4));
        xorByte(journal, 0, 7, 0x01);

        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal)
            .accountCapacity(ClearingCli.DEFAULT_ACCOUNT_CAPACITY).build();
        final IllegalStateException refused = assertThrows(IllegalStateException.class, engine::start);
        engine.close();

        assertTrue(refused.getMessage().contains("its first document is damaged"), refused.getMessage());
        assertTrue(Files.isRegularFile(snapshot), "the snapshot stays where it was");
    }

    /** The top bit of document 4's sequence flips: it claims a negative sequence; every audit names 4. */
    @Test
    void aNegativeSequenceFieldFailsTheAuditAtThatDocument() throws Exception
    {
        final Path journal = writeJournal(0);
        xorByte(journal, 4, 7, 0x80);

        final Auditor auditor = new Auditor(ClearingCli.DEFAULT_ACCOUNT_CAPACITY, new RiskParameters());
        final Auditor.Result segmented = assertDoesNotThrow(() -> auditor.auditInSegments(journal, 1, x -> { }));
        assertFalse(segmented.ok());
        assertEquals(4, segmented.failedSequence(), segmented.failure());
        final Auditor.Result whole = auditor.audit(journal);
        assertFalse(whole.ok());
        assertEquals(4, whole.failedSequence(), whole.failure());
    }

    /**
     * Chronicle's 4-byte excerpt header before a document has a "not complete" bit; set on document 3, readers stop
     * before it. The audit read 2 documents and passed until session 17: it now finds the journal going on past them.
     */
    @Test
    void aDocumentMarkedIncompleteInTheMiddleFailsTheAuditThere() throws Exception
    {
        final Path journal = writeJournal(0);
        xorByte(journal, 3, -1, 0x80);

        final Auditor auditor = new Auditor(ClearingCli.DEFAULT_ACCOUNT_CAPACITY, new RiskParameters());
        final Auditor.Result whole = auditor.audit(journal);
        assertFalse(whole.ok(), "audit passed with " + whole.documents() + " documents");
        assertEquals(3, whole.failedSequence(), whole.failure());
        assertTrue(whole.failure().contains("its last document claims sequence 5"), whole.failure());
        final Auditor.Result segmented = auditor.auditInSegments(journal, 2, x -> { });
        assertFalse(segmented.ok(), "segmented audit passed with " + segmented.documents() + " documents");
        assertEquals(3, segmented.failedSequence(), segmented.failure());
    }

    /**
     * The document right after the last snapshot (at 3) marked incomplete: the stretch after that snapshot once took
     * the journal to end there and the default audit passed; every mode now fails at 4 (review, session 17).
     */
    @Test
    void aDocumentMarkedIncompleteRightAfterTheLastSnapshotFailsEveryAudit() throws Exception
    {
        final Path journal = writeJournal(3);
        final Path snapshot = journal.resolve(SnapshotStore.DIRECTORY_NAME).resolve(SnapshotStore.fileName(3));
        assertTrue(Files.isRegularFile(snapshot));
        xorByte(journal, 4, -1, 0x80);

        final Auditor auditor = new Auditor(ClearingCli.DEFAULT_ACCOUNT_CAPACITY, new RiskParameters());
        final Auditor.Result segmented = auditor.auditInSegments(journal, 2, x -> { });
        assertFalse(segmented.ok(), "segmented audit passed with " + segmented.documents() + " documents");
        assertEquals(4, segmented.failedSequence(), segmented.failure());
        final Auditor.Result fromSnapshot = auditor.auditFromSnapshot(journal, snapshot, x -> { });
        assertFalse(fromSnapshot.ok());
        assertEquals(4, fromSnapshot.failedSequence(), fromSnapshot.failure());
        assertEquals(1, CliRun.of("audit", "--journal", journal.toString()).exitCode());
    }

    /**
     * The last document (5) marked incomplete hides it from readers forward and backward alike; the snapshot the
     * engine wrote at 5 shows that it existed, so the default audit fails at 5 instead of passing with 4.
     */
    @Test
    void aLastDocumentMarkedIncompleteFailsTheAuditByTheSnapshotBeyondIt() throws Exception
    {
        final Path journal = writeJournal(5);
        assertTrue(Files.isRegularFile(journal.resolve(SnapshotStore.DIRECTORY_NAME)
            .resolve(SnapshotStore.fileName(5))));
        xorByte(journal, 5, -1, 0x80);

        final CliRun segmented = CliRun.of("audit", "--journal", journal.toString());
        assertEquals(1, segmented.exitCode(), segmented.output());
        assertTrue(segmented.output().contains("audit FAILED at sequence 5: the journal ends at sequence 4, but " +
            "snapshot"), segmented.output());
    }

    /**
     * A queue file cut short (here to 1 MiB) opens in Chronicle, reads as ending early or as empty, and faults where
     * its index points past the cut; a restart on it once took the journal for empty and began the chain again. Now
     * the audit fails naming the file, and neither a reader, the CLI's readers nor a restart opens it. Emptied, the
     * same (a reader allows an empty newest file, which Chronicle creates before extending it: the CLI does not).
     */
    @Test
    void aQueueFileCutShortIsRefused() throws Exception
    {
        final Path journal = writeJournal(4);
        final Path file;
        try (Stream<Path> list = Files.list(journal))
        {
            file = list.filter(path -> path.getFileName().toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(1 << 20);
        }

        for (final String mode : new String[] {"--no-snapshots", "--verify-snapshots", "--workers=2"})
        {
            final CliRun audit = CliRun.of("audit", "--journal", journal.toString(), mode);
            assertEquals(1, audit.exitCode(), mode + ": " + audit.output());
            assertTrue(audit.output().contains("audit FAILED: journal ") &&
                audit.output().contains("is 1,048,576 bytes") && audit.output().contains("cut short"),
                mode + ": " + audit.output());
        }
        final IllegalStateException reader = assertThrows(IllegalStateException.class,
            () -> new JournalReader(journal).close());
        assertTrue(reader.getMessage().contains("cut short"), reader.getMessage());
        assertEquals(1, CliRun.of("statement", "--journal", journal.toString(), "--account", "18").exitCode());
        assertEquals(1, CliRun.of("dump", "--journal", journal.toString()).exitCode());
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal)
            .accountCapacity(ClearingCli.DEFAULT_ACCOUNT_CAPACITY).build();
        final IllegalStateException restart = assertThrows(IllegalStateException.class, engine::start);
        engine.close();
        assertTrue(restart.getMessage().contains("cut short") &&
            restart.getMessage().contains("refusing to extend a damaged chain"), restart.getMessage());
        assertEquals(3, CliRun.of("recover", "--journal", journal.toString()).exitCode());

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(0);
        }
        final String fromSnapshot = "--snapshot=" + journal.resolve(SnapshotStore.DIRECTORY_NAME)
            .resolve(SnapshotStore.fileName(4));
        for (final String mode : new String[] {"--no-snapshots", "--workers=2", fromSnapshot})
        {
            final CliRun audit = CliRun.of("audit", "--journal", journal.toString(), mode);
            assertEquals(1, audit.exitCode(), mode + ": " + audit.output());
            assertTrue(audit.output().contains("is 0 bytes"), mode + ": " + audit.output());
        }
        assertEquals(1, CliRun.of("statement", "--journal", journal.toString(), "--account", "18").exitCode());
        assertEquals(1, CliRun.of("dump", "--journal", journal.toString()).exitCode());
        assertEquals(3, CliRun.of("recover", "--journal", journal.toString()).exitCode());
    }

    /**
     * A flipped bit in the first byte of Chronicle's metadata file (its header's length) made Chronicle read past the
     * file's mapping: a raw InternalError from every tool. Now each says the queue cannot be opened.
     */
    @Test
    void aDamagedQueueMetadataFileFailsTheAuditWithoutAStackTrace() throws Exception
    {
        final Path journal = writeJournal(4);
        final Path metadata = journal.resolve("metadata.cq4t");
        try (FileChannel channel = FileChannel.open(metadata, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer first = ByteBuffer.allocate(1);
            channel.read(first, 0);
            channel.write(ByteBuffer.wrap(new byte[] {(byte)(first.get(0) ^ 1)}), 0);
        }

        for (final String mode : new String[] {"--no-snapshots", "--workers=2"})
        {
            final CliRun audit = CliRun.of("audit", "--journal", journal.toString(), mode);
            assertEquals(1, audit.exitCode(), mode + ": " + audit.output());
            assertTrue(audit.output().startsWith("audit FAILED: journal ") &&
                audit.output().contains("its queue cannot be opened"), mode + ": " + audit.output());
        }
        assertEquals(1, CliRun.of("statement", "--journal", journal.toString(), "--account", "18").exitCode());
        assertEquals(3, CliRun.of("recover", "--journal", journal.toString()).exitCode());
    }

    /**
     * A flipped byte in the header Chronicle writes at the start of a queue file (bytes 6 and 19: its first
     * message's type name) made every tool print Chronicle's exception - some of them checked exceptions it throws
     * undeclared. Now each says the file cannot be opened.
     */
    @Test
    void aDamagedQueueFileHeaderFailsTheAuditWithoutAStackTrace() throws Exception
    {
        for (final int offset : new int[] {6, 19})
        {
            final Path journal = writeJournal(4);
            final Path file;
            try (Stream<Path> list = Files.list(journal))
            {
                file = list.filter(path -> path.getFileName().toString().endsWith(".cq4")).findFirst().orElseThrow();
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final ByteBuffer one = ByteBuffer.allocate(1);
                channel.read(one, offset);
                channel.write(ByteBuffer.wrap(new byte[] {(byte)(one.get(0) ^ 1)}), offset);
            }

            for (final String mode : new String[] {"--no-snapshots", "--workers=2"})
            {
                final CliRun audit = CliRun.of("audit", "--journal", journal.toString(), mode);
                assertEquals(1, audit.exitCode(), offset + " " + mode + ": " + audit.output());
                assertTrue(audit.output().startsWith("audit FAILED: journal ") &&
                    audit.output().contains("its first queue file cannot be opened"),
                    offset + " " + mode + ": " + audit.output());
            }
            assertEquals(1, CliRun.of("statement", "--journal", journal.toString(), "--account", "18").exitCode());
            assertEquals(1, CliRun.of("dump", "--journal", journal.toString()).exitCode());
            assertEquals(3, CliRun.of("recover", "--journal", journal.toString()).exitCode());
            // A restart that skips the genesis read (simulate --resume, run --journal) meets it in the writer.
            final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal)
                .accountCapacity(ClearingCli.DEFAULT_ACCOUNT_CAPACITY).build();
            assertThrows(IllegalStateException.class, engine::start, "offset " + offset);
            engine.close();
            deleteRecursively(journal);
        }
    }

    private static void deleteRecursively(final Path directory) throws IOException
    {
        try (Stream<Path> walk = Files.walk(directory))
        {
            for (final Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
            }
        }
    }

    /**
     * Reads document {@code ordinal} (0 = the genesis) through a JournalReader, finds its 64-byte header in the queue
     * files and XORs one of its bytes in place (byte -1 is the top byte of Chronicle's excerpt header before it).
     */
    private static void xorByte(final Path journal, final int ordinal, final int byteInDocument, final int mask)
        throws IOException
    {
        final byte[] needle = new byte[JournalDocument.HEADER_LENGTH];
        try (JournalReader reader = new JournalReader(journal))
        {
            final JournalDocument document = new JournalDocument();
            for (int i = 0; i <= ordinal; i++)
            {
                assertTrue(reader.next(document));
            }
            document.buffer().getBytes(document.offset(), needle);
        }
        final List<Path> files;
        try (Stream<Path> list = Files.list(journal))
        {
            files = list.filter(path -> path.getFileName().toString().endsWith(".cq4")).sorted().toList();
        }
        for (final Path file : files)
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
                final int position = AuditCommandTest.indexOf(mapped, needle);
                if (position >= 0)
                {
                    final int target = position + byteInDocument;
                    channel.write(ByteBuffer.wrap(new byte[] {(byte)(mapped.get(target) ^ mask)}), target);
                    return;
                }
            }
        }
        throw new AssertionError("document " + ordinal + " not found in " + journal);
    }
}
