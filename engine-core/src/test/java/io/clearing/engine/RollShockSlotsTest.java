package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The roll shock nets futures delta across expiries of one underlying, each live expiry in a slot of its own (16 per
 * underlying). Slots of settled futures are given back: they were kept for ever, so after 15 expired dailies every
 * later expiry shared the last slot and a calendar spread paid no roll shock at all.
 */
final class RollShockSlotsTest
{
    private static final long DAY = 24L * 3_600_000_000_000L;
    /** 1% roll shock on 2 x 65,000 of futures delta netted across expiries, plus the rounding allowance (2 x 2e-6). */
    private static final long CALENDAR_MAINTENANCE = 130_000_000_400L;

    private static long calendarMaintenanceAfter(final int expiredDailies)
    {
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        h.instrument(99, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        h.index(0, 65_000 * UNIT);
        for (int i = 0; i < expiredDailies; i++)
        {
            h.instrument(10 + i, InstrumentKind.FUTURE, UNIT, 0, start + (i + 1) * DAY);
        }
        final long later = start + 40 * DAY;
        h.advanceTo(later);
        for (int i = 0; i < expiredDailies; i++)
        {
            h.expire(start + (i + 1) * DAY, 65_000 * UNIT);
        }
        return calendarMaintenance(h, later + 30 * DAY, later + 90 * DAY);
    }

    /** Account 20 long a future expiring at {@code near}, short one expiring at {@code far}: its maintenance margin. */
    private static long calendarMaintenance(final CommandHarness h, final long near, final long far)
    {
        h.instrument(1, InstrumentKind.FUTURE, UNIT, 0, near);
        h.instrument(2, InstrumentKind.FUTURE, UNIT, 0, far);
        h.mark(1, 65_000 * UNIT, 0.0);
        h.mark(2, 65_000 * UNIT, 0.0);
        h.deposit(20, 100_000 * UNIT);
        h.deposit(21, 100_000 * UNIT);
        h.deposit(22, 100_000 * UNIT);
        h.trade(1, 21, 20, 65_000 * UNIT, 1);
        h.trade(2, 20, 22, 65_000 * UNIT, 1);
        final long[] out = new long[8];
        h.machine.evaluate(20, out);
        return out[5];
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 15, 30})
    void aCalendarSpreadPaysItsRollShockHoweverManyFuturesExpiredBefore(final int expiredDailies)
    {
        assertEquals(CALENDAR_MAINTENANCE, calendarMaintenanceAfter(expiredDailies));
    }

    @Test
    void sixteenLiveExpiriesStillGetTheirOwnSlotsInExpiryOrder()
    {
        // A perpetual and 15 dated futures live at once: the calendar's two legs are among the first 16 expiries.
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        h.instrument(99, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        h.index(0, 65_000 * UNIT);
        for (int i = 0; i < 13; i++)
        {
            h.instrument(10 + i, InstrumentKind.FUTURE, UNIT, 0, start + (200 + i) * DAY);
        }
        assertEquals(CALENDAR_MAINTENANCE, calendarMaintenance(h, start + 30 * DAY, start + 90 * DAY));
    }

    /**
     * A perpetual and 16 dailies: 17 live expiries, the last two sharing slot 15. Account 20 holds a calendar between
     * dailies 15 and 16, which pays no roll shock while they share a slot. When daily 1 settles the calendar's legs
     * part and it pays 2 x 40 x 65,000 x 1%: its held state must follow at once, though none of its own instruments
     * changed.
     */
    @Test
    void aSettlementThatPartsTwoExpiriesReEvaluatesTheirHolders()
    {
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        final long[] before = calendarAfterDailies(h, 16, 20_000 * UNIT);
        assertEquals(MarginState.HEALTHY.value(), before[0]);
        h.advanceTo(start + 2 * DAY);
        h.expire(start + 2 * DAY, 65_000 * UNIT);
        final long[] fresh = heldEqualsFresh(h);
        assertNotEquals(MarginState.HEALTHY.value(), fresh[0], "the calendar pays its roll shock again");
    }

    /**
     * A perpetual and 15 dailies: 16 live expiries in slots of their own, account 20 short a calendar between the last
     * two paying its roll shock. A future listed before them all pushes those two into one slot: the calendar's margin
     * falls to almost nothing, and its held margin must fall with it.
     */
    @Test
    void aListingThatMergesTwoExpiriesReEvaluatesTheirHolders()
    {
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        final long[] before = calendarAfterDailies(h, 15, 100_000 * UNIT);
        assertEquals(before[4], h.machine.accounts().initialMargin(20));
        h.instrument(5, InstrumentKind.FUTURE, UNIT, 0, start + DAY);
        final long[] fresh = heldEqualsFresh(h);
        assertEquals(true, fresh[4] < before[4] / 100, "the calendar no longer pays a roll shock: " + fresh[4]);
    }

    /**
     * A perpetual and {@code count} dated futures, ids 11.., expiring daily from the second day, all marked; account 20
     * long 40 of the last but one, short 40 of the last, against well-funded 21 and 22, then left with {@code kept}
     * USDC (its first leg alone needed far more). @return its fresh evaluation.
     */
    private static long[] calendarAfterDailies(final CommandHarness h, final int count, final long kept)
    {
        final long start = h.time;
        h.instrument(99, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        h.index(0, 65_000 * UNIT);
        for (int i = 1; i <= count; i++)
        {
            h.instrument(10 + i, InstrumentKind.FUTURE, UNIT, 0, start + (i + 1) * DAY);
            h.mark(10 + i, 65_000 * UNIT, 0.0);
        }
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 10_000_000 * UNIT);
        h.deposit(22, 10_000_000 * UNIT);
        h.trade(9 + count, 21, 20, 65_000 * UNIT, 40);
        h.trade(10 + count, 20, 22, 65_000 * UNIT, 40);
        final List<Integer> events = h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header)
            .timestamp(h.time++).accountId(20).assetId(0).amount(h.balance(20) - kept).encodedLength());
        assertEquals(false, events.contains(CommandRejectedDecoder.TEMPLATE_ID), "withdrawal");
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        return fresh;
    }

    private static long[] heldEqualsFresh(final CommandHarness h)
    {
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        assertEquals(fresh[0], h.machine.accounts().state(20), "held state");
        assertEquals(fresh[4], h.machine.accounts().initialMargin(20), "held initial margin");
        return fresh;
    }
}
