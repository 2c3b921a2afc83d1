package io.clearing.engine.audit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The audit's workers take the journal's stretches most work first (Auditor.longestFirst), the work estimated from
 * the evaluation counts the snapshots record; which order they run in never changes the verdict (the results are
 * merged in journal order: AuditCommandTest, SnapshotCommandsTest).
 */
final class AuditScheduleTest
{
    @Test
    void theStretchWithTheMostEvaluationsGoesFirstAndTheLastIsEstimatedAtTheMeanRate()
    {
        // Stretches: 0..1000 100 evaluations, ..2000 150, ..3000 650, ..4000 100, and 1,000 documents after the last
        // snapshot at its mean rate of 1,000 / 4,000 a document: 250.
        assertArrayEquals(new int[] {2, 4, 1, 0, 3}, Auditor.longestFirst(new long[] {1000, 2000, 3000, 4000},
            new long[] {100, 250, 900, 1000}, 5000));
    }

    @Test
    void withoutSnapshotsThereIsOneStretchAndAnUnknownEndCountsNothing()
    {
        assertArrayEquals(new int[] {0}, Auditor.longestFirst(new long[0], new long[0], 5000));
        assertArrayEquals(new int[] {1, 0}, Auditor.longestFirst(new long[] {10}, new long[] {5}, 4000));
        assertArrayEquals(new int[] {0, 1}, Auditor.longestFirst(new long[] {10}, new long[] {5}, -1));
    }

    @Test
    void equalEstimatesKeepJournalOrderAndACounterThatFellCountsZero()
    {
        assertArrayEquals(new int[] {0, 1, 2, 3}, Auditor.longestFirst(new long[] {10, 20, 30},
            new long[] {50, 100, 150}, 30));
        // A forged or foreign snapshot whose counter is lower than the one before: that stretch counts 0.
        assertArrayEquals(new int[] {0, 2, 1}, Auditor.longestFirst(new long[] {10, 20}, new long[] {50, 40}, 25));
    }
}
