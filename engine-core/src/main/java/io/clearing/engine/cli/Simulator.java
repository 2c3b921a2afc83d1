package io.clearing.engine.cli;

import io.clearing.engine.ClearingEngine;
import io.clearing.engine.EngineListener;
import io.clearing.margin.Fixed;
import io.clearing.margin.option.Black76;
import io.clearing.sbe.AccountRiskQueryEncoder;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CancelOrderEncoder;
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
import io.clearing.sbe.Side;
import io.clearing.sbe.TimeAdvanceEncoder;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.settlement.Accounts;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.SplittableRandom;

/**
 * The synthetic market of {@code ./clearing simulate}: BTC, ETH and SOL underlyings, each with a perpetual, two dated
 * futures and an option chain; accounts funded in several collateral assets; a seeded stream of orders, fills,
 * cancels, index/mark/vol ticks, deposits, withdrawals and time advances through funding and an expiry; and a
 * -40% crash (a 25% gap, then five 4% steps) that drives liquidations, insurance payouts and auto-deleveraging. Each
 * underlying's implied volatility moves with its index: it reverts to its level, rises as the index falls (four times
 * the relative move) and jitters; in the crash it jumps half again at the gap and 5% at each step. The stream depends
 * only on the seed, never on the engine's answers.
 */
public final class Simulator
{
    static final long START_NANOS = 1_767_225_600_000_000_000L; // 2026-01-01T00:00:00Z
    private static final long HOUR = 3_600_000_000_000L;
    private static final int UNDERLYINGS = 3;
    private static final String[] NAMES = {"BTC", "ETH", "SOL"};
    private static final double[] START_PRICE = {65_000.0, 3_500.0, 150.0};
    private static final long[] CONTRACT_SIZE = {100_000L, 1_000_000L, 100_000_000L}; // 0.001 BTC, 0.01 ETH, 1 SOL
    /**
     * Where in the stream the crash comes, as a share of its commands: at 43 of its 72 simulated hours, before the
     * options' expiry at 48, so that option holders meet the jump of vol too.
     */
    public static final double CRASH_POINT = 0.60;
    private static final double[] VOL = {0.55, 0.70, 0.90};
    /** Share of the gap to its level an underlying's vol closes at each of its index ticks. */
    private static final double VOL_REVERSION = 0.02;
    /** Relative change of vol per relative change of the index, negative: vol rises as the market falls. */
    private static final double VOL_LEVERAGE = -4.0;
    /** Width of the uniform relative jitter of vol at each index tick. */
    private static final double VOL_JITTER = 0.004;
    private static final double[] STRIKES = {0.8, 0.9, 1.0, 1.1, 1.2};
    private static final int PER_UNDERLYING = 1 + 2 + STRIKES.length * 2;

    private final int accounts;
    private final long commands;
    private long insuranceFundUnits = 100L * Fixed.SCALE;
    private long liquidationPenaltyPpm = -1;
    private long skip;
    private final long seed;
    private final ClearingEngine engine;
    private final CommandSink sink;
    private final SplittableRandom random;
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
    private final TimeAdvanceEncoder timeAdvance = new TimeAdvanceEncoder();
    private final ExpirySettlementPriceEncoder expiryPrice = new ExpirySettlementPriceEncoder();
    private final AccountRiskQueryEncoder riskQuery = new AccountRiskQueryEncoder();
    private final io.clearing.sbe.RiskParameterUpdateEncoder riskParameter = new io.clearing.sbe.RiskParameterUpdateEncoder();

    private final double[] index = new double[UNDERLYINGS];
    private final double[] vol = new double[UNDERLYINGS];
    private final long[] expiries = new long[2];
    private final boolean[] expirySettled = new boolean[2];
    private final long[] recentOrders = new long[4096];
    // The generator's own record of what it sent (it never reads the engine's answers): per account the USDC-equivalent
    // funds sent, a target leverage, and per (account, instrument) the contracts it sent fills for.
    private final double[] funds;
    private final double[] openingFunds;
    private final double[] targetLeverage;
    private final double[] grossNotional;
    private final int[] contracts;
    private long time = START_NANOS;
    private long timeStep;
    private long sent;
    private long nextOrderId = 1;
    private long nextTradeId = 1;
    private long crashStart;
    private boolean crashed;
    private boolean setupSent;
    private int recentCount;

    /**
     * @param engine   a started engine with an empty journal.
     * @param accounts number of user accounts.
     * @param commands number of commands to send in total (setup included), at least the setup.
     * @param seed     random seed: the same seed gives the same command stream.
     */
    public Simulator(final ClearingEngine engine, final int accounts, final long commands, final long seed)
    {
        this(engine, engine::submit, accounts, commands, seed);
    }

    /**
     * A generator that hands each command frame to {@code sink} instead of an engine (to record the stream, or to
     * feed it elsewhere); the stream is the same as an engine's for the same arguments.
     *
     * @param sink     receives each frame; a negative result stops the run with an {@link IllegalStateException}.
     * @param accounts number of user accounts.
     * @param commands number of commands to send in total (setup included), at least the setup.
     * @param seed     random seed: the same seed gives the same command stream.
     */
    public Simulator(final CommandSink sink, final int accounts, final long commands, final long seed)
    {
        this(null, sink, accounts, commands, seed);
    }

    private Simulator(final ClearingEngine engine, final CommandSink sink, final int accounts, final long commands,
        final long seed)
    {
        this.engine = engine;
        this.sink = sink;
        this.accounts = accounts;
        this.commands = commands;
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        funds = new double[accounts];
        openingFunds = new double[accounts];
        targetLeverage = new double[accounts];
        grossNotional = new double[accounts];
        contracts = new int[accounts * 3 * PER_UNDERLYING];
    }

    /**
     * Stress settings: the insurance fund's opening balance (1e-8 USDC, default 100 USDC) and, when not negative, a
     * liquidation penalty sent as a RiskParameterUpdate at setup. An empty fund and no penalty make every
     * bankruptcy go to auto-deleveraging.
     *
     * @return this.
     */
    public Simulator stress(final long insuranceFund, final long penaltyPpm)
    {
        insuranceFundUnits = insuranceFund;
        liquidationPenaltyPpm = penaltyPpm;
        return this;
    }

    /**
     * Resumes a stream: the first {@code commands} commands are generated (the stream depends only on the seed) but
     * not sent, because the engine already has them in its journal.
     *
     * @return this.
     */
    public Simulator resumeAfter(final long commands)
    {
        skip = commands;
        return this;
    }

    /** @return commands sent so far. */
    public long sent()
    {
        return sent;
    }

    /**
     * Sends the whole stream.
     *
     * @param progress called now and then with the commands sent so far (on the calling thread).
     */
    public void run(final java.util.function.LongConsumer progress)
    {
        // The stream spans three simulated days: nine funding intervals and one expiry pass.
        timeStep = Math.max(1, (72 * HOUR) / Math.max(1, commands));
        expiries[0] = START_NANOS + 48 * HOUR;
        expiries[1] = START_NANOS + 30 * 24 * HOUR;
        crashStart = (long)(commands * CRASH_POINT);
        setup();
        long lastProgress = 0;
        while (sent < commands)
        {
            step();
            if (sent - lastProgress >= 250_000)
            {
                lastProgress = sent;
                progress.accept(sent);
            }
        }
    }

    private void setup()
    {
        asset(0, -1, 1_000_000);
        asset(1, 0, 950_000);
        asset(2, 1, 900_000);
        asset(3, 2, 800_000);
        for (int u = 0; u < UNDERLYINGS; u++)
        {
            index[u] = START_PRICE[u];
            vol[u] = VOL[u];
            final int base = u * PER_UNDERLYING;
            instrument(base, InstrumentKind.PERPETUAL, u, 0, 0);
            instrument(base + 1, InstrumentKind.FUTURE, u, 0, expiries[0]);
            instrument(base + 2, InstrumentKind.FUTURE, u, 0, expiries[1]);
            for (int k = 0; k < STRIKES.length; k++)
            {
                final long strike = price(START_PRICE[u] * STRIKES[k]);
                instrument(base + 3 + 2 * k, InstrumentKind.CALL, u, strike, expiries[0]);
                instrument(base + 4 + 2 * k, InstrumentKind.PUT, u, strike, expiries[0]);
            }
            sendIndex(u);
            for (int i = 0; i < PER_UNDERLYING; i++)
            {
                sendMark(base + i);
            }
        }
        // A fund small next to the book: a gap can exhaust it, and auto-deleveraging then takes over.
        if (insuranceFundUnits > 0)
        {
            sendDeposit(Accounts.INSURANCE_FUND, 0, insuranceFundUnits);
        }
        if (liquidationPenaltyPpm >= 0)
        {
            riskParameter.wrapAndApplyHeader(buffer, 0, header).timestamp(time)
                .parameter(io.clearing.sbe.RiskParameter.LIQUIDATION_PENALTY_PPM).underlyingId(-1)
                .value(liquidationPenaltyPpm);
            send(riskParameter.encodedLength());
        }
        sendDeposit(Accounts.LIQUIDATOR, 0, 100_000_000L * Fixed.SCALE);
        // The fixed part is sent whole; from the accounts' deposits on, the run stops at exactly `commands`.
        setupSent = true;
        for (int a = 0; a < accounts && sent < commands; a++)
        {
            final int id = Accounts.FIRST_USER_ACCOUNT + a;
            final long usdc = 500L + random.nextLong(9_500L);
            sendDeposit(id, 0, usdc * Fixed.SCALE);
            funds[a] = usdc;
            // Most traders run well inside their limit; one in eight runs up to it (and is the crash's victim).
            targetLeverage[a] = random.nextInt(8) == 0 ? 6.0 : 0.5 + 3.0 * random.nextDouble();
            if (random.nextInt(4) == 0)
            {
                final int asset = 1 + random.nextInt(3);
                sendDeposit(id, asset, (long)(5_000.0 / START_PRICE[asset - 1] * Fixed.SCALE));
                funds[a] += 5_000.0 * 0.9;
            }
            openingFunds[a] = funds[a];
        }
    }

    private void step()
    {
        if (sent >= crashStart && !crashed)
        {
            crash();
            return;
        }
        final int roll = random.nextInt(1000);
        if (roll < 560)
        {
            trade();
        }
        else if (roll < 620)
        {
            cancelRecent();
        }
        else if (roll < 880)
        {
            final int u = random.nextInt(UNDERLYINGS);
            final double move = (random.nextDouble() - 0.5) * 0.002;
            index[u] *= 1.0 + move;
            moveVol(u, move, (random.nextDouble() - 0.5) * VOL_JITTER);
            tick(u);
        }
        else if (roll < 930)
        {
            final int id = randomAccount();
            // Funding reverts to the account's opening level: top up when below it, take profits out when above, so
            // long runs do not drift every account into idle over-collateralisation.
            final int a = id - Accounts.FIRST_USER_ACCOUNT;
            if (funds[a] < openingFunds[a])
            {
                final long amount = 100L + random.nextLong(Math.max(1L, (long)(openingFunds[a] / 4)));
                sendDeposit(id, 0, amount * Fixed.SCALE);
                funds[a] += amount;
            }
            else
            {
                final long amount = 100L + random.nextLong(Math.max(1L, (long)(funds[a] / 3)));
                sendWithdrawal(id, 0, amount * Fixed.SCALE);
                funds[a] = Math.max(0, funds[a] - amount);
            }
        }
        else if (roll < 990)
        {
            sendTimeAdvance();
        }
        else
        {
            sendRiskQuery(randomAccount());
        }
    }

    /**
     * The sharp drop: every underlying gaps down 25% in one tick, then falls 4% five more times (about -40% in all),
     * every future and option of the underlying re-marked at each step. Accounts near their margin limit go bankrupt
     * through the gap: liquidation, insurance payouts and, once the fund is spent, auto-deleveraging.
     */
    private void crash()
    {
        crashed = true;
        for (int step = 0; step < 6; step++)
        {
            for (int u = 0; u < UNDERLYINGS; u++)
            {
                index[u] *= step == 0 ? 0.75 : 0.96;
                vol[u] *= step == 0 ? 1.5 : 1.05;
                sendIndex(u);
                final int base = u * PER_UNDERLYING;
                for (int i = 0; i < PER_UNDERLYING; i++)
                {
                    sendMark(base + i);
                }
            }
        }
    }

    /** Plain arithmetic only (no Math.exp): the stream must be the same on every JDK and platform. */
    private void moveVol(final int u, final double indexMove, final double jitter)
    {
        final double next = vol[u] + VOL_REVERSION * (VOL[u] - vol[u]) + vol[u] * (VOL_LEVERAGE * indexMove + jitter);
        vol[u] = Math.min(4.0 * VOL[u], Math.max(0.25 * VOL[u], next));
    }

    private void tick(final int u)
    {
        sendIndex(u);
        final int base = u * PER_UNDERLYING;
        sendMark(base + random.nextInt(3));
        sendMark(base + 3 + random.nextInt(STRIKES.length * 2));
    }

    private void trade()
    {
        final int maker = randomAccount();
        int taker = randomAccount();
        if (taker == maker)
        {
            taker = maker == Accounts.FIRST_USER_ACCOUNT ? maker + 1 : maker - 1;
        }
        final int u = random.nextInt(UNDERLYINGS);
        final int instrument = u * PER_UNDERLYING + (random.nextInt(4) == 0 ? 3 + random.nextInt(10) :
            random.nextInt(3));
        if (instrument % PER_UNDERLYING == 1 && time >= expiries[0])
        {
            return;
        }
        if (instrument % PER_UNDERLYING >= 3 && time >= expiries[0])
        {
            return;
        }
        final double mark = markOf(instrument);
        final long px = Math.max(1, price(mark * (1.0 + (random.nextDouble() - 0.5) * 0.001)));
        final long qty = 1 + random.nextInt(instrument % PER_UNDERLYING >= 3 ? 5 : 60);
        boolean takerBuys = random.nextBoolean();
        // Keep each side within its target leverage (by the generator's own record): an over-limit side only trades
        // in the direction that reduces its position, and the trade is dropped when that is impossible.
        final double tradeNotional = qty * CONTRACT_SIZE[u] / (double)Fixed.SCALE * index[u];
        final boolean makerOver = overLimit(maker, tradeNotional);
        final boolean takerOver = overLimit(taker, tradeNotional);
        if (makerOver || takerOver)
        {
            final int held = contracts[slot(takerOver ? taker : maker, instrument)];
            if (held == 0)
            {
                sendRiskQuery(takerOver ? taker : maker);
                return;
            }
            // The over-limit side reduces: a long sells, a short buys.
            final boolean overSideBuys = held < 0;
            takerBuys = takerOver ? overSideBuys : !overSideBuys;
        }
        final long makerOrder = nextOrderId++;
        final long takerOrder = nextOrderId++;
        sendOrder(makerOrder, maker, instrument, !takerBuys, px, qty);
        sendOrder(takerOrder, taker, instrument, takerBuys, px, qty);
        final long filled = random.nextInt(5) == 0 ? Math.max(1, qty / 2) : qty;
        sendFill(instrument, px, filled, makerOrder, maker, takerOrder, taker, takerBuys);
        record(taker, instrument, takerBuys ? filled : -filled);
        record(maker, instrument, takerBuys ? -filled : filled);
        if (filled < qty)
        {
            remember(makerOrder);
            remember(takerOrder);
        }
    }

    private int slot(final int accountId, final int instrument)
    {
        return (accountId - Accounts.FIRST_USER_ACCOUNT) * 3 * PER_UNDERLYING + instrument;
    }

    private boolean overLimit(final int accountId, final double tradeNotional)
    {
        final int a = accountId - Accounts.FIRST_USER_ACCOUNT;
        return grossNotional[a] + tradeNotional > targetLeverage[a] * funds[a];
    }

    private void record(final int accountId, final int instrument, final long signedContracts)
    {
        final int a = accountId - Accounts.FIRST_USER_ACCOUNT;
        final int u = instrument / PER_UNDERLYING;
        final int k = slot(accountId, instrument);
        final double perContract = CONTRACT_SIZE[u] / (double)Fixed.SCALE * START_PRICE[u];
        grossNotional[a] += (Math.abs(contracts[k] + signedContracts) - Math.abs(contracts[k])) * perContract;
        contracts[k] += (int)signedContracts;
    }

    private void remember(final long orderId)
    {
        recentOrders[recentCount % recentOrders.length] = orderId;
        recentCount++;
    }

    private void cancelRecent()
    {
        if (recentCount == 0)
        {
            sendRiskQuery(randomAccount());
            return;
        }
        final int bound = Math.min(recentCount, recentOrders.length);
        final long orderId = recentOrders[random.nextInt(bound)];
        // The owner is not tracked by the generator; a wrong guess is a realistic rejected cancel.
        sendCancel(orderId, randomAccount());
    }

    private int randomAccount()
    {
        return Accounts.FIRST_USER_ACCOUNT + random.nextInt(accounts);
    }

    private double markOf(final int instrument)
    {
        final int u = instrument / PER_UNDERLYING;
        final int local = instrument % PER_UNDERLYING;
        if (local == 0)
        {
            return index[u] * 1.0003;
        }
        if (local <= 2)
        {
            final double years = Math.max(0.0, (expiries[local - 1] - time) / (365.0 * 24 * HOUR));
            return index[u] * (1.0 + 0.05 * years);
        }
        final int k = (local - 3) / 2;
        final boolean call = (local - 3) % 2 == 0;
        final double years = Math.max(0.0, (expiries[0] - time) / (365.0 * 24 * HOUR));
        return Black76.price(call, index[u], START_PRICE[u] * STRIKES[k], years, 0.0, vol[u]);
    }

    private static long price(final double value)
    {
        return Math.round(value * Fixed.SCALE);
    }

    private void advanceTime()
    {
        time += timeStep;
        for (int e = 0; e < expiries.length; e++)
        {
            if (!expirySettled[e] && time >= expiries[e] + HOUR)
            {
                expirySettled[e] = true;
                for (int u = 0; u < UNDERLYINGS; u++)
                {
                    expiryPrice.wrapAndApplyHeader(buffer, 0, header)
                        .timestamp(time).underlyingId(u).expiryTimestamp(expiries[e]).price(price(index[u]));
                    send(expiryPrice.encodedLength());
                }
            }
        }
    }

    private void send(final int bodyLength)
    {
        if (setupSent && sent >= commands)
        {
            return;  // the last step's remaining frames (a tick's marks, the crash's, an account's second deposit)
        }
        if (sent < skip)
        {
            sent++;
            return;
        }
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + bodyLength;
        final long result = sink.submit(buffer, 0, length);
        if (result < 0)
        {
            throw new IllegalStateException("engine refused a command: " + result,
                engine == null ? null : engine.failure());
        }
        sent++;
    }

    private void asset(final int id, final int underlying, final int weightPpm)
    {
        assetDefinition.wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time).assetId(id).valuationUnderlyingId(underlying).collateralWeightPpm(weightPpm);
        send(assetDefinition.encodedLength());
    }

    private void instrument(final int id, final InstrumentKind kind, final int u, final long strike, final long expiry)
    {
        instrumentDefinition.wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time).instrumentId(id).kind(kind).underlyingId(u).settlementAssetId(0).strike(strike)
            .expiryTimestamp(expiry).contractSize(CONTRACT_SIZE[u]).makerFeePpm(-100).takerFeePpm(500);
        send(instrumentDefinition.encodedLength());
    }

    private void sendIndex(final int u)
    {
        advanceTime();
        indexPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(time).underlyingId(u).price(price(index[u]));
        send(indexPrice.encodedLength());
    }

    private void sendMark(final int instrument)
    {
        final int local = instrument % PER_UNDERLYING;
        if ((local == 1 || local >= 3) && time >= expiries[0])
        {
            return;
        }
        advanceTime();
        markPrice.wrapAndApplyHeader(buffer, 0, header).timestamp(time).instrumentId(instrument)
            .price(Math.max(0, price(markOf(instrument)))).impliedVolatility(local >= 3 ?
            vol[instrument / PER_UNDERLYING] : 0.0);
        send(markPrice.encodedLength());
    }

    private void sendDeposit(final int account, final int asset, final long amount)
    {
        advanceTime();
        deposit.wrapAndApplyHeader(buffer, 0, header).timestamp(time).accountId(account).assetId(asset).amount(amount);
        send(deposit.encodedLength());
    }

    private void sendWithdrawal(final int account, final int asset, final long amount)
    {
        advanceTime();
        withdrawal.wrapAndApplyHeader(buffer, 0, header).timestamp(time).accountId(account).assetId(asset)
            .amount(amount);
        send(withdrawal.encodedLength());
    }

    private void sendOrder(final long orderId, final int account, final int instrument, final boolean buy,
        final long px, final long qty)
    {
        advanceTime();
        newOrder.wrapAndApplyHeader(buffer, 0, header).timestamp(time).orderId(orderId).accountId(account)
            .instrumentId(instrument).side(buy ? Side.BUY : Side.SELL).price(px).quantity(qty)
            .reduceOnly(BooleanType.FALSE);
        send(newOrder.encodedLength());
    }

    private void sendCancel(final long orderId, final int account)
    {
        advanceTime();
        cancelOrder.wrapAndApplyHeader(buffer, 0, header).timestamp(time).orderId(orderId).accountId(account);
        send(cancelOrder.encodedLength());
    }

    private void sendFill(final int instrument, final long px, final long qty, final long makerOrder,
        final int maker, final long takerOrder, final int taker, final boolean takerBuys)
    {
        advanceTime();
        fill.wrapAndApplyHeader(buffer, 0, header).timestamp(time).tradeId(nextTradeId++).instrumentId(instrument)
            .price(px).quantity(qty).makerOrderId(makerOrder).makerAccountId(maker).takerOrderId(takerOrder)
            .takerAccountId(taker).takerSide(takerBuys ? Side.BUY : Side.SELL);
        send(fill.encodedLength());
    }

    private void sendTimeAdvance()
    {
        advanceTime();
        timeAdvance.wrapAndApplyHeader(buffer, 0, header).timestamp(time);
        send(timeAdvance.encodedLength());
    }

    private void sendRiskQuery(final int account)
    {
        advanceTime();
        riskQuery.wrapAndApplyHeader(buffer, 0, header).timestamp(time).accountId(account);
        send(riskQuery.encodedLength());
    }

    /** @return the seed. */
    public long seed()
    {
        return seed;
    }

    /** Where a {@link Simulator} sends its command frames, on the generator's thread. */
    @FunctionalInterface
    public interface CommandSink
    {
        /**
         * Takes one command frame; the buffer is reused once this returns, so copy what you keep.
         *
         * @param buffer holding the SBE frame.
         * @param offset of the frame.
         * @param length of the frame in bytes.
         * @return a non-negative value when taken, negative to stop the generator.
         */
        long submit(DirectBuffer buffer, int offset, int length);
    }

    /** Counts events by template id and records submit-to-delivery latency; runs on the engine thread. */
    public static final class Statistics implements EngineListener
    {
        final long[] eventCounts = new long[256];
        final Histogram latency = new Histogram(3_600_000_000_000L, 3);
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        volatile long documents;

        @Override
        public void onDocument(final long sequence, final DirectBuffer command, final int commandOffset,
            final int commandLength, final DirectBuffer events, final int eventsOffset, final int eventsLength,
            final int eventCount, final long submitNanos)
        {
            int offset = eventsOffset;
            for (int i = 0; i < eventCount; i++)
            {
                final int frameLength = events.getInt(offset, java.nio.ByteOrder.LITTLE_ENDIAN);
                header.wrap(events, offset + 4);
                final int templateId = header.templateId();
                if (templateId >= 0 && templateId < eventCounts.length)
                {
                    eventCounts[templateId]++;
                }
                offset += 4 + frameLength;
            }
            latency.recordValue(Math.max(0, Math.min(System.nanoTime() - submitNanos, latency.getHighestTrackableValue())));
            documents = sequence;
        }
    }
}
