package io.clearing.benchmarks;

import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BalanceChangedEncoder;
import io.clearing.sbe.BalanceReason;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CancelOrderDecoder;
import io.clearing.sbe.CancelOrderEncoder;
import io.clearing.sbe.CancelReason;
import io.clearing.sbe.DepositDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillDecoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceDecoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.Liquidity;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MarginStatusDecoder;
import io.clearing.sbe.MarginStatusEncoder;
import io.clearing.sbe.MarkPriceDecoder;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderDecoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderAcceptedEncoder;
import io.clearing.sbe.OrderCancelledDecoder;
import io.clearing.sbe.OrderCancelledEncoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.TradeSettledDecoder;
import io.clearing.sbe.TradeSettledEncoder;
import io.clearing.sbe.WithdrawalDecoder;
import io.clearing.sbe.WithdrawalEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * SBE encode and decode of each hot message, one whole frame (message header and body) per operation, with the
 * generated flyweights over an Agrona {@link UnsafeBuffer}, as the gateway and the engine use them.
 * <ul>
 *     <li>Commands: NewOrder, CancelOrder, Fill, MarkPrice, IndexPrice, Deposit, Withdrawal.</li>
 *     <li>Events: OrderAccepted, OrderCancelled, TradeSettled, BalanceChanged, MarginStatus.</li>
 * </ul>
 * {@code encodeX}: {@code wrapAndApplyHeader} then every field set, from a counter bumped per operation (so no value
 * is a compile-time constant; enum fields take fixed constants); returns the frame length. {@code decodeX}: the
 * header decoded, the message wrapped with the header's block length and version (as the engine does), then the
 * template id and every field handed to the {@link Blackhole}, so no read can be eliminated. Each decode reads its
 * own frame, encoded once in setup.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar SbeCodecBenchmark -prof gc}
 * (forks inherit the JVM flags of the launching JVM).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SbeCodecBenchmark
{
    private static final int SLOT = 128;
    private static final int NEW_ORDER = 0;
    private static final int CANCEL_ORDER = SLOT;
    private static final int FILL = 2 * SLOT;
    private static final int MARK_PRICE = 3 * SLOT;
    private static final int INDEX_PRICE = 4 * SLOT;
    private static final int DEPOSIT = 5 * SLOT;
    private static final int WITHDRAWAL = 6 * SLOT;
    private static final int ORDER_ACCEPTED = 7 * SLOT;
    private static final int ORDER_CANCELLED = 8 * SLOT;
    private static final int TRADE_SETTLED = 9 * SLOT;
    private static final int BALANCE_CHANGED = 10 * SLOT;
    private static final int MARGIN_STATUS = 11 * SLOT;
    private static final int MESSAGES = 12;
    private static final double IMPLIED_VOLATILITY = 0.55;

    private final UnsafeBuffer out = new UnsafeBuffer(new byte[SLOT]);
    private final UnsafeBuffer frames = new UnsafeBuffer(new byte[MESSAGES * SLOT]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();

    private final NewOrderEncoder newOrderEncoder = new NewOrderEncoder();
    private final CancelOrderEncoder cancelOrderEncoder = new CancelOrderEncoder();
    private final FillEncoder fillEncoder = new FillEncoder();
    private final MarkPriceEncoder markPriceEncoder = new MarkPriceEncoder();
    private final IndexPriceEncoder indexPriceEncoder = new IndexPriceEncoder();
    private final DepositEncoder depositEncoder = new DepositEncoder();
    private final WithdrawalEncoder withdrawalEncoder = new WithdrawalEncoder();
    private final OrderAcceptedEncoder orderAcceptedEncoder = new OrderAcceptedEncoder();
    private final OrderCancelledEncoder orderCancelledEncoder = new OrderCancelledEncoder();
    private final TradeSettledEncoder tradeSettledEncoder = new TradeSettledEncoder();
    private final BalanceChangedEncoder balanceChangedEncoder = new BalanceChangedEncoder();
    private final MarginStatusEncoder marginStatusEncoder = new MarginStatusEncoder();

    private final NewOrderDecoder newOrderDecoder = new NewOrderDecoder();
    private final CancelOrderDecoder cancelOrderDecoder = new CancelOrderDecoder();
    private final FillDecoder fillDecoder = new FillDecoder();
    private final MarkPriceDecoder markPriceDecoder = new MarkPriceDecoder();
    private final IndexPriceDecoder indexPriceDecoder = new IndexPriceDecoder();
    private final DepositDecoder depositDecoder = new DepositDecoder();
    private final WithdrawalDecoder withdrawalDecoder = new WithdrawalDecoder();
    private final OrderAcceptedDecoder orderAcceptedDecoder = new OrderAcceptedDecoder();
    private final OrderCancelledDecoder orderCancelledDecoder = new OrderCancelledDecoder();
    private final TradeSettledDecoder tradeSettledDecoder = new TradeSettledDecoder();
    private final BalanceChangedDecoder balanceChangedDecoder = new BalanceChangedDecoder();
    private final MarginStatusDecoder marginStatusDecoder = new MarginStatusDecoder();

    private long counter;

    /**
     * Encodes one frame of each message into its own slot of the decode buffer, with the encoders measured below,
     * and checks each decodes to its template id.
     */
    @Setup
    public void setup()
    {
        final int[] offsets = {
            NEW_ORDER, CANCEL_ORDER, FILL, MARK_PRICE, INDEX_PRICE, DEPOSIT, WITHDRAWAL, ORDER_ACCEPTED,
            ORDER_CANCELLED, TRADE_SETTLED, BALANCE_CHANGED, MARGIN_STATUS };
        final int[] templateIds = {
            NewOrderDecoder.TEMPLATE_ID, CancelOrderDecoder.TEMPLATE_ID, FillDecoder.TEMPLATE_ID,
            MarkPriceDecoder.TEMPLATE_ID, IndexPriceDecoder.TEMPLATE_ID, DepositDecoder.TEMPLATE_ID,
            WithdrawalDecoder.TEMPLATE_ID, OrderAcceptedDecoder.TEMPLATE_ID, OrderCancelledDecoder.TEMPLATE_ID,
            TradeSettledDecoder.TEMPLATE_ID, BalanceChangedDecoder.TEMPLATE_ID, MarginStatusDecoder.TEMPLATE_ID };
        counter = 1_767_225_600_000_000_000L;
        encodeNewOrder(frames, NEW_ORDER);
        encodeCancelOrder(frames, CANCEL_ORDER);
        encodeFill(frames, FILL);
        encodeMarkPrice(frames, MARK_PRICE);
        encodeIndexPrice(frames, INDEX_PRICE);
        encodeDeposit(frames, DEPOSIT);
        encodeWithdrawal(frames, WITHDRAWAL);
        encodeOrderAccepted(frames, ORDER_ACCEPTED);
        encodeOrderCancelled(frames, ORDER_CANCELLED);
        encodeTradeSettled(frames, TRADE_SETTLED);
        encodeBalanceChanged(frames, BALANCE_CHANGED);
        encodeMarginStatus(frames, MARGIN_STATUS);
        for (int i = 0; i < MESSAGES; i++)
        {
            if (headerDecoder.wrap(frames, offsets[i]).templateId() != templateIds[i])
            {
                throw new IllegalStateException("slot " + i + " does not hold template " + templateIds[i]);
            }
        }
    }

    /** @return frame length of a NewOrder. */
    @Benchmark
    public int encodeNewOrder()
    {
        return encodeNewOrder(out, 0);
    }

    /** @return frame length of a CancelOrder. */
    @Benchmark
    public int encodeCancelOrder()
    {
        return encodeCancelOrder(out, 0);
    }

    /** @return frame length of a Fill. */
    @Benchmark
    public int encodeFill()
    {
        return encodeFill(out, 0);
    }

    /** @return frame length of a MarkPrice. */
    @Benchmark
    public int encodeMarkPrice()
    {
        return encodeMarkPrice(out, 0);
    }

    /** @return frame length of an IndexPrice. */
    @Benchmark
    public int encodeIndexPrice()
    {
        return encodeIndexPrice(out, 0);
    }

    /** @return frame length of a Deposit. */
    @Benchmark
    public int encodeDeposit()
    {
        return encodeDeposit(out, 0);
    }

    /** @return frame length of a Withdrawal. */
    @Benchmark
    public int encodeWithdrawal()
    {
        return encodeWithdrawal(out, 0);
    }

    /** @return frame length of an OrderAccepted. */
    @Benchmark
    public int encodeOrderAccepted()
    {
        return encodeOrderAccepted(out, 0);
    }

    /** @return frame length of an OrderCancelled. */
    @Benchmark
    public int encodeOrderCancelled()
    {
        return encodeOrderCancelled(out, 0);
    }

    /** @return frame length of a TradeSettled. */
    @Benchmark
    public int encodeTradeSettled()
    {
        return encodeTradeSettled(out, 0);
    }

    /** @return frame length of a BalanceChanged. */
    @Benchmark
    public int encodeBalanceChanged()
    {
        return encodeBalanceChanged(out, 0);
    }

    /** @return frame length of a MarginStatus. */
    @Benchmark
    public int encodeMarginStatus()
    {
        return encodeMarginStatus(out, 0);
    }

    /** @param sink receives the template id and every field of a NewOrder. */
    @Benchmark
    public void decodeNewOrder(final Blackhole sink)
    {
        final NewOrderDecoder d = newOrderDecoder.wrap(frames, header(NEW_ORDER, sink), headerDecoder.blockLength(),
            headerDecoder.version());
        sink.consume(d.timestamp());
        sink.consume(d.orderId());
        sink.consume(d.accountId());
        sink.consume(d.instrumentId());
        sink.consume(d.side());
        sink.consume(d.price());
        sink.consume(d.quantity());
        sink.consume(d.reduceOnly());
    }

    /** @param sink receives the template id and every field of a CancelOrder. */
    @Benchmark
    public void decodeCancelOrder(final Blackhole sink)
    {
        final CancelOrderDecoder d = cancelOrderDecoder.wrap(frames, header(CANCEL_ORDER, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.timestamp());
        sink.consume(d.orderId());
        sink.consume(d.accountId());
    }

    /** @param sink receives the template id and every field of a Fill. */
    @Benchmark
    public void decodeFill(final Blackhole sink)
    {
        final FillDecoder d = fillDecoder.wrap(frames, header(FILL, sink), headerDecoder.blockLength(),
            headerDecoder.version());
        sink.consume(d.timestamp());
        sink.consume(d.tradeId());
        sink.consume(d.instrumentId());
        sink.consume(d.price());
        sink.consume(d.quantity());
        sink.consume(d.makerOrderId());
        sink.consume(d.makerAccountId());
        sink.consume(d.takerOrderId());
        sink.consume(d.takerAccountId());
        sink.consume(d.takerSide());
    }

    /** @param sink receives the template id and every field of a MarkPrice. */
    @Benchmark
    public void decodeMarkPrice(final Blackhole sink)
    {
        final MarkPriceDecoder d = markPriceDecoder.wrap(frames, header(MARK_PRICE, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.timestamp());
        sink.consume(d.instrumentId());
        sink.consume(d.price());
        sink.consume(d.impliedVolatility());
    }

    /** @param sink receives the template id and every field of an IndexPrice. */
    @Benchmark
    public void decodeIndexPrice(final Blackhole sink)
    {
        final IndexPriceDecoder d = indexPriceDecoder.wrap(frames, header(INDEX_PRICE, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.timestamp());
        sink.consume(d.underlyingId());
        sink.consume(d.price());
    }

    /** @param sink receives the template id and every field of a Deposit. */
    @Benchmark
    public void decodeDeposit(final Blackhole sink)
    {
        final DepositDecoder d = depositDecoder.wrap(frames, header(DEPOSIT, sink), headerDecoder.blockLength(),
            headerDecoder.version());
        sink.consume(d.timestamp());
        sink.consume(d.accountId());
        sink.consume(d.assetId());
        sink.consume(d.amount());
    }

    /** @param sink receives the template id and every field of a Withdrawal. */
    @Benchmark
    public void decodeWithdrawal(final Blackhole sink)
    {
        final WithdrawalDecoder d = withdrawalDecoder.wrap(frames, header(WITHDRAWAL, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.timestamp());
        sink.consume(d.accountId());
        sink.consume(d.assetId());
        sink.consume(d.amount());
    }

    /** @param sink receives the template id and every field of an OrderAccepted. */
    @Benchmark
    public void decodeOrderAccepted(final Blackhole sink)
    {
        final OrderAcceptedDecoder d = orderAcceptedDecoder.wrap(frames, header(ORDER_ACCEPTED, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.orderId());
        sink.consume(d.accountId());
        sink.consume(d.instrumentId());
        sink.consume(d.side());
        sink.consume(d.price());
        sink.consume(d.quantity());
        sink.consume(d.equity());
        sink.consume(d.initialMarginWithOrders());
    }

    /** @param sink receives the template id and every field of an OrderCancelled. */
    @Benchmark
    public void decodeOrderCancelled(final Blackhole sink)
    {
        final OrderCancelledDecoder d = orderCancelledDecoder.wrap(frames, header(ORDER_CANCELLED, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.orderId());
        sink.consume(d.accountId());
        sink.consume(d.instrumentId());
        sink.consume(d.remainingQuantity());
        sink.consume(d.reason());
    }

    /** @param sink receives the template id and every field of a TradeSettled. */
    @Benchmark
    public void decodeTradeSettled(final Blackhole sink)
    {
        final TradeSettledDecoder d = tradeSettledDecoder.wrap(frames, header(TRADE_SETTLED, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.tradeId());
        sink.consume(d.accountId());
        sink.consume(d.orderId());
        sink.consume(d.instrumentId());
        sink.consume(d.side());
        sink.consume(d.liquidity());
        sink.consume(d.price());
        sink.consume(d.quantity());
        sink.consume(d.positionAfter());
        sink.consume(d.realizedPnl());
        sink.consume(d.fee());
        sink.consume(d.orderRemaining());
    }

    /** @param sink receives the template id and every field of a BalanceChanged. */
    @Benchmark
    public void decodeBalanceChanged(final Blackhole sink)
    {
        final BalanceChangedDecoder d = balanceChangedDecoder.wrap(frames, header(BALANCE_CHANGED, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.accountId());
        sink.consume(d.assetId());
        sink.consume(d.reason());
        sink.consume(d.amount());
        sink.consume(d.balanceBefore());
        sink.consume(d.balanceAfter());
        sink.consume(d.referenceId());
    }

    /** @param sink receives the template id and every field of a MarginStatus. */
    @Benchmark
    public void decodeMarginStatus(final Blackhole sink)
    {
        final MarginStatusDecoder d = marginStatusDecoder.wrap(frames, header(MARGIN_STATUS, sink),
            headerDecoder.blockLength(), headerDecoder.version());
        sink.consume(d.accountId());
        sink.consume(d.state());
        sink.consume(d.previousState());
        sink.consume(d.equity());
        sink.consume(d.initialMargin());
        sink.consume(d.maintenanceMargin());
    }

    /** Decodes the header at a frame, consumes its template id and returns the body offset. */
    private int header(final int frameOffset, final Blackhole sink)
    {
        sink.consume(headerDecoder.wrap(frames, frameOffset).templateId());
        return frameOffset + MessageHeaderDecoder.ENCODED_LENGTH;
    }

    private int encodeNewOrder(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + newOrderEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .timestamp(n).orderId(n).accountId((int)n).instrumentId((int)n).side(Side.BUY).price(n).quantity(n)
            .reduceOnly(BooleanType.FALSE).encodedLength();
    }

    private int encodeCancelOrder(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + cancelOrderEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).timestamp(n).orderId(n).accountId((int)n).encodedLength();
    }

    private int encodeFill(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + fillEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .timestamp(n).tradeId(n).instrumentId((int)n).price(n).quantity(n).makerOrderId(n).makerAccountId((int)n)
            .takerOrderId(n).takerAccountId((int)n).takerSide(Side.SELL).encodedLength();
    }

    private int encodeMarkPrice(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + markPriceEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).timestamp(n).instrumentId((int)n).price(n).impliedVolatility(IMPLIED_VOLATILITY)
            .encodedLength();
    }

    private int encodeIndexPrice(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + indexPriceEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).timestamp(n).underlyingId((int)n).price(n).encodedLength();
    }

    private int encodeDeposit(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + depositEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .timestamp(n).accountId((int)n).assetId((int)n).amount(n).encodedLength();
    }

    private int encodeWithdrawal(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + withdrawalEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).timestamp(n).accountId((int)n).assetId((int)n).amount(n).encodedLength();
    }

    private int encodeOrderAccepted(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + orderAcceptedEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).orderId(n).accountId((int)n).instrumentId((int)n).side(Side.BUY).price(n).quantity(n)
            .equity(n).initialMarginWithOrders(n).encodedLength();
    }

    private int encodeOrderCancelled(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + orderCancelledEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).orderId(n).accountId((int)n).instrumentId((int)n).remainingQuantity(n)
            .reason(CancelReason.REQUESTED).encodedLength();
    }

    private int encodeTradeSettled(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + tradeSettledEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).tradeId(n).accountId((int)n).orderId(n).instrumentId((int)n).side(Side.BUY)
            .liquidity(Liquidity.TAKER).price(n).quantity(n).positionAfter(n).realizedPnl(n).fee(n).orderRemaining(n)
            .encodedLength();
    }

    private int encodeBalanceChanged(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + balanceChangedEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).accountId((int)n).assetId((int)n).reason(BalanceReason.FEE).amount(n).balanceBefore(n)
            .balanceAfter(n).referenceId(n).encodedLength();
    }

    private int encodeMarginStatus(final UnsafeBuffer buffer, final int offset)
    {
        final long n = ++counter;
        return MessageHeaderEncoder.ENCODED_LENGTH + marginStatusEncoder.wrapAndApplyHeader(buffer, offset,
            headerEncoder).accountId((int)n).state(MarginState.MARGIN_CALL).previousState(MarginState.HEALTHY)
            .equity(n).initialMargin(n).maintenanceMargin(n).encodedLength();
    }
}
