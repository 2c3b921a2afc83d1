package io.clearing.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.margin.Fixed;
import io.clearing.margin.MarginCalculator;
import io.clearing.margin.RiskParameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code efficiency}: the cross-margin initial margin of typical hedged BTC books against the same positions margined
 * one by one (isolated), with the default {@link RiskParameters}: BTC at 65,000, vol 60%, options 30 days. Prints a
 * Markdown table (book, isolated IM, cross IM, isolated / cross, money in USDC) or, with {@code --json}, the same
 * rows as a JSON array. Deterministic: the random book is seeded.
 */
@Command(name = "efficiency", mixinStandardHelpOptions = true,
    description = "Isolated vs cross initial margin of typical hedged books (capital efficiency).")
final class EfficiencyCommand implements Callable<Integer>
{
    static final long NOW = 1_767_225_600_000_000_000L;
    private static final long DAY_NANOS = 86_400_000_000_000L;
    private static final long BTC_PRICE = 65_000L * Fixed.SCALE;
    private static final double VOL = 0.6;
    private static final long ONE_BTC = Fixed.SCALE;
    private static final long MILLI_BTC = Fixed.SCALE / 1000;
    private static final long RANDOM_SEED = 42L;

    // Instrument ids on underlying 0 (BTC).
    private static final int PERPETUAL = 0;
    private static final int FUTURE_30D = 1;
    private static final int FUTURE_90D = 2;
    private static final int CALL_OTM = 3;
    private static final int CALL_ATM = 4;
    private static final int PUT_ATM = 5;
    private static final int FIRST_RANDOM_OPTION = 6;
    private static final int RANDOM_STRIKES = 8;

    @Option(names = "--json", description = "Print the rows as a JSON array instead of a Markdown table.")
    boolean json;

    /** One book's result; money in 1e-8 USDC. */
    record Row(String book, long isolatedInitialMargin, long crossInitialMargin)
    {
        double ratio()
        {
            return (double)isolatedInitialMargin / crossInitialMargin;
        }
    }

    @Override
    public Integer call() throws JsonProcessingException
    {
        final List<Row> rows = rows();
        if (json)
        {
            final ObjectMapper mapper = new ObjectMapper();
            final ArrayNode array = mapper.createArrayNode();
            for (final Row row : rows)
            {
                final ObjectNode node = array.addObject();
                node.put("book", row.book());
                node.put("isolatedInitialMarginUsdc", usdc(row.isolatedInitialMargin()));
                node.put("crossInitialMarginUsdc", usdc(row.crossInitialMargin()));
                node.put("isolatedOverCross", Math.round(row.ratio() * 100.0) / 100.0);
            }
            System.out.println(mapper.writeValueAsString(array));
        }
        else
        {
            System.out.println("| book | isolated IM (USDC) | cross IM (USDC) | isolated/cross |");
            System.out.println("| --- | ---: | ---: | ---: |");
            for (final Row row : rows)
            {
                System.out.printf("| %s | %,.2f | %,.2f | %.2f |%n", row.book(), usdc(row.isolatedInitialMargin()),
                    usdc(row.crossInitialMargin()), row.ratio());
            }
        }
        return 0;
    }

    private static double usdc(final long units)
    {
        return Math.ceil(units / 1e6) / 100.0;
    }

    /** Evaluates every book; rows in a fixed order. */
    static List<Row> rows()
    {
        final MarginCalculator calculator = new MarginCalculator(new RiskParameters()).withIsolated(true);
        defineInstruments(calculator);
        final List<Row> rows = new ArrayList<>();

        rows.add(evaluate(calculator, "covered call (long 1 BTC perp, short 1 BTC 10% OTM call)",
            new int[] {PERPETUAL, CALL_OTM}, new long[] {1000, -1}));

        // Long straddle hedged to zero net delta with the perpetual (0.001 BTC contracts).
        calculator.begin();
        calculator.add(CALL_ATM, 1, 0, 0);
        calculator.add(PUT_ATM, 1, 0, 0);
        calculator.finish();
        final long hedge = -Math.round(calculator.netDelta(0) / (0.001 * 65_000.0));
        rows.add(evaluate(calculator, "long straddle, perp-hedged (1 BTC ATM call + put, " + hedge + " perp)",
            new int[] {CALL_ATM, PUT_ATM, PERPETUAL}, new long[] {1, 1, hedge}));

        rows.add(evaluate(calculator, "calendar spread (long 1 BTC 30-day future, short 1 BTC 90-day future)",
            new int[] {FUTURE_30D, FUTURE_90D}, new long[] {1000, -1000}));
        rows.add(evaluate(calculator, "basis (long 1 BTC 30-day future, short 1 BTC perp)",
            new int[] {FUTURE_30D, PERPETUAL}, new long[] {1000, -1000}));

        final SplittableRandom random = new SplittableRandom(RANDOM_SEED);
        final int[] ids = new int[20];
        final long[] quantities = new long[20];
        for (int i = 0; i < ids.length; i++)
        {
            final int pick = random.nextInt(3 + 2 * RANDOM_STRIKES);
            ids[i] = pick < 3 ? pick : FIRST_RANDOM_OPTION + pick - 3;
            final long lots = (1 + random.nextInt(10)) * (random.nextBoolean() ? 1 : -1);
            quantities[i] = calculator.isOption(ids[i]) ? lots : lots * 100;
        }
        rows.add(evaluate(calculator, "random mixed book (20 positions, seed " + RANDOM_SEED + ")", ids, quantities));
        return rows;
    }

    private static void defineInstruments(final MarginCalculator calculator)
    {
        calculator.defineFuture(PERPETUAL, 0, MILLI_BTC, 0);
        calculator.updateFuture(PERPETUAL, BTC_PRICE);
        calculator.defineFuture(FUTURE_30D, 0, MILLI_BTC, NOW + 30 * DAY_NANOS);
        calculator.updateFuture(FUTURE_30D, BTC_PRICE);
        calculator.defineFuture(FUTURE_90D, 0, MILLI_BTC, NOW + 90 * DAY_NANOS);
        calculator.updateFuture(FUTURE_90D, BTC_PRICE);
        defineOption(calculator, CALL_OTM, true, 71_500L, 30);
        defineOption(calculator, CALL_ATM, true, 65_000L, 30);
        defineOption(calculator, PUT_ATM, false, 65_000L, 30);
        // Random book: calls and puts at strikes 50,000..85,000 in steps of 5,000, 0.1 BTC, 30 days.
        for (int k = 0; k < RANDOM_STRIKES; k++)
        {
            final long strike = 50_000L + 5_000L * k;
            defineOption(calculator, FIRST_RANDOM_OPTION + 2 * k, true, strike, 30);
            defineOption(calculator, FIRST_RANDOM_OPTION + 2 * k + 1, false, strike, 30);
        }
    }

    private static void defineOption(final MarginCalculator calculator, final int id, final boolean isCall,
        final long strike, final int days)
    {
        final long size = id >= FIRST_RANDOM_OPTION ? ONE_BTC / 10 : ONE_BTC;
        calculator.defineOption(id, 0, isCall, size, strike * Fixed.SCALE, NOW + days * DAY_NANOS);
        calculator.updateOption(id, BTC_PRICE, VOL, NOW);
    }

    private static Row evaluate(final MarginCalculator calculator, final String name, final int[] ids,
        final long[] quantities)
    {
        calculator.begin();
        for (int i = 0; i < ids.length; i++)
        {
            calculator.add(ids[i], quantities[i], 0, 0);
        }
        calculator.finish();
        return new Row(name, calculator.isolatedInitialMargin(), calculator.initialMargin());
    }
}
