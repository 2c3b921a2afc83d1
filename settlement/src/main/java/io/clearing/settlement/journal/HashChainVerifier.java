package io.clearing.settlement.journal;

import java.util.Arrays;

/**
 * Checks journal documents one after another: each must be intact and extend the chain left by the previous one.
 * <p>
 * Checks run in this order and the first failure is reported: {@link #MALFORMED} (lengths inconsistent),
 * {@link #HASH_MISMATCH} (stored hash differs from the recomputed one, so some byte of the document changed),
 * {@link #SEQUENCE_GAP} (an intact document whose sequence is not the previous plus one: documents missing or
 * reordered), {@link #PREVIOUS_HASH_MISMATCH} (an intact, correctly numbered document that does not link to the
 * previous one: a substituted history). A failed document does not advance the state, so after any failure the
 * damaged document's expected sequence is {@link #expectedSequence()}.
 * <p>
 * Starts at the head of a journal (last sequence 0, all-zero hash) or mid-journal after {@link #reset(long, byte[])}.
 * At the head, and only there, the first document may be a <em>genesis</em> (sequence 0, all-zero previous hash, see
 * {@link JournalWriter#appendGenesis}): it passes when intact, {@link #lastSequence()} stays 0 and the next document,
 * sequence 1, must link to its hash. Without a genesis the journal starts at sequence 1 linked to the all-zero hash.
 * Not thread-safe; allocation-free.
 */
public final class HashChainVerifier
{
    /** The document is intact and extends the chain; the state moved to it. */
    public static final int OK = 0;
    /** The document is intact but its sequence is not {@link #expectedSequence()}. */
    public static final int SEQUENCE_GAP = 1;
    /** The document is intact and correctly numbered but its previous hash is not the last verified hash. */
    public static final int PREVIOUS_HASH_MISMATCH = 2;
    /** The stored hash differs from the hash recomputed over the document. */
    public static final int HASH_MISMATCH = 3;
    /** The document's lengths are inconsistent or its format version is unknown. */
    public static final int MALFORMED = 4;

    private final JournalHasher hasher = new JournalHasher();
    private final byte[] lastHash = new byte[JournalDocument.HASH_LENGTH];
    private final byte[] computedHash = new byte[JournalDocument.HASH_LENGTH];
    private final byte[] documentHash = new byte[JournalDocument.HASH_LENGTH];
    private long lastSequence;

    /**
     * Verifies the next document of the chain and, when it passes, moves the state to it.
     *
     * @param doc wrapping the document; any bytes, never throws on garbage.
     * @return {@link #OK}, {@link #SEQUENCE_GAP}, {@link #PREVIOUS_HASH_MISMATCH}, {@link #HASH_MISMATCH} or
     * {@link #MALFORMED}.
     */
    public int verify(final JournalDocument doc)
    {
        if (!doc.structurallyValid())
        {
            return MALFORMED;
        }

        hasher.hash(doc.buffer(), doc.offset(), doc.hashedLength(), computedHash);
        doc.hash(documentHash);
        if (!Arrays.equals(computedHash, documentHash))
        {
            return HASH_MISMATCH;
        }

        final boolean genesis = doc.sequence() == 0 && atHead();
        if (!genesis && doc.sequence() != lastSequence + 1)
        {
            return SEQUENCE_GAP;
        }

        doc.previousHash(documentHash);
        if (!Arrays.equals(lastHash, documentHash))
        {
            return PREVIOUS_HASH_MISMATCH;
        }

        lastSequence = doc.sequence();
        System.arraycopy(computedHash, 0, lastHash, 0, JournalDocument.HASH_LENGTH);

        return OK;
    }

    /** @return true before any document: last sequence 0 and the all-zero hash (not yet past a genesis). */
    private boolean atHead()
    {
        if (lastSequence != 0)
        {
            return false;
        }
        for (final byte b : lastHash)
        {
            if (b != 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return sequence of the last document that passed, or of the {@link #reset(long, byte[])} point; 0 at the head.
     */
    public long lastSequence()
    {
        return lastSequence;
    }

    /**
     * @return the sequence the next document must carry: {@link #lastSequence()} + 1. After a failed
     * {@link #verify(JournalDocument)} this is the sequence of the damaged document - except at the head, where the
     * damaged document may be a genesis (sequence 0): a caller that must tell reads the document's own sequence.
     */
    public long expectedSequence()
    {
        return lastSequence + 1;
    }

    /**
     * @param dst receives at index 0 the 32-byte hash the next document must carry as its previous hash.
     */
    public void lastHash(final byte[] dst)
    {
        System.arraycopy(lastHash, 0, dst, 0, JournalDocument.HASH_LENGTH);
    }

    /**
     * Continues verification from a known point, e.g. a snapshot taken at {@code lastSequence}.
     *
     * @param lastSequence sequence of the document the next one follows, {@code >= 0}; 0 for the head.
     * @param lastHash     its 32-byte hash (all zero for the head); copied.
     */
    public void reset(final long lastSequence, final byte[] lastHash)
    {
        if (lastSequence < 0)
        {
            throw new IllegalArgumentException("lastSequence must be >= 0: " + lastSequence);
        }
        if (lastHash.length != JournalDocument.HASH_LENGTH)
        {
            throw new IllegalArgumentException("lastHash must be 32 bytes, got " + lastHash.length);
        }

        this.lastSequence = lastSequence;
        System.arraycopy(lastHash, 0, this.lastHash, 0, JournalDocument.HASH_LENGTH);
    }

    /**
     * @param result a code returned by {@link #verify(JournalDocument)}.
     * @return its constant's name, for messages.
     */
    public static String resultName(final int result)
    {
        switch (result)
        {
            case OK:
                return "OK";
            case SEQUENCE_GAP:
                return "SEQUENCE_GAP";
            case PREVIOUS_HASH_MISMATCH:
                return "PREVIOUS_HASH_MISMATCH";
            case HASH_MISMATCH:
                return "HASH_MISMATCH";
            case MALFORMED:
                return "MALFORMED";
            default:
                return "UNKNOWN(" + result + ")";
        }
    }
}
