package io.clearing.benchmarks;

import io.clearing.sbe.BalanceReason;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.Liquidity;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.Side;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.DirectBuffer;
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
 * {@link JournalWriter#append} of one document, a Fill command and its events, into a Chronicle journal in a
 * temporary directory (under {@code java.io.tmpdir}): building the 64-byte header, SHA-256 over the document, and the
 * Chronicle write. No state machine, no ring.
 * <p>
 * The document: a Fill frame (69 bytes), stamped with a fresh timestamp each operation, and an events region of exactly
 * {@code eventBytes} bytes (see {@link Document}): 490 bytes is what one perpetual fill settles into in
 * {@link FillBenchmark} (2 TradeSettled + 6 BalanceChanged). Each measurement and warm-up iteration writes into a
 * new, empty journal (opened before the iteration, closed and deleted after it, outside the measured time), so the
 * disk holds at most one iteration's documents.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -jar benchmarks/target/benchmarks.jar JournalAppendBenchmark -prof gc}
 * (forks inherit the JVM flags of the launching JVM).
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class JournalAppendBenchmark
{
    /** Bytes of the document's events region. */
    @Param({"128", "490", "2048"})
    public int eventBytes;

    private Document document;
    private Path journalDirectory;
    private JournalWriter journal;
    private long time;
    private long documents;
    private long iterations;

    /** Encodes the command and the events region. */
    @Setup(Level.Trial)
    public void setup()
    {
        document = new Document(eventBytes);
        time = FillBenchmark.Commands.START_NANOS;
        System.out.printf("%nJournalAppendBenchmark eventBytes=%d: command %d bytes, %d events, document %d bytes%n",
            eventBytes, document.commandLength, document.eventCount, document.documentLength());
    }

    /**
     * Opens a new, empty journal.
     *
     * @throws IOException if the temporary directory cannot be created.
     */
    @Setup(Level.Iteration)
    public void openJournal() throws IOException
    {
        journalDirectory = Files.createTempDirectory("journal-append-benchmark");
        journal = new JournalWriter(journalDirectory);
    }

    /** Closes and deletes the iteration's journal. */
    @TearDown(Level.Iteration)
    public void deleteJournal()
    {
        documents += journal.lastSequence();
        iterations++;
        journal.close();
        FillBenchmark.deleteRecursively(journalDirectory);
    }

    /** Prints how many documents the trial wrote. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        System.out.printf("%nJournalAppendBenchmark eventBytes=%d: %d documents in %d journals%n", eventBytes,
            documents, iterations);
    }

    /**
     * One document appended.
     *
     * @return its journal sequence.
     */
    @Benchmark
    public long append()
    {
        final UnsafeBuffer command = document.command;
        command.putLong(Document.TIMESTAMP_OFFSET, ++time, ByteOrder.LITTLE_ENDIAN);
        return journal.append(time, command, 0, document.commandLength, document.events, 0, eventBytes,
            document.eventCount);
    }

    /**
     * A journal document of a realistic shape, built once (setup only, allocates): a Fill command frame and an events
     * region of exactly the requested size. The region repeats the 8 event frames one fill settles into (TradeSettled
     * for each side, then 6 BalanceChanged for the realized PnL and fee transfers; field values are illustrative), in
     * that order, as long as the next whole frame fits; the rest, if any, is one entry of zero bytes (the journal
     * does not parse frames, only their lengths).
     */
    static final class Document
    {
        /** Offset of the Fill's timestamp in the command frame. */
        static final int TIMESTAMP_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + FillEncoder.timestampEncodingOffset();
        private static final int LENGTH_PREFIX = JournalDocument.EVENT_LENGTH_FIELD_LENGTH;

        final UnsafeBuffer command = new UnsafeBuffer(new byte[MessageHeaderEncoder.ENCODED_LENGTH +
            FillEncoder.BLOCK_LENGTH]);
        final int commandLength;
        final UnsafeBuffer events;
        final int eventCount;

        /**
         * @param eventBytes size of the events region, at least 4.
         */
        Document(final int eventBytes)
        {
            if (eventBytes < LENGTH_PREFIX)
            {
                throw new IllegalArgumentException("eventBytes must be at least " + LENGTH_PREFIX + ": " + eventBytes);
            }
            final FillEncoder fill = new FillEncoder().wrapAndApplyHeader(command, 0, new MessageHeaderEncoder())
                .timestamp(FillBenchmark.Commands.START_NANOS).tradeId(1_000_001L).instrumentId(0)
                .price(6_500_000_000_000L).quantity(1).makerOrderId(1_000_000L).makerAccountId(16)
                .takerOrderId(1_000_001L).takerAccountId(17).takerSide(Side.BUY);
            commandLength = MessageHeaderEncoder.ENCODED_LENGTH + fill.encodedLength();

            final EventWriter fillEvents = oneFillsEvents();
            final DirectBuffer source = fillEvents.buffer();
            events = new UnsafeBuffer(new byte[eventBytes]);
            int length = 0;
            int count = 0;
            int sourceOffset = 0;
            while (true)
            {
                if (sourceOffset == fillEvents.length())
                {
                    sourceOffset = 0;
                }
                final int entry = LENGTH_PREFIX + source.getInt(sourceOffset, ByteOrder.LITTLE_ENDIAN);
                final int left = eventBytes - length - entry;
                if (left < 0 || (left > 0 && left < LENGTH_PREFIX))
                {
                    break;
                }
                events.putBytes(length, source, sourceOffset, entry);
                length += entry;
                count++;
                sourceOffset += entry;
            }
            if (length < eventBytes)
            {
                events.putInt(length, eventBytes - length - LENGTH_PREFIX, ByteOrder.LITTLE_ENDIAN);
                count++;
            }
            eventCount = count;
        }

        /** @return bytes of the document as journaled: header, command, events, hash. */
        int documentLength()
        {
            return JournalDocument.HEADER_LENGTH + commandLength + events.capacity() + JournalDocument.HASH_LENGTH;
        }

        private static EventWriter oneFillsEvents()
        {
            final EventWriter writer = new EventWriter();
            writer.reset();
            writer.tradeSettled().tradeId(1_000_001L).accountId(16).orderId(1_000_000L).instrumentId(0)
                .side(Side.SELL).liquidity(Liquidity.MAKER).price(6_500_000_000_000L).quantity(1).positionAfter(-6)
                .realizedPnl(0).fee(-650_000L).orderRemaining(99_999L);
            writer.tradeSettled().tradeId(1_000_001L).accountId(17).orderId(1_000_001L).instrumentId(0)
                .side(Side.BUY).liquidity(Liquidity.TAKER).price(6_500_000_000_000L).quantity(1).positionAfter(6)
                .realizedPnl(0).fee(3_250_000L).orderRemaining(99_999L);
            long balance = 500_000_000_000_000L;
            for (int i = 0; i < 6; i++)
            {
                final long amount = (i & 1) == 0 ? 100_000_000L : -3_250_000L;
                writer.balanceChanged().accountId(16 + (i & 1)).assetId(0)
                    .reason(i < 2 ? BalanceReason.REALIZED_PNL : BalanceReason.FEE).amount(amount)
                    .balanceBefore(balance).balanceAfter(balance + amount).referenceId(1_000_001L);
                balance += amount;
            }
            return writer;
        }
    }
}
