package io.clearing.margin;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How far the delta-gamma-vega expansion's maintenance margin is from full revaluation on the default grid, on
 * seeded random option books (1-10 options per underlying, moneyness 0.7-1.3, vol 30-150%, both signs, some
 * futures), by time to expiry. Prints the distribution of |expansion - full| / full; asserts the stated bounds.
 */
final class ExpansionAccuracyTest
{
    private static final int BOOKS_PER_CLASS = 4_000;
    private static final String[] CLASS_NAMES = {"< 7 days", "7-30 days", "> 30 days"};

    @Test
    void expansionStaysWithinTheStatedToleranceOfFullRevaluation()
    {
        final RiskParameters parameters = new RiskParameters();
        final MarginCalculator expansion = new MarginCalculator(parameters).withIsolated(false);
        final MarginCalculator full = new MarginCalculator(parameters).withIsolated(false).fullRevaluation(true);
        final SplittableRandom random = new SplittableRandom(20_260_101L);
        final double[][] relative = new double[3][BOOKS_PER_CLASS];
        final int[] under = new int[3];
        final double[] worstUnder = new double[3];
        for (int n = 0; n < BOOKS_PER_CLASS; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                final RandomBook book = RandomBook.options(random, c, 1 + random.nextInt(3), 0, false, true);
                book.evaluate(expansion);
                book.evaluate(full);
                final double e = expansion.maintenanceMargin();
                final double f = full.maintenanceMargin();
                final double r = (e - f) / f;
                relative[c][n] = Math.abs(r);
                if (r < 0)
                {
                    under[c]++;
                    worstUnder[c] = Math.min(worstUnder[c], r);
                }
            }
        }
        System.out.println("expansion vs full revaluation, |MM_expansion - MM_full| / MM_full, " + BOOKS_PER_CLASS +
            " books per class");
        System.out.println("| expiry | median | p90 | p99 | max | expansion below full | worst below |");
        for (int c = 0; c < 3; c++)
        {
            final double[] sorted = relative[c].clone();
            Arrays.sort(sorted);
            System.out.printf("| %s | %.2f%% | %.2f%% | %.2f%% | %.2f%% | %.1f%% | %.2f%% |%n", CLASS_NAMES[c],
                100 * quantile(sorted, 0.5), 100 * quantile(sorted, 0.9), 100 * quantile(sorted, 0.99),
                100 * sorted[sorted.length - 1], 100.0 * under[c] / BOOKS_PER_CLASS, 100 * worstUnder[c]);
        }
        // Stated accuracy of the expansion (measured p99: 89.8%, 54.6%, 22.7%; medians 10.3%, 6.6%, 3.5%; it is
        // below full revaluation in 38-41% of books, by up to 84%): p99 within 95% / 60% / 25% by class.
        final double[] p99Bound = {0.95, 0.60, 0.25};
        for (int c = 0; c < 3; c++)
        {
            final double[] sorted = relative[c].clone();
            Arrays.sort(sorted);
            assertTrue(quantile(sorted, 0.99) <= p99Bound[c], CLASS_NAMES[c] + " p99 " + quantile(sorted, 0.99));
        }
    }

    private static double quantile(final double[] sorted, final double q)
    {
        return sorted[(int)Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }
}
