package io.clearing.engine;

import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A snapshot write that fails on a full disk leaves its partial {@code .tmp} file behind (SnapshotStore.write never
 * deletes it on an IOException; only a restart does), so every failed snapshot keeps the disk it managed to take -
 * disk the journal needs.
 */
/**
 * A snapshot whose write fails on a full disk is reported on its future, the engine goes on, and the partial file is
 * removed at once (it used to stay until the next start, holding the space the journal's preallocation protects).
 * Needs permission to mount a tmpfs; skipped, saying why, where there is none.
 */
final class SnapshotDiskFullTest
{
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private static final long START = 1_767_225_600_000_000_000L;

    @TempDir
    Path work;

    @Test
    void aSnapshotThatFailsOnAFullDiskLeavesNoPartialFile() throws Exception
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 32 << 20))
        {
            final Path journal = disk.path().resolve("j");
            try (ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).ringSize(1024)
                .accountCapacity(1 << 16).journalPreallocationBytes(2 << 20).build().start())
            {
                final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
                assertTrue(engine.submit(buffer, 0, HEADER + new AssetDefinitionEncoder()
                    .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).timestamp(START).assetId(0)
                    .valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength()) >= 0);
                for (int i = 1; i <= 3_000; i++)
                {
                    assertTrue(engine.submit(buffer, 0, HEADER + new DepositEncoder()
                        .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).timestamp(START + i)
                        .accountId(16 + i).assetId(0).amount(1_000).encodedLength()) >= 0);
                }
                final SnapshotFile first = engine.requestSnapshot().get(30, TimeUnit.SECONDS);
                assertTrue(first.bytes() > 0);

                // Fill the disk, then free less than a snapshot needs (an operator deleting a log, say).
                final Path filler = disk.fill();
                final long freed = 64 << 10;
                try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.WRITE))
                {
                    channel.truncate(channel.size() - freed);
                }
                final long usableBefore = disk.usableBytes();

                assertTrue(engine.submit(buffer, 0, HEADER + new DepositEncoder()
                    .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).timestamp(START + 5_000)
                    .accountId(16).assetId(0).amount(1).encodedLength()) >= 0);
                final CompletableFuture<SnapshotFile> failed = engine.requestSnapshot();
                final ExecutionException ex = assertThrows(ExecutionException.class,
                    () -> failed.get(30, TimeUnit.SECONDS));
                assertEquals(1, engine.snapshotFailures());
                assertTrue(engine.isRunning(), "the engine goes on");

                final List<Path> leftovers;
                try (Stream<Path> files = Files.list(journal.resolve(SnapshotStore.DIRECTORY_NAME)))
                {
                    leftovers = files.filter(p -> p.toString().endsWith(".tmp")).toList();
                }
                final long usableAfter = disk.usableBytes();
                assertEquals(List.of(), leftovers, "a failed snapshot write left its partial file");
                assertEquals(usableBefore, usableAfter, "the failed snapshot kept disk space");
            }
        }
    }
}
