package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AccountRiskQueryEncoder;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.ExpirySettledDecoder;
import io.clearing.sbe.ExpirySettlementPriceEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MarginStatusDecoder;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.Side;
import io.clearing.sbe.TimeAdvanceEncoder;
import io.clearing.sbe.TradeSettledDecoder;
import io.clearing.sbe.snapshot.EngineStateDecoder;
import io.clearing.sbe.snapshot.EngineStateEncoder;
import io.clearing.sbe.snapshot.SnapshotHeaderEncoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Limits;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Running balances no input limit bounds - the clearing house's, the counterparty of all realized P&amp;L, collects
 * from every closing trade - driven to the edge of a long with hostile but valid commands (maximal positions opened
 * high and closed at the lowest price, or the other way, many times over), then a command whose bookings would take
 * it past the edge; and sums that do not fit a long part-way through a close-out or a liquidation step. Whatever the
 * engine does, the journal must describe the state: a command it refuses changes nothing (its snapshot is the one
 * before, byte for byte, but for the counters of evaluations made), and after every command the balances, positions
 * and margin states rebuilt from the events alone are the engine's, and the ledger conserves. Each of these used to
 * throw part-way: the command was rejected with {@code ARITHMETIC_OVERFLOW}, its events dropped, and what it had done
 * before the overflow - a fill's first side, the first instrument of an expiry, the first funding, a mark, a margin
 * state, collateral sold, positions a liquidation step or a deleveraging had moved - stayed in the state, unjournaled.
 * Now a fill or an expiry that cannot be booked is refused before anything changes, and a step of what a command sets
 * off (liquidation, close-out, deleveraging, funding) that cannot be booked is not taken.
 */
final class OverflowAtomicityTest
{
    private static final long UNIT = 100_000_000L;
    private static final int USDC = 0;
    private static final int BTC = 1;
    /** Underlying of the futures that push the clearing house's balance up. */
    private static final int BOOK = 1;
    private static final long Q = Limits.MAX_QUANTITY;
    /** 0.6 USDC: {@link #Q} contracts of one unit opened at it and closed at 1e-8 lose 6e17 to the house. */
    private static final long HIGH = 60_000_000L;
    private static final long START = 1_767_225_600_000_000_000L;
    private static final long DAY = 24L * 3600L * 1_000_000_000L;
    private static final long EXPIRY = START + 30 * DAY;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final EventWriter events = new EventWriter();
    private final SnapshotCodec codec = new SnapshotCodec();
    private final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer(1 << 16);
    /** Balances, positions and margin states as the events alone tell them: what a statement or audit sees. */
    private final Map<Long, Long> journaledBalances = new HashMap<>();
    private final Map<Long, Long> journaledPositions = new HashMap<>();
    private final Map<Integer, Integer> journaledStates = new HashMap<>();
    /** Events that did not follow on from the ones before (a balance changed with no event in between). */
    private final List<String> discontinuities = new ArrayList<>();
    private ClearingStateMachine machine;
    private long time = START;
    private long orderId = 1;
    private long tradeId = 1;
    private RejectReason lastRejected;

    @BeforeEach
    void setUp()
    {
        machine = new ClearingStateMachine(1024, new RiskParameters());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(USDC).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(BTC).valuationUnderlyingId(0).collateralWeightPpm(950_000).encodedLength());
        index(0, 100_000 * UNIT);
    }

    // ------------------------------------------------------------------------------------------ fill

    @Test
    void aFillWhoseSettlementWouldOverflowTheClearingHouseIsRefusedBeforeEitherSideSettles()
    {
        pushHouseUp(1, 15);
        // Round 16, up to its closing fill: 148 bought Q at 0.6 USDC from 149, the mark fell to 1e-8.
        final int instrument = 16;
        final int x = 100 + 3 * instrument;
        defineFuture(instrument, EXPIRY);
        rich(x);
        rich(x + 1);
        rich(x + 2);
        mark(instrument, HIGH);
        trade(instrument, x + 1, Side.SELL, x, HIGH, Q);
        mark(instrument, 1);
        final long makerOrder = order(x + 2, instrument, Side.BUY, 1, Q);
        final long takerOrder = order(x, instrument, Side.SELL, 1, Q);

        // The maker (x + 2) settles first; the taker's loss of 6e17 would take the house past Long.MAX_VALUE.
        final List<Integer> answer = hostile(() -> fill(instrument, makerOrder, x + 2, takerOrder, x, Side.SELL, 1, Q));

        assertEquals(List.of(CommandRejectedDecoder.TEMPLATE_ID), answer);
        assertEquals(RejectReason.ARITHMETIC_OVERFLOW, lastRejected);
        assertEquals(0, position(x + 2, instrument), "the maker's side settled");
        assertEquals(Q, position(x, instrument));
    }

    // ------------------------------------------------------------------------------------------ expiry

    @Test
    void anExpiryWhoseSecondInstrumentWouldOverflowTheClearingHouseSettlesNone()
    {
        // Future 0 of the same expiry, defined first, settles first: its long (21) is the first holder.
        defineFuture(0, EXPIRY);
        rich(20);
        rich(21);
        mark(0, 1);
        trade(0, 21, Side.BUY, 20, 1, Q);
        pushHouseUp(1, 15);
        time = EXPIRY;

        // At 1 USDC future 0 pays 21 1e18 and takes it back from 20; future 1's first holder (104, short from
        // 0.6) loses 4e17, which the house cannot take.
        final List<Integer> answer = hostile(() -> expire(EXPIRY, UNIT));

        assertEquals(List.of(CommandRejectedDecoder.TEMPLATE_ID), answer);
        assertEquals(RejectReason.ARITHMETIC_OVERFLOW, lastRejected);
        assertFalse(machine.instruments().isSettled(0), "future 0 settled by a refused command");
        assertEquals(Q, position(21, 0));
    }

    // ------------------------------------------------------------------------------------------ liquidation

    @Test
    void aLiquidationStepTheClearingHouseCannotBookIsNotTakenAndTheMarkStillApplies()
    {
        pushHouseUp(1, 15);
        leaveHouseRoom(16, 10_000_000_000_000_000L);
        final int instrument = 7;
        final int shortHolder = 100 + 3 * instrument + 1;
        assertEquals(-Q, position(shortHolder, instrument));

        // 0.75 USDC: the short (sold at 0.6, 1.9e17 of collateral) is under maintenance margin; a quarter of it to
        // the liquidator realizes a loss of 3.75e16, more than the house can take.
        final List<Integer> answer = hostile(() -> mark(instrument, 75_000_000L));

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "refused: " + lastRejected);
        assertEquals(75_000_000L, machine.instruments().markPrice(instrument));
        assertEquals(-Q, position(shortHolder, instrument), "a step was booked past the house's balance");
        assertEquals(MarginState.LIQUIDATION.value(), machine.accounts().state(shortHolder));
        final long house = machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC);

        // Once the house has room again (a long closes at a profit of 3e17), the next evaluation liquidates it.
        final int other = 4;
        final int longHolder = 100 + 3 * other + 2;
        mark(other, 30_000_000L);
        rich(500);
        trade(other, 500, Side.BUY, longHolder, 30_000_000L, Q);
        assertTrue(machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC) < house - 200_000_000_000_000_000L);
        hostile(() -> query(shortHolder));
        assertTrue(position(shortHolder, instrument) > -Q, "the liquidation did not resume");
        assertTrue(machine.accounts().state(shortHolder) != MarginState.LIQUIDATION.value());
    }

    @Test
    void anOptionWhoseStrikeNotionalDoesNotFitALongIsStillRankedAndLiquidated()
    {
        final int underlying = 3;
        final int call = 40;
        apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(call).kind(InstrumentKind.CALL).underlyingId(underlying)
            .settlementAssetId(USDC).strike(Limits.MAX_PRICE).expiryTimestamp(START + 365 * DAY).contractSize(UNIT)
            .makerFeePpm(0).takerFeePpm(0).encodedLength());
        assertEquals(null, lastRejected);
        index(underlying, UNIT);
        // 110,000 BTC at 95% of 100,000 USDC: 1.045e18 units of collateral.
        deposit(400, BTC, 110_000 * UNIT);
        rich(401);
        markOption(call, 1, 0.5);
        // 400 writes Q calls struck at 100,000,000 USDC: Q x 1 unit x strike is 1e26 units, no long holds it.
        trade(call, 400, Side.SELL, 401, 1, Q);
        assertEquals(-Q, position(400, call));

        // At a volatility of 1000% the call is worth about the index: the writer loses 1e18 and falls under
        // maintenance margin (1.66e17), still solvent.
        final List<Integer> answer = hostile(() -> markOption(call, UNIT, 10.0));

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "refused: " + lastRejected);
        assertTrue(position(400, call) > -Q, "no liquidation step");
    }

    @Test
    void aBankruptBookWhoseGrossNotionalDoesNotFitALongIsClosedOut()
    {
        final int underlying = 2;
        for (int id = 31; id <= 35; id++)
        {
            definePerpetual(id, underlying);
            mark(id, UNIT);
        }
        // 300 holds 3e17 of collateral; 301 and 302 are rich. 300 is short 35 against 302, and holds two spreads
        // (long 31 short 32, long 33 short 34) against 301 - each leg 1e18 of notional.
        deposit(300, BTC, 30_000 * UNIT);
        rich(301);
        rich(302);
        trade(35, 302, Side.BUY, 300, UNIT, Q);
        trade(31, 301, Side.SELL, 300, UNIT, Q);
        trade(32, 301, Side.BUY, 300, UNIT, Q);
        trade(33, 301, Side.SELL, 300, UNIT, Q);
        trade(34, 301, Side.BUY, 300, UNIT, Q);
        // Both legs of each spread up to 2.2 USDC, in steps neither side's margin minds: 8.8e18 of gross notional.
        for (final long price : new long[] {150_000_000L, 220_000_000L})
        {
            for (int id = 31; id <= 34; id++)
            {
                mark(id, price);
            }
        }
        assertEquals(MarginState.HEALTHY.value(), machine.accounts().state(301));
        assertTrue(machine.accounts().state(300) != MarginState.LIQUIDATION.value());

        // 35 up to 2.2 USDC as well: 300 loses 1.2e18, is bankrupt, and its positions are worth 1.1e19.
        final List<Integer> answer = hostile(() -> mark(35, 220_000_000L));

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "refused: " + lastRejected);
        for (int id = 31; id <= 35; id++)
        {
            assertEquals(0, position(300, id), "instrument " + id + " not closed out");
        }
    }

    @Test
    void aDeleveragingTheClearingHouseCannotBookIsNotTakenAndTheLiquidatorTakesThePosition()
    {
        pushHouseDown(1, 15, HIGH);
        // 149 short Q from 0.6 with 1.9e17 of collateral, 150 long Q from 1e-8; the house 3e17 above Long.MIN_VALUE.
        pushHouseUp(16, 16);
        final long above = machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC) - Long.MIN_VALUE;
        pushHouseDown(17, 17, (above - 300_000_000_000_000_000L) / Q + 1);
        assertTrue(machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC) - Long.MIN_VALUE <
            300_000_000_000_000_000L + Q);

        // At 1 USDC 149 is bankrupt by 2e17 (after its BTC is sold) and no fund covers it: its short closes against
        // 150 at 0.8 USDC, where 149 gives up 2e17 and 150 gains 8e17 - 6e17 more than the house can pay.
        final List<Integer> answer = hostile(() -> mark(16, UNIT));

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "refused: " + lastRejected);
        assertEquals(Q, position(150, 16), "deleveraged past the house's balance");
        assertEquals(0, position(149, 16), "the liquidator did not take the position");
        assertEquals(-Q, position(Accounts.LIQUIDATOR, 16));
    }

    // ------------------------------------------------------------------------------------------ funding

    @Test
    void aFundingTheClearingHouseCannotBookIsNotPaidAndTheOthersAre()
    {
        pushHouseUp(1, 15);
        leaveHouseRoom(16, 1_000_000_000_000_000L);
        // Two perpetuals 1% over the index (funding clamped to 0.5%): each long of 9e9 pays 4.5e15 a funding.
        // On 20 the short is the first holder (paid first), on 21 the long (pays first: past the house's room).
        final long quantity = 9_000_000_000L;
        for (int id = 20; id <= 21; id++)
        {
            definePerpetual(id, BOOK);
            mark(id, 101_000_000L);
            rich(200 + 2 * id);
            rich(201 + 2 * id);
        }
        trade(20, 240, Side.SELL, 241, 101_000_000L, quantity);
        trade(21, 242, Side.BUY, 243, 101_000_000L, quantity);
        final long shortBefore = machine.accounts().balance(240, USDC);
        timeAdvance(START + 3_600_000_000_000L);

        final List<Integer> answer = hostile(() -> timeAdvance(START + 8 * 3_600_000_000_000L));

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "refused: " + lastRejected);
        assertTrue(machine.accounts().balance(240, USDC) > shortBefore, "perpetual 20's funding not paid");
        assertEquals(0, machine.accounts().balance(242, USDC), "perpetual 21's long paid past the house's room");
    }

    @Test
    void aPremiumSampleTheSumCannotTakeIsDroppedAndTheFundingsStillPaid()
    {
        for (int id = 20; id <= 21; id++)
        {
            definePerpetual(id, BOOK);
            mark(id, 101_000_000L);
            rich(200 + 2 * id);
            rich(201 + 2 * id);
        }
        trade(20, 240, Side.SELL, 241, 101_000_000L, 1_000_000L);
        trade(21, 242, Side.SELL, 243, 101_000_000L, 1_000_000L);
        timeAdvance(START + 3_600_000_000_000L);
        // Some 1e11 time advances at a 100% premium since the last funding, set directly (no test sends that many):
        // perpetual 21's sum of samples is one unit short of Long.MAX_VALUE.
        machine.instruments().samplePremium(21, Long.MAX_VALUE - machine.instruments().premiumSumE8(21) - 1);
        final long[] shorts = {machine.accounts().balance(240, USDC), machine.accounts().balance(242, USDC)};

        // Both fundings fall due: 20's is paid, then 21's sample would overflow its sum.
        final List<Integer> answer = hostile(() -> timeAdvance(START + 8 * 3_600_000_000_000L));

        assertFalse(answer.contains(CommandRejectedDecoder.TEMPLATE_ID), "refused: " + lastRejected);
        assertTrue(machine.accounts().balance(240, USDC) > shorts[0], "perpetual 20's funding not paid");
        assertTrue(machine.accounts().balance(242, USDC) > shorts[1], "perpetual 21's funding not paid");
    }

    // ------------------------------------------------------------------------------------------ the property

    /**
     * Applies a hostile command: if refused, the state must be what it was; in any case the journal must describe it.
     */
    private List<Integer> hostile(final java.util.function.Supplier<List<Integer>> command)
    {
        checkJournal();
        final byte[] before = state();
        final List<Integer> answer = command.get();
        final boolean refused = answer.contains(CommandRejectedDecoder.TEMPLATE_ID) ||
            answer.contains(OrderRejectedDecoder.TEMPLATE_ID);
        final List<String> problems = journalProblems();
        if (refused)
        {
            final byte[] after = state();
            if (!Arrays.equals(before, after))
            {
                problems.add(0, "refused (" + lastRejected + ") but changed the state: snapshot differs from byte " +
                    Arrays.mismatch(before, after) + " of " + after.length);
            }
        }
        if (!problems.isEmpty())
        {
            fail(String.join("\n", problems));
        }
        return answer;
    }

    private void checkJournal()
    {
        final List<String> problems = journalProblems();
        if (!problems.isEmpty())
        {
            fail(String.join("\n", problems));
        }
    }

    /** @return how the state differs from what its events say, empty when it does not. */
    private List<String> journalProblems()
    {
        final List<String> problems = new ArrayList<>(discontinuities);
        final int conservation = machine.ledger().checkConservation();
        if (conservation >= 0)
        {
            problems.add("asset " + conservation + " does not conserve");
        }
        final Map<Long, Long> held = new TreeMap<>();
        for (int account = 0; account < machine.accounts().capacity(); account++)
        {
            for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
            {
                final long balance = machine.accounts().balance(account, asset);
                final long journaled = journaledBalances.getOrDefault(key(account, asset), 0L);
                if (balance != journaled)
                {
                    problems.add("account " + account + " asset " + asset + ": balance " + balance +
                        ", the journal says " + journaled);
                }
            }
            final int state = machine.accounts().state(account);
            final int journaled = journaledStates.getOrDefault(account, 0);
            if (state != journaled)
            {
                problems.add("account " + account + ": state " + MarginState.get((short)state) + ", the journal says " +
                    MarginState.get((short)journaled));
            }
            for (int slot = machine.accounts().firstPosition(account); slot >= 0;
                slot = machine.positions().nextInAccount(slot))
            {
                if (machine.positions().quantity(slot) != 0)
                {
                    held.put(key(account, machine.positions().instrument(slot)), machine.positions().quantity(slot));
                }
            }
        }
        final Map<Long, Long> all = new TreeMap<>(journaledPositions);
        all.putAll(held);
        for (final long key : all.keySet())
        {
            final long position = held.getOrDefault(key, 0L);
            final long journaled = journaledPositions.getOrDefault(key, 0L);
            if (position != journaled)
            {
                problems.add("account " + (key >>> 16) + " instrument " + (key & 0xFFFF) + ": position " + position +
                    ", the journal says " + journaled);
            }
        }
        return problems;
    }

    /** The snapshot of the state, less the counters of evaluations (work done, which a refused command may do). */
    private byte[] state()
    {
        final int length = codec.encode(machine, 1, new byte[32], snapshot);
        final int engineState = io.clearing.sbe.snapshot.MessageHeaderEncoder.ENCODED_LENGTH +
            SnapshotHeaderEncoder.BLOCK_LENGTH + io.clearing.sbe.snapshot.MessageHeaderEncoder.ENCODED_LENGTH;
        assertEquals(machine.now(), new EngineStateDecoder().wrap(snapshot, engineState,
            EngineStateDecoder.BLOCK_LENGTH, EngineStateDecoder.SCHEMA_VERSION).engineTime());
        new EngineStateEncoder().wrap(snapshot, engineState).evaluations(0).triggeredEvaluations(0);
        final byte[] bytes = new byte[length];
        snapshot.getBytes(0, bytes);
        return bytes;
    }

    // ------------------------------------------------------------------------------------------ scenarios

    /**
     * Rounds {@code first..last}, one future each, the other way: account 100 + 3i buys {@link #Q} at 1e-8 from
     * 101 + 3i, the mark rises to {@code high} and it sells them to 102 + 3i there, realizing a profit of
     * Q x (high - 1e-8) that the clearing house pays.
     */
    private void pushHouseDown(final int first, final int last, final long high)
    {
        for (int instrument = first; instrument <= last; instrument++)
        {
            final int x = 100 + 3 * instrument;
            defineFuture(instrument, EXPIRY);
            rich(x);
            rich(x + 1);
            rich(x + 2);
            final long house = machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC);
            mark(instrument, 1);
            trade(instrument, x + 1, Side.SELL, x, 1, Q);
            mark(instrument, high);
            trade(instrument, x + 2, Side.BUY, x, high, Q);
            assertEquals(house - Q * (high - 1), machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC));
        }
    }

    /** A last round, on future {@code instrument}, that leaves the house {@code room} to {@code room + 1e10}. */
    private void leaveHouseRoom(final int instrument, final long room)
    {
        final long left = Long.MAX_VALUE - machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC);
        pushHouseUp(instrument, instrument, (left - room) / Q + 1);
        final long now = Long.MAX_VALUE - machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC);
        assertTrue(now >= room && now < room + Q, "room " + now);
    }

    private void pushHouseUp(final int first, final int last)
    {
        pushHouseUp(first, last, HIGH);
    }

    /**
     * Rounds {@code first..last}, one future each: account 100 + 3i buys {@link #Q} at {@code high} from 101 + 3i,
     * the mark falls to 1e-8 and it sells them to 102 + 3i there, realizing a loss of Q x (high - 1e-8) that the
     * clearing house takes. The seller (20,000 BTC of collateral) stays short from {@code high}, the buyer long
     * from 1e-8.
     */
    private void pushHouseUp(final int first, final int last, final long high)
    {
        for (int instrument = first; instrument <= last; instrument++)
        {
            final int x = 100 + 3 * instrument;
            defineFuture(instrument, EXPIRY);
            rich(x);
            deposit(x + 1, BTC, 20_000 * UNIT);
            rich(x + 2);
            final long house = machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC);
            mark(instrument, high);
            trade(instrument, x + 1, Side.SELL, x, high, Q);
            mark(instrument, 1);
            trade(instrument, x + 2, Side.BUY, x, 1, Q);
            assertEquals(house + Q * (high - 1), machine.accounts().balance(Accounts.CLEARING_HOUSE, USDC));
        }
    }

    /** 130,000 BTC at 95% of 100,000 USDC: 1.235e18 units of collateral, more than 2^60 (counted in full). */
    private void rich(final int account)
    {
        deposit(account, BTC, 130_000 * UNIT);
    }

    // ------------------------------------------------------------------------------------------ commands

    private void trade(final int instrument, final int maker, final Side makerSide, final int taker, final long price,
        final long quantity)
    {
        final Side takerSide = makerSide == Side.BUY ? Side.SELL : Side.BUY;
        final long makerOrder = order(maker, instrument, makerSide, price, quantity);
        final long takerOrder = order(taker, instrument, takerSide, price, quantity);
        fill(instrument, makerOrder, maker, takerOrder, taker, takerSide, price, quantity);
        assertEquals(null, lastRejected, "fill refused");
        checkJournal();
    }

    private long order(final int account, final int instrument, final Side side, final long price, final long quantity)
    {
        final long id = orderId++;
        final List<Integer> answer = apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).orderId(id).accountId(account).instrumentId(instrument).side(side)
            .price(price).quantity(quantity).reduceOnly(BooleanType.FALSE).encodedLength());
        assertTrue(answer.contains(OrderAcceptedDecoder.TEMPLATE_ID), "order of " + account + " answered " + answer +
            " " + lastRejected);
        return id;
    }

    private List<Integer> fill(final int instrument, final long makerOrder, final int maker, final long takerOrder,
        final int taker, final Side takerSide, final long price, final long quantity)
    {
        return apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++).tradeId(tradeId++)
            .instrumentId(instrument).price(price).quantity(quantity).makerOrderId(makerOrder).makerAccountId(maker)
            .takerOrderId(takerOrder).takerAccountId(taker).takerSide(takerSide).encodedLength());
    }

    private void defineFuture(final int id, final long expiry)
    {
        apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(id).kind(InstrumentKind.FUTURE).underlyingId(BOOK)
            .settlementAssetId(USDC).strike(0).expiryTimestamp(expiry).contractSize(UNIT).makerFeePpm(0)
            .takerFeePpm(0).encodedLength());
        assertEquals(null, lastRejected);
        indexAtOne(BOOK);
    }

    private void definePerpetual(final int id, final int underlying)
    {
        apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(id).kind(InstrumentKind.PERPETUAL).underlyingId(underlying)
            .settlementAssetId(USDC).strike(0).expiryTimestamp(0).contractSize(UNIT).makerFeePpm(0).takerFeePpm(0)
            .encodedLength());
        assertEquals(null, lastRejected);
        indexAtOne(underlying);
    }

    /** An underlying's index at 1 USDC, once an instrument defines the underlying. */
    private void indexAtOne(final int underlying)
    {
        if (machine.instruments().indexPrice(underlying) <= 0)
        {
            index(underlying, UNIT);
        }
    }

    private void index(final int underlying, final long price)
    {
        apply(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).underlyingId(underlying).price(price).encodedLength());
        assertEquals(null, lastRejected);
    }

    private List<Integer> mark(final int instrument, final long price)
    {
        return markOption(instrument, price, 0);
    }

    private List<Integer> markOption(final int instrument, final long price, final double volatility)
    {
        return apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(instrument).price(price).impliedVolatility(volatility).encodedLength());
    }

    private void deposit(final int account, final int asset, final long amount)
    {
        apply(new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(account).assetId(asset).amount(amount).encodedLength());
        assertEquals(null, lastRejected);
    }

    private List<Integer> expire(final long expiry, final long price)
    {
        return apply(new ExpirySettlementPriceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .underlyingId(BOOK).expiryTimestamp(expiry).price(price).encodedLength());
    }

    private List<Integer> timeAdvance(final long timestamp)
    {
        time = timestamp;
        return apply(new TimeAdvanceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .encodedLength());
    }

    private List<Integer> query(final int account)
    {
        return apply(new AccountRiskQueryEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .accountId(account).encodedLength());
    }

    private long position(final int account, final int instrument)
    {
        final int slot = machine.positions().find(account, instrument);
        return slot < 0 ? 0 : machine.positions().quantity(slot);
    }

    private static long key(final int account, final int other)
    {
        return ((long)account << 16) | other;
    }

    /** Applies a command and follows its events into the journaled balances, positions and states. */
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
            else if (template == BalanceChangedDecoder.TEMPLATE_ID)
            {
                final BalanceChangedDecoder change = new BalanceChangedDecoder().wrap(frames, body,
                    blockLength, version);
                final long key = key(change.accountId(), change.assetId());
                final long journaled = journaledBalances.getOrDefault(key, 0L);
                if (change.balanceBefore() != journaled)
                {
                    discontinuities.add("account " + change.accountId() + " asset " + change.assetId() + ": " +
                        change.reason() + " from " + change.balanceBefore() + ", the journal had " + journaled);
                }
                journaledBalances.put(key, change.balanceAfter());
            }
            else if (template == TradeSettledDecoder.TEMPLATE_ID)
            {
                final TradeSettledDecoder trade = new TradeSettledDecoder().wrap(frames, body, blockLength,
                    version);
                journaledPositions.put(key(trade.accountId(), trade.instrumentId()), trade.positionAfter());
            }
            else if (template == ExpirySettledDecoder.TEMPLATE_ID)
            {
                final ExpirySettledDecoder settled = new ExpirySettledDecoder().wrap(frames, body,
                    blockLength, version);
                journaledPositions.put(key(settled.accountId(), settled.instrumentId()), 0L);
            }
            else if (template == MarginStatusDecoder.TEMPLATE_ID)
            {
                final MarginStatusDecoder status = new MarginStatusDecoder().wrap(frames, body, blockLength,
                    version);
                final int journaled = journaledStates.getOrDefault(status.accountId(), 0);
                if (status.previousStateRaw() != journaled)
                {
                    discontinuities.add("account " + status.accountId() + ": state from " + status.previousState() +
                        ", the journal had " + MarginState.get((short)journaled));
                }
                journaledStates.put(status.accountId(), (int)status.stateRaw());
            }
        });
    }
}
