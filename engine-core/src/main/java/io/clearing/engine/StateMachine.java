package io.clearing.engine;

import io.clearing.settlement.EventWriter;
import org.agrona.DirectBuffer;

/**
 * A deterministic state machine: one command frame in, its events out. It reads no clock and no other input, so the
 * same commands in the same order always produce the same events, whatever hosts it (the Disruptor pipeline here,
 * the auditor's replay, or a replicated log). Implementations never throw: a bad frame yields a rejection event.
 */
public interface StateMachine
{
    /**
     * Applies one command.
     *
     * @param buffer holding the SBE frame (message header and body).
     * @param offset of the frame.
     * @param length of the frame in bytes, possibly wrong or hostile.
     * @param events cleared by the call, then filled with the events the command produced.
     */
    void apply(DirectBuffer buffer, int offset, int length, EventWriter events);
}
