package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.engine.ClearingEngine;
import io.clearing.engine.EngineListener;
import io.clearing.engine.StateMachine;
import io.clearing.engine.WaitStrategyKind;
import io.clearing.settlement.EventWriter;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code ./clearing bench}: the end-to-end harness. The {@code simulate} command mix (without its crash) is generated
 * once into memory, then replayed into fresh engines:
 * <ul>
 *     <li>as fast as the ring takes it, for the highest sustainable throughput of the engine and of the bare pipeline
 *     (the same Disruptor ring and Chronicle journal with a state machine that emits no events);</li>
 *     <li>at fixed offered rates: command i is due at {@code t0 + i / rate}; its latency is its delivery to the
 *     listener minus that due time, so a producer held up by a full ring does not hide the wait (coordinated
 *     omission corrected). One HdrHistogram per rate and pipeline, written as {@code <pipeline>-<rate>.hgrm}.</li>
 * </ul>
 * One unreported run of each pipeline warms the JIT first; the first 20% of each run (setup and warm-up) is not
 * measured.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "End-to-end harness: throughput and fixed-rate latency (coordinated-omission corrected) of the " +
        "engine and of the bare pipeline on the simulate command mix.")
public final class BenchCommand implements Callable<Integer>
{
    private static final long HIGHEST_TRACKABLE_NANOS = 3_600_000_000_000L;
    private static final double WARM_UP_FRACTION = 0.2;

    @Option(names = "--quick", description = "Short runs (about a minute in all): 500,000 commands per run.")
    boolean quick;

    @Option(names = "--accounts", description = "User accounts (default ${DEFAULT-VALUE}).")
    int accounts = 20_000;

    @Option(names = "--commands", description = "Commands per run, setup included (default: 2,000,000; " +
        "--quick 500,000).")
    int commands;

    @Option(names = "--rates", split = ",", description = "Offered rates in commands/s (default " +
        "100000,200000,500000,1000000).")
    long[] ratesPerSecond = {100_000L, 200_000L, 500_000L, 1_000_000L};

    @Option(names = "--seed", description = "Random seed of the mix (default ${DEFAULT-VALUE}).")
    long seed = 42L;

    @Option(names = "--ring-size", description = "Ring slots, a power of two (default ${DEFAULT-VALUE}).")
    int ringSize = 1 << 14;

    @Option(names = "--wait-strategy", description = "YIELDING, SLEEPING, BLOCKING or BUSY_SPIN " +
        "(default ${DEFAULT-VALUE}).")
    WaitStrategyKind waitStrategy = WaitStrategyKind.YIELDING;

    @Option(names = "--out", description = "Directory for the .hgrm files; journals live under it during a run " +
        "(default ${DEFAULT-VALUE}).")
    Path out = Path.of("clearing-data", "bench");

    @Option(names = "--summary-json", description = "Also write the summary as JSON to this file.")
    Path summaryJson;

    @Option(names = "--durability", description = "PAGE_CACHE (default) or SYNCED: the journal forced to disk " +
        "once per batch before its events are delivered (the latency then includes the fdatasync).")
    io.clearing.settlement.journal.Durability durability = io.clearing.settlement.journal.Durability.PAGE_CACHE;

    @Override
    public Integer call() throws Exception
    {
        final int perRun = commands > 0 ? commands : quick ? 500_000 : 2_000_000;
        if (accounts < 2 || accounts > ClearingCli.DEFAULT_ACCOUNT_CAPACITY - 16)
        {
            System.err.println("--accounts must be between 2 and " + (ClearingCli.DEFAULT_ACCOUNT_CAPACITY - 16));
            return 2;
        }
        for (final long rate : ratesPerSecond)
        {
            if (rate <= 0)
            {
                System.err.println("--rates must be positive: " + rate);
                return 2;
            }
        }
        Files.createDirectories(out);
        final Path journals = out.resolve("journals");
        final long generateStarted = System.nanoTime();
        final Workload workload = Workload.generate(accounts, perRun, seed);
        System.err.printf("bench: %,d commands per run (%,d accounts, seed %d, %,d bytes) generated in %.1f s%n",
            workload.count, accounts, seed, workload.frameBytes(), (System.nanoTime() - generateStarted) / 1e9);

        // One unreported run of each pipeline warms the JIT, so no measured run pays for compilation.
        System.err.println("bench: warm-up runs (not reported)");
        run(Pipeline.ENGINE, workload, 0, journals);
        run(Pipeline.BARE, workload, 0, journals);
        final RunResult engineThroughput = run(Pipeline.ENGINE, workload, 0, journals);
        final RunResult bareThroughput = run(Pipeline.BARE, workload, 0, journals);
        final RunResult[] engineAtRate = new RunResult[ratesPerSecond.length];
        final RunResult[] bareAtRate = new RunResult[ratesPerSecond.length];
        for (int r = 0; r < ratesPerSecond.length; r++)
        {
            engineAtRate[r] = run(Pipeline.ENGINE, workload, ratesPerSecond[r], journals);
            writeHistogram(engineAtRate[r]);
            bareAtRate[r] = run(Pipeline.BARE, workload, ratesPerSecond[r], journals);
            writeHistogram(bareAtRate[r]);
        }
        ClearingCli.deleteRecursively(journals);

        final ObjectMapper mapper = new ObjectMapper();
        final ObjectNode summary = mapper.createObjectNode();
        summary.put("quick", quick);
        summary.put("javaVersion", System.getProperty("java.version"));
        summary.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        summary.put("accounts", accounts);
        summary.put("commandsPerRun", workload.count);
        summary.put("measuredCommandsPerRun", workload.count - workload.warmUpCount());
        summary.put("seed", seed);
        summary.put("ringSize", ringSize);
        summary.put("waitStrategy", waitStrategy.name());
        summary.put("engineCommandsPerSecond", engineThroughput.measuredPerSecond());
        summary.put("bareCommandsPerSecond", bareThroughput.measuredPerSecond());
        summary.put("engineToBareRatio", engineThroughput.measuredPerSecond() / bareThroughput.measuredPerSecond());
        final ArrayNode rates = summary.putArray("rates");
        for (int r = 0; r < ratesPerSecond.length; r++)
        {
            final ObjectNode rate = rates.addObject();
            rate.put("offeredCommandsPerSecond", ratesPerSecond[r]);
            latency(rate.putObject("engine"), engineAtRate[r]);
            latency(rate.putObject("bare"), bareAtRate[r]);
        }
        summary.put("histogramDirectory", out.toAbsolutePath().toString());
        printTable(System.out, engineThroughput, bareThroughput, engineAtRate, bareAtRate);
        if (summaryJson != null)
        {
            mapper.writerWithDefaultPrettyPrinter().writeValue(summaryJson.toFile(), summary);
        }
        return 0;
    }

    private RunResult run(final Pipeline pipeline, final Workload workload, final long ratePerSecond,
        final Path journals) throws IOException, InterruptedException
    {
        final Path journal = journals.resolve(pipeline.label + "-" + (ratePerSecond == 0 ? "max" : ratePerSecond));
        ClearingCli.deleteRecursively(journal);
        // Collect the previous run's garbage now rather than during this one.
        System.gc();
        final Recorder recorder = new Recorder(workload.count, workload.warmUpCount(), ratePerSecond);
        final ClearingEngine.Builder builder = ClearingEngine.builder()
            .journalDirectory(journal)
            .ringSize(ringSize)
            .waitStrategy(waitStrategy)
            .accountCapacity(ClearingCli.DEFAULT_ACCOUNT_CAPACITY)
            .durability(durability)
            .listener(recorder);
        if (pipeline == Pipeline.BARE)
        {
            builder.stateMachine(BareStateMachine::new);
        }
        final long started;
        try (ClearingEngine engine = builder.build())
        {
            engine.start();
            started = System.nanoTime();
            recorder.begin(started + 1_000_000L);
            workload.offer(engine, recorder.startNanos, ratePerSecond);
            while (recorder.delivered < workload.count && engine.isRunning())
            {
                Thread.sleep(1);
            }
            if (engine.failure() != null)
            {
                throw new IllegalStateException("engine stopped", engine.failure());
            }
        }
        ClearingCli.deleteRecursively(journal);
        final RunResult result = new RunResult(pipeline, ratePerSecond, recorder, workload.count);
        System.err.printf("bench: %-6s %s: %,.0f commands/s measured, p99 %,.1f us, max %,.1f us (%.1f s)%n",
            pipeline.label, ratePerSecond == 0 ? "as fast as possible" : String.format("at %,d/s", ratePerSecond),
            result.measuredPerSecond(), recorder.latency.getValueAtPercentile(99) / 1e3,
            recorder.latency.getMaxValue() / 1e3, (recorder.lastDeliveryNanos - started) / 1e9);
        return result;
    }

    private void writeHistogram(final RunResult result) throws IOException
    {
        final Path file = out.resolve(result.pipeline.label + "-" + result.ratePerSecond + ".hgrm");
        try (OutputStream stream = Files.newOutputStream(file);
            PrintStream print = new PrintStream(stream, false, StandardCharsets.UTF_8))
        {
            result.recorder.latency.outputPercentileDistribution(print, 1000.0);
        }
    }

    private static void latency(final ObjectNode node, final RunResult result)
    {
        final Histogram histogram = result.recorder.latency;
        node.put("p50", histogram.getValueAtPercentile(50));
        node.put("p99", histogram.getValueAtPercentile(99));
        node.put("p999", histogram.getValueAtPercentile(99.9));
        node.put("p9999", histogram.getValueAtPercentile(99.99));
        node.put("max", histogram.getMaxValue());
        node.put("recorded", histogram.getTotalCount());
        node.put("deliveredCommandsPerSecond", result.measuredPerSecond());
    }

    private static void printTable(final PrintStream out, final RunResult engine, final RunResult bare,
        final RunResult[] engineAtRate, final RunResult[] bareAtRate)
    {
        out.printf("throughput (as fast as possible, after warm-up)  engine %,.0f commands/s   bare pipeline %,.0f " +
            "commands/s   engine/bare %.3f%n", engine.measuredPerSecond(), bare.measuredPerSecond(),
            engine.measuredPerSecond() / bare.measuredPerSecond());
        out.println("latency at fixed offered rates (intended send -> delivered, us):");
        out.printf("| %10s | %-6s | %10s | %10s | %10s | %10s | %10s | %12s |%n",
            "offered/s", "what", "p50", "p99", "p99.9", "p99.99", "max", "delivered/s");
        out.println("|------------|--------|------------|------------|------------|------------|------------|" +
            "--------------|");
        for (int r = 0; r < engineAtRate.length; r++)
        {
            row(out, engineAtRate[r]);
            row(out, bareAtRate[r]);
        }
    }

    private static void row(final PrintStream out, final RunResult result)
    {
        final Histogram histogram = result.recorder.latency;
        out.printf("| %,10d | %-6s | %,10.1f | %,10.1f | %,10.1f | %,10.1f | %,10.1f | %,12.0f |%n",
            result.ratePerSecond, result.pipeline.label, histogram.getValueAtPercentile(50) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3,
            histogram.getValueAtPercentile(99.99) / 1e3, histogram.getMaxValue() / 1e3, result.measuredPerSecond());
    }

    private enum Pipeline
    {
        ENGINE("engine"),
        BARE("bare");

        final String label;

        Pipeline(final String label)
        {
            this.label = label;
        }
    }

    /** The bare pipeline's business logic: none; every command is journaled with an empty events region. */
    static final class BareStateMachine implements StateMachine
    {
        @Override
        public void apply(final DirectBuffer buffer, final int offset, final int length, final EventWriter events)
        {
            events.reset();
        }
    }

    /** One run's outcome. */
    private record RunResult(Pipeline pipeline, long ratePerSecond, Recorder recorder, int count)
    {
        /** @return commands per second delivered after the warm-up. */
        double measuredPerSecond()
        {
            final long nanos = recorder.lastDeliveryNanos - recorder.warmUpDoneNanos;
            return nanos <= 0 ? 0.0 : (count - recorder.warmUp) * 1e9 / nanos;
        }
    }

    /** The engine listener of one run: records each measured command's latency; runs on the engine thread. */
    private static final class Recorder implements EngineListener
    {
        final Histogram latency = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        final int count;
        final int warmUp;
        final long ratePerSecond;
        volatile long startNanos;
        volatile int delivered;
        long warmUpDoneNanos;
        long lastDeliveryNanos;

        Recorder(final int count, final int warmUp, final long ratePerSecond)
        {
            this.count = count;
            this.warmUp = warmUp;
            this.ratePerSecond = ratePerSecond;
        }

        void begin(final long startNanos)
        {
            this.startNanos = startNanos;
        }

        @Override
        public void onDocument(final long sequence, final DirectBuffer command, final int commandOffset,
            final int commandLength, final DirectBuffer events, final int eventsOffset, final int eventsLength,
            final int eventCount, final long submitNanos)
        {
            final long now = System.nanoTime();
            // A fresh journal per run: journal sequence n is command n - 1 of the workload.
            final long index = sequence - 1;
            if (index >= warmUp)
            {
                final long sentNanos = ratePerSecond == 0 ? submitNanos : intendedNanos(startNanos, index,
                    ratePerSecond);
                latency.recordValue(Math.max(0, Math.min(now - sentNanos, HIGHEST_TRACKABLE_NANOS)));
            }
            else if (index == warmUp - 1)
            {
                warmUpDoneNanos = now;
            }
            lastDeliveryNanos = now;
            delivered = (int)sequence;
        }
    }

    static long intendedNanos(final long startNanos, final long index, final long ratePerSecond)
    {
        return startNanos + index * 1_000_000_000L / ratePerSecond;
    }

    /** The command stream, generated once: frames back to back in one buffer. */
    static final class Workload
    {
        final UnsafeBuffer frames;
        final int[] offsets;
        final int count;

        private Workload(final UnsafeBuffer frames, final int[] offsets, final int count)
        {
            this.frames = frames;
            this.offsets = offsets;
            this.count = count;
        }

        static Workload generate(final int accounts, final int count, final long seed)
        {
            final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer((int)Math.min(1L << 30, count * 96L));
            final int[] offsets = new int[count + 1];
            final int[] recorded = new int[1];
            // Generating this much more keeps the simulator's crash out of the replayed prefix: the steady mix.
            final long generated = (long)Math.ceil(count / Simulator.CRASH_POINT) + 1;
            final Simulator simulator = new Simulator((frame, offset, length) ->
            {
                final int n = recorded[0];
                if (n < count)
                {
                    buffer.putBytes(offsets[n], frame, offset, length);
                    offsets[n + 1] = offsets[n] + length;
                    recorded[0] = n + 1;
                }
                return 0;
            }, accounts, generated, seed);
            simulator.run(sent -> { });
            if (recorded[0] < count)
            {
                throw new IllegalStateException("the generator produced " + recorded[0] + " commands, " + count +
                    " wanted");
            }
            final byte[] bytes = Arrays.copyOf(buffer.byteArray(), offsets[count]);
            return new Workload(new UnsafeBuffer(bytes), offsets, count);
        }

        int warmUpCount()
        {
            return Math.max(1, (int)(count * WARM_UP_FRACTION));
        }

        long frameBytes()
        {
            return offsets[count];
        }

        /** Offers every command: each at its due time when {@code ratePerSecond > 0}, else as fast as possible. */
        void offer(final ClearingEngine engine, final long startNanos, final long ratePerSecond)
        {
            for (int i = 0; i < count; i++)
            {
                if (ratePerSecond > 0)
                {
                    final long due = intendedNanos(startNanos, i, ratePerSecond);
                    while (System.nanoTime() < due)
                    {
                        Thread.onSpinWait();
                    }
                }
                final long result = engine.submit(frames, offsets[i], offsets[i + 1] - offsets[i]);
                if (result < 0)
                {
                    throw new IllegalStateException("engine refused a command: " + result, engine.failure());
                }
            }
        }
    }
}
