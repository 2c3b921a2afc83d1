package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.JournalGenesisEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.RejectReason;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalHasher;
import io.clearing.settlement.journal.JournalReader;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal's genesis: an engine built with other risk parameters and another account capacity than the defaults
 * writes a journal that audits from the journal alone, refuses to restart with another configuration, and a changed
 * genesis - flipped or resealed - fails the audit.
 */
final class GenesisTest
{
    private static final int CAPACITY = 2048;
    private static final int ACCOUNTS = 300;
    private static final long COMMANDS = 8_000;
    /** Every command the Simulator sends, as frames. */
    private static final List<byte[]> FRAMES = new ArrayList<>();

    @TempDir
    Path tempDir;

    @BeforeAll
    static void recordTheMarket()
    {
        FRAMES.addAll(SimulatedFrames.record(ACCOUNTS, COMMANDS, 11));
    }

    /** Initial margin at 2.5 x maintenance instead of 1.3 x, a wider price range for underlying 1 only. */
    private static RiskParameters otherParameters()
    {
        return new RiskParameters()
            .set(RiskParameters.INITIAL_MARGIN_FACTOR, -1, 2_500_000L)
            .set(RiskParameters.PRICE_RANGE, 1, 250_000L);
    }

    @Test
    void aNewJournalRecordsTheEnginesConfigurationAsSequenceZero() throws Exception
    {
        final Path journal = tempDir.resolve("journal");
        try (ClearingEngine engine = builder(journal, CAPACITY, otherParameters()).build())
        {
            engine.start();
            assertEquals(0, engine.lastSequence(), "the genesis is not a command");
        }

        final Genesis genesis = Genesis.read(journal);
        assertNotNull(genesis);
        assertEquals(CAPACITY, genesis.accountCapacity());
        // 10 global parameters, the price range once per underlying (not uniform), the two vol shocks once each.
        assertEquals(10 + RiskParameters.MAX_UNDERLYINGS + 2, genesis.riskParameterCount());
        assertNull(genesis.differenceFrom(CAPACITY, otherParameters()));
        assertEquals(2_500_000L, genesis.riskParameters().initialMarginFactorPpm());
        assertEquals(250_000L, genesis.riskParameters().priceRangePpm(1));
        assertEquals(160_000L, genesis.riskParameters().priceRangePpm(0));
        try (JournalReader reader = new JournalReader(journal))
        {
            final JournalDocument document = new JournalDocument();
            assertTrue(reader.next(document));
            assertEquals(0, document.sequence());
            assertEquals(0, document.timestamp());
            assertEquals(HashChainVerifier.OK, new HashChainVerifier().verify(document));
            assertFalse(reader.next(document));
        }
    }

    @Test
    void aJournalStartedWithAnotherConfigurationAuditsFromTheJournalAlone() throws Exception
    {
        final Path other = tempDir.resolve("other");
        final Path defaults = tempDir.resolve("defaults");
        run(builder(other, CAPACITY, otherParameters()));
        run(builder(defaults, CAPACITY, new RiskParameters()));
        assertTrue(eventsDiffer(other, defaults), "the parameters must change what this market does, or the audit " +
            "below proves nothing");

        // The auditor is given the defaults: only the genesis can tell it what the engine ran with.
        final Auditor auditor = new Auditor(1 << 18, new RiskParameters());
        final Auditor.Result result = auditor.audit(other);
        assertTrue(result.ok(), result.failure());
        assertEquals(FRAMES.size(), result.documents());
        assertEquals(lastHash(other), result.finalHash());
        final Auditor.Result verified = auditor.verifySnapshots(other, documents -> { });
        assertTrue(verified.ok(), verified.failure());
        assertEquals(1, verified.snapshots().size());
        final Auditor.Result inSegments = auditor.auditInSegments(other, 2, documents -> { });
        assertTrue(inSegments.ok(), inSegments.failure());
        assertEquals(FRAMES.size(), inSegments.documents());
    }

    @Test
    void aRestartWithAnotherConfigurationIsRefusedAndTheJournalKept() throws Exception
    {
        final Path journal = tempDir.resolve("journal");
        run(builder(journal, CAPACITY, otherParameters()));
        final String before = lastHash(journal);

        final ClearingEngine defaults = builder(journal, CAPACITY, new RiskParameters()).build();
        final IllegalStateException parameters = assertThrows(IllegalStateException.class, defaults::start);
        assertTrue(parameters.getMessage().contains("another configuration than this engine's: risk parameter " +
            "PRICE_RANGE_PPM of underlying 1 160000, the journal's 250000; risk parameter INITIAL_MARGIN_FACTOR_PPM " +
            "1300000, the journal's 2500000. "), parameters.getMessage());
        final ClearingEngine wider = builder(journal, 2 * CAPACITY, otherParameters()).build();
        final IllegalStateException capacity = assertThrows(IllegalStateException.class, wider::start);
        assertTrue(capacity.getMessage().contains("account capacity 4096, the journal's 2048"), capacity.getMessage());
        assertEquals(before, lastHash(journal));

        try (ClearingEngine same = builder(journal, CAPACITY, otherParameters()).build())
        {
            same.start();
            assertEquals(FRAMES.size(), same.lastSequence());
            assertEquals(5_000, same.recovery().snapshotSequence());
            assertEquals(FRAMES.size() - 5_000, same.recovery().replayedDocuments());
        }
    }

    @Test
    void aFlippedByteInTheGenesisFailsTheAuditAtSequenceZero() throws Exception
    {
        final Path journal = tempDir.resolve("journal");
        run(builder(journal, CAPACITY, otherParameters()));
        final GenesisBytes genesis = GenesisBytes.find(journal);
        // The low byte of accountCapacity.
        genesis.flip(JournalDocument.HEADER_LENGTH + MessageHeaderEncoder.ENCODED_LENGTH + 8);

        final Auditor.Result result = new Auditor(1 << 18, new RiskParameters()).audit(journal);

        assertFalse(result.ok());
        assertEquals(0, result.failedSequence());
        assertEquals("genesis (sequence 0): hash chain: HASH_MISMATCH", result.failure());
    }

    @Test
    void aResealedGenesisFailsTheAuditAtSequenceOne() throws Exception
    {
        final Path journal = tempDir.resolve("journal");
        run(builder(journal, CAPACITY, otherParameters()));
        final GenesisBytes genesis = GenesisBytes.find(journal);
        // Claim the default capacity instead, and recompute the genesis's own hash: intact alone, another history.
        genesis.putInt(JournalDocument.HEADER_LENGTH + MessageHeaderEncoder.ENCODED_LENGTH + 8, 1 << 18);
        genesis.reseal();

        final Auditor.Result result = new Auditor(1 << 18, new RiskParameters()).audit(journal);

        assertFalse(result.ok());
        assertEquals(1, result.failedSequence());
        assertEquals("hash chain: PREVIOUS_HASH_MISMATCH", result.failure());
    }

    @Test
    void aDamagedGenesisStopsARestartAndRecoverAndIsLocatedAtSequenceZero() throws Exception
    {
        final Path journal = tempDir.resolve("journal");
        run(builder(journal, CAPACITY, otherParameters()));
        final GenesisBytes genesis = GenesisBytes.find(journal);
        // The document's event count, one more: the genesis is no longer structurally valid.
        genesis.putInt(JournalDocument.EVENT_COUNT_OFFSET, GenesisBytes.intAt(journal, genesis,
            JournalDocument.EVENT_COUNT_OFFSET) + 1);

        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            builder(journal, CAPACITY, otherParameters()).build()::start);
        assertTrue(refused.getMessage().endsWith("its genesis (sequence 0) is damaged: hash chain: MALFORMED"),
            refused.getMessage());
        final Auditor.Result result = new Auditor(1 << 18, new RiskParameters()).audit(journal);
        assertFalse(result.ok());
        assertEquals(0, result.failedSequence());
        assertEquals("genesis (sequence 0): hash chain: MALFORMED", result.failure());
        assertEquals(3, new picocli.CommandLine(new io.clearing.engine.cli.ClearingCli()).execute("recover",
            "--journal", journal.toString()));
    }

    @Test
    void aGenesisThatDoesNotDescribeAConfigurationIsRefusedSayingWhy()
    {
        final RiskParameters defaults = new RiskParameters();
        assertRefused("a JournalGenesis frame is 28 bytes (24 in schema version 1), not 32",
            new UnsafeBuffer(new byte[32]), 13,
            (events, i) -> changed(events, i + 1, -1, defaults.get(i + 1, -1)), 13);
        final UnsafeBuffer deposit = genesisFrame(CAPACITY, 13);
        deposit.putShort(2, (short)io.clearing.sbe.DepositEncoder.TEMPLATE_ID, ByteOrder.LITTLE_ENDIAN);
        assertRefused("sequence 0 is not a JournalGenesis frame (schema 1729, template 3, version 2, block 20)",
            deposit, 13,
            (events, i) -> changed(events, i + 1, -1, defaults.get(i + 1, -1)), 13);
        assertRefused("account capacity out of range: 5 (17 to 8388608)", genesisFrame(5, 13), 13,
            (events, i) -> changed(events, i + 1, -1, defaults.get(i + 1, -1)), 13);
        assertRefused("it says 14 risk parameter values, its events are 13", genesisFrame(CAPACITY, 14), 13,
            (events, i) -> changed(events, i + 1, -1, defaults.get(i + 1, -1)), 13);
        assertRefused("no starting value for RECOVERY_BUFFER_PPM", genesisFrame(CAPACITY, 12), 12,
            (events, i) -> changed(events, i + 1, -1, defaults.get(i + 1, -1)), 12);
        assertRefused("event 8 is not a valid starting value (parameter 9, underlying -1, old 500000, new 500000)",
            genesisFrame(CAPACITY, 13), 13,
            (events, i) -> changed(events, i + 1, -1, i + 1 == RiskParameters.INITIAL_MARGIN_FACTOR ? 500_000L :
                defaults.get(i + 1, -1)), 13);
        // The price range for underlying 3 only: the other 63 would take the reader's defaults.
        assertRefused("no starting value for PRICE_RANGE_PPM of every underlying", genesisFrame(CAPACITY, 13), 13,
            (events, i) -> changed(events, i + 1, i == 0 ? 3 : -1, defaults.get(i + 1, -1)), 13);
    }

    private interface EventSource
    {
        void write(EventWriter events, int index);
    }

    private static void changed(final EventWriter events, final int parameter, final int underlying, final long value)
    {
        events.riskParameterChanged().parameter(io.clearing.sbe.RiskParameter.get(parameter)).underlyingId(underlying)
            .oldValue(value).newValue(value);
    }

    private static UnsafeBuffer genesisFrame(final int capacity, final int count)
    {
        return genesisFrame(capacity, count, ClearingStateMachine.RULES_VERSION);
    }

    private static UnsafeBuffer genesisFrame(final int capacity, final int count, final int rulesVersion)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(
            new byte[MessageHeaderEncoder.ENCODED_LENGTH + JournalGenesisEncoder.BLOCK_LENGTH]);
        new JournalGenesisEncoder().wrapAndApplyHeader(frame, 0, new MessageHeaderEncoder()).timestamp(0)
            .accountCapacity(capacity).riskParameterCount(count).rulesVersion(rulesVersion);
        return frame;
    }

    /** A genesis as schema version 1 wrote it (sessions 10 to 12): no rules version, a 16-byte block. */
    private static UnsafeBuffer versionOneGenesisFrame(final int capacity, final int count)
    {
        final int block = JournalGenesisEncoder.rulesVersionEncodingOffset();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[MessageHeaderEncoder.ENCODED_LENGTH + block]);
        new MessageHeaderEncoder().wrap(frame, 0).blockLength(block).templateId(JournalGenesisEncoder.TEMPLATE_ID)
            .schemaId(JournalGenesisEncoder.SCHEMA_ID).version(1);
        new JournalGenesisEncoder().wrap(frame, MessageHeaderEncoder.ENCODED_LENGTH).timestamp(0)
            .accountCapacity(capacity).riskParameterCount(count);
        return frame;
    }

    /**
     * A journal records the rules it was written under; one of other rules - a later version, or a schema version 1
     * genesis, written before versioned rules - is refused by a restart, by recover and by statement, and its audit
     * fails at sequence 0 saying which rules, instead of at the first event the rules decide differently.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void aJournalOfOtherRulesIsRefusedSayingWhichRules(final int which) throws Exception
    {
        final RiskParameters defaults = new RiskParameters();
        final int rules = which == 0 ? 0 : which == 1 ? ClearingStateMachine.RULES_VERSION + 1 :
            ClearingStateMachine.RULES_VERSION;
        final UnsafeBuffer command = which == 0 ? versionOneGenesisFrame(CAPACITY, 13) :
            genesisFrame(CAPACITY, 13, rules);
        final Path journal = tempDir.resolve("rules-" + which);
        final EventWriter events = new EventWriter();
        events.reset();
        for (int i = 0; i < 13; i++)
        {
            changed(events, i + 1, -1, defaults.get(i + 1, -1));
        }
        try (JournalWriter writer = new JournalWriter(journal))
        {
            writer.appendGenesis(0, command, 0, command.capacity(), events.buffer(), 0, events.length(), 13);
        }
        final Genesis genesis = Genesis.read(journal);
        assertEquals(rules, genesis.rulesVersion());
        assertEquals(CAPACITY, genesis.accountCapacity());
        final Auditor.Result audit = new Auditor(CAPACITY, new RiskParameters()).audit(journal);
        if (which == 2)
        {
            // The same genesis under this build's rules: it starts, and audits.
            assertEquals(null, genesis.rulesDifference());
            assertTrue(audit.ok(), audit.failure());
            return;
        }
        final String reason = "genesis (sequence 0): the journal was written under rules version " + rules +
            (rules == 0 ? " (before versioned rules)" : "") + ", this build implements rules version " +
            ClearingStateMachine.RULES_VERSION + ": re-execute it with a build of its rules (docs/audit.md, " +
            "\"Rules versions\")";
        assertEquals(reason, genesis.rulesDifference());
        final IllegalStateException start = assertThrows(IllegalStateException.class,
            builder(journal, CAPACITY, new RiskParameters()).build()::start);
        assertTrue(start.getMessage().endsWith(reason), start.getMessage());
        assertFalse(audit.ok());
        assertEquals(0, audit.failedSequence());
        assertEquals(reason, audit.failure());
        assertEquals(3, new picocli.CommandLine(new io.clearing.engine.cli.ClearingCli()).execute("recover",
            "--journal", journal.toString()));
        assertEquals(1, new picocli.CommandLine(new io.clearing.engine.cli.ClearingCli()).execute("statement",
            "--journal", journal.toString(), "--account", "100"));
    }

    private void assertRefused(final String reason, final UnsafeBuffer command, final int eventCount,
        final EventSource source, final int written)
    {
        final Path journal = tempDir.resolve("crafted-" + System.nanoTime());
        final EventWriter events = new EventWriter();
        events.reset();
        for (int i = 0; i < written; i++)
        {
            source.write(events, i);
        }
        try (JournalWriter writer = new JournalWriter(journal))
        {
            writer.appendGenesis(0, command, 0, command.capacity(), events.buffer(), 0, events.length(), eventCount);
        }
        final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Genesis.read(journal));
        assertTrue(refused.getMessage().endsWith("genesis (sequence 0): " + reason), refused.getMessage());
        final IllegalStateException start = assertThrows(IllegalStateException.class,
            builder(journal, CAPACITY, new RiskParameters()).build()::start);
        assertTrue(start.getMessage().endsWith(reason), start.getMessage());
        final Auditor.Result audit = new Auditor(CAPACITY, new RiskParameters()).audit(journal);
        assertFalse(audit.ok());
        assertEquals(0, audit.failedSequence());
        assertEquals("genesis (sequence 0): " + reason, audit.failure());
    }

    @Test
    void aJournalWithoutAGenesisAuditsWithTheConfigurationTheAuditorIsGiven() throws Exception
    {
        final Path journal = tempDir.resolve("journal");
        run(builder(journal, CAPACITY, new RiskParameters()));
        // A journal as engines wrote them before genesis documents: the same documents chained from sequence 1.
        final Path legacy = tempDir.resolve("legacy");
        try (JournalReader reader = new JournalReader(journal); JournalWriter writer = new JournalWriter(legacy))
        {
            final JournalDocument document = new JournalDocument();
            while (reader.next(document))
            {
                if (document.sequence() > 0)
                {
                    writer.append(document.timestamp(), document.buffer(), document.commandOffset(),
                        document.commandLength(), document.buffer(), document.eventsOffset(), document.eventsLength(),
                        document.eventCount());
                }
            }
        }
        assertNull(Genesis.read(legacy));

        final Auditor.Result result = new Auditor(CAPACITY, new RiskParameters()).audit(legacy);
        assertTrue(result.ok(), result.failure());
        assertEquals(FRAMES.size(), result.documents());
        final Auditor.Result wrong = new Auditor(CAPACITY, otherParameters()).audit(legacy);
        assertFalse(wrong.ok(), "given other parameters than the engine's, the auditor must see the difference");
    }

    @Test
    void aSubmittedGenesisIsRejectedAsNotACommand()
    {
        final ClearingStateMachine machine = new ClearingStateMachine(CAPACITY, new RiskParameters());
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[64]);
        final JournalGenesisEncoder genesis = new JournalGenesisEncoder()
            .wrapAndApplyHeader(frame, 0, new MessageHeaderEncoder())
            .timestamp(5).accountCapacity(CAPACITY).riskParameterCount(0);
        final EventWriter events = new EventWriter();

        machine.apply(frame, 0, MessageHeaderEncoder.ENCODED_LENGTH + genesis.encodedLength(), events);

        assertEquals(1, events.count());
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(events.buffer(), 4);
        assertEquals(CommandRejectedDecoder.TEMPLATE_ID, header.templateId());
        final CommandRejectedDecoder rejected = new CommandRejectedDecoder().wrap(events.buffer(),
            4 + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        assertEquals(RejectReason.NOT_A_COMMAND, rejected.reason());
        assertEquals(JournalGenesisEncoder.TEMPLATE_ID, rejected.commandTemplateId());
    }

    @Test
    void aConfigurationOutOfRangeIsRefusedBeforeAnythingIsWritten()
    {
        final Path journal = tempDir.resolve("journal");
        final RiskParameters invalid = new RiskParameters().set(RiskParameters.INITIAL_MARGIN_FACTOR, -1, 500_000L);
        final ClearingEngine engine = builder(journal, CAPACITY, invalid).build();

        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, engine::start);

        assertTrue(refused.getMessage().contains("INITIAL_MARGIN_FACTOR_PPM is out of range: 500000"),
            refused.getMessage());
        try (JournalWriter writer = new JournalWriter(journal))
        {
            assertTrue(writer.isEmpty());
        }
    }

    private static ClearingEngine.Builder builder(final Path journal, final int capacity, final RiskParameters risk)
    {
        return ClearingEngine.builder().journalDirectory(journal).accountCapacity(capacity).riskParameters(risk)
            .ringSize(1 << 12).snapshotEvery(5_000).snapshotsKept(3);
    }

    private static void run(final ClearingEngine.Builder builder) throws InterruptedException
    {
        try (ClearingEngine engine = builder.build())
        {
            engine.start();
            for (final byte[] frame : FRAMES)
            {
                assertTrue(engine.submit(new UnsafeBuffer(frame), 0, frame.length) >= 0);
            }
            while (engine.lastSequence() < FRAMES.size() && engine.isRunning())
            {
                Thread.sleep(1);
            }
            assertEquals(FRAMES.size(), engine.lastSequence());
        }
    }

    /** @return true when some document's events differ between the two journals of the same commands. */
    private static boolean eventsDiffer(final Path a, final Path b)
    {
        try (JournalReader readerA = new JournalReader(a); JournalReader readerB = new JournalReader(b))
        {
            final JournalDocument documentA = new JournalDocument();
            final JournalDocument documentB = new JournalDocument();
            while (readerA.next(documentA) && readerB.next(documentB))
            {
                if (documentA.sequence() > 0 && (documentA.eventsLength() != documentB.eventsLength() ||
                    !Bytes.equal(documentA.buffer(), documentA.eventsOffset(), documentB.buffer(),
                    documentB.eventsOffset(), documentA.eventsLength())))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static String lastHash(final Path journal)
    {
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        try (JournalWriter writer = new JournalWriter(journal))
        {
            writer.lastHash(hash);
        }
        return java.util.HexFormat.of().formatHex(hash);
    }

    /** The genesis document inside the journal's queue file, found by its command's SBE header, edited in place. */
    private static final class GenesisBytes
    {
        private final Path file;
        private final int start;

        private GenesisBytes(final Path file, final int start)
        {
            this.file = file;
            this.start = start;
        }

        static GenesisBytes find(final Path journal) throws IOException
        {
            final byte[] header = new byte[MessageHeaderEncoder.ENCODED_LENGTH];
            new MessageHeaderEncoder().wrap(new UnsafeBuffer(header), 0).blockLength(JournalGenesisEncoder.BLOCK_LENGTH)
                .templateId(JournalGenesisEncoder.TEMPLATE_ID).schemaId(JournalGenesisEncoder.SCHEMA_ID)
                .version(JournalGenesisEncoder.SCHEMA_VERSION);
            try (Stream<Path> files = Files.list(journal))
            {
                for (final Path file : files.filter(f -> f.toString().endsWith(".cq4")).sorted().toList())
                {
                    final byte[] bytes = Files.readAllBytes(file);
                    for (int i = JournalDocument.HEADER_LENGTH; i + header.length <= bytes.length; i++)
                    {
                        if (Arrays.equals(bytes, i, i + header.length, header, 0, header.length))
                        {
                            return new GenesisBytes(file, i - JournalDocument.HEADER_LENGTH);
                        }
                    }
                }
            }
            throw new AssertionError("no genesis in " + journal);
        }

        static int intAt(final Path journal, final GenesisBytes genesis, final int byteInDocument) throws IOException
        {
            final ByteBuffer four = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel channel = FileChannel.open(genesis.file, StandardOpenOption.READ))
            {
                channel.read(four, genesis.start + byteInDocument);
            }
            return four.getInt(0);
        }

        void flip(final int byteInDocument) throws IOException
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final ByteBuffer one = ByteBuffer.allocate(1);
                channel.read(one, start + byteInDocument);
                channel.write(ByteBuffer.wrap(new byte[] {(byte)~one.get(0)}), start + byteInDocument);
            }
        }

        void putInt(final int byteInDocument, final int value) throws IOException
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                channel.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value),
                    start + byteInDocument);
            }
        }

        /** Recomputes the genesis's stored hash over its (edited) bytes. */
        void reseal() throws IOException
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
                final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
                final int commandLength = buffer.getInt(start + JournalDocument.COMMAND_LENGTH_OFFSET,
                    JournalDocument.BYTE_ORDER);
                final int eventsLength = buffer.getInt(start + JournalDocument.EVENTS_LENGTH_OFFSET,
                    JournalDocument.BYTE_ORDER);
                final int hashed = JournalDocument.HEADER_LENGTH + commandLength + eventsLength;
                final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
                new JournalHasher().hash(buffer, start, hashed, hash);
                buffer.putBytes(start + hashed, hash);
                mapped.force();
            }
        }
    }
}
