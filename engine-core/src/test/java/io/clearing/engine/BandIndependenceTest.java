package io.clearing.engine;

import io.clearing.engine.cli.Simulator;
import io.clearing.margin.Fixed;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AutoDeleverageDecoder;
import io.clearing.sbe.InsurancePayoutDecoder;
import io.clearing.sbe.LiquidationTradeDecoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.settlement.EventWriter;
import org.agrona.collections.IntArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The price bands decide when an account is re-evaluated, never what happens: a market run through an engine whose
 * bands are four times narrower, or a million times (nearly every holder evaluated at every tick) - still sound, only
 * more evaluations - must give the same events, byte for byte, document by document - through the crash's liquidations, insurance payouts and auto-deleveraging. So a change of
 * the band rules (widths, one-way edges, the budget split) leaves journals as they are, and old journals audit clean
 * with it. The market keeps the full run's ratio of about 20 commands per account.
 */
final class BandIndependenceTest
{
    private static final int ACCOUNTS = 2_000;
    private static final int CAPACITY = 4_096;
    private static final long COMMANDS = 40_000;

    @ParameterizedTest(name = "seed {0}, insurance fund {1} USDC, penalty {2} ppm, bands x {3}")
    @CsvSource({"1, 100, -1, 0.25", "2, 100, -1, 0.25", "3, 100, -1, 0.25", "1, 0, 0, 0.25", "2, 0, 0, 0.25",
        "1, 100, -1, 1e-6", "1, 0, 0, 1e-6"})
    void narrowerBandsGiveTheSameEvents(final long seed, final long insuranceFund, final long penaltyPpm,
        final double bandFactor)
    {
        final ClearingStateMachine wide = new ClearingStateMachine(CAPACITY, new RiskParameters());
        final ClearingStateMachine narrow = new ClearingStateMachine(CAPACITY, new RiskParameters());
        narrow.narrowBands(bandFactor);
        final EventWriter wideEvents = new EventWriter();
        final EventWriter narrowEvents = new EventWriter();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final long[] documents = new long[1];
        final long[] differing = new long[1];
        final long[] liquidations = new long[3];
        final String[] first = new String[1];
        final Simulator simulator = new Simulator((buffer, offset, length) ->
        {
            wide.apply(buffer, offset, length, wideEvents);
            narrow.apply(buffer, offset, length, narrowEvents);
            documents[0]++;
            if (wideEvents.length() != narrowEvents.length() ||
                !Bytes.equal(wideEvents.buffer(), 0, narrowEvents.buffer(), 0, wideEvents.length()))
            {
                differing[0]++;
                if (first[0] == null)
                {
                    first[0] = "command " + documents[0] + ": " + wideEvents.count() + " events / " +
                        wideEvents.length() + " bytes against " + narrowEvents.count() + " / " +
                        narrowEvents.length();
                }
            }
            for (int i = 0, at = 0; i < wideEvents.count(); i++)
            {
                final int template = header.wrap(wideEvents.buffer(), at + Integer.BYTES).templateId();
                liquidations[0] += template == LiquidationTradeDecoder.TEMPLATE_ID ? 1 : 0;
                liquidations[1] += template == InsurancePayoutDecoder.TEMPLATE_ID ? 1 : 0;
                liquidations[2] += template == AutoDeleverageDecoder.TEMPLATE_ID ? 1 : 0;
                at += Integer.BYTES + wideEvents.buffer().getInt(at, ByteOrder.LITTLE_ENDIAN);
            }
            return 0;
        }, ACCOUNTS, COMMANDS, seed).stress(insuranceFund * Fixed.SCALE, penaltyPpm);
        simulator.run(sent -> { });

        assertEquals(simulator.sent(), documents[0]);
        assertEquals(0, differing[0], "documents whose events differ; first: " + first[0]);
        assertTrue(liquidations[0] > 0, "the crash liquidated someone");
        assertTrue(liquidations[1] + liquidations[2] > 0, "a bankruptcy was covered by the fund or deleveraged");
        assertTrue(insuranceFund > 0 || liquidations[2] > 0, "an empty fund deleverages");
        assertTrue(narrow.evaluations() > wide.evaluations(),
            "the narrow bands re-evaluated more: " + narrow.evaluations() + " against " + wide.evaluations());
        assertEquals(-1, wide.ledger().checkConservation());
    }

    /** The order of evaluation: ascending account ids, duplicates kept, checked against java.util.Arrays.sort. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 17, 1_000, 100_000})
    void triggeredAccountsAreSortedAscending(final int size)
    {
        final SplittableRandom random = new SplittableRandom(size);
        final IntArrayList list = new IntArrayList();
        final int[] expected = new int[size];
        for (int i = 0; i < size; i++)
        {
            expected[i] = random.nextInt(Math.max(1, size / 3));
            list.addInt(expected[i]);
        }
        ClearingStateMachine.sortAscending(list);
        Arrays.sort(expected);
        assertArrayEquals(expected, list.toIntArray());
    }
}
