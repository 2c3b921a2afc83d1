package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.LiquidationTradeDecoder;
import io.clearing.sbe.MarginState;
import io.clearing.settlement.Accounts;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Liquidation ends with the account back at initial margin or flat, never still in liquidation with positions: when
 * the first step's penalty takes nearly all the equity, quarters of the position can no longer restore initial
 * margin, and the step cap (8 per position + 16) once left 99 of 100,000 contracts on an account with no equity.
 */
final class LiquidationStepCapTest
{
    private static final int PERPETUAL = 0;

    @Test
    void anAccountTheStepsCannotRestoreEndsFlatNotInLiquidation()
    {
        final CommandHarness h = new CommandHarness();
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, 100_000, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 64_000 * UNIT, 0);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.deposit(20, 1_400_000 * UNIT);
        h.deposit(21, 100_000_000 * UNIT);
        h.trade(PERPETUAL, 21, 20, 65_000 * UNIT, 100_000);
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20));

        // 100 BTC lose 13,999 each: equity 100, solvent, far below maintenance margin.
        final List<Integer> events = h.mark(PERPETUAL, 51_001 * UNIT, 0);

        final long steps = events.stream().filter(t -> t == LiquidationTradeDecoder.TEMPLATE_ID).count();
        assertEquals(0, h.position(20, PERPETUAL), steps + " steps");
        assertEquals(25, steps, "the 24 steps of the cap, then the rest in one");
        assertEquals(MarginState.EMPTY.value(), h.machine.accounts().state(20));
        assertEquals(100_000, h.position(Accounts.LIQUIDATOR, PERPETUAL));
        assertTrue(h.balance(20) >= 0, "no deficit: " + h.balance(20));
        assertEquals(-1, h.machine.ledger().checkConservation());
    }
}
