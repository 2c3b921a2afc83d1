package io.clearing.engine;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.clearing.margin.RiskParameters;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.Durability;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The embeddable clearing engine: SBE commands in from any thread, through an LMAX Disruptor ring, applied by one
 * business-logic thread to the {@link ClearingStateMachine} (or the {@link StateMachine} the builder was given); each command and its events journaled as one
 * hash-chained document; listeners called after the journal write (with {@link Durability#SYNCED}, after the
 * journal is forced to disk: once per batch, see {@link Builder#durability}).
 * <pre>{@code
 * try (ClearingEngine engine = ClearingEngine.builder().journalDirectory(dir).listener(myListener).build())
 * {
 *     engine.start();
 *     long result = engine.offer(buffer, 0, length);   // >= 0 accepted, < 0 see OFFER_* codes
 * }
 * }</pre>
 * Journal faults: when a document cannot be journaled (full disk, journal directory removed or replaced) the engine
 * stops before that command reaches any listener: {@link #failure()} holds the exception, whose message names the
 * journal directory and the cause, {@link #isRunning()} turns false and {@link #offer} returns
 * {@link #OFFER_CLOSED}. Nothing of the failed document is written (see {@link JournalWriter}), so every command a
 * listener saw is journaled and nothing else is. The stopped engine's in-memory state has applied the failed
 * command; discard it, fix the fault, and start a new engine on the same directory, which replays the journal.
 * <p>
 * On start the engine resumes where it stopped: it loads the newest valid snapshot (see {@link Builder#snapshotEvery}
 * and {@link #requestSnapshot()}) and replays the journal after it, or replays the whole journal when there is none;
 * {@link #recovery()} reports what it did.
 */
public final class ClearingEngine implements AutoCloseable
{
    /** {@link #offer} result: the ring is full; try again later (nothing was enqueued). */
    public static final long OFFER_BACK_PRESSURED = -1;
    /** {@link #offer} result: the frame is longer than a ring slot. */
    public static final long OFFER_TOO_LONG = -2;
    /** {@link #offer} result: the engine is not running (not started, closed, or stopped by a journal failure). */
    public static final long OFFER_CLOSED = -3;
    /** Bytes one ring slot holds; longer frames are refused by {@link #offer}. */
    public static final int SLOT_CAPACITY = 512;

    private final Path journalDirectory;
    private final long journalPreallocationBytes;
    private final Durability durability;
    private final int ringSize;
    private final WaitStrategyKind waitStrategy;
    private final List<EngineListener> listeners;
    private final int accountCapacity;
    private final RiskParameters riskParameters;
    private final long snapshotEvery;
    private final int snapshotsKept;
    private final boolean customLogic;
    private final EventWriter events = new EventWriter();
    private final byte[] chainHash = new byte[JournalDocument.HASH_LENGTH];
    private final AtomicLong listenerFailures = new AtomicLong();
    private final AtomicLong backPressured = new AtomicLong();
    private final AtomicLong journalSyncs = new AtomicLong();
    private final AtomicLong journalSyncNanos = new AtomicLong();
    private volatile long closedLastSequence;
    private volatile long closedSyncedSequence;

    private Disruptor<CommandSlot> disruptor;
    private RingBuffer<CommandSlot> ring;
    private JournalWriter journal;
    private ClearingStateMachine stateMachine;
    private StateMachine logic;
    private SnapshotWriter snapshots;
    private volatile Recovery recovery;
    private volatile boolean running;
    /**
     * Producers between their check of {@link #running} and the publication of the slot they claimed: close() waits
     * for none to be left before it drains, so nothing accepted is claimed after the drain.
     */
    private final java.util.concurrent.atomic.AtomicInteger producers = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Throwable failure;

    private ClearingEngine(final Builder builder)
    {
        journalDirectory = builder.journalDirectory;
        journalPreallocationBytes = builder.journalPreallocationBytes;
        durability = builder.durability;
        ringSize = builder.ringSize;
        waitStrategy = builder.waitStrategy;
        listeners = new ArrayList<>(builder.listeners);
        accountCapacity = builder.accountCapacity;
        riskParameters = builder.riskParameters;
        snapshotEvery = builder.snapshotEvery;
        snapshotsKept = builder.snapshotsKept;
        customLogic = builder.stateMachineFactory != null;
        if (customLogic)
        {
            logic = Objects.requireNonNull(builder.stateMachineFactory.get(), "stateMachine supplier returned null");
        }
    }

    /**
     * What {@link #start()} did to rebuild the state from the journal directory.
     *
     * @param snapshotSequence  journal sequence of the snapshot loaded, 0 when none was.
     * @param snapshotFile      the snapshot loaded, or null.
     * @param snapshotBytes     its length, 0 when none.
     * @param skippedSnapshots  "file: reason" for every snapshot passed over, newest first.
     * @param snapshotLoadNanos finding, reading, verifying and decoding the snapshot (building the empty state when
     *                          there is none).
     * @param replayedDocuments journal documents replayed after the snapshot (all of them when none was loaded).
     * @param replayNanos       replaying them.
     */
    public record Recovery(long snapshotSequence, Path snapshotFile, long snapshotBytes, List<String> skippedSnapshots,
        long snapshotLoadNanos, long replayedDocuments, long replayNanos)
    {
    }

    /**
     * @return a builder with defaults: ring 65,536, yielding wait, default risk parameters, 262,144 accounts, no
     * periodic snapshots, 3 snapshots kept.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Opens the journal, rebuilds the state - the newest valid snapshot, then the journal after it - and starts the
     * business-logic thread. A new journal first gets its genesis (sequence 0): the account capacity and risk
     * parameters of this engine, so that the journal alone says how to re-execute it ({@link Genesis}); an existing
     * journal is replayed with the configuration its genesis records, which must be this engine's. A snapshot is valid
     * when it is whole and its hash holds, it is at a sequence the journal holds and carries the hash of the journal's
     * document there, and it was built for at least this account capacity (more when the journal raised it with an
     * {@code AccountCapacityUpdate}); the others are passed over (see {@link #recovery()}), logged, and renamed
     * {@code .rejected} unless only the capacity differs.
     *
     * @return this engine.
     * @throws IllegalStateException if already started, the journal directory cannot be created, the journal was
     *                               started with another configuration (the message names the difference), or the
     *                               journal does not replay to the events it recorded.
     * @throws IllegalArgumentException if a risk parameter of a new journal's configuration is out of its range.
     * @throws java.io.UncheckedIOException if the journal cannot be opened for writing or its disk allocated
     *                                      (read-only or full filesystem); the message names the directory.
     */
    public synchronized ClearingEngine start()
    {
        if (disruptor != null)
        {
            throw new IllegalStateException("already started");
        }
        try
        {
            Files.createDirectories(journalDirectory);
        }
        catch (final java.io.IOException ex)
        {
            throw new IllegalStateException("cannot create journal directory " + journalDirectory.toAbsolutePath() +
                ": " + ex, ex);
        }
        journal = new JournalWriter(journalDirectory, journalPreallocationBytes, durability);
        try
        {
            recovery = restore(journal.lastSequence(), customLogic ? null : genesis());
        }
        catch (final RuntimeException ex)
        {
            journal.close();
            journal = null;
            throw ex;
        }
        if (!customLogic)
        {
            snapshots = new SnapshotWriter(new SnapshotStore(journalDirectory), snapshotsKept);
        }
        disruptor = new Disruptor<>(CommandSlot::new, ringSize, runnable ->
        {
            final Thread thread = new Thread(runnable, "clearing-engine");
            thread.setDaemon(true);
            return thread;
        }, ProducerType.MULTI, waitStrategy.create());
        disruptor.handleEventsWith(new BusinessLogicHandler());
        disruptor.setDefaultExceptionHandler(new FailureHandler());
        ring = disruptor.start();
        running = true;
        return this;
    }

    /**
     * Starts a new journal with its genesis - the configuration this engine was built with - or reads the genesis of
     * an existing one, which must record that same configuration.
     *
     * @return the journal's genesis; null for a journal started without one (before genesis documents existed).
     */
    private Genesis genesis()
    {
        if (journal.isEmpty())
        {
            final Genesis genesis = Genesis.of(accountCapacity, riskParameters);
            genesis.write(journal);
            journal.sync();
            return genesis;
        }
        final Genesis genesis = Genesis.read(journalDirectory);
        if (genesis != null)
        {
            final String rules = genesis.rulesDifference();
            if (rules != null)
            {
                throw new IllegalStateException("journal " + journalDirectory.toAbsolutePath() + ": " + rules);
            }
            final String difference = genesis.differenceFrom(accountCapacity, riskParameters);
            if (difference != null)
            {
                throw new IllegalStateException("journal " + journalDirectory.toAbsolutePath() + " was started with " +
                    "another configuration than this engine's: " + difference + ". A journal keeps the configuration " +
                    "it was started with (its genesis); risk parameters change by RiskParameterUpdate commands, " +
                    "the account capacity by AccountCapacityUpdate commands");
            }
        }
        return genesis;
    }

    private Recovery restore(final long lastSequence, final Genesis genesis)
    {
        final long loadStarted = System.nanoTime();
        final List<String> skipped = new ArrayList<>();
        SnapshotLoader.Loaded loaded = null;
        if (!customLogic)
        {
            loaded = SnapshotLoader.loadNewest(journalDirectory, lastSequence, accountCapacity, skipped);
            stateMachine = loaded != null ? loaded.machine() : genesis != null ? genesis.newMachine() :
                new ClearingStateMachine(accountCapacity, riskParameters);
            logic = stateMachine;
        }
        final long loadNanos = System.nanoTime() - loadStarted;
        final long from = loaded == null ? 0 : loaded.sequence();
        final long replayStarted = System.nanoTime();
        final long replayed = lastSequence > from ? Replay.restore(journalDirectory, logic, events, from) : 0;
        return new Recovery(from, loaded == null ? null : loaded.file(), loaded == null ? 0 : loaded.bytes(),
            List.copyOf(skipped), loadNanos, replayed, System.nanoTime() - replayStarted);
    }

    /**
     * Asks for a snapshot of the whole state. The business-logic thread takes it between two commands, after every
     * command offered before this call and before every command offered after it, so it reflects exactly the
     * documents journaled up to then. It is not a command: nothing is journaled, and replays and audits write no
     * files. The file is written by a background thread; the future completes once it is durable.
     *
     * @return completed with the snapshot written, or exceptionally when the engine is not running, its journal is
     * still empty, or the file cannot be written.
     * @throws UnsupportedOperationException if the engine runs a custom {@link StateMachine}.
     */
    public CompletableFuture<SnapshotFile> requestSnapshot()
    {
        if (customLogic)
        {
            throw new UnsupportedOperationException("snapshots need the ClearingStateMachine");
        }
        final CompletableFuture<SnapshotFile> result = new CompletableFuture<>();
        while (true)
        {
            producers.incrementAndGet();
            try
            {
                if (!running)
                {
                    result.completeExceptionally(new IllegalStateException("the engine is not running"));
                    return result;
                }
                final long sequence = ring.tryNext();
                final CommandSlot slot = ring.get(sequence);
                slot.length = 0;
                slot.snapshotRequest = result;
                slot.submitNanos = System.nanoTime();
                ring.publish(sequence);
                return result;
            }
            catch (final InsufficientCapacityException ex)
            {
                // Retried below, outside the producers count, so that close() is not kept waiting on a full ring.
            }
            finally
            {
                producers.decrementAndGet();
            }
            Thread.yield();
        }
    }

    /**
     * Enqueues one command frame; safe from any thread. The bytes are copied: the caller may reuse its buffer at
     * once.
     *
     * @param buffer holding the SBE frame.
     * @param offset of the frame.
     * @param length of the frame.
     * @return the ring sequence (>= 0) when enqueued, else {@link #OFFER_BACK_PRESSURED}, {@link #OFFER_TOO_LONG} or
     * {@link #OFFER_CLOSED}. A full ring is never a silent drop; a command accepted is journaled, even when
     * {@link #close()} runs at the same time.
     * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not lie inside {@code buffer}; nothing
     *                                   is enqueued.
     */
    public long offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > SLOT_CAPACITY || length < 0)
        {
            return running ? OFFER_TOO_LONG : OFFER_CLOSED;
        }
        if (offset < 0 || offset > buffer.capacity() - length)
        {
            // Checked before a slot is claimed: a claimed slot must be published, or the ring stops there.
            throw new IndexOutOfBoundsException("frame at " + offset + " of length " + length +
                " outside a buffer of " + buffer.capacity() + " bytes");
        }
        producers.incrementAndGet();
        try
        {
            if (!running)
            {
                return OFFER_CLOSED;
            }
            final long sequence;
            try
            {
                sequence = ring.tryNext();
            }
            catch (final InsufficientCapacityException ex)
            {
                // Disruptor signals a full ring with a pre-allocated exception (no stack trace, no allocation).
                backPressured.incrementAndGet();
                return OFFER_BACK_PRESSURED;
            }
            final CommandSlot slot = ring.get(sequence);
            slot.buffer.putBytes(0, buffer, offset, length);
            slot.length = length;
            slot.submitNanos = System.nanoTime();
            ring.publish(sequence);
            return sequence;
        }
        finally
        {
            producers.decrementAndGet();
        }
    }

    /**
     * Like {@link #offer} but waits (spinning then yielding) while the ring is full.
     *
     * @return the ring sequence, or {@link #OFFER_TOO_LONG} / {@link #OFFER_CLOSED}.
     */
    public long submit(final DirectBuffer buffer, final int offset, final int length)
    {
        int spins = 0;
        while (true)
        {
            final long result = offer(buffer, offset, length);
            if (result != OFFER_BACK_PRESSURED)
            {
                return result;
            }
            if (++spins > 100)
            {
                Thread.yield();
            }
            else
            {
                Thread.onSpinWait();
            }
        }
    }

    /** @return true between start and close, unless a journal failure stopped the engine. */
    public boolean isRunning()
    {
        return running;
    }

    /**
     * @return what stopped the engine - a journal write that failed (an {@link java.io.UncheckedIOException} naming
     * the journal directory and the cause) or an exception of the business logic - or null while it runs.
     */
    public Throwable failure()
    {
        return failure;
    }

    /** @return documents replayed from the journal at start (after the snapshot loaded, if any). */
    public long replayedDocuments()
    {
        final Recovery report = recovery;
        return report == null ? 0 : report.replayedDocuments();
    }

    /** @return what {@link #start()} did to rebuild the state, or null before start. */
    public Recovery recovery()
    {
        return recovery;
    }

    /** @return snapshots written since start (periodic and requested). */
    public long snapshotsWritten()
    {
        return snapshots == null ? 0 : snapshots.written();
    }

    /** @return snapshots that could not be written since start. */
    public long snapshotFailures()
    {
        return snapshots == null ? 0 : snapshots.failures();
    }

    /** @return the longest pause of the business-logic thread to encode a snapshot since start, ns. */
    public long maxSnapshotEncodeNanos()
    {
        return snapshots == null ? 0 : snapshots.maxEncodeNanos();
    }

    /** @return the pauses of the business-logic thread to encode snapshots since start, summed, ns. */
    public long totalSnapshotEncodeNanos()
    {
        return snapshots == null ? 0 : snapshots.totalEncodeNanos();
    }

    /** @return the last snapshot written since start, or null. */
    public SnapshotFile lastSnapshot()
    {
        return snapshots == null ? null : snapshots.last();
    }

    /** @return listener calls that threw. */
    public long listenerFailures()
    {
        return listenerFailures.get();
    }

    /** @return offers refused because the ring was full. */
    public long backPressuredOffers()
    {
        return backPressured.get();
    }

    /**
     * The state machine, for inspection once the engine is closed (or from a listener, on the engine thread). It is
     * built or loaded from a snapshot by {@link #start()}.
     *
     * @return the state machine.
     * @throws IllegalStateException before start, or if the builder was given another {@link StateMachine}.
     */
    public ClearingStateMachine stateMachine()
    {
        if (customLogic)
        {
            throw new IllegalStateException("this engine runs a custom state machine, not ClearingStateMachine");
        }
        if (stateMachine == null)
        {
            throw new IllegalStateException("not started: the state machine is built or loaded by start()");
        }
        return stateMachine;
    }

    /** @return the journal directory. */
    public Path journalDirectory()
    {
        return journalDirectory;
    }

    /** @return the sequence of the last journaled document (after {@link #close()}: when it closed). */
    public long lastSequence()
    {
        final JournalWriter writer = journal;
        return writer == null ? closedLastSequence : writer.lastSequence();
    }

    /** @return what a journaled document survives before the listeners hear of it. */
    public Durability durability()
    {
        return durability;
    }

    /**
     * @return the sequence of the last document forced to disk: with {@link Durability#SYNCED}, at least that of every
     *         document a listener was given; 0 with {@link Durability#PAGE_CACHE}. Read it on the engine thread (from a
     *         listener) or after {@link #close()}.
     */
    public long syncedSequence()
    {
        final JournalWriter writer = journal;
        return writer == null ? closedSyncedSequence : writer.syncedSequence();
    }

    /** @return group commits made ({@link Durability#SYNCED}: one per batch the engine thread took off the ring). */
    public long journalSyncs()
    {
        return journalSyncs.get();
    }

    /** @return time the engine thread spent in them, ns. */
    public long journalSyncNanos()
    {
        return journalSyncNanos.get();
    }

    /**
     * Processes everything already enqueued, stops the business-logic thread, waits for a snapshot being written and
     * closes the journal.
     */
    @Override
    public synchronized void close()
    {
        running = false;
        if (disruptor != null)
        {
            // A producer that saw the engine running publishes its slot before leaving the count: once none is
            // left, no slot can be claimed any more and the cursor is final.
            while (producers.get() != 0)
            {
                Thread.onSpinWait();
            }
            // Drain explicitly: halting a processor that has not started yet would drop accepted commands.
            final long published = ring.getCursor();
            while (ring.getMinimumGatingSequence() < published && failure == null)
            {
                Thread.yield();
            }
            disruptor.shutdown();
            disruptor = null;
        }
        if (snapshots != null)
        {
            snapshots.close();
        }
        if (journal != null)
        {
            final JournalWriter writer = journal;
            // Published before the writer goes: lastSequence() never reads lower while close() runs.
            closedLastSequence = writer.lastSequence();
            closedSyncedSequence = writer.syncedSequence();
            journal = null;
            try
            {
                writer.close();
            }
            finally
            {
                closedLastSequence = writer.lastSequence();
                closedSyncedSequence = writer.syncedSequence();
            }
        }
    }

    /** Bytes before each held document: sequence, submit time, command length, events length, event count. */
    private static final int HELD_HEADER = 32;
    /** Held documents past this size are committed without waiting for the end of the batch. */
    private static final int HELD_FLUSH_BYTES = 4 << 20;

    static final class CommandSlot
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SLOT_CAPACITY]);
        int length;
        long submitNanos;
        /** Not null: this slot is a snapshot request, not a command. */
        CompletableFuture<SnapshotFile> snapshotRequest;
    }

    private final class BusinessLogicHandler implements EventHandler<CommandSlot>
    {
        /**
         * {@link Durability#SYNCED}: the documents journaled since the last sync, held for the listeners until it.
         * Each: sequence, submit time, command length, events length, event count, then the command and the events.
         */
        private final ExpandableDirectByteBuffer held = new ExpandableDirectByteBuffer(64 * 1024);
        private int heldBytes;
        private final boolean deferred = durability == Durability.SYNCED && !listeners.isEmpty();

        @Override
        public void onEvent(final CommandSlot slot, final long sequence, final boolean endOfBatch)
        {
            try
            {
                handle(slot);
            }
            finally
            {
                if (endOfBatch || heldBytes >= HELD_FLUSH_BYTES)
                {
                    commitBatch();
                }
            }
        }

        /**
         * Group commit: forces the journal to disk up to its last document, then gives the held documents to the
         * listeners, in order. When the device refuses, the engine stops and the held documents are not delivered:
         * they are in the journal (the page cache), so a restart replays them.
         */
        private void commitBatch()
        {
            // After a failed sync nothing more is forced or delivered; after a failed append, what came before it is.
            if (durability != Durability.SYNCED || failure != null && heldBytes == 0 ||
                journal.syncedSequence() == journal.lastSequence())
            {
                return;
            }
            final long start = System.nanoTime();
            try
            {
                journal.sync();
            }
            catch (final RuntimeException ex)
            {
                heldBytes = 0;
                if (failure == null)
                {
                    failure = ex;
                }
                running = false;
                return;
            }
            journalSyncNanos.addAndGet(System.nanoTime() - start);
            journalSyncs.incrementAndGet();
            int at = 0;
            while (at < heldBytes)
            {
                final long journalSequence = held.getLong(at);
                final long submitNanos = held.getLong(at + 8);
                final int commandLength = held.getInt(at + 16);
                final int eventsLength = held.getInt(at + 20);
                final int eventCount = held.getInt(at + 24);
                final int commandAt = at + HELD_HEADER;
                deliver(journalSequence, held, commandAt, commandLength, held, commandAt + commandLength, eventsLength,
                    eventCount, submitNanos);
                at = commandAt + commandLength + eventsLength;
            }
            heldBytes = 0;
        }

        private void hold(final long journalSequence, final DirectBuffer command, final int length,
            final long submitNanos)
        {
            final int eventsLength = events.length();
            final int at = heldBytes;
            held.putLong(at, journalSequence);
            held.putLong(at + 8, submitNanos);
            held.putInt(at + 16, length);
            held.putInt(at + 20, eventsLength);
            held.putInt(at + 24, events.count());
            held.putBytes(at + HELD_HEADER, command, 0, length);
            held.putBytes(at + HELD_HEADER + length, events.buffer(), 0, eventsLength);
            heldBytes = at + HELD_HEADER + length + eventsLength;
        }

        private void deliver(final long journalSequence, final DirectBuffer command, final int commandOffset,
            final int commandLength, final DirectBuffer eventBuffer, final int eventsOffset, final int eventsLength,
            final int eventCount, final long submitNanos)
        {
            for (int i = 0, size = listeners.size(); i < size; i++)
            {
                try
                {
                    listeners.get(i).onDocument(journalSequence, command, commandOffset, commandLength,
                        eventBuffer, eventsOffset, eventsLength, eventCount, submitNanos);
                }
                catch (final VirtualMachineError ex)
                {
                    throw ex;
                }
                catch (final Throwable ex)
                {
                    // Anything a listener throws - an assertion, a checked exception thrown sneakily - is its own
                    // failure: counted, and the other listeners and the engine go on.
                    listenerFailures.incrementAndGet();
                }
            }
        }

        private void handle(final CommandSlot slot)
        {
            final CompletableFuture<SnapshotFile> snapshotRequest = slot.snapshotRequest;
            if (snapshotRequest != null)
            {
                slot.snapshotRequest = null;
                if (failure != null)
                {
                    snapshotRequest.completeExceptionally(new IllegalStateException("the engine stopped", failure));
                }
                else
                {
                    takeSnapshot(snapshotRequest);
                }
                return;
            }
            if (failure != null)
            {
                return;
            }
            final UnsafeBuffer command = slot.buffer;
            final int length = slot.length;
            logic.apply(command, 0, length, events);
            final long timestamp = length >= 16 ? command.getLong(8, ByteOrder.LITTLE_ENDIAN) : 0;
            final long journalSequence;
            try
            {
                journalSequence = journal.append(
                    timestamp, command, 0, length, events.buffer(), 0, events.length(), events.count());
            }
            catch (final RuntimeException | Error ex)
            {
                // Nothing of the document was written; stop before any listener hears of the command. The documents
                // held for a group commit before it are in the journal: commitBatch (onEvent) still delivers them.
                failure = ex;
                running = false;
                return;
            }
            if (deferred)
            {
                hold(journalSequence, command, length, slot.submitNanos);
            }
            else
            {
                deliver(journalSequence, command, 0, length, events.buffer(), 0, events.length(), events.count(),
                    slot.submitNanos);
            }
            if (snapshotEvery > 0 && journalSequence % snapshotEvery == 0)
            {
                takeSnapshot(null);
            }
        }

        private void takeSnapshot(final CompletableFuture<SnapshotFile> request)
        {
            // A snapshot never runs ahead of the disk: it names a journal document, which must be there after a
            // power loss for the snapshot to be of use.
            commitBatch();
            if (failure != null)
            {
                if (request != null)
                {
                    request.completeExceptionally(new IllegalStateException("the engine stopped", failure));
                }
                return;
            }
            final long journalSequence = journal.lastSequence();
            if (journalSequence == 0)
            {
                if (request != null)
                {
                    request.completeExceptionally(
                        new IllegalStateException("the journal is empty: nothing to snapshot"));
                }
                return;
            }
            journal.lastHash(chainHash);
            snapshots.take(stateMachine, journalSequence, chainHash, request);
        }
    }

    private final class FailureHandler implements ExceptionHandler<CommandSlot>
    {
        @Override
        public void handleEventException(final Throwable ex, final long sequence, final CommandSlot event)
        {
            failure = ex;
            running = false;
            final CompletableFuture<SnapshotFile> request = event.snapshotRequest;
            if (request != null)
            {
                event.snapshotRequest = null;
                request.completeExceptionally(ex);
            }
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            failure = ex;
            running = false;
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            failure = ex;
        }
    }

    /** Configures a {@link ClearingEngine}. */
    public static final class Builder
    {
        private Path journalDirectory;
        private long journalPreallocationBytes = JournalWriter.DEFAULT_PREALLOCATION_BYTES;
        private Durability durability = Durability.PAGE_CACHE;
        private int ringSize = 1 << 16;
        private WaitStrategyKind waitStrategy = WaitStrategyKind.YIELDING;
        private RiskParameters riskParameters = new RiskParameters();
        private int accountCapacity = 1 << 18;
        private long snapshotEvery;
        private int snapshotsKept = 3;
        private Supplier<? extends StateMachine> stateMachineFactory;
        private final List<EngineListener> listeners = new ArrayList<>();

        private Builder()
        {
        }

        /** Where the journal lives; created if missing; an existing journal is replayed at start. Required. */
        public Builder journalDirectory(final Path directory)
        {
            journalDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Disk the journal keeps allocated beyond its next document, in bytes (default
         * {@link JournalWriter#DEFAULT_PREALLOCATION_BYTES}); the engine stops on a full disk while this much may
         * still be free. See {@link JournalWriter#JournalWriter(Path, long)}.
         */
        public Builder journalPreallocationBytes(final long bytes)
        {
            if (bytes <= 0)
            {
                throw new IllegalArgumentException("journal preallocation must be > 0: " + bytes);
            }
            journalPreallocationBytes = bytes;
            return this;
        }

        /**
         * What a journaled document survives before the listeners hear of it (default {@link Durability#PAGE_CACHE}:
         * a process crash, not a power loss). With {@link Durability#SYNCED} the engine thread forces the journal to
         * disk once per batch it takes off the ring and only then gives the batch's documents to the listeners (group
         * commit): nothing a listener saw can be lost with the machine, at the price of one {@code fdatasync} per
         * batch on the engine thread. The journal's bytes are the same either way.
         */
        public Builder durability(final Durability durability)
        {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /** Ring slots, a power of two, at least 2. */
        public Builder ringSize(final int size)
        {
            if (size < 2 || Integer.bitCount(size) != 1)
            {
                throw new IllegalArgumentException("ring size must be a power of two >= 2: " + size);
            }
            ringSize = size;
            return this;
        }

        /** How the business-logic thread waits for work. */
        public Builder waitStrategy(final WaitStrategyKind kind)
        {
            waitStrategy = Objects.requireNonNull(kind, "kind");
            return this;
        }

        /**
         * Starting risk parameters (copied); RiskParameterUpdate commands change them later. A new journal records
         * them in its genesis (sequence 0); an existing journal must have been started with the same ones, or
         * {@link ClearingEngine#start()} refuses it.
         */
        public Builder riskParameters(final RiskParameters parameters)
        {
            riskParameters = Objects.requireNonNull(parameters, "parameters").copy();
            return this;
        }

        /**
         * Number of account ids the engine can hold, more than 16 (ids 0-15 are system accounts) and at most
         * {@code Accounts.MAX_CAPACITY}; each id takes a 192-byte record off the Java heap. Part of the rules (a
         * command naming an id beyond it is rejected): a new journal records it in its genesis, and an existing
         * journal must have been started with the same capacity, or {@link ClearingEngine#start()} refuses it. A
         * running journal's capacity is raised by an {@code AccountCapacityUpdate} command, which the journal keeps:
         * later restarts still name the starting capacity here.
         */
        public Builder accountCapacity(final int capacity)
        {
            accountCapacity = capacity;
            return this;
        }

        /**
         * Takes a snapshot after every journal document whose sequence is a multiple of {@code documents} (so at the
         * same sequences across restarts). The business-logic thread pauses to encode the state; a background thread
         * writes the file. 0 (the default) takes none; {@link ClearingEngine#requestSnapshot()} works either way.
         * Restart time is the snapshot load plus the replay of up to {@code documents} journal documents.
         */
        public Builder snapshotEvery(final long documents)
        {
            if (documents < 0)
            {
                throw new IllegalArgumentException("snapshot interval must be >= 0: " + documents);
            }
            snapshotEvery = documents;
            return this;
        }

        /** How many snapshot files to keep, newest first, at least 1 (default 3); older ones are deleted. */
        public Builder snapshotsKept(final int count)
        {
            if (count < 1)
            {
                throw new IllegalArgumentException("snapshots kept must be >= 1: " + count);
            }
            snapshotsKept = count;
            return this;
        }

        /**
         * Replaces the business logic: the engine runs the machine the supplier returns (called once, by
         * {@link #build()}) instead of a {@link ClearingStateMachine}, journaling and delivering its events the same way
         * and replaying the journal through it on start; {@link ClearingEngine#stateMachine()} then throws. For
         * measuring the pipeline without business logic, and for other deterministic machines.
         * The risk parameters, account capacity and snapshots are then unused (snapshots need the
         * ClearingStateMachine).
         */
        public Builder stateMachine(final Supplier<? extends StateMachine> factory)
        {
            stateMachineFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** Adds a listener, called in registration order. */
        public Builder listener(final EngineListener listener)
        {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** @return a new engine, not yet started. */
        public ClearingEngine build()
        {
            if (journalDirectory == null)
            {
                throw new IllegalStateException("journalDirectory is required");
            }
            if (stateMachineFactory != null && snapshotEvery > 0)
            {
                throw new IllegalStateException("snapshots need the ClearingStateMachine, not a custom state machine");
            }
            return new ClearingEngine(this);
        }
    }

    /** Rebuilds state from an existing journal. */
    static final class Replay
    {
        private Replay()
        {
        }

        /**
         * Applies the journal's documents after {@code afterSequence} and checks each re-executes to its events.
         *
         * @return documents replayed.
         */
        static long restore(final Path directory, final StateMachine machine, final EventWriter events,
            final long afterSequence)
        {
            final JournalDocument document = new JournalDocument();
            long count = 0;
            try (JournalReader reader = new JournalReader(directory))
            {
                if (afterSequence > 0 && !reader.seek(afterSequence + 1))
                {
                    throw new IllegalStateException("journal has no document " + (afterSequence + 1));
                }
                while (reader.next(document))
                {
                    if (document.sequence() == 0)
                    {
                        continue;  // the genesis: it configured the machine, it is not a command
                    }
                    machine.apply(document.buffer(), document.commandOffset(), document.commandLength(), events);
                    if (events.length() != document.eventsLength() || !Bytes.equal(events.buffer(), 0,
                        document.buffer(), document.eventsOffset(), document.eventsLength()))
                    {
                        throw new IllegalStateException("journal replay diverged at sequence " + document.sequence());
                    }
                    count++;
                }
            }
            return count;
        }
    }
}
