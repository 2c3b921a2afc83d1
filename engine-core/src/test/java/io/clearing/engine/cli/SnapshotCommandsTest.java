package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.engine.SnapshotCodec;
import io.clearing.engine.SnapshotStore;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code audit --snapshot}, {@code audit --verify-snapshots}, the segmented {@code audit --workers N} and
 * {@code recover}, in-process, on a simulate journal
 * with a snapshot every 5,000 documents.
 */
final class SnapshotCommandsTest
{
    private static final int DOCUMENTS = 20_000;

    @TempDir
    static Path shared;
    private static Path journal;
    private static long last;
    private static String fullAuditHash;

    @TempDir
    Path work;

    @BeforeAll
    static void simulate()
    {
        journal = shared.resolve("journal");
        assertEquals(0, new CommandLine(new ClearingCli()).execute("simulate", "--journal", journal.toString(),
            "--accounts", "400", "--commands", Integer.toString(DOCUMENTS), "--seed", "5", "--snapshot-every", "5000",
            "--snapshots-kept", "4"));
        try (io.clearing.settlement.journal.JournalReader reader =
            new io.clearing.settlement.journal.JournalReader(journal))
        {
            last = reader.lastSequence();
        }
        final CliRun audit = run("audit", "--journal", journal.toString(), "--no-snapshots");
        assertEquals(0, audit.exitCode(), audit.output());
        assertTrue(!audit.output().contains("segment"), "the journal alone, from its first document");
        fullAuditHash = audit.output().replaceAll("(?s).*final hash ([0-9a-f]{64}).*", "$1");
    }

    @Test
    void verifySnapshotsProvesEverySnapshotIdenticalToTheReexecutedState()
    {
        final CliRun outcome = run("audit", "--journal", journal.toString(), "--verify-snapshots");

        assertEquals(0, outcome.exitCode(), outcome.output());
        for (final long sequence : new long[] {5_000, 10_000, 15_000, 20_000})
        {
            assertTrue(outcome.output().contains("snapshot " + SnapshotStore.fileName(sequence) + " (sequence " +
                sequence + "): identical, "), outcome.output());
        }
        assertTrue(outcome.output().contains(String.format("audit OK: %,d documents, last sequence %d, final hash %s",
            last, last, fullAuditHash)), outcome.output());
    }

    @Test
    void auditFromASnapshotReexecutesOnlyTheDocumentsAfterItToTheSameFinalHash()
    {
        final CliRun outcome = run("audit", "--journal", journal.toString(), "--snapshot",
            snapshot(journal, 10_000).toString());

        assertEquals(0, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().startsWith(String.format("audit OK: %,d documents after the snapshot at " +
            "sequence 10000, last sequence %d, final hash %s", last - 10_000, last, fullAuditHash)), outcome.output());
    }

    @Test
    void verifySnapshotsWritesEachCheckAsJson() throws IOException
    {
        final Path json = work.resolve("audit.json");
        assertEquals(0, run("audit", "--journal", journal.toString(), "--verify-snapshots", "--json",
            json.toString()).exitCode());

        final JsonNode result = new ObjectMapper().readTree(json.toFile());
        assertTrue(result.get("ok").asBoolean());
        assertEquals(4, result.get("snapshots").size());
        for (final JsonNode check : result.get("snapshots"))
        {
            assertTrue(check.get("identical").asBoolean(), check.toString());
        }
    }

    @Test
    void aResealedSnapshotWithAlteredStateFailsVerification() throws IOException
    {
        final Path copy = copyJournal();
        final Path altered = snapshot(copy, 15_000);
        final long at = Files.size(altered) / 2;
        reseal(altered, at);

        final CliRun outcome = run("audit", "--journal", journal.toString(), "--verify-snapshots",
            "--json", work.resolve("r.json").toString());
        assertEquals(0, outcome.exitCode(), "the original journal's snapshots are untouched");

        final CliRun verify = run("audit", "--journal", copy.toString(), "--verify-snapshots");
        assertEquals(1, verify.exitCode(), verify.output());
        assertTrue(verify.output().contains("snapshot " + SnapshotStore.fileName(15_000) + " (sequence 15000): " +
            "DIFFERS: differs from the re-executed state at byte " + at), verify.output());
        assertTrue(verify.output().contains("audit FAILED: a snapshot differs from the re-executed state"),
            verify.output());
    }

    @Test
    void auditFromACorruptSnapshotFailsNamingIt() throws IOException
    {
        final Path corrupt = work.resolve(SnapshotStore.fileName(10_000));
        Files.copy(snapshot(journal, 10_000), corrupt);
        flipABitOf(corrupt);

        final CliRun outcome = run("audit", "--journal", journal.toString(), "--snapshot", corrupt.toString());

        assertEquals(1, outcome.exitCode());
        assertEquals("audit FAILED: snapshot " + SnapshotStore.fileName(10_000) +
            ": content hash mismatch: the file is corrupt\n", outcome.output());
    }

    @Test
    void segmentsBetweenSnapshotsReExecutedSideBySideReachTheSequentialResult()
    {
        final CliRun outcome = run("audit", "--journal", journal.toString(), "--workers", "3");

        assertEquals(0, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("segment 1..5000 from a fresh engine: 5,000 documents in "),
            outcome.output());
        for (final long from : new long[] {5_000, 10_000, 15_000})
        {
            assertTrue(outcome.output().contains(String.format("segment %d..%d from %s: 5,000 documents in ",
                from + 1, from + 5_000, SnapshotStore.fileName(from))), outcome.output());
            assertTrue(outcome.output().contains("snapshot " + SnapshotStore.fileName(from + 5_000) + " (sequence " +
                (from + 5_000) + "): identical, "), outcome.output());
        }
        assertTrue(outcome.output().contains(String.format("audit OK: %,d documents, last sequence %d, final hash %s",
            last, last, fullAuditHash)), outcome.output());
    }

    @Test
    void aJournalEndingAtItsLastSnapshotAuditsWithAnEmptyLastStretchAndTheSameFinalHash()
    {
        final Path plain = work.resolve("plain");
        assertEquals(0, new CommandLine(new ClearingCli()).execute("simulate", "--journal", plain.toString(),
            "--accounts", "300", "--commands", "3000", "--seed", "9", "--snapshot-every", "0"));
        final long end;
        try (JournalReader reader = new JournalReader(plain))
        {
            end = reader.lastSequence();
        }
        final CliRun sequential = run("audit", "--journal", plain.toString(), "--no-snapshots");
        assertEquals(0, sequential.exitCode(), sequential.output());
        final String hash = sequential.output().replaceAll("(?s).*final hash ([0-9a-f]{64}).*", "$1");
        // The same run with one snapshot, written at its last document.
        final Path ending = work.resolve("ending");
        assertEquals(0, new CommandLine(new ClearingCli()).execute("simulate", "--journal", ending.toString(),
            "--accounts", "300", "--commands", "3000", "--seed", "9", "--snapshot-every", Long.toString(end)));

        final CliRun segmented = run("audit", "--journal", ending.toString(), "--workers", "2");

        assertEquals(0, segmented.exitCode(), segmented.output());
        assertTrue(segmented.output().contains(String.format("segment 1..%d from a fresh engine: %,d documents in ",
            end, end)), segmented.output());
        assertTrue(segmented.output().contains("segment after " + end + " from " + SnapshotStore.fileName(end) +
            ": no documents after it"), segmented.output());
        assertTrue(segmented.output().contains("snapshot " + SnapshotStore.fileName(end) + " (sequence " + end +
            "): identical, "), segmented.output());
        assertTrue(segmented.output().contains(String.format("audit OK: %,d documents, last sequence %d, final hash %s",
            end, end, hash)), segmented.output());
    }

    @Test
    void aFlippedByteInALaterSegmentFailsTheSegmentedAuditWhereTheSequentialOneFails() throws IOException
    {
        final Path copy = copyJournalFiles();
        final long damaged = 12_345;
        flipByte(copy, damaged, JournalDocument.HEADER_LENGTH + 2);

        final CliRun sequential = run("audit", "--journal", copy.toString(), "--no-snapshots");
        final CliRun segmented = run("audit", "--journal", copy.toString(), "--workers", "2");

        assertEquals(1, sequential.exitCode(), sequential.output());
        assertEquals(1, segmented.exitCode(), segmented.output());
        final String failure = "audit FAILED at sequence " + damaged + ": hash chain: ";
        assertTrue(sequential.output().startsWith(failure), sequential.output());
        assertTrue(segmented.output().contains("segment 10001.." + (damaged - 1) + " from " +
            SnapshotStore.fileName(10_000) + ": 2,344 documents in "), segmented.output());
        assertTrue(segmented.output().contains("\n" + failure), segmented.output());
        assertTrue(segmented.output().contains("(12,344 documents verified before it)"), segmented.output());
    }

    /** Review finding: the seek to a stretch's first document also fails when that document is damaged. */
    @Test
    void aDamagedFirstDocumentOfAStretchFailsTheSegmentedAuditThere() throws IOException
    {
        final Path copy = copyJournalFiles();
        flipByte(copy, 15_001, JournalDocument.SEQUENCE_OFFSET);

        final CliRun sequential = run("audit", "--journal", copy.toString(), "--no-snapshots");
        final CliRun segmented = run("audit", "--journal", copy.toString(), "--workers", "2");

        assertEquals(1, sequential.exitCode(), sequential.output());
        assertEquals(1, segmented.exitCode(), segmented.output());
        assertTrue(sequential.output().contains("audit FAILED at sequence 15001: hash chain: HASH_MISMATCH"),
            sequential.output());
        assertTrue(segmented.output().contains("audit FAILED at sequence 15001: hash chain: HASH_MISMATCH"),
            segmented.output());
    }

    @Test
    void aFileNamedLikeASnapshotBeyondALongIsNotOne() throws IOException
    {
        final Path copy = copyJournal();
        Files.write(copy.resolve(SnapshotStore.DIRECTORY_NAME).resolve("snapshot-99999999999999999999.sbe"),
            new byte[] {1, 2, 3});

        final CliRun outcome = run("audit", "--journal", copy.toString());

        assertEquals(0, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains(String.format("audit OK: %,d documents, last sequence %d, final hash %s",
            last, last, fullAuditHash)), outcome.output());
    }

    @Test
    void aCorruptSnapshotIsNotUsedAndTheSegmentedAuditStillHolds() throws IOException
    {
        final Path copy = copyJournal();
        flipABitOf(snapshot(copy, 10_000));

        final CliRun outcome = run("audit", "--journal", copy.toString(), "--workers", "2");

        assertEquals(0, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("snapshot " + SnapshotStore.fileName(10_000) + " (sequence 10000): " +
            "not used: content hash mismatch: the file is corrupt"), outcome.output());
        assertTrue(outcome.output().contains("segment 5001..15000 from " + SnapshotStore.fileName(5_000) +
            ": 10,000 documents in "), outcome.output());
        assertTrue(outcome.output().contains(String.format("audit OK: %,d documents, last sequence %d, final hash %s",
            last, last, fullAuditHash)), outcome.output());
    }

    @Test
    void aResealedSnapshotWithAlteredStateFailsTheSegmentedAuditAtItsSequence() throws IOException
    {
        final Path copy = copyJournal();
        reseal(snapshot(copy, 15_000), Files.size(snapshot(copy, 15_000)) / 2);

        final CliRun outcome = run("audit", "--journal", copy.toString(), "--workers", "2", "--json",
            work.resolve("segments.json").toString());

        assertEquals(1, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("audit FAILED at sequence 15000: snapshot " +
            SnapshotStore.fileName(15_000) + " is not the state re-executed to its sequence (differs from the " +
            "re-executed state at byte "), outcome.output());
        final JsonNode result = new ObjectMapper().readTree(work.resolve("segments.json").toFile());
        assertEquals(15_000, result.get("failedSequence").asLong());
        assertEquals(5, result.get("segments").size());
        assertEquals(false, result.get("segments").get(2).get("ok").asBoolean());
    }

    @Test
    void recoverReportsTheSnapshotLoadedAndTheTailReplayed()
    {
        final CliRun outcome = run("recover", "--journal", journal.toString());

        assertEquals(0, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("snapshot    " + SnapshotStore.fileName(20_000) +
            " at sequence 20,000, "), outcome.output());
        assertTrue(outcome.output().contains(String.format("replay      %,d documents after it in ", last - 20_000)),
            outcome.output());
    }

    @Test
    void aStatementFromASnapshotEqualsTheStatementReplayedFromTheFirstDocument() throws IOException
    {
        final Path copy = copyJournal();
        // 12,345 lies after the snapshot at 10,000; that snapshot is corrupt (reported on stderr, not used), so the one
        // at 5,000 is: the state from it, re-executed from 5,001, and the history read from the first document.
        flipABitOf(snapshot(copy, 10_000));
        final ObjectMapper mapper = new ObjectMapper();
        for (final int account : new int[] {16, 100, 215})
        {
            final CliRun replayed = run("statement", "--journal", copy.toString(), "--account",
                Integer.toString(account), "--at", "12345", "--json");
            final CliRun fromSnapshot = run("statement", "--journal", copy.toString(), "--account",
                Integer.toString(account), "--at", "12345", "--json", "--from-snapshot");

            assertEquals(0, replayed.exitCode(), replayed.output());
            assertEquals(0, fromSnapshot.exitCode(), fromSnapshot.output());
            final var expected = (ObjectNode)mapper.readTree(replayed.output());
            final var actual = (ObjectNode)mapper.readTree(fromSnapshot.output());
            assertTrue(expected.get("fromSnapshot").isNull());
            assertEquals(SnapshotStore.fileName(5_000), actual.get("fromSnapshot").asText());
            assertTrue(expected.get("history").size() > 0, "account " + account + " has a history");
            expected.remove("fromSnapshot");
            actual.remove("fromSnapshot");
            assertEquals(expected, actual, "account " + account);
        }
    }

    /**
     * The history a statement reports is every event naming the account: checked against `dump --account`, which
     * converts every event to JSON and filters the JSON, for the liquidator (named by liquidatorAccountId), an account
     * it liquidated and an ordinary one.
     */
    @Test
    void aStatementsHistoryIsEveryEventTheDumpShowsForTheAccount() throws IOException
    {
        final ObjectMapper mapper = new ObjectMapper();
        int liquidated = -1;
        for (final String line : run("dump", "--journal", journal.toString()).output().split("\n"))
        {
            for (final var event : mapper.readTree(line).get("events"))
            {
                if ("LiquidationTrade".equals(event.get("type").asText()))
                {
                    assertEquals(3, event.get("liquidatorAccountId").asInt());
                    liquidated = event.get("accountId").asInt();
                    break;
                }
            }
            if (liquidated >= 0)
            {
                break;
            }
        }
        assertTrue(liquidated >= 0, "the crash liquidates someone");
        for (final int account : new int[] {3, liquidated, 100})
        {
            final List<String> dumped = new ArrayList<>();
            for (final String line : run("dump", "--journal", journal.toString(), "--account",
                Integer.toString(account)).output().split("\n"))
            {
                final var node = mapper.readTree(line);
                for (final var event : node.get("events"))
                {
                    dumped.add(node.get("seq").asLong() + " " + event);
                }
            }
            final CliRun statement = run("statement", "--journal", journal.toString(), "--account",
                Integer.toString(account), "--json", "--from-snapshot");
            assertEquals(0, statement.exitCode(), statement.output());
            final List<String> history = new ArrayList<>();
            for (final var entry : mapper.readTree(statement.output()).get("history"))
            {
                final var event = ((ObjectNode)entry).deepCopy();
                final long seq = event.remove("seq").asLong();
                event.remove("timestamp");
                history.add(seq + " " + event);
            }
            assertTrue(dumped.size() > 0, "account " + account);
            assertEquals(dumped, history, "account " + account);
        }
    }

    /** Flips one bit a third of the way into the file: its content hash no longer holds. */
    private static void flipABitOf(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 3] ^= 1;
        Files.write(file, bytes);
    }

    /** @return a journal directory sharing the journal's queue files by symbolic link, with its own snapshots. */
    private Path copyJournal() throws IOException
    {
        return copyJournal("journal-copy", true);
    }

    /** @return a journal directory with copies of the journal's queue files and snapshots, free to damage. */
    private Path copyJournalFiles() throws IOException
    {
        return copyJournal("journal-files", false);
    }

    private Path copyJournal(final String name, final boolean linkQueueFiles) throws IOException
    {
        final Path copy = work.resolve(name);
        Files.createDirectories(copy.resolve(SnapshotStore.DIRECTORY_NAME));
        try (var files = Files.walk(journal))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (!Files.isRegularFile(file))
                {
                    continue;
                }
                final Path target = copy.resolve(journal.relativize(file).toString());
                if (linkQueueFiles && file.getParent().equals(journal))
                {
                    Files.createSymbolicLink(target, file);
                }
                else
                {
                    Files.copy(file, target);
                }
            }
        }
        return copy;
    }

    /** Flips every bit of one byte of a document, found by its sequence and timestamp in the queue files. */
    private static void flipByte(final Path directory, final long sequence, final int byteInDocument)
        throws IOException
    {
        final JournalDocument document = new JournalDocument();
        final long timestamp;
        try (JournalReader reader = new JournalReader(directory))
        {
            assertTrue(reader.seek(sequence) && reader.next(document));
            timestamp = document.timestamp();
        }
        final byte[] prefix = new byte[16];
        final UnsafeBuffer prefixBuffer = new UnsafeBuffer(prefix);
        prefixBuffer.putLong(JournalDocument.SEQUENCE_OFFSET, sequence, JournalDocument.BYTE_ORDER);
        prefixBuffer.putLong(JournalDocument.TIMESTAMP_OFFSET, timestamp, JournalDocument.BYTE_ORDER);
        try (var files = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)files.filter(f -> f.toString().endsWith(".cq4"))::iterator)
            {
                final byte[] bytes = Files.readAllBytes(file);
                for (int i = 0; i + prefix.length <= bytes.length; i++)
                {
                    if (java.util.Arrays.equals(bytes, i, i + prefix.length, prefix, 0, prefix.length))
                    {
                        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                            java.nio.file.StandardOpenOption.WRITE))
                        {
                            channel.write(java.nio.ByteBuffer.wrap(new byte[] {(byte)~bytes[i + byteInDocument]}),
                                i + byteInDocument);
                        }
                        return;
                    }
                }
            }
        }
        throw new AssertionError("document " + sequence + " not found in " + directory);
    }

    /** Changes one byte of the content and recomputes the trailer: intact as a file, wrong as a state. */
    private static void reseal(final Path file, final long position) throws IOException
    {
        final UnsafeBuffer bytes = SnapshotStore.read(file);
        final ExpandableDirectByteBuffer altered = new ExpandableDirectByteBuffer(bytes.capacity());
        altered.putBytes(0, bytes, 0, bytes.capacity());
        altered.putByte((int)position, (byte)(altered.getByte((int)position) ^ 0x10));
        final int length = new SnapshotCodec().seal(altered, bytes.capacity() - SnapshotCodec.TRAILER_LENGTH);
        final byte[] out = new byte[length];
        altered.getBytes(0, out);
        Files.write(file, out);
    }

    private static Path snapshot(final Path journalDirectory, final long sequence)
    {
        return journalDirectory.resolve(SnapshotStore.DIRECTORY_NAME).resolve(SnapshotStore.fileName(sequence));
    }

    private static CliRun run(final String... args)
    {
        return CliRun.of(args);
    }
}
