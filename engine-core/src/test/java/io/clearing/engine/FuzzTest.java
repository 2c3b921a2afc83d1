package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.engine.cli.Simulator;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AccountCapacityUpdateEncoder;
import io.clearing.sbe.AccountRiskQueryEncoder;
import io.clearing.sbe.AssetDefinitionDecoder;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BalanceReason;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CancelOrderDecoder;
import io.clearing.sbe.CancelOrderEncoder;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.ExpirySettlementPriceDecoder;
import io.clearing.sbe.ExpirySettlementPriceEncoder;
import io.clearing.sbe.FillDecoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceDecoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionDecoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.JournalGenesisEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceDecoder;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderDecoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderCancelledDecoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateDecoder;
import io.clearing.sbe.RiskParameterUpdateEncoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.TimeAdvanceDecoder;
import io.clearing.sbe.TradeSettledDecoder;
import io.clearing.sbe.WithdrawalDecoder;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.Limits;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded fuzz of the engine's input. Engine A runs the Simulator's valid workload (crash included) and journals it;
 * engine B is fed the same valid commands, read back from journal A, with hostile frames interleaved: random bytes,
 * truncated frames, bit flips, wrong header fields, and well-formed frames with hostile values. Every hostile frame
 * is invalid by construction (its generator knows the state from journal A's events), so the contract is exact:
 * each hostile frame is answered by exactly one CommandRejected (or OrderRejected for an order) with a reason its
 * category allows and never INTERNAL_ERROR; the valid commands produce in B byte for byte the events they produced
 * in A; B never stops, its journal audits and money is conserved.
 * Scale with {@code -Dclearing.fuzz.frames=N} hostile frames (default 100,000) and {@code -Dclearing.fuzz.seed=S}.
 */
final class FuzzTest
{
    private static final int CAPACITY = 512;
    private static final int ACCOUNTS = 300;
    private static final long COMMANDS = 40_000L;
    private static final long HOSTILE_FRAMES = Long.getLong("clearing.fuzz.frames", 100_000L);
    private static final long SEED = Long.getLong("clearing.fuzz.seed", 7L);
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private static final int LENGTH_PREFIX = 4;
    private static final int MAX_REPORTED_FAILURES = 20;

    @TempDir
    Path directory;

    @Test
    void hostileFramesAreRejectedAndLeaveTheValidStreamUnchanged()
    {
        final long startNanos = System.nanoTime();
        final Path journalA = directory.resolve("a");
        final Path journalB = directory.resolve("b");
        final long[] balancesA;
        try (ClearingEngine engineA = ClearingEngine.builder().journalDirectory(journalA).accountCapacity(CAPACITY)
            .ringSize(1 << 12).build())
        {
            engineA.start();
            final Simulator simulator = new Simulator(engineA, ACCOUNTS, COMMANDS, SEED);
            simulator.run(sent -> { });
            awaitDocuments(engineA, simulator.sent());
            assertEquals(null, engineA.failure());
            engineA.close();
            balancesA = balances(engineA.stateMachine());
        }
        final List<Recorded> valid = read(journalA);
        assertEquals(COMMANDS, valid.size());

        final int total = (int)(valid.size() + HOSTILE_FRAMES);
        final int[] validIndex = new int[total];
        final byte[] category = new byte[total];
        final long[] expected = new long[total];
        final boolean[] orderShaped = new boolean[total];
        final Shadow shadow = new Shadow();
        final Hostile hostile = new Hostile(new SplittableRandom(SEED * 31 + 17), shadow, valid);
        final ClearingEngine engineB = ClearingEngine.builder().journalDirectory(journalB).accountCapacity(CAPACITY)
            .ringSize(1 << 12).build();
        try (engineB)
        {
            engineB.start();
            final UnsafeBuffer command = new UnsafeBuffer(new byte[0]);
            int submitted = 0;
            long hostileSent = 0;
            for (int i = 0; i < valid.size(); i++)
            {
                final Recorded document = valid.get(i);
                command.wrap(document.command);
                submit(engineB, command, document.command.length);
                validIndex[submitted++] = i;
                shadow.apply(document);
                hostile.nextValid(i + 1 < valid.size() ? valid.get(i + 1) : document);
                // Hostile frames start once the setup has defined the market and funded a first user account.
                final long due = HOSTILE_FRAMES * (i + 1) / valid.size();
                while (hostileSent < due && !shadow.openUsers.isEmpty())
                {
                    final int length = hostile.next();
                    submit(engineB, hostile.frame, length);
                    validIndex[submitted] = -1;
                    category[submitted] = (byte)hostile.category.ordinal();
                    expected[submitted] = hostile.expected;
                    orderShaped[submitted] = hostile.orderShaped;
                    submitted++;
                    hostileSent++;
                }
            }
            assertEquals(total, submitted);
            awaitDocuments(engineB, total);
            assertEquals(null, engineB.failure(), "engine B stopped");
            assertTrue(engineB.isRunning(), "engine B is running");
        }
        final Verdict verdict = verify(journalB, valid, validIndex, category, expected, orderShaped);
        System.out.println(verdict.report(HOSTILE_FRAMES, valid.size(), (System.nanoTime() - startNanos) / 1e9));
        assertEquals(total, verdict.documents, "documents in journal B");
        assertEquals(0, verdict.reasons[RejectReason.INTERNAL_ERROR.value()], "INTERNAL_ERROR rejections");
        assertEquals(0, verdict.failures, verdict.messages.toString());
        assertEquals(-1, engineB.stateMachine().ledger().checkConservation(), "conservation in engine B");
        assertArrayEquals(balancesA, balances(engineB.stateMachine()), "final balances of A and B");

        final Auditor.Result audit = new Auditor(CAPACITY, new RiskParameters()).audit(journalB);
        assertTrue(audit.ok(), audit.failure());
        assertEquals(total, audit.documents());
    }

    private static void submit(final ClearingEngine engine, final UnsafeBuffer buffer, final int length)
    {
        final long result = engine.submit(buffer, 0, length);
        assertTrue(result >= 0, "engine refused a frame: " + result);
    }

    private static void awaitDocuments(final ClearingEngine engine, final long documents)
    {
        final long deadline = System.currentTimeMillis() + 60_000;
        while (engine.lastSequence() < documents && engine.failure() == null &&
            System.currentTimeMillis() < deadline)
        {
            Thread.yield();
        }
        assertEquals(documents, engine.lastSequence(), "documents journaled");
    }

    private static long[] balances(final ClearingStateMachine machine)
    {
        final long[] balances = new long[CAPACITY * Limits.MAX_ASSETS];
        for (int account = 0; account < CAPACITY; account++)
        {
            for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
            {
                balances[account * Limits.MAX_ASSETS + asset] = machine.accounts().balance(account, asset);
            }
        }
        return balances;
    }

    private static List<Recorded> read(final Path journal)
    {
        final List<Recorded> documents = new ArrayList<>();
        final JournalDocument document = new JournalDocument();
        try (JournalReader reader = new JournalReader(journal))
        {
            while (reader.next(document))
            {
                if (document.sequence() > 0)  // the genesis is the engine's, not a command
                {
                    documents.add(Recorded.of(document));
                }
            }
        }
        return documents;
    }

    private static Verdict verify(
        final Path journalB,
        final List<Recorded> valid,
        final int[] validIndex,
        final byte[] category,
        final long[] expected,
        final boolean[] orderShaped)
    {
        final Verdict verdict = new Verdict();
        final JournalDocument document = new JournalDocument();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final CommandRejectedDecoder commandRejected = new CommandRejectedDecoder();
        final OrderRejectedDecoder orderRejected = new OrderRejectedDecoder();
        final Category[] categories = Category.values();
        try (JournalReader reader = new JournalReader(journalB))
        {
            while (reader.next(document))
            {
                if (document.sequence() == 0)
                {
                    continue;  // the genesis
                }
                final int s = (int)verdict.documents++;
                if (s >= validIndex.length)
                {
                    verdict.fail("document " + (s + 1) + " beyond the frames submitted");
                    continue;
                }
                if (validIndex[s] >= 0)
                {
                    final Recorded a = valid.get(validIndex[s]);
                    final byte[] events = new byte[document.eventsLength()];
                    document.buffer().getBytes(document.eventsOffset(), events);
                    if (!java.util.Arrays.equals(a.events, events))
                    {
                        verdict.fail("valid command " + (validIndex[s] + 1) + " (template " + a.templateId() +
                            ", B sequence " + (s + 1) + "): events differ from A: A " + a.describeEvents() +
                            ", B " + Recorded.describe(events, document.eventCount()));
                    }
                    continue;
                }
                final Category kind = categories[category[s]];
                verdict.perCategory[kind.ordinal()]++;
                if (document.eventCount() != 1)
                {
                    verdict.fail(kind + " frame at B sequence " + (s + 1) + ": " + document.eventCount() +
                        " events, not one rejection");
                    continue;
                }
                final int frame = document.eventFrameOffset(document.firstEventOffset());
                header.wrap(document.buffer(), frame);
                final int reason;
                if (header.templateId() == CommandRejectedDecoder.TEMPLATE_ID)
                {
                    reason = commandRejected.wrap(document.buffer(), frame + HEADER, header.blockLength(),
                        header.version()).reasonRaw();
                }
                else if (header.templateId() == OrderRejectedDecoder.TEMPLATE_ID && orderShaped[s])
                {
                    reason = orderRejected.wrap(document.buffer(), frame + HEADER, header.blockLength(),
                        header.version()).reasonRaw();
                }
                else
                {
                    verdict.fail(kind + " frame at B sequence " + (s + 1) + " was not rejected: event template " +
                        header.templateId());
                    continue;
                }
                verdict.reasons[Math.min(reason, verdict.reasons.length - 1)]++;
                if (reason >= 64 || (expected[s] & (1L << reason)) == 0)
                {
                    verdict.fail(kind + " frame at B sequence " + (s + 1) + " rejected with " + name(reason) +
                        ", expected one of " + names(expected[s]));
                }
            }
        }
        return verdict;
    }

    private static String name(final int reason)
    {
        for (final RejectReason r : RejectReason.values())
        {
            if (r.value() == reason)
            {
                return r.name();
            }
        }
        return Integer.toString(reason);
    }

    private static String names(final long mask)
    {
        final StringBuilder names = new StringBuilder();
        for (int reason = 0; reason < 64; reason++)
        {
            if ((mask & (1L << reason)) != 0)
            {
                names.append(names.length() == 0 ? "" : ",").append(name(reason));
            }
        }
        return names.toString();
    }

    private static long mask(final RejectReason... reasons)
    {
        long mask = 0;
        for (final RejectReason reason : reasons)
        {
            mask |= 1L << reason.value();
        }
        return mask;
    }

    /** The outcome of reading journal B: counts and the first failures. */
    private static final class Verdict
    {
        final long[] reasons = new long[64];
        final long[] perCategory = new long[Category.values().length];
        final StringBuilder messages = new StringBuilder();
        long documents;
        long failures;

        void fail(final String message)
        {
            if (failures++ < MAX_REPORTED_FAILURES)
            {
                messages.append(message).append('\n');
            }
        }

        String report(final long hostile, final int valid, final double seconds)
        {
            final StringBuilder report = new StringBuilder(String.format(
                "FuzzTest: %d valid commands, %d hostile frames, %.1f s; rejection reasons:%n", valid, hostile, seconds));
            for (int reason = 0; reason < reasons.length; reason++)
            {
                if (reasons[reason] != 0)
                {
                    report.append(String.format("  %-30s %9d%n", name(reason), reasons[reason]));
                }
            }
            report.append("hostile frames by category:\n");
            for (final Category kind : Category.values())
            {
                report.append(String.format("  %-30s %9d%n", kind, perCategory[kind.ordinal()]));
            }
            return report.append("failures: ").append(failures).toString();
        }
    }

    /** One journal document of engine A: its command frame and its events region, copied. */
    private static final class Recorded
    {
        final long timestamp;
        final byte[] command;
        final byte[] events;
        final int eventCount;

        private Recorded(final long timestamp, final byte[] command, final byte[] events, final int eventCount)
        {
            this.timestamp = timestamp;
            this.command = command;
            this.events = events;
            this.eventCount = eventCount;
        }

        static Recorded of(final JournalDocument document)
        {
            final byte[] command = new byte[document.commandLength()];
            document.buffer().getBytes(document.commandOffset(), command);
            final byte[] events = new byte[document.eventsLength()];
            document.buffer().getBytes(document.eventsOffset(), events);
            return new Recorded(document.timestamp(), command, events, document.eventCount());
        }

        int templateId()
        {
            return new UnsafeBuffer(command).getShort(2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        }

        String describeEvents()
        {
            return describe(events, eventCount);
        }

        static String describe(final byte[] events, final int count)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(events);
            final StringBuilder templates = new StringBuilder("[");
            for (int i = 0, offset = 0; i < count; i++)
            {
                templates.append(i == 0 ? "" : ",")
                    .append(buffer.getShort(offset + LENGTH_PREFIX + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF);
                offset += LENGTH_PREFIX + buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            }
            return templates.append(']').toString();
        }
    }

    /**
     * What the test knows of the engine's state after each valid command, learnt from journal A alone: time, defined
     * assets and instruments, prices, open accounts, balances and open orders. The hostile generator reads it to make
     * frames the engine must reject.
     */
    private static final class Shadow
    {
        long now = Long.MIN_VALUE;
        long lastTimestamp = Long.MIN_VALUE;
        long maxOrderId;
        final boolean[] assetDefined = new boolean[Limits.MAX_ASSETS];
        final boolean[] underlyingDefined = new boolean[Limits.MAX_UNDERLYINGS];
        final long[] index = new long[Limits.MAX_UNDERLYINGS];
        final boolean[] defined = new boolean[Limits.MAX_INSTRUMENTS];
        final int[] kind = new int[Limits.MAX_INSTRUMENTS];
        final int[] underlying = new int[Limits.MAX_INSTRUMENTS];
        final long[] expiry = new long[Limits.MAX_INSTRUMENTS];
        final long[] contractSize = new long[Limits.MAX_INSTRUMENTS];
        final long[] mark = new long[Limits.MAX_INSTRUMENTS];
        final boolean[] settled = new boolean[Limits.MAX_INSTRUMENTS];
        final IntArrayList instruments = new IntArrayList();
        final boolean[] open = new boolean[CAPACITY];
        final IntArrayList openUsers = new IntArrayList();
        final IntArrayList openAccounts = new IntArrayList();
        final long[] balance = new long[CAPACITY * Limits.MAX_ASSETS];
        final LongArrayList deadOrders = new LongArrayList();
        final Long2LongHashMap orderIndex = new Long2LongHashMap(-1L);
        final int orderCapacity = (int)(COMMANDS * 2 + 16);
        final long[] orderId = new long[orderCapacity];
        final int[] orderAccount = new int[orderCapacity];
        final int[] orderInstrument = new int[orderCapacity];
        final boolean[] orderBuy = new boolean[orderCapacity];
        final long[] orderPrice = new long[orderCapacity];
        final long[] orderRemaining = new long[orderCapacity];
        int openOrders;

        private final UnsafeBuffer command = new UnsafeBuffer(new byte[0]);
        private final UnsafeBuffer events = new UnsafeBuffer(new byte[0]);
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final AssetDefinitionDecoder assetDefinition = new AssetDefinitionDecoder();
        private final InstrumentDefinitionDecoder instrumentDefinition = new InstrumentDefinitionDecoder();
        private final IndexPriceDecoder indexPrice = new IndexPriceDecoder();
        private final MarkPriceDecoder markPrice = new MarkPriceDecoder();
        private final ExpirySettlementPriceDecoder expiryPrice = new ExpirySettlementPriceDecoder();
        private final NewOrderDecoder newOrder = new NewOrderDecoder();
        private final BalanceChangedDecoder balanceChanged = new BalanceChangedDecoder();
        private final OrderAcceptedDecoder orderAccepted = new OrderAcceptedDecoder();
        private final OrderCancelledDecoder orderCancelled = new OrderCancelledDecoder();
        private final TradeSettledDecoder tradeSettled = new TradeSettledDecoder();

        Shadow()
        {
            for (int id = 0; id < Accounts.FIRST_USER_ACCOUNT; id++)
            {
                open[id] = true;
                openAccounts.addInt(id);
            }
        }

        void apply(final Recorded document)
        {
            command.wrap(document.command);
            events.wrap(document.events);
            boolean rejected = false;
            boolean orderRejected = false;
            for (int i = 0, offset = 0; i < document.eventCount; i++)
            {
                final int eventTemplate = header.wrap(events, offset + LENGTH_PREFIX).templateId();
                rejected |= eventTemplate == CommandRejectedDecoder.TEMPLATE_ID;
                orderRejected |= eventTemplate == OrderRejectedDecoder.TEMPLATE_ID;
                offset += LENGTH_PREFIX + events.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            }
            lastTimestamp = document.timestamp;
            header.wrap(command, 0);
            final int templateId = header.templateId();
            if (templateId == NewOrderDecoder.TEMPLATE_ID)
            {
                final long id = newOrder.wrap(command, HEADER, header.blockLength(), header.version()).orderId();
                maxOrderId = Math.max(maxOrderId, id);
                deadOrders.addLong(id);
            }
            if (!rejected)
            {
                // The engine's clock moves only with commands that apply: an OrderRejected leaves it too.
                if (!orderRejected)
                {
                    now = document.timestamp;
                }
                applyCommand(templateId);
            }
            for (int i = 0, offset = 0; i < document.eventCount; i++)
            {
                applyEvent(offset + LENGTH_PREFIX);
                offset += LENGTH_PREFIX + events.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            }
        }

        private void applyCommand(final int templateId)
        {
            final int blockLength = header.blockLength();
            final int version = header.version();
            switch (templateId)
            {
                case AssetDefinitionDecoder.TEMPLATE_ID:
                    assetDefinition.wrap(command, HEADER, blockLength, version);
                    assetDefined[assetDefinition.assetId()] = true;
                    if (assetDefinition.valuationUnderlyingId() >= 0)
                    {
                        underlyingDefined[assetDefinition.valuationUnderlyingId()] = true;
                    }
                    break;
                case InstrumentDefinitionDecoder.TEMPLATE_ID:
                    instrumentDefinition.wrap(command, HEADER, blockLength, version);
                    final int id = instrumentDefinition.instrumentId();
                    defined[id] = true;
                    kind[id] = instrumentDefinition.kindRaw();
                    underlying[id] = instrumentDefinition.underlyingId();
                    expiry[id] = instrumentDefinition.expiryTimestamp();
                    contractSize[id] = instrumentDefinition.contractSize();
                    underlyingDefined[underlying[id]] = true;
                    instruments.addInt(id);
                    break;
                case IndexPriceDecoder.TEMPLATE_ID:
                    indexPrice.wrap(command, HEADER, blockLength, version);
                    index[indexPrice.underlyingId()] = indexPrice.price();
                    break;
                case MarkPriceDecoder.TEMPLATE_ID:
                    markPrice.wrap(command, HEADER, blockLength, version);
                    mark[markPrice.instrumentId()] = markPrice.price();
                    break;
                case ExpirySettlementPriceDecoder.TEMPLATE_ID:
                    expiryPrice.wrap(command, HEADER, blockLength, version);
                    for (int i = 0; i < instruments.size(); i++)
                    {
                        final int instrument = instruments.getInt(i);
                        if (underlying[instrument] == expiryPrice.underlyingId() &&
                            expiry[instrument] == expiryPrice.expiryTimestamp())
                        {
                            settled[instrument] = true;
                        }
                    }
                    break;
                default:
                    break;
            }
        }

        private void applyEvent(final int frame)
        {
            header.wrap(events, frame);
            final int body = frame + HEADER;
            switch (header.templateId())
            {
                case BalanceChangedDecoder.TEMPLATE_ID:
                    balanceChanged.wrap(events, body, header.blockLength(), header.version());
                    final int account = balanceChanged.accountId();
                    balance[account * Limits.MAX_ASSETS + balanceChanged.assetId()] = balanceChanged.balanceAfter();
                    if (!open[account] && balanceChanged.reason() == BalanceReason.DEPOSIT)
                    {
                        open[account] = true;
                        openAccounts.addInt(account);
                        openUsers.addInt(account);
                    }
                    break;
                case OrderAcceptedDecoder.TEMPLATE_ID:
                    orderAccepted.wrap(events, body, header.blockLength(), header.version());
                    deadOrders.removeAt(deadOrders.size() - 1);
                    addOrder(orderAccepted.orderId(), orderAccepted.accountId(), orderAccepted.instrumentId(),
                        orderAccepted.side() == Side.BUY, orderAccepted.price(), orderAccepted.quantity());
                    break;
                case OrderCancelledDecoder.TEMPLATE_ID:
                    removeOrder(orderCancelled.wrap(events, body, header.blockLength(), header.version()).orderId());
                    break;
                case TradeSettledDecoder.TEMPLATE_ID:
                    tradeSettled.wrap(events, body, header.blockLength(), header.version());
                    final int slot = (int)orderIndex.get(tradeSettled.orderId());
                    if (tradeSettled.orderId() != 0 && slot >= 0)
                    {
                        orderRemaining[slot] = tradeSettled.orderRemaining();
                        if (tradeSettled.orderRemaining() == 0)
                        {
                            removeOrder(tradeSettled.orderId());
                        }
                    }
                    break;
                default:
                    break;
            }
        }

        private void addOrder(final long id, final int account, final int instrument, final boolean buy,
            final long price, final long quantity)
        {
            final int slot = openOrders++;
            orderId[slot] = id;
            orderAccount[slot] = account;
            orderInstrument[slot] = instrument;
            orderBuy[slot] = buy;
            orderPrice[slot] = price;
            orderRemaining[slot] = quantity;
            orderIndex.put(id, slot);
        }

        private void removeOrder(final long id)
        {
            final int slot = (int)orderIndex.remove(id);
            if (slot < 0)
            {
                return;
            }
            deadOrders.addLong(id);
            final int last = --openOrders;
            if (slot != last)
            {
                orderId[slot] = orderId[last];
                orderAccount[slot] = orderAccount[last];
                orderInstrument[slot] = orderInstrument[last];
                orderBuy[slot] = orderBuy[last];
                orderPrice[slot] = orderPrice[last];
                orderRemaining[slot] = orderRemaining[last];
                orderIndex.put(orderId[slot], slot);
            }
        }

        boolean expired(final int id)
        {
            return settled[id] || (expiry[id] != 0 && now >= expiry[id]);
        }

        /** @return whether an order or fill on the instrument passes the engine's tradability checks at {@link #now}. */
        boolean tradable(final int id)
        {
            return defined[id] && !expired(id) && index[underlying[id]] > 0 &&
                (mark[id] > 0 || kind[id] == InstrumentKind.CALL.value() || kind[id] == InstrumentKind.PUT.value());
        }
    }

    /** Kinds of hostile frame. */
    private enum Category
    {
        RANDOM_BYTES, TRUNCATED, TRAILING_BYTES, HEADER_BIT_FLIPS, BODY_BIT_FLIPS, RANDOM_BODY, WRONG_TEMPLATE,
        WRONG_SCHEMA, WRONG_VERSION, WRONG_BLOCK_LENGTH, TIME_BACKWARDS, DEPOSIT_VALUE, WITHDRAWAL_VALUE,
        WITHDRAWAL_BEYOND_BALANCE, INDEX_PRICE, MARK_PRICE, ORDER_VALUE, ORDER_TARGET, ORDER_DUPLICATE_ID,
        ORDER_REDUCE_ONLY, ORDER_BEYOND_MARGIN, ORDER_HUGE_QUANTITY, FILL_VALUE, FILL_UNKNOWN_ORDER, FILL_DEAD_ORDER,
        FILL_OVERFILL, FILL_THROUGH_LIMIT, CANCEL_UNKNOWN_ORDER, CANCEL_WRONG_OWNER, EXPIRY_PRICE, RISK_PARAMETER,
        ASSET_DEFINITION, INSTRUMENT_DEFINITION, RISK_QUERY, GENESIS, CAPACITY_UPDATE
    }

    /**
     * Generates hostile frames into {@link #frame}, each invalid by construction, with the rejection reasons its
     * construction allows in {@link #expected} (a bit per RejectReason value).
     */
    private static final class Hostile
    {
        private static final long ANY = ~(mask(RejectReason.NONE, RejectReason.INTERNAL_ERROR));
        private static final long YEAR_NANOS = 365L * 24 * 3_600_000_000_000L;
        private static final long FAR_ORDER_ID = 1L << 50;

        final UnsafeBuffer frame = new UnsafeBuffer(new byte[ClearingEngine.SLOT_CAPACITY]);
        Category category;
        long expected;
        boolean orderShaped;

        private final SplittableRandom random;
        private final Shadow shadow;
        private final List<Recorded> valid;
        private final MessageHeaderEncoder header = new MessageHeaderEncoder();
        private final DepositEncoder deposit = new DepositEncoder();
        private final WithdrawalEncoder withdrawal = new WithdrawalEncoder();
        private final IndexPriceEncoder indexPrice = new IndexPriceEncoder();
        private final MarkPriceEncoder markPrice = new MarkPriceEncoder();
        private final NewOrderEncoder newOrder = new NewOrderEncoder();
        private final FillEncoder fill = new FillEncoder();
        private final CancelOrderEncoder cancelOrder = new CancelOrderEncoder();
        private final ExpirySettlementPriceEncoder expiryPrice = new ExpirySettlementPriceEncoder();
        private final RiskParameterUpdateEncoder riskParameter = new RiskParameterUpdateEncoder();
        private final AssetDefinitionEncoder assetDefinition = new AssetDefinitionEncoder();
        private final InstrumentDefinitionEncoder instrumentDefinition = new InstrumentDefinitionEncoder();
        private final AccountRiskQueryEncoder riskQuery = new AccountRiskQueryEncoder();
        private final JournalGenesisEncoder genesis = new JournalGenesisEncoder();
        private final AccountCapacityUpdateEncoder capacityUpdate = new AccountCapacityUpdateEncoder();
        private Recorded nextValid;
        private long nextTradeId = FAR_ORDER_ID;

        Hostile(final SplittableRandom random, final Shadow shadow, final List<Recorded> valid)
        {
            this.random = random;
            this.shadow = shadow;
            this.valid = valid;
        }

        void nextValid(final Recorded document)
        {
            nextValid = document;
        }

        /** @return the length of the next hostile frame, written at offset 0 of {@link #frame}. */
        int next()
        {
            final Category[] categories = Category.values();
            category = categories[random.nextInt(categories.length)];
            orderShaped = false;
            switch (category)
            {
                case RANDOM_BYTES: return randomBytes();
                case TRUNCATED: return truncated();
                case TRAILING_BYTES: return trailingBytes();
                case HEADER_BIT_FLIPS: return headerBitFlips();
                case BODY_BIT_FLIPS: return bodyBitFlips();
                case RANDOM_BODY: return randomBody();
                case WRONG_TEMPLATE: return wrongTemplate();
                case WRONG_SCHEMA: return wrongSchema();
                case WRONG_VERSION: return wrongVersion();
                case WRONG_BLOCK_LENGTH: return wrongBlockLength();
                case TIME_BACKWARDS: return timeBackwards();
                case DEPOSIT_VALUE: return depositValue();
                case WITHDRAWAL_VALUE: return withdrawalValue();
                case WITHDRAWAL_BEYOND_BALANCE: return withdrawalBeyondBalance();
                case INDEX_PRICE: return indexPrice();
                case MARK_PRICE: return markPrice();
                case ORDER_VALUE: return orderValue();
                case ORDER_TARGET: return orderTarget();
                case ORDER_DUPLICATE_ID: return orderDuplicateId();
                case ORDER_REDUCE_ONLY: return orderReduceOnly();
                case ORDER_BEYOND_MARGIN: return orderBeyondMargin();
                case ORDER_HUGE_QUANTITY: return orderHugeQuantity();
                case FILL_VALUE: return fillValue();
                case FILL_UNKNOWN_ORDER: return fillUnknownOrder(false);
                case FILL_DEAD_ORDER: return fillUnknownOrder(true);
                case FILL_OVERFILL: return fillOpenOrders(true);
                case FILL_THROUGH_LIMIT: return fillOpenOrders(false);
                case CANCEL_UNKNOWN_ORDER: return cancelUnknownOrder();
                case CANCEL_WRONG_OWNER: return cancelWrongOwner();
                case EXPIRY_PRICE: return expiryPrice();
                case RISK_PARAMETER: return riskParameter();
                case ASSET_DEFINITION: return assetDefinition();
                case INSTRUMENT_DEFINITION: return instrumentDefinition();
                case GENESIS: return genesis();
                case CAPACITY_UPDATE: return capacityUpdate();
                default: return riskQuery();
            }
        }

        // ------------------------------------------------------------------------------------------ framing

        private int randomBytes()
        {
            final int length = random.nextInt(301);
            for (int i = 0; i < length; i++)
            {
                frame.putByte(i, (byte)random.nextInt(256));
            }
            if (length >= HEADER && frame.getShort(4, ByteOrder.LITTLE_ENDIAN) == (short)ClearingStateMachine.SCHEMA_ID)
            {
                frame.putShort(4, (short)(ClearingStateMachine.SCHEMA_ID + 1), ByteOrder.LITTLE_ENDIAN);
            }
            expected = mask(length < HEADER ? RejectReason.TRUNCATED_FRAME : RejectReason.WRONG_SCHEMA_ID);
            return length;
        }

        private int copyValid()
        {
            final Recorded source = random.nextInt(4) == 0 ? valid.get(random.nextInt(valid.size())) : nextValid;
            frame.putBytes(0, source.command);
            return source.command.length;
        }

        private int truncated()
        {
            final int length = copyValid();
            expected = mask(RejectReason.TRUNCATED_FRAME);
            return random.nextInt(length);
        }

        private int trailingBytes()
        {
            final int length = copyValid();
            final int extra = 1 + random.nextInt(300);
            for (int i = 0; i < extra; i++)
            {
                frame.putByte(length + i, (byte)random.nextInt(256));
            }
            expected = mask(RejectReason.FRAME_TOO_LONG);
            return length + extra;
        }

        private int headerBitFlips()
        {
            final int length = copyValid();
            final byte[] original = new byte[HEADER];
            frame.getBytes(0, original);
            while (true)
            {
                frame.putBytes(0, original);
                final int flips = 1 + random.nextInt(3);
                long flipped = 0;
                while (Long.bitCount(flipped) < flips)
                {
                    flipped |= 1L << random.nextInt(HEADER * 8);
                }
                for (int bit = 0; bit < HEADER * 8; bit++)
                {
                    if ((flipped & (1L << bit)) != 0)
                    {
                        frame.putByte(bit / 8, (byte)(frame.getByte(bit / 8) ^ (1 << (bit % 8))));
                    }
                }
                final RejectReason reason = headerReason();
                if (reason != null)
                {
                    expected = mask(reason);
                    return length;
                }
            }
        }

        /** @return the rejection the engine owes the header in {@link #frame}, null when the header is valid. */
        private RejectReason headerReason()
        {
            final int blockLength = frame.getShort(0, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int templateId = frame.getShort(2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int schemaId = frame.getShort(4, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int version = frame.getShort(6, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            if (schemaId != ClearingStateMachine.SCHEMA_ID)
            {
                return RejectReason.WRONG_SCHEMA_ID;
            }
            // Every version up to the schema's is read: version 2 changed no command's layout.
            if (version < 1 || version > ClearingStateMachine.SCHEMA_VERSION)
            {
                return RejectReason.UNSUPPORTED_VERSION;
            }
            final int expectedBlockLength = ClearingStateMachine.commandBlockLength(templateId);
            if (expectedBlockLength < 0)
            {
                return RejectReason.UNKNOWN_TEMPLATE;
            }
            return blockLength != expectedBlockLength ? RejectReason.WRONG_BLOCK_LENGTH : null;
        }

        /**
         * Body offset of the sign byte of a field that must be positive (or, for ids and time, not negative) in
         * every valid command of the template: setting its top bit makes the command invalid whatever else it holds.
         */
        private static int killerSignByte(final int templateId)
        {
            switch (templateId)
            {
                case AssetDefinitionDecoder.TEMPLATE_ID: return 11;        // assetId
                case InstrumentDefinitionDecoder.TEMPLATE_ID: return 11;   // instrumentId
                case DepositDecoder.TEMPLATE_ID: return 23;                // amount
                case WithdrawalDecoder.TEMPLATE_ID: return 23;             // amount
                case IndexPriceDecoder.TEMPLATE_ID: return 19;             // price
                case MarkPriceDecoder.TEMPLATE_ID: return 19;              // price
                case NewOrderDecoder.TEMPLATE_ID: return 40;               // quantity
                case CancelOrderDecoder.TEMPLATE_ID: return 15;            // orderId
                case FillDecoder.TEMPLATE_ID: return 35;                   // quantity
                case TimeAdvanceDecoder.TEMPLATE_ID: return 7;             // timestamp
                case ExpirySettlementPriceDecoder.TEMPLATE_ID: return 27;  // price
                case RiskParameterUpdateDecoder.TEMPLATE_ID: return 21;    // value
                default: return 11;                                        // AccountRiskQuery accountId
            }
        }

        private int bodyBitFlips()
        {
            final int length = copyValid();
            final int templateId = frame.getShort(2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int killer = HEADER + killerSignByte(templateId);
            frame.putByte(killer, (byte)(frame.getByte(killer) | 0x80));
            final int extra = random.nextInt(3);
            for (int i = 0; i < extra; i++)
            {
                final int bit = random.nextInt((length - HEADER) * 8);
                final int at = HEADER + bit / 8;
                if (at != killer || bit % 8 != 7)
                {
                    frame.putByte(at, (byte)(frame.getByte(at) ^ (1 << (bit % 8))));
                }
            }
            expected = ANY;
            return length;
        }

        private int randomBody()
        {
            final int templateId = 1 + random.nextInt(13);
            final int blockLength = ClearingStateMachine.commandBlockLength(templateId);
            header.wrap(frame, 0).blockLength(blockLength).templateId(templateId)
                .schemaId(ClearingStateMachine.SCHEMA_ID).version(ClearingStateMachine.SCHEMA_VERSION);
            for (int i = 0; i < blockLength; i++)
            {
                frame.putByte(HEADER + i, (byte)random.nextInt(256));
            }
            frame.putLong(HEADER, anyTime(), ByteOrder.LITTLE_ENDIAN);
            final int killer = HEADER + killerSignByte(templateId);
            frame.putByte(killer, (byte)(frame.getByte(killer) | 0x80));
            expected = ANY;
            return HEADER + blockLength;
        }

        private int wrongTemplate()
        {
            final int length = copyValid();
            int templateId;
            do
            {
                templateId = random.nextInt(3) == 0 ? 100 + random.nextInt(30) : random.nextInt(65536);
            }
            while (ClearingStateMachine.commandBlockLength(templateId) >= 0 ||
                templateId == JournalGenesisEncoder.TEMPLATE_ID);
            frame.putShort(2, (short)templateId, ByteOrder.LITTLE_ENDIAN);
            expected = mask(RejectReason.UNKNOWN_TEMPLATE);
            return length;
        }

        /** A journal genesis submitted as a command, with any content: only the engine writes one. */
        private int genesis()
        {
            genesis.wrapAndApplyHeader(frame, 0, header).timestamp(random.nextLong())
                .accountCapacity(random.nextInt()).riskParameterCount(random.nextInt());
            expected = mask(RejectReason.NOT_A_COMMAND);
            return HEADER + JournalGenesisEncoder.BLOCK_LENGTH;
        }

        /** An account capacity update that does not raise the capacity, or raises it beyond the largest table. */
        private int capacityUpdate()
        {
            final int capacity = random.nextBoolean() ?
                (int)(CAPACITY - random.nextLong((long)CAPACITY - Integer.MIN_VALUE + 1)) :
                Accounts.MAX_CAPACITY + 1 + random.nextInt(Integer.MAX_VALUE - Accounts.MAX_CAPACITY);
            capacityUpdate.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).accountCapacity(capacity);
            expected = mask(RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + AccountCapacityUpdateEncoder.BLOCK_LENGTH;
        }

        private int wrongSchema()
        {
            final int length = copyValid();
            final int schemaId = (ClearingStateMachine.SCHEMA_ID + 1 + random.nextInt(65535)) & 0xFFFF;
            frame.putShort(4, (short)schemaId, ByteOrder.LITTLE_ENDIAN);
            expected = mask(RejectReason.WRONG_SCHEMA_ID);
            return length;
        }

        private int wrongVersion()
        {
            final int length = copyValid();
            final int version = random.nextInt(4) == 0 ? 0 : 2 + random.nextInt(65534);
            frame.putShort(6, (short)version, ByteOrder.LITTLE_ENDIAN);
            expected = mask(RejectReason.UNSUPPORTED_VERSION);
            return length;
        }

        private int wrongBlockLength()
        {
            final int length = copyValid();
            final int blockLength = frame.getShort(0, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int wrong = random.nextBoolean() ? blockLength + 1 + random.nextInt(8) :
                (blockLength + 1 + random.nextInt(65535)) & 0xFFFF;
            frame.putShort(0, (short)wrong, ByteOrder.LITTLE_ENDIAN);
            expected = mask(RejectReason.WRONG_BLOCK_LENGTH);
            return random.nextBoolean() ? length : Math.min(HEADER + wrong, frame.capacity());
        }

        private int timeBackwards()
        {
            final int length = copyValid();
            final long earlier = random.nextInt(20) == 0 ? Long.MIN_VALUE :
                shadow.now - 1 - (random.nextBoolean() ? random.nextLong(1_000_000L) : random.nextLong(YEAR_NANOS));
            frame.putLong(HEADER, earlier, ByteOrder.LITTLE_ENDIAN);
            expected = mask(RejectReason.TIME_WENT_BACKWARDS);
            return length;
        }

        // ------------------------------------------------------------------------------------------ values

        /** @return the engine's time, or for a frame rejected whatever the time, sometimes a far-future time. */
        private long anyTime()
        {
            final int roll = random.nextInt(20);
            if (roll == 0)
            {
                return Long.MAX_VALUE;
            }
            if (roll <= 2)
            {
                return shadow.now + 1 + random.nextLong(100 * YEAR_NANOS);
            }
            return roll <= 4 ? shadow.lastTimestamp : shadow.now;
        }

        private int openUser()
        {
            return shadow.openUsers.isEmpty() ? Accounts.FIRST_USER_ACCOUNT :
                shadow.openUsers.getInt(random.nextInt(shadow.openUsers.size()));
        }

        private int unknownUser()
        {
            int account;
            do
            {
                account = Accounts.FIRST_USER_ACCOUNT + random.nextInt(CAPACITY - Accounts.FIRST_USER_ACCOUNT);
            }
            while (shadow.open[account]);
            return account;
        }

        private int outOfRangeAccount()
        {
            switch (random.nextInt(4))
            {
                case 0: return CAPACITY + random.nextInt(1 << 20);
                case 1: return -1 - random.nextInt(1 << 20);
                case 2: return Integer.MAX_VALUE;
                default: return Integer.MIN_VALUE;
            }
        }

        private int tradableInstrument()
        {
            for (int attempt = 0; attempt < 32 && !shadow.instruments.isEmpty(); attempt++)
            {
                final int id = shadow.instruments.getInt(random.nextInt(shadow.instruments.size()));
                if (shadow.tradable(id))
                {
                    return id;
                }
            }
            return -1;
        }

        private int tradableFuture()
        {
            for (int attempt = 0; attempt < 32 && !shadow.instruments.isEmpty(); attempt++)
            {
                final int id = shadow.instruments.getInt(random.nextInt(shadow.instruments.size()));
                if (shadow.tradable(id) && shadow.kind[id] <= InstrumentKind.FUTURE.value())
                {
                    return id;
                }
            }
            return -1;
        }

        private long positiveAbove(final long limit)
        {
            return random.nextBoolean() ? Long.MAX_VALUE : limit + 1 + random.nextLong(Long.MAX_VALUE - limit);
        }

        private long notPositive()
        {
            switch (random.nextInt(3))
            {
                case 0: return 0;
                case 1: return Long.MIN_VALUE;
                default: return -1 - random.nextLong(Long.MAX_VALUE);
            }
        }

        private long outOfRange(final long max)
        {
            return random.nextBoolean() ? notPositive() : positiveAbove(max);
        }

        private int depositValue()
        {
            final int account;
            final int asset;
            long amount = outOfRange(Limits.MAX_AMOUNT);
            switch (random.nextInt(6))
            {
                case 0: account = outOfRangeAccount(); asset = 0; break;
                case 1: account = Accounts.CLEARING_HOUSE; asset = 0; break;
                case 2: account = openUser(); asset = 4 + random.nextInt(40); break;
                case 3:
                    // Beyond the balance limit: valid on its own, invalid on top of the balance.
                    account = openUser();
                    asset = 0;
                    amount = Limits.MAX_AMOUNT - Math.max(0, shadow.balance[account * Limits.MAX_ASSETS]) + 1 +
                        random.nextLong(1_000_000L);
                    break;
                default: account = random.nextBoolean() ? openUser() : unknownUser(); asset = 0; break;
            }
            deposit.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).accountId(account).assetId(asset)
                .amount(amount);
            expected = mask(RejectReason.ID_OUT_OF_RANGE, RejectReason.SYSTEM_ACCOUNT, RejectReason.UNKNOWN_ASSET,
                RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + DepositEncoder.BLOCK_LENGTH;
        }

        private int withdrawalValue()
        {
            final int account;
            long amount = 1 + random.nextLong(Limits.MAX_AMOUNT);
            switch (random.nextInt(3))
            {
                case 0: account = outOfRangeAccount(); break;
                case 1: account = unknownUser(); break;
                default: account = openUser(); amount = outOfRange(Limits.MAX_AMOUNT); break;
            }
            withdrawal.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).accountId(account).assetId(0)
                .amount(amount);
            expected = mask(RejectReason.ID_OUT_OF_RANGE, RejectReason.UNKNOWN_ACCOUNT,
                RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + WithdrawalEncoder.BLOCK_LENGTH;
        }

        private int withdrawalBeyondBalance()
        {
            final int account = random.nextInt(4) == 0 ?
                shadow.openAccounts.getInt(1 + random.nextInt(shadow.openAccounts.size() - 1)) : openUser();
            int asset = random.nextInt(Limits.MAX_ASSETS);
            while (!shadow.assetDefined[asset])
            {
                asset = random.nextInt(Limits.MAX_ASSETS);
            }
            final long balance = Math.max(0, shadow.balance[account * Limits.MAX_ASSETS + asset]);
            final long amount = balance + 1 + (random.nextBoolean() ? 0 : random.nextLong(1_000_000_000_000L));
            withdrawal.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).accountId(account).assetId(asset)
                .amount(amount);
            expected = mask(RejectReason.INSUFFICIENT_BALANCE, RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + WithdrawalEncoder.BLOCK_LENGTH;
        }

        private int indexPrice()
        {
            int underlying = random.nextInt(Limits.MAX_UNDERLYINGS);
            long price = 1 + random.nextLong(Limits.MAX_PRICE);
            switch (random.nextInt(3))
            {
                case 0: underlying = random.nextBoolean() ? Limits.MAX_UNDERLYINGS + random.nextInt(1 << 20) :
                    -1 - random.nextInt(1 << 20); break;
                case 1:
                    while (shadow.underlyingDefined[underlying])
                    {
                        underlying = random.nextInt(Limits.MAX_UNDERLYINGS);
                    }
                    break;
                default: price = outOfRange(Limits.MAX_PRICE); break;
            }
            indexPrice.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).underlyingId(underlying)
                .price(price);
            expected = mask(RejectReason.ID_OUT_OF_RANGE, RejectReason.UNKNOWN_UNDERLYING,
                RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + IndexPriceEncoder.BLOCK_LENGTH;
        }

        private double badVolatility()
        {
            switch (random.nextInt(7))
            {
                case 0: return Double.NaN;
                case 1: return Double.longBitsToDouble(0x7FF0_0000_0000_0001L | random.nextLong() >>> 13);
                case 2: return Double.POSITIVE_INFINITY;
                case 3: return Double.NEGATIVE_INFINITY;
                case 4: return -Double.MIN_VALUE;
                case 5: return -random.nextDouble() * 1e6 - Double.MIN_VALUE;
                default: return Math.nextUp(Limits.MAX_VOLATILITY) + random.nextDouble() * 1e6;
            }
        }

        private int markPrice()
        {
            int id = shadow.instruments.getInt(random.nextInt(shadow.instruments.size()));
            long price = 1 + random.nextLong(Limits.MAX_PRICE);
            double volatility = random.nextDouble();
            switch (random.nextInt(4))
            {
                case 0:
                    do
                    {
                        id = random.nextBoolean() ? random.nextInt(Limits.MAX_INSTRUMENTS) :
                            Limits.MAX_INSTRUMENTS + random.nextInt(1 << 20);
                    }
                    while (id < Limits.MAX_INSTRUMENTS && shadow.defined[id]);
                    break;
                case 1: volatility = badVolatility(); break;
                case 2: price = random.nextBoolean() ? -1 - random.nextLong(Long.MAX_VALUE) :
                    positiveAbove(Limits.MAX_PRICE); break;
                default:
                    if (!shadow.settled[id])
                    {
                        volatility = badVolatility();
                    }
                    break;
            }
            markPrice.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).instrumentId(id).price(price)
                .impliedVolatility(volatility);
            expected = mask(RejectReason.ID_OUT_OF_RANGE, RejectReason.UNKNOWN_INSTRUMENT,
                RejectReason.ALREADY_SETTLED, RejectReason.NON_FINITE_VALUE, RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + MarkPriceEncoder.BLOCK_LENGTH;
        }

        private int order(final long timestamp, final long orderId, final int account, final int instrument,
            final boolean buy, final long price, final long quantity, final boolean reduceOnly)
        {
            newOrder.wrapAndApplyHeader(frame, 0, header).timestamp(timestamp).orderId(orderId).accountId(account)
                .instrumentId(instrument).side(buy ? Side.BUY : Side.SELL).price(price).quantity(quantity)
                .reduceOnly(reduceOnly ? BooleanType.TRUE : BooleanType.FALSE);
            return HEADER + NewOrderEncoder.BLOCK_LENGTH;
        }

        private long freshOrderId()
        {
            return FAR_ORDER_ID + random.nextLong(FAR_ORDER_ID);
        }

        /** @return an order id that was used once and is not open now: filled, cancelled or never accepted. */
        private long deadOrderId()
        {
            for (int attempt = 0; attempt < 8 && !shadow.deadOrders.isEmpty(); attempt++)
            {
                final long id = shadow.deadOrders.getLong(random.nextInt(shadow.deadOrders.size()));
                if (shadow.orderIndex.get(id) < 0)
                {
                    return id;
                }
            }
            return freshOrderId();
        }

        private long priceNear(final int instrument)
        {
            final long mark = instrument >= 0 ? shadow.mark[instrument] : 0;
            return mark > 0 ? mark : 1 + random.nextLong(Limits.MAX_PRICE);
        }

        private int orderValue()
        {
            final int instrument = tradableInstrument();
            long orderId = freshOrderId();
            long price = priceNear(instrument);
            long quantity = 1 + random.nextInt(100);
            final int length;
            switch (random.nextInt(5))
            {
                case 0: orderId = notPositive(); break;
                case 1: price = outOfRange(Limits.MAX_PRICE); break;
                case 2: quantity = outOfRange(Limits.MAX_QUANTITY); break;
                default: break;
            }
            length = order(anyTime(), orderId, openUser(), Math.max(0, instrument), random.nextBoolean(), price,
                quantity, random.nextBoolean());
            if (orderId > 0 && price > 0 && price <= Limits.MAX_PRICE && quantity > 0)
            {
                // The enums are the invalid fields.
                if (random.nextBoolean())
                {
                    frame.putByte(HEADER + NewOrderEncoder.sideEncodingOffset(),
                        (byte)(random.nextBoolean() ? 0 : 3 + random.nextInt(253)));
                }
                else
                {
                    frame.putByte(HEADER + NewOrderEncoder.reduceOnlyEncodingOffset(), (byte)(2 + random.nextInt(254)));
                }
            }
            expected = mask(RejectReason.VALUE_OUT_OF_RANGE, RejectReason.INVALID_ENUM,
                RejectReason.INSTRUMENT_EXPIRED, RejectReason.NO_PRICE, RejectReason.UNKNOWN_INSTRUMENT);
            return length;
        }

        private int orderTarget()
        {
            int account = openUser();
            int instrument = tradableInstrument();
            switch (random.nextInt(5))
            {
                case 0: account = outOfRangeAccount(); break;
                case 1: account = unknownUser(); break;
                case 2: account = 1 + random.nextInt(Accounts.FIRST_USER_ACCOUNT - 1); break;
                case 3:
                    instrument = random.nextBoolean() ? Limits.MAX_INSTRUMENTS + random.nextInt(1 << 20) :
                        -1 - random.nextInt(1 << 20);
                    break;
                default:
                    instrument = expiredOrUnknownInstrument();
                    break;
            }
            final int length = order(shadow.now, freshOrderId(), account, instrument, random.nextBoolean(),
                priceNear(instrument >= 0 && instrument < Limits.MAX_INSTRUMENTS ? instrument : -1),
                1 + random.nextInt(100), false);
            expected = mask(RejectReason.ID_OUT_OF_RANGE, RejectReason.UNKNOWN_ACCOUNT, RejectReason.SYSTEM_ACCOUNT,
                RejectReason.UNKNOWN_INSTRUMENT, RejectReason.INSTRUMENT_EXPIRED);
            return length;
        }

        private int expiredOrUnknownInstrument()
        {
            for (int attempt = 0; attempt < 16; attempt++)
            {
                final int id = shadow.instruments.getInt(random.nextInt(shadow.instruments.size()));
                if (shadow.expired(id))
                {
                    return id;
                }
            }
            int id;
            do
            {
                id = random.nextInt(Limits.MAX_INSTRUMENTS);
            }
            while (shadow.defined[id]);
            return id;
        }

        private int orderDuplicateId()
        {
            final int instrument = tradableInstrument();
            if (shadow.openOrders == 0 || instrument < 0)
            {
                return orderTarget();
            }
            final long orderId = shadow.orderId[random.nextInt(shadow.openOrders)];
            final int length = order(shadow.now, orderId, openUser(), instrument, random.nextBoolean(),
                priceNear(instrument), 1 + random.nextInt(100), random.nextBoolean());
            expected = mask(RejectReason.DUPLICATE_ID);
            return length;
        }

        private int orderReduceOnly()
        {
            final int instrument = tradableInstrument();
            if (instrument < 0)
            {
                return orderTarget();
            }
            // No account of the workload holds anywhere near this many contracts: it can only increase or flip.
            final long quantity = Limits.MAX_QUANTITY / 2 + random.nextLong(Limits.MAX_QUANTITY / 2);
            final int length = order(shadow.now, freshOrderId(), openUser(), instrument, random.nextBoolean(),
                priceNear(instrument), quantity, true);
            expected = mask(RejectReason.REDUCE_ONLY_VIOLATION);
            orderShaped = true;
            return length;
        }

        private int orderBeyondMargin()
        {
            final int instrument = tradableFuture();
            if (instrument < 0)
            {
                return orderTarget();
            }
            // About 1e9 USDC of notional: far beyond any account's equity, far below the margin arithmetic's limit.
            final double notionalPerContract = shadow.contractSize[instrument] / 1e8 * (shadow.mark[instrument] / 1e8);
            final long quantity = Math.max(1, (long)(1e9 / notionalPerContract));
            final int length = order(shadow.now, freshOrderId(), openUser(), instrument, random.nextBoolean(),
                shadow.mark[instrument], quantity, false);
            expected = mask(RejectReason.INSUFFICIENT_MARGIN, RejectReason.ACCOUNT_IN_LIQUIDATION);
            orderShaped = true;
            return length;
        }

        private int orderHugeQuantity()
        {
            final int instrument = tradableFuture();
            if (instrument < 0)
            {
                return orderTarget();
            }
            final long quantity;
            switch (random.nextInt(3))
            {
                case 0: quantity = Integer.MAX_VALUE; break;
                case 1: quantity = Limits.MAX_QUANTITY; break;
                default: quantity = Limits.MAX_QUANTITY - random.nextLong(Limits.MAX_QUANTITY / 2); break;
            }
            final int length = order(shadow.now, freshOrderId(), openUser(), instrument, random.nextBoolean(),
                shadow.mark[instrument], quantity, false);
            // Above the engine's notional bound (VALUE_OUT_OF_RANGE) or beyond any margin; either way nothing changes.
            expected = mask(RejectReason.INSUFFICIENT_MARGIN, RejectReason.ACCOUNT_IN_LIQUIDATION,
                RejectReason.ARITHMETIC_OVERFLOW, RejectReason.VALUE_OUT_OF_RANGE);
            orderShaped = true;
            return length;
        }

        private int fill(final long timestamp, final long tradeId, final int instrument, final long price,
            final long quantity, final long makerOrder, final int maker, final long takerOrder, final int taker,
            final boolean takerBuys)
        {
            fill.wrapAndApplyHeader(frame, 0, header).timestamp(timestamp).tradeId(tradeId).instrumentId(instrument)
                .price(price).quantity(quantity).makerOrderId(makerOrder).makerAccountId(maker)
                .takerOrderId(takerOrder).takerAccountId(taker).takerSide(takerBuys ? Side.BUY : Side.SELL);
            return HEADER + FillEncoder.BLOCK_LENGTH;
        }

        private int otherOpenUser(final int account)
        {
            int other = openUser();
            for (int attempt = 0; attempt < 8 && other == account; attempt++)
            {
                other = openUser();
            }
            return other == account ? unknownUser() : other;
        }

        private int fillValue()
        {
            final int instrument = Math.max(0, tradableInstrument());
            long tradeId = nextTradeId++;
            final int maker = openUser();
            int taker = otherOpenUser(maker);
            long price = priceNear(instrument);
            long quantity = 1 + random.nextInt(10);
            long makerOrder = freshOrderId();
            switch (random.nextInt(6))
            {
                case 0: tradeId = notPositive(); break;
                case 1: taker = maker; break;
                case 2: makerOrder = -makerOrder; taker = random.nextBoolean() ? outOfRangeAccount() : unknownUser();
                    break;
                case 3: price = outOfRange(Limits.MAX_PRICE); break;
                case 4: quantity = outOfRange(Limits.MAX_QUANTITY); break;
                default: break;
            }
            final long takerOrder = random.nextInt(8) == 0 ? makerOrder : freshOrderId();
            final int length = fill(anyTime(), tradeId, instrument, price, quantity, makerOrder, maker, takerOrder,
                taker, random.nextBoolean());
            if (random.nextInt(4) == 0)
            {
                frame.putByte(HEADER + FillEncoder.takerSideEncodingOffset(),
                    (byte)(random.nextBoolean() ? 0 : 3 + random.nextInt(253)));
            }
            // Unless a field above is invalid, the orders are never-used ids.
            expected = mask(RejectReason.VALUE_OUT_OF_RANGE, RejectReason.SELF_TRADE, RejectReason.ID_OUT_OF_RANGE,
                RejectReason.UNKNOWN_ACCOUNT, RejectReason.INVALID_ENUM, RejectReason.INSTRUMENT_EXPIRED,
                RejectReason.NO_PRICE, RejectReason.UNKNOWN_INSTRUMENT, RejectReason.UNKNOWN_ORDER);
            return length;
        }

        private int fillUnknownOrder(final boolean dead)
        {
            final int instrument = tradableInstrument();
            if (instrument < 0)
            {
                return fillValue();
            }
            final long unknown = dead ? deadOrderId() : freshOrderId();
            final int maker = openUser();
            final int taker = otherOpenUser(maker);
            long other = shadow.openOrders > 0 && random.nextBoolean() ?
                shadow.orderId[random.nextInt(shadow.openOrders)] : freshOrderId();
            if (other == unknown)
            {
                other = unknown + 1;
            }
            final boolean unknownIsMaker = random.nextBoolean();
            final int length = fill(shadow.now, nextTradeId++, instrument, priceNear(instrument),
                1 + random.nextInt(10), unknownIsMaker ? unknown : other, maker, unknownIsMaker ? other : unknown,
                taker, random.nextBoolean());
            expected = mask(RejectReason.UNKNOWN_ORDER, RejectReason.UNKNOWN_ACCOUNT);
            return length;
        }

        private int fillOpenOrders(final boolean overfill)
        {
            if (shadow.openOrders < 2)
            {
                return fillUnknownOrder(true);
            }
            final int maker = random.nextInt(shadow.openOrders);
            int taker = random.nextInt(shadow.openOrders);
            for (int attempt = 0; attempt < 64; attempt++)
            {
                final int candidate = random.nextInt(shadow.openOrders);
                if (shadow.orderInstrument[candidate] == shadow.orderInstrument[maker] &&
                    shadow.orderBuy[candidate] != shadow.orderBuy[maker] &&
                    shadow.orderAccount[candidate] != shadow.orderAccount[maker])
                {
                    taker = candidate;
                    break;
                }
            }
            final boolean takerBuys = shadow.orderBuy[taker];
            final long buyLimit = shadow.orderPrice[takerBuys ? taker : maker];
            final long sellLimit = shadow.orderPrice[takerBuys ? maker : taker];
            final long remaining = Math.min(shadow.orderRemaining[maker], shadow.orderRemaining[taker]);
            final long quantity;
            final long price;
            if (overfill)
            {
                quantity = remaining + 1 + random.nextInt(10);
                price = buyLimit;
            }
            else
            {
                quantity = 1 + random.nextLong(remaining);
                price = random.nextBoolean() || sellLimit <= 1 ? buyLimit + 1 + random.nextLong(1_000_000_000L) :
                    sellLimit - 1 - random.nextLong(sellLimit - 1);
            }
            final int length = fill(shadow.now, nextTradeId++, shadow.orderInstrument[maker], price, quantity,
                shadow.orderId[maker], shadow.orderAccount[maker], shadow.orderId[taker], shadow.orderAccount[taker],
                takerBuys);
            expected = mask(overfill ? RejectReason.OVERFILL : RejectReason.PRICE_THROUGH_LIMIT,
                RejectReason.ORDER_MISMATCH, RejectReason.SELF_TRADE, RejectReason.INSTRUMENT_EXPIRED,
                RejectReason.NO_PRICE, RejectReason.VALUE_OUT_OF_RANGE);
            return length;
        }

        private int cancelUnknownOrder()
        {
            final long orderId;
            switch (random.nextInt(3))
            {
                case 0: orderId = notPositive(); break;
                case 1: orderId = freshOrderId(); break;
                default: orderId = deadOrderId(); break;
            }
            cancelOrder.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).orderId(orderId)
                .accountId(random.nextBoolean() ? openUser() : outOfRangeAccount());
            expected = mask(RejectReason.UNKNOWN_ORDER);
            return HEADER + CancelOrderEncoder.BLOCK_LENGTH;
        }

        private int cancelWrongOwner()
        {
            if (shadow.openOrders == 0)
            {
                return cancelUnknownOrder();
            }
            final int slot = random.nextInt(shadow.openOrders);
            final int owner = shadow.orderAccount[slot];
            final int account = random.nextBoolean() ? otherOpenUser(owner) :
                owner + 1 + random.nextInt(Integer.MAX_VALUE - owner);
            cancelOrder.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).orderId(shadow.orderId[slot])
                .accountId(account);
            expected = mask(RejectReason.ORDER_MISMATCH);
            return HEADER + CancelOrderEncoder.BLOCK_LENGTH;
        }

        private int expiryPrice()
        {
            final int instrument = shadow.instruments.getInt(random.nextInt(shadow.instruments.size()));
            int underlying = shadow.underlying[instrument];
            long expiry = shadow.now + 1 + random.nextLong(YEAR_NANOS);
            long price = 1 + random.nextLong(Limits.MAX_PRICE);
            switch (random.nextInt(5))
            {
                case 0:
                    // An expiry already past that no instrument of the underlying has.
                    expiry = 1 + random.nextLong(shadow.now);
                    for (int i = 0; i < shadow.instruments.size(); i++)
                    {
                        if (shadow.expiry[shadow.instruments.getInt(i)] == expiry)
                        {
                            expiry = -expiry;
                        }
                    }
                    break;
                case 1:
                    if (shadow.settled[instrument])
                    {
                        expiry = shadow.expiry[instrument];
                    }
                    break;
                case 2:
                    do
                    {
                        underlying = random.nextInt(Limits.MAX_UNDERLYINGS + 64) - 32;
                    }
                    while (underlying >= 0 && underlying < Limits.MAX_UNDERLYINGS &&
                        shadow.underlyingDefined[underlying]);
                    break;
                case 3: price = outOfRange(Limits.MAX_PRICE); break;
                default: break;
            }
            expiryPrice.wrapAndApplyHeader(frame, 0, header).timestamp(shadow.now).underlyingId(underlying)
                .expiryTimestamp(expiry).price(price);
            expected = mask(RejectReason.NOT_EXPIRED, RejectReason.UNKNOWN_INSTRUMENT, RejectReason.ALREADY_SETTLED,
                RejectReason.ID_OUT_OF_RANGE, RejectReason.UNKNOWN_UNDERLYING, RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + ExpirySettlementPriceEncoder.BLOCK_LENGTH;
        }

        private int riskParameter()
        {
            riskParameter.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime())
                .parameter(RiskParameter.PRICE_RANGE_PPM).underlyingId(-1).value(0);
            int parameter = 1 + random.nextInt(RiskParameters.MAX_PARAMETER);
            int underlying = -1;
            long value = random.nextBoolean() ? -1 - random.nextLong(Long.MAX_VALUE) :
                1_000_000_000_000_000L + random.nextLong(Long.MAX_VALUE - 1_000_000_000_000_000L);
            switch (random.nextInt(3))
            {
                case 0:
                    parameter = random.nextBoolean() ? 0 : RiskParameters.MAX_PARAMETER + 1 + random.nextInt(65000);
                    value = random.nextLong();
                    break;
                case 1:
                    // A per-underlying range for a global parameter, or an underlying out of range.
                    parameter = RiskParameter.EXTREME_MOVE_PPM.value() + random.nextInt(10);
                    underlying = random.nextInt(Limits.MAX_UNDERLYINGS);
                    value = 100_000;
                    break;
                default: break;
            }
            frame.putShort(HEADER + RiskParameterUpdateEncoder.parameterEncodingOffset(), (short)parameter,
                ByteOrder.LITTLE_ENDIAN);
            frame.putInt(HEADER + RiskParameterUpdateEncoder.underlyingIdEncodingOffset(), underlying,
                ByteOrder.LITTLE_ENDIAN);
            frame.putLong(HEADER + RiskParameterUpdateEncoder.valueEncodingOffset(), value, ByteOrder.LITTLE_ENDIAN);
            expected = mask(RejectReason.INVALID_ENUM, RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + RiskParameterUpdateEncoder.BLOCK_LENGTH;
        }

        private int assetDefinition()
        {
            int asset = 4 + random.nextInt(Limits.MAX_ASSETS - 4);
            int valuation = random.nextInt(Limits.MAX_UNDERLYINGS + 1) - 1;
            int weight = random.nextInt(1_000_001);
            switch (random.nextInt(4))
            {
                case 0: asset = random.nextInt(Limits.MAX_ASSETS); while (!shadow.assetDefined[asset])
                    {
                        asset = random.nextInt(Limits.MAX_ASSETS);
                    }
                    break;
                case 1: asset = random.nextBoolean() ? Limits.MAX_ASSETS + random.nextInt(1 << 20) :
                    -1 - random.nextInt(1 << 20); break;
                case 2: valuation = random.nextBoolean() ? Limits.MAX_UNDERLYINGS + random.nextInt(1 << 20) :
                    -2 - random.nextInt(1 << 20); break;
                default: weight = random.nextBoolean() ? 1_000_001 + random.nextInt(Integer.MAX_VALUE - 1_000_001) :
                    -1 - random.nextInt(Integer.MAX_VALUE); break;
            }
            assetDefinition.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime()).assetId(asset)
                .valuationUnderlyingId(valuation).collateralWeightPpm(weight);
            expected = mask(RejectReason.DUPLICATE_ID, RejectReason.ID_OUT_OF_RANGE, RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + AssetDefinitionEncoder.BLOCK_LENGTH;
        }

        private int instrumentDefinition()
        {
            int id;
            do
            {
                id = random.nextInt(Limits.MAX_INSTRUMENTS);
            }
            while (shadow.defined[id]);
            final InstrumentKind[] kinds = {InstrumentKind.PERPETUAL, InstrumentKind.FUTURE, InstrumentKind.CALL,
                InstrumentKind.PUT};
            final InstrumentKind kind = kinds[random.nextInt(kinds.length)];
            final boolean dated = kind != InstrumentKind.PERPETUAL;
            final boolean option = kind == InstrumentKind.CALL || kind == InstrumentKind.PUT;
            int kindRaw = kind.value();
            int underlying = random.nextInt(Limits.MAX_UNDERLYINGS);
            int asset = 0;
            long strike = option ? 1 + random.nextLong(Limits.MAX_PRICE) : 0;
            long expiry = dated ? shadow.now + 1 + random.nextLong(YEAR_NANOS) : 0;
            long size = 1 + random.nextLong(Limits.MAX_CONTRACT_SIZE);
            int makerFee = random.nextInt(2 * Limits.MAX_FEE_PPM + 1) - Limits.MAX_FEE_PPM;
            final int takerFee = Math.max(-makerFee, 0) + random.nextInt(Limits.MAX_FEE_PPM + 1 -
                Math.max(-makerFee, 0));
            switch (random.nextInt(9))
            {
                case 0: id = shadow.instruments.getInt(random.nextInt(shadow.instruments.size())); break;
                case 1: id = random.nextBoolean() ? Limits.MAX_INSTRUMENTS + random.nextInt(1 << 20) :
                    -1 - random.nextInt(1 << 20); break;
                case 2: kindRaw = random.nextBoolean() ? 0 : 5 + random.nextInt(251); break;
                case 3: underlying = random.nextBoolean() ? Limits.MAX_UNDERLYINGS + random.nextInt(1 << 20) :
                    -1 - random.nextInt(1 << 20); break;
                case 4: asset = shadow.assetDefined[1] && random.nextBoolean() ? 1 : 4 + random.nextInt(100); break;
                case 5: size = outOfRange(Limits.MAX_CONTRACT_SIZE); break;
                case 6: makerFee = random.nextBoolean() ? Limits.MAX_FEE_PPM + 1 + random.nextInt(1 << 20) :
                    -Limits.MAX_FEE_PPM - 1 - random.nextInt(1 << 20); break;
                case 7:
                    if (option)
                    {
                        strike = random.nextBoolean() ? notPositive() : positiveAbove(Limits.MAX_PRICE);
                    }
                    else
                    {
                        strike = 1 + random.nextLong(Limits.MAX_PRICE);
                    }
                    break;
                default:
                    expiry = dated ? shadow.now - random.nextLong(YEAR_NANOS) : 1 + random.nextLong(Long.MAX_VALUE - 1);
                    break;
            }
            instrumentDefinition.wrapAndApplyHeader(frame, 0, header).timestamp(shadow.now).instrumentId(id)
                .kind(kind).underlyingId(underlying).settlementAssetId(asset).strike(strike).expiryTimestamp(expiry)
                .contractSize(size).makerFeePpm(makerFee).takerFeePpm(takerFee);
            frame.putByte(HEADER + InstrumentDefinitionEncoder.kindEncodingOffset(), (byte)kindRaw);
            expected = mask(RejectReason.DUPLICATE_ID, RejectReason.ID_OUT_OF_RANGE, RejectReason.INVALID_ENUM,
                RejectReason.UNKNOWN_ASSET, RejectReason.INVALID_DEFINITION, RejectReason.VALUE_OUT_OF_RANGE);
            return HEADER + InstrumentDefinitionEncoder.BLOCK_LENGTH;
        }

        private int riskQuery()
        {
            riskQuery.wrapAndApplyHeader(frame, 0, header).timestamp(anyTime())
                .accountId(random.nextBoolean() ? outOfRangeAccount() : unknownUser());
            expected = mask(RejectReason.ID_OUT_OF_RANGE, RejectReason.UNKNOWN_ACCOUNT);
            return HEADER + AccountRiskQueryEncoder.BLOCK_LENGTH;
        }
    }
}
