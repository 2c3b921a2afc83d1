package io.clearing.margin;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Int128Test
{
    private static final BigInteger SCALE = BigInteger.valueOf(Fixed.SCALE);

    @Test
    void sumsAndDifferencesOfLongsAreExact()
    {
        final SplittableRandom random = new SplittableRandom(5);
        final Int128 value = new Int128();
        final Int128 other = new Int128().set(Long.MIN_VALUE);
        BigInteger exact = BigInteger.ZERO;
        BigInteger exactOther = BigInteger.valueOf(Long.MIN_VALUE);
        for (int i = 0; i < 200_000; i++)
        {
            final long operand = random.nextInt(8) == 0 ? extreme(random) : random.nextLong() >> random.nextInt(64);
            switch (random.nextInt(5))
            {
                case 0 -> { value.add(operand); exact = exact.add(BigInteger.valueOf(operand)); }
                case 1 -> { value.subtract(operand); exact = exact.subtract(BigInteger.valueOf(operand)); }
                case 2 -> { other.add(operand); exactOther = exactOther.add(BigInteger.valueOf(operand)); }
                case 3 -> { value.negate(); exact = exact.negate(); }
                default -> { value.add(other); exact = exact.add(exactOther); }
            }
            assertEquals(exact.toString(), value.toString());
            assertEquals(Integer.signum(exact.compareTo(exactOther)), Integer.signum(value.compareTo(other)));
            assertEquals(Integer.signum(exact.compareTo(BigInteger.valueOf(operand))),
                Integer.signum(value.compareTo(operand)));
            assertEquals(exact.signum(), value.signum());
            assertEquals(clamp(exact, Long.MAX_VALUE), value.clamp(Long.MAX_VALUE));
            assertEquals(clamp(exact, 1L << 60), value.clamp(1L << 60));
        }
    }

    @Test
    void negationIsExactAtTheEdges()
    {
        final Int128 value = new Int128();
        for (final long v : new long[] {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, -(1L << 63) + 1})
        {
            assertEquals(BigInteger.valueOf(v).negate().toString(), value.set(v).negate().toString());
            assertEquals(String.valueOf(v), value.negate().toString());
        }
        // Across the halves: 2^64 and -(2^64).
        value.set(Long.MAX_VALUE).add(Long.MAX_VALUE).add(2);
        assertEquals(BigInteger.ONE.shiftLeft(64).negate().toString(), value.negate().toString());
        assertEquals(BigInteger.ONE.shiftLeft(64).toString(), value.negate().toString());
    }

    @Test
    void productsAreTheTruncatedExactQuotient()
    {
        final SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 200_000; i++)
        {
            final long a = random.nextInt(8) == 0 ? extreme(random) : random.nextLong() >> random.nextInt(64);
            final long b = random.nextInt(8) == 0 ? extreme(random) : random.nextLong() >> random.nextInt(64);
            final long c = Math.max(1L, Math.abs(random.nextLong() >> random.nextInt(63)));
            final long start = random.nextLong();
            final BigInteger exact = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b))
                .divide(BigInteger.valueOf(c)).add(BigInteger.valueOf(start));
            assertEquals(exact.toString(), new Int128().set(start).addProduct(a, b, c).toString(),
                a + " * " + b + " / " + c);
        }
        // Where Fixed.mulDiv fits, the same bits.
        assertEquals(Long.toString(Fixed.mulDiv(-7, 5, 3)), new Int128().addProduct(-7, 5, 3).toString());
    }

    @Test
    void notionalsAreExactUpTo2To120()
    {
        final SplittableRandom random = new SplittableRandom(13);
        for (int i = 0; i < 200_000; i++)
        {
            final long quantity = random.nextLong() >> random.nextInt(64);
            final long size = Math.abs(random.nextLong() >> random.nextInt(63));
            final long price = Math.abs(random.nextLong() >> random.nextInt(63));
            BigInteger product = BigInteger.valueOf(quantity).abs().multiply(BigInteger.valueOf(size))
                .multiply(BigInteger.valueOf(price));
            if (product.bitLength() > 120)
            {
                product = BigInteger.ONE.shiftLeft(120);
            }
            final BigInteger quotient = product.divide(SCALE);
            final BigInteger exact = quantity < 0 ? quotient.negate() : quotient;
            assertEquals(exact.toString(), new Int128().addNotional(quantity, size, price).toString(),
                quantity + " x " + size + " x " + price);
        }
        // 1e11 contracts of 1,000 units at 1e-8: 1e14 units, though quantity x size does not fit a long.
        assertEquals("-100000000000000", new Int128().addNotional(-100_000_000_000L, 100_000_000_000L, 1).toString());
        assertEquals(Long.toString(Fixed.notional(-10_000_000_000L, Fixed.SCALE, 160_000_000L)),
            new Int128().addNotional(-10_000_000_000L, Fixed.SCALE, 160_000_000L).toString());
    }

    @Test
    void aWeightTruncatesAsMulPpmDoes()
    {
        final SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < 200_000; i++)
        {
            final long a = Math.abs(random.nextLong() >> random.nextInt(63));
            final long b = Math.abs(random.nextLong() >> random.nextInt(63)) >> 10;
            final long weight = random.nextLong(Fixed.PPM + 1);
            final Int128 value = new Int128().addProduct(a, b, 1);
            final BigInteger[] exact = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b))
                .multiply(BigInteger.valueOf(weight)).divideAndRemainder(BigInteger.valueOf(Fixed.PPM));
            final long remainder = value.multiplyDivide(weight, Fixed.PPM);
            assertEquals(exact[0].toString(), value.toString(), a + " x " + b + " x " + weight + " ppm");
            assertEquals(exact[1].longValueExact(), remainder);
        }
        final Int128 fits = new Int128().set(123_456_789_012_345L);
        fits.multiplyDivide(950_000, Fixed.PPM);
        assertEquals(Long.toString(Fixed.mulPpm(123_456_789_012_345L, 950_000)), fits.toString());
    }

    private static long extreme(final SplittableRandom random)
    {
        final long[] values = {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0, 1, Long.MIN_VALUE + 1, 1L << 62, -(1L << 62)};
        return values[random.nextInt(values.length)];
    }

    private static long clamp(final BigInteger value, final long bound)
    {
        return value.max(BigInteger.valueOf(-bound)).min(BigInteger.valueOf(bound)).longValueExact();
    }
}
