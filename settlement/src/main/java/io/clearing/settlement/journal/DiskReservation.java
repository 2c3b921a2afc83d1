package io.clearing.settlement.journal;

import net.openhft.posix.PosixAPI;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Keeps the journal's current queue file allocated on disk ahead of the writer, so that a full or vanished disk is
 * reported as an exception before a document is written instead of as a fault in the middle of it.
 * <p>
 * Why: Chronicle writes through a shared memory map of a sparse file. The first store into a page without disk
 * space behind it makes the kernel allocate one; on a full filesystem that fails with SIGBUS. HotSpot turns a
 * SIGBUS in an {@code Unsafe} access into an asynchronous {@code InternalError} raised later in the faulting thread:
 * the store is lost, the append has already returned, and the error surfaces in unrelated code (measured on a full
 * tmpfs: in the state machine, applying a later command). Reading a hole of a full tmpfs faults the same way.
 * <p>
 * How: before each document, {@link #ensureAllocated(long)} makes sure that bytes {@code [0, end)} of the file are
 * allocated, where {@code end} bounds everything Chronicle may write for that document. When they are not, it
 * allocates up to {@code end + stepBytes} with {@code fallocate(2)} and {@code FALLOC_FL_KEEP_SIZE}, which fills
 * holes and never changes a byte or the file size. A full disk then fails that call with {@code ENOSPC} before
 * anything is written, while {@code stepBytes} or more may still be free. Each extension also checks that the file
 * at the journal's path is still the one being written (a removed or replaced journal directory is reported, not
 * written into as an orphan). Where {@code fallocate} is unavailable (no native POSIX binding, or a filesystem
 * without it) the extension checks the filesystem's usable space instead, which another process can still race.
 * <p>
 * A new queue file is created by Chronicle inside the append that needs it, so it cannot be allocated in advance;
 * {@link #checkBeforeNewFile(long)} checks the usable space and the directory just before (a race with another
 * process filling the disk remains possible in that window, once per roll cycle).
 * <p>
 * Not thread-safe: confined to the writer's thread. {@link #ensureAllocated(long)} allocates nothing and makes no
 * system call unless it extends the allocation.
 */
final class DiskReservation implements AutoCloseable
{
    private static final int O_RDWR = 2;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;
    private static final int NO_FD = -1;

    private final Path directory;
    private final long stepBytes;
    private final Object directoryKey;
    private PosixAPI posix;
    private String fallbackReason;
    private Path file;
    private Object fileKey;
    private int fd = NO_FD;
    private long allocatedTo;

    /**
     * @param directory the journal directory, which must exist.
     * @param stepBytes bytes allocated beyond what the next document needs each time the allocation is extended,
     *                  {@code > 0}.
     */
    DiskReservation(final Path directory, final long stepBytes)
    {
        if (stepBytes <= 0)
        {
            throw new IllegalArgumentException("stepBytes must be > 0: " + stepBytes);
        }
        this.directory = directory.toAbsolutePath();
        this.stepBytes = stepBytes;
        directoryKey = fileKey(this.directory);
        if (directoryKey == null)
        {
            throw failure("the journal directory is missing", null);
        }
        if (!Files.isWritable(this.directory))
        {
            throw failure(readOnlyFileSystem(this.directory) ? "the journal directory is on a read-only filesystem" :
                "the journal directory is not writable (permissions)", null);
        }
        try
        {
            posix = PosixAPI.posix();
        }
        catch (final RuntimeException | LinkageError ex)
        {
            fallbackReason = "no POSIX binding: " + ex;
        }
    }

    /**
     * Allocates the whole of a small file Chronicle updates in place (the queue's metadata), at its current size.
     *
     * @param smallFile to allocate.
     * @throws UncheckedIOException if it cannot be allocated.
     */
    void allocateWhole(final Path smallFile)
    {
        final long size;
        try
        {
            size = Files.size(smallFile);
        }
        catch (final IOException ex)
        {
            throw failure("cannot read the size of " + smallFile.getFileName(), ex);
        }
        final int smallFd = open(smallFile);
        if (smallFd == NO_FD)
        {
            checkUsableSpace(size, smallFile, 0);
            return;
        }
        try
        {
            allocate(smallFd, smallFile, 0, size);
        }
        finally
        {
            posix.close(smallFd);
        }
    }

    /**
     * Makes {@code queueFile} the file later calls allocate in; nothing of it is known to be allocated yet.
     *
     * @param queueFile the queue file the writer now appends to.
     */
    void useFile(final Path queueFile)
    {
        closeFile();
        file = queueFile.toAbsolutePath();
        fileKey = null;
        allocatedTo = 0;
    }

    /**
     * Makes sure bytes {@code [0, end)} of the current file are allocated.
     *
     * @param end exclusive byte offset in the current file.
     * @throws UncheckedIOException if the disk cannot provide them or the file is no longer the journal's; nothing
     *                              was written to the journal.
     */
    void ensureAllocated(final long end)
    {
        if (end > allocatedTo)
        {
            extend(end);
        }
    }

    /**
     * Checks, before Chronicle creates a new queue file in the directory, that the directory is still the journal's
     * and the filesystem has {@code bytes} plus one step usable.
     *
     * @param bytes the new file will need for its header, index and first document.
     * @throws UncheckedIOException if not; nothing was written to the journal.
     */
    void checkBeforeNewFile(final long bytes)
    {
        if (!directoryKey.equals(fileKey(directory)))
        {
            throw failure("the journal directory was removed or replaced while the journal was open", null);
        }
        checkUsableSpace(bytes + stepBytes, directory, 0);
    }

    /**
     * Releases the file descriptor. Allocated space stays with the file.
     */
    @Override
    public void close()
    {
        closeFile();
    }

    private void extend(final long end)
    {
        Objects.requireNonNull(file, "no queue file in use");
        final Object currentKey = fileKey(file);
        if (fileKey == null)
        {
            fileKey = currentKey;
        }
        if (currentKey == null || !currentKey.equals(fileKey))
        {
            throw failure(file.getFileName() + " is no longer in the journal directory (removed or replaced " +
                "while open)", null);
        }
        if (fd == NO_FD)
        {
            fd = open(file);
        }
        final long target = end + stepBytes;
        if (fd == NO_FD || !allocate(fd, file, allocatedTo, target - allocatedTo))
        {
            checkUsableSpace(target - allocatedTo, file, allocatedTo);
        }
        allocatedTo = target;
    }

    /**
     * @return true when allocated, false when fallocate is not supported here (the caller falls back to a check).
     */
    private boolean allocate(final int descriptor, final Path target, final long offset, final long length)
    {
        if (posix.fallocate(descriptor, FALLOC_FL_KEEP_SIZE, offset, length) == 0)
        {
            return true;
        }
        final int errno = posix.lastError();
        if (errno == EOPNOTSUPP || errno == ENOSYS)
        {
            fallbackReason = "fallocate unsupported: " + posix.strerror(errno);
            return false;
        }
        throw failure("cannot allocate " + length + " bytes at offset " + offset + " of " + target.getFileName() +
            ": " + posix.strerror(errno) + " (errno " + errno + ")", null);
    }

    /**
     * @return a descriptor, or {@link #NO_FD} when there is no POSIX binding.
     */
    private int open(final Path target)
    {
        if (posix == null)
        {
            return NO_FD;
        }
        final int descriptor;
        try
        {
            descriptor = posix.open(target.toString(), O_RDWR, 0);
        }
        catch (final RuntimeException | LinkageError ex)
        {
            posix = null;
            fallbackReason = "no POSIX binding: " + ex;
            return NO_FD;
        }
        if (descriptor < 0)
        {
            final int errno = posix.lastError();
            throw failure("cannot open " + target.getFileName() + ": " + posix.strerror(errno) + " (errno " +
                errno + ")", null);
        }
        return descriptor;
    }

    private void checkUsableSpace(final long bytes, final Path target, final long offset)
    {
        final long usable;
        try
        {
            usable = Files.getFileStore(directory).getUsableSpace();
        }
        catch (final IOException ex)
        {
            throw failure("cannot read the free space of the journal's filesystem", ex);
        }
        if (usable < bytes)
        {
            throw failure("cannot allocate " + bytes + " bytes at offset " + offset + " of " + target.getFileName() +
                ": only " + usable + " bytes usable on the filesystem" +
                (fallbackReason == null ? "" : " (checked, not allocated: " + fallbackReason + ")"), null);
        }
    }

    private void closeFile()
    {
        if (fd != NO_FD)
        {
            posix.close(fd);
            fd = NO_FD;
        }
    }

    private UncheckedIOException failure(final String problem, final IOException cause)
    {
        final String message = "journal " + directory + ": " + problem;
        return new UncheckedIOException(cause == null ? new IOException(message) : new IOException(message, cause));
    }

    private static boolean readOnlyFileSystem(final Path path)
    {
        try
        {
            return Files.getFileStore(path).isReadOnly();
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * @return the file's identity (device and inode on Linux), or null if it does not exist.
     */
    private static Object fileKey(final Path path)
    {
        try
        {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("journal " + path + ": cannot read its attributes", ex);
        }
    }
}
