package io.clearing.margin;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A seeded random book of futures and options on a few underlyings, loaded into any number of
 * {@link MarginCalculator}s so that the same positions can be margined in different modes. Test helper: allocates.
 * <p>
 * Instruments use ids 0..n-1 in position order; underlyings 0..2 with spots 65,000, 3,000 and 150. Options are
 * 0.1 or 1 underlying unit per contract, futures 0.001 (BTC-like) per contract as on the venues.
 */
final class RandomBook
{
    static final long NOW = 1_767_225_600_000_000_000L;
    static final long DAY_NANOS = 86_400_000_000_000L;
    static final long[] SPOTS = {65_000L, 3_000L, 150L};

    /** Time-to-expiry classes of the accuracy study: under 7 days, 7 to 30 days, beyond 30 days (up to a year). */
    static final int SHORT_DATED = 0;
    static final int MEDIUM_DATED = 1;
    static final int LONG_DATED = 2;
    static final int ANY_EXPIRY = 3;

    final boolean[] isOption;
    final boolean[] isCall;
    final int[] underlying;
    final long[] contractSize;
    final long[] strike;
    final long[] expiry;
    final long[] forward;
    final double[] vol;
    final long[] quantity;
    final long[] openBuy;
    final long[] openSell;
    final int count;

    private RandomBook(final int count)
    {
        this.count = count;
        isOption = new boolean[count];
        isCall = new boolean[count];
        underlying = new int[count];
        contractSize = new long[count];
        strike = new long[count];
        expiry = new long[count];
        forward = new long[count];
        vol = new double[count];
        quantity = new long[count];
        openBuy = new long[count];
        openSell = new long[count];
    }

    /**
     * A book of 1-10 options per underlying (moneyness 0.7-1.3, vol 30-150%, either sign), with up to 3 futures.
     *
     * @param expiryClass {@link #SHORT_DATED}, {@link #MEDIUM_DATED}, {@link #LONG_DATED} or {@link #ANY_EXPIRY}.
     * @param underlyings 1..3.
     * @param sign        +1 only longs, -1 only shorts, 0 either.
     * @param withOrders  whether positions carry random open orders.
     */
    static RandomBook options(final SplittableRandom random, final int expiryClass, final int underlyings,
        final int sign, final boolean withOrders, final boolean withFutures)
    {
        final int[] options = new int[underlyings];
        final int[] futures = new int[underlyings];
        int total = 0;
        for (int u = 0; u < underlyings; u++)
        {
            options[u] = 1 + random.nextInt(10);
            futures[u] = withFutures ? random.nextInt(4) : 0;
            total += options[u] + futures[u];
        }
        final RandomBook book = new RandomBook(total);
        int i = 0;
        for (int u = 0; u < underlyings; u++)
        {
            final long spot = SPOTS[u] * Fixed.SCALE;
            for (int k = 0; k < options[u]; k++, i++)
            {
                book.isOption[i] = true;
                book.isCall[i] = random.nextBoolean();
                book.underlying[i] = u;
                book.contractSize[i] = random.nextBoolean() ? Fixed.SCALE : Fixed.SCALE / 10;
                book.strike[i] = Math.round(spot * (0.7 + 0.6 * random.nextDouble()) / Fixed.SCALE) * Fixed.SCALE;
                book.expiry[i] = NOW + expiryNanos(random, expiryClass);
                book.forward[i] = spot;
                book.vol[i] = 0.3 + 1.2 * random.nextDouble();
                final long size = 1 + random.nextInt(20);
                book.quantity[i] = sign > 0 ? size : sign < 0 ? -size : random.nextBoolean() ? size : -size;
            }
            for (int k = 0; k < futures[u]; k++, i++)
            {
                book.underlying[i] = u;
                book.contractSize[i] = 100_000L;
                final boolean perpetual = random.nextBoolean();
                book.expiry[i] = perpetual ? 0 : NOW + DAY_NANOS * (7 + random.nextInt(180));
                book.forward[i] = perpetual ? spot : spot + spot / 1000 * random.nextInt(30);
                book.quantity[i] = (random.nextBoolean() ? 1 : -1) * (1 + random.nextInt(5000));
            }
        }
        if (withOrders)
        {
            for (int p = 0; p < total; p++)
            {
                book.openBuy[p] = random.nextInt(3) == 0 ? 1 + random.nextInt(50) : 0;
                book.openSell[p] = random.nextInt(3) == 0 ? 1 + random.nextInt(50) : 0;
            }
        }
        return book;
    }

    private static long expiryNanos(final SplittableRandom random, final int expiryClass)
    {
        switch (expiryClass)
        {
            case SHORT_DATED: return random.nextLong(DAY_NANOS, 7 * DAY_NANOS);
            case MEDIUM_DATED: return random.nextLong(7 * DAY_NANOS, 30 * DAY_NANOS + 1);
            case LONG_DATED: return random.nextLong(30 * DAY_NANOS + 1, 365 * DAY_NANOS + 1);
            default: return random.nextLong(DAY_NANOS, 365 * DAY_NANOS + 1);
        }
    }

    /** The same book with every implied volatility times {@code factor}. */
    RandomBook withVolTimes(final double factor)
    {
        final RandomBook copy = copy();
        for (int i = 0; i < count; i++)
        {
            copy.vol[i] = vol[i] * factor;
        }
        return copy;
    }

    /** The same book with every quantity and open order times {@code factor}. */
    RandomBook scaled(final long factor)
    {
        final RandomBook copy = copy();
        for (int i = 0; i < count; i++)
        {
            copy.quantity[i] = quantity[i] * factor;
            copy.openBuy[i] = openBuy[i] * factor;
            copy.openSell[i] = openSell[i] * factor;
        }
        return copy;
    }

    /** The same book without open orders. */
    RandomBook withoutOrders()
    {
        final RandomBook copy = copy();
        Arrays.fill(copy.openBuy, 0);
        Arrays.fill(copy.openSell, 0);
        return copy;
    }

    private RandomBook copy()
    {
        final RandomBook copy = new RandomBook(count);
        System.arraycopy(isOption, 0, copy.isOption, 0, count);
        System.arraycopy(isCall, 0, copy.isCall, 0, count);
        System.arraycopy(underlying, 0, copy.underlying, 0, count);
        System.arraycopy(contractSize, 0, copy.contractSize, 0, count);
        System.arraycopy(strike, 0, copy.strike, 0, count);
        System.arraycopy(expiry, 0, copy.expiry, 0, count);
        System.arraycopy(forward, 0, copy.forward, 0, count);
        System.arraycopy(vol, 0, copy.vol, 0, count);
        System.arraycopy(quantity, 0, copy.quantity, 0, count);
        System.arraycopy(openBuy, 0, copy.openBuy, 0, count);
        System.arraycopy(openSell, 0, copy.openSell, 0, count);
        return copy;
    }

    /** Defines and updates the instruments, then evaluates the account: results are read from the calculator. */
    void evaluate(final MarginCalculator calculator)
    {
        for (int i = 0; i < count; i++)
        {
            if (isOption[i])
            {
                calculator.defineOption(i, underlying[i], isCall[i], contractSize[i], strike[i], expiry[i]);
                calculator.updateOption(i, forward[i], vol[i], NOW);
            }
            else
            {
                calculator.defineFuture(i, underlying[i], contractSize[i], expiry[i]);
                calculator.updateFuture(i, forward[i]);
            }
        }
        calculator.begin();
        for (int i = 0; i < count; i++)
        {
            calculator.add(i, quantity[i], openBuy[i], openSell[i]);
        }
        calculator.finish();
    }
}
