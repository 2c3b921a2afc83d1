package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.DepositDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public {@link ClearingEngine} API: ordering, journaling, replay, concurrency, back pressure, failures. */
final class PipelineTest
{
    private static final int CAPACITY = 1024;
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private static final long START = 1_767_225_600_000_000_000L;

    @TempDir
    Path journal;

    /** One document as the listener saw it, bytes copied out. */
    record Document(long sequence, byte[] command, byte[] events, int eventCount)
    {
    }

    /** Copies every document; thread-safe so the test thread can read after close. */
    static final class Recorder implements EngineListener
    {
        final List<Document> documents = new ArrayList<>();

        @Override
        public synchronized void onDocument(final long sequence, final DirectBuffer command, final int commandOffset,
            final int commandLength, final DirectBuffer events, final int eventsOffset, final int eventsLength,
            final int eventCount, final long submitNanos)
        {
            final byte[] commandBytes = new byte[commandLength];
            command.getBytes(commandOffset, commandBytes);
            final byte[] eventBytes = new byte[eventsLength];
            events.getBytes(eventsOffset, eventBytes);
            documents.add(new Document(sequence, commandBytes, eventBytes, eventCount));
            notifyAll();
        }

        /** Waits until {@code count} documents have arrived, so a test does not depend on close() draining. */
        synchronized void await(final int count)
        {
            final long deadline = System.currentTimeMillis() + 20_000;
            while (documents.size() < count && System.currentTimeMillis() < deadline)
            {
                try
                {
                    wait(10);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            assertEquals(count, documents.size(), "documents delivered");
        }

        synchronized List<Document> snapshot()
        {
            return new ArrayList<>(documents);
        }
    }

    private static ClearingEngine.Builder builder(final Path directory, final int ringSize)
    {
        return ClearingEngine.builder().journalDirectory(directory).ringSize(ringSize).accountCapacity(CAPACITY);
    }

    private static int assetDefinition(final UnsafeBuffer buffer, final long timestamp)
    {
        return HEADER + new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .timestamp(timestamp).assetId(0).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength();
    }

    private static int deposit(final UnsafeBuffer buffer, final long timestamp, final int account, final long amount)
    {
        return HEADER + new DepositEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .timestamp(timestamp).accountId(account).assetId(0).amount(amount).encodedLength();
    }

    private static List<Integer> templates(final byte[] events)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(events);
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final List<Integer> templates = new ArrayList<>();
        for (int offset = 0; offset < events.length; offset += 4 + buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN))
        {
            templates.add(header.wrap(buffer, offset + 4).templateId());
        }
        return templates;
    }

    /** Sends an asset definition and {@code deposits} deposits to account 16 from the test thread. */
    private static void sendDeposits(final ClearingEngine engine, final long firstTimestamp, final int deposits)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        if (firstTimestamp == START)
        {
            assertTrue(engine.submit(buffer, 0, assetDefinition(buffer, START)) >= 0);
        }
        for (int i = 1; i <= deposits; i++)
        {
            assertTrue(engine.submit(buffer, 0, deposit(buffer, firstTimestamp + i, 16, i)) >= 0);
        }
    }

    @Test
    void commandsProduceTheirEventsAtTheListener()
    {
        final Recorder recorder = new Recorder();
        try (ClearingEngine engine = builder(journal, 1024).listener(recorder).build().start())
        {
            sendDeposits(engine, START, 1);
            recorder.await(2);
        }
        final List<Document> documents = recorder.snapshot();
        assertEquals(2, documents.size());
        assertEquals(List.of(101), templates(documents.get(0).events()));
        assertTrue(templates(documents.get(1).events()).contains(BalanceChangedDecoder.TEMPLATE_ID));
        assertEquals(1, documents.get(0).eventCount());
    }

    @Test
    void listenerSeesDocumentsInSequenceFromOne()
    {
        final Recorder recorder = new Recorder();
        try (ClearingEngine engine = builder(journal, 1024).listener(recorder).build().start())
        {
            sendDeposits(engine, START, 50);
            recorder.await(51);
            assertEquals(51, engine.lastSequence());
        }
        final List<Document> documents = recorder.snapshot();
        assertEquals(51, documents.size());
        for (int i = 0; i < documents.size(); i++)
        {
            assertEquals(i + 1, documents.get(i).sequence());
        }
    }

    @Test
    void journalHoldsExactlyWhatTheListenerSaw()
    {
        final Recorder recorder = new Recorder();
        try (ClearingEngine engine = builder(journal, 1024).listener(recorder).build().start())
        {
            sendDeposits(engine, START, 100);
            recorder.await(101);
        }
        final List<Document> seen = recorder.snapshot();
        final JournalDocument document = new JournalDocument();
        int count = 0;
        try (JournalReader reader = new JournalReader(journal))
        {
            // First the genesis, which the engine wrote before any command and no listener is told of.
            assertTrue(reader.next(document));
            assertEquals(0, document.sequence());
            assertNotNull(Genesis.decode(document));
            while (reader.next(document))
            {
                final Document expected = seen.get(count++);
                assertEquals(expected.sequence(), document.sequence());
                final byte[] command = new byte[document.commandLength()];
                document.buffer().getBytes(document.commandOffset(), command);
                assertArrayEquals(expected.command(), command);
                final byte[] events = new byte[document.eventsLength()];
                document.buffer().getBytes(document.eventsOffset(), events);
                assertArrayEquals(expected.events(), events);
                assertEquals(expected.eventCount(), document.eventCount());
            }
        }
        assertEquals(seen.size(), count);
    }

    @Test
    void auditorPassesOnTheJournal()
    {
        final Recorder recorder = new Recorder();
        try (ClearingEngine engine = builder(journal, 1024).listener(recorder).build().start())
        {
            sendDeposits(engine, START, 100);
            recorder.await(101);
        }
        final Auditor.Result result = new Auditor(CAPACITY, new RiskParameters()).audit(journal);
        assertTrue(result.ok(), result.failure());
        assertEquals(101, result.documents());
    }

    @Test
    void restartReplaysTheJournalAndContinuesTheSequence()
    {
        final long[] balancesBefore = new long[CAPACITY];
        final Recorder first = new Recorder();
        try (ClearingEngine engine = builder(journal, 1024).listener(first).build().start())
        {
            sendDeposits(engine, START, 40);
            first.await(41);
            engine.close();
            for (int id = 0; id < CAPACITY; id++)
            {
                balancesBefore[id] = engine.stateMachine().accounts().balance(id, 0);
            }
        }
        final Recorder recorder = new Recorder();
        try (ClearingEngine engine = builder(journal, 1024).listener(recorder).build().start())
        {
            assertEquals(41, engine.replayedDocuments());
            for (int id = 0; id < CAPACITY; id++)
            {
                assertEquals(balancesBefore[id], engine.stateMachine().accounts().balance(id, 0));
            }
            sendDeposits(engine, START + 1_000, 1);
            recorder.await(1);
        }
        final List<Document> documents = recorder.snapshot();
        assertEquals(1, documents.size());
        assertEquals(42, documents.get(0).sequence());
        assertTrue(new Auditor(CAPACITY, new RiskParameters()).audit(journal).ok());
    }

    @Test
    void concurrentProducersLoseNothingAndKeepTheirOrder() throws Exception
    {
        final int producers = 4;
        final int perProducer = 5_000;
        final Recorder recorder = new Recorder();
        try (ClearingEngine engine = builder(journal, 1024).listener(recorder).build().start())
        {
            final UnsafeBuffer setup = new UnsafeBuffer(new byte[256]);
            assertTrue(engine.submit(setup, 0, assetDefinition(setup, START)) >= 0);
            final CountDownLatch go = new CountDownLatch(1);
            final AtomicLong refused = new AtomicLong();
            final List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++)
            {
                final int account = 16 + p;
                final Thread thread = new Thread(() ->
                {
                    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
                    try
                    {
                        go.await();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    for (int i = 1; i <= perProducer; i++)
                    {
                        // Same timestamp for all: producers race, and time must never appear to go backwards.
                        if (engine.submit(buffer, 0, deposit(buffer, START + 1, account, i)) < 0)
                        {
                            refused.incrementAndGet();
                        }
                    }
                });
                threads.add(thread);
                thread.start();
            }
            go.countDown();
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertEquals(0, refused.get());
            recorder.await(1 + producers * perProducer);
        }
        final List<Document> documents = recorder.snapshot();
        assertEquals(1 + producers * perProducer, documents.size());
        final long[] next = new long[producers];
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final DepositDecoder deposit = new DepositDecoder();
        for (int i = 1; i < documents.size(); i++)
        {
            final UnsafeBuffer command = new UnsafeBuffer(documents.get(i).command());
            header.wrap(command, 0);
            deposit.wrap(command, HEADER, header.blockLength(), header.version());
            final int producer = deposit.accountId() - 16;
            assertEquals(++next[producer], deposit.amount(), "producer " + producer + " order");
            assertTrue(templates(documents.get(i).events()).contains(BalanceChangedDecoder.TEMPLATE_ID));
        }
        for (int p = 0; p < producers; p++)
        {
            assertEquals(perProducer, next[p]);
        }
    }

    @Test
    void fullRingBackPressuresAndNeverDropsSilently()
    {
        final Recorder recorder = new Recorder();
        final EngineListener slow = (sequence, command, commandOffset, commandLength, events, eventsOffset,
            eventsLength, eventCount, submitNanos) -> sleepMillis(1);
        long accepted = 0;
        long backPressured = 0;
        try (ClearingEngine engine = builder(journal, 4).listener(slow).listener(recorder).build().start())
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
            for (int i = 0; i < 200; i++)
            {
                final int length = i == 0 ? assetDefinition(buffer, START) : deposit(buffer, START + i, 16, i);
                final long result = engine.offer(buffer, 0, length);
                if (result >= 0)
                {
                    accepted++;
                }
                else
                {
                    assertEquals(ClearingEngine.OFFER_BACK_PRESSURED, result);
                    backPressured++;
                }
            }
            assertEquals(backPressured, engine.backPressuredOffers());
            recorder.await((int)accepted);
        }
        assertTrue(backPressured >= 1, "a 4-slot ring with a slow listener must fill up");
        assertEquals(accepted, recorder.snapshot().size());
    }

    @Test
    void frameLongerThanASlotIsRefused()
    {
        try (ClearingEngine engine = builder(journal, 1024).build().start())
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ClearingEngine.SLOT_CAPACITY + 1]);
            assertEquals(ClearingEngine.OFFER_TOO_LONG, engine.offer(buffer, 0, ClearingEngine.SLOT_CAPACITY + 1));
            engine.close();
            assertEquals(0, engine.lastSequence());
        }
    }

    @Test
    void throwingListenerDoesNotStopTheEngine()
    {
        final Recorder recorder = new Recorder();
        final EngineListener throwing = (sequence, command, commandOffset, commandLength, events, eventsOffset,
            eventsLength, eventCount, submitNanos) ->
        {
            if (sequence <= 3)
            {
                throw new IllegalStateException("listener failure " + sequence);
            }
        };
        try (ClearingEngine engine = builder(journal, 1024).listener(throwing).listener(recorder).build().start())
        {
            sendDeposits(engine, START, 9);
            recorder.await(10);
            engine.close();
            assertEquals(3, engine.listenerFailures());
            assertEquals(null, engine.failure());
        }
        final List<Document> documents = recorder.snapshot();
        assertEquals(10, documents.size());
        assertEquals(10, documents.get(9).sequence());
    }

    @Test
    void closeRightAfterStartStillProcessesEverythingAccepted()
    {
        // Repeated because the window (processor thread not yet running at close) is a race.
        for (int attempt = 0; attempt < 10; attempt++)
        {
            final Path directory = journal.resolve("attempt-" + attempt);
            final Recorder recorder = new Recorder();
            final ClearingEngine engine = builder(directory, 1024).listener(recorder).build().start();
            sendDeposits(engine, START, 20);
            engine.close();
            assertEquals(21, recorder.snapshot().size(), "documents processed before close returned, attempt " +
                attempt);
        }
    }

    @Test
    void offerAfterCloseIsRefused()
    {
        final ClearingEngine engine = builder(journal, 1024).build().start();
        engine.close();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        assertEquals(ClearingEngine.OFFER_CLOSED, engine.offer(buffer, 0, deposit(buffer, START, 16, 1)));
        assertEquals(false, engine.isRunning());
    }

    private static void sleepMillis(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
