package io.clearing.engine;

import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Finds the newest snapshot a restart can use: intact (whole, hash correct, this format), at a sequence the journal
 * holds, carrying the hash of the journal's document at that sequence (so it is this journal's history, not another's),
 * and built for at least the engine's account capacity (the journal's starting capacity; an
 * {@code AccountCapacityUpdate} command later in the journal raises it, never lowers it). Every snapshot passed over
 * is reported with its reason and logged; a bad one is renamed aside ({@link SnapshotStore#reject}), one built for a
 * smaller account capacity (a configuration mismatch) is left in place. Leftovers of an interrupted write are
 * deleted.
 */
final class SnapshotLoader
{
    private static final System.Logger LOG = System.getLogger(SnapshotLoader.class.getName());

    private SnapshotLoader()
    {
    }

    /** A snapshot decoded into a machine. */
    record Loaded(ClearingStateMachine machine, long sequence, Path file, long bytes)
    {
    }

    /**
     * @param journalDirectory    the journal, with its snapshots in {@link SnapshotStore#DIRECTORY_NAME}.
     * @param journalLastSequence the journal's last sequence.
     * @param accountCapacity     the engine's account capacity: a snapshot of fewer account ids is passed over.
     * @param skipped             receives "file: reason" for every snapshot passed over, newest first.
     * @return the newest usable snapshot, decoded, or null when there is none.
     */
    static Loaded loadNewest(final Path journalDirectory, final long journalLastSequence, final int accountCapacity,
        final List<String> skipped)
    {
        final SnapshotStore store = new SnapshotStore(journalDirectory);
        final List<Path> candidates;
        try
        {
            store.removeTemporaryFiles();
            candidates = store.list();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read snapshot directory " + store.directory(), ex);
        }
        if (candidates.isEmpty())
        {
            return null;
        }
        final SnapshotCodec codec = new SnapshotCodec();
        final JournalDocument document = new JournalDocument();
        final byte[] snapshotHash = new byte[JournalDocument.HASH_LENGTH];
        final byte[] journalHash = new byte[JournalDocument.HASH_LENGTH];
        try (JournalReader reader = journalLastSequence > 0 ? new JournalReader(journalDirectory) : null)
        {
            for (final Path file : candidates)
            {
                UnsafeBuffer bytes = null;
                String reason;
                try
                {
                    bytes = SnapshotStore.read(file);
                    reason = codec.verify(bytes, bytes.capacity());
                }
                catch (final IOException ex)
                {
                    reason = "unreadable: " + ex.getMessage();
                }
                if (reason == null)
                {
                    final long sequence = codec.journalSequence(bytes);
                    codec.chainHash(bytes, snapshotHash);
                    if (sequence != SnapshotStore.sequenceOf(file))
                    {
                        reason = "holds sequence " + sequence + " under the name of another";
                    }
                    else if (sequence > journalLastSequence)
                    {
                        reason = "ahead of the journal: reflects sequence " + sequence + ", the journal ends at " +
                            journalLastSequence;
                    }
                    else if (!reader.seek(sequence) || !reader.next(document) || !document.structurallyValid())
                    {
                        reason = "journal document " + sequence + " not found or damaged";
                    }
                    else if (!Arrays.equals(snapshotHash, hash(document, journalHash)))
                    {
                        reason = "chain hash differs from journal document " + sequence + ": another history";
                    }
                    else if (codec.accountCapacity(bytes) < accountCapacity)
                    {
                        // A configuration mismatch, not a bad file: passed over but left in place. (More account
                        // ids than the engine starts with is the journal's own AccountCapacityUpdate.)
                        skipped.add(file.getFileName() + ": account capacity " + codec.accountCapacity(bytes) +
                            ", the engine has " + accountCapacity);
                        LOG.log(System.Logger.Level.WARNING, "snapshot " + file + " skipped: " +
                            skipped.get(skipped.size() - 1));
                        continue;
                    }
                }
                if (reason == null)
                {
                    try
                    {
                        return new Loaded(codec.decode(bytes), codec.journalSequence(bytes), file, bytes.capacity());
                    }
                    catch (final RuntimeException ex)
                    {
                        reason = "undecodable: " + ex.getMessage();
                    }
                }
                skip(store, file, reason, skipped);
            }
        }
        return null;
    }

    private static byte[] hash(final JournalDocument document, final byte[] dst)
    {
        document.hash(dst);
        return dst;
    }

    private static void skip(final SnapshotStore store, final Path file, final String reason,
        final List<String> skipped)
    {
        skipped.add(file.getFileName() + ": " + reason);
        LOG.log(System.Logger.Level.WARNING, "snapshot " + file + " skipped: " + reason);
        try
        {
            store.reject(file);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "snapshot " + file + " could not be set aside: " + ex);
        }
    }
}
