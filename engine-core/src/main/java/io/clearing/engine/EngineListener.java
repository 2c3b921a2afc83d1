package io.clearing.engine;

import org.agrona.DirectBuffer;

/**
 * Receives the outcome of each command, on the business-logic thread, after its document is in the journal (with
 * {@link io.clearing.settlement.journal.Durability#SYNCED}: on disk; the documents of a batch then arrive together,
 * after the batch's sync).
 * Buffers are valid only during the call: copy what you keep. A listener that throws is counted and skipped; the
 * engine goes on. Keep listeners short: they run on the engine's only thread.
 */
@FunctionalInterface
public interface EngineListener
{
    /**
     * @param sequence     journal sequence of the command's document, from 1.
     * @param command      buffer holding the command frame as submitted.
     * @param commandOffset offset of the frame.
     * @param commandLength length of the frame.
     * @param events       buffer holding the events region: {@code eventCount} entries of
     *                     [int32 little-endian frame length][SBE frame].
     * @param eventsOffset offset of the region.
     * @param eventsLength length of the region.
     * @param eventCount   number of events.
     * @param submitNanos  {@link System#nanoTime()} when the command was offered (for latency measurement).
     */
    void onDocument(
        long sequence,
        DirectBuffer command,
        int commandOffset,
        int commandLength,
        DirectBuffer events,
        int eventsOffset,
        int eventsLength,
        int eventCount,
        long submitNanos);
}
