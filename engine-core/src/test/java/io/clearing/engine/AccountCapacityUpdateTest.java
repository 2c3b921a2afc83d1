package io.clearing.engine;

import io.clearing.engine.audit.Auditor;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AccountCapacityChangedDecoder;
import io.clearing.sbe.AccountCapacityUpdateEncoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.RejectReason;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code AccountCapacityUpdate}: a running engine's account ids are raised without touching anything else. A state
 * raised before any account exists is the state of an engine started at the raised capacity; a raise in the middle of
 * a run changes no other event; ids beyond the old capacity open and trade; a journal with a raise restarts from a
 * snapshot on either side of it, or from its genesis, and audits clean whole, in stretches and snapshot by snapshot.
 */
final class AccountCapacityUpdateTest
{
    private static final int ACCOUNTS = 400;
    private static final int COMMANDS = 12_000;
    private static final int CAPACITY = 1024;
    private static final int RAISED = 4096;
    private static final int NEW_ACCOUNT = RAISED - 1;
    private static final long DEPOSIT = 5_000L * 100_000_000L;
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private static final int LENGTH_PREFIX = 4;
    /** Every command the Simulator sends, as frames. */
    private static final List<byte[]> FRAMES = new ArrayList<>();

    @TempDir
    Path work;

    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final MessageHeaderDecoder eventHeader = new MessageHeaderDecoder();

    @BeforeAll
    static void recordTheMarket()
    {
        FRAMES.addAll(SimulatedFrames.record(ACCOUNTS, COMMANDS, 5));
    }

    @Test
    void aStateRaisedBeforeItsFirstAccountIsTheStateOfAnEngineStartedAtTheRaisedCapacity()
    {
        final ClearingStateMachine started = new ClearingStateMachine(RAISED, new RiskParameters());
        final ClearingStateMachine raised = new ClearingStateMachine(Accounts.FIRST_USER_ACCOUNT + 1,
            new RiskParameters());
        final EventWriter events = new EventWriter();
        final EventWriter expected = new EventWriter();

        apply(raised, capacityUpdate(0, RAISED), events);
        assertCapacityChanged(events, Accounts.FIRST_USER_ACCOUNT + 1, RAISED);
        for (final byte[] frame : FRAMES)
        {
            started.apply(new UnsafeBuffer(frame), 0, frame.length, expected);
            raised.apply(new UnsafeBuffer(frame), 0, frame.length, events);
            assertArrayEquals(bytes(expected), bytes(events));
        }

        assertEquals(RAISED, raised.accounts().capacity());
        assertArrayEquals(encode(started, COMMANDS), encode(raised, COMMANDS),
            "the raised state encodes to the bytes of the state started at that capacity");
    }

    @Test
    void aRaiseInTheMiddleOfARunChangesNoOtherEventAndNewIdsOpenAndTrade()
    {
        final ClearingStateMachine plain = new ClearingStateMachine(CAPACITY, new RiskParameters());
        final ClearingStateMachine raised = new ClearingStateMachine(CAPACITY, new RiskParameters());
        final EventWriter events = new EventWriter();
        final EventWriter expected = new EventWriter();
        final int half = COMMANDS / 2;
        for (int i = 0; i < FRAMES.size(); i++)
        {
            if (i == half)
            {
                final long now = timestamp(FRAMES.get(i - 1));
                apply(raised, capacityUpdate(now, RAISED), events);
                assertCapacityChanged(events, CAPACITY, RAISED);
                apply(plain, deposit(now, NEW_ACCOUNT, DEPOSIT), expected);
                assertRejected(expected, RejectReason.ID_OUT_OF_RANGE);
                apply(raised, deposit(now, NEW_ACCOUNT, DEPOSIT), events);
                assertDeposited(events, NEW_ACCOUNT, DEPOSIT);
            }
            final byte[] frame = FRAMES.get(i);
            plain.apply(new UnsafeBuffer(frame), 0, frame.length, expected);
            raised.apply(new UnsafeBuffer(frame), 0, frame.length, events);
            assertArrayEquals(bytes(expected), bytes(events), "events of command " + i);
        }

        assertEquals(DEPOSIT, raised.accounts().balance(NEW_ACCOUNT, 0));
        assertEquals(-1, raised.ledger().checkConservation());
        for (int id = 0; id < CAPACITY; id++)
        {
            assertEquals(plain.accounts().equity(id), raised.accounts().equity(id), "equity of " + id);
            assertEquals(plain.accounts().positionCount(id), raised.accounts().positionCount(id), "positions of " + id);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {CAPACITY, CAPACITY - 1, 17, 0, -1, Integer.MIN_VALUE, Accounts.MAX_CAPACITY + 1,
        Integer.MAX_VALUE})
    void aCapacityThatDoesNotRaiseOrExceedsTheLargestTableIsRejectedAndChangesNothing(final int capacity)
    {
        final ClearingStateMachine machine = new ClearingStateMachine(CAPACITY, new RiskParameters());
        final EventWriter events = new EventWriter();
        for (int i = 0; i < 500; i++)
        {
            apply(machine, FRAMES.get(i), events);
        }
        final long now = timestamp(FRAMES.get(499));
        final byte[] before = encode(machine, 500);

        apply(machine, capacityUpdate(now + 1_000, capacity), events);

        assertRejected(events, RejectReason.VALUE_OUT_OF_RANGE);
        final CommandRejectedDecoder rejected = new CommandRejectedDecoder().wrap(events.buffer(),
            LENGTH_PREFIX + HEADER, CommandRejectedDecoder.BLOCK_LENGTH, 1);
        assertEquals(capacity, rejected.referenceId());
        assertEquals(CAPACITY, rejected.requested());
        assertEquals(Accounts.MAX_CAPACITY, rejected.available());
        assertEquals(CAPACITY, machine.accounts().capacity());
        assertArrayEquals(before, encode(machine, 500));
        // A rejected command does not move time: a deposit before the rejected command's timestamp still applies.
        apply(machine, deposit(now + 1, CAPACITY - 1, DEPOSIT), events);
        assertDeposited(events, CAPACITY - 1, DEPOSIT);
    }

    @Test
    void aJournalWithARaiseRestartsFromASnapshotOnEitherSideOrFromItsGenesisAndAudits() throws Exception
    {
        final Path journal = work.resolve("journal");
        final int half = COMMANDS / 2;
        final long documents = COMMANDS + 2;
        try (ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).accountCapacity(CAPACITY)
            .ringSize(1 << 12).snapshotEvery(3_000).snapshotsKept(8).build())
        {
            engine.start();
            for (int i = 0; i < FRAMES.size(); i++)
            {
                if (i == half)
                {
                    final long now = timestamp(FRAMES.get(i - 1));
                    submit(engine, capacityUpdate(now, RAISED));
                    submit(engine, deposit(now, NEW_ACCOUNT, DEPOSIT));
                }
                submit(engine, FRAMES.get(i));
            }
            while (engine.lastSequence() < documents && engine.isRunning())
            {
                Thread.sleep(1);
            }
            assertEquals(documents, engine.lastSequence());
        }
        final List<Long> snapshots = snapshotSequences(journal);
        assertEquals(List.of(3_000L, 6_000L, 9_000L, 12_000L), snapshots, "two snapshots on each side of the raise");

        final byte[] replayed = encode(replay(journal), documents);
        assertRestartsTo(journal, 12_000, replayed);
        Files.delete(journal.resolve("snapshots").resolve(String.format("snapshot-%020d.sbe", 12_000)));
        Files.delete(journal.resolve("snapshots").resolve(String.format("snapshot-%020d.sbe", 9_000)));
        assertRestartsTo(journal, 6_000, replayed);

        final Auditor auditor = new Auditor(CAPACITY, new RiskParameters());
        final Auditor.Result whole = auditor.audit(journal);
        assertTrue(whole.ok(), whole.failure());
        assertEquals(documents, whole.documents());
        final Auditor.Result stretches = auditor.auditInSegments(journal, 2, n -> { });
        assertTrue(stretches.ok(), stretches.failure());
        assertEquals(documents, stretches.documents());
        assertEquals(whole.finalHash(), stretches.finalHash());
        final Auditor.Result proven = auditor.verifySnapshots(journal, n -> { });
        assertTrue(proven.ok(), proven.failure());
        assertTrue(proven.snapshots().stream().allMatch(Auditor.SnapshotCheck::identical));

        try (Stream<Path> files = Files.list(journal.resolve("snapshots")))
        {
            for (final Path file : files.toList())
            {
                Files.delete(file);
            }
        }
        assertRestartsTo(journal, 0, replayed);
    }

    private static void assertRestartsTo(final Path journal, final long snapshot, final byte[] replayed)
    {
        final long documents = COMMANDS + 2;
        final ClearingEngine engine = ClearingEngine.builder().journalDirectory(journal).accountCapacity(CAPACITY)
            .build();
        engine.start().close();
        assertEquals(snapshot, engine.recovery().snapshotSequence());
        assertEquals(List.of(), engine.recovery().skippedSnapshots());
        assertEquals(RAISED, engine.stateMachine().accounts().capacity());
        assertEquals(DEPOSIT, engine.stateMachine().accounts().balance(NEW_ACCOUNT, 0));
        assertArrayEquals(replayed, encode(engine.stateMachine(), documents),
            "the restarted state equals a replay of the whole journal");
    }

    private static List<Long> snapshotSequences(final Path journal) throws Exception
    {
        try (Stream<Path> files = Files.list(journal.resolve("snapshots")))
        {
            return files.map(SnapshotStore::sequenceOf).sorted().toList();
        }
    }

    private static ClearingStateMachine replay(final Path journal)
    {
        final ClearingStateMachine machine = Genesis.read(journal).newMachine();
        final EventWriter events = new EventWriter();
        final JournalDocument document = new JournalDocument();
        try (JournalReader reader = new JournalReader(journal))
        {
            while (reader.next(document))
            {
                if (document.sequence() > 0)
                {
                    machine.apply(document.buffer(), document.commandOffset(), document.commandLength(), events);
                }
            }
        }
        return machine;
    }

    private static void submit(final ClearingEngine engine, final byte[] frame)
    {
        assertTrue(engine.submit(new UnsafeBuffer(frame), 0, frame.length) >= 0);
    }

    private static void apply(final ClearingStateMachine machine, final byte[] frame, final EventWriter events)
    {
        machine.apply(new UnsafeBuffer(frame), 0, frame.length, events);
    }

    private byte[] capacityUpdate(final long timestamp, final int capacity)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[HEADER + AccountCapacityUpdateEncoder.BLOCK_LENGTH]);
        new AccountCapacityUpdateEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(timestamp)
            .accountCapacity(capacity);
        return buffer.byteArray();
    }

    private byte[] deposit(final long timestamp, final int account, final long amount)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[HEADER + DepositEncoder.BLOCK_LENGTH]);
        new DepositEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(timestamp).accountId(account).assetId(0)
            .amount(amount);
        return buffer.byteArray();
    }

    private static long timestamp(final byte[] frame)
    {
        return new UnsafeBuffer(frame).getLong(HEADER, ByteOrder.LITTLE_ENDIAN);
    }

    private void assertCapacityChanged(final EventWriter events, final int from, final int to)
    {
        assertEquals(1, events.count());
        eventHeader.wrap(events.buffer(), LENGTH_PREFIX);
        assertEquals(AccountCapacityChangedDecoder.TEMPLATE_ID, eventHeader.templateId());
        final AccountCapacityChangedDecoder changed = new AccountCapacityChangedDecoder().wrap(events.buffer(),
            LENGTH_PREFIX + HEADER, eventHeader.blockLength(), eventHeader.version());
        assertEquals(from, changed.oldCapacity());
        assertEquals(to, changed.newCapacity());
    }

    private void assertRejected(final EventWriter events, final RejectReason reason)
    {
        assertEquals(1, events.count());
        eventHeader.wrap(events.buffer(), LENGTH_PREFIX);
        assertEquals(CommandRejectedDecoder.TEMPLATE_ID, eventHeader.templateId());
        assertEquals(reason, new CommandRejectedDecoder().wrap(events.buffer(), LENGTH_PREFIX + HEADER,
            eventHeader.blockLength(), eventHeader.version()).reason());
    }

    private void assertDeposited(final EventWriter events, final int account, final long amount)
    {
        assertEquals(1, events.count());
        eventHeader.wrap(events.buffer(), LENGTH_PREFIX);
        assertEquals(BalanceChangedDecoder.TEMPLATE_ID, eventHeader.templateId());
        final BalanceChangedDecoder changed = new BalanceChangedDecoder().wrap(events.buffer(), LENGTH_PREFIX + HEADER,
            eventHeader.blockLength(), eventHeader.version());
        assertEquals(account, changed.accountId());
        assertEquals(amount, changed.amount());
    }

    private static byte[] bytes(final EventWriter events)
    {
        final byte[] bytes = new byte[events.length()];
        events.buffer().getBytes(0, bytes);
        return bytes;
    }

    private static byte[] encode(final ClearingStateMachine machine, final long sequence)
    {
        final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(1 << 16);
        final int length = new SnapshotCodec().encode(machine, sequence, new byte[JournalDocument.HASH_LENGTH],
            buffer);
        return Arrays.copyOf(bytes(buffer, length), length);
    }

    private static byte[] bytes(final ExpandableDirectByteBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }
}
