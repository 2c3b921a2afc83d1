package io.clearing.benchmarks;

import io.clearing.engine.ClearingStateMachine;
import io.clearing.margin.Fixed;
import io.clearing.margin.RiskParameters;
import io.clearing.margin.option.Black76;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.TradeSettledDecoder;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What it costs to settle one fill on the business-logic thread: {@link ClearingStateMachine#apply} of a Fill (both
 * sides: positions, realized PnL, fees, both accounts' margins recomputed and price bands re-registered), then
 * {@link JournalWriter#append} of the command and its events into a journal in a temporary directory; and the
 * state machine alone, so the split is visible. No Disruptor ring, no listeners.
 * <p>
 * Market: USDC, a BTC perpetual (0.001 BTC contracts), a call and a put; 1,000 user accounts funded with
 * 5,000,000 USDC each, each holding a perpetual (+-5), a call (+-2) and a put (+-3) position opened against a
 * liquidity account at prices away from the mark, so fills realize PnL. The users form 500 maker/taker pairs; each
 * pair rests four orders of 100,000 contracts at the mark (maker sells/taker buys, maker buys/taker sells). One
 * operation is a 1-contract perpetual fill against one resting pair: the 1,000 pre-encoded fills cycle through every
 * pair in one direction, then every pair in the other, so each position moves one contract away from its opening
 * size (closing part of it, realizing PnL) and back (opening). Each operation stamps a fresh timestamp and trade id
 * into the pre-encoded frame.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar FillBenchmark -prof gc}
 * (forks inherit the JVM flags of the launching JVM).
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FillBenchmark
{
    private static final int USERS = 1_000;
    private static final int PAIRS = USERS / 2;
    private static final int FILLS = 2 * PAIRS;
    private static final int LIQUIDITY = Accounts.FIRST_USER_ACCOUNT + USERS;
    private static final int PERPETUAL = 0;
    private static final int CALL = 1;
    private static final int PUT = 2;
    private static final long CONTRACT_SIZE = 100_000L;
    private static final long MARK = 65_000L * Fixed.SCALE;
    private static final long OPENING_PRICE = 64_000L * Fixed.SCALE;
    private static final long RESTING_QUANTITY = 100_000L;
    private static final long FIRST_PAIR_ORDER_ID = 1_000_000L;
    private static final int FILL_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + FillEncoder.BLOCK_LENGTH;
    private static final int TIMESTAMP_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + FillEncoder.timestampEncodingOffset();
    private static final int TRADE_ID_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + FillEncoder.tradeIdEncodingOffset();

    private final EventWriter events = new EventWriter();
    private final UnsafeBuffer fills = new UnsafeBuffer(new byte[FILLS * FILL_LENGTH]);
    private ClearingStateMachine machine;
    private Commands commands;
    private Path journalDirectory;
    private JournalWriter journal;
    private long time;
    private long tradeId;
    private int cursor;

    /**
     * Builds the market, rests the order pairs, pre-encodes the fills, checks that one whole cycle of them settles
     * without a rejection (which returns every position to its opening size), and opens an empty journal.
     *
     * @throws IOException if the temporary journal directory cannot be created.
     */
    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        machine = new ClearingStateMachine(2 * USERS, new RiskParameters());
        commands = new Commands(machine, events);
        commands.asset(0);
        final long expiry = Commands.START_NANOS + 30L * 24 * 3_600_000_000_000L;
        final long callStrike = 70_000L * Fixed.SCALE;
        final long putStrike = 60_000L * Fixed.SCALE;
        commands.instrument(PERPETUAL, InstrumentKind.PERPETUAL, 0, 0, CONTRACT_SIZE);
        commands.instrument(CALL, InstrumentKind.CALL, callStrike, expiry, CONTRACT_SIZE);
        commands.instrument(PUT, InstrumentKind.PUT, putStrike, expiry, CONTRACT_SIZE);
        commands.index(0, MARK);
        commands.mark(PERPETUAL, MARK, 0.0);
        final double vol = 0.55;
        final double years = 30.0 / 365.0;
        final long callMark = Math.round(Black76.price(true, 65_000.0, 70_000.0, years, 0.0, vol) * Fixed.SCALE);
        final long putMark = Math.round(Black76.price(false, 65_000.0, 60_000.0, years, 0.0, vol) * Fixed.SCALE);
        commands.mark(CALL, callMark, vol);
        commands.mark(PUT, putMark, vol);

        commands.deposit(LIQUIDITY, 500_000_000L * Fixed.SCALE);
        long orderId = 1;
        for (int u = 0; u < USERS; u++)
        {
            final int account = Accounts.FIRST_USER_ACCOUNT + u;
            final boolean even = (u & 1) == 0;
            commands.deposit(account, 5_000_000L * Fixed.SCALE);
            orderId = commands.trade(orderId, PERPETUAL, LIQUIDITY, account, even, 5, OPENING_PRICE);
            orderId = commands.trade(orderId, CALL, LIQUIDITY, account, even, 2, callMark * 9 / 10);
            orderId = commands.trade(orderId, PUT, LIQUIDITY, account, !even, 3, putMark * 11 / 10);
        }

        final FillEncoder fill = new FillEncoder();
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        for (int pair = 0; pair < PAIRS; pair++)
        {
            final int maker = Accounts.FIRST_USER_ACCOUNT + 2 * pair;
            final int taker = maker + 1;
            final long base = FIRST_PAIR_ORDER_ID + 4L * pair;
            commands.order(base, maker, PERPETUAL, false, MARK, RESTING_QUANTITY);
            commands.order(base + 1, taker, PERPETUAL, true, MARK, RESTING_QUANTITY);
            commands.order(base + 2, maker, PERPETUAL, true, MARK, RESTING_QUANTITY);
            commands.order(base + 3, taker, PERPETUAL, false, MARK, RESTING_QUANTITY);
            for (int direction = 0; direction < 2; direction++)
            {
                final boolean takerBuys = direction == 0;
                fill.wrapAndApplyHeader(fills, (direction * PAIRS + pair) * FILL_LENGTH, header)
                    .timestamp(0).tradeId(1).instrumentId(PERPETUAL).price(MARK).quantity(1)
                    .makerOrderId(base + 2 * direction).makerAccountId(maker)
                    .takerOrderId(base + 1 + 2 * direction).takerAccountId(taker)
                    .takerSide(takerBuys ? Side.BUY : Side.SELL);
            }
        }
        time = commands.time();
        tradeId = 1_000_000_000L;

        long eventCount = 0;
        long eventBytes = 0;
        for (int i = 0; i < FILLS; i++)
        {
            settle();
            commands.check(events);
            eventCount += events.count();
            eventBytes += events.length();
        }
        System.out.printf("%nFillBenchmark: one cycle of %d fills settled, %.2f events and %.1f event bytes per fill%n",
            FILLS, eventCount / (double)FILLS, eventBytes / (double)FILLS);

        journalDirectory = Files.createTempDirectory("fill-benchmark-journal");
        journal = new JournalWriter(journalDirectory);
    }

    /** Checks that the last fill settled, then closes and deletes the journal. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        final boolean settled = Commands.firstTemplateId(events) == TradeSettledDecoder.TEMPLATE_ID;
        final long documents = journal.lastSequence();
        journal.close();
        deleteRecursively(journalDirectory);
        System.out.printf("%nFillBenchmark: %d documents journaled, last fill settled: %b%n", documents, settled);
        if (!settled)
        {
            throw new IllegalStateException("the last fill did not settle");
        }
    }

    /**
     * One fill settled by the state machine and journaled as one hash-chained document.
     *
     * @return the journal sequence of the document.
     */
    @Benchmark
    public long settleAndJournal()
    {
        final int offset = nextFill();
        machine.apply(fills, offset, FILL_LENGTH, events);
        return journal.append(time, fills, offset, FILL_LENGTH, events.buffer(), 0, events.length(), events.count());
    }

    /**
     * One fill settled by the state machine only.
     *
     * @return bytes of events the fill produced.
     */
    @Benchmark
    public int settle()
    {
        machine.apply(fills, nextFill(), FILL_LENGTH, events);
        return events.length();
    }

    private int nextFill()
    {
        final int offset = cursor * FILL_LENGTH;
        cursor = cursor + 1 == FILLS ? 0 : cursor + 1;
        fills.putLong(offset + TIMESTAMP_OFFSET, ++time, ByteOrder.LITTLE_ENDIAN);
        fills.putLong(offset + TRADE_ID_OFFSET, ++tradeId, ByteOrder.LITTLE_ENDIAN);
        return offset;
    }

    /** Deletes a directory and everything under it (setup and teardown only). */
    static void deleteRecursively(final Path directory)
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Encodes setup commands, one timestamp apart, applies them to a state machine and fails on any rejection.
     * Setup only: allocation and checks here are outside every measurement. Not thread-safe.
     */
    static final class Commands
    {
        /** 2026-01-01T00:00:00Z in nanoseconds since the epoch, the first command's timestamp. */
        static final long START_NANOS = 1_767_225_600_000_000_000L;

        private final ClearingStateMachine machine;
        private final EventWriter events;
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        private final MessageHeaderEncoder header = new MessageHeaderEncoder();
        private final AssetDefinitionEncoder asset = new AssetDefinitionEncoder();
        private final InstrumentDefinitionEncoder instrument = new InstrumentDefinitionEncoder();
        private final IndexPriceEncoder index = new IndexPriceEncoder();
        private final MarkPriceEncoder mark = new MarkPriceEncoder();
        private final DepositEncoder deposit = new DepositEncoder();
        private final WithdrawalEncoder withdrawal = new WithdrawalEncoder();
        private final NewOrderEncoder order = new NewOrderEncoder();
        private final FillEncoder fill = new FillEncoder();
        private long time = START_NANOS;
        private long tradeId = 1;

        /**
         * @param machine receives the commands.
         * @param events  receives their events.
         */
        Commands(final ClearingStateMachine machine, final EventWriter events)
        {
            this.machine = machine;
            this.events = events;
        }

        /** @return the timestamp of the last command sent, ns since the epoch. */
        long time()
        {
            return time;
        }

        /** Defines a margin asset valued at 1, full collateral weight, with no valuation underlying. */
        void asset(final int assetId)
        {
            asset.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).assetId(assetId).valuationUnderlyingId(-1)
                .collateralWeightPpm(1_000_000);
            apply(asset.encodedLength());
        }

        /** Defines an instrument on underlying 0 settled in asset 0, maker fee -100 ppm, taker fee 500 ppm. */
        void instrument(final int id, final InstrumentKind kind, final long strike, final long expiry,
            final long contractSize)
        {
            instrument.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).instrumentId(id).kind(kind)
                .underlyingId(0).settlementAssetId(0).strike(strike).expiryTimestamp(expiry)
                .contractSize(contractSize).makerFeePpm(-100).takerFeePpm(500);
            apply(instrument.encodedLength());
        }

        /** Sends an index price (1e-8 units). */
        void index(final int underlying, final long price)
        {
            index.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).underlyingId(underlying).price(price);
            apply(index.encodedLength());
        }

        /** Sends a mark price (1e-8 units) and implied volatility (0 for futures). */
        void mark(final int instrumentId, final long price, final double volatility)
        {
            mark.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).instrumentId(instrumentId).price(price)
                .impliedVolatility(volatility);
            apply(mark.encodedLength());
        }

        /** Deposits an amount (1e-8 units) of asset 0. */
        void deposit(final int account, final long amount)
        {
            deposit.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).accountId(account).assetId(0)
                .amount(amount);
            apply(deposit.encodedLength());
        }

        /** Withdraws an amount (1e-8 units) of asset 0. */
        void withdraw(final int account, final long amount)
        {
            withdrawal.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).accountId(account).assetId(0)
                .amount(amount);
            apply(withdrawal.encodedLength());
        }

        /** Rests a limit order that is not reduce-only. */
        void order(final long orderId, final int account, final int instrumentId, final boolean buy, final long price,
            final long quantity)
        {
            order.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).orderId(orderId).accountId(account)
                .instrumentId(instrumentId).side(buy ? Side.BUY : Side.SELL).price(price).quantity(quantity)
                .reduceOnly(BooleanType.FALSE);
            apply(order.encodedLength());
        }

        /** Fills a resting maker order against a resting taker order at a price. */
        void fill(final int instrumentId, final long price, final long quantity, final long makerOrderId,
            final int maker, final long takerOrderId, final int taker, final boolean takerBuys)
        {
            fill.wrapAndApplyHeader(buffer, 0, header).timestamp(++time).tradeId(tradeId++).instrumentId(instrumentId)
                .price(price).quantity(quantity).makerOrderId(makerOrderId).makerAccountId(maker)
                .takerOrderId(takerOrderId).takerAccountId(taker).takerSide(takerBuys ? Side.BUY : Side.SELL);
            apply(fill.encodedLength());
        }

        /**
         * Opens a position for an account (the taker) against a counterparty (the maker), both orders filled whole.
         *
         * @param firstOrderId the first of the two order ids used.
         * @return the next unused order id.
         */
        long trade(final long firstOrderId, final int instrumentId, final int counterparty, final int account,
            final boolean buy, final long quantity, final long price)
        {
            order(firstOrderId, counterparty, instrumentId, !buy, price, quantity);
            order(firstOrderId + 1, account, instrumentId, buy, price, quantity);
            fill(instrumentId, price, quantity, firstOrderId, counterparty, firstOrderId + 1, account, buy);
            return firstOrderId + 2;
        }

        /**
         * Counts the events of the last command with a template id.
         *
         * @param events     the events of one command.
         * @param templateId to count.
         * @return how many there are.
         */
        static int count(final EventWriter events, final int templateId)
        {
            final MessageHeaderDecoder eventHeader = new MessageHeaderDecoder();
            final DirectBuffer region = events.buffer();
            int found = 0;
            int offset = 0;
            for (int i = 0; i < events.count(); i++)
            {
                eventHeader.wrap(region, offset + 4);
                if (eventHeader.templateId() == templateId)
                {
                    found++;
                }
                offset += 4 + region.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            }
            return found;
        }

        /** @return the template id of the first event of the last command, -1 if it produced none. */
        static int firstTemplateId(final EventWriter events)
        {
            if (events.count() == 0)
            {
                return -1;
            }
            return new MessageHeaderDecoder().wrap(events.buffer(), 4).templateId();
        }

        /**
         * @param events the events of one command.
         * @throws IllegalStateException naming the rejection if the command was rejected or an order refused.
         */
        void check(final EventWriter events)
        {
            final MessageHeaderDecoder eventHeader = new MessageHeaderDecoder();
            final DirectBuffer region = events.buffer();
            int offset = 0;
            for (int i = 0; i < events.count(); i++)
            {
                eventHeader.wrap(region, offset + 4);
                final int body = offset + 4 + MessageHeaderDecoder.ENCODED_LENGTH;
                if (eventHeader.templateId() == CommandRejectedDecoder.TEMPLATE_ID)
                {
                    throw new IllegalStateException("command at " + time + " rejected: " + new CommandRejectedDecoder()
                        .wrap(region, body, eventHeader.blockLength(), eventHeader.version()));
                }
                if (eventHeader.templateId() == OrderRejectedDecoder.TEMPLATE_ID)
                {
                    throw new IllegalStateException("order at " + time + " rejected: " + new OrderRejectedDecoder()
                        .wrap(region, body, eventHeader.blockLength(), eventHeader.version()));
                }
                offset += 4 + region.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            }
        }

        private void apply(final int bodyLength)
        {
            machine.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, events);
            check(events);
        }
    }
}
