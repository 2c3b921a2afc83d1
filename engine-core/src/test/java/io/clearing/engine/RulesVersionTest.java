package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.settlement.EventWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The rules version is what an auditor relies on to know that a build re-executes a journal as its engine did
 * ({@link ClearingStateMachine#RULES_VERSION}, recorded in every journal's genesis and every snapshot). This pins the
 * events of a seeded simulated market - setup, trading, funding, the crash with its liquidations and insurance
 * payouts, the options' expiry - to the version: a change of the rules changes the hash, and this test fails until
 * the version is raised and the new hash entered next to it (a change that keeps every event - a faster band, a
 * refactoring - keeps the hash, and needs neither).
 */
final class RulesVersionTest
{
    /** Event hash of the run below, per rules version. */
    private static final String[] EVENT_HASH_BY_RULES_VERSION = {
        null,
        "ba9f8db8707e3ef5845665db29e6ce030a1527422de0883625ebfad29fa05fcf",
        // Version 2 changed only what sequences that overflow a running balance do: this run's events are the same.
        "ba9f8db8707e3ef5845665db29e6ce030a1527422de0883625ebfad29fa05fcf",
        // Version 3 changed withdrawals within a unit of the free collateral, the available amount a refusal reports,
        // and state changes the bands missed by a rounding unit of collateral: this run's events are the same.
        "ba9f8db8707e3ef5845665db29e6ce030a1527422de0883625ebfad29fa05fcf",
    };

    @Test
    void theEventsOfASeededMarketAreThoseOfTheRulesVersion() throws Exception
    {
        final List<byte[]> frames = SimulatedFrames.record(300, 30_000, 13L);
        final ClearingStateMachine machine = new ClearingStateMachine(512, new RiskParameters());
        final EventWriter events = new EventWriter();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[0]);
        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
        final byte[] copy = new byte[1 << 16];
        long bytes = 0;
        for (final byte[] command : frames)
        {
            frame.wrap(command);
            machine.apply(frame, 0, command.length, events);
            final int length = events.length();
            final byte[] out = length <= copy.length ? copy : new byte[length];
            events.buffer().getBytes(0, out, 0, length);
            digest.update(out, 0, length);
            bytes += length;
        }
        final String hash = HexFormat.of().formatHex(digest.digest());
        assertEquals(EVENT_HASH_BY_RULES_VERSION[ClearingStateMachine.RULES_VERSION], hash,
            "the events of this seeded run changed (" + bytes + " bytes of events): if the rules changed on purpose, " +
            "raise ClearingStateMachine.RULES_VERSION and enter this hash for it; if not, a change meant to keep " +
            "every event did not");
    }
}
