package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateEncoder;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
        listCall(h, CALL, 0, expiry);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(CALL, 20, 21, 1_001 * UNIT, 10);                    // 20 short 10 ATM calls
        leave20At(h, 1_010);                                         // IM + 1%
        final long[] fresh = new long[8];
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

    /**
     * Short at-the-money calls on two underlyings, left just above initial margin 24 hours before expiry: every 10
     * minutes the options of one underlying only are re-priced (index ticks taking turns, or a TimeAdvance re-pricing
     * those older than 15 minutes), and the held state must equal a fresh evaluation. Each underlying's options have
     * their own time edge, popped only when they are re-priced.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void timeEdgesOfOptionsOnTwoUnderlyingsHoldWhileTheyAreRePricedInTurn(final boolean byIndexTicks)
    {
        final CommandHarness h = new CommandHarness();
        final long expiry = h.time + 24 * HOUR;
        listCall(h, CALL, 0, expiry);
        listCall(h, CALL + 1, 1, expiry);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(CALL, 20, 21, 1_001 * UNIT, 10);
        h.trade(CALL + 1, 20, 21, 1_001 * UNIT, 6);
        leave20At(h, 1_010);
        final long[] fresh = new long[8];
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));
        final long start = h.time;
        int step = 0;
        for (long at = start + HOUR / 6; at < expiry - 2 * HOUR; at += HOUR / 6, step++)
        {
            if (byIndexTicks)
            {
                h.time = at;
                h.index(step % 2, 65_000 * UNIT);
            }
            else
            {
                // Every 10 minutes; each TimeAdvance re-prices the options last re-priced over 15 minutes before.
                h.index(1, 65_000 * UNIT);
                h.advanceTo(at);
            }
            h.machine.evaluate(20, fresh);
            assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
                (at - start) / 60_000_000_000L + " minutes on: fresh equity " + fresh[3] + ", IM " + fresh[4]);
        }
        assertNotEquals(MarginState.HEALTHY.value(), (short)fresh[0], "time alone took the account below IM");
    }

    /**
     * Underlyings whose spans differ twelvefold, re-priced at different rates: short calls three hours from expiry on
     * underlying 0, left just above initial margin, whose span ends at their floor two hours on, ticking every 20
     * seconds, and a long call a month out on underlying 1, whose span runs a day, ticking every 20 minutes (its edge
     * passes between its ticks and moves to its own source). The held state must follow a fresh evaluation until time
     * alone has taken the account below initial margin.
     */
    @org.junit.jupiter.api.Test
    void timeEdgesHoldForUnderlyingsOfDifferentSpansAndTickRates()
    {
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        final long second = 1_000_000_000L;
        final long expiry = start + 3 * HOUR;
        shortCallsAndALongCallAMonthOut(h, expiry, 0);
        leave20At(h, 1_010);
        final long[] fresh = new long[8];
        for (long at = start + 20 * second; at < expiry - HOUR - 60 * second; at += 20 * second)
        {
            h.time = at;
            h.index((at - start) % (1_200 * second) == 0 ? 1 : 0, 65_000 * UNIT);
            h.machine.evaluate(20, fresh);
            assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
                (at - start) / second + " seconds on: fresh equity " + fresh[3] + ", IM " + fresh[4]);
        }
        assertNotEquals(MarginState.HEALTHY.value(), (short)fresh[0], "time alone took the account below IM");
    }

    /**
     * The shared time edge must be the earliest of the account's underlyings' edges. Short calls 10 or 20 minutes
     * before their floor on one underlying (a span that short) and a long call a month out on the other (a span of a
     * day), the account left 0.1% or 0.2% above initial margin; the underlyings tick in turn every 10 seconds, so both
     * spans start within 20 seconds of now. The long call's edge lies 70 to 140 times further out than the short
     * calls': watched at the later edge, the account was held HEALTHY after time alone had taken it below initial
     * margin (510, 1,030 and 500 seconds on), and watched at the edge of the underlying met first (0), so it was with
     * the short calls on underlying 1. The held state must follow a fresh evaluation at every tick.
     */
    @ParameterizedTest
    @CsvSource({"10, 1001, 0", "20, 1002, 0", "10, 1001, 1"})
    void theSharedTimeEdgeIsTheEarliestOfTheUnderlyings(final long minutesToFloor, final long permille,
        final int shortUnderlying)
    {
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        final long second = 1_000_000_000L;
        final long expiry = start + HOUR + minutesToFloor * 60 * second;
        shortCallsAndALongCallAMonthOut(h, expiry, shortUnderlying);
        leave20At(h, permille);
        final long[] fresh = new long[8];
        int step = 0;
        for (long at = start + 10 * second; at < expiry - HOUR - 20 * second; at += 10 * second, step++)
        {
            h.time = at;
            h.index(step % 2, 65_000 * UNIT);
            h.machine.evaluate(20, fresh);
            assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
                (at - start) / second + " seconds on: fresh equity " + fresh[3] + ", IM " + fresh[4]);
        }
        assertNotEquals(MarginState.HEALTHY.value(), (short)fresh[0], "time alone took the account below IM");
    }

    /**
     * Once its options' floor (an hour before expiry) has passed, an account holding options on underlying 1 must be
     * re-evaluated when they are re-priced - and not over and over before: ticks of underlying 0 re-price none of
     * them. Its time edge, on the source every re-pricing watches, fires at the first tick after it; that evaluation
     * finds the edge passed and moves it to the source of underlying 1 alone. With one time source and nothing else
     * the default run re-evaluated 62,000 holders at each of 19 commands after the options' floor, until their own
     * underlying ticked. Account 20, short and left 1% above initial margin, has a time edge; account 21, long with
     * ample collateral, has its whole decay to the floor covered and none.
     */
    @org.junit.jupiter.api.Test
    void ticksOfAnotherUnderlyingDoNotReEvaluateHoldersWhoseTimeEdgeHasPassed()
    {
        final CommandHarness h = new CommandHarness();
        final long expiry = h.time + 3 * HOUR;
        listCall(h, CALL, 1, expiry);
        h.instrument(PUT, InstrumentKind.PUT, UNIT, 3_000 * UNIT, expiry + 24 * HOUR, 0);
        h.index(0, 2_999 * UNIT);
        h.index(0, 3_000 * UNIT);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(CALL, 20, 21, 1_001 * UNIT, 10);
        leave20At(h, 1_010);
        final long[] fresh = new long[8];
        final long floor = expiry - HOUR;
        final long minute = 60_000_000_000L;
        for (long at = h.time + 10 * minute; at < floor - 25 * minute; at += 10 * minute)
        {
            h.time = at;
            h.index(1, 65_000 * UNIT);
        }
        h.time = floor - 20 * minute;
        h.index(1, 65_000 * UNIT);                                   // the last re-pricing before the floor
        final long before = h.machine.evaluations();
        for (long at = floor + minute; at < floor + 14 * minute; at += 10_000_000_000L)
        {
            h.time = at;
            h.index(0, 3_000 * UNIT);
        }
        assertEquals(before + 1, h.machine.evaluations(), "78 ticks of underlying 0: account 20 at the first only");
        h.time = floor + 14 * minute;
        h.index(1, 65_000 * UNIT);                                   // their options re-priced past the floor
        assertEquals(before + 2, h.machine.evaluations(), "account 20, once, when its options are re-priced");
        for (final int account : new int[] {20, 21})
        {
            h.machine.evaluate(account, fresh);
            assertEquals(MarginState.get((short)fresh[0]),
                MarginState.get((short)h.machine.accounts().state(account)), "account " + account);
        }
    }

    /**
     * An option's margin stops moving with time at its floor, an hour before expiry. An account whose whole decay to
     * the floor fits the time's share of its headroom registers no time edge and is not re-evaluated as the floor
     * passes; re-priced every minute through the floor (index ticks at an unchanged price), or every 10 minutes by
     * TimeAdvance, its held state equals a fresh evaluation, and with the index moving it still follows every change.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void anAccountWhoseDecayToTheFloorIsCoveredNeedsNoTimeEdge(final int variant)
    {
        final long minute = 60_000_000_000L;
        final CommandHarness h = new CommandHarness();
        final long expiry = h.time + 5 * HOUR;
        listCall(h, CALL, 0, expiry);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(CALL, 20, 21, 1_001 * UNIT, 10);
        // Twenty times initial margin: the decay to the floor is far inside a tenth of the headroom.
        leave20At(h, 20_000);
        final long[] fresh = new long[8];
        final long before = h.machine.evaluations();
        final java.util.Random random = new java.util.Random(variant);
        long index = 65_000 * UNIT;
        for (long at = h.time + minute; at < expiry - 10 * minute; at += variant == 1 ? 10 * minute : minute)
        {
            if (variant == 1)
            {
                h.advanceTo(at);
            }
            else
            {
                h.time = at;
                index += variant == 2 ? (random.nextInt(2001) - 1000) * UNIT : 0;
                h.index(0, index);
            }
            for (final int account : new int[] {20, 21})
            {
                h.machine.evaluate(account, fresh);
                assertEquals(MarginState.get((short)fresh[0]),
                    MarginState.get((short)h.machine.accounts().state(account)),
                    (at - h.time) / minute + " account " + account + ": fresh equity " + fresh[3] + ", IM " + fresh[4]);
            }
        }
        if (variant < 2)
        {
            assertEquals(before, h.machine.evaluations(), "time alone re-evaluated an account whose decay is covered");
        }
    }

    /**
     * Lists a call struck at 65,000 on the underlying, at the money, and moves its index and its mark once: their bands
     * are in use from then on.
     */
    private static void listCall(final CommandHarness h, final int id, final int underlying, final long expiry)
    {
        h.instrument(id, InstrumentKind.CALL, UNIT, 65_000 * UNIT, expiry, underlying);
        h.index(underlying, 64_999 * UNIT);
        h.index(underlying, 65_000 * UNIT);
        h.mark(id, 1_000 * UNIT, 0.6);
        h.mark(id, 1_001 * UNIT, 0.6);
    }

    /**
     * Account 20 sells 10 calls at the money on underlying {@code shortUnderlying} (0 or 1), expiring at
     * {@code expiry}, and buys one a month out on the other; account 21 takes the other sides. Both start with
     * 1,000,000 USDC.
     */
    private static void shortCallsAndALongCallAMonthOut(final CommandHarness h, final long expiry,
        final int shortUnderlying)
    {
        listCall(h, CALL, shortUnderlying, expiry);
        listCall(h, CALL + 1, 1 - shortUnderlying, h.time + 30 * 24 * HOUR);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(CALL, 20, 21, 1_001 * UNIT, 10);
        h.trade(CALL + 1, 21, 20, 1_001 * UNIT, 1);
    }

    /** Withdraws from account 20 until its equity is {@code permille} per mille of its initial margin. */
    private static void leave20At(final CommandHarness h, final long permille)
    {
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - fresh[4] * permille / 1_000).encodedLength());
    }

    private static void parameter(final CommandHarness h, final RiskParameter parameter, final long value)
    {
        h.apply(new RiskParameterUpdateEncoder().wrapAndApplyHeader(h.buffer, 0, h.header)
            .timestamp(h.time++).parameter(parameter).underlyingId(-1).value(value).encodedLength());
    }
}
