package io.clearing.benchmarks;

import io.clearing.settlement.journal.Durability;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A group commit: {@code batch} documents appended with {@link JournalWriter#append} (a Fill and the 490 bytes of
 * events it settles into, as in {@link JournalAppendBenchmark}), then {@link JournalWriter#sync}. With
 * {@link Durability#PAGE_CACHE} the sync does nothing, which makes it the baseline of the same run; with
 * {@link Durability#SYNCED} it is one {@code fdatasync} of the journal file (what the engine does once per batch it
 * takes off its ring). Divide the score by {@code batch} for the cost per document. The journal lives in a temporary
 * directory under {@code java.io.tmpdir}, a new one per iteration; the figure is the disk's under that directory.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar JournalSyncBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class JournalSyncBenchmark
{
    private static final int EVENT_BYTES = 490;

    /** What the sync does. */
    @Param({"PAGE_CACHE", "SYNCED"})
    public Durability durability;

    /** Documents per group commit. */
    @Param({"1", "16", "256"})
    public int batch;

    private JournalAppendBenchmark.Document document;
    private Path journalDirectory;
    private JournalWriter journal;
    private long time;

    /** Encodes the command and the events region. */
    @Setup(Level.Trial)
    public void setup()
    {
        document = new JournalAppendBenchmark.Document(EVENT_BYTES);
        time = FillBenchmark.Commands.START_NANOS;
    }

    /**
     * Opens a new, empty journal.
     *
     * @throws IOException if the temporary directory cannot be created.
     */
    @Setup(Level.Iteration)
    public void openJournal() throws IOException
    {
        journalDirectory = Files.createTempDirectory("journal-sync-benchmark");
        journal = new JournalWriter(journalDirectory, JournalWriter.DEFAULT_PREALLOCATION_BYTES, durability);
    }

    /** Closes and deletes the iteration's journal. */
    @TearDown(Level.Iteration)
    public void deleteJournal()
    {
        journal.close();
        FillBenchmark.deleteRecursively(journalDirectory);
    }

    /**
     * {@code batch} documents, then the group commit.
     *
     * @return the sequence the sync covers (0 with PAGE_CACHE).
     */
    @Benchmark
    public long appendBatchThenSync()
    {
        final UnsafeBuffer command = document.command;
        for (int i = 0; i < batch; i++)
        {
            command.putLong(JournalAppendBenchmark.Document.TIMESTAMP_OFFSET, ++time, ByteOrder.LITTLE_ENDIAN);
            journal.append(time, command, 0, document.commandLength, document.events, 0, EVENT_BYTES,
                document.eventCount);
        }
        return journal.sync();
    }
}
