package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.Side;
import io.clearing.settlement.EventWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Risk rules found by review, each with the scenario that broke it. */
final class RiskRulesTest
{
    private static final long UNIT = 100_000_000L;
    private static final int BTC_PERP = 0;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final MessageHeaderDecoder eventHeader = new MessageHeaderDecoder();
    private final EventWriter events = new EventWriter();
    private ClearingStateMachine machine;
    private long time = 1_767_225_600_000_000_000L;
    private long orderId = 1;

    @BeforeEach
    void setUp()
    {
        machine = new ClearingStateMachine(1024, new RiskParameters());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(0).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(1).valuationUnderlyingId(0).collateralWeightPpm(950_000).encodedLength());
        apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(BTC_PERP).kind(InstrumentKind.PERPETUAL).underlyingId(0)
            .settlementAssetId(0).strike(0).expiryTimestamp(0).contractSize(UNIT).makerFeePpm(0).takerFeePpm(0)
            .encodedLength());
        apply(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).underlyingId(0).price(65_000 * UNIT).encodedLength());
        apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(BTC_PERP).price(65_000 * UNIT).impliedVolatility(0).encodedLength());
    }

    @Test
    void anOrderPricedThroughTheMarkReservesTheLossItRealizesOnFilling()
    {
        deposit(20, 0, 20_000 * UNIT);
        // 1 BTC at mark needs IM 1.3 x (16% + 0.5%) x 65,000 = 13,942.50: fits 20,000 of equity.
        assertEquals(OrderAcceptedDecoder.TEMPLATE_ID, order(20, Side.BUY, 65_000, 1).get(0));
        deposit(21, 0, 20_000 * UNIT);
        // Bought at 80,000 it is worth 65,000 at once: 15,000 lost plus the margin do not fit 20,000.
        final List<Integer> rejected = order(21, Side.BUY, 80_000, 1);
        assertEquals(OrderRejectedDecoder.TEMPLATE_ID, rejected.get(0));
        assertEquals(RejectReason.INSUFFICIENT_MARGIN, lastOrderRejectedReason);
        // A buy below the mark reserves nothing extra.
        deposit(22, 0, 20_000 * UNIT);
        assertEquals(OrderAcceptedDecoder.TEMPLATE_ID, order(22, Side.BUY, 60_000, 1).get(0));
    }

    @Test
    void collateralWorthMoreThanALongCountsSaturatedInsteadOfFailingTheDeposit()
    {
        // 1,000,000 BTC at 100,000 is 1e19 units of USDC: beyond a long. The deposit applies and is an event; its
        // valuation is exact on 128 bits and reported clamped to a long (the account is simply very rich).
        apply(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).underlyingId(0).price(100_000 * UNIT).encodedLength());
        final List<Integer> templates = deposit(23, 1, 1_000_000 * UNIT);
        assertEquals(List.of(BalanceChangedDecoder.TEMPLATE_ID), templates);
        assertEquals(1_000_000 * UNIT, machine.accounts().balance(23, 1));
        assertEquals(-1, machine.ledger().checkConservation());
        assertTrue(machine.accounts().equity(23) > 0);
    }

    @Test
    void aFillRealizingTheReservedLossLeavesTheAccountSolvent()
    {
        deposit(30, 0, 40_000 * UNIT);
        deposit(31, 0, 40_000 * UNIT);
        final long maker = orderId;
        assertEquals(OrderAcceptedDecoder.TEMPLATE_ID, order(30, Side.SELL, 70_000, 1).get(0));
        final long taker = orderId;
        assertEquals(OrderAcceptedDecoder.TEMPLATE_ID, order(31, Side.BUY, 70_000, 1).get(0));
        apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(1)
            .instrumentId(BTC_PERP).price(70_000 * UNIT).quantity(1).makerOrderId(maker).makerAccountId(30)
            .takerOrderId(taker).takerAccountId(31).takerSide(Side.BUY).encodedLength());
        // The buyer paid 5,000 over mark: equity 35,000 still covers IM 13,942.50.
        assertEquals(35_000 * UNIT, machine.accounts().equity(31));
        assertEquals(0, machine.accounts().reservedFillLoss(31));
        assertEquals(0, machine.accounts().reservedFillLoss(30));
    }

    @Test
    void fillRulesAreExplicit()
    {
        deposit(40, 0, 100_000 * UNIT);
        deposit(41, 0, 100_000 * UNIT);
        final long sell = orderId;
        order(40, Side.SELL, 65_000, 2);
        final long buy = orderId;
        order(41, Side.BUY, 65_000, 2);
        final long ownBuy = orderId;
        order(40, Side.BUY, 64_000, 1);
        // Self-trade: the same account on both sides.
        assertEquals(RejectReason.SELF_TRADE, fill(1, sell, 40, ownBuy, 40, 64_000, 1));
        // Overfill: more than either order has left.
        assertEquals(RejectReason.OVERFILL, fill(2, sell, 40, buy, 41, 65_000, 3));
        // Through a limit: the buyer's limit is 65,000.
        assertEquals(RejectReason.PRICE_THROUGH_LIMIT, fill(3, sell, 40, buy, 41, 66_000, 1));
        // Unknown order id.
        assertEquals(RejectReason.UNKNOWN_ORDER, fill(4, 999_999, 40, buy, 41, 65_000, 1));
        // Sides must match the orders.
        assertEquals(RejectReason.ORDER_MISMATCH, fill(5, buy, 41, sell, 40, 65_000, 1, Side.BUY));
        // A valid fill of the whole of both orders...
        assertEquals(null, fill(6, sell, 40, buy, 41, 65_000, 2));
        assertEquals(2, machine.positions().quantity(machine.positions().find(41, BTC_PERP)));
        // ...after which they are no longer open: an already-filled order is an unknown order.
        assertEquals(RejectReason.UNKNOWN_ORDER, fill(7, sell, 40, buy, 41, 65_000, 1));
        assertEquals(-1, machine.ledger().checkConservation());
    }

    /**
     * Holders register no band on an implied volatility that has never moved (PriceWatch.hasMoved); its first change
     * must re-evaluate them all. A short call near its margin sees its volatility jump from 50% to 200%.
     */
    @Test
    void theFirstChangeOfAVolatilityReEvaluatesEveryHolderOfTheOption()
    {
        final int call = 1;
        apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(call).kind(InstrumentKind.CALL).underlyingId(0)
            .settlementAssetId(0).strike(65_000 * UNIT).expiryTimestamp(time + 30L * 24 * 3_600_000_000_000L)
            .contractSize(UNIT).makerFeePpm(0).takerFeePpm(0).encodedLength());
        markCall(call, 0.5);
        deposit(50, 0, 1_000_000 * UNIT);
        deposit(51, 0, 1_000_000 * UNIT);
        final long sell = orderId;
        apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).orderId(orderId++)
            .accountId(50).instrumentId(call).side(Side.SELL).price(5_000 * UNIT).quantity(1)
            .reduceOnly(BooleanType.FALSE).encodedLength());
        final long buy = orderId;
        apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).orderId(orderId++)
            .accountId(51).instrumentId(call).side(Side.BUY).price(5_000 * UNIT).quantity(1)
            .reduceOnly(BooleanType.FALSE).encodedLength());
        apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(1)
            .instrumentId(call).price(5_000 * UNIT).quantity(1).makerOrderId(sell).makerAccountId(50)
            .takerOrderId(buy).takerAccountId(51).takerSide(Side.BUY).encodedLength());
        // Leave the seller 20% over its initial margin, healthy.
        final long keep = machine.accounts().initialMargin(50) * 6 / 5;
        apply(new io.clearing.sbe.WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .accountId(50).assetId(0).amount(machine.accounts().equity(50) - keep).encodedLength());
        assertEquals(io.clearing.sbe.MarginState.HEALTHY.value(), machine.accounts().state(50));
        markCall(call, 0.5); // a repeat is not a change: nobody is re-evaluated
        assertEquals(io.clearing.sbe.MarginState.HEALTHY.value(), machine.accounts().state(50));

        final List<Integer> events = markCall(call, 2.0);

        assertTrue(events.contains(io.clearing.sbe.MarginStatusDecoder.TEMPLATE_ID), events.toString());
        final long[] fresh = new long[8];
        machine.evaluate(50, fresh);
        assertTrue(fresh[0] != io.clearing.sbe.MarginState.HEALTHY.value(), "the jump takes the seller below IM");
        assertEquals(fresh[0], machine.accounts().state(50), "and the engine holds what a fresh evaluation says");
    }

    /**
     * An account in margin call is watched two ways: recovery above (initial margin x (1 + buffer)) and liquidation
     * below (maintenance margin), each edge of a position's band guarding one of them. A hedged book - long 2 perpetuals,
     * short 3 dated futures - loses initial margin as the perpetual rises, so its distance to the recovery level closes
     * (1 + buffer) times faster than the sensitivity bound of equity less initial margin says: the recovery edge must
     * take that into account. Shocks that pad the bound are set to zero and the buffer to 50% so that a band sized
     * without it would let the account cross the recovery level unseen. The perpetual is walked down into margin call,
     * then up through recovery, one dollar at a time; after every step the state held must be the fresh one.
     */
    @Test
    void aHedgedAccountInMarginCallRecoversAtTheFirstPriceAboveTheRecoveryLevel()
    {
        final int future = defineFuture();
        riskParameter(io.clearing.sbe.RiskParameter.ROLL_SHOCK_PPM, 0);
        riskParameter(io.clearing.sbe.RiskParameter.DELTA_SHOCK_PPM, 0);
        riskParameter(io.clearing.sbe.RiskParameter.RECOVERY_BUFFER_PPM, 500_000);
        deposit(60, 0, 100_000 * UNIT);
        deposit(61, 0, 10_000_000 * UNIT);
        openSpread(future, 2, 3);
        assertEquals(-3, machine.positions().quantity(machine.positions().find(60, future)));
        // Leave equity 2% over initial margin.
        withdrawToInitialMarginTimes(51, 50);
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(60));

        long perp = 65_000;
        int steps = 0;
        while (machine.accounts().state(60) == MarginState.HEALTHY.value() && steps++ < 10_000)
        {
            markPerp(--perp);
            assertHeldStateIsFresh(60, perp);
        }
        assertEquals(MarginState.MARGIN_CALL.value(), machine.accounts().state(60), "walked into margin call");
        final long evaluationsBefore = machine.evaluations();
        steps = 0;
        while (machine.accounts().state(60) == MarginState.MARGIN_CALL.value() && steps++ < 10_000)
        {
            markPerp(++perp);
            assertHeldStateIsFresh(60, perp);
        }
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(60), "recovered");
        // The bands kept the walk cheap: far fewer evaluations than steps.
        assertTrue(machine.evaluations() - evaluationsBefore < steps / 4,
            (machine.evaluations() - evaluationsBefore) + " evaluations in " + steps + " steps");
    }

    /**
     * A delta-neutral calendar spread pushed under maintenance margin: each step may not take the unit past
     * delta-neutral, so a leg whose one contract would overshoot is left to the hedge phase, a quarter at a time. The
     * code before session 10 rounded the contracts to neutral up, overshot by less than a contract, and so alternated
     * one contract of each leg: 32 steps (its cap for two positions) ending still in margin call.
     */
    @Test
    void aDeltaNeutralSpreadIsLiquidatedInQuarterStepsNotOneContractAtATime()
    {
        final int future = defineFuture();
        deposit(60, 0, 1_000_000 * UNIT);
        deposit(61, 0, 10_000_000 * UNIT);
        openSpread(future, 40, 40);
        withdrawToInitialMarginTimes(101, 100);
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(60));

        // The future rallies 1% against the short leg: under maintenance margin, still solvent.
        final List<Integer> templates = apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(future).price(65_650 * UNIT).impliedVolatility(0).encodedLength());

        final long steps = templates.stream()
            .filter(t -> t == io.clearing.sbe.LiquidationTradeDecoder.TEMPLATE_ID).count();
        assertTrue(steps >= 2 && steps <= 8, steps + " liquidation steps");
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(60), "back at initial margin");
        final long perpLeft = machine.positions().quantity(machine.positions().find(60, BTC_PERP));
        final long futureLeft = machine.positions().quantity(machine.positions().find(60, future));
        assertTrue(perpLeft > 0 && futureLeft < 0 && Math.abs(perpLeft + futureLeft) <= 10,
            "still a spread, reduced: perp " + perpLeft + ", future " + futureLeft);
    }

    /** @return a BTC future (id 2, 90 days out) defined and marked at 65,000. */
    private int defineFuture()
    {
        final int future = 2;
        apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(future).kind(InstrumentKind.FUTURE).underlyingId(0)
            .settlementAssetId(0).strike(0).expiryTimestamp(time + 90L * 24 * 3_600_000_000_000L)
            .contractSize(UNIT).makerFeePpm(0).takerFeePpm(0).encodedLength());
        apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(future).price(65_000 * UNIT).impliedVolatility(0).encodedLength());
        return future;
    }

    /** Account 60 buys {@code perps} perpetuals from 61 and sells it {@code futures} futures, all at 65,000. */
    private void openSpread(final int future, final long perps, final long futures)
    {
        final long sellPerp = orderId;
        order(61, Side.SELL, 65_000, perps);
        final long buyPerp = orderId;
        order(60, Side.BUY, 65_000, perps);
        assertEquals(null, fill(1, sellPerp, 61, buyPerp, 60, 65_000, perps));
        final long buyFuture = orderId;
        orderIn(future, 61, Side.BUY, 65_000, futures);
        final long sellFuture = orderId;
        orderIn(future, 60, Side.SELL, 65_000, futures);
        apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(2)
            .instrumentId(future).price(65_000 * UNIT).quantity(futures).makerOrderId(buyFuture).makerAccountId(61)
            .takerOrderId(sellFuture).takerAccountId(60).takerSide(Side.SELL).encodedLength());
    }

    /** Account 60 withdraws down to its initial margin times numerator / denominator. */
    private void withdrawToInitialMarginTimes(final long numerator, final long denominator)
    {
        final long keep = machine.accounts().initialMargin(60) * numerator / denominator;
        apply(new io.clearing.sbe.WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .accountId(60).assetId(0).amount(machine.accounts().equity(60) - keep).encodedLength());
    }

    private void assertHeldStateIsFresh(final int account, final long perp)
    {
        final long[] fresh = new long[8];
        machine.evaluate(account, fresh);
        assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)machine.accounts().state(account)),
            "state held at perpetual " + perp + " (equity " + fresh[3] + ", IM " + fresh[4] + ")");
    }

    private void markPerp(final long price)
    {
        apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(BTC_PERP).price(price * UNIT).impliedVolatility(0).encodedLength());
    }

    private void riskParameter(final io.clearing.sbe.RiskParameter parameter, final long value)
    {
        apply(new io.clearing.sbe.RiskParameterUpdateEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).parameter(parameter).underlyingId(-1).value(value).encodedLength());
    }

    private List<Integer> orderIn(final int instrument, final int account, final Side side, final long price,
        final long quantity)
    {
        return apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).orderId(orderId++).accountId(account).instrumentId(instrument).side(side)
            .price(price * UNIT).quantity(quantity).reduceOnly(BooleanType.FALSE).encodedLength());
    }

    private List<Integer> markCall(final int call, final double volatility)
    {
        return apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(call).price(5_000 * UNIT).impliedVolatility(volatility).encodedLength());
    }

    private RejectReason fill(final long tradeId, final long makerOrder, final int maker, final long takerOrder,
        final int taker, final long price, final long quantity)
    {
        return fill(tradeId, makerOrder, maker, takerOrder, taker, price, quantity, Side.BUY);
    }

    /** @return the rejection reason, or null when the fill settled. */
    private RejectReason fill(final long tradeId, final long makerOrder, final int maker, final long takerOrder,
        final int taker, final long price, final long quantity, final Side takerSide)
    {
        lastCommandRejectedReason = null;
        apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(tradeId)
            .instrumentId(BTC_PERP).price(price * UNIT).quantity(quantity).makerOrderId(makerOrder)
            .makerAccountId(maker).takerOrderId(takerOrder).takerAccountId(taker).takerSide(takerSide)
            .encodedLength());
        return lastCommandRejectedReason;
    }

    private RejectReason lastOrderRejectedReason;
    private RejectReason lastCommandRejectedReason;

    private List<Integer> deposit(final int account, final int asset, final long amount)
    {
        return apply(new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(account).assetId(asset).amount(amount).encodedLength());
    }

    private List<Integer> order(final int account, final Side side, final long price, final long quantity)
    {
        return apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).orderId(orderId++).accountId(account).instrumentId(BTC_PERP).side(side)
            .price(price * UNIT).quantity(quantity).reduceOnly(BooleanType.FALSE).encodedLength());
    }

    private List<Integer> apply(final int bodyLength)
    {
        machine.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, events);
        final List<Integer> templates = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < events.count(); i++)
        {
            final int length = events.buffer().getInt(offset, ByteOrder.LITTLE_ENDIAN);
            eventHeader.wrap(events.buffer(), offset + 4);
            templates.add(eventHeader.templateId());
            if (eventHeader.templateId() == io.clearing.sbe.CommandRejectedDecoder.TEMPLATE_ID)
            {
                lastCommandRejectedReason = new io.clearing.sbe.CommandRejectedDecoder().wrap(events.buffer(),
                    offset + 4 + MessageHeaderEncoder.ENCODED_LENGTH, eventHeader.blockLength(),
                    eventHeader.version()).reason();
            }
            if (eventHeader.templateId() == OrderRejectedDecoder.TEMPLATE_ID)
            {
                lastOrderRejectedReason = new OrderRejectedDecoder().wrap(events.buffer(),
                    offset + 4 + MessageHeaderEncoder.ENCODED_LENGTH, eventHeader.blockLength(),
                    eventHeader.version()).reason();
            }
            offset += 4 + length;
        }
        return templates;
    }
}
