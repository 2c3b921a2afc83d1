package io.clearing.engine;

import io.clearing.settlement.EventWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine margins accounts from risk rows (one per account and risk unit, kept exactly through fills and order
 * changes, rebuilt after market data of their unit changed). Oracle: every such evaluation, on a simulated market with
 * funding, an expiry, a crash with liquidations and risk-parameter changes, is repeated position by position and
 * must give the same initial margin, margin with orders, maintenance margin and unrealized P&amp;L to the unit.
 */
final class RiskRowsEngineTest
{
    @ParameterizedTest
    @CsvSource({"1, false", "2, true"})
    void everyEvaluationFromRowsEqualsOnePositionByPosition(final long seed, final boolean deleverage)
    {
        final SnapshotWorkload workload = new SnapshotWorkload(seed, 300, 100_000, deleverage);
        final ClearingStateMachine machine = SnapshotWorkload.newMachine();
        // Every account from rows, however small, so that every evaluation is cross-checked.
        machine.rowThreshold(0);
        machine.crossCheckRows(true);
        workload.apply(machine, 0, workload.size(), new EventWriter());

        assertTrue(machine.rowChecks() > 50_000, "checks " + machine.rowChecks());
        System.out.printf("seed %d: %d evaluations cross-checked, rows kept %d, rebuilt %d%n", seed, machine.rowChecks(),
            machine.rowsKept(), machine.rowsRebuilt());
        assertEquals(0, machine.rowMismatches(), "mismatches out of " + machine.rowChecks());
        // Both ways of getting a row were exercised.
        assertTrue(machine.rowsKept() > 10_000, "rows kept " + machine.rowsKept());
        assertTrue(machine.rowsRebuilt() > 10_000, "rows rebuilt " + machine.rowsRebuilt());
    }
}
