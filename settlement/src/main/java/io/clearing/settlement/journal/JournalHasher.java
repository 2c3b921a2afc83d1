package io.clearing.settlement.journal;

import org.agrona.DirectBuffer;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 over a range of a {@link DirectBuffer}, reusing one {@link MessageDigest} so hashing allocates nothing.
 * <p>
 * Not thread-safe: the digest and the scratch array are shared state, so use one instance per thread.
 */
public final class JournalHasher
{
    /** Chunk size for buffers with no backing array, which are copied through a scratch array. */
    private static final int SCRATCH_LENGTH = 4096;

    private final MessageDigest digest;
    private final byte[] scratch = new byte[SCRATCH_LENGTH];

    /**
     * Creates a hasher with its own SHA-256 digest.
     */
    public JournalHasher()
    {
        try
        {
            digest = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            // Every Java platform is required to provide SHA-256.
            throw new IllegalStateException("SHA-256 unavailable", ex);
        }
    }

    /**
     * Hashes {@code length} bytes of {@code buffer} starting at {@code offset}.
     *
     * @param buffer to read.
     * @param offset of the first byte to hash.
     * @param length of the range in bytes, {@code >= 0}.
     * @param dst32  receives the 32-byte SHA-256 at index 0.
     * @throws IndexOutOfBoundsException if the range lies outside the buffer.
     * @throws IllegalArgumentException  if {@code dst32} is shorter than 32 bytes.
     */
    public void hash(final DirectBuffer buffer, final int offset, final int length, final byte[] dst32)
    {
        if (dst32.length < JournalDocument.HASH_LENGTH)
        {
            throw new IllegalArgumentException("hash destination needs 32 bytes, got " + dst32.length);
        }
        buffer.boundsCheck(offset, length);

        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            digest.update(array, buffer.wrapAdjustment() + offset, length);
        }
        else
        {
            int position = offset;
            final int end = offset + length;
            while (position < end)
            {
                final int chunk = Math.min(SCRATCH_LENGTH, end - position);
                buffer.getBytes(position, scratch, 0, chunk);
                digest.update(scratch, 0, chunk);
                position += chunk;
            }
        }

        try
        {
            digest.digest(dst32, 0, JournalDocument.HASH_LENGTH);
        }
        catch (final DigestException ex)
        {
            // Unreachable: the destination was checked to hold a full digest.
            throw new IllegalStateException(ex);
        }
    }
}
