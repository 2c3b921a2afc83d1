package io.clearing.settlement.journal;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class HashChainVerifierTest
{
    /** Copies of documents 1..5 of journal A. */
    private static final List<ExpandableArrayBuffer> JOURNAL_A = new ArrayList<>();
    /** Copies of documents 1..5 of journal B: same numbering, different content, so a different chain. */
    private static final List<ExpandableArrayBuffer> JOURNAL_B = new ArrayList<>();

    @TempDir
    static Path tempDir;

    private final JournalDocument doc = new JournalDocument();
    private final HashChainVerifier verifier = new HashChainVerifier();

    @BeforeAll
    static void writeTwoJournals()
    {
        write(tempDir.resolve("a"), 101L, JOURNAL_A);
        write(tempDir.resolve("b"), 102L, JOURNAL_B);
    }

    @Test
    void acceptsAChainFromTheHead()
    {
        for (int i = 0; i < 5; i++)
        {
            assertEquals(HashChainVerifier.OK, verifier.verify(document(JOURNAL_A, i)));
        }

        assertEquals(5, verifier.lastSequence());
        assertArrayEquals(hashOf(document(JOURNAL_A, 4)), lastHash());
    }

    @Test
    void intactDocumentSkippingASequenceIsAGap()
    {
        verifier.verify(document(JOURNAL_A, 0));

        assertEquals(HashChainVerifier.SEQUENCE_GAP, verifier.verify(document(JOURNAL_A, 2)));
        assertEquals(2, verifier.expectedSequence());
    }

    @Test
    void firstDocumentMustBeSequenceOne()
    {
        assertEquals(HashChainVerifier.SEQUENCE_GAP, verifier.verify(document(JOURNAL_A, 1)));
    }

    @Test
    void intactDocumentFromAnotherChainIsAPreviousHashMismatch()
    {
        verifier.verify(document(JOURNAL_A, 0));

        assertEquals(HashChainVerifier.PREVIOUS_HASH_MISMATCH, verifier.verify(document(JOURNAL_B, 1)));
    }

    @Test
    void failedDocumentLeavesTheStateWhereItWas()
    {
        verifier.verify(document(JOURNAL_A, 0));
        final byte[] hashBefore = lastHash();

        verifier.verify(document(JOURNAL_B, 1));
        verifier.verify(document(JOURNAL_A, 3));

        assertEquals(1, verifier.lastSequence());
        assertArrayEquals(hashBefore, lastHash());
        assertEquals(HashChainVerifier.OK, verifier.verify(document(JOURNAL_A, 1)));
    }

    @Test
    void resetStartsMidJournal()
    {
        verifier.reset(3, hashOf(document(JOURNAL_A, 2)));

        assertEquals(HashChainVerifier.OK, verifier.verify(document(JOURNAL_A, 3)));
        assertEquals(HashChainVerifier.OK, verifier.verify(document(JOURNAL_A, 4)));
        assertEquals(5, verifier.lastSequence());
    }

    @Test
    void resetToTheHeadRestartsTheChain()
    {
        verifier.verify(document(JOURNAL_A, 0));

        verifier.reset(0, new byte[32]);

        assertEquals(HashChainVerifier.OK, verifier.verify(document(JOURNAL_B, 0)));
    }

    @Test
    void namesEveryResult()
    {
        assertEquals("OK", HashChainVerifier.resultName(HashChainVerifier.OK));
        assertEquals("SEQUENCE_GAP", HashChainVerifier.resultName(HashChainVerifier.SEQUENCE_GAP));
        assertEquals("PREVIOUS_HASH_MISMATCH", HashChainVerifier.resultName(HashChainVerifier.PREVIOUS_HASH_MISMATCH));
        assertEquals("HASH_MISMATCH", HashChainVerifier.resultName(HashChainVerifier.HASH_MISMATCH));
        assertEquals("MALFORMED", HashChainVerifier.resultName(HashChainVerifier.MALFORMED));
        assertEquals("UNKNOWN(9)", HashChainVerifier.resultName(9));
    }

    private JournalDocument document(final List<ExpandableArrayBuffer> journal, final int zeroBasedIndex)
    {
        return DocumentCopies.wrap(doc, journal, zeroBasedIndex);
    }

    private byte[] lastHash()
    {
        return DocumentCopies.lastHash(verifier);
    }

    private static byte[] hashOf(final JournalDocument doc)
    {
        return DocumentCopies.hashOf(doc);
    }

    private static void write(final Path dir, final long seed, final List<ExpandableArrayBuffer> copies)
    {
        final Random random = new Random(seed);
        try (JournalWriter writer = new JournalWriter(dir))
        {
            for (int i = 0; i < 5; i++)
            {
                SampleDocument.random(random, 1_000L * i, 3, 50).appendTo(writer);
            }
        }

        copies.addAll(DocumentCopies.read(dir));
    }
}
