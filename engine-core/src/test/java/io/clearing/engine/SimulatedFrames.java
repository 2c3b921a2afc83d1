package io.clearing.engine;

import io.clearing.engine.cli.Simulator;

import java.util.ArrayList;
import java.util.List;

/** The commands of a simulated market, recorded as frames, for tests that submit or apply them themselves. */
final class SimulatedFrames
{
    private SimulatedFrames()
    {
    }

    /** @return every command the {@link Simulator} sends for these arguments, in order, each as its frame's bytes. */
    static List<byte[]> record(final int accounts, final long commands, final long seed)
    {
        final List<byte[]> frames = new ArrayList<>();
        new Simulator((buffer, offset, length) ->
        {
            final byte[] frame = new byte[length];
            buffer.getBytes(offset, frame);
            frames.add(frame);
            return frames.size();
        }, accounts, commands, seed).run(sent -> { });
        return frames;
    }
}
