package io.clearing.engine;

import io.clearing.settlement.EventWriter;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hash of a snapshot proves only that nobody changed it without resealing it. A real snapshot of a simulated
 * market, altered in one field of its position, order or band lists ({@link SnapshotTampering}) and resealed, passes
 * the hash check; loading it must still refuse it - an IllegalStateException saying "snapshot: ", which the loaders
 * treat as an unusable snapshot - and in bounded time, rather than restore a machine that loops forever or fails at a
 * later command.
 */
final class SnapshotStructureTest
{
    private static final byte[] CHAIN_HASH = new byte[32];
    private static byte[] original;

    @BeforeAll
    static void record()
    {
        final SnapshotWorkload workload = new SnapshotWorkload(7, 300, 10_000, false);
        final ClearingStateMachine machine = SnapshotWorkload.newMachine();
        // After the expiry (two thirds) and the crash (70%): free slots and free band records, open orders again.
        final int at = workload.size() * 3 / 4;
        workload.apply(machine, 0, at, new EventWriter());
        final SnapshotCodec codec = new SnapshotCodec();
        final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(1 << 16);
        final int length = codec.seal(buffer, codec.encode(machine, at, CHAIN_HASH, buffer));
        original = new byte[length];
        buffer.getBytes(0, original);
    }

    @Test
    void theUnalteredSnapshotLoadsAndEncodesToTheSameBytes()
    {
        final SnapshotCodec codec = new SnapshotCodec();
        final UnsafeBuffer bytes = new UnsafeBuffer(original.clone());
        assertNull(codec.verify(bytes, bytes.capacity()));
        final ClearingStateMachine machine = codec.decode(bytes);
        final ExpandableDirectByteBuffer again = new ExpandableDirectByteBuffer(original.length);
        final int length = codec.seal(again, codec.encode(machine, codec.journalSequence(bytes), CHAIN_HASH, again));
        final byte[] encoded = new byte[length];
        again.getBytes(0, encoded);
        assertArrayEquals(original, encoded);
    }

    @ParameterizedTest
    @EnumSource(SnapshotTampering.class)
    void aResealedSnapshotWithBrokenListsIsRefusedAtLoad(final SnapshotTampering tampering)
    {
        final UnsafeBuffer bytes = new UnsafeBuffer(original.clone());
        tampering.apply(bytes);
        SnapshotTampering.reseal(bytes, bytes.capacity());
        final SnapshotCodec codec = new SnapshotCodec();
        assertFalse(Arrays.equals(original, bytes.byteArray()), "altered");
        assertNull(codec.verify(bytes, bytes.capacity()), "the resealed file passes the hash check");

        final IllegalStateException refused = assertTimeoutPreemptively(Duration.ofSeconds(30),
            () -> assertThrows(IllegalStateException.class, () -> codec.decode(bytes)));

        assertTrue(refused.getMessage().startsWith("snapshot: ") && refused.getMessage().contains(tampering.refusal()),
            refused.getMessage());
    }
}
