package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.settlement.EventWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bands decide when, never what (BandIndependenceTest), so how many evaluations they cost is a matter of speed - but
 * one that exact counts measure without a clock. A seeded market of 2,000 accounts through its crash, whose implied
 * volatility jumps by half before the options expire: the code of session 13 evaluates 238,862 accounts. Before
 * PriceWatch clipped a jump's weight in its variance estimate, the vol sources' weight swamped every other band after
 * the crash and the same run took 1,431,067 evaluations (the default run 110M instead of 11.8M, with the same events).
 * The bound leaves half again for legitimate changes of the bands.
 */
final class BandEfficiencyTest
{
    private static final long BOUND = 360_000;

    @Test
    void aVolatilitySpikeDoesNotMakeEveryTickReEvaluateThousandsOfAccounts()
    {
        final List<byte[]> frames = SimulatedFrames.record(2_000, 200_000, 42L);
        final ClearingStateMachine machine = new ClearingStateMachine(4_096, new RiskParameters());
        final EventWriter events = new EventWriter();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[0]);
        for (final byte[] command : frames)
        {
            frame.wrap(command);
            machine.apply(frame, 0, command.length, events);
        }
        final long evaluations = machine.evaluations();
        System.out.printf("band efficiency: %,d evaluations, %,d band registrations%n", evaluations,
            machine.bandRegistrations());
        assertTrue(evaluations <= BOUND, evaluations + " evaluations, more than " + BOUND);
        // Not vacuous: the run evaluates accounts at all (fills, orders, ticks).
        assertTrue(evaluations > 100_000, evaluations + " evaluations");
    }
}
