package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.api.Test;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Review of session 14's time edges: hand-made walks checked against a fresh evaluation after every command. */
final class TimeEdgeReviewTest
{
    private static final long HOUR = 3_600_000_000_000L;
    private static final long MINUTE = 60_000_000_000L;

    /**
     * Account 20 is short 10 at-the-money calls Y expiring in 24 hours (vol 60%), left 1% above initial margin, and
     * long one call X on the same underlying at no volatility expiring in 2 hours. X was last re-priced five minutes
     * before its floor; Y's own mark re-prices Y a minute after that floor, and the account is evaluated then: X's
     * floor, already passed, ends the underlying's span before Y's last re-pricing, so Y's decay counts as zero, X's
     * too (no volatility) - and no time edge is registered at all. TimeAdvances re-price Y for hours without
     * re-evaluating the account.
     */
    @Test
    void aStaleOptionsPassedFloorMustNotHideTheDecayOfAnotherOption()
    {
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        final int x = 1;
        final int y = 2;
        h.instrument(x, InstrumentKind.CALL, UNIT, 65_000 * UNIT, start + 2 * HOUR);
        h.instrument(y, InstrumentKind.CALL, UNIT, 65_000 * UNIT, start + 24 * HOUR);
        h.index(0, 64_999 * UNIT);
        h.index(0, 65_000 * UNIT);
        h.mark(x, 1 * UNIT, 0.0);
        h.mark(x, 2 * UNIT, 0.0);
        h.mark(y, 1_000 * UNIT, 0.6);
        h.mark(y, 1_001 * UNIT, 0.6);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(y, 20, 21, 1_001 * UNIT, 10);                      // 20 short 10 Y
        h.trade(x, 21, 20, 2 * UNIT, 1);                           // 20 long 1 X
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - fresh[4] * 101 / 100).encodedLength());
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));
        final long floorX = start + HOUR;
        for (long at = h.time + 10 * MINUTE; at <= floorX - 5 * MINUTE; at += 5 * MINUTE)
        {
            h.time = at;
            h.index(0, 65_000 * UNIT);                              // X and Y re-priced
            check(h, fresh, at);
        }
        h.time = floorX + MINUTE;
        h.mark(y, 1_001 * UNIT, 0.6);                               // Y alone re-priced, past X's floor
        check(h, fresh, h.time);
        h.deposit(20, UNIT);                                        // an evaluation: no time edge registered
        check(h, fresh, h.time);
        for (long at = floorX + 10 * MINUTE; at < start + 22 * HOUR; at += 10 * MINUTE)
        {
            h.advanceTo(at);
            check(h, fresh, at);
        }
    }

    private static void check(final CommandHarness h, final long[] fresh, final long at)
    {
        h.machine.evaluate(20, fresh);
        assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
            "at " + at + ": fresh equity " + fresh[3] + ", IM " + fresh[4]);
    }
}
