package io.clearing.engine;

import org.agrona.DirectBuffer;

/** Byte-range helpers over Agrona buffers. */
public final class Bytes
{
    private Bytes()
    {
    }

    /**
     * @return true when the two ranges hold the same bytes.
     */
    public static boolean equal(
        final DirectBuffer a, final int aOffset, final DirectBuffer b, final int bOffset, final int length)
    {
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            if (a.getLong(aOffset + i) != b.getLong(bOffset + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (a.getByte(aOffset + i) != b.getByte(bOffset + i))
            {
                return false;
            }
        }
        return true;
    }

    /** @return offset of the first differing byte, or -1 when equal over {@code length}. */
    public static int firstDifference(
        final DirectBuffer a, final int aOffset, final DirectBuffer b, final int bOffset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (a.getByte(aOffset + i) != b.getByte(bOffset + i))
            {
                return i;
            }
        }
        return -1;
    }
}
