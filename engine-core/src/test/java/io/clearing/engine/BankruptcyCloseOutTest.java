package io.clearing.engine;

import io.clearing.sbe.AutoDeleverageDecoder;
import io.clearing.sbe.InstrumentKind;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bankrupt account with no insurance fund to cover it closes at its bankruptcy price against the opposite holder
 * (auto-deleveraging), and that holder absorbs exactly the deficit - also when the position is not a whole number of
 * underlying units, where one price unit moves a fraction of a money unit (the price shift was once computed per
 * whole money unit: the counterparty of a 1.5 BTC position absorbed 22,500 of a 25,000 loss and the bankrupt account
 * kept 2,500; a 0.01 BTC position socialised 1 of a 100 deficit).
 */
final class BankruptcyCloseOutTest
{
    private static final int PERPETUAL = 0;
    private static final long MILLI_BTC = 100_000L;

    @Test
    void aPositionOfOneAndAHalfUnitsClosesAtThePriceThatAbsorbsExactlyItsDeficit()
    {
        final CommandHarness h = new CommandHarness();
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, MILLI_BTC, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.deposit(20, 25_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(PERPETUAL, 21, 20, 65_000 * UNIT, 1_500);
        final long before21 = h.balance(21);

        // Equity 25,000 - 1.5 x 20,000 = -5,000; no insurance fund.
        final List<Integer> events = h.mark(PERPETUAL, 45_000 * UNIT, 0);

        assertTrue(events.contains(AutoDeleverageDecoder.TEMPLATE_ID), events.toString());
        assertEquals(0, h.position(20, PERPETUAL));
        assertEquals(0, h.position(21, PERPETUAL));
        // Bankruptcy price 45,000 + 5,000 / 1.5 = 48,333.33333334 (rounded up, toward the bankrupt side): 20 loses
        // 1.5 x 16,666.66666666 = 24,999.99999999 of its 25,000 and keeps the last 1e-8; 21 gains exactly that.
        assertEquals(1, h.balance(20));
        assertEquals(2_499_999_999_999L, h.balance(21) - before21);
        assertEquals(-1, h.machine.ledger().checkConservation());
    }

    @Test
    void aPositionUnderOneUnitStillHasItsWholeDeficitAbsorbed()
    {
        final CommandHarness h = new CommandHarness();
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, MILLI_BTC, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.deposit(20, 200 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(PERPETUAL, 21, 20, 65_000 * UNIT, 10);
        final long before21 = h.balance(21);

        // 0.01 BTC: equity 200 - 0.01 x 30,000 = -100.
        final List<Integer> events = h.mark(PERPETUAL, 35_000 * UNIT, 0);

        assertTrue(events.contains(AutoDeleverageDecoder.TEMPLATE_ID), events.toString());
        assertEquals(0, h.position(20, PERPETUAL));
        // Bankruptcy price 35,000 + 100 / 0.01 = 45,000: 20 ends at zero, 21 gains 200.
        assertEquals(0, h.balance(20));
        assertEquals(200 * UNIT, h.balance(21) - before21);
        assertEquals(-1, h.machine.ledger().checkConservation());
    }
}
