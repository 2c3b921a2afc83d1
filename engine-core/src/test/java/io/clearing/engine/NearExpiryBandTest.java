package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.api.Test;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * In an option's last minutes its holders' index bands must still hold: before session 12 the index bound (3 x size x
 * IM factor per contract) was exceeded there - a short at-the-money call 120 s before expiry moved IM by 5.25 per unit
 * of index - so an account left 100 USDC above initial margin reached margin call at an index 21 above with no band
 * firing. Time to expiry is now floored at an hour in margin and the bound carries the gamma term at that floor.
 */
final class NearExpiryBandTest
{
    private static final int CALL = 1;

    @Test
    void theHeldStateOfAShortCallInItsLastMinutesFollowsEveryIndexTick()
    {
        final CommandHarness h = new CommandHarness();
        final long expiry = h.time + 120_000_000_000L + 10;
        h.instrument(CALL, InstrumentKind.CALL, UNIT, 65_000 * UNIT, expiry);
        h.index(0, 64_999 * UNIT);
        h.index(0, 65_000 * UNIT);                                  // the index has moved
        h.mark(CALL, 50 * UNIT, 0.3);
        h.deposit(20, 100_000 * UNIT);
        h.deposit(21, 100_000 * UNIT);
        h.trade(CALL, 20, 21, 50 * UNIT, 1);                         // 20 short 1 ATM call
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        final long keep = fresh[4] + 100 * UNIT;                     // IM + 100 USDC
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - keep).encodedLength());
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));
        for (int step = 1; step <= 40; step++)
        {
            h.index(0, (65_000 + step) * UNIT);
            h.machine.evaluate(20, fresh);
            assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
                "index " + (65_000 + step) + ": fresh equity " + fresh[3] + ", IM " + fresh[4] + ", MM " + fresh[5]
                    + "; held IM " + h.machine.accounts().initialMargin(20));
        }
    }
}
