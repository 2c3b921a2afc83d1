package io.clearing.benchmarks;

import io.clearing.margin.MarginCalculator;
import io.clearing.margin.RiskParameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Margin recompute of one account with N positions over 3 risk units, on {@link MarginCalculator} directly (no
 * state machine, no ledger): {@code begin()}, one {@code add(id, quantity, openBuy, openSell)} per position,
 * {@code finish()}, and the initial margin with orders as the result. Also the per-option Greeks refresh an index
 * tick costs, {@link MarginCalculator#updateOption}.
 * <p>
 * The account: position k is on instrument k, underlying k mod 3 (forwards 60,000, 3,000 and 150; so N = 1 touches
 * one risk unit, N &gt;= 3 all three). Within an underlying, its j-th instrument (j = k / 3) is the perpetual for
 * j = 0, a dated future for j mod 5 = 1, and otherwise a call (j odd) or put (j even) with strike 70%..130% of the
 * forward in 5% steps; dated instruments expire 7, 30, 91 or 182 days after the fixed engine time. Implied
 * volatility 50%..80% by strike and expiry. Seeded quantities: -20..20 contracts without 0, an open buy of 1..10
 * with odds 1/3 and an open sell of 1..10 with odds 1/3, independently.
 * <p>
 * Variants: {@code recomputeHotPath} (the engine's pre-trade evaluation: risk arrays, i.e. full revaluation per
 * instrument combined per position, with the open orders' riskiest side, isolated margin off),
 * {@code recomputePositionsOnly} (the engine's evaluation after fills, ticks and payments: the same without the open
 * orders), {@code recomputeWithIsolated} (the pre-trade evaluation plus the isolated margin, as for reports) and
 * {@code recomputeExpansion} (the delta-gamma-vega expansion mode, with orders, isolated margin off).
 * {@code refreshOptionGreeks} is the per-option work after an index tick, paid at the option's first use: Black-76
 * Greeks and the 29-scenario risk array. Risk rows (the engine's way): {@code recomputeFromRows} (an evaluation from
 * current rows, with orders), {@code fillThenRecomputeFromRows} (one position changed, its row kept exactly, then the
 * evaluation) and {@code tickThenRebuildRow} (a mark tick on unit 0, its row rebuilt from the positions).
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar MarginBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MarginBenchmark
{
    private static final int UNDERLYINGS = 3;
    private static final long[] FORWARD_PRICE = { 6_000_000_000_000L, 300_000_000_000L, 15_000_000_000L };
    private static final long CONTRACT_SIZE = 100_000_000L;
    private static final long NOW_NANOS = 1_700_000_000_000_000_000L;
    private static final long DAY_NANOS = 86_400_000_000_000L;
    private static final long[] EXPIRY_DAYS = { 7, 30, 91, 182 };
    private static final int STRIKES = 13;
    private static final long SEED = 0x3A26_1E55L;

    /** An account of {@code positions} positions, margined with and without the isolated margin. */
    @State(Scope.Thread)
    public static class Account
    {
        /** Positions in the account, one instrument each. */
        @Param({ "1", "10", "100", "1000" })
        public int positions;

        final Portfolio portfolio = new Portfolio();
        final MarginCalculator withIsolated = new MarginCalculator(new RiskParameters());
        final MarginCalculator hotPath = new MarginCalculator(new RiskParameters()).withIsolated(false);
        final MarginCalculator positionsOnly =
            new MarginCalculator(new RiskParameters()).withIsolated(false).withOrders(false);
        final MarginCalculator rows = new MarginCalculator(new RiskParameters()).withIsolated(false);
        final int[] row = new int[UNDERLYINGS];
        int step;

        /** Defines and marks the instruments, draws the positions. */
        @Setup
        public void setup()
        {
            portfolio.build(positions);
            portfolio.load(withIsolated);
            portfolio.load(hotPath);
            portfolio.load(positionsOnly);
            portfolio.load(rows);
            for (int u = 0; u < UNDERLYINGS; u++)
            {
                row[u] = rows.newRow(u);
            }
            rows.begin();
            portfolio.rebuildRows(rows, row);
            for (int u = 0; u < Math.min(positions, UNDERLYINGS); u++)
            {
                rows.addRow(row[u]);
            }
            rows.finish();
        }
    }

    /** An account of {@code positions} positions, margined by the Greeks expansion. */
    @State(Scope.Thread)
    public static class ExpansionAccount
    {
        /** Positions in the account, one instrument each. */
        @Param({ "1", "10", "100", "1000" })
        public int positions;

        final Portfolio portfolio = new Portfolio();
        final MarginCalculator calculator =
            new MarginCalculator(new RiskParameters()).fullRevaluation(false).withIsolated(false);

        /** Defines and marks the instruments, draws the positions. */
        @Setup
        public void setup()
        {
            portfolio.build(positions);
            portfolio.load(calculator);
        }
    }

    /** Options whose Greeks an index tick refreshes, with a cycle of seeded ticks. */
    @State(Scope.Thread)
    public static class IndexTicks
    {
        /** A power of two, so the cursor wraps with a mask. */
        private static final int TICKS = 1024;

        final MarginCalculator calculator = new MarginCalculator(new RiskParameters());
        final int[] optionId = new int[TICKS];
        final long[] forwardPrice = new long[TICKS];
        final double[] impliedVol = new double[TICKS];
        int cursor;

        /**
         * Defines the options of a 4,096-instrument book (the instrument table's capacity) and draws one tick per
         * slot: a seeded option, its underlying's forward moved by up to +-1%, its volatility.
         */
        @Setup
        public void setup()
        {
            final Portfolio portfolio = new Portfolio();
            portfolio.build(MarginCalculator.MAX_INSTRUMENTS);
            portfolio.load(calculator);
            final Random random = new Random(SEED + 1);
            for (int i = 0; i < TICKS; i++)
            {
                int id;
                do
                {
                    id = random.nextInt(MarginCalculator.MAX_INSTRUMENTS);
                }
                while (!calculator.isOption(id));
                optionId[i] = id;
                final long forward = FORWARD_PRICE[id % UNDERLYINGS];
                forwardPrice[i] = forward + (long)(forward * 0.01 * (2.0 * random.nextDouble() - 1.0));
                impliedVol[i] = portfolio.impliedVol[id];
            }
        }
    }

    /** The instruments, market data and positions of one account. */
    static final class Portfolio
    {
        int count;
        boolean[] isFuture;
        boolean[] isCall;
        long[] strikePrice;
        long[] expiryTimestamp;
        double[] impliedVol;
        long[] quantity;
        long[] openBuy;
        long[] openSell;

        void build(final int instruments)
        {
            count = instruments;
            isFuture = new boolean[instruments];
            isCall = new boolean[instruments];
            strikePrice = new long[instruments];
            expiryTimestamp = new long[instruments];
            impliedVol = new double[instruments];
            quantity = new long[instruments];
            openBuy = new long[instruments];
            openSell = new long[instruments];
            final Random random = new Random(SEED);
            for (int k = 0; k < instruments; k++)
            {
                final int j = k / UNDERLYINGS;
                final long forward = FORWARD_PRICE[k % UNDERLYINGS];
                final int expiryIndex = (j / 2) % EXPIRY_DAYS.length;
                final int strikeIndex = (j * 5) % STRIKES;
                isFuture[k] = j == 0 || j % 5 == 1;
                isCall[k] = (j & 1) == 1;
                expiryTimestamp[k] = j == 0 ? 0 : NOW_NANOS + EXPIRY_DAYS[expiryIndex] * DAY_NANOS;
                strikePrice[k] = forward / 100 * (70 + 5 * strikeIndex);
                impliedVol[k] = 0.5 + 0.02 * Math.abs(strikeIndex - STRIKES / 2) + 0.03 * expiryIndex;
                final long magnitude = 1 + random.nextInt(20);
                quantity[k] = random.nextBoolean() ? magnitude : -magnitude;
                openBuy[k] = random.nextInt(3) == 0 ? 1 + random.nextInt(10) : 0;
                openSell[k] = random.nextInt(3) == 0 ? 1 + random.nextInt(10) : 0;
            }
        }

        void load(final MarginCalculator calculator)
        {
            for (int k = 0; k < count; k++)
            {
                final int u = k % UNDERLYINGS;
                if (isFuture[k])
                {
                    calculator.defineFuture(k, u, CONTRACT_SIZE, expiryTimestamp[k]);
                    calculator.updateFuture(k, FORWARD_PRICE[u]);
                }
                else
                {
                    calculator.defineOption(k, u, isCall[k], CONTRACT_SIZE, strikePrice[k], expiryTimestamp[k]);
                    calculator.updateOption(k, FORWARD_PRICE[u], impliedVol[k], NOW_NANOS);
                }
            }
        }

        /**
         * Rebuilds the out-of-date parts of each row from its positions (the open-order part when the calculator
         * evaluates with orders), inside an evaluation, as the engine does after a tick.
         */
        void rebuildRows(final MarginCalculator calculator, final int[] row)
        {
            for (int u = 0; u < Math.min(count, UNDERLYINGS); u++)
            {
                final boolean positions = !calculator.rowCurrent(row[u]);
                final boolean orders = calculator.withOrders() && !calculator.rowOrdersCurrent(row[u]);
                if (positions || orders)
                {
                    calculator.rebuildRow(row[u], positions, orders);
                    for (int k = u; k < count; k += UNDERLYINGS)
                    {
                        calculator.addToRow(row[u], k, quantity[k], openBuy[k], openSell[k]);
                    }
                }
            }
        }

        /** Margin from the rows (one per risk unit held, rebuilt first where out of date), with or without orders. */
        long recomputeFromRows(final MarginCalculator calculator, final int[] row, final boolean withOrders)
        {
            calculator.withOrders(withOrders);
            calculator.begin();
            rebuildRows(calculator, row);
            for (int u = 0; u < Math.min(count, UNDERLYINGS); u++)
            {
                calculator.addRow(row[u]);
            }
            calculator.finish();
            return calculator.initialMarginWithOrders();
        }

        long recompute(final MarginCalculator calculator)
        {
            calculator.begin();
            for (int k = 0; k < count; k++)
            {
                calculator.add(k, quantity[k], openBuy[k], openSell[k]);
            }
            calculator.finish();
            return calculator.initialMarginWithOrders();
        }
    }

    /**
     * @param account the positions and a calculator with the isolated margin on (its default).
     * @return initial margin with orders, 1e-8 margin currency.
     */
    @Benchmark
    public long recomputeWithIsolated(final Account account)
    {
        return account.portfolio.recompute(account.withIsolated);
    }

    /**
     * @param account the positions and a calculator with the isolated margin off, as on the engine's hot path.
     * @return initial margin with orders, 1e-8 margin currency.
     */
    @Benchmark
    public long recomputeHotPath(final Account account)
    {
        return account.portfolio.recompute(account.hotPath);
    }

    /**
     * @param account the positions and a calculator with the isolated margin and the open orders off, as the engine
     *                evaluates an account after a fill, a tick or a payment (orders count only in the pre-trade and
     *                withdrawal checks).
     * @return initial margin of the positions, 1e-8 margin currency.
     */
    @Benchmark
    public long recomputePositionsOnly(final Account account)
    {
        return account.portfolio.recompute(account.positionsOnly);
    }

    /**
     * The engine's evaluation of an account from its risk rows, current (no market data of its units changed since
     * they were rebuilt): one row per risk unit, with the open orders' riskiest side. Flat in positions.
     *
     * @param account the positions, their rows built at setup.
     * @return initial margin with orders, 1e-8 margin currency.
     */
    @Benchmark
    public long recomputeFromRows(final Account account)
    {
        return account.portfolio.recomputeFromRows(account.rows, account.row, true);
    }

    /**
     * A fill then the evaluation, as the engine does after a trade: the first position moves by one contract (up on
     * even calls, back down on odd ones), its row follows exactly ({@code updateRow}, constant work), then the
     * account is margined from its rows without the open orders.
     *
     * @param account the positions, their rows built at setup.
     * @return initial margin, 1e-8 margin currency.
     */
    @Benchmark
    public long fillThenRecomputeFromRows(final Account account)
    {
        final Portfolio portfolio = account.portfolio;
        final long step = (account.step++ & 1) == 0 ? 1 : -1;
        final long before = portfolio.quantity[0];
        portfolio.quantity[0] = before + step;
        account.rows.updateRow(account.row[0], 0, before, portfolio.openBuy[0], portfolio.openSell[0],
            before + step, portfolio.openBuy[0], portfolio.openSell[0]);
        return portfolio.recomputeFromRows(account.rows, account.row, false);
    }

    /**
     * A mark tick on the perpetual of risk unit 0 (alternating between two prices) then the evaluation: unit 0's row
     * is out of date and rebuilt from its positions (linear in them), the other rows are current. What the engine
     * pays when it evaluates an account after market data of one of its units changed.
     *
     * @param account the positions, their rows built at setup.
     * @return initial margin, 1e-8 margin currency.
     */
    @Benchmark
    public long tickThenRebuildRow(final Account account)
    {
        final Portfolio portfolio = account.portfolio;
        final long mark = (account.step++ & 1) == 0 ? FORWARD_PRICE[0] + 100_000_000L : FORWARD_PRICE[0];
        account.rows.updateFuture(0, mark);
        return portfolio.recomputeFromRows(account.rows, account.row, false);
    }

    /**
     * @param account the positions and a calculator in expansion mode, isolated margin off.
     * @return initial margin with orders, 1e-8 margin currency.
     */
    @Benchmark
    public long recomputeExpansion(final ExpansionAccount account)
    {
        return account.portfolio.recompute(account.calculator);
    }

    /**
     * One option refreshed after an index tick: Black-76 Greeks, the expiry-scaled volatility shocks and the
     * 29-scenario risk array. {@code updateOption} only records the inputs; {@code contractValue} is a first use, so
     * it pays the refresh, as the first evaluation after a tick does in the engine.
     *
     * @param ticks the options and the cycle of ticks.
     * @return the option's per-contract value after the refresh, currency.
     */
    @Benchmark
    public double refreshOptionGreeks(final IndexTicks ticks)
    {
        final int i = ticks.cursor;
        ticks.cursor = (i + 1) & (IndexTicks.TICKS - 1);
        final int id = ticks.optionId[i];
        ticks.calculator.updateOption(id, ticks.forwardPrice[i], ticks.impliedVol[i], NOW_NANOS);
        return ticks.calculator.contractValue(id);
    }
}
