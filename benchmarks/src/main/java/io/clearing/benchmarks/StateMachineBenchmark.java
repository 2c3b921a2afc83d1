package io.clearing.benchmarks;

import io.clearing.engine.ClearingStateMachine;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.DepositDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.settlement.EventWriter;
import org.agrona.concurrent.UnsafeBuffer;
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

import java.util.concurrent.TimeUnit;

/**
 * SBE encode/decode of a hot command and one business-logic step, without the pipeline or the journal.
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar StateMachineBenchmark -prof gc}
 * (forks inherit the JVM flags of the launching JVM).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class StateMachineBenchmark
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final DepositEncoder depositEncoder = new DepositEncoder();
    private final DepositDecoder depositDecoder = new DepositDecoder();
    private final EventWriter events = new EventWriter();
    private ClearingStateMachine machine;
    private long timestamp = 1;
    private int length;

    /** Defines the margin currency so deposits are valid. */
    @Setup
    public void setup()
    {
        machine = new ClearingStateMachine(1024, new RiskParameters());
        final AssetDefinitionEncoder asset = new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .timestamp(0).assetId(0).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000);
        machine.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + asset.encodedLength(), events);
        length = encodeDeposit();
    }

    private int encodeDeposit()
    {
        depositEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .timestamp(timestamp++).accountId(100).assetId(0).amount(1);
        return MessageHeaderEncoder.ENCODED_LENGTH + depositEncoder.encodedLength();
    }

    /** @return encoded length of a Deposit frame. */
    @Benchmark
    public int encodeDepositFrame()
    {
        return encodeDeposit();
    }

    /** @return decoded amount of a Deposit frame. */
    @Benchmark
    public long decodeDepositFrame()
    {
        headerDecoder.wrap(buffer, 0);
        depositDecoder.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(),
            headerDecoder.version());
        return depositDecoder.amount() + depositDecoder.accountId();
    }

    /** @return events produced by applying one deposit (ledger update, margin evaluation, events encoded). */
    @Benchmark
    public int applyDeposit()
    {
        encodeDeposit();
        machine.apply(buffer, 0, length, events);
        return events.length();
    }
}
