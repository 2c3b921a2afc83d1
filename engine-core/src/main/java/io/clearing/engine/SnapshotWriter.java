package io.clearing.engine;

import org.agrona.ExpandableDirectByteBuffer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Takes snapshots for the engine: the business-logic thread encodes the state (the only pause: nothing may change
 * while it is read), a writer thread then hashes it, writes it durably and prunes old files while the engine goes on.
 * One encode buffer, so a snapshot due while the previous one is still being written waits for it. Failures are
 * counted and reported to the requester, never thrown into the engine: the journal alone is the record.
 * {@link #take} is called on the business-logic thread only.
 */
final class SnapshotWriter implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(SnapshotWriter.class.getName());

    private final SnapshotStore store;
    private final int kept;
    private final SnapshotCodec codec = new SnapshotCodec();
    private final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(1 << 20);
    private final ExecutorService executor = Executors.newSingleThreadExecutor(runnable ->
    {
        final Thread thread = new Thread(runnable, "clearing-snapshot-writer");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong maxEncodeNanos = new AtomicLong();
    private final AtomicLong totalEncodeNanos = new AtomicLong();
    private final AtomicReference<SnapshotFile> last = new AtomicReference<>();
    private Future<?> inFlight;

    SnapshotWriter(final SnapshotStore store, final int kept)
    {
        this.store = store;
        this.kept = kept;
    }

    /**
     * Encodes the machine's state now and hands it to the writer thread.
     *
     * @param machine   the state as of journal document {@code sequence}.
     * @param sequence  the last journaled sequence.
     * @param chainHash its hash.
     * @param result    completed with the file once durable, or exceptionally; may be null.
     */
    void take(final ClearingStateMachine machine, final long sequence, final byte[] chainHash,
        final CompletableFuture<SnapshotFile> result)
    {
        awaitInFlight();
        final long started = System.nanoTime();
        final int contentLength;
        try
        {
            contentLength = codec.encode(machine, sequence, chainHash, buffer);
        }
        catch (final RuntimeException | OutOfMemoryError ex)
        {
            // E.g. a state too large for one buffer, or no direct memory left for it: the encode changed nothing,
            // so the engine goes on and the journal is the record.
            failed(sequence, result, ex);
            return;
        }
        final long encodeNanos = System.nanoTime() - started;
        maxEncodeNanos.accumulateAndGet(encodeNanos, Math::max);
        totalEncodeNanos.addAndGet(encodeNanos);
        inFlight = executor.submit(() -> write(sequence, contentLength, encodeNanos, result));
    }

    private void write(final long sequence, final int contentLength, final long encodeNanos,
        final CompletableFuture<SnapshotFile> result)
    {
        final long started = System.nanoTime();
        try
        {
            final int length = codec.seal(buffer, contentLength);
            final java.nio.file.Path file = store.write(buffer, length, sequence);
            store.prune(kept);
            final SnapshotFile snapshot = new SnapshotFile(sequence, file, length, encodeNanos,
                System.nanoTime() - started);
            last.set(snapshot);
            written.incrementAndGet();
            if (result != null)
            {
                result.complete(snapshot);
            }
        }
        catch (final Exception ex)
        {
            failed(sequence, result, ex);
        }
    }

    private void failed(final long sequence, final CompletableFuture<SnapshotFile> result, final Throwable ex)
    {
        failures.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "snapshot at sequence " + sequence + " not written: " + ex);
        if (result != null)
        {
            result.completeExceptionally(ex);
        }
    }

    private void awaitInFlight()
    {
        if (inFlight == null)
        {
            return;
        }
        try
        {
            inFlight.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException ex)
        {
            // write() reports its own failures; nothing else can fail.
        }
        inFlight = null;
    }

    /** @return snapshots written since start. */
    long written()
    {
        return written.get();
    }

    /** @return snapshots that could not be written. */
    long failures()
    {
        return failures.get();
    }

    /** @return the longest encode pause of the business-logic thread, ns. */
    long maxEncodeNanos()
    {
        return maxEncodeNanos.get();
    }

    /** @return the business-logic thread's encode pauses summed, ns. */
    long totalEncodeNanos()
    {
        return totalEncodeNanos.get();
    }

    /** @return the last snapshot written, or null. */
    SnapshotFile last()
    {
        return last.get();
    }

    /** Waits for the snapshot being written, then stops the writer thread. */
    @Override
    public void close()
    {
        executor.shutdown();
        try
        {
            executor.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
