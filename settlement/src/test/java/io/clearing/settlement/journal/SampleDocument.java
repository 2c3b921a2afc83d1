package io.clearing.settlement.journal;

import org.agrona.ExpandableArrayBuffer;

import java.util.Random;

/**
 * The inputs of one {@link JournalWriter#append} call, kept as plain arrays so tests can compare what they read.
 */
record SampleDocument(long timestamp, byte[] command, byte[][] eventFrames)
{
    /**
     * @param random       seeded source of the bytes.
     * @param timestamp    to store.
     * @param maxEvents    upper bound, inclusive, on the number of event frames.
     * @param maxFrameBody upper bound, inclusive, on the bytes after the 8-byte SBE header of each frame.
     */
    static SampleDocument random(final Random random, final long timestamp, final int maxEvents, final int maxFrameBody)
    {
        final byte[] command = randomBytes(random, 8 + random.nextInt(maxFrameBody + 1));
        final byte[][] frames = new byte[random.nextInt(maxEvents + 1)][];
        for (int i = 0; i < frames.length; i++)
        {
            frames[i] = randomBytes(random, 8 + random.nextInt(maxFrameBody + 1));
        }

        return new SampleDocument(timestamp, command, frames);
    }

    /**
     * @return a document with exactly these sizes, for tests that need fixed offsets.
     */
    static SampleDocument fixed(
        final Random random, final long timestamp, final int commandLength, final int eventCount, final int frameLength)
    {
        final byte[][] frames = new byte[eventCount][];
        for (int i = 0; i < eventCount; i++)
        {
            frames[i] = randomBytes(random, frameLength);
        }

        return new SampleDocument(timestamp, randomBytes(random, commandLength), frames);
    }

    int eventsLength()
    {
        int length = 0;
        for (final byte[] frame : eventFrames)
        {
            length += JournalDocument.EVENT_LENGTH_FIELD_LENGTH + frame.length;
        }

        return length;
    }

    int totalLength()
    {
        return JournalDocument.HEADER_LENGTH + command.length + eventsLength() + JournalDocument.HASH_LENGTH;
    }

    /**
     * Appends through buffers owned by the caller, so steady-state appends allocate nothing here either.
     */
    long appendTo(
        final JournalWriter writer, final ExpandableArrayBuffer commandBuffer, final ExpandableArrayBuffer eventsBuffer)
    {
        commandBuffer.putBytes(0, command);
        int position = 0;
        for (final byte[] frame : eventFrames)
        {
            eventsBuffer.putInt(position, frame.length, JournalDocument.BYTE_ORDER);
            eventsBuffer.putBytes(position + JournalDocument.EVENT_LENGTH_FIELD_LENGTH, frame);
            position += JournalDocument.EVENT_LENGTH_FIELD_LENGTH + frame.length;
        }

        return writer.append(
            timestamp, commandBuffer, 0, command.length, eventsBuffer, 0, position, eventFrames.length);
    }

    long appendTo(final JournalWriter writer)
    {
        return appendTo(writer, new ExpandableArrayBuffer(), new ExpandableArrayBuffer());
    }

    private static byte[] randomBytes(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
