package io.clearing.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The snapshot files of one journal: {@code JOURNAL/snapshots/snapshot-<sequence, 20 digits>.sbe}, each the bytes of
 * {@link SnapshotCodec} for the state as of that journal sequence.
 * <p>
 * A file appears whole or not at all: it is written as {@code .tmp}, forced to disk, atomically renamed, and the
 * directory is forced so the rename survives a power cut. A crash mid-write leaves only a {@code .tmp} file, which
 * {@link #removeTemporaryFiles()} deletes. A snapshot a restart could not use is renamed to {@code .rejected}
 * ({@link #reject}): kept for inspection, no longer a candidate, never counted by {@link #prune}.
 * Not thread-safe: the engine writes from one thread and reads at start.
 */
public final class SnapshotStore
{
    /** The snapshot directory's name inside the journal directory. */
    public static final String DIRECTORY_NAME = "snapshots";
    private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})\\.sbe");
    private static final String TEMPORARY_SUFFIX = ".tmp";
    private static final String REJECTED_SUFFIX = ".rejected";

    private final Path directory;

    /**
     * @param journalDirectory the journal whose snapshots these are; the snapshot directory is created on the first
     *                         write.
     */
    public SnapshotStore(final Path journalDirectory)
    {
        directory = journalDirectory.resolve(DIRECTORY_NAME);
    }

    /** @return the snapshot directory. */
    public Path directory()
    {
        return directory;
    }

    /** @return the file name of the snapshot at a journal sequence. */
    public static String fileName(final long sequence)
    {
        return String.format("snapshot-%020d.sbe", sequence);
    }

    /**
     * @param file a path.
     * @return the journal sequence its name carries, or -1 when it is not named as a snapshot.
     */
    public static long sequenceOf(final Path file)
    {
        final Matcher matcher = NAME.matcher(file.getFileName().toString());
        if (!matcher.matches())
        {
            return -1;
        }
        try
        {
            return Long.parseLong(matcher.group(1));
        }
        catch (final NumberFormatException ex)
        {
            return -1; // 20 digits beyond a long: no journal sequence, not one of ours
        }
    }

    /**
     * Writes a snapshot durably and atomically, replacing one of the same sequence.
     *
     * @param bytes    the snapshot from offset 0.
     * @param length   its length.
     * @param sequence the journal sequence it reflects (names the file).
     * @return the file.
     * @throws IOException if it cannot be written; no partial file is left under the final name.
     */
    public Path write(final DirectBuffer bytes, final int length, final long sequence) throws IOException
    {
        Files.createDirectories(directory);
        final Path file = directory.resolve(fileName(sequence));
        final Path temporary = directory.resolve(fileName(sequence) + TEMPORARY_SUFFIX);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
        {
            final ByteBuffer source = view(bytes, length);
            while (source.hasRemaining())
            {
                channel.write(source);
            }
            channel.force(true);
        }
        catch (final IOException ex)
        {
            // A full disk, say: the partial file would hold space the journal needs until the next start.
            Files.deleteIfExists(temporary);
            throw ex;
        }
        try
        {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            Files.deleteIfExists(temporary);
            throw ex;
        }
        forceDirectory();
        return file;
    }

    /**
     * @return the snapshot files, highest sequence first; temporary and rejected files are not listed.
     * @throws IOException if the directory cannot be listed.
     */
    public List<Path> list() throws IOException
    {
        final List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(directory))
        {
            return files;
        }
        try (Stream<Path> entries = Files.list(directory))
        {
            entries.filter(path -> sequenceOf(path) >= 0 && Files.isRegularFile(path)).forEach(files::add);
        }
        files.sort(Comparator.comparingLong(SnapshotStore::sequenceOf).reversed());
        return files;
    }

    /**
     * Deletes all but the {@code kept} newest snapshot files.
     *
     * @param kept snapshots to keep, at least 1.
     * @throws IOException if one cannot be deleted.
     */
    public void prune(final int kept) throws IOException
    {
        final List<Path> files = list();
        for (int i = kept; i < files.size(); i++)
        {
            Files.deleteIfExists(files.get(i));
        }
    }

    /**
     * Deletes what a crash in the middle of {@link #write} left.
     *
     * @throws IOException if one cannot be deleted.
     */
    public void removeTemporaryFiles() throws IOException
    {
        if (!Files.isDirectory(directory))
        {
            return;
        }
        try (Stream<Path> entries = Files.list(directory))
        {
            for (final Path path : (Iterable<Path>)entries::iterator)
            {
                if (path.getFileName().toString().endsWith(TEMPORARY_SUFFIX))
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    /**
     * Renames a snapshot that cannot be used to {@code <name>.rejected}, replacing an older rejected copy.
     *
     * @param file a snapshot file of this store.
     * @return the new path.
     * @throws IOException if it cannot be renamed.
     */
    public Path reject(final Path file) throws IOException
    {
        final Path rejected = file.resolveSibling(file.getFileName() + REJECTED_SUFFIX);
        Files.move(file, rejected, StandardCopyOption.REPLACE_EXISTING);
        return rejected;
    }

    /**
     * Reads a whole snapshot file into a new off-heap buffer.
     *
     * @param file a snapshot file, at most 2 GiB.
     * @return a buffer of exactly the file's length.
     * @throws IOException if it cannot be read or is too large.
     */
    public static UnsafeBuffer read(final Path file) throws IOException
    {
        return readInto(file, null);
    }

    /**
     * Reads snapshot files one after another into one off-heap buffer, grown when a file is larger: a worker that
     * reads several 80 MB files allocates (and the kernel zero-fills) once instead of once per file. Not thread-safe.
     */
    public static final class Reader
    {
        private ByteBuffer buffer;

        /**
         * @param file a snapshot file, at most 2 GiB.
         * @return its bytes, exactly the file's length, valid until this reader's next read.
         * @throws IOException if it cannot be read or is too large.
         */
        public UnsafeBuffer read(final Path file) throws IOException
        {
            final UnsafeBuffer bytes = readInto(file, buffer);
            buffer = bytes.byteBuffer();
            return bytes;
        }
    }

    private static UnsafeBuffer readInto(final Path file, final ByteBuffer reuse) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size > Integer.MAX_VALUE - 8)
            {
                throw new IOException(file + ": " + size + " bytes, larger than a snapshot can be");
            }
            final ByteBuffer target = reuse != null && reuse.capacity() >= size ? reuse.clear() :
                ByteBuffer.allocateDirect((int)size);
            target.limit((int)size);
            while (target.hasRemaining())
            {
                if (channel.read(target) < 0)
                {
                    throw new IOException(file + ": shrank while being read");
                }
            }
            return new UnsafeBuffer(target, 0, (int)size);
        }
    }

    private static ByteBuffer view(final DirectBuffer bytes, final int length)
    {
        final ByteBuffer backing = bytes.byteBuffer();
        if (backing != null)
        {
            final ByteBuffer view = backing.duplicate();
            view.limit(bytes.wrapAdjustment() + length).position(bytes.wrapAdjustment());
            return view;
        }
        return ByteBuffer.wrap(bytes.byteArray(), bytes.wrapAdjustment(), length);
    }

    private void forceDirectory()
    {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
        catch (final IOException ex)
        {
            // Not every platform can open a directory to force it; the rename is then as durable as it makes it.
        }
    }
}
