package io.clearing.benchmarks;

import io.clearing.engine.ClearingStateMachine;
import io.clearing.margin.Fixed;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MarginStatusDecoder;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
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

import java.util.concurrent.TimeUnit;

/**
 * What one price tick costs the state machine when an underlying is held by {@code holders} accounts.
 * <p>
 * Market: USDC and a BTC perpetual (0.001 BTC contracts) marked at 65,000. Each holder is long one contract, bought
 * at the mark from one liquidity account (short them all, funded with 500,000,000 USDC), then withdraws down to an
 * equity of initial margin plus 2% of its position's notional: healthy, with a price band of roughly +-1.6% around
 * the mark. Operations, each one command through {@link ClearingStateMachine#apply}:
 * <ul>
 *     <li>{@link #smallMarkTick}: the perpetual's mark alternates between 65,000 and 65,006.5 (+-0.01%), inside
 *     every band: no account is re-evaluated (the common case, O(triggered) work).</li>
 *     <li>{@link #largeMarkTick}: the mark alternates between 65,000 and 71,500 (+10%, then back down 9.09%), outside
 *     every holder's band: every holder is re-evaluated and registers fresh bands, yet stays healthy (longs gain on
 *     the way up and return to their starting equity on the way down), so no MarginStatus is emitted.</li>
 *     <li>{@link #indexTick}: the index alternates between 65,000 and 71,500: no holder's margin depends on the
 *     index (perpetuals are margined on their mark), so nobody is re-evaluated.</li>
 * </ul>
 * The trial setup and teardown print what each kind of tick did: events, MarginStatus events and band registrations
 * (one per re-evaluated account with a position) per tick.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar TickBenchmark -prof gc}
 * (forks inherit the JVM flags of the launching JVM).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class TickBenchmark
{
    private static final int PERPETUAL = 0;
    private static final long CONTRACT_SIZE = 100_000L;
    private static final long MARK = 65_000L * Fixed.SCALE;
    private static final long SMALL_TICK = MARK + MARK / 10_000;
    private static final long LARGE_TICK = MARK + MARK / 10;
    private static final long HEADROOM_PPM_OF_NOTIONAL = 20_000L;

    /** Accounts holding the perpetual. */
    @Param({"1000", "10000", "100000"})
    public int holders;

    private final EventWriter events = new EventWriter();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final MarkPriceEncoder markPrice = new MarkPriceEncoder();
    private final IndexPriceEncoder indexPrice = new IndexPriceEncoder();
    private ClearingStateMachine machine;
    private long time;
    private boolean up;
    private long ticks;
    private long eventsEmitted;
    private long registrationsAtStart;

    /**
     * Opens the holders' positions, sizes their equity, and probes one round trip of each kind of tick (which
     * leaves every price where it was).
     */
    @Setup(Level.Trial)
    public void setup()
    {
        final int liquidity = Accounts.FIRST_USER_ACCOUNT + holders;
        machine = new ClearingStateMachine(holders + Accounts.FIRST_USER_ACCOUNT + 16, new RiskParameters());
        final FillBenchmark.Commands commands = new FillBenchmark.Commands(machine, events);
        commands.asset(0);
        commands.instrument(PERPETUAL, InstrumentKind.PERPETUAL, 0, 0, CONTRACT_SIZE);
        commands.index(0, MARK);
        commands.mark(PERPETUAL, MARK, 0.0);
        commands.deposit(liquidity, 500_000_000L * Fixed.SCALE);
        commands.order(1, liquidity, PERPETUAL, false, MARK, holders);
        final long notional = Fixed.notional(1, CONTRACT_SIZE, MARK);
        long excess = -1;
        for (int h = 0; h < holders; h++)
        {
            final int account = Accounts.FIRST_USER_ACCOUNT + h;
            commands.deposit(account, 1_000L * Fixed.SCALE);
            commands.order(2L + h, account, PERPETUAL, true, MARK, 1);
            commands.fill(PERPETUAL, MARK, 1, 1, liquidity, 2L + h, account, true);
            if (excess < 0)
            {
                // Every holder is in the same position, so the first one sizes the withdrawal for all.
                excess = machine.accounts().equity(account) - machine.accounts().initialMargin(account) -
                    Fixed.mulPpm(notional, HEADROOM_PPM_OF_NOTIONAL);
            }
            commands.withdraw(account, excess);
            if (machine.accounts().state(account) != MarginState.HEALTHY.value())
            {
                throw new IllegalStateException("holder " + account + " is not healthy after setup");
            }
        }
        time = commands.time();
        System.out.printf("%nTickBenchmark holders=%d: holder equity %d, initial margin %d (1e-8 USDC)%n", holders,
            machine.accounts().equity(Accounts.FIRST_USER_ACCOUNT),
            machine.accounts().initialMargin(Accounts.FIRST_USER_ACCOUNT));
        probe("small mark tick", SMALL_TICK, false);
        probe("large mark tick", LARGE_TICK, false);
        probe("index tick", LARGE_TICK, true);
        registrationsAtStart = machine.bandRegistrations();
    }

    /** Prints what the measured ticks did, per tick. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        System.out.printf("%nTickBenchmark holders=%d: %d ticks, %.3f events and %.3f band registrations per tick%n",
            holders, ticks, eventsEmitted / (double)ticks,
            (machine.bandRegistrations() - registrationsAtStart) / (double)ticks);
    }

    /**
     * A +-0.01% mark tick, inside every holder's band.
     *
     * @return events emitted.
     */
    @Benchmark
    public int smallMarkTick()
    {
        return applyMark(SMALL_TICK);
    }

    /**
     * A +10% / -9.09% mark tick, outside every holder's band.
     *
     * @return events emitted.
     */
    @Benchmark
    public int largeMarkTick()
    {
        return applyMark(LARGE_TICK);
    }

    /**
     * A +10% / -9.09% index tick; no holder's margin depends on the index.
     *
     * @return events emitted.
     */
    @Benchmark
    public int indexTick()
    {
        up = !up;
        indexPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).underlyingId(0)
            .price(up ? LARGE_TICK : MARK);
        return count(MessageHeaderEncoder.ENCODED_LENGTH + indexPrice.encodedLength());
    }

    private int applyMark(final long tickPrice)
    {
        up = !up;
        markPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).instrumentId(PERPETUAL)
            .price(up ? tickPrice : MARK).impliedVolatility(0.0);
        return count(MessageHeaderEncoder.ENCODED_LENGTH + markPrice.encodedLength());
    }

    private int count(final int length)
    {
        machine.apply(buffer, 0, length, events);
        ticks++;
        eventsEmitted += events.count();
        return events.count();
    }

    private void probe(final String name, final long tickPrice, final boolean index)
    {
        final long registrations = machine.bandRegistrations();
        int emitted = 0;
        int marginStatus = 0;
        for (int i = 0; i < 2; i++)
        {
            final int count = index ? indexTick() : applyMark(tickPrice);
            if (count != 0 && FillBenchmark.Commands.firstTemplateId(events) < 0)
            {
                throw new IllegalStateException(name + " produced unreadable events");
            }
            emitted += count;
            marginStatus += FillBenchmark.Commands.count(events, MarginStatusDecoder.TEMPLATE_ID);
        }
        if (up)
        {
            throw new IllegalStateException("a probe must end at the starting price");
        }
        System.out.printf("TickBenchmark holders=%d: %s round trip (2 ticks): %d events, %d MarginStatus, " +
            "%d band registrations%n", holders, name, emitted, marginStatus,
            machine.bandRegistrations() - registrations);
        ticks = 0;
        eventsEmitted = 0;
    }
}
