package io.clearing.settlement.journal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a journal's queue files for the one damage Chronicle cannot report itself: a file cut short.
 * <p>
 * Chronicle maps a queue file in blocks of {@link JournalWriter#BLOCK_SIZE} with an overlap of a quarter block, and
 * extends the file to cover each block it maps before writing into it, so every file it leaves is a whole number of
 * blocks plus that overlap long (1.25 GiB, 2.25 GiB, ...; sparse on disk). A file cut short - a copy that stopped,
 * a truncation, a filesystem that lost its tail - still opens, but its index points past its end, and reading there
 * faults (HotSpot raises the SIGBUS later as an {@code InternalError} in whatever code runs next) or finds nothing
 * and reads as an empty journal. A writer, the audit and the CLI's readers therefore refuse such a file before
 * mapping it; a {@link JournalReader}, which may follow a journal being written, allows the newest file to be empty
 * (Chronicle creating it).
 */
public final class JournalFiles
{
    /** The overlap Chronicle maps past each block. */
    static final long OVERLAP = JournalWriter.BLOCK_SIZE / 4;

    private JournalFiles()
    {
    }

    /**
     * @param directory a journal directory, not being written.
     * @return null when every queue file ({@code *.cq4}) is a length Chronicle leaves; else which is not, and its
     * length.
     * @throws IOException if the directory cannot be listed or a file's size read.
     */
    public static String cutShort(final Path directory) throws IOException
    {
        return cutShort(directory, false);
    }

    /**
     * @param directory        a journal directory.
     * @param live             whether a writer may be adding to it: Chronicle creates a new day's file empty and
     *                         extends it a moment later, so the newest file may then be empty.
     * @return as {@link #cutShort(Path)}.
     * @throws IOException if the directory cannot be listed or a file's size read.
     */
    public static String cutShort(final Path directory, final boolean live) throws IOException
    {
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.cq4"))
        {
            stream.forEach(files::add);
        }
        files.sort(null);
        for (int i = 0; i < files.size(); i++)
        {
            final Path file = files.get(i);
            final long length = Files.size(file);
            if (!whole(length) && !(live && length == 0 && i == files.size() - 1))
            {
                return "queue file " + file.getFileName() + " is " + String.format("%,d", length) + " bytes, not a " +
                    "length Chronicle leaves (a whole number of " + (JournalWriter.BLOCK_SIZE >> 20) + " MiB blocks " +
                    "plus " + (OVERLAP >> 20) + " MiB): cut short, and what it held past that, if anything, is lost";
            }
        }
        return null;
    }

    /**
     * {@link #cutShort(Path, boolean)} as the one message every reader and writer of the journal gives.
     *
     * @param directory a journal directory.
     * @param live      as for {@link #cutShort(Path, boolean)}.
     * @return null when its queue files are whole; else "journal DIR: " and what is wrong, a file that cannot be
     * listed or sized included.
     */
    public static String damage(final Path directory, final boolean live)
    {
        try
        {
            final String cut = cutShort(directory, live);
            return cut == null ? null : "journal " + directory.toAbsolutePath() + ": " + cut;
        }
        catch (final IOException ex)
        {
            return "journal " + directory.toAbsolutePath() + ": cannot list or size its files: " + ex;
        }
    }

    /** @return whether a queue file of this length is one Chronicle can have left. */
    static boolean whole(final long length)
    {
        return length >= JournalWriter.BLOCK_SIZE + OVERLAP && (length - OVERLAP) % JournalWriter.BLOCK_SIZE == 0;
    }
}
