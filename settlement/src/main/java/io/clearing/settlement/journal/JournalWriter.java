package io.clearing.settlement.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LargeRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.UnsafeApi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static io.clearing.settlement.journal.JournalDocument.BYTE_ORDER;
import static io.clearing.settlement.journal.JournalDocument.COMMAND_LENGTH_OFFSET;
import static io.clearing.settlement.journal.JournalDocument.EVENTS_LENGTH_OFFSET;
import static io.clearing.settlement.journal.JournalDocument.EVENT_COUNT_OFFSET;
import static io.clearing.settlement.journal.JournalDocument.FORMAT_VERSION;
import static io.clearing.settlement.journal.JournalDocument.FORMAT_VERSION_OFFSET;
import static io.clearing.settlement.journal.JournalDocument.HASH_LENGTH;
import static io.clearing.settlement.journal.JournalDocument.HEADER_LENGTH;
import static io.clearing.settlement.journal.JournalDocument.PREVIOUS_HASH_OFFSET;
import static io.clearing.settlement.journal.JournalDocument.SEQUENCE_OFFSET;
import static io.clearing.settlement.journal.JournalDocument.TIMESTAMP_OFFSET;

/**
 * Appends hash-chained {@link JournalDocument}s, one Chronicle Queue excerpt each, so a reader sees a command and
 * all its events or nothing of them.
 * <p>
 * Files roll on {@link LargeRollCycles#LARGE_DAILY}: one {@code yyyyMMdd'L'.cq4} file per UTC day of wall-clock time,
 * up to 2^37 documents per file, which keeps a multi-GB simulate run in one or two files. The wall clock only picks
 * the file; document bytes depend on the arguments alone. An existing journal keeps the roll cycle it was created
 * with.
 * <p>
 * Disk faults: the writer keeps the current file allocated on disk ahead of its last document (by the
 * preallocation, {@link #DEFAULT_PREALLOCATION_BYTES} unless given; see {@link DiskReservation}), so a full disk, or
 * a journal directory that was removed or replaced while open, makes {@link #append} throw an
 * {@link UncheckedIOException} naming the directory and the cause before any byte of the document is written. The
 * writer never stores into an unallocated page of the memory-mapped file, where a full disk would raise SIGBUS.
 * <p>
 * A journal has exactly one writer at a time, across processes too: a second writer would fork the chain.
 * Not thread-safe: confine an instance to one thread at a time. {@link #append} allocates nothing in steady state
 * (the staging buffer grows only when a document is larger than any before).
 */
public final class JournalWriter implements AutoCloseable
{
    /** Chronicle block size: the largest document is a quarter of it. */
    public static final long BLOCK_SIZE = 1L << 30;
    /** Largest document Chronicle accepts with {@link #BLOCK_SIZE}, in bytes: 256 MiB. */
    public static final int MAX_DOCUMENT_LENGTH = (int)(BLOCK_SIZE / 4);
    /** Disk kept allocated beyond the next document by default, in bytes: 8 MiB. */
    public static final long DEFAULT_PREALLOCATION_BYTES = 8L << 20;
    private static final int INITIAL_STAGING_CAPACITY = 4096;
    private static final int DIRECT_COPY_LIMIT = 64 * 1024;
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);
    private static final int NO_FILE = Integer.MIN_VALUE;
    /** Chronicle's own bytes around a document: excerpt headers and, now and then, an index array. */
    private static final long HEADER_SLACK_BYTES = 64L << 10;

    private final Path directory;
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final DiskReservation reservation;
    /** Upper bound of what Chronicle writes around one document besides the document itself. */
    private final long metadataSlackBytes;
    private final JournalHasher hasher = new JournalHasher();
    private final ExpandableArrayBuffer staging = new ExpandableArrayBuffer(INITIAL_STAGING_CAPACITY);
    private final JournalDocument lastDocument = new JournalDocument();
    private final byte[] lastHash = new byte[HASH_LENGTH];
    private final byte[] hashScratch = new byte[HASH_LENGTH];
    private long lastSequence;
    /** No document yet, not even a genesis. */
    private boolean empty = true;
    /** Roll cycle of the file holding the last document, {@link #NO_FILE} before the first. */
    private int fileCycle = NO_FILE;
    /** Byte offset in that file just past the last document. */
    private long fileEnd;
    private final Durability durability;
    /** {@link Durability#SYNCED}: the file holding the last document, null before the first. */
    private Path syncFile;
    /**
     * Opened on it at the first sync after it became the file, or at a roll that leaves it unsynced - before the
     * document is written, never after (an append must not fail late).
     */
    private FileChannel syncChannel;
    /** {@link Durability#SYNCED}: a file was created since the last sync, so the directory must be forced too. */
    private boolean directoryChanged;
    private long syncedSequence;
    /** SYNCED: a document was appended since the file holding it was last forced (a genesis included). */
    private boolean unsynced;
    private long fileForces;
    private long directoryForces;
    /** The file holding the last document when the writer opened, null for an empty journal. */
    private Path tailFile;

    /**
     * Opens the journal in {@code directory}, creating it if absent, and recovers the chain head from its last
     * document.
     *
     * @param directory of the Chronicle queue.
     * @throws IllegalStateException if the last document is malformed or fails its hash, as extending a damaged
     *                               chain would hide the damage.
     */
    public JournalWriter(final Path directory)
    {
        this(directory, DEFAULT_PREALLOCATION_BYTES);
    }

    /**
     * Opens the journal in {@code directory}, creating it if absent, and recovers the chain head from its last
     * document.
     *
     * @param directory          of the Chronicle queue.
     * @param preallocationBytes disk allocated beyond the next document each time the writer extends its
     *                           allocation, {@code > 0}: the writer stops with an exception while this much may
     *                           still be free. Larger means fewer extensions; each is one {@code fallocate} call.
     * @throws IllegalStateException if the last document is malformed or fails its hash, as extending a damaged
     *                               chain would hide the damage.
     * @throws UncheckedIOException  if the files cannot be opened or allocated (read-only or full filesystem).
     */
    public JournalWriter(final Path directory, final long preallocationBytes)
    {
        this(directory, preallocationBytes, Durability.PAGE_CACHE);
    }

    /**
     * Opens the journal as {@link #JournalWriter(Path, long)} does, with the given durability. With
     * {@link Durability#SYNCED} the documents already in the journal are forced to disk here (whatever wrote them),
     * so {@link #syncedSequence()} starts at {@link #lastSequence()}.
     *
     * @param directory          of the Chronicle queue.
     * @param preallocationBytes see {@link #JournalWriter(Path, long)}.
     * @param durability         what {@link #sync} does: nothing for {@link Durability#PAGE_CACHE}.
     * @throws UncheckedIOException if the files cannot be opened, allocated or (SYNCED) forced to disk.
     */
    public JournalWriter(final Path directory, final long preallocationBytes, final Durability durability)
    {
        this(directory, LargeRollCycles.LARGE_DAILY, SystemTimeProvider.INSTANCE, preallocationBytes, durability);
    }

    /**
     * Test hook: a short roll cycle and a settable clock exercise file rolls.
     */
    JournalWriter(final Path directory, final RollCycle rollCycle, final TimeProvider timeProvider)
    {
        this(directory, rollCycle, timeProvider, DEFAULT_PREALLOCATION_BYTES, Durability.PAGE_CACHE);
    }

    /** Test hook: {@link #JournalWriter(Path, RollCycle, TimeProvider)} with a durability. */
    JournalWriter(final Path directory, final RollCycle rollCycle, final TimeProvider timeProvider,
        final Durability durability)
    {
        this(directory, rollCycle, timeProvider, DEFAULT_PREALLOCATION_BYTES, durability);
    }

    private JournalWriter(final Path directory, final RollCycle rollCycle, final TimeProvider timeProvider,
        final long preallocationBytes, final Durability durability)
    {
        this.directory = directory;
        this.durability = java.util.Objects.requireNonNull(durability, "durability");
        // One document holds a command and all its events; a funding or expiry over 100,000 holders is tens of MB.
        // Chronicle caps a document at a quarter of the block size, so blocks are 1 GiB (documents up to 256 MiB).
        refuseCutShort(directory);
        queue = open(directory, rollCycle, timeProvider);
        DiskReservation opened = null;
        try
        {
            opened = new DiskReservation(directory, preallocationBytes);
            reservation = opened;
            // Two index arrays of 8-byte entries (a file's first one and its index of indexes) bound what Chronicle
            // adds besides documents.
            metadataSlackBytes = 2L * queue.indexCount() * Long.BYTES + HEADER_SLACK_BYTES;
            reservation.allocateWhole(directory.resolve(SingleChronicleQueue.QUEUE_METADATA_FILE));
            recoverChainHead();
            if (fileCycle != NO_FILE)
            {
                // Rolling to a new file later writes an end-of-file marker here.
                reservation.ensureAllocated(fileEnd + metadataSlackBytes);
            }
            appender = queue.createAppender();
            if (durability == Durability.SYNCED)
            {
                // Whatever wrote the documents already here may not have forced them: force them before any is
                // counted as synced.
                syncFile = tailFile;
                directoryChanged = true;
                sync();
            }
        }
        catch (final Exception | InternalError ex)
        {
            closeSyncChannel();
            if (opened != null)
            {
                opened.close();
            }
            queue.close();
            if (ex instanceof IllegalStateException || ex instanceof UncheckedIOException ||
                ex instanceof IllegalArgumentException)
            {
                throw (RuntimeException)ex;
            }
            // Chronicle's own exceptions, some of them checked and undeclared (a damaged file header), or a fault
            // reading past a mapping.
            throw new IllegalStateException("journal " + directory.toAbsolutePath() + ": cannot be read (a queue " +
                "file's header may be damaged): " + ex + "; refusing to extend a damaged chain", ex);
        }
    }

    private static SingleChronicleQueue open(
        final Path directory, final RollCycle rollCycle, final TimeProvider timeProvider)
    {
        try
        {
            return SingleChronicleQueueBuilder.binary(directory).rollCycle(rollCycle).timeProvider(timeProvider)
                .blockSize(BLOCK_SIZE).build();
        }
        catch (final Exception | InternalError ex)
        {
            throw new UncheckedIOException(new IOException("journal " + directory.toAbsolutePath() +
                ": cannot open for writing: " + rootMessage(ex), ex));
        }
    }

    private static String rootMessage(final Throwable ex)
    {
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root)
        {
            root = root.getCause();
        }
        return root == ex ? String.valueOf(ex.getMessage()) : ex.getMessage() + " (" + root + ")";
    }

    /**
     * Appends the next document, sequence {@link #lastSequence()} + 1, chained to {@link #lastHash(byte[])}.
     * The document is visible to readers whole once this returns; if it throws, nothing was written and the chain
     * head is unchanged. Before writing, the disk the document needs is allocated (see {@link DiskReservation}).
     *
     * @param timestamp     the command's sequencer timestamp in nanoseconds since the epoch, stored as given.
     * @param command       buffer holding the command frame, stored as given even if malformed.
     * @param commandOffset of the command frame in {@code command}.
     * @param commandLength of the command frame in bytes, {@code >= 0}.
     * @param events        buffer holding the events region: {@code eventCount} entries of
     *                      [int32 little-endian frameLength][frame].
     * @param eventsOffset  of the events region in {@code events}.
     * @param eventsLength  of the events region in bytes, {@code >= 0}.
     * @param eventCount    number of entries in the events region, {@code >= 0}.
     * @return the sequence of the appended document.
     * @throws IllegalArgumentException if a length is negative, the document would exceed
     *                                  {@link #MAX_DOCUMENT_LENGTH}, or the entries do not exactly fill the events
     *                                  region.
     * @throws UncheckedIOException     if the disk cannot hold the document (full filesystem), the journal's
     *                                  file or directory was removed or replaced, or ({@link Durability#SYNCED}) the
     *                                  file being left at a roll cannot be forced; the message names the directory
     *                                  and the cause.
     */
    public long append(
        final long timestamp,
        final DirectBuffer command,
        final int commandOffset,
        final int commandLength,
        final DirectBuffer events,
        final int eventsOffset,
        final int eventsLength,
        final int eventCount)
    {
        return write(lastSequence + 1, timestamp, command, commandOffset, commandLength, events, eventsOffset,
            eventsLength, eventCount);
    }

    /**
     * Appends the journal's genesis: the document with sequence 0, before any other, whose content records what the
     * journal was started with (the engine's configuration). The first {@link #append} after it is sequence 1 and
     * carries the genesis's hash as its previous hash, so the chain commits to it. The thread calling this may hand
     * the writer to another thread for the appends after it.
     *
     * @return 0, the genesis's sequence.
     * @throws IllegalStateException if the journal already holds a document.
     * @see #append for the parameters and the other exceptions.
     */
    public long appendGenesis(
        final long timestamp,
        final DirectBuffer command,
        final int commandOffset,
        final int commandLength,
        final DirectBuffer events,
        final int eventsOffset,
        final int eventsLength,
        final int eventCount)
    {
        if (!empty)
        {
            throw new IllegalStateException("journal " + directory.toAbsolutePath() +
                " already holds documents: a genesis can only be its first");
        }
        final long sequence = write(0, timestamp, command, commandOffset, commandLength, events, eventsOffset,
            eventsLength, eventCount);
        // Chronicle binds an appender to the first thread that uses it; the genesis is written by the thread that opens
        // the journal, the documents after it by the writing thread.
        appender.singleThreadedCheckReset();
        return sequence;
    }

    /**
     * @return true while the journal holds no document at all (not even a genesis).
     */
    public boolean isEmpty()
    {
        return empty;
    }

    private long write(
        final long sequence,
        final long timestamp,
        final DirectBuffer command,
        final int commandOffset,
        final int commandLength,
        final DirectBuffer events,
        final int eventsOffset,
        final int eventsLength,
        final int eventCount)
    {
        if (commandLength < 0 || eventsLength < 0 || eventCount < 0)
        {
            throw new IllegalArgumentException("negative length: commandLength=" + commandLength +
                " eventsLength=" + eventsLength + " eventCount=" + eventCount);
        }
        if ((long)HEADER_LENGTH + commandLength + eventsLength + HASH_LENGTH > MAX_DOCUMENT_LENGTH)
        {
            throw new IllegalArgumentException("document exceeds " + MAX_DOCUMENT_LENGTH + " bytes: commandLength=" +
                commandLength + " eventsLength=" + eventsLength);
        }
        events.boundsCheck(eventsOffset, eventsLength);
        if (!JournalDocument.eventsFillRegion(events, eventsOffset, eventsLength, eventCount))
        {
            throw new IllegalArgumentException(
                eventCount + " event entries do not exactly fill an events region of " + eventsLength + " bytes");
        }

        final int hashOffset = HEADER_LENGTH + commandLength + eventsLength;
        final int totalLength = hashOffset + HASH_LENGTH;

        final ExpandableArrayBuffer staging = this.staging;
        staging.checkLimit(totalLength);
        staging.putLong(SEQUENCE_OFFSET, sequence, BYTE_ORDER);
        staging.putLong(TIMESTAMP_OFFSET, timestamp, BYTE_ORDER);
        staging.putInt(COMMAND_LENGTH_OFFSET, commandLength, BYTE_ORDER);
        staging.putInt(EVENTS_LENGTH_OFFSET, eventsLength, BYTE_ORDER);
        staging.putInt(EVENT_COUNT_OFFSET, eventCount, BYTE_ORDER);
        staging.putInt(FORMAT_VERSION_OFFSET, FORMAT_VERSION, BYTE_ORDER);
        staging.putBytes(PREVIOUS_HASH_OFFSET, lastHash);
        staging.putBytes(HEADER_LENGTH, command, commandOffset, commandLength);
        staging.putBytes(HEADER_LENGTH + commandLength, events, eventsOffset, eventsLength);
        hasher.hash(staging, 0, hashOffset, hashScratch);
        staging.putBytes(hashOffset, hashScratch);

        // Chronicle writes the excerpt header, the document and perhaps an index array after the previous one.
        final long neededBytes = totalLength + 2 * metadataSlackBytes;
        if (queue.cycle() > fileCycle)
        {
            reservation.checkBeforeNewFile(neededBytes);
            if (unsynced)
            {
                // The documents left in the file being closed are forced now, synced before or not (the file's channel
                // opens here if no sync has yet): a later sync() forces only the new one.
                if (syncChannel == null && syncFile != null)
                {
                    syncChannel = openForSync(syncFile);
                }
                if (syncChannel != null)
                {
                    forceJournalFile();
                    fileForces++;
                }
                // Still unsynced: syncedSequence() moves only in sync(), which forces the current file again (the new
                // one once this document is in it; the old one, cheaply, if writing this document fails).
            }
        }
        else
        {
            reservation.ensureAllocated(fileEnd + neededBytes);
        }

        final long end;
        try (DocumentContext context = appender.writingDocument())
        {
            try
            {
                final Bytes<?> bytes = context.wire().bytes();
                writeStaged(bytes, totalLength);
                end = bytes.writePosition();
            }
            catch (final RuntimeException | Error ex)
            {
                // A half-written excerpt must never become visible.
                context.rollbackOnClose();
                throw ex;
            }
        }
        catch (final UncheckedIOException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            // Chronicle also throws checked exceptions undeclared (a FileNotFoundException when the next file cannot
            // be created at a roll): every failure to write is the UncheckedIOException this method declares.
            throw new UncheckedIOException(new IOException("journal " + directory.toAbsolutePath() +
                ": cannot write document " + sequence + ": " + rootMessage(ex), ex));
        }
        if (appender.cycle() != fileCycle)
        {
            fileCycle = appender.cycle();
            final Path file = appender.currentFile().toPath();
            reservation.useFile(file);
            if (durability == Durability.SYNCED)
            {
                // The document is written: nothing here may throw. The next sync opens the new file.
                closeSyncChannel();
                syncFile = file;
                directoryChanged = true;
            }
        }
        fileEnd = end;

        lastSequence = sequence;
        empty = false;
        unsynced = durability == Durability.SYNCED;
        System.arraycopy(hashScratch, 0, lastHash, 0, HASH_LENGTH);

        return sequence;
    }

    /**
     * Copies the staged document into the excerpt. Into mapped memory, one {@code Unsafe.copyMemory} (a memmove):
     * Chronicle's own heap-to-native copy is a Java loop of 16 bytes per step, about 15% of a fill's journal cost.
     * Large documents (funding or expiry over many holders) take Chronicle's path, which handles every mapping.
     */
    private void writeStaged(final Bytes<?> bytes, final int length)
    {
        if (length <= DIRECT_COPY_LIMIT && bytes.isDirectMemory())
        {
            bytes.writeSkip(length);
            final long address = bytes.addressForWrite(bytes.writePosition() - length);
            UnsafeApi.copyMemory(staging.byteArray(), BYTE_ARRAY_BASE, null, address, length);
        }
        else
        {
            bytes.write(staging.byteArray(), 0, length);
        }
    }

    /**
     * Forces the journal to disk up to its last document, with {@link Durability#SYNCED}: the current file's data
     * ({@code fdatasync}, which writes back the pages Chronicle wrote through its memory map) and, after a roll, the
     * directory (the new file's entry) and the queue's metadata file. With {@link Durability#PAGE_CACHE} it does
     * nothing. One call covers every document appended before it (group commit).
     *
     * @return {@link #syncedSequence()}.
     * @throws UncheckedIOException if the device refuses (the documents are in the page cache, not known on disk).
     */
    public long sync()
    {
        if (durability != Durability.SYNCED || !unsynced && !directoryChanged)
        {
            return syncedSequence;
        }
        if (syncChannel == null && syncFile != null)
        {
            syncChannel = openForSync(syncFile);
        }
        if (syncChannel != null)
        {
            forceJournalFile();
            fileForces++;
        }
        if (directoryChanged)
        {
            try (FileChannel metadata = FileChannel.open(
                directory.resolve(SingleChronicleQueue.QUEUE_METADATA_FILE), StandardOpenOption.WRITE))
            {
                metadata.force(false);
            }
            catch (final IOException ex)
            {
                throw syncFailed("its metadata", ex);
            }
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ))
            {
                dir.force(false);
                directoryForces++;
            }
            catch (final IOException ex)
            {
                throw syncFailed("its directory", ex);
            }
            directoryChanged = false;
        }
        syncedSequence = lastSequence;
        unsynced = false;
        return syncedSequence;
    }

    /**
     * @return sequence of the last document {@link #sync} forced to disk (with {@link Durability#SYNCED}; 0 with
     *         {@link Durability#PAGE_CACHE}, which never forces).
     */
    public long syncedSequence()
    {
        return syncedSequence;
    }

    /** @return what {@link #sync} does. */
    public Durability durability()
    {
        return durability;
    }

    /** Test hook: {@code fdatasync} calls on journal files ({@link Durability#SYNCED}). */
    long fileForces()
    {
        return fileForces;
    }

    /** Test hook: forces of the directory after a new file ({@link Durability#SYNCED}). */
    long directoryForces()
    {
        return directoryForces;
    }

    private FileChannel openForSync(final Path file)
    {
        try
        {
            return FileChannel.open(file, StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw syncFailed(file.getFileName().toString(), ex);
        }
    }

    /** Forces the file holding the last document; allocates nothing unless it fails (once per group commit). */
    private void forceJournalFile()
    {
        try
        {
            syncChannel.force(false);
        }
        catch (final IOException ex)
        {
            throw syncFailed("the file holding document " + lastSequence, ex);
        }
    }

    private UncheckedIOException syncFailed(final String what, final IOException ex)
    {
        return new UncheckedIOException(new IOException("journal " + directory.toAbsolutePath() +
            ": cannot force " + what + " to disk: " + ex.getMessage(), ex));
    }

    private void closeSyncChannel()
    {
        if (syncChannel != null)
        {
            try
            {
                syncChannel.close();
            }
            catch (final IOException ignored)
            {
                // Closing a channel used only to force: nothing of the journal depends on it.
            }
            syncChannel = null;
        }
    }

    /**
     * @return sequence of the last document in the journal, 0 when empty or holding only a genesis.
     */
    public long lastSequence()
    {
        return lastSequence;
    }

    /**
     * @param dst receives at index 0 the 32-byte hash of the last document, all zero when empty.
     */
    public void lastHash(final byte[] dst)
    {
        System.arraycopy(lastHash, 0, dst, 0, HASH_LENGTH);
    }

    /**
     * @return the journal directory.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * Releases the queue's files. Appended documents are already in the OS page cache; with
     * {@link Durability#SYNCED}, those appended since the last {@link #sync} are forced first (an exception then is
     * thrown after the files are released).
     */
    public void close()
    {
        try
        {
            sync();
        }
        finally
        {
            closeSyncChannel();
            try
            {
                appender.close();
            }
            finally
            {
                reservation.close();
                queue.close();
            }
        }
    }

    /** A queue file cut short reads as ending early, or as empty: extending it would fork the chain. */
    private static void refuseCutShort(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            return;
        }
        final String damage = JournalFiles.damage(directory, false);
        if (damage != null)
        {
            throw new IllegalStateException(damage + "; refusing to extend a damaged chain");
        }
    }

    private void recoverChainHead()
    {
        try (ExcerptTailer tailer = queue.createTailer())
        {
            tailer.direction(TailerDirection.BACKWARD).toEnd();
            try (DocumentContext context = tailer.readingDocument())
            {
                if (!context.isPresent())
                {
                    refuseUnreadableEnd();
                    lastSequence = 0;
                    empty = true;
                    Arrays.fill(lastHash, (byte)0);
                    return;
                }

                final Bytes<?> bytes = context.wire().bytes();
                final int length = (int)bytes.readRemaining();
                staging.checkLimit(length);
                bytes.read(staging.byteArray(), 0, length);
                lastDocument.wrap(staging, 0, length);

                if (!lastDocument.structurallyValid())
                {
                    throw damagedTail(context.index(), "is malformed");
                }
                hasher.hash(staging, 0, lastDocument.hashedLength(), hashScratch);
                lastDocument.hash(lastHash);
                if (!Arrays.equals(hashScratch, lastHash))
                {
                    throw damagedTail(context.index(), "fails its hash");
                }

                lastSequence = lastDocument.sequence();
                empty = false;
                fileCycle = queue.rollCycle().toCycle(context.index());
                fileEnd = bytes.readLimit();
                tailFile = tailer.currentFile().toPath();
                reservation.useFile(tailFile);
            }
        }
    }

    /** Nothing at the end while a document reads at the start: the end is damaged, the journal is not empty. */
    private void refuseUnreadableEnd()
    {
        try (ExcerptTailer start = queue.createTailer(); DocumentContext context = start.readingDocument())
        {
            if (context.isPresent())
            {
                throw new IllegalStateException("journal " + directory.toAbsolutePath() + ": its first document " +
                    "reads but no last one can be found (its index or a file's end is damaged); refusing to " +
                    "start the chain again over it");
            }
        }
    }

    private IllegalStateException damagedTail(final long index, final String problem)
    {
        return new IllegalStateException("journal " + directory.toAbsolutePath() + ": last document (index 0x" +
            Long.toHexString(index) + ") " + problem + "; refusing to extend a damaged chain");
    }
}
