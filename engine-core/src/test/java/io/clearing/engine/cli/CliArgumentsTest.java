package io.clearing.engine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad arguments to the command line are usage errors (exit 2, nothing done), never a stack trace or a destroyed file:
 * `simulate` once replaced any directory named by --journal and resumed a journal with another seed, `run` lost the
 * lines around a byte that is not UTF-8 and truncated its input given as its output, and `dump`, `statement`, `audit` answered a missing journal with a stack
 * trace or as a journal failing at sequence 1 (from a review in session 11).
 */
final class CliArgumentsTest
{
    private static final String ASSET =
        "{\"type\":\"AssetDefinition\",\"timestamp\":1,\"assetId\":0,\"valuationUnderlyingId\":-1," +
        "\"collateralWeightPpm\":1000000}";

    @TempDir
    Path work;

    @Test
    void simulateWillNotReplaceADirectoryThatHoldsSomethingElseOrAFile() throws IOException
    {
        final Path precious = work.resolve("precious");
        Files.createDirectories(precious);
        Files.writeString(precious.resolve("notes.txt"), "important");
        final Path file = Files.writeString(work.resolve("a-file"), "keep me");

        assertEquals(2, CliRun.of("simulate", "--journal", precious.toString(), "--accounts", "10", "--commands",
            "100").exitCode());
        assertEquals(2, CliRun.of("simulate", "--journal", file.toString(), "--accounts", "10", "--commands",
            "100").exitCode());

        assertEquals("important", Files.readString(precious.resolve("notes.txt")));
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void simulateRefusesOutOfRangeOptionsBeforeTouchingTheJournal() throws IOException
    {
        final Path journal = work.resolve("journal");
        assertEquals(0, CliRun.of("simulate", "--journal", journal.toString(), "--accounts", "10", "--commands",
            "100").exitCode());
        final long size = Files.size(journal.resolve("metadata.cq4t"));

        for (final List<String> options : List.of(List.of("--ring-size", "1000"), List.of("--ring-size", "0"),
            List.of("--insurance-fund", "-5"), List.of("--insurance-fund", "92233720369"),
            List.of("--liquidation-penalty-ppm", "-7"),
            List.of("--summary-json", work.resolve("no/s.json").toString())))
        {
            final String[] args = {"simulate", "--journal", journal.toString(), options.get(0), options.get(1)};
            assertEquals(2, CliRun.of(args).exitCode(), options.toString());
        }
        assertEquals(size, Files.size(journal.resolve("metadata.cq4t")), "the journal is still there");
    }

    @Test
    void resumeRefusesOptionsThatWouldGenerateOtherCommands() throws IOException
    {
        final Path journal = work.resolve("journal");
        assertEquals(0, CliRun.of("simulate", "--journal", journal.toString(), "--accounts", "20", "--commands",
            "300", "--seed", "1").exitCode());
        final long size = Files.size(journal.resolve("metadata.cq4t"));

        assertEquals(2, CliRun.of("simulate", "--journal", journal.toString(), "--accounts", "20", "--commands",
            "600", "--seed", "2", "--resume").exitCode());
        assertEquals(0, CliRun.of("simulate", "--journal", journal.toString(), "--accounts", "20", "--commands",
            "300", "--seed", "1", "--resume").exitCode());
        assertEquals(size, Files.size(journal.resolve("metadata.cq4t")));
    }

    @Test
    void runReportsALineThatIsNotUtf8AndGoesOn() throws IOException
    {
        final Path in = work.resolve("in.jsonl");
        final byte[] bad = "{\"type\":\"Deposit\",\"timestamp\":2,\"accountId\":21,\"assetId\":0,\"amount\":\u00ff}\n"
            .getBytes(StandardCharsets.ISO_8859_1);
        final byte[] bom = {(byte)0xEF, (byte)0xBB, (byte)0xBF};
        final String deposit = "{\"type\":\"Deposit\",\"timestamp\":3,\"accountId\":21,\"assetId\":0,\"amount\":5}";
        Files.write(in, concat(bom, (ASSET + "\r\n").getBytes(StandardCharsets.UTF_8), bad,
            (deposit + "\n").getBytes(StandardCharsets.UTF_8)));
        final Path out = work.resolve("out.jsonl");

        assertEquals(0, CliRun.of("run", "--in", in.toString(), "--out", out.toString(), "--journal",
            work.resolve("j").toString()).exitCode());

        final List<String> lines = Files.readAllLines(out);
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"type\":\"AssetDefined\""), lines.get(0));
        assertEquals("{\"type\":\"InputError\",\"line\":2,\"error\":\"not valid UTF-8\"}", lines.get(1));
        assertTrue(lines.get(2).contains("\"type\":\"BalanceChanged\""), lines.get(2));
    }

    /**
     * A line of 10 MB (here one unbroken JSON string) is reported, not read into memory whole - before, a 450 MB line
     * ran the heap out and lost the output of the commands already run; a lone CR ends a line, as in BufferedReader.
     */
    @Test
    void runReportsAnOverlongLineAndTakesALoneCarriageReturnAsALineEnd() throws IOException
    {
        final Path in = work.resolve("in.jsonl");
        final byte[] huge = new byte[10_000_000];
        java.util.Arrays.fill(huge, (byte)'x');
        huge[0] = '"';
        huge[huge.length - 1] = '"';
        final String deposit = "{\"type\":\"Deposit\",\"timestamp\":3,\"accountId\":21,\"assetId\":0,\"amount\":5}";
        Files.write(in, concat((ASSET + "\r").getBytes(StandardCharsets.UTF_8), huge,
            ("\r\n" + deposit + "\r" + deposit.replace("\"timestamp\":3", "\"timestamp\":4") + "\n")
                .getBytes(StandardCharsets.UTF_8)));
        final Path out = work.resolve("out.jsonl");

        assertEquals(0, CliRun.of("run", "--in", in.toString(), "--out", out.toString(), "--journal",
            work.resolve("j").toString()).exitCode());

        final List<String> lines = Files.readAllLines(out);
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"type\":\"AssetDefined\""), lines.get(0));
        assertEquals("{\"type\":\"InputError\",\"line\":2,\"error\":\"longer than 65536 bytes\"}", lines.get(1));
        assertTrue(lines.get(2).contains("\"type\":\"BalanceChanged\""), lines.get(2));
        assertTrue(lines.get(3).contains("\"type\":\"BalanceChanged\""), lines.get(3));
    }

    @Test
    void runRefusesMissingInputAndAnOutputThatIsItsInput() throws IOException
    {
        final Path in = Files.writeString(work.resolve("in.jsonl"), ASSET + "\n");

        assertEquals(2, CliRun.of("run", "--in", work.resolve("missing.jsonl").toString()).exitCode());
        assertEquals(2, CliRun.of("run", "--in", in.toString(), "--out", in.toString()).exitCode());
        assertEquals(2, CliRun.of("run", "--in", in.toString(), "--out", work.resolve("no/out").toString())
            .exitCode());

        assertEquals(ASSET + "\n", Files.readString(in));
    }

    @Test
    void theAuditorsToolsAnswerAMissingJournalAsAUsageError()
    {
        final String missing = work.resolve("nothing-here").toString();

        assertEquals(2, CliRun.of("dump", "--journal", missing).exitCode());
        assertEquals(2, CliRun.of("statement", "--journal", missing, "--account", "16").exitCode());
        assertEquals(2, CliRun.of("audit", "--journal", missing).exitCode());
        assertEquals(2, CliRun.of("recover", "--journal", missing).exitCode());
    }

    @Test
    void outOfRangeSequencesAndInputsBeyondDoublesAreUsageErrors()
    {
        final String journal = work.resolve("j").toString();
        assertEquals(0, CliRun.of("simulate", "--journal", journal, "--accounts", "10", "--commands", "100")
            .exitCode());

        assertEquals(2, CliRun.of("dump", "--journal", journal, "--from", "100", "--to", "50").exitCode());
        assertEquals(2, CliRun.of("dump", "--journal", journal, "--from", "-1").exitCode());
        assertEquals(2, CliRun.of("statement", "--journal", journal, "--account", "16", "--at", "-5").exitCode());
        // Past the end: refused with the journal's last sequence, not answered with the last state (review, s17).
        assertEquals(0, CliRun.of("statement", "--journal", journal, "--account", "16", "--at", "100").exitCode());
        assertEquals(2, CliRun.of("statement", "--journal", journal, "--account", "16", "--at", "101").exitCode());
        assertEquals(2, CliRun.of("statement", "--journal", journal, "--account", "-1").exitCode());
        assertEquals(2, CliRun.of("price", "--type", "put", "--forward", "100", "--strike", "100", "--years", "4",
            "--rate", "0", "--vol", "1e308").exitCode());
    }

    private static byte[] concat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final byte[] all = new byte[length];
        int at = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
