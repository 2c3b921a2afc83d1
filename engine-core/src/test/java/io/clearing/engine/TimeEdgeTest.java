package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateEncoder;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Time has an edge: an option's margin moves as expiry nears with no price moving, and its holders are re-evaluated
 * when their options' decay may have used its share of their headroom. Before session 12, 10 short at-the-money
 * calls left 1% above initial margin 24 hours before expiry were in margin call 2 hours before it with no evaluation
 * (held HEALTHY).
 */
final class TimeEdgeTest
{
    private static final int CALL = 1;
    private static final int PUT = 2;
    private static final long HOUR = 3_600_000_000_000L;

    /**
     * Every 10 minutes the options are re-priced at the later time - by an index tick at an unchanged price, or by a
     * TimeAdvance (which re-prices options older than 15 minutes) - and the held state must equal a fresh evaluation.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shortCallsLeftJustAboveInitialMarginAreSeenToFallIntoMarginCallAsExpiryNears(final boolean byIndexTicks)
    {
        final CommandHarness h = new CommandHarness();
        final long expiry = h.time + 24 * HOUR;
        h.instrument(CALL, InstrumentKind.CALL, UNIT, 65_000 * UNIT, expiry);
        h.index(0, 64_999 * UNIT);
        h.index(0, 65_000 * UNIT);
        h.mark(CALL, 1_000 * UNIT, 0.6);
        h.mark(CALL, 1_001 * UNIT, 0.6);                           // the mark has moved: its bands are in use
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(CALL, 20, 21, 1_001 * UNIT, 10);                    // 20 short 10 ATM calls
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        final long keep = fresh[4] + fresh[4] / 100;                 // IM + 1%
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - keep).encodedLength());
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));
        final long start = h.time;
        for (long at = start + HOUR / 6; at < expiry - 2 * HOUR; at += HOUR / 6)
        {
            if (byIndexTicks)
            {
                h.time = at;
                h.index(0, 65_000 * UNIT);
            }
            else
            {
                h.advanceTo(at);
            }
            h.machine.evaluate(20, fresh);
            assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
                (at - start) / 60_000_000_000L + " minutes on: fresh equity " + fresh[3] + ", IM " + fresh[4]);
        }
        assertNotEquals(MarginState.HEALTHY.value(), (short)fresh[0], "time alone took the account below IM");
    }

    /**
     * From a review of the first time edges: an option expiring inside the span (its margin moves until an hour
     * before expiry and not after, so the move over a 24-hour span is not convex), re-priced every minute by index
     * ticks or by TimeAdvance; and, with the delta shock and the IM factor at their maxima, a deep-out-of-the-money
     * put at a vol of 20 ppm, whose delta moved early in the span (the bound took it at the span's end).
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void theTimeEdgeHoldsForAnOptionExpiringWithinTheSpanAndForTheDeltaShock(final int variant)
    {
        final long minute = 60_000_000_000L;
        final boolean maxima = variant == 2;
        final long index = maxima ? 65_000 * UNIT - 27_310_000L : 65_000 * UNIT;
        final CommandHarness h = new CommandHarness();
        if (maxima)
        {
            parameter(h, RiskParameter.DELTA_SHOCK_PPM, 500_000L);
            parameter(h, RiskParameter.INITIAL_MARGIN_FACTOR_PPM, 10_000_000L);
        }
        final long[] expiryMinutes = {97, 75, 33 * 60};
        final double[] vols = {0.6, 1.5, 0.00002};
        h.instrument(PUT, InstrumentKind.PUT, UNIT, 65_000 * UNIT, h.time + expiryMinutes[variant] * minute);
        h.index(0, index - 1);
        h.index(0, index);
        h.mark(PUT, 10 * UNIT, vols[variant]);
        h.mark(PUT, 11 * UNIT, vols[variant]);
        h.deposit(20, 50_000_000 * UNIT);
        h.deposit(21, 50_000_000 * UNIT);
        if (maxima)
        {
            h.trade(PUT, 21, 20, 11 * UNIT, 20);
        }
        else
        {
            h.trade(PUT, 20, 21, 11 * UNIT, 1);
        }
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        final long[] above = {51, 27, 17};
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - fresh[4] - above[variant] * UNIT).encodedLength());
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));
        final long start = h.time;
        final long minutes = maxima ? 6 * 60 : expiryMinutes[variant];
        for (long at = start + minute; at < start + minutes * minute; at += minute)
        {
            if (variant == 1)
            {
                h.advanceTo(at);
            }
            else
            {
                h.time = at;
                h.index(0, index);
            }
            h.machine.evaluate(20, fresh);
            assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
                (at - start) / minute + " minutes on: fresh equity " + fresh[3] + ", IM " + fresh[4]);
        }
    }

    private static void parameter(final CommandHarness h, final RiskParameter parameter, final long value)
    {
        h.apply(new RiskParameterUpdateEncoder().wrapAndApplyHeader(h.buffer, 0, h.header)
            .timestamp(h.time++).parameter(parameter).underlyingId(-1).value(value).encodedLength());
    }
}
