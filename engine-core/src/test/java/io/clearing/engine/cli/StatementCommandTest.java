package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The statement of an account from the journal of the session documented in docs/messages.md. */
final class StatementCommandTest
{
    @TempDir
    Path work;

    private Path journal;

    @BeforeEach
    void runTheDocumentedSession() throws Exception
    {
        final String doc = Files.readString(Path.of("../docs/messages.md"));
        final int start = doc.indexOf("```json", doc.indexOf("form a valid session")) + "```json".length();
        final String session = doc.substring(start, doc.indexOf("```", start)).strip();
        final Path in = work.resolve("session.jsonl");
        Files.writeString(in, session + "\n");
        journal = work.resolve("journal");
        assertEquals(0, new CommandLine(new ClearingCli()).execute("run", "--in", in.toString(), "--out",
            work.resolve("events.jsonl").toString(), "--journal", journal.toString()));
    }

    @Test
    void theStatementAtTheEndShowsThePositionAndTheLastBalanceOfTheHistory() throws Exception
    {
        final JsonNode statement = statement("--account", "21");
        assertEquals(21, statement.get("account").asInt());
        final JsonNode position = statement.get("positions").get(0);
        assertEquals(0, position.get("instrumentId").asInt());
        assertEquals(4, position.get("quantity").asLong());
        assertEquals("65000.50000000", position.get("averageEntryPrice").asText());
        long lastUsdc = Long.MIN_VALUE;
        final List<String> types = new ArrayList<>();
        for (final JsonNode event : statement.get("history"))
        {
            types.add(event.get("type").asText());
            if ("BalanceChanged".equals(event.get("type").asText()) && event.get("assetId").asInt() == 0)
            {
                lastUsdc = event.get("balanceAfter").asLong();
            }
        }
        assertEquals(lastUsdc, statement.get("balances").get(0).get("balance").asLong());
        assertTrue(types.contains("TradeSettled"), types.toString());
        assertTrue(types.contains("OrderCancelled"), types.toString());
        assertTrue(types.contains("AccountRiskReport"), types.toString());
    }

    @Test
    void theStatementAsOfTheDepositShowsOnlyTheDeposit() throws Exception
    {
        final JsonNode statement = statement("--account", "21", "--at", "6");
        assertEquals(6, statement.get("asOfSequence").asLong());
        assertEquals(0, statement.get("positions").size());
        assertEquals(1_000_000_000_000L, statement.get("balances").get(0).get("balance").asLong());
        assertEquals(1, statement.get("history").size());
        assertEquals("EMPTY", statement.get("margin").get("state").asText());
    }

    private JsonNode statement(final String... options) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("statement", "--journal", journal.toString(), "--json"));
        args.addAll(List.of(options));
        final CliRun run = CliRun.of(args.toArray(new String[0]));
        assertEquals(0, run.exitCode(), run.output());
        return new ObjectMapper().readTree(run.output());
    }
}
