package io.clearing.engine.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.engine.ClearingEngine;
import io.clearing.engine.ClearingStateMachine;
import io.clearing.engine.Genesis;
import io.clearing.engine.SnapshotStore;
import io.clearing.engine.WaitStrategyKind;
import io.clearing.engine.audit.Auditor;
import io.clearing.margin.Fixed;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.json.JsonCommandException;
import io.clearing.sbe.json.SbeJsonCodec;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** {@code ./clearing}: the command-line face of the engine. */
@Command(name = "clearing", mixinStandardHelpOptions = true, version = "clearing 0.1.0",
    description = "Low-latency cross-margined clearing engine for crypto derivatives.",
    subcommands = {ClearingCli.Simulate.class, ClearingCli.Run.class, ClearingCli.Dump.class,
        ClearingCli.Audit.class, PriceCommand.class, EfficiencyCommand.class, StatementCommand.class,
        BenchCommand.class, RecoverCommand.class})
public final class ClearingCli implements Callable<Integer>
{
    static final int DEFAULT_ACCOUNT_CAPACITY = 1 << 18;
    /** Exit code of {@code simulate} and {@code run} when the engine stops or cannot start (journal failure). */
    static final int EXIT_JOURNAL_FAILURE = 3;
    /** Default snapshot interval of {@code simulate}, in journal documents. */
    static final long DEFAULT_SNAPSHOT_EVERY = 1_000_000L;

    /** @param args command line. */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new ClearingCli()).execute(args));
    }

    @Override
    public Integer call()
    {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /** @return null when {@code journal} holds a journal (Chronicle Queue's metadata file), else what to print. */
    static String noJournal(final Path journal)
    {
        return Files.isRegularFile(journal.resolve("metadata.cq4t")) ? null :
            "no journal at " + journal.toAbsolutePath();
    }

    /**
     * @return null when the journal's queue files are lengths Chronicle leaves, else why not (a file cut short or
     * emptied: opening it would fault or wait for a header no writer is coming to write). For the tools that read a
     * journal nobody is writing.
     */
    static String damagedJournal(final Path journal)
    {
        return io.clearing.settlement.journal.JournalFiles.damage(journal, false);
    }

    /**
     * @return null when a JSON result can be written to {@code file} (its directory exists, it is not a directory),
     * else what to print: checked before the work whose result it is.
     */
    static String unwritable(final Path file)
    {
        if (file == null)
        {
            return null;
        }
        final Path parent = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file))
        {
            return file + " is a directory";
        }
        if (parent != null && !Files.isDirectory(parent))
        {
            return "no directory " + parent + " for " + file;
        }
        return null;
    }

    /** Largest ring `simulate` and `bench` take: 1,048,576 slots of 512 bytes. */
    static final int MAX_RING_SIZE = 1 << 20;

    /**
     * @return null when {@code path} may be replaced by a new journal - it does not exist, is an empty directory, or
     * holds a journal (Chronicle Queue's metadata file) - else why not.
     */
    static String notAJournal(final Path path) throws IOException
    {
        if (!Files.exists(path))
        {
            return null;
        }
        if (!Files.isDirectory(path))
        {
            return "it is a file, not a journal directory";
        }
        if (Files.isRegularFile(path.resolve("metadata.cq4t")))
        {
            return null;
        }
        try (Stream<Path> entries = Files.list(path))
        {
            return entries.findAny().isPresent() ? "a directory that holds something other than a journal" : null;
        }
    }

    static void deleteRecursively(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
        {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory))
        {
            for (final Path path : (Iterable<Path>)walk.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.delete(path);
            }
        }
    }

    /** The options of a simulate run that decide its commands, kept beside its journal for --resume to check. */
    static final String RUN_OPTIONS_FILE = "simulate-run.json";

    /** {@code simulate}: the synthetic market, end to end. */
    @Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Run the embedded synthetic market through the engine and print a summary.")
    static final class Simulate implements Callable<Integer>
    {
        @Option(names = "--accounts", description = "User accounts (default ${DEFAULT-VALUE}).")
        int accounts = 100_000;

        @Option(names = "--commands", description = "Commands in total, setup included (default " +
            "${DEFAULT-VALUE}); the fixed setup - definitions, first prices and fund deposits, 88 commands - is " +
            "sent whole even when it is longer.")
        long commands = 5_000_000L;

        @Option(names = "--seed", description = "Random seed (default ${DEFAULT-VALUE}).")
        long seed = 42L;

        @Option(names = "--journal", description = "Journal directory, replaced (default ${DEFAULT-VALUE}).")
        Path journal = Path.of("clearing-data", "simulate-journal");

        @Option(names = "--summary-json", description = "Also write the summary as JSON to this file.")
        Path summaryJson;

        @Option(names = "--wait-strategy", description = "YIELDING, SLEEPING, BLOCKING or BUSY_SPIN " +
            "(default ${DEFAULT-VALUE}).")
        WaitStrategyKind waitStrategy = WaitStrategyKind.YIELDING;

        @Option(names = "--insurance-fund", description = "Opening insurance fund in USDC (default ${DEFAULT-VALUE}); " +
            "penalties refill it. 0 with --liquidation-penalty-ppm 0 sends every bankruptcy to auto-deleveraging.")
        long insuranceFund = 100;

        @Option(names = "--liquidation-penalty-ppm", description = "Liquidation penalty set at setup " +
            "(default: the engine's, 5000).")
        long liquidationPenaltyPpm = -1;

        @Option(names = "--resume", description = "Continue the run whose journal is in --journal (after a crash): " +
            "the engine replays the journal and the generator sends only what it does not hold yet.")
        boolean resume;

        @Option(names = "--ring-size", description = "Ring slots, a power of two (default ${DEFAULT-VALUE}); the " +
            "generator offers as fast as it can, so latency includes queueing in a full ring.")
        int ringSize = 8192;

        @Option(names = "--snapshot-every", description = "Snapshot the engine's state every N journal documents " +
            "(default ${DEFAULT-VALUE}; 0: none). A restart loads the newest and replays only what follows it.")
        long snapshotEvery = DEFAULT_SNAPSHOT_EVERY;

        @Option(names = "--durability", description = "PAGE_CACHE (default): a journaled document survives the " +
            "process; SYNCED: the journal is forced to disk (fdatasync) once per batch before its events are " +
            "delivered, so it survives a power loss too.")
        io.clearing.settlement.journal.Durability durability = io.clearing.settlement.journal.Durability.PAGE_CACHE;

        @Option(names = "--snapshots-kept",
            description = "Snapshot files kept, newest first (default ${DEFAULT-VALUE}: all five of the default run, " +
                "so that audit re-executes the stretches between them side by side).")
        int snapshotsKept = 8;

        /** @return the options that decide the generated commands, as --resume must repeat them. */
        private ObjectNode runOptions()
        {
            final ObjectNode options = new ObjectMapper().createObjectNode();
            options.put("accounts", accounts);
            options.put("commands", commands);
            options.put("seed", seed);
            options.put("insuranceFund", insuranceFund);
            options.put("liquidationPenaltyPpm", liquidationPenaltyPpm);
            return options;
        }

        /** @return null when this run continues the one whose journal it resumes (or that run left no options). */
        private String differentRun() throws IOException
        {
            final Path file = journal.resolve(RUN_OPTIONS_FILE);
            if (!Files.isRegularFile(file))
            {
                return null;
            }
            final com.fasterxml.jackson.databind.JsonNode written = new ObjectMapper().readTree(file.toFile());
            // Compared as text: the file's small numbers read back as ints, the options are longs.
            return written.toString().equals(runOptions().toString()) ? null :
                "the journal was written by a run with " + written +
                ", this one has " + runOptions() + ": the generator would not continue the same commands";
        }

        @Override
        public Integer call() throws Exception
        {
            if (accounts < 2 || accounts > DEFAULT_ACCOUNT_CAPACITY - 16)
            {
                System.err.println("--accounts must be between 2 and " + (DEFAULT_ACCOUNT_CAPACITY - 16));
                return 2;
            }
            if (snapshotEvery < 0 || snapshotsKept < 1)
            {
                System.err.println("--snapshot-every must be >= 0 and --snapshots-kept >= 1");
                return 2;
            }
            if (unwritable(summaryJson) != null)
            {
                System.err.println("--summary-json: " + unwritable(summaryJson));
                return 2;
            }
            if (ringSize < 2 || ringSize > MAX_RING_SIZE || Integer.bitCount(ringSize) != 1)
            {
                System.err.println("--ring-size must be a power of two from 2 to " + MAX_RING_SIZE + ": " + ringSize);
                return 2;
            }
            if (insuranceFund < 0 || insuranceFund > io.clearing.settlement.Limits.MAX_AMOUNT / Fixed.SCALE)
            {
                System.err.println("--insurance-fund must be from 0 to " +
                    io.clearing.settlement.Limits.MAX_AMOUNT / Fixed.SCALE + " USDC: " + insuranceFund);
                return 2;
            }
            if (liquidationPenaltyPpm != -1 && !io.clearing.margin.RiskParameters.validate(
                io.clearing.margin.RiskParameters.LIQUIDATION_PENALTY, -1, liquidationPenaltyPpm))
            {
                System.err.println("--liquidation-penalty-ppm out of range: " + liquidationPenaltyPpm);
                return 2;
            }
            if (!resume)
            {
                final String notReplaceable = notAJournal(journal);
                if (notReplaceable != null)
                {
                    System.err.println("simulate: will not replace " + journal.toAbsolutePath() + ": " +
                        notReplaceable + " (--journal must be missing, empty, or a journal)");
                    return 2;
                }
                try
                {
                    deleteRecursively(journal);
                }
                catch (final IOException ex)
                {
                    System.err.println("simulate: cannot replace the journal " + journal.toAbsolutePath() + ": " +
                        describe(ex));
                    return EXIT_JOURNAL_FAILURE;
                }
            }
            else
            {
                final String different = differentRun();
                if (different != null)
                {
                    System.err.println("simulate --resume: " + different);
                    return 2;
                }
            }
            final Simulator.Statistics statistics = new Simulator.Statistics();
            final long started;
            final long elapsedNanos;
            final Simulator simulator;
            final ClearingEngine engine = ClearingEngine.builder()
                .journalDirectory(journal)
                .waitStrategy(waitStrategy)
                .ringSize(ringSize)
                .accountCapacity(DEFAULT_ACCOUNT_CAPACITY)
                .snapshotEvery(snapshotEvery)
                .snapshotsKept(snapshotsKept)
                .durability(durability)
                .listener(statistics)
                .build();
            try (engine)
            {
                try
                {
                    engine.start();
                }
                catch (final UncheckedIOException | IllegalStateException ex)
                {
                    return startFailure("simulate", journal, ex);
                }
                if (!Files.exists(journal.resolve(RUN_OPTIONS_FILE)))
                {
                    try
                    {
                        new ObjectMapper().writeValue(journal.resolve(RUN_OPTIONS_FILE).toFile(), runOptions());
                    }
                    catch (final IOException ex)
                    {
                        return journalFailure("simulate", journal, engine.lastSequence(), ex);
                    }
                }
                final long resumedAfter = engine.lastSequence();
                simulator = new Simulator(engine, accounts, commands, seed)
                    .stress(insuranceFund * Fixed.SCALE, liquidationPenaltyPpm)
                    .resumeAfter(resumedAfter);
                if (engine.lastSequence() > 0)
                {
                    final ClearingEngine.Recovery recovery = engine.recovery();
                    System.err.printf("simulate: resuming after %,d journaled commands: %s, %,d documents " +
                        "replayed in %,d ms%n", engine.lastSequence(), recovery.snapshotSequence() == 0 ?
                        "no snapshot" : String.format("snapshot at %,d loaded in %,d ms", recovery.snapshotSequence(),
                        recovery.snapshotLoadNanos() / 1_000_000), recovery.replayedDocuments(),
                        recovery.replayNanos() / 1_000_000);
                }
                System.err.printf("simulate: %,d accounts, %,d commands, seed %d, journal %s%n",
                    accounts, commands, seed, journal.toAbsolutePath());
                started = System.nanoTime();
                try
                {
                    simulator.run(sent -> System.err.printf("  %,d commands sent (%.0f%%)%n", sent,
                        100.0 * sent / commands));
                }
                catch (final IllegalStateException ex)
                {
                    if (engine.failure() == null)
                    {
                        throw ex;
                    }
                }
                // Delivered documents carry their journal sequence; a resumed run that had nothing left to send
                // delivers none (it once waited here for ever).
                while (Math.max(statistics.documents, resumedAfter) < simulator.sent() && engine.isRunning())
                {
                    Thread.sleep(1);
                }
                elapsedNanos = System.nanoTime() - started;
                if (engine.failure() != null)
                {
                    return journalFailure("simulate", journal, engine.lastSequence(), engine.failure());
                }
            }
            final ClearingStateMachine.MarginTotals totals = engine.stateMachine().marginTotals();
            final int conservation = engine.stateMachine().ledger().checkConservation();
            final String finalHash = lastHash(journal);
            final SbeJsonCodec codec = SbeJsonCodec.load();
            final Map<String, Long> eventCounts = new LinkedHashMap<>();
            for (int id = 0; id < statistics.eventCounts.length; id++)
            {
                if (statistics.eventCounts[id] > 0)
                {
                    eventCounts.put(codec.typeName(id), statistics.eventCounts[id]);
                }
            }
            final ObjectMapper mapper = new ObjectMapper();
            final ObjectNode summary = mapper.createObjectNode();
            final double seconds = elapsedNanos / 1e9;
            summary.put("commands", simulator.sent());
            summary.put("accounts", accounts);
            summary.put("seed", seed);
            summary.put("elapsedSeconds", seconds);
            summary.put("commandsPerSecond", simulator.sent() / seconds);
            final ObjectNode latency = summary.putObject("latencyNanos");
            latency.put("p50", statistics.latency.getValueAtPercentile(50));
            latency.put("p99", statistics.latency.getValueAtPercentile(99));
            latency.put("p999", statistics.latency.getValueAtPercentile(99.9));
            latency.put("max", statistics.latency.getMaxValue());
            final ObjectNode counts = summary.putObject("eventCounts");
            eventCounts.forEach(counts::put);
            summary.put("crossInitialMargin", totals.crossInitialMargin());
            summary.put("isolatedInitialMargin", totals.isolatedInitialMargin());
            summary.put("accountsWithPositions", totals.accountsWithPositions());
            summary.put("capitalEfficiency", totals.capitalEfficiency());
            summary.put("conservationHolds", conservation < 0);
            summary.put("accountEvaluations", engine.stateMachine().evaluations());
            summary.put("tickTriggeredEvaluations", engine.stateMachine().triggeredEvaluations());
            summary.put("bandRegistrations", engine.stateMachine().bandRegistrations());
            summary.put("finalHash", finalHash);
            summary.put("journal", journal.toAbsolutePath().toString());
            final ObjectNode snapshots = summary.putObject("snapshots");
            snapshots.put("every", snapshotEvery);
            snapshots.put("written", engine.snapshotsWritten());
            snapshots.put("failures", engine.snapshotFailures());
            snapshots.put("maxEncodeMillis", engine.maxSnapshotEncodeNanos() / 1e6);
            snapshots.put("totalEncodeMillis", engine.totalSnapshotEncodeNanos() / 1e6);
            final io.clearing.engine.SnapshotFile lastSnapshot = engine.lastSnapshot();
            if (lastSnapshot != null)
            {
                snapshots.put("lastSequence", lastSnapshot.sequence());
                snapshots.put("lastBytes", lastSnapshot.bytes());
                snapshots.put("lastEncodeMillis", lastSnapshot.encodeNanos() / 1e6);
                snapshots.put("lastWriteMillis", lastSnapshot.writeNanos() / 1e6);
            }
            final ClearingEngine.Recovery recovery = engine.recovery();
            final ObjectNode recovered = summary.putObject("recovery");
            recovered.put("snapshotSequence", recovery.snapshotSequence());
            recovered.put("snapshotLoadMillis", recovery.snapshotLoadNanos() / 1e6);
            recovered.put("replayedDocuments", recovery.replayedDocuments());
            recovered.put("replayMillis", recovery.replayNanos() / 1e6);
            final ObjectNode journalSync = summary.putObject("journalDurability");
            journalSync.put("mode", durability.name());
            journalSync.put("syncs", engine.journalSyncs());
            journalSync.put("syncMillis", engine.journalSyncNanos() / 1e6);
            final PrintStream out = System.out;
            out.printf("commands            %,d in %.2f s (%,.0f commands/s)%n", simulator.sent(), seconds,
                simulator.sent() / seconds);
            out.printf("latency submit->delivered  p50 %,d ns  p99 %,d ns  p99.9 %,d ns  max %,d ns%n",
                latency.get("p50").asLong(), latency.get("p99").asLong(), latency.get("p999").asLong(),
                latency.get("max").asLong());
            out.println("events:");
            eventCounts.forEach((name, count) -> out.printf("  %-22s %,d%n", name, count));
            out.printf("initial margin      cross %,.2f  isolated %,.2f  (isolated/cross %.2fx, %,d accounts " +
                "with positions)%n", usdc(totals.crossInitialMargin()), usdc(totals.isolatedInitialMargin()),
                totals.capitalEfficiency(), totals.accountsWithPositions());
            out.printf("margin work         %,d account evaluations (%,d triggered by price bands), %,d bands " +
                "registered%n", engine.stateMachine().evaluations(), engine.stateMachine().triggeredEvaluations(),
                engine.stateMachine().bandRegistrations());
            out.printf("conservation        %s%n", conservation < 0 ? "holds (every asset: balances = deposits - " +
                "withdrawals)" : "BROKEN for asset " + conservation);
            out.printf("snapshots           %,d written (%s), encode pauses %.1f ms in all, longest %.1f ms%s%n",
                engine.snapshotsWritten(), snapshotEvery == 0 ? "periodic snapshots off" :
                String.format("every %,d documents", snapshotEvery), engine.totalSnapshotEncodeNanos() / 1e6,
                engine.maxSnapshotEncodeNanos() / 1e6,
                lastSnapshot == null ? "" : String.format(", last at %,d: %,d bytes, encoded in %.1f ms, written " +
                "in %.1f ms in the background", lastSnapshot.sequence(), lastSnapshot.bytes(),
                lastSnapshot.encodeNanos() / 1e6, lastSnapshot.writeNanos() / 1e6));
            out.printf("final hash          %s%n", finalHash);
            out.printf("journal             %s (%s)%n", journal.toAbsolutePath(),
                durability == io.clearing.settlement.journal.Durability.SYNCED ? String.format("synced: %,d group " +
                "commits, %.1f ms in fdatasync on the engine thread", engine.journalSyncs(),
                engine.journalSyncNanos() / 1e6) : "page cache: survives the process, not a power loss");
            if (summaryJson != null)
            {
                mapper.writerWithDefaultPrettyPrinter().writeValue(summaryJson.toFile(), summary);
            }
            return conservation < 0 ? 0 : 1;
        }
    }

    /**
     * Reports an engine that stopped - typically on a journal that cannot be written (full disk, removed or replaced
     * directory) - on stderr: the cause, how many documents the journal holds, and how to continue.
     *
     * @return {@link #EXIT_JOURNAL_FAILURE}.
     */
    static int journalFailure(final String command, final Path journal, final long journaled, final Throwable cause)
    {
        System.err.println(command + ": the engine stopped: " + describe(cause));
        System.err.printf("%s: %,d commands are journaled in %s, and only those were reported; free space or fix " +
            "the directory, then %s%n", command, journaled, journal.toAbsolutePath(), "simulate".equals(command) ?
            "continue with the same options and --resume" : "feed the commands after those to --journal again");
        return EXIT_JOURNAL_FAILURE;
    }

    /**
     * Reports an engine that could not start on its journal (read-only, full or unreadable) on stderr.
     *
     * @return {@link #EXIT_JOURNAL_FAILURE}.
     */
    static int startFailure(final String command, final Path journal, final Throwable cause)
    {
        System.err.println(command + ": cannot start the engine: " + describe(cause));
        System.err.println(command + ": nothing was sent; the journal in " + journal.toAbsolutePath() +
            " is as it was");
        return EXIT_JOURNAL_FAILURE;
    }

    private static String describe(final Throwable cause)
    {
        // UncheckedIOException's own message repeats its cause's class name; the IOException's message is the news.
        final Throwable shown = cause instanceof UncheckedIOException && cause.getCause() != null ?
            cause.getCause() : cause;
        return shown.getMessage() == null ? shown.toString() : shown.getMessage();
    }

    static String lastHash(final Path journal)
    {
        final JournalDocument document = new JournalDocument();
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        try (JournalReader reader = new JournalReader(journal))
        {
            final long last = reader.lastSequence();
            // A journal holding only its genesis: the genesis is its last document.
            if (last == 0 ? !reader.next(document) || document.sequence() != 0 :
                !reader.seek(last) || !reader.next(document))
            {
                return "";
            }
            document.hash(hash);
        }
        return HexFormat.of().formatHex(hash);
    }

    /** {@code run}: JSON lines in, events as JSON lines out. */
    @Command(name = "run", mixinStandardHelpOptions = true,
        description = "Feed commands written as JSON lines; write every resulting event as a JSON line.")
    static final class Run implements Callable<Integer>
    {
        /** The longest input line kept: 64 KiB, a hundred times the longest command. */
        static final int MAX_LINE_BYTES = 65_536;
        private static final int END = -1;
        private static final int LINE = 0;
        private static final int TOO_LONG = 1;

        @Option(names = "--in", required = true, description = "Input file, one JSON command per line.")
        Path in;

        @Option(names = "--out", description = "Output file (default: standard output).")
        Path out;

        @Option(names = "--journal", description = "Journal directory; an existing journal is resumed " +
            "(default: a new temporary directory).")
        Path journal;

        @Override
        public Integer call() throws Exception
        {
            final SbeJsonCodec codec = SbeJsonCodec.load();
            final String badFiles = checkFiles();
            if (badFiles != null)
            {
                System.err.println("run: " + badFiles);
                return 2;
            }
            final Path journalDirectory = journal != null ? journal : Files.createTempDirectory("clearing-run-");
            System.err.println("run: journal " + journalDirectory.toAbsolutePath());
            final JsonFactory factory = new JsonFactory();
            final OutputStream stream = out == null ? System.out : Files.newOutputStream(out);
            final JsonGenerator generator = factory.createGenerator(stream, JsonEncoding.UTF8);
            generator.setRootValueSeparator(null);
            final Object lock = new Object();
            final AtomicLong processed = new AtomicLong();
            long submitted = 0;
            final ClearingEngine engine = ClearingEngine.builder()
                .journalDirectory(journalDirectory)
                .accountCapacity(DEFAULT_ACCOUNT_CAPACITY)
                .listener((sequence, command, co, cl, events, eo, el, count, submitNanos) ->
                {
                    synchronized (lock)
                    {
                        try
                        {
                            int offset = eo;
                            for (int i = 0; i < count; i++)
                            {
                                final int length = events.getInt(offset, java.nio.ByteOrder.LITTLE_ENDIAN);
                                generator.writeStartObject();
                                generator.writeNumberField("seq", sequence);
                                codec.writeFields(events, offset + 4, length, generator);
                                generator.writeEndObject();
                                generator.writeRaw('\n');
                                offset += 4 + length;
                            }
                        }
                        catch (final IOException ex)
                        {
                            throw new java.io.UncheckedIOException(ex);
                        }
                    }
                    processed.incrementAndGet();
                })
                .build();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ClearingEngine.SLOT_CAPACITY]);
            try (engine; java.io.InputStream reader = new java.io.BufferedInputStream(Files.newInputStream(in)))
            {
                try
                {
                    engine.start();
                }
                catch (final UncheckedIOException | IllegalStateException ex)
                {
                    return startFailure("run", journalDirectory, ex);
                }
                final java.io.ByteArrayOutputStream lineBytes = new java.io.ByteArrayOutputStream();
                final java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
                long lineNumber = 0;
                for (int read = readLine(reader, lineBytes); read != END; read = readLine(reader, lineBytes))
                {
                    lineNumber++;
                    String line = null;
                    String error = null;
                    try
                    {
                        if (read == TOO_LONG)
                        {
                            error = "longer than " + MAX_LINE_BYTES + " bytes";
                        }
                        else
                        {
                            line = utf8.decode(java.nio.ByteBuffer.wrap(lineBytes.toByteArray())).toString();
                        }
                    }
                    catch (final java.nio.charset.CharacterCodingException ex)
                    {
                        error = "not valid UTF-8";
                    }
                    if (line != null && lineNumber == 1 && line.startsWith("\uFEFF"))
                    {
                        line = line.substring(1);   // a byte-order mark is not part of the first command
                    }
                    if (line != null && line.isBlank())
                    {
                        continue;
                    }
                    int length = 0;
                    try
                    {
                        if (error != null)
                        {
                            throw new IOException(error);
                        }
                        length = codec.encode(line, buffer, 0);
                        final JsonNode type = new ObjectMapper().readTree(line).get(SbeJsonCodec.TYPE_KEY);
                        if (type != null && !codec.isCommand(type.asText()))
                        {
                            error = "\"" + type.asText() + "\" is an event, not a command";
                        }
                    }
                    catch (final JsonCommandException | IOException ex)
                    {
                        error = ex.getMessage();
                    }
                    if (error != null)
                    {
                        // Its place in the output: after the events of every command before it - unless the engine
                        // stopped (a journal fault), which the next submit reports.
                        while (processed.get() < submitted && engine.isRunning())
                        {
                            Thread.onSpinWait();
                        }
                        synchronized (lock)
                        {
                            generator.writeStartObject();
                            generator.writeStringField("type", "InputError");
                            generator.writeNumberField("line", lineNumber);
                            generator.writeStringField("error", error);
                            generator.writeEndObject();
                            generator.writeRaw('\n');
                        }
                        continue;
                    }
                    if (engine.submit(buffer, 0, length) < 0)
                    {
                        break;
                    }
                    submitted++;
                }
                while (processed.get() < submitted && engine.isRunning())
                {
                    Thread.onSpinWait();
                }
                if (engine.failure() != null)
                {
                    synchronized (lock)
                    {
                        generator.flush();
                        if (out != null)
                        {
                            generator.close();
                        }
                    }
                    return journalFailure("run", journalDirectory, engine.lastSequence(), engine.failure());
                }
            }
            synchronized (lock)
            {
                generator.flush();
                if (out != null)
                {
                    generator.close();
                }
            }
            return 0;
        }
        /** @return why the files named cannot be used, or null: checked before any journal is created. */
        private String checkFiles() throws IOException
        {
            if (!Files.isRegularFile(in) || !Files.isReadable(in))
            {
                return "--in " + in + ": not a readable file";
            }
            if (out != null)
            {
                if (Files.isDirectory(out))
                {
                    return "--out " + out + ": a directory";
                }
                final Path parent = out.toAbsolutePath().getParent();
                if (parent != null && !Files.isDirectory(parent))
                {
                    return "--out " + out + ": no directory " + parent;
                }
                if (Files.exists(out) && Files.isSameFile(in, out))
                {
                    return "--out " + out + " is the input file";
                }
            }
            return null;
        }

        /**
         * Reads one line's bytes into {@code line}, without its line ending (LF, CR LF or a lone CR, as
         * BufferedReader). A line longer than {@link #MAX_LINE_BYTES} is read to its end but not kept: a command is
         * a few hundred bytes, and one hostile line must not exhaust the heap and lose the output of the commands
         * already submitted.
         *
         * @return {@link #END} at the end of the input, {@link #TOO_LONG} for a line not kept, else {@link #LINE}.
         */
        private static int readLine(final java.io.InputStream input, final java.io.ByteArrayOutputStream line)
            throws IOException
        {
            line.reset();
            int b = input.read();
            if (b < 0)
            {
                return END;
            }
            long length = 0;
            while (b >= 0 && b != '\n' && b != '\r')
            {
                if (++length <= MAX_LINE_BYTES)
                {
                    line.write(b);
                }
                b = input.read();
            }
            if (b == '\r')
            {
                input.mark(1);
                if (input.read() != '\n')
                {
                    input.reset();
                }
            }
            return length > MAX_LINE_BYTES ? TOO_LONG : LINE;
        }
    }

    /** {@code dump}: the journal as JSON lines. */
    @Command(name = "dump", mixinStandardHelpOptions = true, description = "Print the journal as JSON lines.")
    static final class Dump implements Callable<Integer>
    {
        @Option(names = "--journal", required = true, description = "Journal directory.")
        Path journal;

        @Option(names = "--account", description = "Only documents touching this account, only its events.")
        Integer account;

        @Option(names = "--from", description = "First sequence (default 0: the journal's first document, its " +
            "genesis when it has one).")
        long from = 0;

        @Option(names = "--to", description = "Last sequence (default: the end).")
        long to = Long.MAX_VALUE;

        @Override
        public Integer call() throws Exception
        {
            if (noJournal(journal) != null)
            {
                System.err.println("dump: " + noJournal(journal));
                return 2;
            }
            if (from < 0 || to < from)
            {
                System.err.println("dump: --from must be 0 or more and --to at least --from: " + from + ", " + to);
                return 2;
            }
            if (damagedJournal(journal) != null)
            {
                System.err.println("dump: " + damagedJournal(journal));
                return 1;
            }
            final SbeJsonCodec codec = SbeJsonCodec.load();
            final ObjectMapper mapper = new ObjectMapper();
            final JournalDocument document = new JournalDocument();
            final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
            final PrintStream out = new PrintStream(new java.io.BufferedOutputStream(System.out, 1 << 16), false,
                StandardCharsets.UTF_8);
            try (JournalReader reader = new JournalReader(journal))
            {
                // A reader starts at the first document; the genesis (sequence 0) cannot be sought past a missing one.
                if (from > 0 && !reader.seek(from))
                {
                    return 0;
                }
                while (reader.next(document) && document.sequence() <= to)
                {
                    final ObjectNode line = mapper.createObjectNode();
                    line.put("seq", document.sequence());
                    line.put("timestamp", document.timestamp());
                    JsonNode command;
                    try
                    {
                        command = mapper.readTree(codec.toJson(document.buffer(), document.commandOffset(),
                            document.commandLength()));
                    }
                    catch (final JsonCommandException ex)
                    {
                        final ObjectNode raw = mapper.createObjectNode();
                        raw.put("type", "Unreadable");
                        raw.put("hex", HexFormat.of().formatHex(bytes(document, document.commandOffset(),
                            document.commandLength())));
                        command = raw;
                    }
                    boolean touches = account == null || mentions(command, account);
                    final var events = mapper.createArrayNode();
                    for (int o = document.firstEventOffset(), i = 0; i < document.eventCount();
                        i++, o = document.nextEventOffset(o))
                    {
                        final JsonNode event = mapper.readTree(codec.toJson(document.buffer(),
                            document.eventFrameOffset(o), document.eventFrameLength(o)));
                        if (account == null || mentions(event, account))
                        {
                            events.add(event);
                            touches = true;
                        }
                    }
                    if (!touches)
                    {
                        continue;
                    }
                    line.set("command", command);
                    line.set("events", events);
                    document.hash(hash);
                    line.put("hash", HexFormat.of().formatHex(hash));
                    out.println(mapper.writeValueAsString(line));
                }
            }
            catch (final IllegalStateException ex)
            {
                // A journal that cannot be opened (a queue file cut short, its queue metadata damaged).
                out.flush();
                System.err.println("dump: " + ex.getMessage());
                return 1;
            }
            out.flush();
            return 0;
        }

        private static boolean mentions(final JsonNode node, final int accountId)
        {
            for (final String field : new String[]{"accountId", "makerAccountId", "takerAccountId",
                "counterpartyAccountId", "liquidatorAccountId"})
            {
                final JsonNode value = node.get(field);
                if (value != null && value.asInt() == accountId)
                {
                    return true;
                }
            }
            return false;
        }

        private static byte[] bytes(final JournalDocument document, final int offset, final int length)
        {
            final byte[] copy = new byte[Math.max(0, length)];
            document.buffer().getBytes(offset, copy);
            return copy;
        }
    }

    /** {@code audit}: verify and re-execute a journal, from its start or from a snapshot; check snapshots. */
    @Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Verify the hash chain, re-execute every command and compare every event bit for bit, " +
            "check conservation at every document; optionally start from a snapshot, or prove every snapshot " +
            "equal to the re-executed state.")
    static final class Audit implements Callable<Integer>
    {
        @Option(names = "--journal", required = true, description = "Journal directory.")
        Path journal;

        @Option(names = "--account-capacity", description = "Account capacity of a journal started without a " +
            "genesis (one with a genesis records its own; default ${DEFAULT-VALUE}).")
        int accountCapacity = DEFAULT_ACCOUNT_CAPACITY;

        @Option(names = "--json", description = "Also write the result as JSON to this file.")
        Path json;

        @Option(names = "--snapshot", description = "Start from this snapshot: check its hash and that the " +
            "journal's document at its sequence has its chain hash, then re-execute only the documents after it.")
        Path snapshot;

        @Option(names = "--verify-snapshots", description = "Audit from the first document and, at each " +
            "snapshot's sequence, prove the re-executed state byte-identical to the snapshot file.")
        boolean verifySnapshots;

        @Option(names = "--workers", description = "Threads re-executing the stretches of the journal between its " +
            "valid snapshots side by side, the most work first, each proving the snapshot that closes its stretch " +
            "(default: the machine's processors, ${DEFAULT-VALUE}); the verdict does not depend on it.")
        int workers = Runtime.getRuntime().availableProcessors();

        @Option(names = "--no-snapshots", description = "Ignore the snapshot directory: re-execute the whole " +
            "journal from its first document on one thread.")
        boolean noSnapshots;

        @Override
        public Integer call() throws IOException
        {
            if ((snapshot != null ? 1 : 0) + (verifySnapshots ? 1 : 0) + (noSnapshots ? 1 : 0) > 1)
            {
                System.err.println("--snapshot, --verify-snapshots and --no-snapshots exclude each other");
                return 2;
            }
            if (workers < 1)
            {
                System.err.println("--workers must be at least 1");
                return 2;
            }
            if (noJournal(journal) != null || unwritable(json) != null)
            {
                System.err.println("audit: " + (noJournal(journal) != null ? noJournal(journal) :
                    "--json: " + unwritable(json)));
                return 2;
            }
            final boolean inSegments = snapshot == null && !verifySnapshots && !noSnapshots;
            final long started = System.nanoTime();
            final Auditor auditor = new Auditor(accountCapacity, new RiskParameters());
            final java.util.function.LongConsumer progress =
                documents -> System.err.printf("  %,d documents verified%n", documents);
            final Auditor.Result result = snapshot != null ? auditor.auditFromSnapshot(journal, snapshot, progress) :
                verifySnapshots ? auditor.verifySnapshots(journal, progress) :
                inSegments ? auditor.auditInSegments(journal, workers, progress) : auditor.audit(journal, progress);
            final double seconds = (System.nanoTime() - started) / 1e9;
            Genesis genesis = null;
            try
            {
                genesis = Genesis.read(journal);
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                // No journal, or a damaged genesis: the audit's first failure, reported below.
            }
            if (json != null)
            {
                final ObjectMapper mapper = new ObjectMapper();
                final ObjectNode node = mapper.createObjectNode();
                node.put("ok", result.ok());
                if (genesis == null)
                {
                    node.putNull("genesis");
                }
                else
                {
                    node.putObject("genesis").put("rulesVersion", genesis.rulesVersion())
                        .put("accountCapacity", genesis.accountCapacity())
                        .put("riskParameterValues", genesis.riskParameterCount());
                }
                node.put("documents", result.documents());
                node.put("lastSequence", result.lastSequence());
                node.put("finalHash", result.finalHash());
                if (!result.ok())
                {
                    node.put("failedSequence", result.failedSequence());
                    node.put("failure", result.failure());
                }
                node.put("startSequence", result.startSequence());
                node.put("workers", inSegments ? Math.min(workers, result.segments().size()) : 1);
                if (inSegments)
                {
                    final var segments = node.putArray("segments");
                    for (final Auditor.Segment segment : result.segments())
                    {
                        final ObjectNode entry = segments.addObject();
                        entry.put("firstSequence", segment.firstSequence());
                        entry.put("lastSequence", segment.lastSequence());
                        entry.put("start", segment.start() == null ? null :
                            segment.start().toAbsolutePath().toString());
                        entry.put("documents", segment.documents());
                        entry.put("seconds", segment.seconds());
                        entry.put("ok", segment.ok());
                    }
                }
                if (verifySnapshots || inSegments)
                {
                    final var checks = node.putArray("snapshots");
                    for (final Auditor.SnapshotCheck check : result.snapshots())
                    {
                        final ObjectNode entry = checks.addObject();
                        entry.put("file", check.file().toAbsolutePath().toString());
                        entry.put("sequence", check.sequence());
                        entry.put("identical", check.identical());
                        entry.put("detail", check.detail());
                    }
                }
                node.put("elapsedSeconds", seconds);
                node.put("journal", journal.toAbsolutePath().toString());
                mapper.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), node);
            }
            for (final Auditor.Segment segment : result.segments().size() > 1 ? result.segments() :
                List.<Auditor.Segment>of())
            {
                final String from = segment.start() == null ? "a fresh engine" : segment.start().getFileName()
                    .toString();
                if (segment.documents() == 0 && segment.ok())
                {
                    System.out.printf("segment after %d from %s: no documents after it%n",
                        segment.firstSequence() - 1, from);
                    continue;
                }
                System.out.printf("segment %d..%d from %s: %,d documents in %.1f s%s%n", segment.firstSequence(),
                    segment.lastSequence(), from, segment.documents(), segment.seconds(), segment.ok() ? "" :
                    " FAILED");
            }
            for (final Auditor.SnapshotCheck check : result.snapshots())
            {
                System.out.printf("snapshot %s (sequence %d): %s%s%n", check.file().getFileName(), check.sequence(),
                    check.identical() || check.detail().startsWith("not used") ? "" : "DIFFERS: ", check.detail());
            }
            if (verifySnapshots && result.snapshots().isEmpty())
            {
                System.out.println("no snapshots in " + journal.resolve(SnapshotStore.DIRECTORY_NAME));
            }
            final String from = result.startSequence() > 0 ?
                " after the snapshot at sequence " + result.startSequence() : "";
            if (result.ok())
            {
                System.out.printf("audit OK: %,d documents%s, last sequence %d, final hash %s (%.1f s, %,.0f " +
                    "documents/s)%n", result.documents(), from, result.lastSequence(), result.finalHash(), seconds,
                    result.documents() / Math.max(seconds, 1e-9));
                if (genesis != null && result.startSequence() == 0)
                {
                    System.out.printf("re-executed with the configuration of the journal's genesis (sequence 0): " +
                        "rules version %d, account capacity %,d, %d risk parameter values%n", genesis.rulesVersion(),
                        genesis.accountCapacity(), genesis.riskParameterCount());
                }
                return 0;
            }
            if (result.failedSequence() < 0 && result.documents() == 0)
            {
                System.out.printf("audit FAILED: %s%n", result.failure());
            }
            else if (result.failedSequence() < 0)
            {
                System.out.printf("audit FAILED: %s (the journal holds: %,d documents, last sequence %d)%n",
                    result.failure(), result.documents(), result.lastSequence());
            }
            else if (result.failedSequence() == 0)
            {
                System.out.printf("audit FAILED: %s%n", result.failure());
            }
            else
            {
                System.out.printf("audit FAILED at sequence %d: %s (%,d documents verified before it%s)%n",
                    result.failedSequence(), result.failure(), result.documents(), from);
            }
            return 1;
        }
    }

    /** @return an exact amount in 1e-8 units as a decimal of whole units. */
    private static BigDecimal usdc(final BigInteger amount)
    {
        return new BigDecimal(amount).divide(BigDecimal.valueOf(Fixed.SCALE));
    }
}
