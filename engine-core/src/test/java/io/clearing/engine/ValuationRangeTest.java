package io.clearing.engine;

import io.clearing.margin.MarginCalculator;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AccountRiskQueryEncoder;
import io.clearing.sbe.AccountRiskReportDecoder;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.LiquidationTradeDecoder;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.Side;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Limits;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Valuations across the whole range the limits allow. An instrument's open interest may be worth up to 2^61 - 1
 * units at its mark, a position's cost up to a long, a balance of collateral up to {@link Limits#MAX_AMOUNT} at an
 * index up to {@link Limits#MAX_PRICE}, and an account holds any number of positions and assets: its collateral,
 * unrealized P&amp;L and equity need not fit 2^60 (they used to saturate there, position by position and in their
 * sums), nor need its maintenance margin fit {@link MarginCalculator#MAX_MONEY}. Each test drives one account there
 * with valid commands and checks the margin decision its exact values call for: a liquidation, no liquidation, an
 * order or a withdrawal accepted or refused.
 */
final class ValuationRangeTest
{
    private static final long UNIT = 100_000_000L;
    private static final int USDC = 0;
    private static final int BTC = 1;
    private static final long Q = Limits.MAX_QUANTITY;
    /** BTC's index: 100,000 USDC, so 10,000 BTC are worth 1e17 units (one billion USDC). */
    private static final long BTC_PRICE = 100_000 * UNIT;
    private static final long EXPIRY = 1_767_225_600_000_000_000L + 365L * 24 * 3600 * 1_000_000_000L;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final EventWriter events = new EventWriter();
    private ClearingStateMachine machine;
    private long time = 1_767_225_600_000_000_000L;
    private long orderId = 1;
    private long tradeId = 1;
    private RejectReason lastRejected;
    private int liquidationTrades;
    private AccountRiskReportDecoder lastReport;

    @BeforeEach
    void setUp()
    {
        machine = new ClearingStateMachine(1024, new RiskParameters());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(USDC).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(BTC).valuationUnderlyingId(0).collateralWeightPpm(1_000_000).encodedLength());
        index(0, BTC_PRICE);
        for (int underlying = 1; underlying <= 4; underlying++)
        {
            // Future `underlying` on underlying `underlying`, contracts of one unit, index at 1 USDC.
            apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
                .timestamp(time++).instrumentId(underlying).kind(InstrumentKind.FUTURE).underlyingId(underlying)
                .settlementAssetId(USDC).strike(0).expiryTimestamp(EXPIRY).contractSize(UNIT).makerFeePpm(0)
                .takerFeePpm(0).encodedLength());
            assertEquals(null, lastRejected);
            index(underlying, UNIT);
        }
    }

    // ------------------------------------------------------------------------------------------ position value

    @Test
    void aShortWorthMoreThan2To60AtMarkIsLiquidatedWhenItsEquityFallsBelowMaintenanceMargin()
    {
        // 20 sells Q contracts at 0.6 USDC (6e17 of notional) with 1.1e18 of collateral.
        deposit(20, BTC, 110_000 * UNIT);
        deposit(21, BTC, 1_000_000 * UNIT);
        mark(1, 60_000_000L);
        trade(1, 20, 21, 60_000_000L, Q);

        // At 1.6 USDC the short is worth -1.6e18 (the open interest, 1.6e18, is within its bound of 2^61 - 1): its
        // loss is 1e18, its equity 1e17, under its maintenance margin of 2.64e17.
        final List<Integer> answer = mark(1, 160_000_000L);

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "mark refused: " + lastRejected);
        assertTrue(liquidationTrades > 0 && position(20, 1) > -Q,
            () -> "no liquidation: 20 is " + describe(20) + "; its exact equity is 1.1e18 - 1e18 = 1e17");
    }

    @Test
    void valuationsBeyond2To60AreReportedExactly()
    {
        deposit(20, BTC, 110_000 * UNIT);
        deposit(21, BTC, 1_000_000 * UNIT);
        mark(1, 60_000_000L);
        trade(1, 20, 21, 60_000_000L, Q);
        // At 1.3 USDC: worth -1.3e18, a loss of 7e17, equity 4e17 over IM 1.3 x 2.145e17 = 2.79e17: healthy.
        mark(1, 130_000_000L);

        report(20);

        assertEquals(110_000L * BTC_PRICE, lastReport.collateralValue());
        assertEquals(-700_000_000_000_000_000L, lastReport.unrealizedPnl());
        assertEquals(400_000_000_000_000_000L, lastReport.equity());
        assertEquals(MarginState.HEALTHY, lastReport.state());
        assertEquals(-Q, position(20, 1));
    }

    // ------------------------------------------------------------------------------------------ cost

    @Test
    void aCostBeyond2To60CountsInFullAgainstAnOrder()
    {
        // 20 (1e18 of collateral) buys Q at 1 USDC; the mark falls to 0.1: equity 1e18 - 9e17 = 1e17.
        deposit(20, BTC, 100_000 * UNIT);
        deposit(21, BTC, 1_000_000 * UNIT);
        mark(1, UNIT);
        trade(1, 21, 20, UNIT, Q);
        mark(1, 10_000_000L);
        // Buying at the mark moves no equity: three more lots of Q (cost 1.3e18, worth 4e17) leave it at 1e17,
        // over the IM of 4e10 contracts at 0.1 (1.3 x 16.5% x 4e17 = 8.6e16).
        for (int lot = 0; lot < 3; lot++)
        {
            trade(1, 21, 20, 10_000_000L, Q);
        }
        report(20);
        assertEquals(100_000_000_000_000_000L, lastReport.equity(), () -> describe(20));

        // A fifth lot needs IM 1.3 x 16.5% x 5e17 = 1.07e17: more than the equity.
        final List<Integer> answer = order(20, 1, Side.BUY, 10_000_000L, Q);

        assertEquals(List.of(OrderRejectedDecoder.TEMPLATE_ID), answer, () -> "accepted: 20 is " + describe(20));
        assertEquals(RejectReason.INSUFFICIENT_MARGIN, lastRejected);
    }

    // ------------------------------------------------------------------------------------------ collateral

    @Test
    void collateralWorthMoreThan2To60KeepsAnAccountOutOfLiquidation()
    {
        // 20 holds a billion BTC (1e23 units of USDC) and sells Q at 0.05 USDC.
        deposit(20, BTC, Limits.MAX_AMOUNT);
        deposit(21, BTC, 1_000_000 * UNIT);
        mark(1, 5_000_000L);
        trade(1, 20, 21, 5_000_000L, Q);

        // At 1.1 USDC it has lost 1.05e18: nothing to a billion BTC.
        final List<Integer> answer = mark(1, 110_000_000L);

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "mark refused: " + lastRejected);
        assertEquals(0, liquidationTrades, () -> "liquidated: 20 is " + describe(20));
        assertEquals(-Q, position(20, 1));
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(20), () -> describe(20));
    }

    @Test
    void collateralWorthMoreThan2To60CanBeWithdrawnInPart()
    {
        deposit(20, BTC, Limits.MAX_AMOUNT);

        // 200,000 of its billion BTC: 2e18 units of USDC.
        final List<Integer> answer = apply(new WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(20).assetId(BTC).amount(200_000 * UNIT).encodedLength());

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "withdrawal refused: " + lastRejected);
        assertEquals(Limits.MAX_AMOUNT - 200_000 * UNIT, machine.accounts().balance(20, BTC));
    }

    @Test
    void lossesOfSeveralPositionsAddUpBeyond2To60()
    {
        // 20 (2e18 of collateral) sells Q of futures 1 and 2 at 0.4 USDC.
        deposit(20, BTC, 200_000 * UNIT);
        for (int future = 1; future <= 2; future++)
        {
            deposit(20 + future, BTC, 1_000_000 * UNIT);
            mark(future, 40_000_000L);
            trade(future, 20, 20 + future, 40_000_000L, Q);
        }

        // Both at 1 USDC: 6e17 lost on each, equity 8e17 over IM 1.3 x 2 x 1.65e17 = 4.29e17.
        mark(1, UNIT);
        mark(2, UNIT);

        assertEquals(0, liquidationTrades, () -> "liquidated: 20 is " + describe(20));
        report(20);
        assertEquals(-1_200_000_000_000_000_000L, lastReport.unrealizedPnl());
        assertEquals(800_000_000_000_000_000L, lastReport.equity());
        assertEquals(MarginState.HEALTHY, lastReport.state());
    }

    // ------------------------------------------------------------------------------------------ margin

    @Test
    void aMaintenanceMarginBeyondWhatTheCalculatorRepresentsIsNeverMet()
    {
        // 20 (8e17 of collateral) sells Q at 1 USDC on each of futures 1..3: 1.65e17 of maintenance margin each,
        // 4.95e17 in all; IM 6.4e17.
        deposit(20, BTC, 80_000 * UNIT);
        for (int future = 1; future <= 4; future++)
        {
            deposit(20 + future, BTC, 1_000_000 * UNIT);
            mark(future, UNIT);
        }
        for (int future = 1; future <= 3; future++)
        {
            trade(future, 20, 20 + future, UNIT, Q);
        }
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(20));

        // A fourth: 6.6e17 of maintenance margin, past MAX_MONEY (5.76e17); its true IM, 8.58e17, exceeds the equity.
        final List<Integer> answer = order(20, 4, Side.SELL, UNIT, Q);

        assertEquals(List.of(OrderRejectedDecoder.TEMPLATE_ID), answer, () -> "accepted: 20 is " + describe(20));
        assertEquals(RejectReason.INSUFFICIENT_MARGIN, lastRejected);
    }

    @Test
    void aMarkThatTakesTheMarginPastWhatTheCalculatorRepresentsLiquidatesTheAccountBelowIt()
    {
        // 20 holds a billion BTC and buys Q at 1 USDC on each of futures 1..3: 4.95e17 of maintenance margin.
        deposit(20, BTC, Limits.MAX_AMOUNT);
        for (int future = 1; future <= 3; future++)
        {
            deposit(20 + future, BTC, 1_000_000 * UNIT);
            mark(future, UNIT);
            trade(future, 20 + future, 20, UNIT, Q);
        }
        // A first small move: from now on the bands registered at each evaluation decide who is re-evaluated.
        mark(1, 101_000_000L);
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(20));
        assertEquals(0, liquidationTrades);

        // Up to 1.5 USDC, in the long's favour: future 1 alone needs 2.475e17, the account 5.775e17, past MAX_MONEY.
        mark(1, 150_000_000L);

        assertTrue(liquidationTrades > 0, () -> "not liquidated: 20 is " + describe(20));
        report(20);
        assertEquals(MarginState.HEALTHY, lastReport.state());
        assertTrue(lastReport.maintenanceMargin() < MarginCalculator.MAX_MONEY, () -> describe(20));
    }

    // ------------------------------------------------------------------------------------------ helpers

    private String describe(final int account)
    {
        report(account);
        return lastReport.state() + " with collateral " + lastReport.collateralValue() + ", unrealized " +
            lastReport.unrealizedPnl() + ", equity " + lastReport.equity() + ", IM " + lastReport.initialMargin() +
            ", MM " + lastReport.maintenanceMargin() + ", position " + position(account, 1);
    }

    private void report(final int account)
    {
        apply(new AccountRiskQueryEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .accountId(account).encodedLength());
    }

    private long position(final int account, final int instrument)
    {
        final int slot = machine.positions().find(account, instrument);
        return slot < 0 ? 0 : machine.positions().quantity(slot);
    }

    private void trade(final int instrument, final int seller, final int buyer, final long price, final long quantity)
    {
        final long sell = orderId;
        assertTrue(order(seller, instrument, Side.SELL, price, quantity).contains(OrderAcceptedDecoder.TEMPLATE_ID),
            "sell refused: " + lastRejected);
        final long buy = orderId;
        assertTrue(order(buyer, instrument, Side.BUY, price, quantity).contains(OrderAcceptedDecoder.TEMPLATE_ID),
            "buy refused: " + lastRejected);
        apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(tradeId++)
            .instrumentId(instrument).price(price).quantity(quantity).makerOrderId(sell).makerAccountId(seller)
            .takerOrderId(buy).takerAccountId(buyer).takerSide(Side.BUY).encodedLength());
        assertEquals(null, lastRejected, "fill refused");
    }

    private List<Integer> order(final int account, final int instrument, final Side side, final long price,
        final long quantity)
    {
        return apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).orderId(orderId++).accountId(account).instrumentId(instrument).side(side)
            .price(price).quantity(quantity).reduceOnly(BooleanType.FALSE).encodedLength());
    }

    private void index(final int underlying, final long price)
    {
        apply(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).underlyingId(underlying).price(price).encodedLength());
        assertEquals(null, lastRejected);
    }

    private List<Integer> mark(final int instrument, final long price)
    {
        return apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(instrument).price(price).impliedVolatility(0).encodedLength());
    }

    private void deposit(final int account, final int asset, final long amount)
    {
        apply(new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(account).assetId(asset).amount(amount).encodedLength());
        assertEquals(null, lastRejected);
    }

    private List<Integer> apply(final int bodyLength)
    {
        lastRejected = null;
        machine.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, events);
        return CommandHarness.forEachEvent(events, (template, frames, frame, length, body, blockLength, version) ->
        {
            final RejectReason reason = CommandHarness.rejection(template, frames, body, blockLength, version);
            if (reason != null)
            {
                lastRejected = reason;
            }
            else if (template == LiquidationTradeDecoder.TEMPLATE_ID)
            {
                liquidationTrades++;
            }
            else if (template == AccountRiskReportDecoder.TEMPLATE_ID)
            {
                // Copied out: the event buffer is reused by the next command.
                final byte[] copy = new byte[length];
                frames.getBytes(frame, copy);
                lastReport = new AccountRiskReportDecoder().wrap(new UnsafeBuffer(copy),
                    MessageHeaderEncoder.ENCODED_LENGTH, blockLength, version);
            }
        });
    }
}
