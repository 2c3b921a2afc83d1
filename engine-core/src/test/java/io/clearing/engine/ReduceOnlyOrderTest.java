package io.clearing.engine;

import io.clearing.sbe.BooleanType;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.Side;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A reduce-only order needs no margin, but the loss it realizes filling through the mark must be within equity: a
 * reduce-only sell of a long far below the mark, filled by a colluding buyer, once left the account flat with a
 * deficit nothing covered (the buyer kept it).
 */
final class ReduceOnlyOrderTest
{
    private static final int PERPETUAL = 0;

    private CommandHarness longOneBitcoinWithFourteenThousand()
    {
        return longOneBitcoinWith(14_000 * UNIT);
    }

    private static CommandHarness longOneBitcoinWith(final long deposit)
    {
        final CommandHarness h = new CommandHarness();
        h.instrument(PERPETUAL, InstrumentKind.PERPETUAL, UNIT, 0, 0);
        h.index(0, 65_000 * UNIT);
        h.mark(PERPETUAL, 64_000 * UNIT, 0);
        h.mark(PERPETUAL, 65_000 * UNIT, 0);
        h.deposit(20, deposit);
        h.deposit(21, 1_000_000 * UNIT);
        h.trade(PERPETUAL, 21, 20, 65_000 * UNIT, 1);
        return h;
    }

    private static List<Integer> reduceOnlySell(final CommandHarness h, final long price)
    {
        return h.apply(new NewOrderEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
            .orderId(h.orderId++).accountId(20).instrumentId(PERPETUAL).side(Side.SELL).price(price).quantity(1)
            .reduceOnly(BooleanType.TRUE).encodedLength());
    }

    @Test
    void aReduceOnlySellWhoseFillLossExceedsEquityIsRefused()
    {
        final CommandHarness h = longOneBitcoinWithFourteenThousand();

        // Filled at 1, it would realize 64,999 against 14,000 of equity.
        assertEquals(List.of(OrderRejectedDecoder.TEMPLATE_ID), reduceOnlySell(h, UNIT));
        assertEquals(RejectReason.INSUFFICIENT_MARGIN, new OrderRejectedDecoder().wrap(h.events.buffer(),
            4 + io.clearing.sbe.MessageHeaderEncoder.ENCODED_LENGTH, OrderRejectedDecoder.BLOCK_LENGTH, 1).reason());
    }

    @Test
    void aReduceOnlySellAtTheMarkOrWithinEquityIsAccepted()
    {
        final CommandHarness h = longOneBitcoinWithFourteenThousand();

        assertEquals(List.of(OrderAcceptedDecoder.TEMPLATE_ID), reduceOnlySell(h, 65_000 * UNIT));
        final CommandHarness other = longOneBitcoinWithFourteenThousand();
        // 5,000 of fill loss against 14,000 of equity, though it is below initial margin: no margin needed.
        assertEquals(List.of(OrderAcceptedDecoder.TEMPLATE_ID), reduceOnlySell(other, 60_000 * UNIT));
    }

    @Test
    void aReduceOnlySellAtTheMarkIsAcceptedThoughOtherReservationsExceedEquity()
    {
        final CommandHarness h = longOneBitcoinWith(80_000 * UNIT);
        h.order(20, PERPETUAL, Side.BUY, 100_000 * UNIT, 1);   // 35,000 of fill loss reserved
        h.mark(PERPETUAL, 20_000 * UNIT - 1, 0);               // equity 35,000 less 1e-8

        assertEquals(List.of(OrderAcceptedDecoder.TEMPLATE_ID), h.apply(new NewOrderEncoder()
            .wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++).orderId(h.orderId++).accountId(20)
            .instrumentId(PERPETUAL).side(Side.SELL).price(20_000 * UNIT - 1).quantity(1)
            .reduceOnly(BooleanType.TRUE).encodedLength()));
    }
}
