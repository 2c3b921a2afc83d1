package io.clearing.settlement.journal;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalDocumentTest
{
    /** Offset of the document inside the test buffer, so absolute offsets are exercised. */
    private static final int BASE = 16;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
    private final JournalDocument doc = new JournalDocument();

    @Test
    void validDocumentExposesItsFieldsAndEvents()
    {
        final int length = layOut(12, new int[] {8, 0, 20});
        buffer.putLong(BASE, 42, JournalDocument.BYTE_ORDER);
        buffer.putLong(BASE + 8, -5, JournalDocument.BYTE_ORDER);
        doc.wrap(buffer, BASE, length);

        assertTrue(doc.structurallyValid());
        assertEquals(42, doc.sequence());
        assertEquals(-5, doc.timestamp());
        assertEquals(12, doc.commandLength());
        assertEquals(3 * 4 + 28, doc.eventsLength());
        assertEquals(3, doc.eventCount());
        assertEquals(1, doc.formatVersion());
        assertEquals(BASE + 64, doc.commandOffset());
        assertEquals(BASE + 76, doc.eventsOffset());
        assertEquals(doc.eventsOffset(), doc.firstEventOffset());
        assertEquals(64 + 12 + 40 + 32, doc.totalLength());
        assertEquals(BASE + length - 32, doc.hashOffset());

        final int first = doc.firstEventOffset();
        assertEquals(8, doc.eventFrameLength(first));
        assertEquals(first + 4, doc.eventFrameOffset(first));
        final int second = doc.nextEventOffset(first);
        assertEquals(first + 12, second);
        assertEquals(0, doc.eventFrameLength(second));
        final int third = doc.nextEventOffset(second);
        assertEquals(20, doc.eventFrameLength(third));
        assertEquals(doc.eventsOffset() + doc.eventsLength(), doc.nextEventOffset(third));
    }

    @Test
    void documentWithoutEventsIsValid()
    {
        doc.wrap(buffer, BASE, layOut(0, new int[0]));

        assertTrue(doc.structurallyValid());
    }

    @Test
    void tooShortToHoldHeaderAndHashIsMalformed()
    {
        layOut(0, new int[0]);

        assertFalse(doc.wrap(buffer, BASE, 95).structurallyValid());
        assertFalse(doc.wrap(buffer, BASE, 0).structurallyValid());
    }

    @Test
    void unknownFormatVersionIsMalformed()
    {
        final int length = layOut(10, new int[] {4});
        buffer.putInt(BASE + JournalDocument.FORMAT_VERSION_OFFSET, 2, JournalDocument.BYTE_ORDER);

        assertFalse(doc.wrap(buffer, BASE, length).structurallyValid());
    }

    @Test
    void lengthsNotAddingUpToTheDocumentAreMalformed()
    {
        final int length = layOut(10, new int[] {4});

        assertFalse(doc.wrap(buffer, BASE, length + 1).structurallyValid());
        assertFalse(doc.wrap(buffer, BASE, length - 1).structurallyValid());
        buffer.putInt(BASE + JournalDocument.COMMAND_LENGTH_OFFSET, -1, JournalDocument.BYTE_ORDER);
        assertFalse(doc.wrap(buffer, BASE, length).structurallyValid());
    }

    @Test
    void eventCountNotMatchingTheFramesIsMalformed()
    {
        final int length = layOut(10, new int[] {4, 4});

        buffer.putInt(BASE + JournalDocument.EVENT_COUNT_OFFSET, 1, JournalDocument.BYTE_ORDER);
        assertFalse(doc.wrap(buffer, BASE, length).structurallyValid());
        buffer.putInt(BASE + JournalDocument.EVENT_COUNT_OFFSET, 3, JournalDocument.BYTE_ORDER);
        assertFalse(doc.wrap(buffer, BASE, length).structurallyValid());
        buffer.putInt(BASE + JournalDocument.EVENT_COUNT_OFFSET, Integer.MAX_VALUE, JournalDocument.BYTE_ORDER);
        assertFalse(doc.wrap(buffer, BASE, length).structurallyValid());
    }

    @Test
    void frameLengthOverrunningTheRegionIsMalformed()
    {
        final int length = layOut(10, new int[] {4, 4});
        final int secondEvent = BASE + 64 + 10 + 8;

        buffer.putInt(secondEvent, 5, JournalDocument.BYTE_ORDER);
        assertFalse(doc.wrap(buffer, BASE, length).structurallyValid());
        buffer.putInt(secondEvent, -4, JournalDocument.BYTE_ORDER);
        assertFalse(doc.wrap(buffer, BASE, length).structurallyValid());
    }

    @Test
    void randomGarbageNeverThrows()
    {
        final Random random = new Random(91L);
        final byte[] bytes = new byte[buffer.capacity()];
        int valid = 0;
        for (int i = 0; i < 20_000; i++)
        {
            random.nextBytes(bytes);
            buffer.putBytes(0, bytes);
            final int length = random.nextInt(buffer.capacity() - BASE + 1);
            if (random.nextBoolean())
            {
                // Plausible header, garbage body: reaches the event walk.
                buffer.putInt(BASE + JournalDocument.FORMAT_VERSION_OFFSET, 1, JournalDocument.BYTE_ORDER);
                buffer.putInt(BASE + JournalDocument.COMMAND_LENGTH_OFFSET, 0, JournalDocument.BYTE_ORDER);
                buffer.putInt(BASE + JournalDocument.EVENTS_LENGTH_OFFSET, Math.max(0, length - 96),
                    JournalDocument.BYTE_ORDER);
            }
            if (doc.wrap(buffer, BASE, length).structurallyValid())
            {
                valid++;
            }
        }

        assertEquals(0, valid);
    }

    /**
     * Writes a version-1 header and zeroed command and frames at {@link #BASE}.
     *
     * @return the document length.
     */
    private int layOut(final int commandLength, final int[] frameLengths)
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0);
        int position = BASE + JournalDocument.HEADER_LENGTH + commandLength;
        for (final int frameLength : frameLengths)
        {
            buffer.putInt(position, frameLength, JournalDocument.BYTE_ORDER);
            position += 4 + frameLength;
        }
        final int eventsLength = position - (BASE + JournalDocument.HEADER_LENGTH + commandLength);
        buffer.putInt(BASE + JournalDocument.COMMAND_LENGTH_OFFSET, commandLength, JournalDocument.BYTE_ORDER);
        buffer.putInt(BASE + JournalDocument.EVENTS_LENGTH_OFFSET, eventsLength, JournalDocument.BYTE_ORDER);
        buffer.putInt(BASE + JournalDocument.EVENT_COUNT_OFFSET, frameLengths.length, JournalDocument.BYTE_ORDER);
        buffer.putInt(BASE + JournalDocument.FORMAT_VERSION_OFFSET, 1, JournalDocument.BYTE_ORDER);

        return position + JournalDocument.HASH_LENGTH - BASE;
    }
}
