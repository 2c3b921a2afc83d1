package io.clearing.engine;

import io.clearing.sbe.AccountRiskQueryEncoder;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CancelOrderEncoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.WithdrawalEncoder;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One producer's market for the soak: its own underlying ({@code producer}), three instruments on it (perpetual,
 * future, call), its own accounts, order ids and trade ids, so producers never touch each other's state and every
 * command says whose it is. Command {@code serial} of the stream is a pure function of the serial, so a verifier can
 * regenerate what a producer sent.
 * <p>
 * The mix (rounds of ten; {@link AllocationTest} measures it too): a maker and a taker order and the fill that closes both, a
 * mark tick, an index tick, a resting order and its cancel, a deposit and a withdrawal of the same amount, a risk
 * query. Trade direction alternates every pass over the accounts and prices oscillate in a band, so positions, open
 * orders and balances stay bounded: a steady state in which memory must not grow. Every command is valid (none is
 * rejected).
 * <p>
 * All commands carry the same timestamp: independent producers cannot order their clocks against each other, and
 * a timestamp behind the engine's clock would be rejected.
 */
final class SoakMarket
{
    static final long TIMESTAMP = 1_767_225_600_000_000_000L;
    static final int FIRST_ACCOUNT = 16;
    static final int ACCOUNTS_PER_PRODUCER = 200;
    private static final int USDC = 0;
    private static final int INSTRUMENTS = 3;
    private static final int ORDER_ID_ROUNDS = 1000;
    private static final int COMMANDS_PER_ROUND = 10;
    private static final long SCALE = 100_000_000L;
    private static final long YEAR_NANOS = 365L * 24 * 3600 * 1_000_000_000L;
    private static final long[] ORDER_PRICE = {65_000L * SCALE, 65_500L * SCALE, 1_200L * SCALE};
    private static final long INDEX_PRICE = 65_000L * SCALE;
    private static final long PRICE_STEP = 5L * SCALE;
    private static final long OPTION_PRICE_STEP = SCALE / 10;
    private static final long TRANSFER = SCALE;
    private static final long OPENING_DEPOSIT = 1_000_000L * SCALE;
    /** Order and trade ids of producer p start at p times this. */
    private static final long ID_BLOCK = 1L << 40;

    private final int producer;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final AssetDefinitionEncoder assetDefinition = new AssetDefinitionEncoder();
    private final InstrumentDefinitionEncoder instrumentDefinition = new InstrumentDefinitionEncoder();
    private final DepositEncoder deposit = new DepositEncoder();
    private final WithdrawalEncoder withdrawal = new WithdrawalEncoder();
    private final IndexPriceEncoder indexPrice = new IndexPriceEncoder();
    private final MarkPriceEncoder markPrice = new MarkPriceEncoder();
    private final NewOrderEncoder newOrder = new NewOrderEncoder();
    private final CancelOrderEncoder cancelOrder = new CancelOrderEncoder();
    private final FillEncoder fill = new FillEncoder();
    private final AccountRiskQueryEncoder riskQuery = new AccountRiskQueryEncoder();

    /** @param producer 0-based producer number, below 64 (one underlying each). */
    SoakMarket(final int producer)
    {
        this.producer = producer;
    }

    /** @return the buffer the last encoded command is in, at offset 0. */
    UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** @return the length of the USDC asset definition, encoded into {@link #buffer()}; send it once, first. */
    int encodeAsset()
    {
        return frame(assetDefinition.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP).assetId(USDC)
            .valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
    }

    /** @return commands of this producer's setup: instruments, prices, opening deposits. */
    int setupCommands()
    {
        return INSTRUMENTS + 1 + INSTRUMENTS + ACCOUNTS_PER_PRODUCER;
    }

    /**
     * Encodes setup command {@code index} ({@code 0 <= index < setupCommands()}) into {@link #buffer()}.
     *
     * @return its length.
     */
    int encodeSetup(final int index)
    {
        if (index < INSTRUMENTS)
        {
            final InstrumentKind kind = index == 0 ? InstrumentKind.PERPETUAL :
                index == 1 ? InstrumentKind.FUTURE : InstrumentKind.CALL;
            return frame(instrumentDefinition.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP)
                .instrumentId(instrument(index)).kind(kind).underlyingId(producer).settlementAssetId(USDC)
                .strike(index == 2 ? 70_000L * SCALE : 0).expiryTimestamp(index == 0 ? 0 : TIMESTAMP + YEAR_NANOS)
                .contractSize(100_000L).makerFeePpm(-100).takerFeePpm(500).encodedLength());
        }
        if (index == INSTRUMENTS)
        {
            return frame(indexPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP).underlyingId(producer)
                .price(INDEX_PRICE).encodedLength());
        }
        if (index < 2 * INSTRUMENTS + 1)
        {
            final int local = index - INSTRUMENTS - 1;
            return frame(markPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP)
                .instrumentId(instrument(local)).price(ORDER_PRICE[local]).impliedVolatility(local == 2 ? 0.65 : 0.0)
                .encodedLength());
        }
        return frame(deposit.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP)
            .accountId(account(index - 2 * INSTRUMENTS - 1)).assetId(USDC).amount(OPENING_DEPOSIT).encodedLength());
    }

    /**
     * Encodes command {@code serial} of the steady-state stream into {@link #buffer()}.
     *
     * @param serial 0-based position in this producer's stream.
     * @return its length.
     */
    int encode(final long serial)
    {
        final long round = serial / COMMANDS_PER_ROUND;
        final long pass = round / ACCOUNTS_PER_PRODUCER;
        final int local = (int)(round % INSTRUMENTS);
        final int instrument = instrument(local);
        final int maker = account((int)(round % ACCOUNTS_PER_PRODUCER));
        final int taker = account((int)((round + 1 + pass % 7) % ACCOUNTS_PER_PRODUCER));
        final int other = account((int)((round * 13) % ACCOUNTS_PER_PRODUCER));
        final Side makerSide = (pass & 1) == 0 ? Side.BUY : Side.SELL;
        final Side takerSide = makerSide == Side.BUY ? Side.SELL : Side.BUY;
        final long orderIdBase = producer * ID_BLOCK + 3 * (round % ORDER_ID_ROUNDS);
        final long price = ORDER_PRICE[local];
        return switch ((int)(serial % COMMANDS_PER_ROUND))
        {
            case 0 -> order(orderIdBase + 1, maker, instrument, makerSide, price, 2);
            case 1 -> order(orderIdBase + 2, taker, instrument, takerSide, price, 2);
            case 2 -> frame(fill.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP)
                .tradeId(producer * ID_BLOCK + round + 1).instrumentId(instrument).price(price).quantity(2)
                .makerOrderId(orderIdBase + 1).makerAccountId(maker).takerOrderId(orderIdBase + 2)
                .takerAccountId(taker).takerSide(takerSide).encodedLength());
            case 3 ->
            {
                final long offset = (round % 21) - 10;
                yield frame(markPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP)
                    .instrumentId(instrument).price(price + offset * (local == 2 ? OPTION_PRICE_STEP : PRICE_STEP))
                    .impliedVolatility(local == 2 ? 0.6 + offset / 200.0 : 0.0).encodedLength());
            }
            case 4 -> frame(indexPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP).underlyingId(producer)
                .price(INDEX_PRICE + ((round % 17) - 8) * PRICE_STEP).encodedLength());
            case 5 -> order(orderIdBase + 3, other, instrument, takerSide, price, 1);
            case 6 -> frame(cancelOrder.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP)
                .orderId(orderIdBase + 3).accountId(other).encodedLength());
            case 7 -> frame(deposit.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP).accountId(other)
                .assetId(USDC).amount(TRANSFER).encodedLength());
            case 8 -> frame(withdrawal.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP).accountId(other)
                .assetId(USDC).amount(TRANSFER).encodedLength());
            default -> frame(riskQuery.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP).accountId(taker)
                .encodedLength());
        };
    }

    private int order(final long orderId, final int accountId, final int instrumentId, final Side side,
        final long price, final long quantity)
    {
        return frame(newOrder.wrapAndApplyHeader(buffer, 0, header).timestamp(TIMESTAMP).orderId(orderId)
            .accountId(accountId).instrumentId(instrumentId).side(side).price(price).quantity(quantity)
            .reduceOnly(BooleanType.FALSE).encodedLength());
    }

    private int instrument(final int local)
    {
        return producer * INSTRUMENTS + local;
    }

    private int account(final int local)
    {
        return FIRST_ACCOUNT + producer * ACCOUNTS_PER_PRODUCER + local;
    }

    private static int frame(final int bodyLength)
    {
        return MessageHeaderEncoder.ENCODED_LENGTH + bodyLength;
    }
}
