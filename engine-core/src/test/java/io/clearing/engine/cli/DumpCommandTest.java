package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code ./clearing dump}, in-process, on the journal {@link RunCommandTest#INPUT} leaves (documents 1..7): one JSON
 * line per document, bounded by {@code --from}/{@code --to}, filtered by {@code --account}.
 */
final class DumpCommandTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tempDir;
    private Path journal;

    @BeforeEach
    void writeJournal() throws IOException
    {
        journal = tempDir.resolve("journal");
        assertEquals(0, RunCommandTest.run(tempDir, journal, tempDir.resolve("out.jsonl")));
    }

    @Test
    void printsOneLinePerDocumentWithSequenceTimestampCommandEventsAndHash() throws IOException
    {
        final List<JsonNode> lines = dump();

        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), sequences(lines));
        for (final JsonNode line : lines)
        {
            assertEquals(List.of("seq", "timestamp", "command", "events", "hash"), fieldNames(line));
            assertEquals(64, line.get("hash").asText().length());
        }
        // Sequence 0 is the journal's genesis: the engine's configuration, every risk parameter's starting value.
        final JsonNode genesis = lines.get(0);
        assertEquals(MAPPER.readTree("{\"type\":\"JournalGenesis\",\"timestamp\":0,\"accountCapacity\":262144," +
            "\"riskParameterCount\":13,\"rulesVersion\":" + io.clearing.engine.ClearingStateMachine.RULES_VERSION +
            "}"),
            genesis.get("command"));
        assertEquals(13, genesis.get("events").size());
        assertEquals(MAPPER.readTree("{\"type\":\"RiskParameterChanged\",\"parameter\":\"INITIAL_MARGIN_FACTOR_PPM\"," +
            "\"underlyingId\":-1,\"oldValue\":1300000,\"newValue\":1300000}"), genesis.get("events").get(8));
        final JsonNode deposit = lines.get(3);
        assertEquals(1718000000000000001L, deposit.get("timestamp").asLong());
        assertEquals(MAPPER.readTree("{\"type\":\"Deposit\",\"timestamp\":1718000000000000001,\"accountId\":21," +
            "\"assetId\":0,\"amount\":1000000000000}"), deposit.get("command"));
        assertEquals(MAPPER.readTree("[{\"type\":\"BalanceChanged\",\"accountId\":21,\"assetId\":0," +
            "\"reason\":\"DEPOSIT\",\"amount\":1000000000000,\"balanceBefore\":0,\"balanceAfter\":1000000000000," +
            "\"referenceId\":0}]"), deposit.get("events"));
        assertEquals(0, lines.get(4).get("events").size(), "IndexPrice produces no event");
        assertEquals(ClearingCli.lastHash(journal), lines.get(7).get("hash").asText());
    }

    @Test
    void fromAndToBoundTheSequences() throws IOException
    {
        assertEquals(List.of(2L, 3L, 4L), sequences(dump("--from", "2", "--to", "4")));
    }

    @Test
    void accountKeepsOnlyDocumentsTouchingIt() throws IOException
    {
        assertEquals(List.of(3L, 7L), sequences(dump("--account", "21")));
        assertEquals(List.of(6L), sequences(dump("--account", "22")));
    }

    private List<JsonNode> dump(final String... options) throws IOException
    {
        final List<String> args = new ArrayList<>(List.of("dump", "--journal", journal.toString()));
        args.addAll(List.of(options));
        final CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode());
        final List<JsonNode> lines = new ArrayList<>();
        for (final String line : run.output().split("\n"))
        {
            if (!line.isEmpty())
            {
                lines.add(MAPPER.readTree(line));
            }
        }
        return lines;
    }

    private static List<Long> sequences(final List<JsonNode> lines)
    {
        return lines.stream().map(line -> line.get("seq").asLong()).toList();
    }

    private static List<String> fieldNames(final JsonNode node)
    {
        final List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
