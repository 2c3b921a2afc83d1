package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.api.Test;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Implied volatility is taken to whole ppm, the resolution its bands watch: a mark whose volatility moves by less than
 * 1e-6 moves no margin (it once moved the margin of 1,000 short calls by 2.36 USDC with no band firing).
 */
final class VolatilityResolutionTest
{
    private static final int CALL = 1;
    private static final long HOUR = 3_600_000_000_000L;

    private static String describe(final CommandHarness h, final int account, final long[] fresh)
    {
        return "held " + MarginState.get((short)h.machine.accounts().state(account)) + " (equity " +
            h.machine.accounts().equity(account) + ", IM " + h.machine.accounts().initialMargin(account) + ", MM " +
            h.machine.accounts().maintenanceMargin(account) + "), fresh " + MarginState.get((short)fresh[0]) +
            " (equity " + fresh[3] + ", IM " + fresh[4] + ", MM " + fresh[5] + ")";
    }

    /** Short ATM calls, left {@code headroomPpm} of IM above IM. */
    private static CommandHarness shortCalls(final long expiry, final double vol, final long markUnits,
        final long headroomPpm)
    {
        final CommandHarness h = new CommandHarness();
        h.instrument(CALL, InstrumentKind.CALL, UNIT, 65_000 * UNIT, expiry);
        h.index(0, 64_990 * UNIT);
        h.index(0, 65_000 * UNIT);                              // the index has moved
        h.mark(CALL, markUnits, vol);
        h.deposit(20, 5_000_000 * UNIT);
        h.deposit(21, 5_000_000 * UNIT);
        h.trade(CALL, 20, 21, markUnits, 10);                 // 20 short 10 calls
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        final long keep = fresh[4] + fresh[4] / 1_000_000 * headroomPpm;
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - keep).encodedLength());
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));
        return h;
    }

    @Test
    void aVolatilityChangeInsideOnePpmMovesNoMargin()
    {
        final long start = 1_767_225_600_000_000_000L;
        final CommandHarness h = new CommandHarness();
        h.instrument(CALL, InstrumentKind.CALL, UNIT, 65_000 * UNIT, start + 30 * 24 * HOUR);
        h.index(0, 64_990 * UNIT);
        h.index(0, 65_000 * UNIT);
        h.mark(CALL, 3_700 * UNIT, 0.49);
        h.mark(CALL, 3_700 * UNIT, 0.5);                        // mark unchanged, vol moved
        h.deposit(20, 50_000_000 * UNIT);
        h.deposit(21, 50_000_000 * UNIT);
        h.trade(CALL, 20, 21, 3_700 * UNIT, 1_000);            // 20 short 1,000 calls
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - fresh[4] - UNIT).encodedLength());   // IM + 1 USDC
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));

        final long initialMargin = fresh(h, 20)[4];

        // 500,000.4 ppm: 0.5 to 1e-6, no margin moves.
        h.mark(CALL, 3_700 * UNIT, 0.5000004);
        assertEquals(initialMargin, fresh(h, 20)[4]);
        assertEquals(0.5, h.machine.instruments().markVolatility(CALL));

        // 500,000.9 ppm: 0.500001, a change its band sees.
        h.mark(CALL, 3_700 * UNIT, 0.5000009);
        final long[] after = fresh(h, 20);
        assertEquals(after[0], h.machine.accounts().state(20), describe(h, 20, after));
        assertEquals(0.500001, h.machine.instruments().markVolatility(CALL));
    }

    private static long[] fresh(final CommandHarness h, final int account)
    {
        final long[] fresh = new long[8];
        h.machine.evaluate(account, fresh);
        return fresh;
    }
}
