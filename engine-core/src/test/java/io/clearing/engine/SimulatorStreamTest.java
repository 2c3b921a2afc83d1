package io.clearing.engine;

import io.clearing.sbe.IndexPriceDecoder;
import io.clearing.sbe.MarkPriceDecoder;
import io.clearing.sbe.MessageHeaderDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulated market the default run, the audit figures and the band oracles (ContinuousMarginTest,
 * BandIndependenceTest) rest on: exactly the commands asked for, the same stream for the same seed, and implied
 * volatilities that move - with the index, and up in the crash - so that volatility bands are exercised.
 */
final class SimulatorStreamTest
{
    private static final int ACCOUNTS = 300;
    /** Instruments per underlying: a perpetual, two futures, five strikes of calls and puts. */
    private static final int PER_UNDERLYING = 13;
    private static final double[] LEVEL = {0.55, 0.70, 0.90};

    /**
     * Any count from the end of the fixed setup on (88 commands: 4 assets, 39 instruments, 3 indexes and 39 marks, the
     * insurance fund's and the liquidator's deposits), whatever the seed.
     */
    @ParameterizedTest
    @ValueSource(longs = {88, 89, 90, 101, 115, 5_000, 20_001, 40_000})
    void theStreamHasExactlyTheCommandsAskedFor(final long commands)
    {
        for (long seed = 1; seed <= 8; seed++)
        {
            assertEquals(commands, SimulatedFrames.record(ACCOUNTS, commands, seed).size(), "seed " + seed);
        }
    }

    /** Fewer than that: the setup is sent whole (time then runs so fast that the options' marks come after expiry). */
    @Test
    void theFixedSetupIsSentWholeHoweverFewCommandsAreAskedFor()
    {
        final int sent = SimulatedFrames.record(ACCOUNTS, 10, 3L).size();
        assertTrue(sent > 10 && sent <= 88, sent + " commands");
    }

    @Test
    void theSameSeedGivesTheSameStreamAndAnotherSeedAnother()
    {
        final List<byte[]> first = SimulatedFrames.record(ACCOUNTS, 10_000, 4L);
        final List<byte[]> again = SimulatedFrames.record(ACCOUNTS, 10_000, 4L);
        final List<byte[]> other = SimulatedFrames.record(ACCOUNTS, 10_000, 5L);
        boolean differs = false;
        for (int i = 0; i < first.size(); i++)
        {
            assertTrue(Arrays.equals(first.get(i), again.get(i)), "frame " + i);
            differs |= !Arrays.equals(first.get(i), other.get(i));
        }
        assertTrue(differs);
    }

    /**
     * Option marks carry a volatility per underlying that moves at its index ticks (many distinct values, within a
     * quarter and four times its level), falls back when the index rises and jumps in the crash (the first index
     * tick of the crash is the first fall of 25%).
     */
    @Test
    void impliedVolatilitiesMoveWithTheIndexAndJumpInTheCrash()
    {
        final List<byte[]> frames = SimulatedFrames.record(ACCOUNTS, 40_000, 6L);
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final MarkPriceDecoder mark = new MarkPriceDecoder();
        final IndexPriceDecoder index = new IndexPriceDecoder();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
        final double[] lastVol = new double[3];
        final double[] volBeforeCrash = new double[3];
        final double[] lastIndex = new double[3];
        final boolean[] crashed = new boolean[3];
        final double[] peak = new double[3];
        @SuppressWarnings("unchecked")
        final TreeSet<Double>[] distinct = new TreeSet[] {new TreeSet<>(), new TreeSet<>(), new TreeSet<>()};
        for (final byte[] frame : frames)
        {
            buffer.wrap(frame);
            header.wrap(buffer, 0);
            if (header.templateId() == MarkPriceDecoder.TEMPLATE_ID)
            {
                mark.wrapAndApplyHeader(buffer, 0, header);
                final int u = mark.instrumentId() / PER_UNDERLYING;
                if (mark.instrumentId() % PER_UNDERLYING >= 3)
                {
                    final double vol = mark.impliedVolatility();
                    assertTrue(vol >= 0.25 * LEVEL[u] && vol <= 4.0 * LEVEL[u], "vol " + vol);
                    distinct[u].add(vol);
                    lastVol[u] = vol;
                    if (crashed[u])
                    {
                        peak[u] = Math.max(peak[u], vol);
                    }
                }
            }
            else if (header.templateId() == IndexPriceDecoder.TEMPLATE_ID)
            {
                index.wrapAndApplyHeader(buffer, 0, header);
                final int u = index.underlyingId();
                final double price = index.price() / 1e8;
                if (!crashed[u] && lastIndex[u] > 0 && price < 0.8 * lastIndex[u])
                {
                    crashed[u] = true;
                    volBeforeCrash[u] = lastVol[u];
                }
                lastIndex[u] = price;
            }
        }
        for (int u = 0; u < 3; u++)
        {
            assertTrue(distinct[u].size() > 100, "underlying " + u + ": " + distinct[u].size() + " distinct vols");
            assertTrue(crashed[u], "underlying " + u + " crashed");
            assertTrue(volBeforeCrash[u] > 0, "underlying " + u + " had option marks before the crash");
            assertTrue(peak[u] >= 1.5 * volBeforeCrash[u], "underlying " + u + ": vol " + volBeforeCrash[u] +
                " before the crash, at most " + peak[u] + " in it");
            assertFalse(distinct[u].first().equals(distinct[u].last()));
        }
    }
}
