package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CancelOrderEncoder;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.ExpirySettlementPriceEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateEncoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.TimeAdvanceEncoder;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.sbe.snapshot.EngineStateEncoder;
import io.clearing.sbe.snapshot.OrderTableEncoder;
import io.clearing.sbe.snapshot.PositionTableDecoder;
import io.clearing.sbe.snapshot.PositionTableEncoder;
import io.clearing.sbe.snapshot.PriceWatchTableEncoder;
import io.clearing.sbe.snapshot.SnapshotHeaderEncoder;
import io.clearing.settlement.EventWriter;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded random markets (from session 16's adversarial review): four collateral assets (USDC, BTC and ETH at random
 * weights, a second stablecoin one perpetual settles in), two underlyings each with a perpetual, two futures and six
 * options on a near and a far expiry (tiny contract sizes in a third of the runs, negative maker fees), 20 users and a
 * market maker, no insurance fund (bankruptcies go to auto-deleveraging). About 45 hours of index ticks with jumps,
 * marks and vols drifting, doubling, halving and going to zero, partial and reduce-only fills, resting orders and
 * cancels, deposits, withdrawals down to just above initial margin, funding, expiries and risk parameter changes.
 * After every command: no exception escapes, a rejection emits only itself and leaves the state byte for byte as
 * it was (all but the work counters and the bands its check may have refreshed), value is conserved,
 * every account's held state equals a fresh evaluation, and machines restored from snapshots at a third and two thirds
 * of the stream emit the same events byte for byte. {@code -Dmixed.seeds=N -Dmixed.base=B -Dmixed.steps=S} run more
 * (the review ran 98 seeds of 4,000-5,000 steps).
 */
final class MixedMarketFuzzTest
{
    static final long UNIT = 100_000_000L;
    static final long HOUR = 3_600_000_000_000L;
    static final long MINUTE = 60_000_000_000L;
    static final int FIRST = 20;
    static final int LAST = 39;

    static IntStream seeds()
    {
        final int n = Integer.getInteger("mixed.seeds", 4);
        final int base = Integer.getInteger("mixed.base", 0);
        return IntStream.range(base, base + n);
    }

    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
    final MessageHeaderEncoder header = new MessageHeaderEncoder();
    final EventWriter events = new EventWriter();
    ClearingStateMachine machine = new ClearingStateMachine(64, new RiskParameters());
    final List<ClearingStateMachine> restored = new ArrayList<>();
    final List<EventWriter> restoredEvents = new ArrayList<>();
    long time = 1_767_225_600_000_000_000L;
    long orderId = 1;
    long tradeId = 1;
    int commands;
    int rejections;
    String last = "";
    final java.util.TreeMap<String, Integer> reasons = new java.util.TreeMap<>();

    List<Integer> run(final int length, final String what)
    {
        last = what;
        commands++;
        final byte[] before = businessState(machine);
        try
        {
            machine.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + length, events);
        }
        catch (final Throwable t)
        {
            throw new AssertionError("exception from apply at command " + commands + " " + what, t);
        }
        final List<Integer> t = CommandHarness.forEachEvent(events, (a, b, c, d, e, f, g) -> { });
        if (t.contains(CommandRejectedDecoder.TEMPLATE_ID) || t.contains(OrderRejectedDecoder.TEMPLATE_ID))
        {
            rejections++;
            final StringBuilder why = new StringBuilder();
            CommandHarness.forEachEvent(events,
                (tt, bb, fr, len, body, bl, v) -> why.append(CommandHarness.rejection(tt, bb, body, bl, v)));
            reasons.merge(why.toString() + " " + what.split(" ")[0], 1, Integer::sum);
            assertEquals(1, t.size(), "rejection with other events: " + t + " at " + what);
            final byte[] after = businessState(machine);
            final int changed = Arrays.mismatch(before, after);
            if (changed >= 0)
            {
                fail("rejected command changed the state: " + what + " events " + t + ", first difference at " +
                    changed + " of " + before.length + " / " + after.length + " bytes: " + around(before, changed) +
                    " / " + around(after, changed));
            }
        }
        for (int i = 0; i < restored.size(); i++)
        {
            final ClearingStateMachine r = restored.get(i);
            final EventWriter w = restoredEvents.get(i);
            r.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + length, w);
            assertEquals(events.length(), w.length(), "restored machine " + i + " events length at " + what);
            for (int b = 0; b < events.length(); b++)
            {
                if (events.buffer().getByte(b) != w.buffer().getByte(b))
                {
                    fail("restored machine " + i + " events differ at byte " + b + " at " + what);
                }
            }
        }
        assertTrue(machine.ledger().checkConservation() < 0, "conservation broken at " + what);
        checkStates(what);
        return t;
    }

    void checkStates(final String what)
    {
        final long[] fresh = new long[8];
        for (int a = 0; a <= LAST; a++)
        {
            if (a < FIRST && a != 0 && a > 3)
            {
                continue;
            }
            if (!machine.accounts().inRange(a) || !machine.accounts().isOpen(a) ||
                io.clearing.settlement.Accounts.isSystem(a))
            {
                continue;
            }
            machine.evaluate(a, fresh);
            final int held = machine.accounts().state(a);
            if (held != (int)fresh[0])
            {
                fail(what + " (cmd " + commands + "): account " + a + " held " + MarginState.get((short)held) +
                    " fresh " + MarginState.get((short)fresh[0]) + " equity " + fresh[3] + " IM " + fresh[4] +
                    " MM " + fresh[5]);
            }
        }
    }

    static byte[] snapshot(final ClearingStateMachine m)
    {
        final SnapshotCodec codec = new SnapshotCodec();
        final ExpandableDirectByteBuffer b = new ExpandableDirectByteBuffer(1 << 16);
        final int length = codec.seal(b, codec.encode(m, 1, new byte[32], b));
        final byte[] bytes = new byte[length];
        b.getBytes(0, bytes);
        return bytes;
    }

    /**
     * Everything a rejected command must leave byte for byte as it was: the snapshot's content with its work counters
     * (evaluations done and triggered), content length and trailer (the content hash) left out, the position table
     * reduced to its live slots (a refused order's check takes a free slot for the order's open quantity and gives
     * it back, so the free slots' layout may change) and the price watch left out (the bands, which the evaluation
     * behind a refused order refreshes at the current prices).
     */
    static byte[] businessState(final ClearingStateMachine m)
    {
        final byte[] snapshot = snapshot(m);
        final io.clearing.sbe.snapshot.MessageHeaderEncoder header =
            new io.clearing.sbe.snapshot.MessageHeaderEncoder();
        final ExpandableDirectByteBuffer scratch = new ExpandableDirectByteBuffer(1 << 12);
        final PriceWatchTableEncoder watch = new PriceWatchTableEncoder();
        watch.wrapAndApplyHeader(scratch, 0, header);
        m.watch().writeSnapshot(watch);
        final OrderTableEncoder orders = new OrderTableEncoder();
        orders.wrapAndApplyHeader(scratch, 0, header);
        m.orders().writeSnapshot(orders);
        final PositionTableEncoder positions = new PositionTableEncoder();
        positions.wrapAndApplyHeader(scratch, 0, header);
        m.positions().writeSnapshot(positions);
        final int ordersEnd = snapshot.length - SnapshotCodec.TRAILER_LENGTH - watch.limit();
        final int positionsEnd = ordersEnd - orders.limit();
        final int positionsStart = positionsEnd - positions.limit();

        final int frame = io.clearing.sbe.snapshot.MessageHeaderEncoder.ENCODED_LENGTH;
        final byte[] prefix = Arrays.copyOf(snapshot, positionsStart);
        zero(prefix, frame + SnapshotHeaderEncoder.contentLengthEncodingOffset(), Long.BYTES);
        final int engineState = frame + SnapshotHeaderEncoder.BLOCK_LENGTH + frame;
        zero(prefix, engineState + EngineStateEncoder.evaluationsEncodingOffset(), Long.BYTES);
        zero(prefix, engineState + EngineStateEncoder.triggeredEvaluationsEncodingOffset(), Long.BYTES);

        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(prefix);
        final PositionTableDecoder table = new PositionTableDecoder().wrap(new UnsafeBuffer(snapshot),
            positionsStart + frame, PositionTableDecoder.BLOCK_LENGTH, PositionTableDecoder.SCHEMA_VERSION);
        final StringBuilder live = new StringBuilder("live ").append(table.live());
        int slot = 0;
        for (final PositionTableDecoder.SlotsDecoder row : table.slots())
        {
            if (row.accountId() != -1)
            {
                row.appendTo(live.append('|').append(slot).append(' '));
            }
            slot++;
        }
        for (final PositionTableDecoder.HoldersDecoder holders : table.holders())
        {
            holders.appendTo(live.append("|holders "));
        }
        out.writeBytes(live.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(snapshot, positionsEnd, ordersEnd - positionsEnd);
        return out.toByteArray();
    }

    private static String around(final byte[] bytes, final int at)
    {
        final int from = Math.max(0, at - 40);
        final String text = new String(bytes, from, Math.min(bytes.length - from, 120),
            java.nio.charset.StandardCharsets.ISO_8859_1);
        return text.replaceAll("[^\\p{Print}]", ".");
    }

    private static void zero(final byte[] bytes, final int from, final int length)
    {
        Arrays.fill(bytes, from, from + length, (byte)0);
    }

    void restoreCopy()
    {
        final byte[] s = snapshot(machine);
        final SnapshotCodec codec = new SnapshotCodec();
        final DirectBuffer db = new UnsafeBuffer(s);
        assertNull(codec.verify(db, s.length));
        restored.add(codec.decode(db));
        restoredEvents.add(new EventWriter());
    }

    void asset(final int id, final int underlying, final int weight)
    {
        run(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).assetId(id)
            .valuationUnderlyingId(underlying).collateralWeightPpm(weight).encodedLength(), "asset " + id);
    }

    void instrument(final int id, final InstrumentKind kind, final int u, final int asset, final long size,
        final long strike, final long expiry, final int maker, final int taker)
    {
        final List<Integer> t = run(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(id).kind(kind).underlyingId(u).settlementAssetId(asset).strike(strike)
            .expiryTimestamp(expiry).contractSize(size).makerFeePpm(maker).takerFeePpm(taker).encodedLength(),
            "instrument " + id);
        assertFalse(t.contains(CommandRejectedDecoder.TEMPLATE_ID), "instrument " + id);
    }

    void index(final int u, final long price)
    {
        run(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).underlyingId(u)
            .price(price).encodedLength(), "index " + u + " " + price);
    }

    void mark(final int id, final long price, final double vol)
    {
        run(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).instrumentId(id)
            .price(price).impliedVolatility(vol).encodedLength(), "mark " + id + " " + price + " vol " + vol);
    }

    List<Integer> deposit(final int account, final int asset, final long amount)
    {
        return run(new DepositEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).accountId(account)
            .assetId(asset).amount(amount).encodedLength(), "deposit " + account + " " + asset + " " + amount);
    }

    List<Integer> withdraw(final int account, final int asset, final long amount)
    {
        return run(new WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).accountId(account)
            .assetId(asset).amount(amount).encodedLength(), "withdraw " + account + " " + asset + " " + amount);
    }

    long order(final int account, final int id, final Side side, final long price, final long qty, final boolean ro)
    {
        final long oid = orderId++;
        final List<Integer> t = run(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .orderId(oid).accountId(account).instrumentId(id).side(side).price(price).quantity(qty)
            .reduceOnly(ro ? BooleanType.TRUE : BooleanType.FALSE).encodedLength(),
            "order " + account + " " + id + " " + side + " " + price + " x" + qty + (ro ? " RO" : ""));
        return t.contains(OrderAcceptedDecoder.TEMPLATE_ID) ? oid : -1;
    }

    void fill(final int id, final long price, final long qty, final long maker, final int makerAccount,
        final long taker, final int takerAccount, final Side takerSide)
    {
        run(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(tradeId++)
            .instrumentId(id).price(price).quantity(qty).makerOrderId(maker).makerAccountId(makerAccount)
            .takerOrderId(taker).takerAccountId(takerAccount).takerSide(takerSide).encodedLength(),
            "fill " + id + " " + price + " x" + qty + " " + makerAccount + "/" + takerAccount);
    }

    void cancel(final long oid, final int account)
    {
        run(new CancelOrderEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).orderId(oid)
            .accountId(account).encodedLength(), "cancel " + oid);
    }

    void advance()
    {
        run(new TimeAdvanceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).encodedLength(),
            "time");
    }

    void expire(final int u, final long expiry, final long price)
    {
        run(new ExpirySettlementPriceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .underlyingId(u).expiryTimestamp(expiry).price(price).encodedLength(), "expire " + u + " " + expiry);
    }

    void param(final RiskParameter p, final int u, final long value)
    {
        run(new RiskParameterUpdateEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).parameter(p)
            .underlyingId(u).value(value).encodedLength(), "param " + p + " u" + u + " " + value);
    }

    // ------------------------------------------------------------------------------------------------ market model

    final long[] index = new long[3];
    final long[] mark = new long[64];
    final double[] vol = new double[64];
    final int[] kindOf = new int[64]; // 0 none, 1 perp, 2 future, 3 call, 4 put
    final int[] underOf = new int[64];
    final long[] strikeOf = new long[64];
    final long[] expiryOf = new long[64];
    final long[] sizeOf = new long[64];
    final boolean[] settled = new boolean[64];
    final List<long[]> openOrders = new ArrayList<>(); // {orderId, account, instrument, side(1 buy), price, qty}

    long optionValue(final int id)
    {
        final long f = index[underOf[id]];
        final long k = strikeOf[id];
        final double years = Math.max(0, expiryOf[id] - time) / (365.0 * 24 * HOUR);
        final double intrinsic = kindOf[id] == 3 ? Math.max(0, f - k) : Math.max(0, k - f);
        final double tv = 0.4 * f * vol[id] * Math.sqrt(years);
        return Math.max(0, (long)(intrinsic + tv * Math.exp(-Math.abs((double)(f - k)) / (f * (vol[id] + 0.01) *
            Math.sqrt(years + 1e-9) + 1))));
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void mixedStreams(final int seed)
    {
        final SplittableRandom r = new SplittableRandom(seed * 7919L + 13);
        final long start = time;
        asset(0, -1, 1_000_000);
        asset(1, 0, 600_000 + r.nextInt(400_000));
        asset(2, 1, 500_000 + r.nextInt(500_000));
        asset(3, -1, 900_000 + r.nextInt(100_000));
        index[0] = 65_000 * UNIT;
        index[1] = 3_000 * UNIT;
        int id = 0;
        final boolean tinySizes = r.nextInt(3) == 0;
        for (int u = 0; u < 2; u++)
        {
            final long sz = tinySizes ? 1 + r.nextInt(1000) : UNIT / 1000;
            define(id++, 1, u, r.nextInt(4) == 0 ? 3 : 0, sz, 0, 0, r);
            define(id++, 2, u, 0, sz, 0, start + (3 + r.nextInt(6)) * HOUR + r.nextInt(60) * MINUTE, r);
            define(id++, 2, u, 0, sz, 0, start + 40 * HOUR, r);
            final long nearExpiry = start + (2 + r.nextInt(10)) * HOUR + r.nextInt(60) * MINUTE;
            final long farExpiry = start + (20 + r.nextInt(20)) * HOUR;
            for (int j = 0; j < 6; j++)
            {
                final long strike = index[u] + (r.nextInt(7) - 3) * index[u] / 50;
                define(id++, 3 + (j % 2), u, 0, tinySizes ? 1 + r.nextInt(100_000) : UNIT / 10, strike,
                    j < 4 ? nearExpiry : farExpiry, r);
            }
        }
        final int instrumentCount = id;
        for (int u = 0; u < 2; u++)
        {
            index(u, index[u] - UNIT);
            index(u, index[u]);
        }
        for (int i = 0; i < instrumentCount; i++)
        {
            if (kindOf[i] >= 3)
            {
                vol[i] = r.nextInt(20) == 0 ? 0.0 : 0.3 + r.nextDouble();
                mark[i] = optionValue(i);
                mark(i, mark[i] + 1, vol[i]);
            }
            else
            {
                mark[i] = index[underOf[i]] + (long)(index[underOf[i]] * 0.001 * (r.nextDouble() - 0.5));
                mark(i, mark[i] + UNIT, 0);
            }
            mark(i, mark[i], vol[i]);
        }
        // accounts: market maker 19 deep, users 20..39 with various collateral
        deposit(19, 0, 500_000_000L * UNIT);
        for (int a = FIRST; a <= LAST; a++)
        {
            deposit(a, 0, (1_000 + r.nextInt(200_000)) * UNIT);
            if (r.nextBoolean())
            {
                deposit(a, 1, (1 + r.nextInt(300)) * UNIT / 100);
            }
            if (r.nextInt(3) == 0)
            {
                deposit(a, 2, (1 + r.nextInt(300)) * UNIT / 10);
            }
            if (r.nextInt(4) == 0)
            {
                deposit(a, 3, (100 + r.nextInt(20_000)) * UNIT);
            }
        }
        final int steps = Integer.getInteger("mixed.steps", 4000);
        final long end = start + 45 * HOUR;
        final long stepNanos = (end - time) / steps;
        for (int step = 0; step < steps; step++)
        {
            if (step == steps / 3 || step == 2 * steps / 3)
            {
                restoreCopy();
            }
            time += (long)(stepNanos * 2 * r.nextDouble());
            final int k = r.nextInt(100);
            if (k < 22)
            {
                final int u = r.nextInt(2);
                final double move = r.nextInt(30) == 0 ? (r.nextDouble() - 0.5) * 0.12 : gaussian(r) * 0.002;
                index[u] = Math.max(UNIT, index[u] + (long)(index[u] * move));
                index(u, index[u]);
            }
            else if (k < 44)
            {
                final int i = r.nextInt(instrumentCount);
                if (settled[i])
                {
                    continue;
                }
                if (kindOf[i] >= 3)
                {
                    final int v = r.nextInt(40);
                    vol[i] = v == 0 ? 0.0 : v == 1 ? vol[i] * 2 + 0.1 : v == 2 ? vol[i] / 2 :
                        Math.max(0.01, Math.min(9.0, vol[i] * (1 + gaussian(r) * 0.03)));
                    mark[i] = optionValue(i);
                    mark(i, mark[i], vol[i]);
                }
                else
                {
                    mark[i] = Math.max(1, index[underOf[i]] + (long)(index[underOf[i]] * 0.003 * gaussian(r)));
                    mark(i, mark[i], 0);
                }
            }
            else if (k < 66)
            {
                trade(r, instrumentCount);
            }
            else if (k < 70 && !openOrders.isEmpty())
            {
                final long[] o = openOrders.remove(r.nextInt(openOrders.size()));
                cancel(o[0], (int)o[1]);
            }
            else if (k < 77)
            {
                final int a = FIRST + r.nextInt(LAST - FIRST + 1);
                final int asset = r.nextInt(4);
                final long[] fresh = new long[8];
                machine.evaluate(a, fresh);
                final long bal = machine.accounts().isOpen(a) ? machine.accounts().balance(a, asset) : 0;
                final long usdc = machine.accounts().isOpen(a) ? machine.accounts().balance(a, 0) : 0;
                final long target = fresh[3] - fresh[4] - fresh[6] - (long)(fresh[4] * 0.08 * r.nextDouble());
                if (r.nextInt(3) == 0 && fresh[4] > 0 && target > 0 && usdc > 0)
                {
                    withdraw(a, 0, Math.min(usdc, target));
                }
                else if (r.nextBoolean() && bal > 0)
                {
                    withdraw(a, asset, Math.max(1, (long)(bal * r.nextDouble() * r.nextDouble())));
                }
                else
                {
                    deposit(a, asset, asset == 1 ? UNIT / 10 : asset == 2 ? UNIT : 1000 * UNIT);
                }
            }
            else if (k < 87)
            {
                advance();
            }
            else if (k < 92)
            {
                // expire what is due
                for (int i = 0; i < instrumentCount; i++)
                {
                    if (!settled[i] && kindOf[i] >= 2 && expiryOf[i] <= time)
                    {
                        expire(underOf[i], expiryOf[i], index[underOf[i]]);
                        for (int j = 0; j < instrumentCount; j++)
                        {
                            if (underOf[j] == underOf[i] && expiryOf[j] == expiryOf[i] && kindOf[j] >= 2)
                            {
                                settled[j] = true;
                            }
                        }
                        openOrders.removeIf(o -> settled[(int)o[2]]);
                    }
                }
            }
            else if (k < 95)
            {
                randomParam(r);
            }
            else
            {
                advance();
            }
        }
        // determinism: final snapshots equal
        final byte[] finalA = snapshot(machine);
        for (int i = 0; i < restored.size(); i++)
        {
            assertArrayEquals(finalA, snapshot(restored.get(i)), "restored " + i + " final snapshot");
        }
        System.out.println("seed " + seed + ": commands " + commands + ", rejections " + rejections +
            ", evaluations " + machine.evaluations() + ", liquidation trades " + machine.liquidationTrades() + " " +
            reasons);
    }

    static double gaussian(final SplittableRandom r)
    {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    void define(final int id, final int kind, final int u, final int asset, final long size, final long strike,
        final long expiry, final SplittableRandom r)
    {
        kindOf[id] = kind;
        underOf[id] = u;
        strikeOf[id] = strike;
        expiryOf[id] = expiry;
        sizeOf[id] = size;
        final InstrumentKind k = kind == 1 ? InstrumentKind.PERPETUAL : kind == 2 ? InstrumentKind.FUTURE :
            kind == 3 ? InstrumentKind.CALL : InstrumentKind.PUT;
        instrument(id, k, u, asset, size, strike, expiry, r.nextInt(3) == 0 ? -100 : 200, 100 + r.nextInt(400));
    }

    void randomParam(final SplittableRandom r)
    {
        final int p = 1 + r.nextInt(13);
        final int u = RiskParameters.isPerUnderlying(p) && r.nextBoolean() ? r.nextInt(2) : -1;
        final long value;
        switch (p)
        {
            case 1: value = 80_000 + r.nextInt(200_000); break;
            case 2: value = r.nextInt(1_500_000); break;
            case 3: value = r.nextInt(500_000); break;
            case 4: value = r.nextInt(500_000); break;
            case 5: value = r.nextInt(1_000_001); break;
            case 6: case 7: case 8: value = r.nextInt(50_000); break;
            case 9: value = 1_000_000 + r.nextInt(1_000_000); break;
            case 10: value = r.nextInt(20_000); break;
            case 11: value = (1 + r.nextInt(16)) * HOUR; break;
            case 12: value = r.nextInt(10_000); break;
            default: value = r.nextInt(200_000);
        }
        param(RiskParameter.get(p), u, value);
    }

    void trade(final SplittableRandom r, final int instrumentCount)
    {
        final int i = r.nextInt(instrumentCount);
        if (settled[i] || (kindOf[i] >= 2 && expiryOf[i] <= time))
        {
            return;
        }
        final int a = FIRST + r.nextInt(LAST - FIRST + 1);
        final int b = r.nextInt(4) == 0 ? 19 : FIRST + r.nextInt(LAST - FIRST + 1);
        if (a == b)
        {
            return;
        }
        final long px = Math.max(1, mark[i] + (long)(mark[i] * 0.01 * gaussian(r)));
        final long max = kindOf[i] >= 3 ? (tinyQty(i) ? 1_000_000 : 50) : (sizeOf[i] < 1000 ? 1_000_000_000L : 3000);
        final long qty = 1 + (long)(r.nextDouble() * r.nextDouble() * max);
        final Side makerSide = r.nextBoolean() ? Side.BUY : Side.SELL;
        final Side takerSide = makerSide == Side.BUY ? Side.SELL : Side.BUY;
        // reduce-only sometimes: only for an account with an opposite position
        final boolean makerRo = r.nextInt(6) == 0;
        final boolean takerRo = r.nextInt(6) == 0;
        final long makerQty = r.nextInt(4) == 0 ? qty * 2 : qty;
        final long maker = order(a, i, makerSide, px, makerQty, makerRo);
        if (maker < 0)
        {
            return;
        }
        final long taker = order(b, i, takerSide, px, qty, takerRo);
        if (taker < 0)
        {
            openOrders.add(new long[] {maker, a, i, makerSide == Side.BUY ? 1 : 0, px, makerQty});
            return;
        }
        final long fillQty = r.nextInt(3) == 0 ? Math.max(1, qty / 2) : qty;
        fill(i, px, fillQty, maker, a, taker, b, takerSide);
        if (makerQty > fillQty)
        {
            openOrders.add(new long[] {maker, a, i, makerSide == Side.BUY ? 1 : 0, px, makerQty - fillQty});
        }
        if (qty > fillQty)
        {
            openOrders.add(new long[] {taker, b, i, takerSide == Side.BUY ? 1 : 0, px, qty - fillQty});
        }
    }

    boolean tinyQty(final int i)
    {
        return sizeOf[i] < 1_000_000;
    }
}
