package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.engine.cli.Simulator;
import io.clearing.margin.Fixed;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.LiquidationTradeDecoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.settlement.Limits;
import io.clearing.settlement.Positions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Money is conserved through a seeded simulated market including its -40% crash with liquidations, insurance payouts
 * and auto-deleveraging: after every document every asset's balances sum exactly to deposits less withdrawals, and
 * the journal audits (the Auditor also checks conservation incrementally at every document). The market keeps the
 * full run's ratio of about 20 commands per account. Scale with {@code -Dclearing.soak.commands=N} (default 40,000;
 * the full size is 1,000,000): above 4,096 accounts the exact ledger check runs every 1,000 documents, the
 * Auditor's check at every one.
 */
final class ConservationPropertyTest
{
    private static final long COMMANDS = Long.getLong("clearing.soak.commands", 40_000L);
    private static final int ACCOUNTS = (int)Math.max(2_000, COMMANDS / 20);
    private static final int CAPACITY = Integer.highestOneBit(ACCOUNTS + 16) * 2;
    private static final long CHECK_EVERY = CAPACITY <= 4_096 ? 1 : 1_000;
    private static final int EVENT_LENGTH_PREFIX = 4;

    @TempDir
    Path journal;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void broadMarketConservesMoneyAfterEveryDocumentThroughTheCrash(final long seed)
    {
        // The simulator trades accounts up to their margin limit; its ~30% drop is twice the scenario range, so
        // every seed liquidates and the ledger is checked through liquidation steps and insurance payouts.
        final long[] counts = run(seed, ACCOUNTS, 100L * Fixed.SCALE, -1);
        assertTrue(counts[0] > 0, "the crash liquidated someone");
        assertTrue(counts[2] > 0, "the insurance fund covered a bankruptcy");
    }

    /** An empty insurance fund and no penalties: every bankruptcy in the crash must go to auto-deleveraging. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void emptyInsuranceFundSendsBankruptciesToAutoDeleveraging(final long seed)
    {
        final long[] counts = run(seed, ACCOUNTS, 0, 0);
        assertTrue(counts[0] > 0, "the crash liquidated someone");
        assertTrue(counts[1] > 0, "bankruptcies were auto-deleveraged");
    }

    /** Every instrument's open interest as kept equals the contracts held long and the contracts held short. */
    static boolean openInterestHolds(final ClearingStateMachine machine)
    {
        final Positions positions = machine.positions();
        for (int id = 0; id < Limits.MAX_INSTRUMENTS; id++)
        {
            long longs = 0;
            long shorts = 0;
            for (int slot = positions.firstHolder(id); slot >= 0; slot = positions.nextHolder(slot))
            {
                longs += Math.max(0, positions.quantity(slot));
                shorts += Math.max(0, -positions.quantity(slot));
            }
            if (longs != shorts || longs != positions.openInterest(id))
            {
                return false;
            }
        }
        return true;
    }

    /** @return {liquidation trades, auto-deleverage closes, insurance payouts} seen. */
    private long[] run(final long seed, final int accounts, final long insuranceFund, final long penaltyPpm)
    {
        final AtomicLong deleverages = new AtomicLong();
        final AtomicLong payouts = new AtomicLong();
        final AtomicLong documents = new AtomicLong();
        final AtomicLong liquidationTrades = new AtomicLong();
        final AtomicLong firstBroken = new AtomicLong(-1);
        final AtomicLong brokenAsset = new AtomicLong(-1);
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final ClearingEngine[] holder = new ClearingEngine[1];
        final EngineListener conservation = (sequence, command, commandOffset, commandLength, events, eventsOffset,
            eventsLength, eventCount, submitNanos) ->
        {
            for (int i = 0, offset = eventsOffset; i < eventCount; i++)
            {
                final int templateId = header.wrap(events, offset + EVENT_LENGTH_PREFIX).templateId();
                if (templateId == LiquidationTradeDecoder.TEMPLATE_ID)
                {
                    liquidationTrades.incrementAndGet();
                }
                else if (templateId == io.clearing.sbe.AutoDeleverageDecoder.TEMPLATE_ID)
                {
                    deleverages.incrementAndGet();
                }
                else if (templateId == io.clearing.sbe.InsurancePayoutDecoder.TEMPLATE_ID)
                {
                    payouts.incrementAndGet();
                }
                offset += EVENT_LENGTH_PREFIX + events.getInt(offset, ByteOrder.LITTLE_ENDIAN);
            }
            // On the engine thread: the state machine is quiescent between documents.
            final int asset = sequence % CHECK_EVERY == 0 ? holder[0].stateMachine().ledger().checkConservation() : -1;
            if (sequence % CHECK_EVERY == 0 && !openInterestHolds(holder[0].stateMachine()) && firstBroken.get() < 0)
            {
                firstBroken.set(sequence);
                brokenAsset.set(-2);
            }
            if (asset >= 0 && firstBroken.get() < 0)
            {
                firstBroken.set(sequence);
                brokenAsset.set(asset);
            }
            documents.incrementAndGet();
        };
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).accountCapacity(CAPACITY)
            .ringSize(1 << 12).listener(conservation).build();
        holder[0] = engine;
        final Simulator simulator;
        try (engine)
        {
            engine.start();
            simulator = new Simulator(engine, accounts, COMMANDS, seed).stress(insuranceFund, penaltyPpm);
            simulator.run(sent -> { });
            // Wait for the engine to drain rather than rely on close() to do it.
            final long deadline = System.currentTimeMillis() + 30_000;
            while (documents.get() < simulator.sent() && System.currentTimeMillis() < deadline)
            {
                Thread.onSpinWait();
            }
            assertEquals(null, engine.failure());
        }
        assertEquals(simulator.sent(), documents.get(), "every command produced a document");
        assertEquals(-1, firstBroken.get(), "conservation first broken at sequence " + firstBroken.get() +
            " for asset " + brokenAsset.get() + " (-2: open interest)");
        final Auditor.Result audit = new Auditor(CAPACITY, new RiskParameters()).audit(journal);
        assertTrue(audit.ok(), audit.failure());
        assertEquals(simulator.sent(), audit.documents());
        return new long[]{liquidationTrades.get(), deleverages.get(), payouts.get()};
    }
}
