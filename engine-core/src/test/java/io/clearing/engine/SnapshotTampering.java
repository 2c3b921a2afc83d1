package io.clearing.engine;

import io.clearing.sbe.snapshot.AccountTableDecoder;
import io.clearing.sbe.snapshot.EngineStateDecoder;
import io.clearing.sbe.snapshot.InstrumentTableDecoder;
import io.clearing.sbe.snapshot.LedgerTableDecoder;
import io.clearing.sbe.snapshot.MarginTableDecoder;
import io.clearing.sbe.snapshot.MessageHeaderDecoder;
import io.clearing.sbe.snapshot.OrderTableDecoder;
import io.clearing.sbe.snapshot.PositionTableDecoder;
import io.clearing.sbe.snapshot.PriceWatchTableDecoder;
import io.clearing.sbe.snapshot.RiskParameterTableDecoder;
import io.clearing.sbe.snapshot.SnapshotHeaderDecoder;
import org.agrona.MutableDirectBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.IntSupplier;

/**
 * One-field alterations of a real snapshot's linked lists - a cycle, a link out of range, a wrong count - as someone
 * with write access could make before resealing the file ({@link #reseal}): the hash then holds, and only the
 * structural checks at load stand between the file and an engine that loops forever or fails at a later command.
 * Each alteration finds its target in the snapshot (a list tail, a free slot, an account with positions) and fails
 * with an AssertionError when the snapshot has none.
 */
enum SnapshotTampering
{
    /** The tail of an account's position slots links back to the slot before it. */
    POSITION_CYCLE("met twice (a cycle, or a slot on two lists) in the list of account")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows slots = positionSlots(snapshot);
            final int tail = slots.find(s -> slots.value(s, ACCOUNT) >= 0 && slots.value(s, NEXT) == -1 &&
                slots.value(s, PREV) >= 0);
            slots.set(tail, NEXT, slots.value(tail, PREV));
        }
    },
    /** The tail of an account's position slots links past the high-water mark. */
    POSITION_LINK_OUT_OF_RANGE("out of range (high-water")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows slots = positionSlots(snapshot);
            final int tail = slots.find(s -> slots.value(s, ACCOUNT) >= 0 && slots.value(s, NEXT) == -1);
            slots.set(tail, NEXT, slots.count() + 1_000);
        }
    },
    /** An account's position count is one more than its list holds. */
    POSITION_COUNT_WRONG("position slots, its count is")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows accounts = accounts(snapshot);
            final int row = accounts.find(a -> accounts.value(a, POSITION_COUNT) > 0);
            accounts.set(row, POSITION_COUNT, accounts.value(row, POSITION_COUNT) + 1);
        }
    },
    /** The tail of an instrument's holders (not its head) links back to the holder before it. */
    HOLDER_CYCLE("met twice (a cycle, or a slot on two lists) in the holders of instrument")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows slots = positionSlots(snapshot);
            final int tail = slots.find(s -> slots.value(s, ACCOUNT) >= 0 && slots.value(s, NEXT_HOLDER) == -1 &&
                slots.value(slots.value(s, PREV_HOLDER), NEXT_HOLDER) == s);
            slots.set(tail, NEXT_HOLDER, slots.value(tail, PREV_HOLDER));
        }
    },
    /** The oldest open order of an account links back to the order before it. */
    ORDER_CYCLE("met twice (a cycle, or a slot on two lists) in the list of account")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows slots = orderSlots(snapshot);
            final int tail = slots.find(s -> slots.longValue(s, ORDER_ID) != 0 && slots.value(s, ORDER_NEXT) == -1 &&
                slots.value(s, ORDER_PREV) >= 0);
            slots.set(tail, ORDER_NEXT, slots.value(tail, ORDER_PREV));
        }
    },
    /** The oldest open order of an account links past the high-water mark. */
    ORDER_LINK_OUT_OF_RANGE("out of range (high-water")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows slots = orderSlots(snapshot);
            final int tail = slots.find(s -> slots.longValue(s, ORDER_ID) != 0 && slots.value(s, ORDER_NEXT) == -1);
            slots.set(tail, ORDER_NEXT, slots.count() + 1_000);
        }
    },
    /** An account's open-order count is one more than its list holds. */
    ORDER_COUNT_WRONG("open orders, its count is")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows accounts = accounts(snapshot);
            final int row = accounts.find(a -> accounts.value(a, OPEN_ORDER_COUNT) > 0);
            accounts.set(row, OPEN_ORDER_COUNT, accounts.value(row, OPEN_ORDER_COUNT) + 1);
        }
    },
    /** The last free order slot links to itself. */
    ORDER_FREE_LIST_CYCLE("met twice (a cycle, or a slot on two lists) in the free list")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows slots = orderSlots(snapshot);
            final int last = slots.find(s -> slots.longValue(s, ORDER_ID) == 0 && slots.value(s, NEXT_FREE) == -1);
            slots.set(last, NEXT_FREE, last);
        }
    },
    /** The last band record of an account links back to the record before it. */
    BAND_CYCLE("met twice (a cycle, or a record on two lists)")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows bands = bands(snapshot);
            final int before = bands.find(b -> bands.value(b, BAND_SOURCE) >= 0 && bands.value(b, NEXT_BAND) >= 0 &&
                bands.value(bands.value(b, NEXT_BAND), NEXT_BAND) == -1);
            bands.set(bands.value(before, NEXT_BAND), NEXT_BAND, before);
        }
    },
    /** The last band record of an account links to a free record, which stays on the free list too. */
    BAND_FREE_RECORD_IN_A_LIST("(source -1) in the bands of account")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows bands = bands(snapshot);
            final int free = bands.find(b -> bands.value(b, BAND_SOURCE) == -1);
            final int tail = bands.find(b -> bands.value(b, BAND_SOURCE) >= 0 && bands.value(b, NEXT_BAND) == -1);
            bands.set(tail, NEXT_BAND, free);
        }
    },
    /** The last band record of one account links to the first of another: two lists share records. */
    BAND_ON_TWO_LISTS("met twice (a cycle, or a record on two lists)")
    {
        void apply(final MutableDirectBuffer snapshot)
        {
            final Rows bands = bands(snapshot);
            final Rows heads = bandHeads(snapshot);
            final int firstHead = heads.value(0, FIRST_BAND);
            int tail = firstHead;
            while (bands.value(tail, NEXT_BAND) != -1)
            {
                tail = bands.value(tail, NEXT_BAND);
            }
            bands.set(tail, NEXT_BAND, heads.value(1, FIRST_BAND));
        }
    };

    private final String refusal;

    SnapshotTampering(final String refusal)
    {
        this.refusal = refusal;
    }

    /** @return what the message of the load's refusal says, after "snapshot: ". */
    String refusal()
    {
        return refusal;
    }

    /** Alters the snapshot in place (the trailer is left as it was: see {@link #reseal}). */
    abstract void apply(MutableDirectBuffer snapshot);

    /** Recomputes the trailer of a snapshot of {@code length} bytes, so that it passes the hash check again. */
    static void reseal(final MutableDirectBuffer snapshot, final int length)
    {
        new SnapshotCodec().seal(snapshot, length - SnapshotCodec.TRAILER_LENGTH);
    }

    private static final int ACCOUNT = PositionTableDecoder.SlotsDecoder.accountIdEncodingOffset();
    private static final int NEXT = PositionTableDecoder.SlotsDecoder.nextInAccountEncodingOffset();
    private static final int PREV = PositionTableDecoder.SlotsDecoder.prevInAccountEncodingOffset();
    private static final int NEXT_HOLDER = PositionTableDecoder.SlotsDecoder.nextHolderEncodingOffset();
    private static final int PREV_HOLDER = PositionTableDecoder.SlotsDecoder.prevHolderEncodingOffset();
    private static final int POSITION_COUNT = AccountTableDecoder.AccountsDecoder.positionCountEncodingOffset();
    private static final int OPEN_ORDER_COUNT = AccountTableDecoder.AccountsDecoder.openOrderCountEncodingOffset();
    private static final int ORDER_ID = OrderTableDecoder.SlotsDecoder.orderIdEncodingOffset();
    private static final int NEXT_FREE = OrderTableDecoder.SlotsDecoder.nextFreeEncodingOffset();
    private static final int ORDER_NEXT = OrderTableDecoder.SlotsDecoder.nextInAccountEncodingOffset();
    private static final int ORDER_PREV = OrderTableDecoder.SlotsDecoder.prevInAccountEncodingOffset();
    private static final int BAND_SOURCE = PriceWatchTableDecoder.BandsDecoder.bandSourceEncodingOffset();
    private static final int NEXT_BAND = PriceWatchTableDecoder.BandsDecoder.nextBandEncodingOffset();
    private static final int FIRST_BAND = PriceWatchTableDecoder.BandHeadsDecoder.firstBandEncodingOffset();

    /** The rows of one group of a snapshot table, by offset: int fields read and written in place. */
    private static final class Rows
    {
        private final MutableDirectBuffer buffer;
        private final List<Integer> offsets;

        Rows(final MutableDirectBuffer buffer, final List<Integer> offsets)
        {
            this.buffer = buffer;
            this.offsets = offsets;
        }

        int count()
        {
            return offsets.size();
        }

        /** @return the int32 field at {@code fieldOffset} of row {@code row}. */
        int value(final int row, final int fieldOffset)
        {
            return buffer.getInt(offsets.get(row) + fieldOffset, ByteOrder.LITTLE_ENDIAN);
        }

        /** @return the int64 field at {@code fieldOffset} of row {@code row}. */
        long longValue(final int row, final int fieldOffset)
        {
            return buffer.getLong(offsets.get(row) + fieldOffset, ByteOrder.LITTLE_ENDIAN);
        }

        void set(final int row, final int fieldOffset, final int value)
        {
            buffer.putInt(offsets.get(row) + fieldOffset, value, ByteOrder.LITTLE_ENDIAN);
        }

        int find(final IntPredicate wanted)
        {
            for (int row = 0; row < offsets.size(); row++)
            {
                if (wanted.test(row))
                {
                    return row;
                }
            }
            throw new AssertionError("the snapshot has no row to alter");
        }
    }

    private static Rows positionSlots(final MutableDirectBuffer snapshot)
    {
        final PositionTableDecoder table = wrap(new PositionTableDecoder(), snapshot, PositionTableDecoder.TEMPLATE_ID);
        final PositionTableDecoder.SlotsDecoder rows = table.slots();
        return rows(snapshot, rows, table::limit);
    }

    private static Rows orderSlots(final MutableDirectBuffer snapshot)
    {
        final OrderTableDecoder table = wrap(new OrderTableDecoder(), snapshot, OrderTableDecoder.TEMPLATE_ID);
        final OrderTableDecoder.SlotsDecoder rows = table.slots();
        return rows(snapshot, rows, table::limit);
    }

    private static Rows accounts(final MutableDirectBuffer snapshot)
    {
        final AccountTableDecoder table = wrap(new AccountTableDecoder(), snapshot, AccountTableDecoder.TEMPLATE_ID);
        final AccountTableDecoder.AccountsDecoder rows = table.accounts();
        return rows(snapshot, rows, table::limit);
    }

    private static Rows bands(final MutableDirectBuffer snapshot)
    {
        final PriceWatchTableDecoder table = bandTable(snapshot);
        final PriceWatchTableDecoder.BandsDecoder rows = table.bands();
        return rows(snapshot, rows, table::limit);
    }

    private static Rows bandHeads(final MutableDirectBuffer snapshot)
    {
        final PriceWatchTableDecoder table = bandTable(snapshot);
        table.bands().forEach(row -> { });
        final PriceWatchTableDecoder.BandHeadsDecoder rows = table.bandHeads();
        return rows(snapshot, rows, table::limit);
    }

    /** @return the offsets of a group's rows: the message's limit before each row is read. */
    private static Rows rows(final MutableDirectBuffer snapshot, final Iterator<?> rows, final IntSupplier limit)
    {
        final List<Integer> offsets = new ArrayList<>();
        while (rows.hasNext())
        {
            offsets.add(limit.getAsInt());
            rows.next();
        }
        return new Rows(snapshot, offsets);
    }

    /** @return the price-watch table, its groups before the band records skipped. */
    private static PriceWatchTableDecoder bandTable(final MutableDirectBuffer snapshot)
    {
        final PriceWatchTableDecoder table =
            wrap(new PriceWatchTableDecoder(), snapshot, PriceWatchTableDecoder.TEMPLATE_ID);
        table.heaps().forEach(row -> { });
        table.entries().forEach(row -> { });
        table.activity().forEach(row -> { });
        return table;
    }

    private static <T extends MessageDecoderFlyweight> T wrap(final T decoder,
        final MutableDirectBuffer snapshot, final int templateId)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(snapshot, frame(snapshot, templateId));
        decoder.wrap(snapshot, header.offset() + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
            header.version());
        return decoder;
    }

    /** @return the offset of the frame of a table in a snapshot, found by walking the frames before it. */
    static int frame(final MutableDirectBuffer snapshot, final int templateId)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        int offset = 0;
        while (true)
        {
            header.wrap(snapshot, offset);
            if (header.templateId() == templateId)
            {
                return offset;
            }
            final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
            final int blockLength = header.blockLength();
            final int version = header.version();
            offset = switch (header.templateId())
            {
                case SnapshotHeaderDecoder.TEMPLATE_ID, EngineStateDecoder.TEMPLATE_ID -> body + blockLength;
                case RiskParameterTableDecoder.TEMPLATE_ID ->
                    new RiskParameterTableDecoder().wrap(snapshot, body, blockLength, version).sbeSkip().limit();
                case LedgerTableDecoder.TEMPLATE_ID ->
                    new LedgerTableDecoder().wrap(snapshot, body, blockLength, version).sbeSkip().limit();
                case InstrumentTableDecoder.TEMPLATE_ID ->
                    new InstrumentTableDecoder().wrap(snapshot, body, blockLength, version).sbeSkip().limit();
                case MarginTableDecoder.TEMPLATE_ID ->
                    new MarginTableDecoder().wrap(snapshot, body, blockLength, version).sbeSkip().limit();
                case AccountTableDecoder.TEMPLATE_ID ->
                    new AccountTableDecoder().wrap(snapshot, body, blockLength, version).sbeSkip().limit();
                case PositionTableDecoder.TEMPLATE_ID ->
                    new PositionTableDecoder().wrap(snapshot, body, blockLength, version).sbeSkip().limit();
                case OrderTableDecoder.TEMPLATE_ID ->
                    new OrderTableDecoder().wrap(snapshot, body, blockLength, version).sbeSkip().limit();
                default -> throw new AssertionError("template " + header.templateId() + " at byte " + offset);
            };
        }
    }
}
