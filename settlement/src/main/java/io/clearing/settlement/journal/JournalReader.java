package io.clearing.settlement.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads journal documents in order, from the start or from a {@link #seek(long) sought} sequence, including
 * documents appended while reading. Opens the queue read-only and never creates files.
 * <p>
 * Each document is copied into a buffer owned by the reader, so the {@link JournalDocument} filled by
 * {@link #next(JournalDocument)} stays valid until the next call to {@code next}. Chronicle only exposes an excerpt
 * once it is complete, so a reader never sees part of a document. The reader checks nothing: run documents
 * through a {@link HashChainVerifier} to detect damage.
 * <p>
 * Not thread-safe: confine an instance to one thread at a time. {@link #next(JournalDocument)} allocates nothing in
 * steady state; {@link #seek(long)} and {@link #lastSequence()} may allocate.
 */
public final class JournalReader implements AutoCloseable
{
    private static final int INITIAL_BUFFER_CAPACITY = 4096;
    /** Marks a document too damaged or missing to yield a sequence; unlike any sequence the writer produces. */
    private static final long UNREADABLE = Long.MIN_VALUE;

    private final Path directory;
    private final SingleChronicleQueue queue;
    private final RollCycle rollCycle;
    private final ExcerptTailer tailer;
    private final ExcerptTailer probe;
    /** Only ever asked for excerpt counts: Chronicle's count releases the tailer's file, so it must not read. */
    private final ExcerptTailer counter;
    private final ExpandableArrayBuffer documentBuffer = new ExpandableArrayBuffer(INITIAL_BUFFER_CAPACITY);
    private final UnsafeBuffer sequenceBuffer = new UnsafeBuffer(new byte[Long.BYTES]);

    /**
     * Opens an existing journal for reading, positioned at its first document.
     *
     * @param directory of a journal written by {@link JournalWriter}.
     * @throws IllegalArgumentException if {@code directory} does not exist or holds no Chronicle queue.
     * @throws IllegalStateException    if a queue file is cut short ({@link JournalFiles}; the newest may be empty,
     *                                  as Chronicle creates it) or the queue cannot be opened.
     */
    public JournalReader(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            throw new IllegalArgumentException("no journal at " + directory.toAbsolutePath() + ": not a directory");
        }
        if (!Files.isRegularFile(directory.resolve(SingleChronicleQueue.QUEUE_METADATA_FILE)))
        {
            throw new IllegalArgumentException("no journal at " + directory.toAbsolutePath() + ": no " +
                SingleChronicleQueue.QUEUE_METADATA_FILE + ", so not a Chronicle queue");
        }

        final String damage = JournalFiles.damage(directory, true);
        if (damage != null)
        {
            throw new IllegalStateException(damage);
        }

        this.directory = directory;
        try
        {
            queue = SingleChronicleQueueBuilder.binary(directory)
                .readOnly(true)
                .blockSize(JournalWriter.BLOCK_SIZE)
                .build();
        }
        catch (final Exception | InternalError ex)
        {
            // Chronicle's own reasons in this reader's terms. A damaged length in the metadata file makes Chronicle
            // read past its mapping, which HotSpot reports as an InternalError at the faulting access.
            throw new IllegalStateException("journal " + directory.toAbsolutePath() + ": its queue cannot be " +
                "opened (its metadata file " + SingleChronicleQueue.QUEUE_METADATA_FILE + " may be damaged): " +
                ex.getMessage(), ex);
        }
        try
        {
            rollCycle = queue.rollCycle();
            tailer = queue.createTailer();
            probe = queue.createTailer();
            counter = queue.createTailer();
        }
        catch (final Exception | InternalError ex)
        {
            queue.close();
            throw damaged("its first queue file cannot be opened (its header may be damaged)", ex);
        }
    }

    /**
     * Positions the reader so the next {@link #next(JournalDocument)} returns the document carrying
     * {@code sequence}. As the writer numbers documents contiguously, the document sits {@code sequence - first}
     * excerpts from the start; walking the per-file excerpt counts turns that into a Chronicle index without
     * reading the documents in between. The document found there must carry {@code sequence}, so a journal whose
     * numbering was damaged yields false rather than a wrong document. Costs one count per roll-cycle file and
     * two document reads.
     *
     * @param sequence to position at, 1-based.
     * @return true if found; false if there is no such document, leaving the position unchanged.
     */
    public boolean seek(final long sequence)
    {
        try
        {
            return find(sequence);
        }
        catch (final Exception | InternalError ex)
        {
            throw damaged("document " + sequence + " cannot be sought", ex);
        }
    }

    private boolean find(final long sequence)
    {
        queue.refreshDirectoryListing();
        final int firstCycle = queue.firstCycle();
        final int lastCycle = queue.lastCycle();
        if (sequence < 1 || firstCycle > lastCycle)
        {
            return false;
        }

        probe.direction(TailerDirection.FORWARD).toStart();
        final long firstSequence = readSequence();
        // A journal starts at its genesis (sequence 0) or, without one, at sequence 1: a first document claiming
        // anything else is damaged, and no position can be derived from it.
        if ((firstSequence != 0 && firstSequence != 1) || sequence < firstSequence)
        {
            return false;
        }

        long documentsBefore = sequence - firstSequence;
        for (final Long cycle : queue.listCyclesBetween(firstCycle, lastCycle))
        {
            final long documentsInCycle = counter.excerptsInCycle(cycle.intValue());
            if (documentsBefore < documentsInCycle)
            {
                final long index = rollCycle.toIndex(cycle.intValue(), documentsBefore);
                return probe.moveToIndex(index) && readSequence() == sequence && tailer.moveToIndex(index);
            }
            documentsBefore -= documentsInCycle;
        }

        return false;
    }

    /**
     * Reads the document at the current position and advances past it.
     *
     * @param doc wrapped over the reader's copy of the document, valid until the next call to this method.
     * @return false, leaving {@code doc} unchanged, when there is no further document yet.
     */
    public boolean next(final JournalDocument doc)
    {
        try
        {
            return read(doc);
        }
        catch (final Exception | InternalError ex)
        {
            throw damaged("the document after the last one read cannot be read", ex);
        }
    }

    private boolean read(final JournalDocument doc)
    {
        try (DocumentContext context = tailer.readingDocument())
        {
            if (!context.isPresent())
            {
                return false;
            }

            final Bytes<?> bytes = context.wire().bytes();
            final int length = (int)bytes.readRemaining();
            documentBuffer.checkLimit(length);
            bytes.read(documentBuffer.byteArray(), 0, length);
            doc.wrap(documentBuffer, 0, length);

            return true;
        }
    }

    /**
     * @return the sequence stored in the journal's last document, 0 when the journal is empty or holds only its
     * genesis.
     * @throws IllegalStateException if the last document is too short to hold a sequence, or none can be found
     *                               while the first reads.
     */
    public long lastSequence()
    {
        try
        {
            return findLastSequence();
        }
        catch (final Exception | InternalError ex)
        {
            if (ex instanceof IllegalStateException)
            {
                throw ex;
            }
            throw damaged("its last document cannot be found", ex);
        }
    }

    private long findLastSequence()
    {
        queue.refreshDirectoryListing();
        probe.direction(TailerDirection.BACKWARD).toEnd();
        try
        {
            try (DocumentContext context = probe.readingDocument())
            {
                if (!context.isPresent())
                {
                    return emptyOrDamaged();
                }

                final long sequence = readSequence(context);
                if (UNREADABLE == sequence)
                {
                    throw new IllegalStateException("journal " + directory.toAbsolutePath() +
                        ": last document (Chronicle index 0x" + Long.toHexString(context.index()) +
                        ") is too short to hold a sequence");
                }

                return sequence;
            }
        }
        finally
        {
            probe.direction(TailerDirection.FORWARD);
        }
    }

    /**
     * Nothing found reading backward: the journal is empty, or its first document was written a moment ago (by a
     * writer alongside), or its end is damaged - a first document reads forward and a second look backward still
     * finds none.
     */
    private long emptyOrDamaged()
    {
        probe.direction(TailerDirection.FORWARD).toStart();
        if (UNREADABLE == readSequence())
        {
            return 0;
        }
        probe.direction(TailerDirection.BACKWARD).toEnd();
        try (DocumentContext again = probe.readingDocument())
        {
            if (again.isPresent())
            {
                final long sequence = readSequence(again);
                if (UNREADABLE != sequence)
                {
                    return sequence;
                }
            }
        }
        throw new IllegalStateException("journal " + directory.toAbsolutePath() + ": its first document reads but " +
            "no last one can be found (its index or a file's end is damaged)");
    }

    /**
     * @return the sequence the journal's first document claims (0 for a genesis), or -1 when it has none or the first
     * is too short to hold one.
     */
    public long firstSequence()
    {
        try
        {
            queue.refreshDirectoryListing();
            probe.direction(TailerDirection.FORWARD).toStart();
            final long sequence = readSequence();
            return UNREADABLE == sequence ? -1 : sequence;
        }
        catch (final Exception | InternalError ex)
        {
            throw damaged("its first document cannot be read", ex);
        }
    }

    /**
     * @return the documents Chronicle's indexes count in all the journal's files, whether or not each can be read: a
     * reader that stops before this many has met damage, not the end.
     */
    public long indexedDocuments()
    {
        try
        {
            queue.refreshDirectoryListing();
            final int firstCycle = queue.firstCycle();
            final int lastCycle = queue.lastCycle();
            long documents = 0;
            if (firstCycle <= lastCycle)
            {
                for (final Long cycle : queue.listCyclesBetween(firstCycle, lastCycle))
                {
                    final long inCycle = counter.excerptsInCycle(cycle.intValue());
                    if (inCycle < 0)
                    {
                        throw new IllegalStateException("journal " + directory.toAbsolutePath() + ": the index of " +
                            "cycle " + cycle + " cannot be read");
                    }
                    documents += inCycle;
                }
            }
            return documents;
        }
        catch (final Exception | InternalError ex)
        {
            if (ex instanceof IllegalStateException)
            {
                throw ex;
            }
            throw damaged("its index cannot be read", ex);
        }
    }

    /** Chronicle's failure on damaged files (an exception of its own, or a fault past a mapping) in reader terms. */
    private IllegalStateException damaged(final String what, final Throwable cause)
    {
        return new IllegalStateException("journal " + directory.toAbsolutePath() + ": " + what + ": " + cause,
            cause);
    }

    /**
     * @return the journal directory.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * Releases the queue's files.
     */
    public void close()
    {
        try
        {
            tailer.close();
            probe.close();
            counter.close();
        }
        finally
        {
            queue.close();
        }
    }

    /**
     * @return the sequence of the document at the probe's position, moving past it; {@link #UNREADABLE} if there is
     * none or it is too short.
     */
    private long readSequence()
    {
        try (DocumentContext context = probe.readingDocument())
        {
            return context.isPresent() ? readSequence(context) : UNREADABLE;
        }
    }

    private long readSequence(final DocumentContext context)
    {
        final Bytes<?> bytes = context.wire().bytes();
        if (bytes.readRemaining() < Long.BYTES)
        {
            return UNREADABLE;
        }

        bytes.read(sequenceBuffer.byteArray(), 0, Long.BYTES);
        return sequenceBuffer.getLong(JournalDocument.SEQUENCE_OFFSET, JournalDocument.BYTE_ORDER);
    }
}
