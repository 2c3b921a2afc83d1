package io.clearing.margin;

/**
 * A signed 128-bit integer, mutable, in two longs (two's complement): exact sums of valuations that need not fit a
 * long - an account's collateral at index, its positions at mark, their costs - for margin decisions made on the
 * exact value. One instance is reused for every evaluation: nothing allocates.
 * <p>
 * Every operation is exact within the documented bounds of its operands, which keep every value far inside 2^127:
 * a sum of a few thousand terms each below 2^100 never wraps. Not thread-safe.
 */
public final class Int128
{
    /** The high half of 2^120, where {@link #addNotional} caps a product: far beyond any position. */
    private static final long PRODUCT_LIMIT_HIGH = 1L << 56;

    private long high;
    private long low;

    /**
     * @param value the new value.
     * @return this.
     */
    public Int128 set(final long value)
    {
        high = value >> 63;
        low = value;
        return this;
    }

    /**
     * @param value the new value.
     * @return this.
     */
    public Int128 set(final Int128 value)
    {
        high = value.high;
        low = value.low;
        return this;
    }

    /**
     * @param value any long.
     * @return this, plus {@code value}.
     */
    public Int128 add(final long value)
    {
        final long sum = low + value;
        high += (value >> 63) + (Long.compareUnsigned(sum, low) < 0 ? 1 : 0);
        low = sum;
        return this;
    }

    /**
     * @param value any long, {@link Long#MIN_VALUE} included.
     * @return this, less {@code value}.
     */
    public Int128 subtract(final long value)
    {
        final long difference = low - value;
        high -= (value >> 63) + (Long.compareUnsigned(low, value) < 0 ? 1 : 0);
        low = difference;
        return this;
    }

    /**
     * @param value another 128-bit value.
     * @return this, plus {@code value}.
     */
    public Int128 add(final Int128 value)
    {
        final long sum = low + value.low;
        high += value.high + (Long.compareUnsigned(sum, low) < 0 ? 1 : 0);
        low = sum;
        return this;
    }

    /**
     * Adds {@code a * b / c}, the exact quotient of the 128-bit product truncated toward zero, as
     * {@link Fixed#mulDiv} computes it where that fits a long.
     *
     * @param a any long.
     * @param b any long.
     * @param c divisor, positive.
     * @return this.
     */
    public Int128 addProduct(final long a, final long b, final long c)
    {
        final long x = Math.abs(a);
        final long y = Math.abs(b);
        final long productHigh = unsignedMultiplyHigh(x, y);
        return addQuotient(productHigh, x * y, c, (a < 0) != (b < 0));
    }

    /**
     * Negates this (two's complement): exact for every value the other operations produce.
     *
     * @return this, negated.
     */
    public Int128 negate()
    {
        low = -low;
        high = ~high + (low == 0 ? 1 : 0);
        return this;
    }

    /**
     * Adds the value of {@code quantity} contracts of {@code contractSize} at {@code price},
     * {@code quantity x contractSize x price / SCALE} truncated toward zero, as {@link Fixed#notional} computes it
     * where that does not throw - including where {@code quantity x contractSize} alone does not fit a long. A product
     * beyond 2^120 (far past what any open interest bound lets a position reach) counts as 2^120.
     *
     * @param quantity     any long: contracts, signed.
     * @param contractSize non-negative.
     * @param price        non-negative.
     * @return this.
     */
    public Int128 addNotional(final long quantity, final long contractSize, final long price)
    {
        final long x = Math.abs(quantity);
        final long unitsHigh = unsignedMultiplyHigh(x, contractSize);
        final long unitsLow = x * contractSize;
        final long carry = unsignedMultiplyHigh(unitsLow, price);
        long productHigh = unitsHigh * price + carry;
        long productLow = unitsLow * price;
        if (unsignedMultiplyHigh(unitsHigh, price) != 0 || Long.compareUnsigned(unitsHigh * price, -1L - carry) > 0 ||
            Long.compareUnsigned(productHigh, PRODUCT_LIMIT_HIGH) >= 0)
        {
            productHigh = PRODUCT_LIMIT_HIGH;
            productLow = 0;
        }
        return addQuotient(productHigh, productLow, Fixed.SCALE, quantity < 0);
    }

    /**
     * Replaces a non-negative value {@code v} by {@code v x multiplier / divisor} truncated: a weight applied as
     * {@link Fixed#mulPpm} applies it where that fits a long.
     *
     * @param multiplier non-negative, with {@code multiplier x divisor} below 2^63 and the product below 2^127.
     * @param divisor    positive.
     * @return the remainder of the division, {@code v x multiplier mod divisor}: 0 when the result is exact.
     */
    public long multiplyDivide(final long multiplier, final long divisor)
    {
        final long quotientHigh = high / divisor;
        final long quotientLow = Fixed.divide128(high % divisor, low, divisor);
        final long remainder = low - quotientLow * divisor;
        high = quotientHigh * multiplier + unsignedMultiplyHigh(quotientLow, multiplier);
        low = quotientLow * multiplier;
        final long scaledRemainder = remainder * multiplier;
        add(scaledRemainder / divisor);
        return scaledRemainder % divisor;
    }

    /** @return -1, 0 or 1 as this is negative, zero or positive. */
    public int signum()
    {
        return high < 0 ? -1 : (high | low) == 0 ? 0 : 1;
    }

    /**
     * @param value a long.
     * @return a negative number, zero or a positive number as this is less than, equal to or greater than it.
     */
    public int compareTo(final long value)
    {
        final long valueHigh = value >> 63;
        return high != valueHigh ? Long.compare(high, valueHigh) : Long.compareUnsigned(low, value);
    }

    /**
     * @param value another 128-bit value.
     * @return a negative number, zero or a positive number as this is less than, equal to or greater than it.
     */
    public int compareTo(final Int128 value)
    {
        return high != value.high ? Long.compare(high, value.high) : Long.compareUnsigned(low, value.low);
    }

    /**
     * @param bound positive.
     * @return this value when it lies within +-{@code bound}, else the nearer of the two: a value for a report, or
     *         for a comparison with a threshold within the bound (which clamping does not change).
     */
    public long clamp(final long bound)
    {
        if (high != (low >> 63))
        {
            return high < 0 ? -bound : bound;
        }
        return Math.max(-bound, Math.min(bound, low));
    }

    @Override
    public String toString()
    {
        return new java.math.BigInteger(1, new byte[] {
            (byte)(high >>> 56), (byte)(high >>> 48), (byte)(high >>> 40), (byte)(high >>> 32),
            (byte)(high >>> 24), (byte)(high >>> 16), (byte)(high >>> 8), (byte)high,
            (byte)(low >>> 56), (byte)(low >>> 48), (byte)(low >>> 40), (byte)(low >>> 32),
            (byte)(low >>> 24), (byte)(low >>> 16), (byte)(low >>> 8), (byte)low})
            .subtract(high < 0 ? java.math.BigInteger.ONE.shiftLeft(128) : java.math.BigInteger.ZERO).toString();
    }

    /** Adds or subtracts the unsigned 128-bit {@code productHigh:productLow} divided by {@code divisor}. */
    private Int128 addQuotient(final long productHigh, final long productLow, final long divisor,
        final boolean negative)
    {
        // productHigh < 2^62 for every caller, so the signed division of the high half is the unsigned one.
        final long quotientHigh = productHigh / divisor;
        final long quotientLow = Fixed.divide128(productHigh % divisor, productLow, divisor);
        if (negative)
        {
            high -= quotientHigh + (Long.compareUnsigned(low, quotientLow) < 0 ? 1 : 0);
            low -= quotientLow;
        }
        else
        {
            final long sum = low + quotientLow;
            high += quotientHigh + (Long.compareUnsigned(sum, low) < 0 ? 1 : 0);
            low = sum;
        }
        return this;
    }

    /** The high half of the unsigned product of {@code x} and {@code y} (Math.unsignedMultiplyHigh from Java 18). */
    private static long unsignedMultiplyHigh(final long x, final long y)
    {
        return Math.multiplyHigh(x, y) + ((x >> 63) & y) + ((y >> 63) & x);
    }
}
