package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import org.junit.jupiter.api.Test;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An option listed after its underlying's last index price is priced at once: it once had no risk array until the
 * next index tick, so 10 short at-the-money calls carried 2e-5 USDC of maintenance margin instead of 105,625 USDC, and
 * an account with 1,000 USDC could sell them.
 */
final class OptionListingTest
{
    private static final int PERPETUAL = 7;
    private static final int CALL = 1;
    private static final long DAY = 24L * 3_600_000_000_000L;

    @Test
    void anOptionListedAfterTheIndexCarriesItsMarginAtOnce()
    {
        final CommandHarness h = callListedAfterTheIndex();
        h.mark(PERPETUAL, 65_000 * UNIT, 0.0);
        h.deposit(20, 1_000_000 * UNIT);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(CALL, 20, 21, 100 * UNIT, 10);
        final long[] listed = new long[8];
        h.machine.evaluate(20, listed);

        h.index(0, 65_000 * UNIT);
        final long[] ticked = new long[8];
        h.machine.evaluate(20, ticked);

        assertEquals(ticked[5], listed[5], "maintenance margin before and after an unchanged index tick");
        assertTrue(listed[5] > 100_000 * UNIT, "10 short at-the-money calls: " + listed[5]);
    }

    @Test
    void anAccountCannotSellCallsItCannotMarginRightAfterTheirListing()
    {
        final CommandHarness h = callListedAfterTheIndex();
        h.deposit(20, 1_000 * UNIT);

        // 1,000 USDC cannot carry 10 short at-the-money calls.
        assertEquals(java.util.List.of(io.clearing.sbe.OrderRejectedDecoder.TEMPLATE_ID), h.apply(
            new io.clearing.sbe.NewOrderEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
                .orderId(h.orderId++).accountId(20).instrumentId(CALL).side(io.clearing.sbe.Side.SELL)
                .price(100 * UNIT).quantity(10).reduceOnly(io.clearing.sbe.BooleanType.FALSE).encodedLength()));
    }

    /** A perpetual's underlying indexed at 65,000, then a 30-day at-the-money call listed on it. */
    private static CommandHarness callListedAfterTheIndex()
    {
        final CommandHarness h = new CommandHarness();
        final long expiry = h.time + 30 * DAY;
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.instrument(CALL, InstrumentKind.CALL, UNIT, 65_000 * UNIT, expiry);
        return h;
    }
}
