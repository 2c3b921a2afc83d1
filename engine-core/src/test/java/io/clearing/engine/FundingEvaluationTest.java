package io.clearing.engine;

import io.clearing.sbe.FundingSettledDecoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A funding payment re-evaluates the accounts it can take down - the payers, and holders not healthy (a receiver in
 * margin call may recover) - but not a healthy receiver: it stays healthy, and its bands hold all the more. Before
 * session 14 every holder was re-evaluated at every funding: 583,000 evaluations at the nine fundings of the default
 * run, 92,000 at the largest.
 */
final class FundingEvaluationTest
{
    private static final int PERPETUAL = 0;
    private static final long MILLI_BTC = 100_000L;
    private static final long HOUR = 3_600_000_000_000L;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aHealthyReceiverIsNotReEvaluatedAtAFundingAndOneInMarginCallIs(final boolean receiverInMarginCall)
    {
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, MILLI_BTC, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.mark(PERPETUAL, 65_100 * UNIT, 0);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, (receiverInMarginCall ? 15_000 : 1_000_000) * UNIT);
        h.trade(PERPETUAL, 21, 20, 65_100 * UNIT, 1_000);              // 21 short, 20 long one BTC
        // The mark above the index: longs pay shorts. 1,400 of loss takes 21 (15,000 deposited) below its initial
        // margin and above its maintenance margin.
        h.mark(PERPETUAL, 66_500 * UNIT, 0);
        assertEquals(receiverInMarginCall ? MarginState.MARGIN_CALL.value() : MarginState.HEALTHY.value(),
            h.machine.accounts().state(21));
        h.advanceTo(start + HOUR);                                      // a premium sample
        final long before = h.machine.evaluations();
        final List<Integer> events = h.advanceTo(start + 8 * HOUR + 1);  // the funding time
        assertTrue(events.contains(FundingSettledDecoder.TEMPLATE_ID), events.toString());
        assertEquals(receiverInMarginCall ? 2 : 1, h.machine.evaluations() - before,
            "the payer, and the receiver only when not healthy");
        assertTrue(h.balance(21) > (receiverInMarginCall ? 15_000 : 1_000_000) * UNIT - 1_400 * UNIT);
        final long[] fresh = new long[8];
        for (final int account : new int[] {20, 21})
        {
            h.machine.evaluate(account, fresh);
            assertEquals(MarginState.get((short)fresh[0]),
                MarginState.get((short)h.machine.accounts().state(account)), "account " + account);
        }
        assertEquals(-1, h.machine.ledger().checkConservation());
    }
}
