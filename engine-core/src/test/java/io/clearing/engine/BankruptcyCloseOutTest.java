package io.clearing.engine;

import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.AutoDeleverageDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.settlement.Accounts;
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

    @Test
    void collateralIsSoldAtIndexSoTheFundPaysTheTrueDeficitNotTheHaircut()
    {
        final CommandHarness h = new CommandHarness();
        h.apply(new AssetDefinitionEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .assetId(1).valuationUnderlyingId(0).collateralWeightPpm(950_000).encodedLength());
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.deposit(Accounts.INSURANCE_FUND, 100_000 * UNIT);
        h.apply(new DepositEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(1).amount(UNIT).encodedLength());
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(PERPETUAL, 21, 20, 65_000 * UNIT, 2);
        h.index(0, 40_000 * UNIT);

        // 1 BTC at 40,000, 0.95 of it as collateral: 38,000 against a 50,000 loss.
        h.mark(PERPETUAL, 40_000 * UNIT, 0);

        assertEquals(0, h.position(20, PERPETUAL));
        // The BTC went to the liquidator at index for 40,000: the true deficit is 10,000, not the 12,000 the haircut
        // equity says, and the account ends with nothing.
        assertEquals(10_000 * UNIT, 100_000 * UNIT - h.balance(Accounts.INSURANCE_FUND));
        assertEquals(0, h.balance(20));
        assertEquals(0, h.machine.accounts().balance(20, 1));
        assertEquals(UNIT, h.machine.accounts().balance(Accounts.LIQUIDATOR, 1));
        assertEquals(-1, h.machine.ledger().checkConservation());
    }

    @Test
    void aFlatAccountWhoseCollateralNoLongerCoversItsDebtIsClosedOut()
    {
        final CommandHarness h = new CommandHarness();
        h.apply(new AssetDefinitionEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .assetId(1).valuationUnderlyingId(0).collateralWeightPpm(950_000).encodedLength());
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        h.index(0, 64_000 * UNIT);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.apply(new DepositEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(30).assetId(1).amount(UNIT).encodedLength());
        h.deposit(31, 1_000_000 * UNIT);
        h.trade(PERPETUAL, 31, 30, 65_000 * UNIT, 1);
        h.mark(PERPETUAL, 30_000 * UNIT, 0);
        h.trade(PERPETUAL, 30, 31, 30_000 * UNIT, 1);
        // Flat: 1 BTC against a 35,000 USDC debt, at 0.95 x 65,000 = 61,750 of collateral.
        assertEquals(0, h.position(30, PERPETUAL));
        assertEquals(-35_000 * UNIT, h.balance(30));

        // 0.95 x 36,000 = 34,200: the debt is no longer covered. The index band of the collateral sees it.
        h.index(0, 36_000 * UNIT);

        // Sold to the liquidator at 36,000 the BTC pays the debt and leaves 1,000: no deficit at full value.
        assertEquals(0, h.machine.accounts().balance(30, 1));
        assertEquals(1_000 * UNIT, h.balance(30));
        assertEquals(UNIT, h.machine.accounts().balance(Accounts.LIQUIDATOR, 1));
        assertEquals(io.clearing.sbe.MarginState.EMPTY.value(), h.machine.accounts().state(30));
        assertEquals(-1, h.machine.ledger().checkConservation());
    }

    @Test
    void collateralTheLiquidatorsBooksCannotTakeStaysAndTheMarkStillApplies()
    {
        // Five accounts hold 1e9 units of an asset worth 20 each and weighted 0 (2e18 units of USDC apiece); after
        // four sales the liquidator's USDC could not pay for a fifth: that one stays, checked before anything moves.
        final CommandHarness h = new CommandHarness();
        h.apply(new AssetDefinitionEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .assetId(1).valuationUnderlyingId(1).collateralWeightPpm(0).encodedLength());
        h.index(1, 20 * UNIT);
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, UNIT / 10, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.deposit(100, 100_000_000 * UNIT);
        for (int account = 20; account < 25; account++)
        {
            h.apply(new DepositEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
                .accountId(account).assetId(1).amount(io.clearing.settlement.Limits.MAX_AMOUNT).encodedLength());
            h.deposit(account, 3_000 * UNIT);
            h.trade(PERPETUAL, 100, account, 65_000 * UNIT, 1);
        }

        final List<Integer> events = h.mark(PERPETUAL, 20_000 * UNIT, 0);

        assertTrue(!events.contains(io.clearing.sbe.CommandRejectedDecoder.TEMPLATE_ID), events.toString());
        assertEquals(20_000 * UNIT, h.machine.instruments().markPrice(PERPETUAL));
        assertEquals(4 * io.clearing.settlement.Limits.MAX_AMOUNT,
            h.machine.accounts().balance(Accounts.LIQUIDATOR, 1));
        assertEquals(-1, h.machine.ledger().checkConservation());
    }
}
