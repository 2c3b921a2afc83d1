package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clearing.engine.ClearingEngine;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.json.SbeJsonCodec;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.math.BigDecimal;
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

    @Test
    void theStatementOfAJournalStartedWithOtherParametersUsesTheParametersItsGenesisRecords() throws Exception
    {
        // The same session through an engine whose initial margin is 2 x maintenance margin instead of 1.3 x.
        final Path other = work.resolve("other");
        final SbeJsonCodec codec = SbeJsonCodec.load();
        final ExpandableArrayBuffer frame = new ExpandableArrayBuffer();
        final List<String> lines = Files.readAllLines(work.resolve("session.jsonl"));
        try (ClearingEngine engine = ClearingEngine.builder()
            .journalDirectory(other).riskParameters(new RiskParameters()
                .set(RiskParameters.INITIAL_MARGIN_FACTOR, -1, 2_000_000L)).build().start())
        {
            for (final String line : lines)
            {
                final int length = codec.encode(line, frame, 0);
                assertTrue(engine.submit(frame, 0, length) >= 0);
            }
            while (engine.lastSequence() < lines.size())
            {
                Thread.sleep(1);
            }
        }
        final JsonNode defaults = statement("--account", "21").get("margin");
        final JsonNode doubled = statementOf(other, "--account", "21").get("margin");

        assertEquals(defaults.get("maintenanceMargin").asText(), doubled.get("maintenanceMargin").asText());
        final BigDecimal maintenance = new BigDecimal(doubled.get("maintenanceMargin").asText());
        assertTrue(maintenance.signum() > 0);
        assertEquals(0, new BigDecimal(doubled.get("initialMargin").asText())
            .compareTo(maintenance.multiply(BigDecimal.valueOf(2))), doubled.toString());
        assertEquals(0, new BigDecimal(defaults.get("initialMargin").asText())
            .compareTo(maintenance.multiply(new BigDecimal("1.3"))), defaults.toString());
    }

    private JsonNode statement(final String... options) throws Exception
    {
        return statementOf(journal, options);
    }

    private JsonNode statementOf(final Path journal, final String... options) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("statement", "--journal", journal.toString(), "--json"));
        args.addAll(List.of(options));
        final CliRun run = CliRun.of(args.toArray(new String[0]));
        assertEquals(0, run.exitCode(), run.output());
        return new ObjectMapper().readTree(run.output());
    }
}
