package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.ExpirySettlementPriceEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.Side;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Limits;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile values within every field's range whose consequences would not fit the engine's arithmetic: a settlement or
 * mark price at which an instrument's open interest is worth more than the engine can count, a reservation that would
 * wrap, a funding time past the last representable time. Each is refused before anything changes (a rejected command
 * changes nothing) or saturates; none wraps. Until session 11 the first two were rejected only after they had settled,
 * liquidated or moved money, whose events the rejection then dropped.
 */
final class HostileValueTest
{
    private static final long UNIT = 100_000_000L;
    private static final int USDC = 0;
    private static final int BTC = 1;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final MessageHeaderDecoder eventHeader = new MessageHeaderDecoder();
    private final EventWriter events = new EventWriter();
    /** Balances rebuilt from the BalanceChanged events alone: what a journal reader sees. */
    private final Map<Long, Long> journaledBalances = new HashMap<>();
    private ClearingStateMachine machine;
    private long time = 1_767_225_600_000_000_000L;
    private long orderId = 1;
    private RejectReason lastRejected;

    @BeforeEach
    void setUp()
    {
        machine = new ClearingStateMachine(1024, new RiskParameters());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(USDC).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(BTC).valuationUnderlyingId(0).collateralWeightPpm(950_000).encodedLength());
        index(0, UNIT);
    }

    // ------------------------------------------------------------------------------------------ 1. expiry

    @Test
    void aSettlementPriceAtWhichAnExpiringBookWouldOverflowIsRefusedBeforeAnyInstrumentSettles()
    {
        final long expiry = time + 1_000_000;
        defineFuture(1, expiry);
        defineFuture(2, expiry);
        mark(1, UNIT);
        mark(2, UNIT);
        for (int account = 20; account <= 23; account++)
        {
            deposit(account, USDC, 1_000_000 * UNIT);
        }
        trade(1, 20, 21, UNIT, 1);            // small: 20 short 1 contract, 21 long
        trade(2, 22, 23, UNIT, 1_000_000);    // large: 1,000,000 contracts, notional 1,000,000 USDC
        time = expiry + 1;
        final long balanceBefore = machine.accounts().balance(20, USDC);

        // Hostile but in range: settlement price = Limits.MAX_PRICE.
        final List<Integer> answer = apply(new ExpirySettlementPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).underlyingId(0).expiryTimestamp(expiry).price(Limits.MAX_PRICE).encodedLength());

        assertEquals(List.of(CommandRejectedDecoder.TEMPLATE_ID), answer);
        assertEquals(RejectReason.ARITHMETIC_OVERFLOW, lastRejected);
        // A rejected command changes nothing...
        assertEquals(balanceBefore, machine.accounts().balance(20, USDC),
            "account 20's balance moved by a rejected command (no BalanceChanged journaled)");
        assertEquals(false, machine.instruments().isSettled(1), "instrument 1 settled by a rejected command");
    }

    // ------------------------------------------------------------------------------------------ 2. mark price

    @Test
    void aMarkAtWhichTheOpenInterestWouldOverflowIsRefusedBeforeAnyLiquidation()
    {
        definePerpetual(0);
        mark(0, UNIT);
        // The insurance fund (a system account) may be funded by a deposit.
        deposit(Accounts.INSURANCE_FUND, USDC, Limits.MAX_AMOUNT);
        deposit(20, USDC, 1_000 * UNIT);
        deposit(21, USDC, 1_000 * UNIT);
        deposit(22, USDC, 1_000_000 * UNIT);
        deposit(23, USDC, 1_000_000 * UNIT);
        trade(0, 21, 20, UNIT, 1);            // 21 short 1 contract (20 long)
        trade(0, 23, 22, UNIT, 1_000_000);    // 23 short 1,000,000 contracts (22 long)
        final long[] before = balancesOf(USDC);

        // Hostile but in range: mark = Limits.MAX_PRICE.
        final List<Integer> answer = apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(0).price(Limits.MAX_PRICE).impliedVolatility(0).encodedLength());

        assertEquals(List.of(CommandRejectedDecoder.TEMPLATE_ID), answer);
        assertEquals(RejectReason.ARITHMETIC_OVERFLOW, lastRejected);
        final long[] after = balancesOf(USDC);
        for (int account = 0; account < 64; account++)
        {
            assertEquals(before[account], after[account], "balance of account " + account +
                " changed by a rejected MarkPrice; journaled " + journaledBalances.get(key(account, USDC)));
        }
        assertEquals(UNIT, machine.instruments().markPrice(0), "mark changed by a rejected command");
    }

    @Test
    void afterARefusedMarkTheBookGoesOnDepositsAndParameterUpdatesApply()
    {
        definePerpetual(0);
        mark(0, UNIT);
        deposit(22, USDC, 1_000_000 * UNIT);
        deposit(23, USDC, 1_000_000 * UNIT);
        trade(0, 23, 22, UNIT, 1_000_000);    // 23 short 1,000,000 contracts (22 long)
        apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(0).price(Limits.MAX_PRICE).impliedVolatility(0).encodedLength());
        assertEquals(RejectReason.ARITHMETIC_OVERFLOW, lastRejected);

        // The refused mark left the book as it was: a deposit is credited, a parameter update applies.
        final long balance = machine.accounts().balance(23, USDC);
        final List<Integer> topUp = deposit(23, USDC, 1_000 * UNIT);
        final List<Integer> update = apply(new io.clearing.sbe.RiskParameterUpdateEncoder()
            .wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .parameter(io.clearing.sbe.RiskParameter.LIQUIDATION_PENALTY_PPM).underlyingId(-1).value(6_000)
            .encodedLength());

        assertEquals(List.of(BalanceChangedDecoder.TEMPLATE_ID), topUp);
        assertEquals(balance + 1_000 * UNIT, machine.accounts().balance(23, USDC));
        assertEquals(io.clearing.sbe.RiskParameterChangedDecoder.TEMPLATE_ID, update.get(0).intValue());
        assertEquals(6_000, machine.parameters().liquidationPenaltyPpm());
        assertEquals(UNIT, machine.instruments().markPrice(0));
    }

    // ------------------------------------------------------------------------------------------ 3. reserved fill loss

    @Test
    void theReservedFillLossOfOpenOrdersNeverWraps()
    {
        placeTenOrdersReservingAFillLossEach();
        // 10 x 0.99e18 does not fit a long: the reservation must never wrap negative.
        assertTrue(machine.accounts().reservedFillLoss(30) >= 0,
            "reserved fill loss wrapped: " + machine.accounts().reservedFillLoss(30));
    }

    @Test
    void theCollateralBackingHugeReservationsCannotBeWithdrawn()
    {
        placeTenOrdersReservingAFillLossEach();
        // With 8.91e18 units (89 billion USDC) of fill loss reserved against 9.22e18 of equity (the tenth would not fit
        // a long), 1.235e18 of BTC cannot go: without the wrap this withdrawal is INSUFFICIENT_FREE_COLLATERAL.
        final List<Integer> withdrawal = apply(new WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(30).assetId(BTC).amount(130_000 * UNIT).encodedLength());
        assertEquals(List.of(CommandRejectedDecoder.TEMPLATE_ID), withdrawal,
            "withdrew 130,000 BTC of the collateral backing 89 billion USDC of reserved fill loss");
    }

    @Test
    void nineHugeReservationsFitAndTheirCollateralCannotBeWithdrawn()
    {
        placeOrdersReservingAFillLossEach(9);
        assertTrue(machine.accounts().reservedFillLoss(30) > 0);
        final List<Integer> withdrawal = apply(new WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(30).assetId(BTC).amount(130_000 * UNIT).encodedLength());
        assertEquals(List.of(CommandRejectedDecoder.TEMPLATE_ID), withdrawal);
        assertEquals(RejectReason.INSUFFICIENT_FREE_COLLATERAL, lastRejected);
    }

    private void placeTenOrdersReservingAFillLossEach()
    {
        placeOrdersReservingAFillLossEach(10);
    }

    private void placeOrdersReservingAFillLossEach(final int count)
    {
        // A very rich account: 960,000 BTC at 95% of 100,000 USDC plus 1e9 USDC, 9.22e18 units (equity used to
        // saturate at 2^60, and the reservations compared with it saturated too): room for nine reservations.
        index(0, 100_000 * UNIT);
        deposit(30, BTC, 960_000 * UNIT);
        deposit(30, USDC, Limits.MAX_AMOUNT);
        assertEquals(9_220_000_000_000_000_000L, machine.accounts().equity(30));
        // Two perpetuals on underlying 1 whose mark is 0.01 USDC; buys at 1.00 USDC realize 0.99 USDC a contract.
        definePerpetualOn(5, 1);
        definePerpetualOn(6, 1);
        index(1, UNIT);
        mark(5, 1_000_000);
        mark(6, 1_000_000);
        // Each order: 10,000,000,000 contracts (the limit) at 1 USDC = notional 1e18 units (the limit).
        for (int instrument = 5; instrument <= 6; instrument++)
        {
            for (int i = 0; i < 5 && (instrument - 5) * 5 + i < count; i++)
            {
                final List<Integer> answer = apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .timestamp(time++).orderId(orderId++).accountId(30).instrumentId(instrument).side(Side.BUY)
                    .price(UNIT).quantity(Limits.MAX_QUANTITY).reduceOnly(BooleanType.FALSE).encodedLength());
                assertTrue(answer.contains(OrderAcceptedDecoder.TEMPLATE_ID) ||
                    lastRejected == RejectReason.ARITHMETIC_OVERFLOW, "order answered " + answer + " " + lastRejected);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ 4. funding schedule

    @Test
    void aPerpetualDefinedNearTheEndOfTimeHasNoWrappedFundingTime()
    {
        final long late = Long.MAX_VALUE - 1_000;
        time = late;
        final List<Integer> answer = definePerpetual(7);
        // Either rejected (ARITHMETIC_OVERFLOW) or scheduled in the future; never a wrapped, negative funding time.
        if (!answer.contains(CommandRejectedDecoder.TEMPLATE_ID))
        {
            assertTrue(machine.instruments().nextFunding(7) > late,
                "next funding time wrapped to " + machine.instruments().nextFunding(7));
        }
        else
        {
            assertEquals(RejectReason.ARITHMETIC_OVERFLOW, lastRejected);
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private long[] balancesOf(final int asset)
    {
        final long[] out = new long[64];
        for (int account = 0; account < 64; account++)
        {
            out[account] = machine.accounts().balance(account, asset);
        }
        return out;
    }

    private static long key(final int account, final int asset)
    {
        return ((long)account << 8) | asset;
    }

    private void trade(final int instrument, final int maker, final int taker, final long price, final long quantity)
    {
        final long makerOrder = orderId;
        assertTrue(order(instrument, maker, Side.SELL, price, quantity).contains(OrderAcceptedDecoder.TEMPLATE_ID));
        final long takerOrder = orderId;
        assertTrue(order(instrument, taker, Side.BUY, price, quantity).contains(OrderAcceptedDecoder.TEMPLATE_ID));
        lastRejected = null;
        apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(orderId)
            .instrumentId(instrument).price(price).quantity(quantity).makerOrderId(makerOrder)
            .makerAccountId(maker).takerOrderId(takerOrder).takerAccountId(taker).takerSide(Side.BUY)
            .encodedLength());
        assertEquals(null, lastRejected);
    }

    private List<Integer> order(final int instrument, final int account, final Side side, final long price,
        final long quantity)
    {
        return apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).orderId(orderId++).accountId(account).instrumentId(instrument).side(side)
            .price(price).quantity(quantity).reduceOnly(BooleanType.FALSE).encodedLength());
    }

    private List<Integer> definePerpetual(final int id)
    {
        return definePerpetualOn(id, 0);
    }

    private List<Integer> definePerpetualOn(final int id, final int underlying)
    {
        return apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(id).kind(InstrumentKind.PERPETUAL).underlyingId(underlying)
            .settlementAssetId(USDC).strike(0).expiryTimestamp(0).contractSize(UNIT).makerFeePpm(0).takerFeePpm(0)
            .encodedLength());
    }

    private void defineFuture(final int id, final long expiry)
    {
        apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(id).kind(InstrumentKind.FUTURE).underlyingId(0)
            .settlementAssetId(USDC).strike(0).expiryTimestamp(expiry).contractSize(UNIT).makerFeePpm(0)
            .takerFeePpm(0).encodedLength());
    }

    private void index(final int underlying, final long price)
    {
        apply(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).underlyingId(underlying).price(price).encodedLength());
    }

    private void mark(final int instrument, final long price)
    {
        apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(instrument).price(price).impliedVolatility(0).encodedLength());
    }

    private List<Integer> deposit(final int account, final int asset, final long amount)
    {
        return apply(new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(account).assetId(asset).amount(amount).encodedLength());
    }

    private List<Integer> apply(final int bodyLength)
    {
        lastRejected = null;
        machine.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, events);
        final List<Integer> templates = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < events.count(); i++)
        {
            final int length = events.buffer().getInt(offset, ByteOrder.LITTLE_ENDIAN);
            eventHeader.wrap(events.buffer(), offset + 4);
            final int body = offset + 4 + MessageHeaderEncoder.ENCODED_LENGTH;
            templates.add(eventHeader.templateId());
            if (eventHeader.templateId() == CommandRejectedDecoder.TEMPLATE_ID)
            {
                lastRejected = new CommandRejectedDecoder().wrap(events.buffer(), body, eventHeader.blockLength(),
                    eventHeader.version()).reason();
            }
            if (eventHeader.templateId() == BalanceChangedDecoder.TEMPLATE_ID)
            {
                final BalanceChangedDecoder change = new BalanceChangedDecoder().wrap(events.buffer(), body,
                    eventHeader.blockLength(), eventHeader.version());
                journaledBalances.put(key(change.accountId(), change.assetId()), change.balanceAfter());
            }
            offset += 4 + length;
        }
        return templates;
    }
}

