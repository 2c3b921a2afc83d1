package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.engine.Bytes;
import io.clearing.engine.ClearingStateMachine;
import io.clearing.engine.Genesis;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.json.SbeJsonCodec;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Instruments;
import io.clearing.settlement.Limits;
import io.clearing.settlement.Positions;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code statement}: an account's balances, positions, margin and history as of any sequence, from the journal
 * alone. The journal is replayed up to that sequence in a fresh engine, verifying the hash chain and that every
 * document re-executes to its recorded events, so the statement is proven by the same checks as the audit.
 */
@Command(name = "statement", mixinStandardHelpOptions = true,
    description = "An account's balances, positions, margin and history as of a sequence, from the journal alone.")
final class StatementCommand implements Callable<Integer>
{
    @Option(names = "--journal", required = true, description = "Journal directory.")
    Path journal;

    @Option(names = "--account", required = true, description = "Account id.")
    int account;

    @Option(names = "--at", description = "Sequence to report as of (default: the last).")
    long at = Long.MAX_VALUE;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--account-capacity", description = "Account capacity of a journal started without a genesis (one with a genesis records its own; default ${DEFAULT-VALUE}).")
    int accountCapacity = ClearingCli.DEFAULT_ACCOUNT_CAPACITY;

    @Override
    public Integer call() throws Exception
    {
        ClearingStateMachine machine = null;
        final EventWriter events = new EventWriter();
        final JournalDocument document = new JournalDocument();
        final HashChainVerifier verifier = new HashChainVerifier();
        final SbeJsonCodec codec = SbeJsonCodec.load();
        final ObjectMapper mapper = new ObjectMapper();
        final ArrayNode history = mapper.createArrayNode();
        long sequence = 0;
        long timestamp = 0;
        try (JournalReader reader = new JournalReader(journal))
        {
            while (reader.next(document) && document.sequence() <= at)
            {
                final int check = verifier.verify(document);
                if (check != HashChainVerifier.OK)
                {
                    System.err.println("journal damaged at sequence " + (machine == null ? document.sequence() :
                        sequence + 1) + ": " + HashChainVerifier.resultName(check));
                    return 1;
                }
                if (document.sequence() == 0)
                {
                    // The journal's genesis (the verifier passes sequence 0 only first): the engine's configuration.
                    try
                    {
                        machine = Genesis.decode(document).newMachine();
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        System.err.println("journal damaged at sequence 0: " + ex.getMessage());
                        return 1;
                    }
                    continue;
                }
                if (machine == null)
                {
                    machine = new ClearingStateMachine(accountCapacity, new RiskParameters());
                }
                machine.apply(document.buffer(), document.commandOffset(), document.commandLength(), events);
                if (events.length() != document.eventsLength() || !Bytes.equal(events.buffer(), 0,
                    document.buffer(), document.eventsOffset(), document.eventsLength()))
                {
                    System.err.println("re-execution differs from the journal at sequence " + document.sequence());
                    return 1;
                }
                sequence = document.sequence();
                timestamp = document.timestamp();
                for (int o = document.firstEventOffset(), i = 0; i < document.eventCount();
                    i++, o = document.nextEventOffset(o))
                {
                    final JsonNode event = mapper.readTree(codec.toJson(document.buffer(),
                        document.eventFrameOffset(o), document.eventFrameLength(o)));
                    if (mentions(event, account))
                    {
                        final ObjectNode entry = mapper.createObjectNode();
                        entry.put("seq", sequence);
                        entry.put("timestamp", timestamp);
                        entry.setAll((ObjectNode)event);
                        history.add(entry);
                    }
                }
            }
        }
        if (machine == null)
        {
            System.err.println("account " + account + " is not open at sequence " + sequence + ": the journal holds " +
                "no command up to it");
            return 1;
        }
        final Accounts accounts = machine.accounts();
        if (!accounts.isOpen(account))
        {
            System.err.println("account " + account + " is not open at sequence " + sequence);
            return 1;
        }
        final ObjectNode statement = mapper.createObjectNode();
        statement.put("account", account);
        statement.put("asOfSequence", sequence);
        statement.put("asOfTimestamp", timestamp);
        final Instruments instruments = machine.instruments();
        final ArrayNode balances = statement.putArray("balances");
        for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
        {
            if (instruments.isAssetDefined(asset))
            {
                balances.addObject().put("assetId", asset).put("balance", accounts.balance(account, asset))
                    .put("balanceDecimal", decimal(accounts.balance(account, asset)));
            }
        }
        final ArrayNode positionsNode = statement.putArray("positions");
        final Positions positions = machine.positions();
        for (int slot = accounts.firstPosition(account); slot >= 0; slot = positions.nextInAccount(slot))
        {
            final int id = positions.instrument(slot);
            final long quantity = positions.quantity(slot);
            final ObjectNode position = positionsNode.addObject();
            position.put("instrumentId", id);
            position.put("quantity", quantity);
            position.put("costBasis", positions.cost(slot));
            position.put("averageEntryPrice", quantity == 0 ? "" : new BigDecimal(positions.cost(slot))
                .divide(new BigDecimal(quantity).multiply(new BigDecimal(instruments.contractSize(id))), 8,
                    java.math.RoundingMode.HALF_EVEN).toPlainString());
            position.put("markPrice", decimal(instruments.markPrice(id)));
            position.put("openBuy", positions.openBuy(slot));
            position.put("openSell", positions.openSell(slot));
        }
        final long[] risk = new long[8];
        machine.evaluate(account, risk);
        final ObjectNode margin = statement.putObject("margin");
        margin.put("state", MarginState.get((short)risk[0]).name());
        margin.put("collateralValue", decimal(risk[1]));
        margin.put("unrealizedPnl", decimal(risk[2]));
        margin.put("equity", decimal(risk[3]));
        margin.put("initialMargin", decimal(risk[4]));
        margin.put("maintenanceMargin", decimal(risk[5]));
        margin.put("openOrderMargin", decimal(risk[6]));
        margin.put("isolatedInitialMargin", decimal(risk[7]));
        statement.set("history", history);
        final PrintStream out = System.out;
        if (json)
        {
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(statement));
            return 0;
        }
        out.printf("account %d as of sequence %d (timestamp %d)%n%n", account, sequence, timestamp);
        out.println("balances");
        balances.forEach(b -> out.printf("  asset %-3d %24s%n", b.get("assetId").asInt(),
            b.get("balanceDecimal").asText()));
        out.println("positions");
        positionsNode.forEach(p -> out.printf("  instrument %-5d qty %12d  avg entry %20s  mark %20s  open buy %d " +
            "sell %d%n", p.get("instrumentId").asInt(), p.get("quantity").asLong(),
            p.get("averageEntryPrice").asText(), p.get("markPrice").asText(), p.get("openBuy").asLong(),
            p.get("openSell").asLong()));
        out.println("margin");
        margin.fields().forEachRemaining(f -> out.printf("  %-22s %s%n", f.getKey(), f.getValue().asText()));
        out.printf("history (%d events)%n", history.size());
        history.forEach(h -> out.println("  " + h));
        return 0;
    }

    private static String decimal(final long units)
    {
        return new BigDecimal(units).movePointLeft(8).toPlainString();
    }

    private static boolean mentions(final JsonNode node, final int accountId)
    {
        for (final String field : new String[]{"accountId", "counterpartyAccountId", "liquidatorAccountId"})
        {
            final JsonNode value = node.get(field);
            if (value != null && value.asInt() == accountId)
            {
                return true;
            }
        }
        return false;
    }
}
