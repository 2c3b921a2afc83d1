package io.clearing.engine;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.WithdrawalEncoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static io.clearing.engine.CommandHarness.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review fuzz: options of two expiries on two underlyings and a perpetual, accounts left at various multiples of
 * initial margin, walked through the near options' floor - first a quiet market where only time moves the margins,
 * then index ticks, single option marks, TimeAdvances and fundings; every account's held state must equal a fresh
 * evaluation after every command.
 */
final class TimeEdgeFuzzReviewTest
{
    private static final long HOUR = 3_600_000_000_000L;
    private static final long MINUTE = 60_000_000_000L;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
    void heldStatesFollowFreshEvaluations(final int seed)
    {
        final Random r = new Random(seed);
        final CommandHarness h = new CommandHarness();
        final long start = h.time;
        final int perp = 40;
        final long[] index = {65_000 * UNIT, 3_000 * UNIT};
        final double[] vol = new double[16];
        final long[] markOf = new long[16];
        for (int u = 0; u < 2; u++)
        {
            final long k = index[u];
            for (int j = 0; j < 4; j++)
            {
                final int id = u * 4 + j;
                final long expiry = start + (j < 2 ? 2 * HOUR + (u * 13 + r.nextInt(30)) * MINUTE : 30 * HOUR);
                h.instrument(id, j % 2 == 0 ? InstrumentKind.CALL : InstrumentKind.PUT, UNIT, k, expiry, u);
            }
            h.index(u, index[u] - UNIT);
            h.index(u, index[u]);
            for (int j = 0; j < 4; j++)
            {
                final int id = u * 4 + j;
                vol[id] = 0.4 + 0.4 * r.nextDouble();
                markOf[id] = index[u] / 60;
                h.mark(id, markOf[id] - UNIT / 100, vol[id]);
                h.mark(id, markOf[id], vol[id]);
            }
        }
        h.instrument(perp, InstrumentKind.PERPETUAL, UNIT / 1000, 0, 0, 0);
        h.mark(perp, index[0], 0);
        h.mark(perp, index[0] + 100 * UNIT, 0);
        h.deposit(30, 1_000_000_000 * UNIT);
        final int first = 20;
        final int last = 29;
        for (int a = first; a <= last; a++)
        {
            h.deposit(a, 10_000_000 * UNIT);
            if (a >= last - 1)
            {
                // Short 10 of one near option alone, left just above initial margin: its margin grows as the vol
                // shocks do towards the floor, in a quiet market with nothing but its time edge to notice.
                h.trade(a == last ? 0 : 4, a, 30, markOf[a == last ? 0 : 4], 10);
                final long[] fresh = new long[8];
                h.machine.evaluate(a, fresh);
                h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
                    .accountId(a).assetId(0).amount(fresh[3] - fresh[4] * 101 / 100).encodedLength());
                continue;
            }
            for (int n = 0; n < 3; n++)
            {
                final int id = r.nextInt(8);
                final long q = 1 + r.nextInt(10);
                if (r.nextBoolean())
                {
                    h.trade(id, a, 30, markOf[id], q);
                }
                else
                {
                    h.trade(id, 30, a, markOf[id], q);
                }
            }
            if (r.nextBoolean())
            {
                if (r.nextBoolean())
                {
                    h.trade(perp, a, 30, index[0] + 100 * UNIT, 100 + r.nextInt(1000));
                }
                else
                {
                    h.trade(perp, 30, a, index[0] + 100 * UNIT, 100 + r.nextInt(1000));
                }
            }
            final long[] fresh = new long[8];
            h.machine.evaluate(a, fresh);
            final long[] percents = {101, 102, 105, 110, 130, 200, 500, 2000};
            final long percent = percents[r.nextInt(percents.length)];
            final long amount = fresh[3] - fresh[4] * percent / 100;
            if (amount > 0)
            {
                h.apply(new WithdrawalEncoder().wrapAndApplyHeader(h.buffer, 0, h.header).timestamp(h.time++)
                    .accountId(a).assetId(0).amount(amount).encodedLength());
            }
        }
        check(h, first, last, "setup");
        // A quiet market through the near options' floors: prices stand still and only time moves the margins, the
        // options re-priced by index ticks at the same price or by TimeAdvance - the time edges alone must keep up.
        while (h.time < start + 3 * HOUR)
        {
            h.time += 5 * MINUTE;
            if (r.nextInt(3) == 0)
            {
                h.advanceTo(h.time);
            }
            else
            {
                final int u = r.nextInt(2);
                h.index(u, index[u]);
            }
            check(h, first, last, "quiet at +" + (h.time - start) / MINUTE + " min");
        }
        final long end = start + 9 * HOUR;
        while (h.time < end)
        {
            h.time += r.nextInt(4) == 0 ? r.nextInt(20) * MINUTE : r.nextInt(60) * 1_000_000_000L;
            final int kind = r.nextInt(10);
            final String what;
            if (kind < 4)
            {
                final int u = r.nextInt(2);
                index[u] += r.nextInt(3) == 0 ? 0 : (long)(index[u] * (r.nextGaussian() * 0.001));
                h.index(u, index[u]);
                what = "index " + u;
            }
            else if (kind < 7)
            {
                final int id = r.nextInt(8);
                vol[id] = Math.max(0.05, vol[id] * (1 + (r.nextInt(2) == 0 ? 0 : r.nextGaussian() * 0.01)));
                markOf[id] = Math.max(UNIT, markOf[id] + (long)(markOf[id] * r.nextGaussian() * 0.01));
                h.mark(id, markOf[id], vol[id]);
                what = "mark " + id;
            }
            else if (kind < 8)
            {
                h.mark(perp, index[0] + (long)(index[0] * 0.002 * r.nextGaussian()), 0);
                what = "perp mark";
            }
            else
            {
                h.advanceTo(h.time);
                what = "time";
            }
            check(h, first, last, what + " at +" + (h.time - start) / MINUTE + " min");
        }
    }

    private static void check(final CommandHarness h, final int first, final int last, final String what)
    {
        final long[] fresh = new long[8];
        for (int a = first; a <= last; a++)
        {
            h.machine.evaluate(a, fresh);
            assertEquals(MarginState.get((short)fresh[0]), MarginState.get((short)h.machine.accounts().state(a)),
                what + ": account " + a + " fresh equity " + fresh[3] + ", IM " + fresh[4] + ", MM " + fresh[5]);
        }
    }
}
