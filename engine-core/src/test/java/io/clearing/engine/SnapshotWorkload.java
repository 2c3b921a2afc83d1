package io.clearing.engine;

import io.clearing.engine.cli.Simulator;
import io.clearing.margin.Fixed;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateEncoder;
import io.clearing.settlement.EventWriter;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A seeded simulated market recorded as command frames, for snapshot tests: the Simulator's stream (funding, an
 * expiry, the crash with liquidations, insurance payouts and - with no insurance fund and no penalty -
 * auto-deleveraging), with two risk-parameter changes spliced in at a third of the run so the risk arrays are rebuilt
 * under a new parameter version mid-run.
 */
final class SnapshotWorkload
{
    static final int CAPACITY = 4096;

    private final List<byte[]> commands = new ArrayList<>();

    /**
     * @param seed           the Simulator's seed.
     * @param accounts       user accounts.
     * @param commandCount   the Simulator's commands (two more are spliced in).
     * @param deleverage     true for an empty insurance fund and no liquidation penalty.
     */
    SnapshotWorkload(final long seed, final int accounts, final long commandCount, final boolean deleverage)
    {
        final Simulator simulator = new Simulator((buffer, offset, length) ->
        {
            final byte[] frame = new byte[length];
            buffer.getBytes(offset, frame);
            commands.add(frame);
            return commands.size();
        }, accounts, commandCount, seed);
        if (deleverage)
        {
            simulator.stress(0, 0);
        }
        else
        {
            simulator.stress(100 * Fixed.SCALE, 5_000);
        }
        simulator.run(sent -> { });
        final int at = commands.size() / 3;
        final long timestamp = new UnsafeBuffer(commands.get(at - 1)).getLong(MessageHeaderEncoder.ENCODED_LENGTH,
            ByteOrder.LITTLE_ENDIAN);
        commands.add(at, parameterUpdate(timestamp, RiskParameter.PRICE_RANGE_PPM, 0, 180_000));
        commands.add(at + 1, parameterUpdate(timestamp, RiskParameter.VOL_UP_PPM, -1, 600_000));
    }

    private static byte[] parameterUpdate(final long timestamp, final RiskParameter parameter, final int underlyingId,
        final long value)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final RiskParameterUpdateEncoder update = new RiskParameterUpdateEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .timestamp(timestamp).parameter(parameter).underlyingId(underlyingId).value(value);
        final byte[] frame = new byte[MessageHeaderEncoder.ENCODED_LENGTH + update.encodedLength()];
        buffer.getBytes(0, frame);
        return frame;
    }

    /** @return the number of commands. */
    int size()
    {
        return commands.size();
    }

    /** @return a fresh machine as the engine builds it. */
    static ClearingStateMachine newMachine()
    {
        return new ClearingStateMachine(CAPACITY, new RiskParameters());
    }

    /** Applies commands [from, to) to the machine. */
    void apply(final ClearingStateMachine machine, final int from, final int to, final EventWriter events)
    {
        for (int i = from; i < to; i++)
        {
            apply(machine, i, events);
        }
    }

    /** Applies command {@code index} to the machine. */
    void apply(final ClearingStateMachine machine, final int index, final EventWriter events)
    {
        final byte[] frame = commands.get(index);
        machine.apply(new UnsafeBuffer(frame), 0, frame.length, events);
    }
}
