package io.clearing.benchmarks;

import com.sun.management.ThreadMXBean;
import io.clearing.engine.ClearingEngine;
import io.clearing.engine.EngineListener;
import io.clearing.engine.StateMachine;
import io.clearing.engine.WaitStrategyKind;
import io.clearing.margin.Fixed;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.Side;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalDocument;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One command's round trip through the whole {@link ClearingEngine}: {@link ClearingEngine#offer} on the benchmark
 * thread, the LMAX Disruptor ring, the business-logic thread (state machine, {@code JournalWriter.append} of the
 * hash-chained document into a Chronicle journal in a temporary directory, listener call), until the benchmark
 * thread sees the listener's delivery. One command in flight at a time, so this is service latency, not throughput
 * (throughput and latency under load: {@code ./clearing bench}).
 * <ul>
 *     <li>{@link Pipeline#ENGINE}: the {@code ClearingStateMachine} on a small market built through the engine in
 *     setup: USDC, a BTC perpetual (0.001 BTC contracts) indexed and marked at 65,000, {@value #HOLDERS} holder
 *     accounts each long one contract (1,000 USDC deposited) against a liquidity account.</li>
 *     <li>{@link Pipeline#BARE}: the same engine with {@link ClearingEngine.Builder#stateMachine} given a state
 *     machine that emits no events, as the bare baseline of {@code ./clearing bench}: ring, journal (command only),
 *     hash chain and listener call.</li>
 * </ul>
 * Operations: {@link #deposit} (1e-8 USDC into the next holder, round robin: on the engine, a ledger update, the
 * holder's margin evaluated and its price band re-registered, one BalanceChanged event) and {@link #markTick} (the
 * perpetual's mark alternating between 65,000 and 65,006.5, inside every holder's band: no re-evaluation, no event).
 * Each operation encodes its frame with a fresh timestamp, offers it (a refused offer fails the run), then spins
 * ({@link Thread#onSpinWait()}) until the listener has delivered it. The business-logic thread waits for commands with
 * {@link #waitStrategy}; the benchmark thread always spins, so {@link WaitStrategyKind#BUSY_SPIN} keeps both of a
 * 2-core machine's cores busy. The trial teardown prints the events and rejections (which fail the run) seen, and
 * per iteration, the bytes the business-logic thread allocated and the commands it applied (from
 * {@link ThreadMXBean#getThreadAllocatedBytes(long)}): JMH's {@code -prof gc} counts every thread, including JMH's
 * own sample recording, so its B/op is only an upper bound here.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar PipelineBenchmark -prof gc}
 * (forks inherit the JVM flags of the launching JVM).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class PipelineBenchmark
{
    private static final int HOLDERS = 16;
    private static final int LIQUIDITY = Accounts.FIRST_USER_ACCOUNT + HOLDERS;
    private static final int PERPETUAL = 0;
    private static final long CONTRACT_SIZE = 100_000L;
    private static final long MARK = 65_000L * Fixed.SCALE;
    private static final long SMALL_TICK = MARK + MARK / 10_000;

    /** Which business logic the engine runs. */
    public enum Pipeline
    {
        /** The clearing state machine. */
        ENGINE,
        /** No business logic: {@link BareStateMachine}. */
        BARE
    }

    /** Which business logic the engine runs. */
    @Param({"ENGINE", "BARE"})
    public Pipeline pipeline;

    /** How the business-logic thread waits for commands. */
    @Param({"YIELDING", "SLEEPING", "BLOCKING", "BUSY_SPIN"})
    public WaitStrategyKind waitStrategy;

    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[128]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final DepositEncoder depositEncoder = new DepositEncoder();
    private final MarkPriceEncoder markPriceEncoder = new MarkPriceEncoder();
    private final Delivery delivery = new Delivery();
    private final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
    private Path journalDirectory;
    private ClearingEngine engine;
    private long time;
    private long offered;
    private long offeredAtStart;
    private long eventsAtStart;
    private long iterationBytesAtStart;
    private long iterationCommandsAtStart;
    private final StringBuilder engineAllocation = new StringBuilder();
    private int nextHolder;
    private boolean up;

    /**
     * Starts the engine on a new journal and, for {@link Pipeline#ENGINE}, builds the market through it.
     *
     * @throws IOException if the temporary journal directory cannot be created.
     */
    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        journalDirectory = Files.createTempDirectory("pipeline-benchmark");
        final ClearingEngine.Builder builder = ClearingEngine.builder()
            .journalDirectory(journalDirectory)
            .ringSize(1024)
            .waitStrategy(waitStrategy)
            .accountCapacity(1024)
            .listener(delivery);
        if (pipeline == Pipeline.BARE)
        {
            builder.stateMachine(BareStateMachine::new);
        }
        engine = builder.build().start();
        time = FillBenchmark.Commands.START_NANOS;
        if (pipeline == Pipeline.ENGINE)
        {
            buildMarket();
        }
        // One round trip in every pipeline, so the listener has seen the business-logic thread.
        deposit();
        if (delivery.rejections != 0)
        {
            throw new IllegalStateException(delivery.rejections + " setup commands rejected");
        }
        offeredAtStart = offered;
        eventsAtStart = delivery.events;
    }

    /** Notes what the business-logic thread has allocated so far. */
    @Setup(Level.Iteration)
    public void startIteration()
    {
        iterationBytesAtStart = threads.getThreadAllocatedBytes(delivery.engineThreadId);
        iterationCommandsAtStart = offered;
    }

    /** Records the bytes the business-logic thread allocated during the iteration, and for how many commands. */
    @TearDown(Level.Iteration)
    public void endIteration()
    {
        final long bytes = threads.getThreadAllocatedBytes(delivery.engineThreadId) - iterationBytesAtStart;
        engineAllocation.append(' ').append(bytes).append('/').append(offered - iterationCommandsAtStart);
    }

    /**
     * Prints what the trial's commands (warm-up and measurement) did, and per iteration the bytes the business-logic
     * thread allocated / the commands it applied; stops the engine, deletes the journal, and fails on any rejection.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        engine.close();
        FillBenchmark.deleteRecursively(journalDirectory);
        final long commands = offered - offeredAtStart;
        System.out.printf("%nPipelineBenchmark %s %s: %d commands delivered, %.3f events per command, " +
            "%d rejections, %d listener failures; business-logic thread bytes/commands per iteration:%s%n",
            pipeline, waitStrategy, commands, (delivery.events - eventsAtStart) / (double)commands,
            delivery.rejections, engine.listenerFailures(), engineAllocation);
        if (delivery.rejections != 0 || engine.listenerFailures() != 0)
        {
            throw new IllegalStateException("commands were rejected or listeners failed");
        }
    }

    /**
     * A Deposit's round trip.
     *
     * @return the journal sequence of its document.
     */
    @Benchmark
    public long deposit()
    {
        final int holder = Accounts.FIRST_USER_ACCOUNT + nextHolder;
        nextHolder = nextHolder + 1 == HOLDERS ? 0 : nextHolder + 1;
        return roundTrip(depositEncoder.wrapAndApplyHeader(frame, 0, header).timestamp(++time).accountId(holder)
            .assetId(0).amount(1).encodedLength());
    }

    /**
     * A MarkPrice's round trip.
     *
     * @return the journal sequence of its document.
     */
    @Benchmark
    public long markTick()
    {
        up = !up;
        return roundTrip(markPriceEncoder.wrapAndApplyHeader(frame, 0, header).timestamp(++time)
            .instrumentId(PERPETUAL).price(up ? SMALL_TICK : MARK).impliedVolatility(0.0).encodedLength());
    }

    /** Offers the frame and waits until the listener has delivered it; a fresh journal numbers them from 1. */
    private long roundTrip(final int bodyLength)
    {
        final long sequence = ++offered;
        if (engine.offer(frame, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength) < 0)
        {
            throw new IllegalStateException("offer refused with one command in flight");
        }
        while (delivery.delivered < sequence)
        {
            if (!engine.isRunning())
            {
                throw new IllegalStateException("engine stopped", engine.failure());
            }
            Thread.onSpinWait();
        }
        return sequence;
    }

    private void buildMarket()
    {
        final AssetDefinitionEncoder asset = new AssetDefinitionEncoder();
        roundTrip(asset.wrapAndApplyHeader(frame, 0, header).timestamp(++time).assetId(0).valuationUnderlyingId(-1)
            .collateralWeightPpm(1_000_000).encodedLength());
        final InstrumentDefinitionEncoder instrument = new InstrumentDefinitionEncoder();
        roundTrip(instrument.wrapAndApplyHeader(frame, 0, header).timestamp(++time).instrumentId(PERPETUAL)
            .kind(InstrumentKind.PERPETUAL).underlyingId(0).settlementAssetId(0).strike(0).expiryTimestamp(0)
            .contractSize(CONTRACT_SIZE).makerFeePpm(-100).takerFeePpm(500).encodedLength());
        roundTrip(new IndexPriceEncoder().wrapAndApplyHeader(frame, 0, header).timestamp(++time).underlyingId(0)
            .price(MARK).encodedLength());
        roundTrip(markPriceEncoder.wrapAndApplyHeader(frame, 0, header).timestamp(++time).instrumentId(PERPETUAL)
            .price(MARK).impliedVolatility(0.0).encodedLength());
        fund(LIQUIDITY, 500_000_000L * Fixed.SCALE);
        final NewOrderEncoder order = new NewOrderEncoder();
        final FillEncoder fill = new FillEncoder();
        roundTrip(order.wrapAndApplyHeader(frame, 0, header).timestamp(++time).orderId(1).accountId(LIQUIDITY)
            .instrumentId(PERPETUAL).side(Side.SELL).price(MARK).quantity(HOLDERS).reduceOnly(BooleanType.FALSE)
            .encodedLength());
        for (int h = 0; h < HOLDERS; h++)
        {
            final int account = Accounts.FIRST_USER_ACCOUNT + h;
            fund(account, 1_000L * Fixed.SCALE);
            roundTrip(order.wrapAndApplyHeader(frame, 0, header).timestamp(++time).orderId(2L + h).accountId(account)
                .instrumentId(PERPETUAL).side(Side.BUY).price(MARK).quantity(1).reduceOnly(BooleanType.FALSE)
                .encodedLength());
            roundTrip(fill.wrapAndApplyHeader(frame, 0, header).timestamp(++time).tradeId(1L + h)
                .instrumentId(PERPETUAL).price(MARK).quantity(1).makerOrderId(1).makerAccountId(LIQUIDITY)
                .takerOrderId(2L + h).takerAccountId(account).takerSide(Side.BUY).encodedLength());
        }
    }

    private void fund(final int account, final long amount)
    {
        roundTrip(depositEncoder.wrapAndApplyHeader(frame, 0, header).timestamp(++time).accountId(account)
            .assetId(0).amount(amount).encodedLength());
    }

    /**
     * The engine listener: publishes the journal sequence delivered, counts events and rejections, and notes which
     * thread calls it (the business-logic thread). Runs on that thread; the plain fields are read by the benchmark
     * thread only after reading {@link #delivered}, which is written last.
     */
    static final class Delivery implements EngineListener
    {
        private static final int TEMPLATE_ID_OFFSET =
            JournalDocument.EVENT_LENGTH_FIELD_LENGTH + MessageHeaderDecoder.templateIdEncodingOffset();

        volatile long delivered;
        long events;
        long rejections;
        long engineThreadId = -1;

        @Override
        public void onDocument(final long sequence, final DirectBuffer command, final int commandOffset,
            final int commandLength, final DirectBuffer events, final int eventsOffset, final int eventsLength,
            final int eventCount, final long submitNanos)
        {
            if (engineThreadId < 0)
            {
                engineThreadId = Thread.currentThread().getId();
            }
            this.events += eventCount;
            if (eventCount > 0)
            {
                // A rejected command or order produces exactly one event, so the first one tells.
                final int templateId = events.getShort(eventsOffset + TEMPLATE_ID_OFFSET, ByteOrder.LITTLE_ENDIAN) &
                    0xFFFF;
                if (templateId == CommandRejectedDecoder.TEMPLATE_ID || templateId == OrderRejectedDecoder.TEMPLATE_ID)
                {
                    rejections++;
                }
            }
            delivered = sequence;
        }
    }

    /** No business logic: every command is journaled with an empty events region (the bare pipeline). */
    static final class BareStateMachine implements StateMachine
    {
        @Override
        public void apply(final DirectBuffer buffer, final int offset, final int length, final EventWriter events)
        {
            events.reset();
        }
    }
}
