package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
