package io.clearing.benchmarks;

import io.clearing.engine.ClearingStateMachine;
import io.clearing.margin.Fixed;
import io.clearing.margin.RiskParameters;
import io.clearing.margin.option.Black76;
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
 * Market: USDC, a BTC perpetual and a 30-day at-the-money BTC call (0.001 BTC contracts, mark 65,000, implied
 * volatility 50%). Each holder is long one perpetual and one call contract, bought at the mark from one liquidity
 * account (short them all, funded with 500,000,000 USDC), then withdraws down to an equity of initial margin plus 30%
 * of the perpetual's notional (19.50 USDC): healthy. Operations, each one command through
 * {@link ClearingStateMachine#apply}:
 * <ul>
 *     <li>{@link #smallMarkTick}: the perpetual's mark alternates between 65,000 and 65,006.5 (+-0.01%), inside
 *     every band: no account is re-evaluated (the common case, O(triggered) work).</li>
 *     <li>{@link #largeMarkTick}: the perpetual's mark alternates between 65,000 and 71,500 (+10%, then back). A
 *     healthy long's perpetual band is one-sided (a move in its favour cannot bring it below initial margin), so the
 *     rise re-evaluates nobody and the fall back stays above the band set at 65,000: also no work.</li>
 *     <li>{@link #smallIndexTick}: the index alternates between 65,000 and 65,006.5, inside every band.</li>
 *     <li>{@link #largeIndexTick}: the index alternates between 65,000 and 71,500. The call's margin follows the
 *     index either way, so its band is two-sided and every tick leaves every holder's band: the worst case, every
 *     holder re-evaluated and re-registering its bands on every tick, yet staying healthy (no MarginStatus).</li>
 * </ul>
 * The trial setup and teardown print what each kind of tick did: events, MarginStatus events and band registrations
 * per tick.
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
    private static final int CALL = 1;
    private static final long CONTRACT_SIZE = 100_000L;
    private static final long MARK = 65_000L * Fixed.SCALE;
    private static final long SMALL_TICK = MARK + MARK / 10_000;
    private static final long LARGE_TICK = MARK + MARK / 10;
    private static final double CALL_VOLATILITY = 0.5;
    private static final long CALL_EXPIRY = FillBenchmark.Commands.START_NANOS + 30L * 24 * 3_600_000_000_000L;
    private static final long HEADROOM_PPM_OF_NOTIONAL = 300_000L;

    /** Accounts holding the perpetual and the call. */
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
        commands.instrument(CALL, InstrumentKind.CALL, MARK, CALL_EXPIRY, CONTRACT_SIZE);
        commands.index(0, MARK);
        commands.mark(PERPETUAL, MARK, 0.0);
        final long callMark = Math.round(Black76.price(true, MARK / (double)Fixed.SCALE, MARK / (double)Fixed.SCALE,
            (CALL_EXPIRY - commands.time()) / (365.0 * 24 * 3_600_000_000_000L), 0.0, CALL_VOLATILITY) * Fixed.SCALE);
        commands.mark(CALL, callMark, CALL_VOLATILITY);
        commands.deposit(liquidity, 500_000_000L * Fixed.SCALE);
        commands.order(1, liquidity, PERPETUAL, false, MARK, holders);
        commands.order(2, liquidity, CALL, false, callMark, holders);
        final long notional = Fixed.notional(1, CONTRACT_SIZE, MARK);
        long excess = -1;
        for (int h = 0; h < holders; h++)
        {
            final int account = Accounts.FIRST_USER_ACCOUNT + h;
            final long orderId = 3L + 2L * h;
            commands.deposit(account, 1_000L * Fixed.SCALE);
            commands.order(orderId, account, PERPETUAL, true, MARK, 1);
            commands.fill(PERPETUAL, MARK, 1, 1, liquidity, orderId, account, true);
            commands.order(orderId + 1, account, CALL, true, callMark, 1);
            commands.fill(CALL, callMark, 1, 2, liquidity, orderId + 1, account, true);
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
        probe("small index tick", SMALL_TICK, true);
        probe("large index tick", LARGE_TICK, true);
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
     * A +10% / -9.09% mark tick of the perpetual, in the holders' favour and back: nobody is re-evaluated.
     *
     * @return events emitted.
     */
    @Benchmark
    public int largeMarkTick()
    {
        return applyMark(LARGE_TICK);
    }

    /**
     * A +-0.01% index tick, inside every holder's band.
     *
     * @return events emitted.
     */
    @Benchmark
    public int smallIndexTick()
    {
        return applyIndex(SMALL_TICK);
    }

    /**
     * A +10% / -9.09% index tick, outside every holder's (two-sided) index band: every holder is re-evaluated.
     *
     * @return events emitted.
     */
    @Benchmark
    public int largeIndexTick()
    {
        return applyIndex(LARGE_TICK);
    }

    private int applyIndex(final long tickPrice)
    {
        up = !up;
        indexPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).underlyingId(0)
            .price(up ? tickPrice : MARK);
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
            final int count = index ? applyIndex(tickPrice) : applyMark(tickPrice);
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
