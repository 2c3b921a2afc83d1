package io.clearing.engine.cli;

import io.clearing.engine.ClearingEngine;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.settlement.journal.JournalDocument;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./clearing audit}, in-process: passes on an intact journal, fails naming the document whose byte flipped. */
final class AuditCommandTest
{
    private static final long START_NANOS = 1_767_225_600_000_000_000L;
    private static final int DOCUMENTS = 6;
    private static final int DAMAGED_SEQUENCE = 4;
    /** The low byte of the Deposit's amount: header, command header, then the amount at body offset 16. */
    private static final int AMOUNT_BYTE_IN_DOCUMENT = JournalDocument.HEADER_LENGTH + 8 + 16;

    @TempDir
    Path tempDir;
    private Path journal;

    @BeforeEach
    void writeJournal() throws InterruptedException
    {
        journal = tempDir.resolve("journal");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        try (ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal)
            .accountCapacity(ClearingCli.DEFAULT_ACCOUNT_CAPACITY).build())
        {
            engine.start();
            final AssetDefinitionEncoder usdc = new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
                .timestamp(timestamp(1)).assetId(0).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000);
            engine.submit(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + usdc.encodedLength());
            for (int sequence = 2; sequence <= DOCUMENTS; sequence++)
            {
                final DepositEncoder deposit = new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .timestamp(timestamp(sequence)).accountId(16 + sequence).assetId(0).amount(100_000_000L * sequence);
                engine.submit(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + deposit.encodedLength());
            }
            while (engine.lastSequence() < DOCUMENTS)
            {
                Thread.sleep(1);
            }
        }
    }

    @Test
    void passesOnTheIntactJournal()
    {
        final CliRun outcome = audit();
        assertEquals(0, outcome.exitCode());
        assertTrue(outcome.output().startsWith("audit OK: " + DOCUMENTS + " documents, last sequence " + DOCUMENTS),
            outcome.output());
    }

    @Test
    void failsNamingTheDocumentWithAFlippedByte() throws IOException
    {
        flipByte(DAMAGED_SEQUENCE, AMOUNT_BYTE_IN_DOCUMENT);

        final CliRun outcome = audit();

        assertEquals(1, outcome.exitCode());
        assertTrue(outcome.output().startsWith("audit FAILED at sequence " + DAMAGED_SEQUENCE + ":"), outcome.output());
    }

    @Test
    void writesTheResultAsJsonWhenAsked(@org.junit.jupiter.api.io.TempDir final Path out) throws IOException
    {
        final Path file = out.resolve("audit.json");
        assertEquals(0, new CommandLine(new ClearingCli()).execute("audit", "--journal", journal.toString(),
            "--json", file.toString()));
        final com.fasterxml.jackson.databind.JsonNode ok = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(file.toFile());
        assertTrue(ok.get("ok").asBoolean());
        assertEquals(DOCUMENTS, ok.get("documents").asLong());
        assertEquals(64, ok.get("finalHash").asText().length());

        flipByte(DAMAGED_SEQUENCE, AMOUNT_BYTE_IN_DOCUMENT);
        assertEquals(1, new CommandLine(new ClearingCli()).execute("audit", "--journal", journal.toString(),
            "--json", file.toString()));
        final com.fasterxml.jackson.databind.JsonNode failed = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(file.toFile());
        assertEquals(false, failed.get("ok").asBoolean());
        assertEquals(DAMAGED_SEQUENCE, failed.get("failedSequence").asLong());
        assertTrue(failed.get("failure").asText().length() > 0);
    }

    private CliRun audit()
    {
        return CliRun.of("audit", "--journal", journal.toString());
    }

    private static long timestamp(final long sequence)
    {
        return START_NANOS + sequence;
    }

    /**
     * Finds the document by its sequence and timestamp, which together occur once in the queue files, and flips every
     * bit of one of its bytes in place.
     */
    private void flipByte(final long sequence, final int byteInDocument) throws IOException
    {
        final byte[] prefix = new byte[16];
        final UnsafeBuffer prefixBuffer = new UnsafeBuffer(prefix);
        prefixBuffer.putLong(JournalDocument.SEQUENCE_OFFSET, sequence, JournalDocument.BYTE_ORDER);
        prefixBuffer.putLong(JournalDocument.TIMESTAMP_OFFSET, timestamp(sequence), JournalDocument.BYTE_ORDER);
        for (final Path file : cq4Files())
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
                final int position = indexOf(mapped, prefix);
                if (position >= 0)
                {
                    final int target = position + byteInDocument;
                    channel.write(ByteBuffer.wrap(new byte[] {(byte)~mapped.get(target)}), target);
                    return;
                }
            }
        }
        throw new AssertionError("document " + sequence + " not found in " + journal);
    }

    /** @return where {@code needle} first stands in {@code haystack}, or -1. */
    static int indexOf(final MappedByteBuffer haystack, final byte[] needle)
    {
        outer:
        for (int i = 0, limit = haystack.limit() - needle.length; i <= limit; i++)
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

    private List<Path> cq4Files() throws IOException
    {
        try (Stream<Path> files = Files.list(journal))
        {
            return files.filter(path -> path.getFileName().toString().endsWith(".cq4")).sorted().toList();
        }
    }
}
