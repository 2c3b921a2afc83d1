package io.clearing.engine;

import io.clearing.engine.cli.Simulator;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.MarginState;
import io.clearing.settlement.Accounts;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine keeps every account's margin state current without re-evaluating every account on every price move
 * (price bands, see PriceWatch). Oracle: after every document of a simulated market, every account with positions is
 * re-evaluated from scratch and its state must equal the one the engine holds.
 */
final class ContinuousMarginTest
{
    private static final int ACCOUNTS = 300;
    private static final int CAPACITY = 512;
    private static final long COMMANDS = 20_000;

    @TempDir
    Path journal;

    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void everyAccountStateIsCurrentAfterEveryDocument(final long seed)
    {
        final AtomicLong documents = new AtomicLong();
        final AtomicLong checks = new AtomicLong();
        final AtomicLong stale = new AtomicLong();
        final AtomicReference<String> first = new AtomicReference<>();
        final ClearingEngine[] holder = new ClearingEngine[1];
        final long[] fresh = new long[8];
        final EngineListener oracle = (sequence, command, co, cl, events, eo, el, count, submitNanos) ->
        {
            final ClearingStateMachine machine = holder[0].stateMachine();
            final Accounts accounts = machine.accounts();
            for (int id = Accounts.FIRST_USER_ACCOUNT; id < Accounts.FIRST_USER_ACCOUNT + ACCOUNTS; id++)
            {
                if (!accounts.isOpen(id) || (accounts.positionCount(id) == 0 && !owesSomething(accounts, id)))
                {
                    // No position and no debt: nothing but its own commands can change its state.
                    continue;
                }
                machine.evaluate(id, fresh);
                checks.incrementAndGet();
                if (fresh[0] != accounts.state(id))
                {
                    stale.incrementAndGet();
                    first.compareAndSet(null, "account " + id + " at sequence " + sequence + ": engine holds " +
                        MarginState.get((short)accounts.state(id)) + ", fresh evaluation says " +
                        MarginState.get((short)fresh[0]) + " (equity " + fresh[3] + ", IM " + fresh[4] + ", MM " +
                        fresh[5] + ")");
                }
            }
            documents.incrementAndGet();
        };
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).accountCapacity(CAPACITY)
            .ringSize(1 << 12).listener(oracle).build();
        holder[0] = engine;
        final Simulator simulator;
        try (engine)
        {
            engine.start();
            simulator = new Simulator(engine, ACCOUNTS, COMMANDS, seed);
            simulator.run(sent -> { });
            while (documents.get() < simulator.sent())
            {
                Thread.onSpinWait();
            }
        }
        assertTrue(checks.get() > 1_000_000, "checks " + checks.get());
        assertEquals(0, stale.get(), "stale states out of " + checks.get() + " checks; first: " + first.get());
    }

    private static boolean owesSomething(final Accounts accounts, final int id)
    {
        for (int asset = 0; asset < io.clearing.settlement.Limits.MAX_ASSETS; asset++)
        {
            if (accounts.balance(id, asset) < 0)
            {
                return true;
            }
        }
        return false;
    }
}
