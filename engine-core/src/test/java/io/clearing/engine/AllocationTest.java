package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AccountRiskQueryEncoder;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CancelOrderEncoder;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The business-logic thread allocates nothing per command in steady state: what it does per command -
 * {@link ClearingStateMachine#apply} into an {@link EventWriter}, then {@link JournalWriter#append} of the command and
 * its events - is driven here on the test thread, and the thread's allocated bytes are read before and after a
 * measured run of the hot command mix.
 *
 * <p>The workload cycles a bounded set of accounts and order ids and keeps positions and prices in a band, so every
 * growable structure (Agrona maps and lists, the engine's arrays, the journal's staging buffer) reaches its
 * high-water mark during warm-up.
 */
final class AllocationTest
{
    private static final int ACCOUNT_CAPACITY = 1024;
    private static final int FIRST_ACCOUNT = 16;
    private static final int ACCOUNTS = 200;
    private static final int ORDER_ID_ROUNDS = 1000;
    private static final int COMMANDS_PER_ROUND = 10;
    private static final int WARM_UP_COMMANDS = 200_000;
    private static final int MEASURED_COMMANDS = 100_000;
    private static final long SCALE = 100_000_000L;
    private static final long START_NANOS = 1_767_225_600_000_000_000L;
    private static final long YEAR_NANOS = 365L * 24 * 3600 * 1_000_000_000L;
    private static final int USDC = 0;
    private static final int BTC = 0;
    private static final int INSTRUMENTS = 3;
    private static final long[] ORDER_PRICE = {65_000L * SCALE, 65_500L * SCALE, 1_200L * SCALE};
    private static final long INDEX_PRICE = 65_000L * SCALE;
    private static final long PRICE_STEP = 5L * SCALE;
    private static final long OPTION_PRICE_STEP = SCALE / 10;
    private static final long TRANSFER = SCALE;
    private static final long MAX_ONE_OFF_BYTES = 1024;
    private static final long RUN_PREALLOCATION_BYTES = 512L << 20;

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
    private final EventWriter events = new EventWriter();
    private final ClearingStateMachine machine = new ClearingStateMachine(ACCOUNT_CAPACITY, new RiskParameters());
    private JournalWriter journal;
    private long time = START_NANOS;
    private long rejections;

    @Test
    void steadyStateCommandsAllocateNothing(@TempDir final Path journalDirectory)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        // The journal extends its disk allocation once per preallocation step (a fallocate and a stat: a few hundred
        // bytes, not per command); a step larger than the whole run keeps that out of the per-command bound.
        try (JournalWriter writer = new JournalWriter(journalDirectory, RUN_PREALLOCATION_BYTES))
        {
            journal = writer;
            setUp();
            assertEquals(0, rejections, "setup rejected");

            runMix(0, WARM_UP_COMMANDS);
            assertEquals(0, rejections, "warm-up rejected");

            // The probe itself: two back-to-back reads give what reading the counter costs.
            final long probeStart = threads.getThreadAllocatedBytes(threadId);
            final long probeEnd = threads.getThreadAllocatedBytes(threadId);
            final long before = threads.getThreadAllocatedBytes(threadId);
            runMix(WARM_UP_COMMANDS, MEASURED_COMMANDS);
            final long after = threads.getThreadAllocatedBytes(threadId);

            assertEquals(0, rejections, "measured run rejected");
            // On JDK 17 this is exactly 0. On JDK 25 a few String + byte[] pairs (56 bytes each) are sometimes
            // charged to java.security.MessageDigest.update/digest under JournalHasher.hash, depending on JIT
            // timing: tens to hundreds of bytes per run, never per command. Anything allocating per command would
            // cost at least 16 bytes x MEASURED_COMMANDS.
            final long allocatedBytes = after - before - (probeEnd - probeStart);
            assertTrue(allocatedBytes < MAX_ONE_OFF_BYTES, allocatedBytes + " bytes allocated over " +
                MEASURED_COMMANDS + " steady-state commands");
        }
    }

    private void setUp()
    {
        process(assetDefinition.wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time).assetId(USDC).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
        final long expiry = START_NANOS + YEAR_NANOS;
        defineInstrument(0, InstrumentKind.PERPETUAL, 0, 0);
        defineInstrument(1, InstrumentKind.FUTURE, 0, expiry);
        defineInstrument(2, InstrumentKind.CALL, 70_000L * SCALE, expiry);
        process(indexPrice.wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time).underlyingId(BTC).price(INDEX_PRICE).encodedLength());
        for (int instrument = 0; instrument < INSTRUMENTS; instrument++)
        {
            process(markPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(time).instrumentId(instrument)
                .price(ORDER_PRICE[instrument]).impliedVolatility(instrument == 2 ? 0.65 : 0.0).encodedLength());
        }
        for (int i = 0; i < ACCOUNTS; i++)
        {
            process(deposit.wrapAndApplyHeader(buffer, 0, header)
                .timestamp(time).accountId(FIRST_ACCOUNT + i).assetId(USDC).amount(1_000_000L * SCALE).encodedLength());
        }
    }

    private void defineInstrument(final int instrumentId, final InstrumentKind kind, final long strike,
        final long expiry)
    {
        process(instrumentDefinition.wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time).instrumentId(instrumentId).kind(kind).underlyingId(BTC).settlementAssetId(USDC)
            .strike(strike).expiryTimestamp(expiry).contractSize(100_000L).makerFeePpm(-100).takerFeePpm(500)
            .encodedLength());
    }

    /**
     * Commands {@code first .. first + count - 1} of the mix. Round k (ten commands): a maker and a taker order and
     * the fill that closes both, a mark tick, an index tick, a resting order and its cancel, a deposit and a
     * withdrawal of the same amount, a risk query. Trade direction alternates every pass over the accounts, so
     * positions stay within a few contracts.
     */
    private void runMix(final int first, final int count)
    {
        for (int i = first, end = first + count; i < end; i++)
        {
            final long round = i / COMMANDS_PER_ROUND;
            final long pass = round / ACCOUNTS;
            final int instrument = (int)(round % INSTRUMENTS);
            final int maker = FIRST_ACCOUNT + (int)(round % ACCOUNTS);
            final int taker = FIRST_ACCOUNT + (int)((round + 1 + pass % 7) % ACCOUNTS);
            final int other = FIRST_ACCOUNT + (int)((round * 13) % ACCOUNTS);
            final Side makerSide = (pass & 1) == 0 ? Side.BUY : Side.SELL;
            final Side takerSide = makerSide == Side.BUY ? Side.SELL : Side.BUY;
            final long orderIdBase = 3 * (round % ORDER_ID_ROUNDS);
            final long price = ORDER_PRICE[instrument];
            time++;
            switch (i % COMMANDS_PER_ROUND)
            {
                case 0 -> order(orderIdBase + 1, maker, instrument, makerSide, price, 2);
                case 1 -> order(orderIdBase + 2, taker, instrument, takerSide, price, 2);
                case 2 -> process(fill.wrapAndApplyHeader(buffer, 0, header).timestamp(time).tradeId(round + 1)
                    .instrumentId(instrument).price(price).quantity(2).makerOrderId(orderIdBase + 1)
                    .makerAccountId(maker).takerOrderId(orderIdBase + 2).takerAccountId(taker).takerSide(takerSide)
                    .encodedLength());
                case 3 ->
                {
                    final long offset = (round % 21) - 10;
                    process(markPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(time).instrumentId(instrument)
                        .price(price + offset * (instrument == 2 ? OPTION_PRICE_STEP : PRICE_STEP))
                        .impliedVolatility(instrument == 2 ? 0.6 + offset / 200.0 : 0.0).encodedLength());
                }
                case 4 -> process(indexPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(time).underlyingId(BTC)
                    .price(INDEX_PRICE + ((round % 17) - 8) * PRICE_STEP).encodedLength());
                case 5 -> order(orderIdBase + 3, other, instrument, takerSide, price, 1);
                case 6 -> process(cancelOrder.wrapAndApplyHeader(buffer, 0, header).timestamp(time)
                    .orderId(orderIdBase + 3).accountId(other).encodedLength());
                case 7 -> process(deposit.wrapAndApplyHeader(buffer, 0, header).timestamp(time).accountId(other)
                    .assetId(USDC).amount(TRANSFER).encodedLength());
                case 8 -> process(withdrawal.wrapAndApplyHeader(buffer, 0, header).timestamp(time).accountId(other)
                    .assetId(USDC).amount(TRANSFER).encodedLength());
                default -> process(riskQuery.wrapAndApplyHeader(buffer, 0, header).timestamp(time).accountId(taker)
                    .encodedLength());
            }
        }
    }

    private void order(final long orderId, final int accountId, final int instrumentId, final Side side,
        final long price, final long quantity)
    {
        process(newOrder.wrapAndApplyHeader(buffer, 0, header).timestamp(time).orderId(orderId).accountId(accountId)
            .instrumentId(instrumentId).side(side).price(price).quantity(quantity).reduceOnly(BooleanType.FALSE)
            .encodedLength());
    }

    /** What the business-logic thread does per command, then a count of rejections among the events. */
    private void process(final int bodyLength)
    {
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + bodyLength;
        machine.apply(buffer, 0, length, events);
        journal.append(time, buffer, 0, length, events.buffer(), 0, events.length(), events.count());
        for (int offset = 0, i = 0; i < events.count(); i++)
        {
            final int frameLength = events.buffer().getInt(offset, ByteOrder.LITTLE_ENDIAN);
            final int templateId = events.buffer().getShort(offset + 4 + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            if (templateId == CommandRejectedDecoder.TEMPLATE_ID || templateId == OrderRejectedDecoder.TEMPLATE_ID)
            {
                rejections++;
            }
            offset += 4 + frameLength;
        }
    }
}
