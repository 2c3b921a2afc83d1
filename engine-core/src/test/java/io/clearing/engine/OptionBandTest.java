package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Option bands a review of session 12 found unsound: the index band of an option with no volatility (priced at
 * intrinsic value, its delta shock steps at the strike) and the volatility band of a deep in-the-money option (its
 * bound was the vega at the current forward, near zero, while its scenarios reprice it at the money).
 */
final class OptionBandTest
{
    private static final int CALL = 1;
    private static final long HOUR = 3_600_000_000_000L;

    /** A short call 1e-5 USDC out of the money at vol 0 (marked so, or never marked), IM + 100 USDC left. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anIndexMoveAcrossTheStrikeOfAnOptionWithNoVolatilityIsSeen(final boolean markedAtZero)
    {
        final CommandHarness h = new CommandHarness();
        final long strike = 65_000 * UNIT;
        h.instrument(CALL, InstrumentKind.CALL, UNIT, strike, h.time + 240 * HOUR);
        h.index(0, strike - 2_000);
        h.index(0, strike - 1_000);
        if (markedAtZero)
        {
            h.mark(CALL, UNIT, 0.3);
            h.mark(CALL, UNIT, 0.0);
        }
        h.deposit(20, 100_000 * UNIT);
        h.deposit(21, 100_000 * UNIT);
        h.trade(CALL, 20, 21, UNIT, 1);
        leaveAboveInitialMargin(h, 100 * UNIT);
        h.index(0, strike + 1_000);
        final long[] fresh = heldEqualsFresh(h);
        assertNotEquals(MarginState.HEALTHY.value(), fresh[0], "the step of 422.50 USDC took it below IM");
    }

    /** A long call 12,386 in the money, 20 hours to expiry, IM + 20 USDC left: its implied vol halves. */
    @Test
    void aVolatilityFallOfADeepInTheMoneyCallIsSeen()
    {
        final CommandHarness h = new CommandHarness();
        h.instrument(CALL, InstrumentKind.CALL, UNIT, 65_000 * UNIT, h.time + 20 * HOUR);
        h.index(0, 77_380 * UNIT);
        h.index(0, 77_386 * UNIT);
        h.mark(CALL, 12_386 * UNIT, 0.30);
        h.mark(CALL, 12_386 * UNIT, 0.31);
        h.mark(CALL, 12_386 * UNIT, 0.30);
        h.deposit(20, 100_000 * UNIT);
        h.deposit(21, 100_000 * UNIT);
        h.trade(CALL, 21, 20, 12_386 * UNIT, 1);
        leaveAboveInitialMargin(h, 20 * UNIT);
        h.mark(CALL, 12_386 * UNIT, 0.15);
        final long[] fresh = heldEqualsFresh(h);
        assertNotEquals(MarginState.HEALTHY.value(), fresh[0], "lower vol raised the long call's IM above equity");
    }

    private static void leaveAboveInitialMargin(final CommandHarness h, final long above)
    {
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - fresh[4] - above).encodedLength());
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));
    }

    private static long[] heldEqualsFresh(final CommandHarness h)
    {
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(20)),
            "held state; fresh equity " + fresh[3] + ", IM " + fresh[4]);
        return fresh;
    }
}
