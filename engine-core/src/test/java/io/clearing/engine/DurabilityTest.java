package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.engine.cli.Simulator;
import io.clearing.margin.RiskParameters;
import io.clearing.settlement.journal.Durability;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Durability#SYNCED}: the engine forces the journal to disk once per batch and delivers a batch only after
 * that, so no listener ever hears of a document the disk does not hold; everything else - the documents, their order,
 * the journal's bytes, snapshots, the audit - is what {@link Durability#PAGE_CACHE} gives.
 */
final class DurabilityTest
{
    private static final int ACCOUNTS = 300;
    private static final long COMMANDS = 30_000;
    private static final int ACCOUNT_CAPACITY = 4096;

    @TempDir
    Path work;

    /** What a listener saw, and whether each document was on disk when it saw it. */
    private static final class Witness implements EngineListener
    {
        final AtomicReference<ClearingEngine> engine = new AtomicReference<>();
        final List<byte[]> digests = new ArrayList<>();
        final MessageDigest sha256;
        long lastSequence;
        long deliveredBeforeDisk;
        boolean contiguous = true;

        Witness()
        {
            try
            {
                sha256 = MessageDigest.getInstance("SHA-256");
            }
            catch (final NoSuchAlgorithmException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        @Override
        public synchronized void onDocument(final long sequence, final DirectBuffer command, final int commandOffset,
            final int commandLength, final DirectBuffer events, final int eventsOffset, final int eventsLength,
            final int eventCount, final long submitNanos)
        {
            final ClearingEngine running = engine.get();
            if (running.durability() == Durability.SYNCED && running.syncedSequence() < sequence)
            {
                deliveredBeforeDisk++;
            }
            contiguous &= sequence == lastSequence + 1;
            lastSequence = sequence;
            final byte[] bytes = new byte[commandLength + eventsLength + 4];
            command.getBytes(commandOffset, bytes, 0, commandLength);
            events.getBytes(eventsOffset, bytes, commandLength, eventsLength);
            bytes[bytes.length - 4] = (byte)eventCount;
            bytes[bytes.length - 3] = (byte)(eventCount >>> 8);
            bytes[bytes.length - 2] = (byte)(eventCount >>> 16);
            bytes[bytes.length - 1] = (byte)(eventCount >>> 24);
            digests.add(sha256.digest(bytes));
        }
    }

    private Witness run(final Path journal, final Durability durability, final int ringSize)
    {
        final Witness witness = new Witness();
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).accountCapacity(ACCOUNT_CAPACITY)
            .ringSize(ringSize).snapshotEvery(7_000).snapshotsKept(10).durability(durability).listener(witness).build();
        witness.engine.set(engine);
        try (engine)
        {
            engine.start();
            new Simulator((buffer, offset, length) -> engine.submit(buffer, offset, length), ACCOUNTS, COMMANDS, 5L)
                .run(sent -> {});
            engine.close();
            // Exactly the generator's commands, its setup included.
            assertEquals(COMMANDS, engine.lastSequence());
            assertEquals(durability == Durability.SYNCED ? engine.lastSequence() : 0, engine.syncedSequence());
            assertEquals(engine.lastSequence(), witness.digests.size());
            if (durability == Durability.SYNCED)
            {
                // One force per batch the engine thread took off the ring: more than one, at most one per document.
                assertTrue(engine.journalSyncs() > 1 && engine.journalSyncs() <= COMMANDS,
                    engine.journalSyncs() + " group commits");
            }
            else
            {
                assertEquals(0, engine.journalSyncs());
            }
            assertEquals(4, engine.snapshotsWritten());
        }
        return witness;
    }

    @Test
    void syncedEngineDeliversOnlyDocumentsOnDiskAndExactlyWhatThePageCacheEngineDelivers()
    {
        final Witness pageCache = run(work.resolve("page-cache"), Durability.PAGE_CACHE, 1024);
        // A small ring makes many small batches: many group commits, each followed by its deliveries.
        final Witness synced = run(work.resolve("synced"), Durability.SYNCED, 64);

        assertEquals(0, synced.deliveredBeforeDisk, "documents delivered before the disk held them");
        assertTrue(synced.contiguous && pageCache.contiguous);
        assertEquals(pageCache.digests.size(), synced.digests.size());
        for (int i = 0; i < synced.digests.size(); i++)
        {
            assertArrayEquals(pageCache.digests.get(i), synced.digests.get(i), "document " + (i + 1));
        }
        final Auditor auditor = new Auditor(ACCOUNT_CAPACITY, new RiskParameters());
        final Auditor.Result a = auditor.audit(work.resolve("page-cache"));
        final Auditor.Result b = auditor.audit(work.resolve("synced"));
        assertTrue(a.ok(), a.failure());
        assertTrue(b.ok(), b.failure());
        assertEquals(a.finalHash(), b.finalHash());
    }

    @Test
    void restartOfASyncedEngineContinuesTheJournalAndStaysSynced()
    {
        final Path journal = work.resolve("restart");
        final Witness first = new Witness();
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal)
            .accountCapacity(ACCOUNT_CAPACITY).durability(Durability.SYNCED).listener(first).build();
        first.engine.set(engine);
        try (engine)
        {
            engine.start();
            new Simulator((buffer, offset, length) -> engine.submit(buffer, offset, length), ACCOUNTS, 5_000, 9L)
                .run(sent -> {});
        }
        final long journaled = engine.lastSequence();
        assertEquals(journaled, engine.syncedSequence());
        assertEquals(journaled, first.digests.size());
        final Witness second = new Witness();
        // Deliveries resume after the journaled documents, which a restart replays without delivering.
        second.lastSequence = journaled;
        final ClearingEngine restarted = ClearingEngine.builder().journalDirectory(journal)
            .accountCapacity(ACCOUNT_CAPACITY).durability(Durability.SYNCED).listener(second).build();
        second.engine.set(restarted);
        try (restarted)
        {
            restarted.start();
            assertEquals(journaled, restarted.syncedSequence(), "the tail found at start is forced before any delivery");
            new Simulator((buffer, offset, length) -> restarted.submit(buffer, offset, length), ACCOUNTS, 8_000, 9L)
                .resumeAfter(5_000).run(sent -> {});
            restarted.close();
            assertEquals(restarted.lastSequence(), restarted.syncedSequence());
        }
        assertEquals(0, first.deliveredBeforeDisk + second.deliveredBeforeDisk);
        assertTrue(first.contiguous && second.contiguous);
        assertEquals(restarted.lastSequence() - journaled, second.digests.size());
        final Auditor.Result audit = new Auditor(ACCOUNT_CAPACITY, new RiskParameters()).audit(journal);
        assertTrue(audit.ok(), audit.failure());
        assertEquals(restarted.lastSequence(), audit.documents());
    }
}
