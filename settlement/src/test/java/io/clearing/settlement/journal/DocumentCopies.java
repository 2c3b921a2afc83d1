package io.clearing.settlement.journal;

import org.agrona.ExpandableArrayBuffer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A journal read back as copies of its documents, and the hashes the chain tests compare. */
final class DocumentCopies
{
    private DocumentCopies()
    {
    }

    /** @return a copy of every document of the journal, in order. */
    static List<ExpandableArrayBuffer> read(final Path dir)
    {
        final List<ExpandableArrayBuffer> copies = new ArrayList<>();
        final JournalDocument read = new JournalDocument();
        try (JournalReader reader = new JournalReader(dir))
        {
            while (reader.next(read))
            {
                final ExpandableArrayBuffer copy = new ExpandableArrayBuffer(read.totalLength());
                copy.putBytes(0, read.buffer(), read.offset(), read.totalLength());
                copies.add(copy);
            }
        }
        return copies;
    }

    /** @return {@code doc} wrapped over copy {@code index}. */
    static JournalDocument wrap(final JournalDocument doc, final List<ExpandableArrayBuffer> copies, final int index)
    {
        final ExpandableArrayBuffer copy = copies.get(index);
        return doc.wrap(copy, 0, copy.capacity());
    }

    /** @return the document's stored hash. */
    static byte[] hashOf(final JournalDocument doc)
    {
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        doc.hash(hash);
        return hash;
    }

    /** @return the hash the verifier's next document must link to. */
    static byte[] lastHash(final HashChainVerifier verifier)
    {
        final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
        verifier.lastHash(hash);
        return hash;
    }
}
