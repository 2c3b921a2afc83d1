package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import org.junit.jupiter.api.Test;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Margin is a step function of prices at the rounding quantum (per-contract contributions are whole millionths), so
 * a move in a position's favour can raise initial margin: by 1.3e-6 of the margin currency per contract when one
 * scenario's contribution rounds the other way. Bands leave that much of every distance aside (and no one-way edge
 * within it); before, a favourable tick moved accounts of 1e10 tiny contracts into liquidation, and an ordinary one 1
 * USDC above initial margin into margin call, with no band firing.
 */
final class BandRoundingTest
{
    private static final int PERP = 0;
    private static final long CONTRACTS = 10_000_000_000L; // 1e10 contracts of 1e-8 units: 100 units of underlying

    private static long price(final double usd)
    {
        return Math.round(usd * UNIT);
    }

    private static String check(final CommandHarness h, final int account)
    {
        final long[] fresh = new long[8];
        h.machine.evaluate(account, fresh);
        return "account " + account + " held " + MarginState.get((short)h.machine.accounts().state(account)) +
            " (equity " + h.machine.accounts().equity(account) + ", IM " + h.machine.accounts().initialMargin(account) +
            ", MM " + h.machine.accounts().maintenanceMargin(account) + "), fresh " + MarginState.get((short)fresh[0]) +
            " (equity " + fresh[3] + ", IM " + fresh[4] + ", MM " + fresh[5] + ")";
    }

    private static int fresh(final CommandHarness h, final int account)
    {
        final long[] fresh = new long[8];
        h.machine.evaluate(account, fresh);
        return (int)fresh[0];
    }

    @Test
    void aFavourableTickThatRoundsEveryContractsMarginUpIsSeen()
    {
        final CommandHarness h = new CommandHarness();
        h.instrument(PERP, InstrumentKind.PERPETUAL, 1, 0, 0);   // contract = 1e-8 of the underlying
        h.index(0, price(937.49));
        h.mark(PERP, price(936.00), 0);
        h.mark(PERP, price(937.49), 0);                        // the mark has moved: bands are registered
        h.deposit(20, 45_000 * UNIT);                           // healthy, IM 39,585
        h.deposit(22, 40_000 * UNIT);                           // healthy now, will sit in margin call
        h.deposit(21, 1_000_000 * UNIT);                        // the short side
        h.deposit(23, 1_000_000 * UNIT);
        h.trade(PERP, 21, 20, price(937.49), CONTRACTS);
        h.trade(PERP, 23, 22, price(937.49), CONTRACTS);
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20), check(h, 20));
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(22), check(h, 22));

        // 22 dips into margin call and comes back to 937.49: equity 40,000 again, below the recovery level 41,564.
        h.mark(PERP, price(930.00), 0);
        h.mark(PERP, price(937.49), 0);
        assertEquals(MarginState.MARGIN_CALL.value(), h.machine.accounts().state(22), check(h, 22));
        assertEquals(fresh(h, 20), h.machine.accounts().state(20), check(h, 20));
        assertEquals(fresh(h, 22), h.machine.accounts().state(22), check(h, 22));

        // Up 1 cent - in both longs' favour: equity +1 USDC; the -16% entry goes from rint(-1.49998) to
        // rint(-1.50002) millionths per contract, MM +10,000 and IM +13,000 USDC.
        h.mark(PERP, price(937.51), 0);

        final String s20 = check(h, 20);
        final String s22 = check(h, 22);
        assertEquals(fresh(h, 22), h.machine.accounts().state(22), s22);
        assertEquals(fresh(h, 20), h.machine.accounts().state(20), s20);
    }

    @Test
    void atOrdinaryContractSizesAFavourableTickIntoMarginCallIsSeen()
    {
        // 0.001 BTC contracts, 1,000 BTC long. The -16% entry per contract is 160 x mark millionths: at 65,000.00312
        // it is 10,400,000.4992, at 65,000.00313 10,400,000.5008 - rounded up, IM +1.30 USDC for 1e6 contracts while
        // equity gains 0.01.
        final CommandHarness h = new CommandHarness();
        h.instrument(PERP, InstrumentKind.PERPETUAL, 100_000, 0, 0);
        h.index(0, 6_500_000_312_000L);
        h.mark(PERP, 6_500_000_000_000L, 0);
        h.mark(PERP, 6_500_000_312_000L, 0);
        h.deposit(20, 20_000_000 * UNIT);
        h.deposit(21, 100_000_000 * UNIT);
        h.trade(PERP, 21, 20, 6_500_000_312_000L, 1_000_000);
        final long[] fresh = new long[8];
        h.machine.evaluate(20, fresh);
        // Leave 1 USDC above initial margin.
        h.apply(new io.clearing.sbe.WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .accountId(20).assetId(0).amount(fresh[3] - fresh[4] - UNIT).encodedLength());
        assertEquals(MarginState.HEALTHY.value(), h.machine.accounts().state(20), check(h, 20));

        h.mark(PERP, 6_500_000_313_000L, 0);                    // +0.00001 USD, in the long's favour

        assertEquals(fresh(h, 20), h.machine.accounts().state(20), check(h, 20));
    }
}
