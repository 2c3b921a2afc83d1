package io.clearing.benchmarks;

import com.opengamma.strata.pricer.impl.option.BlackFormulaRepository;
import io.clearing.margin.option.Black76;
import io.clearing.margin.option.OptionGreeks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Value, delta, gamma, vega and theta of one European option: {@link Black76#greeks} into a reused
 * {@link OptionGreeks} against OpenGamma Strata's {@link BlackFormulaRepository} computing the same five numbers.
 * <p>
 * Both read the same 1,024 seeded input sets, one per invocation, cycled: call or put with equal odds, forward
 * log-uniform in 10..100,000, strike/forward log-uniform in 0.5..2, time to expiry log-uniform from one day to two
 * years, volatility uniform in 20%..150%, rate uniform in 0..5%. Strata works in undiscounted value, so its side
 * discounts as {@code Black76StrataTest} builds its reference, with D = Math.exp(-rT) as a Strata user would write
 * it: price, delta, gamma and vega times D, theta = D driftlessTheta + r D price. Both sides hand the five numbers to the same Blackhole calls.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar GreeksBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class GreeksBenchmark
{
    /** A power of two, so the cursor wraps with a mask. */
    private static final int INPUT_COUNT = 1024;
    private static final long SEED = 0x6EE6_5B1AL;
    private static final double YEARS_PER_DAY = 1.0 / 365.25;

    private final boolean[] isCall = new boolean[INPUT_COUNT];
    private final double[] forward = new double[INPUT_COUNT];
    private final double[] strike = new double[INPUT_COUNT];
    private final double[] years = new double[INPUT_COUNT];
    private final double[] rate = new double[INPUT_COUNT];
    private final double[] vol = new double[INPUT_COUNT];
    private final OptionGreeks greeks = new OptionGreeks();
    private int cursor;

    /** Draws the input sets; the same seed gives the same inputs to every run and to both benchmarks. */
    @Setup
    public void generateInputs()
    {
        final Random random = new Random(SEED);
        for (int i = 0; i < INPUT_COUNT; i++)
        {
            isCall[i] = random.nextBoolean();
            forward[i] = 10.0 * StrictMath.exp(random.nextDouble() * StrictMath.log(10_000.0));
            strike[i] = forward[i] * 0.5 * StrictMath.exp(random.nextDouble() * StrictMath.log(4.0));
            years[i] = YEARS_PER_DAY * StrictMath.exp(random.nextDouble() * StrictMath.log(2.0 / YEARS_PER_DAY));
            vol[i] = 0.2 + 1.3 * random.nextDouble();
            rate[i] = 0.05 * random.nextDouble();
        }
    }

    /**
     * Black76 value and Greeks of the next input set, into the reused holder (nothing allocated).
     *
     * @param sink receives the five numbers.
     */
    @Benchmark
    public void black76(final Blackhole sink)
    {
        final int i = nextIndex();
        Black76.greeks(isCall[i], forward[i], strike[i], years[i], rate[i], vol[i], greeks);
        sink.consume(greeks.price());
        sink.consume(greeks.delta());
        sink.consume(greeks.gamma());
        sink.consume(greeks.vega());
        sink.consume(greeks.theta());
    }

    /**
     * The same five numbers of the next input set from Strata's BlackFormulaRepository, discounted.
     *
     * @param sink receives the five numbers.
     */
    @Benchmark
    public void strata(final Blackhole sink)
    {
        final int i = nextIndex();
        final double f = forward[i];
        final double k = strike[i];
        final double t = years[i];
        final double sigma = vol[i];
        final double r = rate[i];
        final double discount = Math.exp(-r * t);
        final double price = discount * BlackFormulaRepository.price(f, k, t, sigma, isCall[i]);
        sink.consume(price);
        sink.consume(discount * BlackFormulaRepository.delta(f, k, t, sigma, isCall[i]));
        sink.consume(discount * BlackFormulaRepository.gamma(f, k, t, sigma));
        sink.consume(discount * BlackFormulaRepository.vega(f, k, t, sigma));
        sink.consume(discount * BlackFormulaRepository.driftlessTheta(f, k, t, sigma) + r * price);
    }

    private int nextIndex()
    {
        final int i = cursor;
        cursor = (i + 1) & (INPUT_COUNT - 1);
        return i;
    }
}
