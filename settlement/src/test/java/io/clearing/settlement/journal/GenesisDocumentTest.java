package io.clearing.settlement.journal;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A journal's genesis (sequence 0): written only first, read and sought around, and bound into the hash chain. */
class GenesisDocumentTest
{
    private static final byte[] GENESIS_COMMAND = {8, 0, 50, 0, (byte)0xC1, 6, 1, 0, 42, 42, 42, 42, 42, 42, 42, 42};

    @TempDir
    Path tempDir;

    private final JournalDocument doc = new JournalDocument();
    private final HashChainVerifier verifier = new HashChainVerifier();

    @Test
    void theGenesisIsSequenceZeroAndTheFirstDocumentLinksToIt()
    {
        final Path dir = tempDir.resolve("j");
        try (JournalWriter writer = new JournalWriter(dir))
        {
            assertTrue(writer.isEmpty());
            assertEquals(0, appendGenesis(writer));
            assertFalse(writer.isEmpty());
            assertEquals(0, writer.lastSequence());
            assertEquals(1, SampleDocument.random(new Random(1), 10, 2, 20).appendTo(writer));
        }
        try (JournalWriter reopened = new JournalWriter(dir))
        {
            assertFalse(reopened.isEmpty());
            assertEquals(1, reopened.lastSequence());
            assertEquals(2, SampleDocument.random(new Random(2), 20, 2, 20).appendTo(reopened));
        }

        final List<ExpandableArrayBuffer> documents = read(dir);
        assertEquals(3, documents.size());
        assertEquals(0, wrap(documents, 0).sequence());
        final byte[] genesisHash = hashOf(wrap(documents, 0));
        final byte[] previous = new byte[32];
        wrap(documents, 1).previousHash(previous);
        assertArrayEquals(genesisHash, previous);
        wrap(documents, 0).previousHash(previous);
        assertArrayEquals(new byte[32], previous);

        try (JournalReader reader = new JournalReader(dir))
        {
            assertEquals(2, reader.lastSequence());
            assertTrue(reader.seek(2) && reader.next(doc));
            assertEquals(2, doc.sequence());
            assertTrue(reader.seek(1) && reader.next(doc));
            assertEquals(1, doc.sequence());
            assertFalse(reader.seek(3));
        }
    }

    @Test
    void aJournalHoldingOnlyItsGenesisHasLastSequenceZero()
    {
        final Path dir = tempDir.resolve("j");
        try (JournalWriter writer = new JournalWriter(dir))
        {
            appendGenesis(writer);
        }
        try (JournalReader reader = new JournalReader(dir))
        {
            assertEquals(0, reader.lastSequence());
            assertFalse(reader.seek(1));
        }
        try (JournalWriter reopened = new JournalWriter(dir))
        {
            assertEquals(0, reopened.lastSequence());
            assertFalse(reopened.isEmpty());
            assertThrows(IllegalStateException.class, () -> appendGenesis(reopened));
            assertEquals(1, SampleDocument.random(new Random(3), 10, 2, 20).appendTo(reopened));
        }
    }

    @Test
    void aGenesisIsRefusedOnceTheJournalHoldsADocument()
    {
        try (JournalWriter writer = new JournalWriter(tempDir.resolve("j")))
        {
            SampleDocument.random(new Random(4), 10, 2, 20).appendTo(writer);
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> appendGenesis(writer));
            assertTrue(refused.getMessage().contains("a genesis can only be its first"), refused.getMessage());
            assertEquals(1, writer.lastSequence());
        }
    }

    @Test
    void theVerifierPassesAGenesisOnlyAtTheHead()
    {
        final List<ExpandableArrayBuffer> documents = journalWithGenesis(tempDir.resolve("j"), 3);

        assertEquals(HashChainVerifier.OK, verifier.verify(wrap(documents, 0)));
        assertEquals(0, verifier.lastSequence());
        assertArrayEquals(hashOf(wrap(documents, 0)), lastHash());
        // A second genesis is not the next document.
        assertEquals(HashChainVerifier.SEQUENCE_GAP, verifier.verify(wrap(documents, 0)));
        for (int i = 1; i <= 3; i++)
        {
            assertEquals(HashChainVerifier.OK, verifier.verify(wrap(documents, i)));
        }
        assertEquals(3, verifier.lastSequence());

        verifier.reset(2, hashOf(wrap(documents, 2)));
        assertEquals(HashChainVerifier.SEQUENCE_GAP, verifier.verify(wrap(documents, 0)));
    }

    @Test
    void withoutItsGenesisTheFirstDocumentDoesNotLinkToTheHead()
    {
        final List<ExpandableArrayBuffer> documents = journalWithGenesis(tempDir.resolve("j"), 2);

        // Removing the genesis (or starting from sequence 1 with the all-zero hash) breaks the chain at sequence 1.
        assertEquals(HashChainVerifier.PREVIOUS_HASH_MISMATCH, verifier.verify(wrap(documents, 1)));
        assertEquals(1, verifier.expectedSequence());
    }

    @Test
    void aResealedGenesisBreaksTheChainAtSequenceOne()
    {
        final List<ExpandableArrayBuffer> documents = journalWithGenesis(tempDir.resolve("j"), 2);
        final ExpandableArrayBuffer genesis = documents.get(0);
        final JournalDocument original = wrap(documents, 0);
        // Change a byte of the genesis's command and recompute its hash: intact on its own, another history.
        genesis.putByte(original.commandOffset() + 8, (byte)7);
        final byte[] resealed = new byte[32];
        new JournalHasher().hash(genesis, 0, original.hashedLength(), resealed);
        genesis.putBytes(original.hashOffset(), resealed);

        assertEquals(HashChainVerifier.OK, verifier.verify(wrap(documents, 0)));
        assertEquals(HashChainVerifier.PREVIOUS_HASH_MISMATCH, verifier.verify(wrap(documents, 1)));
    }

    @Test
    void aGenesisWithAPreviousHashIsNotAtTheHead()
    {
        final List<ExpandableArrayBuffer> documents = journalWithGenesis(tempDir.resolve("j"), 1);
        final ExpandableArrayBuffer genesis = documents.get(0);
        final JournalDocument original = wrap(documents, 0);
        genesis.putByte(JournalDocument.PREVIOUS_HASH_OFFSET, (byte)1);
        final byte[] resealed = new byte[32];
        new JournalHasher().hash(genesis, 0, original.hashedLength(), resealed);
        genesis.putBytes(original.hashOffset(), resealed);

        assertEquals(HashChainVerifier.PREVIOUS_HASH_MISMATCH, verifier.verify(wrap(documents, 0)));
    }

    private static long appendGenesis(final JournalWriter writer)
    {
        final UnsafeBuffer command = new UnsafeBuffer(GENESIS_COMMAND);
        return writer.appendGenesis(0, command, 0, command.capacity(), new UnsafeBuffer(new byte[0]), 0, 0, 0);
    }

    private static List<ExpandableArrayBuffer> journalWithGenesis(final Path dir, final int documents)
    {
        final Random random = new Random(7);
        try (JournalWriter writer = new JournalWriter(dir))
        {
            appendGenesis(writer);
            for (int i = 0; i < documents; i++)
            {
                SampleDocument.random(random, 100L * i, 3, 40).appendTo(writer);
            }
        }
        return read(dir);
    }

    private static List<ExpandableArrayBuffer> read(final Path dir)
    {
        return DocumentCopies.read(dir);
    }

    private JournalDocument wrap(final List<ExpandableArrayBuffer> documents, final int index)
    {
        return DocumentCopies.wrap(doc, documents, index);
    }

    private byte[] lastHash()
    {
        return DocumentCopies.lastHash(verifier);
    }

    private static byte[] hashOf(final JournalDocument document)
    {
        return DocumentCopies.hashOf(document);
    }
}
