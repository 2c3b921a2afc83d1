package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./clearing run}, in-process: valid commands give their events, every bad line gives one InputError with its
 * 1-based line number, in input order relative to the events of the commands around it, and the run goes on.
 */
final class RunCommandTest
{
    /** Lines 3, 5, 6, 7, 8 and 10 are bad; line 9 is blank; line 12 is valid JSON but an invalid command. */
    static final List<String> INPUT = List.of(
        "{\"type\":\"AssetDefinition\",\"timestamp\":1718000000000000000,\"assetId\":0," +
            "\"valuationUnderlyingId\":-1,\"collateralWeightPpm\":1000000}",
        "{\"type\":\"InstrumentDefinition\",\"timestamp\":1718000000000000000,\"instrumentId\":0,\"kind\":\"PERPETUAL\"," +
            "\"underlyingId\":0,\"settlementAssetId\":0,\"strike\":0,\"expiryTimestamp\":0,\"contractSize\":100000," +
            "\"makerFeePpm\":-100,\"takerFeePpm\":500}",
        "this is not json",
        "{\"type\":\"Deposit\",\"timestamp\":1718000000000000001,\"accountId\":21,\"assetId\":0," +
            "\"amount\":1000000000000}",
        "[1,2,3]",
        "{\"type\":\"Teleport\",\"timestamp\":1718000000000000002,\"accountId\":21}",
        "{\"type\":\"BalanceChanged\",\"accountId\":21,\"assetId\":0,\"reason\":\"DEPOSIT\",\"amount\":1," +
            "\"balanceBefore\":0,\"balanceAfter\":1,\"referenceId\":0}",
        "{\"type\":\"Deposit\",\"timestamp\":1718000000000000002,\"accountId\":21,\"assetId\":0}",
        "",
        "{\"type\":\"Deposit\",\"timestamp\":1718000000000000002,\"accountId\":3000000000,\"assetId\":0,\"amount\":1}",
        "{\"type\":\"IndexPrice\",\"timestamp\":1718000000000000003,\"underlyingId\":0,\"price\":6500050000000}",
        "{\"type\":\"MarkPrice\",\"timestamp\":1718000000000000004,\"instrumentId\":0,\"price\":6500100000000," +
            "\"impliedVolatility\":\"NaN\"}",
        "{\"type\":\"Deposit\",\"timestamp\":1718000000000000005,\"accountId\":22,\"assetId\":0," +
            "\"amount\":250000000000}",
        "{\"type\":\"Withdrawal\",\"timestamp\":1718000000000000006,\"accountId\":21,\"assetId\":0," +
            "\"amount\":50000000000}");

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tempDir;
    private Path journal;
    private int runExitCode;
    private List<String> output;

    @BeforeEach
    void run() throws IOException
    {
        journal = tempDir.resolve("journal");
        final Path out = tempDir.resolve("out.jsonl");
        runExitCode = run(tempDir, journal, out);
        output = Files.readAllLines(out, StandardCharsets.UTF_8);
    }

    /** Runs {@link #INPUT} through {@code ./clearing run}; returns the exit code. */
    static int run(final Path tempDir, final Path journal, final Path out) throws IOException
    {
        final Path in = tempDir.resolve("in.jsonl");
        Files.write(in, INPUT, StandardCharsets.UTF_8);
        return new CommandLine(new ClearingCli()).execute(
            "run", "--in", in.toString(), "--out", out.toString(), "--journal", journal.toString());
    }

    @Test
    void exitsZero()
    {
        assertEquals(0, runExitCode);
    }

    @Test
    void writesEventsAndInputErrorsInInputOrder()
    {
        final List<String> kinds = new ArrayList<>();
        for (final String line : output)
        {
            final JsonNode node = parse(line);
            kinds.add(node.has("seq") ? node.get("type").asText() + "@" + node.get("seq").asLong() :
                node.get("type").asText() + "@line" + node.get("line").asLong());
        }
        assertEquals(List.of(
            "AssetDefined@1",
            "InstrumentDefined@2",
            "InputError@line3",
            "BalanceChanged@3",
            "InputError@line5",
            "InputError@line6",
            "InputError@line7",
            "InputError@line8",
            "InputError@line10",
            "CommandRejected@5",
            "BalanceChanged@6",
            "BalanceChanged@7"), kinds);
    }

    @Test
    void notJsonIsAnInputError()
    {
        final JsonNode error = parse(output.get(2));
        assertEquals(3, error.get("line").asLong());
        assertTrue(error.get("error").asText().startsWith("not valid JSON at column 5"), error.toString());
    }

    @Test
    void eachBadLineNamesItsReason()
    {
        assertEquals("{\"type\":\"InputError\",\"line\":5,\"error\":\"expected a JSON object, got [1,2,3]\"}",
            output.get(4));
        assertEquals("{\"type\":\"InputError\",\"line\":6,\"error\":\"unknown message type \\\"Teleport\\\"\"}",
            output.get(5));
        assertEquals("{\"type\":\"InputError\",\"line\":7,\"error\":\"\\\"BalanceChanged\\\" is an event, not a " +
            "command\"}", output.get(6));
        assertEquals("{\"type\":\"InputError\",\"line\":8,\"error\":\"Deposit: missing field \\\"amount\\\"\"}",
            output.get(7));
        assertEquals("{\"type\":\"InputError\",\"line\":10,\"error\":\"Deposit.accountId (int32): 3000000000 is out " +
            "of range [-2147483648, 2147483647]\"}", output.get(8));
    }

    @Test
    void validCommandsGiveTheirExactEvents()
    {
        assertEquals("{\"seq\":1,\"type\":\"AssetDefined\",\"assetId\":0,\"valuationUnderlyingId\":-1," +
            "\"collateralWeightPpm\":1000000}", output.get(0));
        assertEquals("{\"seq\":2,\"type\":\"InstrumentDefined\",\"instrumentId\":0,\"kind\":\"PERPETUAL\"," +
            "\"underlyingId\":0,\"expiryTimestamp\":0}", output.get(1));
        assertEquals("{\"seq\":3,\"type\":\"BalanceChanged\",\"accountId\":21,\"assetId\":0,\"reason\":\"DEPOSIT\"," +
            "\"amount\":1000000000000,\"balanceBefore\":0,\"balanceAfter\":1000000000000,\"referenceId\":0}",
            output.get(3));
        assertEquals("{\"seq\":6,\"type\":\"BalanceChanged\",\"accountId\":22,\"assetId\":0,\"reason\":\"DEPOSIT\"," +
            "\"amount\":250000000000,\"balanceBefore\":0,\"balanceAfter\":250000000000,\"referenceId\":0}",
            output.get(10));
        assertEquals("{\"seq\":7,\"type\":\"BalanceChanged\",\"accountId\":21,\"assetId\":0,\"reason\":\"WITHDRAWAL\"," +
            "\"amount\":-50000000000,\"balanceBefore\":1000000000000,\"balanceAfter\":950000000000," +
            "\"referenceId\":0}", output.get(11));
    }

    @Test
    void validJsonButInvalidCommandIsRejectedByTheEngine()
    {
        // requested carries the raw bits of the NaN: 0x7FF8000000000000.
        assertEquals("{\"seq\":5,\"type\":\"CommandRejected\",\"commandTemplateId\":6,\"reason\":\"NON_FINITE_VALUE\"," +
            "\"accountId\":-1,\"referenceId\":0,\"requested\":9221120237041090560,\"available\":0}", output.get(9));
    }

    @Test
    void auditPassesOnTheJournal()
    {
        assertEquals(0, new CommandLine(new ClearingCli()).execute("audit", "--journal", journal.toString()));
    }

    private static JsonNode parse(final String line)
    {
        try
        {
            return MAPPER.readTree(line);
        }
        catch (final IOException ex)
        {
            throw new AssertionError("not JSON: " + line, ex);
        }
    }
}
