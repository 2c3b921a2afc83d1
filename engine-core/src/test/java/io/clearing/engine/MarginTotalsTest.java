package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateEncoder;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The summary's margin totals (`./clearing simulate` prints and writes them) are exact sums: 24 accounts holding
 * 3 billion USDC of perpetuals each, at ten times the model's initial margin, have initial margins summing past a
 * long, which a plain long sum would wrap to a negative total.
 */
final class MarginTotalsTest
{
    private static final int FIRST_PERPETUAL = 1;

    @Test
    void totalsPastALongAreSummedExactly()
    {
        final CommandHarness h = new CommandHarness();
        final int pairs = 12;
        for (int pair = 0; pair < pairs; pair++)
        {
            // A perpetual per pair: an instrument's open interest is bounded too.
            h.instrument(FIRST_PERPETUAL + pair, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        }
        h.index(0, 99_999 * UNIT);
        h.index(0, 100_000 * UNIT);
        for (int pair = 0; pair < pairs; pair++)
        {
            h.mark(FIRST_PERPETUAL + pair, 100_000 * UNIT, 0.0);
            final int seller = 20 + 2 * pair;
            for (final int account : new int[] {seller, seller + 1})
            {
                h.deposit(account, 1_000_000_000L * UNIT);
            }
            h.trade(FIRST_PERPETUAL + pair, seller, seller + 1, 100_000 * UNIT, 30_000);
        }
        // Ten times the margin model's initial margin: each account's is then about 4.95 billion USDC.
        h.apply(new RiskParameterUpdateEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .parameter(RiskParameter.INITIAL_MARGIN_FACTOR_PPM).underlyingId(-1).value(10_000_000L).encodedLength());
        final long evaluations = h.machine.evaluations();
        final long[] fresh = new long[8];
        BigInteger expected = BigInteger.ZERO;
        for (int account = 20; account < 20 + 2 * pairs; account++)
        {
            h.machine.evaluate(account, fresh);
            assertTrue(fresh[4] > 4_000_000_000L * UNIT, "account " + account + " initial margin " + fresh[4]);
            expected = expected.add(BigInteger.valueOf(fresh[4]));
        }
        final ClearingStateMachine.MarginTotals totals = h.machine.marginTotals();
        assertTrue(expected.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) > 0, "the sum must not fit a long");
        assertEquals(expected, totals.crossInitialMargin());
        // One instrument each: nothing to offset, isolated equals cross.
        assertEquals(expected, totals.isolatedInitialMargin());
        assertEquals(1.0, totals.capitalEfficiency());
        assertEquals(2 * pairs, totals.accountsWithPositions());
        assertEquals(evaluations, h.machine.evaluations(), "a summary is not counted as margin work");
    }
}
