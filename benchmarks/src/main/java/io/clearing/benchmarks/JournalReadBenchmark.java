package io.clearing.benchmarks;

import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import io.clearing.settlement.journal.JournalWriter;
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
 * {@link JournalReader#next} of one document: the Chronicle read and the copy of the document into the reader's
 * buffer, as replay and the auditor read the journal (no hash check, no state machine).
 * <p>
 * Setup writes a journal of {@value #DOCUMENTS} documents of the {@link JournalAppendBenchmark.Document} shape (a
 * Fill command and {@code eventBytes} of events) into a temporary directory under {@code java.io.tmpdir}, closes the
 * writer and opens one reader. The reader goes through the journal in order; at its end it {@link JournalReader#seek
 * seeks} back to sequence 1 (once per {@value #DOCUMENTS} reads, inside the measured time, so its cost and any
 * allocation is spread over them). The documents are in the page cache: this is the cost of reading, not of the disk.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar JournalReadBenchmark -prof gc}
 * (forks inherit the JVM flags of the launching JVM).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class JournalReadBenchmark
{
    private static final int DOCUMENTS = 100_000;

    /** Bytes of each document's events region. */
    @Param({"128", "490", "2048"})
    public int eventBytes;

    private final JournalDocument document = new JournalDocument();
    private Path journalDirectory;
    private JournalReader reader;
    private long reads;
    private long rewinds;

    /**
     * Writes the journal and opens the reader at its first document.
     *
     * @throws IOException if the temporary directory cannot be created.
     */
    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        final JournalAppendBenchmark.Document shape = new JournalAppendBenchmark.Document(eventBytes);
        journalDirectory = Files.createTempDirectory("journal-read-benchmark");
        try (JournalWriter writer = new JournalWriter(journalDirectory))
        {
            long time = FillBenchmark.Commands.START_NANOS;
            for (int i = 0; i < DOCUMENTS; i++)
            {
                shape.command.putLong(JournalAppendBenchmark.Document.TIMESTAMP_OFFSET, ++time,
                    ByteOrder.LITTLE_ENDIAN);
                writer.append(time, shape.command, 0, shape.commandLength, shape.events, 0, eventBytes,
                    shape.eventCount);
            }
        }
        reader = new JournalReader(journalDirectory);
        if (!reader.next(document) || document.sequence() != 1 || document.totalLength() != shape.documentLength() ||
            !document.structurallyValid() || !reader.seek(1))
        {
            throw new IllegalStateException("the journal does not read back as written");
        }
        System.out.printf("%nJournalReadBenchmark eventBytes=%d: %d documents of %d bytes%n", eventBytes, DOCUMENTS,
            shape.documentLength());
    }

    /** Checks the last document read, then closes the reader and deletes the journal. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        final boolean valid = document.structurallyValid();
        reader.close();
        FillBenchmark.deleteRecursively(journalDirectory);
        System.out.printf("%nJournalReadBenchmark eventBytes=%d: %d reads, %d rewinds, last document valid: %b%n",
            eventBytes, reads, rewinds, valid);
        if (!valid)
        {
            throw new IllegalStateException("the last document read is malformed");
        }
    }

    /**
     * The next document read (after the last one, the first again).
     *
     * @return its sequence plus its length, so the read cannot be eliminated.
     */
    @Benchmark
    public long next()
    {
        if (!reader.next(document))
        {
            rewinds++;
            if (!reader.seek(1) || !reader.next(document))
            {
                throw new IllegalStateException("cannot rewind the journal");
            }
        }
        reads++;
        return document.sequence() + document.totalLength();
    }
}
