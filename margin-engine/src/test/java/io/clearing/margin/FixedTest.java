package io.clearing.margin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FixedTest
{
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);

    @ParameterizedTest
    @ValueSource(longs = {3L, 11L, 20261125L})
    void mulDivUpIsTheCeilingOfTheExactQuotient(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 200_000; i++)
        {
            final long a = Math.abs(random.nextLong() >> random.nextInt(64)) & Long.MAX_VALUE;
            final long b = Math.abs(random.nextLong() >> random.nextInt(64)) & Long.MAX_VALUE;
            final long c = Math.max(1L, Math.abs(random.nextLong() >> random.nextInt(63)));
            final BigInteger[] division = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b))
                .divideAndRemainder(BigInteger.valueOf(c));
            final BigInteger exact = division[1].signum() == 0 ? division[0] : division[0].add(BigInteger.ONE);
            if (exact.compareTo(LONG_MAX) > 0)
            {
                assertThrows(ArithmeticException.class, () -> Fixed.mulDivUp(a, b, c), a + "*" + b + "/" + c);
            }
            else
            {
                assertEquals(exact.longValueExact(), Fixed.mulDivUp(a, b, c), a + "*" + b + "/" + c);
            }
        }
        assertEquals(333_333_333_334L, Fixed.mulDivUp(500_000_000_000L, Fixed.SCALE, 150_000_000L));
        assertEquals(2, Fixed.mulDivUp(4, 1, 2));
        assertThrows(ArithmeticException.class, () -> Fixed.mulDivUp(-1, 1, 1));
    }

    @ParameterizedTest
    @ValueSource(longs = {1L, 7L, 42L, 20261124L})
    void mulDivMatchesBigIntegerOnRandomOperands(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 200_000; i++)
        {
            final long a = random.nextLong() >> random.nextInt(64);
            final long b = random.nextLong() >> random.nextInt(64);
            final long c = Math.max(1L, Math.abs(random.nextLong() >> random.nextInt(63)));
            if (a == Long.MIN_VALUE || b == Long.MIN_VALUE)
            {
                continue;
            }
            final BigInteger exact = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).divide(BigInteger.valueOf(c));
            if (exact.compareTo(LONG_MAX) > 0 || exact.compareTo(LONG_MIN) <= 0)
            {
                assertThrows(ArithmeticException.class, () -> Fixed.mulDiv(a, b, c), a + "*" + b + "/" + c);
            }
            else
            {
                assertEquals(exact.longValueExact(), Fixed.mulDiv(a, b, c), a + "*" + b + "/" + c);
            }
        }
    }

    @Test
    void notionalOfLargePositionUsesFullProduct()
    {
        // 1,000,000 contracts of 0.001 BTC at 100,000 USDC: 100,000,000 USDC; the raw product is 1e24.
        final long notional = Fixed.notional(1_000_000L, 100_000L, 100_000L * Fixed.SCALE);
        assertEquals(100_000_000L * Fixed.SCALE, notional);
    }

    @Test
    void truncatesTowardZeroSymmetrically()
    {
        assertEquals(3L, Fixed.mulDiv(10, 1, 3));
        assertEquals(-3L, Fixed.mulDiv(-10, 1, 3));
        assertEquals(-3L, Fixed.mulDiv(10, -1, 3));
    }

    @Test
    void ppmUpRoundsAwayFromZero()
    {
        assertEquals(1L, Fixed.mulPpmUp(1, 1));
        assertEquals(-1L, Fixed.mulPpmUp(-1, 1));
        assertEquals(500L, Fixed.mulPpmUp(1_000_000, 500));
    }

    @Test
    void overflowIsRejectedNotWrapped()
    {
        assertThrows(ArithmeticException.class, () -> Fixed.mulDiv(Long.MAX_VALUE, Long.MAX_VALUE, 1));
        assertThrows(ArithmeticException.class, () -> Fixed.mulDiv(Long.MIN_VALUE, 1, 1));
        assertThrows(ArithmeticException.class, () -> Fixed.mulDiv(1, 1, 0));
        assertThrows(ArithmeticException.class, () -> Fixed.notional(Long.MAX_VALUE / 2, 4, 1));
        assertEquals(Long.MAX_VALUE, Fixed.mulDiv(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE));
    }
}
