package io.clearing.engine;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A size-limited tmpfs mounted for one test, to make a filesystem fill up or turn read-only for real. Mounting needs
 * root on Linux with mount(8) permitted (true on the build machine); where it is not, {@link #mount} skips the
 * calling test with a JUnit assumption that says why.
 */
public final class Tmpfs implements AutoCloseable
{
    private final Path mountPoint;

    private Tmpfs(final Path mountPoint)
    {
        this.mountPoint = mountPoint;
    }

    /**
     * Mounts a tmpfs of {@code sizeBytes} on {@code mountPoint} (created if missing), or skips the test.
     *
     * @return the mounted filesystem; close it to unmount.
     */
    public static Tmpfs mount(final Path mountPoint, final long sizeBytes) throws IOException
    {
        Files.createDirectories(mountPoint);
        final String error = run("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes, "tmpfs", mountPoint.toString());
        Assumptions.assumeTrue(error == null, "needs a size-limited tmpfs, which needs root on Linux with " +
            "mount(8) permitted; mount said: " + error);
        return new Tmpfs(mountPoint);
    }

    /**
     * Mounts an empty read-only tmpfs over {@code directory}, hiding what is there: to whoever resolves the path,
     * the directory was replaced by an unwritable one. Close the result to uncover the original.
     */
    public static Tmpfs mountReadOnlyOver(final Path directory) throws IOException
    {
        final String error = run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", directory.toString());
        Assumptions.assumeTrue(error == null, "needs mount(8) permitted (root on Linux); mount said: " + error);
        return new Tmpfs(directory);
    }

    /** @return where it is mounted. */
    public Path path()
    {
        return mountPoint;
    }

    /** Grows or shrinks the filesystem (tmpfs resizes in place); growing it frees space. */
    public void resize(final long sizeBytes) throws IOException
    {
        check(run("mount", "-o", "remount,size=" + sizeBytes, mountPoint.toString()));
    }

    /** Makes the filesystem read-only; fails while a file on it is open for writing (the kernel refuses). */
    public void remountReadOnly() throws IOException
    {
        // Chronicle unmaps a closed queue's files on a background thread: until it has, the kernel refuses the
        // remount ("mount point is busy"; seen once in a fresh clone). Release them now, and allow it a few tries.
        net.openhft.chronicle.core.io.BackgroundResourceReleaser.releasePendingResources();
        String error = run("mount", "-o", "remount,ro", mountPoint.toString());
        for (int attempt = 0; error != null && error.contains("busy") && attempt < 20; attempt++)
        {
            System.gc();
            sleep(100);
            net.openhft.chronicle.core.io.BackgroundResourceReleaser.releasePendingResources();
            error = run("mount", "-o", "remount,ro", mountPoint.toString());
        }
        check(error);
    }

    private static void sleep(final long millis) throws IOException
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ex);
        }
    }

    /** Makes the filesystem writable again. */
    public void remountReadWrite() throws IOException
    {
        check(run("mount", "-o", "remount,rw", mountPoint.toString()));
    }

    /**
     * Fills the remaining space with a file of zeros, written (not sparse) until the filesystem refuses.
     *
     * @return the filler file; delete it to free the space.
     */
    public Path fill() throws IOException
    {
        final Path filler = mountPoint.resolve("filler");
        final ByteBuffer zeros = ByteBuffer.allocate(4096);
        try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            while (true)
            {
                zeros.clear();
                channel.write(zeros);
            }
        }
        catch (final IOException ex)
        {
            if (!String.valueOf(ex.getMessage()).contains("No space left on device"))
            {
                throw ex;
            }
        }
        return filler;
    }

    /** @return bytes still usable on the filesystem. */
    public long usableBytes() throws IOException
    {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    /** Unmounts; if a file on it is still open (a failed test), detaches it lazily instead. */
    @Override
    public void close() throws IOException
    {
        if (run("umount", mountPoint.toString()) != null)
        {
            check(run("umount", "-l", mountPoint.toString()));
        }
    }

    private static void check(final String error) throws IOException
    {
        if (error != null)
        {
            throw new IOException(error);
        }
    }

    /**
     * @return null when the command exits 0, else its exit code and output.
     */
    private static String run(final String... command) throws IOException
    {
        final List<String> arguments = new ArrayList<>(List.of(command));
        final Process process;
        try
        {
            process = new ProcessBuilder(arguments).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
        try
        {
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return String.join(" ", arguments) + ": timed out";
            }
            return process.exitValue() == 0 ? null :
                String.join(" ", arguments) + ": exit " + process.exitValue() + ": " + output;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ex);
        }
    }
}
