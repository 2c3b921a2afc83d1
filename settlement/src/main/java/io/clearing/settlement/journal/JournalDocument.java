package io.clearing.settlement.journal;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over one journal document: a command and every event it produced, hash-chained to the previous document.
 * <p>
 * Layout, all integers little-endian (see {@code docs/journal-format.md}):
 * <pre>
 *   0   int64    sequence        1-based, contiguous across the journal
 *   8   int64    timestamp       the command's sequencer timestamp, ns since epoch
 *   16  int32    commandLength   bytes of the command frame
 *   20  int32    eventsLength    bytes of the events region
 *   24  int32    eventCount      number of event entries
 *   28  int32    formatVersion   {@link #FORMAT_VERSION}
 *   32  byte[32] previousHash    hash of the previous document, all zero for sequence 1
 *   64  command frame, then the events region (eventCount x [int32 frameLength][frame]), then byte[32] hash:
 *       SHA-256 over every byte before it.
 * </pre>
 * The header accessors read at fixed offsets and require {@code totalLength() >= HEADER_LENGTH}; the derived
 * offsets ({@link #eventsOffset()}, event iteration) are only meaningful when {@link #structurallyValid()} holds.
 * {@link #structurallyValid()} itself is safe on any bytes. Not thread-safe; allocation-free.
 */
public final class JournalDocument
{
    /** Offset of the int64 sequence number. */
    public static final int SEQUENCE_OFFSET = 0;
    /** Offset of the int64 sequencer timestamp in nanoseconds since the epoch. */
    public static final int TIMESTAMP_OFFSET = 8;
    /** Offset of the int32 command frame length in bytes. */
    public static final int COMMAND_LENGTH_OFFSET = 16;
    /** Offset of the int32 events region length in bytes. */
    public static final int EVENTS_LENGTH_OFFSET = 20;
    /** Offset of the int32 number of event entries. */
    public static final int EVENT_COUNT_OFFSET = 24;
    /** Offset of the int32 format version. */
    public static final int FORMAT_VERSION_OFFSET = 28;
    /** Offset of the 32-byte hash of the previous document. */
    public static final int PREVIOUS_HASH_OFFSET = 32;
    /** Bytes before the command frame. */
    public static final int HEADER_LENGTH = 64;
    /** Bytes of a SHA-256 hash. */
    public static final int HASH_LENGTH = 32;
    /** Bytes of the int32 length prefix of each event entry. */
    public static final int EVENT_LENGTH_FIELD_LENGTH = 4;
    /** The only format version this code reads and writes. */
    public static final int FORMAT_VERSION = 1;
    /** Byte order of every integer in a document, independent of the platform. */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private int offset;
    private int length;

    /**
     * Points this flyweight at a document.
     *
     * @param buffer holding the document; not copied, so it must stay unchanged while the flyweight is used.
     * @param offset of the first document byte in {@code buffer}.
     * @param length of the document in bytes, trailing hash included.
     * @return this.
     */
    public JournalDocument wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /**
     * @return the wrapped buffer.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return offset of the document's first byte in {@link #buffer()}.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * @return length of the document in bytes as wrapped, trailing hash included.
     */
    public int totalLength()
    {
        return length;
    }

    /**
     * @return the 1-based sequence number as stored.
     */
    public long sequence()
    {
        return buffer.getLong(offset + SEQUENCE_OFFSET, BYTE_ORDER);
    }

    /**
     * @return the command's sequencer timestamp in nanoseconds since the epoch, as stored.
     */
    public long timestamp()
    {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, BYTE_ORDER);
    }

    /**
     * @return the command frame length in bytes, as stored.
     */
    public int commandLength()
    {
        return buffer.getInt(offset + COMMAND_LENGTH_OFFSET, BYTE_ORDER);
    }

    /**
     * @return the events region length in bytes, as stored.
     */
    public int eventsLength()
    {
        return buffer.getInt(offset + EVENTS_LENGTH_OFFSET, BYTE_ORDER);
    }

    /**
     * @return the number of event entries, as stored.
     */
    public int eventCount()
    {
        return buffer.getInt(offset + EVENT_COUNT_OFFSET, BYTE_ORDER);
    }

    /**
     * @return the format version, as stored.
     */
    public int formatVersion()
    {
        return buffer.getInt(offset + FORMAT_VERSION_OFFSET, BYTE_ORDER);
    }

    /**
     * @return absolute offset in {@link #buffer()} of the command frame.
     */
    public int commandOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /**
     * @return absolute offset in {@link #buffer()} of the events region.
     */
    public int eventsOffset()
    {
        return offset + HEADER_LENGTH + commandLength();
    }

    /**
     * @return absolute offset of the first event entry (its int32 length field); equal to {@link #eventsOffset()}.
     */
    public int firstEventOffset()
    {
        return eventsOffset();
    }

    /**
     * @param eventOffset absolute offset of an event entry.
     * @return length in bytes of that entry's frame.
     */
    public int eventFrameLength(final int eventOffset)
    {
        return buffer.getInt(eventOffset, BYTE_ORDER);
    }

    /**
     * @param eventOffset absolute offset of an event entry.
     * @return absolute offset of that entry's frame, just after its length field.
     */
    public int eventFrameOffset(final int eventOffset)
    {
        return eventOffset + EVENT_LENGTH_FIELD_LENGTH;
    }

    /**
     * @param eventOffset absolute offset of an event entry.
     * @return absolute offset of the entry after it.
     */
    public int nextEventOffset(final int eventOffset)
    {
        return eventOffset + EVENT_LENGTH_FIELD_LENGTH + eventFrameLength(eventOffset);
    }

    /**
     * @param dst receives the 32-byte previous-document hash at index 0.
     */
    public void previousHash(final byte[] dst)
    {
        buffer.getBytes(offset + PREVIOUS_HASH_OFFSET, dst, 0, HASH_LENGTH);
    }

    /**
     * @return absolute offset in {@link #buffer()} of the stored hash: the last {@link #HASH_LENGTH} bytes.
     */
    public int hashOffset()
    {
        return offset + length - HASH_LENGTH;
    }

    /**
     * @param dst receives the 32-byte stored hash of this document at index 0.
     */
    public void hash(final byte[] dst)
    {
        buffer.getBytes(hashOffset(), dst, 0, HASH_LENGTH);
    }

    /**
     * @return number of leading bytes the stored hash covers: everything but the hash itself.
     */
    public int hashedLength()
    {
        return length - HASH_LENGTH;
    }

    /**
     * Whether the lengths are consistent: header present, known format version, non-negative lengths adding up to
     * the wrapped length, and exactly {@code eventCount} entries filling the events region. Says nothing about the
     * hash. Never throws, whatever the bytes, as long as the wrapped range lies inside the buffer.
     *
     * @return true when the document can be navigated safely.
     */
    public boolean structurallyValid()
    {
        if (length < HEADER_LENGTH + HASH_LENGTH || formatVersion() != FORMAT_VERSION)
        {
            return false;
        }

        final int commandLength = commandLength();
        final int eventsLength = eventsLength();
        final int eventCount = eventCount();
        if (commandLength < 0 || eventsLength < 0 || eventCount < 0 ||
            (long)HEADER_LENGTH + commandLength + eventsLength + HASH_LENGTH != length)
        {
            return false;
        }

        return eventsFillRegion(buffer, offset + HEADER_LENGTH + commandLength, eventsLength, eventCount);
    }

    /**
     * Whether exactly {@code eventCount} [int32 length][frame] entries fill {@code eventsLength} bytes.
     * Runs at most {@code eventsLength / 4} steps whatever {@code eventCount} says.
     */
    static boolean eventsFillRegion(
        final DirectBuffer buffer, final int eventsOffset, final int eventsLength, final int eventCount)
    {
        final int end = eventsOffset + eventsLength;
        int position = eventsOffset;
        for (int i = 0; i < eventCount; i++)
        {
            if (end - position < EVENT_LENGTH_FIELD_LENGTH)
            {
                return false;
            }

            final int frameLength = buffer.getInt(position, BYTE_ORDER);
            if (frameLength < 0 || frameLength > end - position - EVENT_LENGTH_FIELD_LENGTH)
            {
                return false;
            }
            position += EVENT_LENGTH_FIELD_LENGTH + frameLength;
        }

        return position == end;
    }
}
