package io.clearing.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.engine.Bytes;
import io.clearing.engine.ClearingStateMachine;
import io.clearing.engine.Genesis;
import io.clearing.engine.SnapshotCodec;
import io.clearing.engine.SnapshotStore;
import io.clearing.engine.audit.Auditor;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.json.FieldInfo;
import io.clearing.sbe.json.SbeJsonCodec;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Instruments;
import io.clearing.settlement.Limits;
import io.clearing.settlement.Positions;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code statement}: an account's balances, positions, margin and history as of any sequence, from the journal
 * alone. The journal is replayed up to that sequence in a fresh engine, verifying the hash chain and that every
 * document re-executes to its recorded events, so the statement is proven by the same checks as the audit. With
 * {@code --from-snapshot} the state comes from the newest usable snapshot at or before that sequence and only the
 * documents after it are re-executed; the documents before it are read for the history with the hash chain verified.
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

    @Option(names = "--from-snapshot", description = "Start from the newest usable snapshot in the journal's " +
        "snapshot directory at or before --at (intact, at a document of this journal) and re-execute only the " +
        "documents after it: faster, but the snapshot's state is taken as it is (audit --verify-snapshots " +
        "proves it); " +
        "the history is still read from the first document with the hash chain verified.")
    boolean fromSnapshot;

    @Option(names = "--account-capacity", description = "Account capacity of a journal started without a genesis " +
        "(one with a genesis records its own; default ${DEFAULT-VALUE}).")
    int accountCapacity = ClearingCli.DEFAULT_ACCOUNT_CAPACITY;

    @Override
    public Integer call() throws Exception
    {
        if (ClearingCli.noJournal(journal) != null)
        {
            System.err.println("statement: " + ClearingCli.noJournal(journal));
            return 2;
        }
        if (at < 0)
        {
            System.err.println("statement: --at must be 0 or more: " + at);
            return 2;
        }
        if (account < 0)
        {
            System.err.println("statement: --account must be 0 or more: " + account);
            return 2;
        }
        if (ClearingCli.damagedJournal(journal) != null)
        {
            System.err.println("statement: " + ClearingCli.damagedJournal(journal));
            return 1;
        }
        ClearingStateMachine machine = null;
        final EventWriter events = new EventWriter();
        final JournalDocument document = new JournalDocument();
        final HashChainVerifier verifier = new HashChainVerifier();
        final SbeJsonCodec codec = SbeJsonCodec.load();
        final ObjectMapper mapper = new ObjectMapper();
        final ArrayNode history = mapper.createArrayNode();
        final AccountFields accountFields = new AccountFields(codec);
        final Chosen snapshot = fromSnapshot ? usableSnapshot() : null;
        final long snapshotSequence = snapshot == null ? -1 : SnapshotStore.sequenceOf(snapshot.file());
        boolean snapshotLoaded = false;
        long sequence = 0;
        long timestamp = 0;
        try (JournalReader reader = new JournalReader(journal))
        {
            // Up to --at by position in the verified chain, not by what a document claims (a damaged sequence field
            // must fail the chain, not end the statement early).
            // A journal being written may gain a document between a read and the end check: read once more then.
            while (verifier.lastSequence() < at && (reader.next(document) ||
                reader.lastSequence() != verifier.lastSequence() && reader.next(document)))
            {
                final int check = verifier.verify(document);
                if (check != HashChainVerifier.OK)
                {
                    final boolean genesis = sequence == 0 && machine == null && Genesis.isFirstGenesis(document);
                    System.err.println("journal damaged at sequence " + (genesis ? "0 (its genesis)" :
                        Long.toString(sequence + 1)) + ": " + HashChainVerifier.resultName(check));
                    return 1;
                }
                if (document.sequence() <= snapshotSequence && document.sequence() > 0)
                {
                    // Before the snapshot: read for the history only, the chain verified above.
                    sequence = document.sequence();
                    timestamp = document.timestamp();
                    if (!collect(document, accountFields, codec, mapper, history, sequence, timestamp))
                    {
                        return 1;
                    }
                    if (sequence == snapshotSequence)
                    {
                        machine = loadSnapshot(snapshot, verifier);
                        if (machine == null)
                        {
                            return 1;
                        }
                        snapshotLoaded = true;
                    }
                    continue;
                }
                if (document.sequence() == 0)
                {
                    // The journal's genesis (the verifier passes sequence 0 only first): the engine's configuration.
                    final Genesis genesis;
                    try
                    {
                        genesis = Genesis.decode(document);
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        System.err.println("journal damaged at sequence 0: " + ex.getMessage());
                        return 1;
                    }
                    if (genesis.rulesDifference() != null)
                    {
                        System.err.println("cannot re-execute the journal: " + genesis.rulesDifference());
                        return 1;
                    }
                    machine = genesis.newMachine();
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
                if (!collect(document, accountFields, codec, mapper, history, sequence, timestamp))
                {
                    return 1;
                }
            }
            if (verifier.lastSequence() < at)
            {
                // Stopped by the journal, not by --at: at its end, or at damage that hides what follows.
                final long last = reader.lastSequence();
                if (last != verifier.lastSequence())
                {
                    System.err.println("journal damaged after sequence " + verifier.lastSequence() + ": the next " +
                        "document cannot be read, but its last document claims sequence " + last);
                    return 1;
                }
                if (at != Long.MAX_VALUE)
                {
                    System.err.println("statement: --at " + at + " is past the journal's end, sequence " + last);
                    return 2;
                }
            }
        }
        catch (final IllegalStateException ex)
        {
            System.err.println("statement: " + ex.getMessage());
            return 1;
        }
        if (snapshot != null && !snapshotLoaded)
        {
            System.err.println("the journal ended at sequence " + sequence + " before the snapshot " +
                snapshot.file().getFileName());
            return 1;
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
        statement.put("fromSnapshot", snapshot == null ? null : snapshot.file().getFileName().toString());
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

    /** A snapshot chosen to start from, with the bytes that were checked: the ones decoded later. */
    private record Chosen(Path file, UnsafeBuffer bytes)
    {
    }

    /** @return the newest snapshot at or before {@link #at} that can be started from, or null (reported). */
    private Chosen usableSnapshot() throws IOException
    {
        final SnapshotCodec codec = new SnapshotCodec();
        for (final Path file : new SnapshotStore(journal).list())
        {
            final long fileSequence = SnapshotStore.sequenceOf(file);
            if (fileSequence <= 0 || fileSequence > at)
            {
                continue;
            }
            String problem;
            UnsafeBuffer bytes = null;
            try
            {
                bytes = SnapshotStore.read(file);
                problem = codec.verify(bytes, bytes.capacity());
                if (problem == null && codec.journalSequence(bytes) != fileSequence)
                {
                    problem = "its name says sequence " + fileSequence + ", its content " +
                        codec.journalSequence(bytes);
                }
            }
            catch (final IOException ex)
            {
                problem = "unreadable: " + ex.getMessage();
            }
            if (problem == null)
            {
                // Is it at a document of this journal? (Its chain hash is checked again against the verified chain.)
                problem = Auditor.startProblem(journal, file);
            }
            if (problem == null)
            {
                return new Chosen(file, bytes);
            }
            System.err.println("snapshot " + file.getFileName() + " not used: " + problem);
        }
        System.err.println("no usable snapshot at or before sequence " + at + ": the journal is re-executed from its " +
            "first document");
        return null;
    }

    /**
     * @return the snapshot's state, decoded from the bytes checked when it was chosen, once the verified chain has
     * reached its sequence and its chain hash is the hash there; null (reported) otherwise.
     */
    private static ClearingStateMachine loadSnapshot(final Chosen snapshot, final HashChainVerifier verifier)
    {
        final SnapshotCodec codec = new SnapshotCodec();
        final byte[] chained = new byte[JournalDocument.HASH_LENGTH];
        final byte[] carried = new byte[JournalDocument.HASH_LENGTH];
        verifier.lastHash(chained);
        codec.chainHash(snapshot.bytes(), carried);
        if (!Arrays.equals(chained, carried))
        {
            System.err.println("snapshot " + snapshot.file().getFileName() + ": its chain hash is not the hash of " +
                "the journal's document at its sequence");
            return null;
        }
        try
        {
            return codec.decode(snapshot.bytes());
        }
        catch (final RuntimeException ex)
        {
            System.err.println("snapshot " + snapshot.file().getFileName() + " cannot be decoded: " + ex.getMessage());
            return null;
        }
    }

    /**
     * Adds the document's events that name the account to the history.
     *
     * @return false (reported) when an event is not a frame of this schema - possible only before a snapshot, where
     * events are not re-executed.
     */
    private boolean collect(final JournalDocument document, final AccountFields accountFields,
        final SbeJsonCodec codec, final ObjectMapper mapper, final ArrayNode history, final long sequence,
        final long timestamp)
    {
        for (int o = document.firstEventOffset(), i = 0; i < document.eventCount();
            i++, o = document.nextEventOffset(o))
        {
            if (!accountFields.mentions(document.buffer(), document.eventFrameOffset(o),
                document.eventFrameLength(o), account))
            {
                continue;
            }
            final JsonNode event;
            try
            {
                event = mapper.readTree(codec.toJson(document.buffer(), document.eventFrameOffset(o),
                    document.eventFrameLength(o)));
            }
            catch (final RuntimeException | JsonProcessingException ex)
            {
                System.err.println("journal document " + sequence + ": event " + i + " is not a valid frame: " +
                    ex.getMessage());
                return false;
            }
            if (mentions(event, account))
            {
                final ObjectNode entry = mapper.createObjectNode();
                entry.put("seq", sequence);
                entry.put("timestamp", timestamp);
                entry.setAll((ObjectNode)event);
                history.add(entry);
            }
        }
        return true;
    }

    /** The fields that name the account an event is about. */
    private static final List<String> ACCOUNT_FIELDS = List.of("accountId", "counterpartyAccountId",
        "liquidatorAccountId");

    /**
     * Where each event template holds its {@link #ACCOUNT_FIELDS}, from the schema: an event that names no account at
     * those offsets is skipped without being turned into JSON (most of a large journal's events).
     */
    private static final class AccountFields
    {
        private final int[][] offsets = new int[SbeJsonCodec.MAX_EVENT_TEMPLATE_ID + 1][];

        AccountFields(final SbeJsonCodec codec)
        {
            for (final String type : codec.messageNames())
            {
                if (codec.isCommand(type))
                {
                    continue;
                }
                offsets[codec.templateId(type)] = codec.fields(type).stream()
                    .filter(field -> ACCOUNT_FIELDS.contains(field.name()) && "int32".equals(field.type()))
                    .mapToInt(FieldInfo::offset).toArray();
            }
        }

        /**
         * @return true when the event frame names {@code accountId} in one of its account fields, or cannot be read
         * as an event of this schema (the JSON path then decides, or reports it).
         */
        boolean mentions(final DirectBuffer buffer, final int frame, final int length, final int accountId)
        {
            if (length < MessageHeaderDecoder.ENCODED_LENGTH)
            {
                return true;
            }
            final int blockLength = buffer.getShort(frame, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int templateId = buffer.getShort(frame + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int schemaId = buffer.getShort(frame + 4, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int[] fields = templateId < offsets.length ? offsets[templateId] : null;
            if (fields == null || schemaId != ClearingStateMachine.SCHEMA_ID)
            {
                return true;
            }
            final int body = frame + MessageHeaderDecoder.ENCODED_LENGTH;
            for (final int offset : fields)
            {
                if (offset + Integer.BYTES > blockLength ||
                    MessageHeaderDecoder.ENCODED_LENGTH + offset + Integer.BYTES > length)
                {
                    return true;
                }
                if (buffer.getInt(body + offset, ByteOrder.LITTLE_ENDIAN) == accountId)
                {
                    return true;
                }
            }
            return false;
        }
    }

    private static boolean mentions(final JsonNode node, final int accountId)
    {
        for (final String field : ACCOUNT_FIELDS)
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
