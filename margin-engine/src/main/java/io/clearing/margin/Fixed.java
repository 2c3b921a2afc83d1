package io.clearing.margin;

/**
 * Exact fixed-point arithmetic on longs. Money, prices and sizes carry 8 decimals ({@link #SCALE} units = 1.0);
 * rates carry 6 ({@link #PPM} = 1.0).
 * <p>
 * Every operation is exact or truncates toward zero as documented, and throws {@link ArithmeticException} when the
 * true result does not fit a long: overflow is rejected, never wrapped. Callers bound their inputs so that overflow
 * only comes from hostile values, and turn the exception into a rejection at the command boundary.
 */
public final class Fixed
{
    /** Units in 1.0 for money, prices, contract sizes: 1e-8 resolution. */
    public static final long SCALE = 100_000_000L;
    /** Parts per million in 1.0. */
    public static final long PPM = 1_000_000L;

    private Fixed()
    {
    }

    /**
     * {@code a * b / c}, computed on the exact 128-bit product, truncated toward zero.
     *
     * @param a any long except {@link Long#MIN_VALUE}.
     * @param b any long except {@link Long#MIN_VALUE}.
     * @param c divisor, positive.
     * @return the quotient truncated toward zero.
     * @throws ArithmeticException if the quotient does not fit in a long or an argument is out of range.
     */
    public static long mulDiv(final long a, final long b, final long c)
    {
        if (c <= 0 || a == Long.MIN_VALUE || b == Long.MIN_VALUE)
        {
            throw new ArithmeticException("mulDiv argument out of range");
        }
        final boolean negative = (a < 0) != (b < 0);
        final long x = Math.abs(a);
        final long y = Math.abs(b);
        final long hi = Math.multiplyHigh(x, y);
        final long lo = x * y;
        if (hi >= c)
        {
            throw new ArithmeticException("mulDiv overflow");
        }
        final long q = divide128(hi, lo, c);
        if (q < 0)
        {
            throw new ArithmeticException("mulDiv overflow");
        }
        return negative ? -q : q;
    }

    /**
     * {@code a * b / c} rounded up, exact: for a quantity that must reach a target.
     *
     * @param a non-negative.
     * @param b non-negative.
     * @param c divisor, positive.
     * @throws ArithmeticException if an argument is out of range or the result does not fit in a long.
     */
    public static long mulDivUp(final long a, final long b, final long c)
    {
        if (a < 0 || b < 0)
        {
            throw new ArithmeticException("mulDivUp argument out of range");
        }
        final long truncated = mulDiv(a, b, c);
        return mulRemainder(a, b, c) == 0 ? truncated : Math.addExact(truncated, 1);
    }

    /** {@code a * b / SCALE} truncated toward zero, exact; e.g. contracts x size, or size x price. */
    public static long mulScaled(final long a, final long b)
    {
        return mulDiv(a, b, SCALE);
    }

    /** {@code amount * ppm / 1e6} truncated toward zero, exact. */
    public static long mulPpm(final long amount, final long ppm)
    {
        return mulDiv(amount, ppm, PPM);
    }

    /** {@code amount * ppm / 1e6} rounded away from zero: for charges that must not be rounded in the payer's favour. */
    public static long mulPpmUp(final long amount, final long ppm)
    {
        final long truncated = mulDiv(amount, ppm, PPM);
        final long remainder = mulRemainder(amount, ppm, PPM);
        if (remainder == 0)
        {
            return truncated;
        }
        return ((amount < 0) != (ppm < 0)) ? Math.subtractExact(truncated, 1) : Math.addExact(truncated, 1);
    }

    /**
     * The value of {@code quantity} contracts of {@code contractSize} (1e-8 units) at {@code price} (1e-8 settlement
     * asset per underlying unit), in 1e-8 settlement asset, signed like {@code quantity}.
     */
    public static long notional(final long quantity, final long contractSize, final long price)
    {
        return mulDiv(Math.multiplyExact(quantity, contractSize), price, SCALE);
    }

    /**
     * Whether {@code quantity} contracts of {@code contractSize} at {@code price} are worth at most {@code bound}: the
     * exact comparison of {@code quantity x contractSize x price} with {@code bound x SCALE} on 128 bits, so it never
     * overflows, throws or allocates.
     *
     * @param quantity     non-negative contracts.
     * @param contractSize positive.
     * @param price        non-negative.
     * @param bound        non-negative, 1e-8 units.
     * @return true when the notional is at most {@code bound}.
     */
    public static boolean notionalAtMost(final long quantity, final long contractSize, final long price,
        final long bound)
    {
        if (quantity == 0 || price == 0)
        {
            return true;
        }
        if (Math.multiplyHigh(quantity, contractSize) != 0 || quantity * contractSize < 0)
        {
            return false;
        }
        final long units = quantity * contractSize;
        final long hi = Math.multiplyHigh(units, price);
        final long lo = units * price;
        final long boundHi = Math.multiplyHigh(bound, SCALE);
        final long boundLo = bound * SCALE;
        return hi < boundHi || (hi == boundHi && Long.compareUnsigned(lo, boundLo) <= 0);
    }

    /** Bound of the saturating operations: 2^60 units (11.5 billion of a currency at 1e-8). */
    public static final long SATURATED = 1L << 60;

    /**
     * {@code a * b / c} truncated toward zero, saturated to +-{@link #SATURATED} instead of throwing. For a ratio that
     * is clamped far inside the bound anyway (a perpetual's premium); never for money that moves, nor for a valuation a
     * margin decision rests on, which {@link Int128} keeps exact.
     */
    public static long mulDivSaturating(final long a, final long b, final long c)
    {
        if (c <= 0)
        {
            return 0;
        }
        final long x = Math.abs(Math.max(a, -Long.MAX_VALUE));
        final long y = Math.abs(Math.max(b, -Long.MAX_VALUE));
        final boolean negative = (a < 0) != (b < 0);
        final long hi = Math.multiplyHigh(x, y);
        if (hi >= c)
        {
            return negative ? -SATURATED : SATURATED;
        }
        final long q = divide128(hi, x * y, c);
        final long bounded = q < 0 || q > SATURATED ? SATURATED : q;
        return negative ? -bounded : bounded;
    }

    /** {@code a + b} clamped to +-{@link #SATURATED}: exact while the sum of the magnitudes stays within it. */
    public static long addSaturating(final long a, final long b)
    {
        final long clampedA = Math.max(-SATURATED, Math.min(SATURATED, a));
        final long clampedB = Math.max(-SATURATED, Math.min(SATURATED, b));
        return Math.max(-SATURATED, Math.min(SATURATED, clampedA + clampedB));
    }

    private static long mulRemainder(final long a, final long b, final long c)
    {
        final long x = Math.abs(a);
        final long y = Math.abs(b);
        final long hi = Math.multiplyHigh(x, y);
        final long lo = x * y;
        final long q = divide128(hi, lo, c);
        return lo - q * c;
    }

    /**
     * Unsigned division of the 128-bit value {@code hi:lo} by {@code d}, requiring {@code 0 <= hi < d}, so the
     * quotient fits 64 bits. Long division in 32-bit digits (Knuth, TAOCP vol. 2, 4.3.1, algorithm D).
     */
    static long divide128(final long hi, final long lo, final long d)
    {
        if (hi == 0)
        {
            return Long.divideUnsigned(lo, d);
        }
        if (d <= 0x7FFF_FFFFL)
        {
            // Small divisors (1e8, 1e6): two 64-by-32 steps. hi < d < 2^31 keeps each partial dividend below 2^63,
            // so plain signed division is exact.
            final long upper = (hi << 32) | (lo >>> 32);
            final long q1 = upper / d;
            final long lower = ((upper - q1 * d) << 32) | (lo & 0xFFFF_FFFFL);
            return (q1 << 32) | (lower / d);
        }
        final int shift = Long.numberOfLeadingZeros(d);
        final long dn = d << shift;
        final long numHi = shift == 0 ? hi : (hi << shift) | (lo >>> (64 - shift));
        final long numLo = lo << shift;

        final long d1 = dn >>> 32;
        final long d0 = dn & 0xFFFF_FFFFL;
        final long n1 = numLo >>> 32;
        final long n0 = numLo & 0xFFFF_FFFFL;

        long q1 = Long.divideUnsigned(numHi, d1);
        long r = Long.remainderUnsigned(numHi, d1);
        while (Long.compareUnsigned(q1, 0xFFFF_FFFFL) > 0 ||
            Long.compareUnsigned(q1 * d0, (r << 32) | n1) > 0)
        {
            q1--;
            r += d1;
            if (Long.compareUnsigned(r, 0xFFFF_FFFFL) > 0)
            {
                break;
            }
        }
        final long mid = ((numHi << 32) | n1) - q1 * dn;

        long q0 = Long.divideUnsigned(mid, d1);
        r = Long.remainderUnsigned(mid, d1);
        while (Long.compareUnsigned(q0, 0xFFFF_FFFFL) > 0 ||
            Long.compareUnsigned(q0 * d0, (r << 32) | n0) > 0)
        {
            q0--;
            r += d1;
            if (Long.compareUnsigned(r, 0xFFFF_FFFFL) > 0)
            {
                break;
            }
        }
        return (q1 << 32) | q0;
    }
}
