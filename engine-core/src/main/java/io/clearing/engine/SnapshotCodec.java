package io.clearing.engine;

import io.clearing.margin.MarginCalculator;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.snapshot.AccountTableDecoder;
import io.clearing.sbe.snapshot.AccountTableEncoder;
import io.clearing.sbe.snapshot.EngineStateDecoder;
import io.clearing.sbe.snapshot.EngineStateEncoder;
import io.clearing.sbe.snapshot.InstrumentTableDecoder;
import io.clearing.sbe.snapshot.InstrumentTableEncoder;
import io.clearing.sbe.snapshot.LedgerTableDecoder;
import io.clearing.sbe.snapshot.LedgerTableEncoder;
import io.clearing.sbe.snapshot.MarginTableDecoder;
import io.clearing.sbe.snapshot.MarginTableEncoder;
import io.clearing.sbe.snapshot.MessageHeaderDecoder;
import io.clearing.sbe.snapshot.MessageHeaderEncoder;
import io.clearing.sbe.snapshot.OrderTableDecoder;
import io.clearing.sbe.snapshot.OrderTableEncoder;
import io.clearing.sbe.snapshot.PositionTableDecoder;
import io.clearing.sbe.snapshot.PositionTableEncoder;
import io.clearing.sbe.snapshot.PriceWatchTableDecoder;
import io.clearing.sbe.snapshot.PriceWatchTableEncoder;
import io.clearing.sbe.snapshot.RiskParameterTableDecoder;
import io.clearing.sbe.snapshot.RiskParameterTableEncoder;
import io.clearing.sbe.snapshot.SnapshotHeaderDecoder;
import io.clearing.sbe.snapshot.SnapshotHeaderEncoder;
import io.clearing.sbe.snapshot.SnapshotTrailerDecoder;
import io.clearing.sbe.snapshot.SnapshotTrailerEncoder;
import io.clearing.settlement.Instruments;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalHasher;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;

import java.util.Arrays;

/**
 * Encodes the whole state of a {@link ClearingStateMachine} as a snapshot file's bytes and decodes it into a new
 * machine (schema {@code clearing-snapshot-schema.xml}, layout in docs/snapshot-format.md).
 * <p>
 * A snapshot is the messages SnapshotHeader, EngineState, RiskParameterTable, LedgerTable, InstrumentTable,
 * MarginTable, AccountTable, PositionTable, OrderTable and PriceWatchTable back to back, then a SnapshotTrailer with
 * the SHA-256 of every byte before it. The tables are written as the engine holds them in memory - free slots, list
 * links and price-band heap layouts included - so a decoded machine is the same machine: every later command gives
 * the same events, and encoding it again gives the same bytes. Derived numeric state (risk arrays, Greeks) is stored,
 * not recomputed. Encoding reads the machine and changes nothing.
 * <p>
 * Not thread-safe: one instance per thread; {@link #encode} and {@link #seal} may run on different threads one after
 * the other (the caller orders them).
 */
public final class SnapshotCodec
{
    /**
     * The snapshot format this code reads and writes. It changes with the layout and also with the rules that decide
     * what a state holds for a given journal (version 5: the price bands of accounts in margin call), so that a
     * snapshot is only ever compared with, or continued by, the code that would have written it. Since version 6 the
     * header also records {@link ClearingStateMachine#RULES_VERSION}, and a snapshot of other rules is refused.
     * Version 7: a time edge per underlying (source ids from {@code PriceWatch.TIME_SOURCE_BASE}; version 6 had one
     * time source, whose id is now underlying 0's). Version 8: a band registered again keeps a standing edge that lies
     * inside the new one by at most a quarter of its half-width (the heap entries then differ).
     */
    public static final int FORMAT_VERSION = 8;
    /** Bytes of the SnapshotTrailer frame that ends every snapshot. */
    public static final int TRAILER_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + SnapshotTrailerEncoder.BLOCK_LENGTH;
    private static final int HEADER_FRAME_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH +
        SnapshotHeaderEncoder.BLOCK_LENGTH;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final SnapshotHeaderEncoder snapshotHeaderEncoder = new SnapshotHeaderEncoder();
    private final SnapshotHeaderDecoder snapshotHeaderDecoder = new SnapshotHeaderDecoder();
    private final EngineStateEncoder engineStateEncoder = new EngineStateEncoder();
    private final EngineStateDecoder engineStateDecoder = new EngineStateDecoder();
    private final RiskParameterTableEncoder parametersEncoder = new RiskParameterTableEncoder();
    private final RiskParameterTableDecoder parametersDecoder = new RiskParameterTableDecoder();
    private final LedgerTableEncoder ledgerEncoder = new LedgerTableEncoder();
    private final LedgerTableDecoder ledgerDecoder = new LedgerTableDecoder();
    private final InstrumentTableEncoder instrumentsEncoder = new InstrumentTableEncoder();
    private final InstrumentTableDecoder instrumentsDecoder = new InstrumentTableDecoder();
    private final MarginTableEncoder marginEncoder = new MarginTableEncoder();
    private final MarginTableDecoder marginDecoder = new MarginTableDecoder();
    private final AccountTableEncoder accountsEncoder = new AccountTableEncoder();
    private final AccountTableDecoder accountsDecoder = new AccountTableDecoder();
    private final PositionTableEncoder positionsEncoder = new PositionTableEncoder();
    private final PositionTableDecoder positionsDecoder = new PositionTableDecoder();
    private final OrderTableEncoder ordersEncoder = new OrderTableEncoder();
    private final OrderTableDecoder ordersDecoder = new OrderTableDecoder();
    private final PriceWatchTableEncoder watchEncoder = new PriceWatchTableEncoder();
    private final PriceWatchTableDecoder watchDecoder = new PriceWatchTableDecoder();
    private final SnapshotTrailerEncoder trailerEncoder = new SnapshotTrailerEncoder();
    private final SnapshotTrailerDecoder trailerDecoder = new SnapshotTrailerDecoder();
    private final JournalHasher hasher = new JournalHasher();
    private final byte[] hash = new byte[JournalDocument.HASH_LENGTH];
    private final byte[] storedHash = new byte[JournalDocument.HASH_LENGTH];
    private final double[] marketState = new double[MarginCalculator.MARKET_STATE_LENGTH];

    /**
     * Encodes the machine's state, everything but the trailer, into {@code buffer} from offset 0.
     *
     * @param machine         the state, as of journal document {@code journalSequence}; only read.
     * @param journalSequence sequence of the last journal document the state reflects, {@code >= 1}.
     * @param chainHash       the 32-byte hash of that document.
     * @param buffer          grows as needed (an expandable buffer) or must be large enough.
     * @return the content length: pass it to {@link #seal}.
     */
    public int encode(final ClearingStateMachine machine, final long journalSequence, final byte[] chainHash,
        final MutableDirectBuffer buffer)
    {
        snapshotHeaderEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .formatVersion(FORMAT_VERSION)
            .accountCapacity(machine.accounts().capacity())
            .journalSequence(journalSequence)
            .putChainHash(chainHash, 0, JournalDocument.HASH_LENGTH)
            .contentLength(0)
            .rulesVersion(ClearingStateMachine.RULES_VERSION);
        int offset = snapshotHeaderEncoder.limit();

        engineStateEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .engineTime(machine.now())
            .marginAssetId(machine.marginAsset())
            .liquidationTrades(machine.liquidationTrades())
            .evaluations(machine.evaluations())
            .triggeredEvaluations(machine.triggeredEvaluations());
        offset = engineStateEncoder.limit();

        offset = encodeParameters(machine.parameters(), buffer, offset);

        ledgerEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
        machine.ledger().writeSnapshot(ledgerEncoder);
        offset = ledgerEncoder.limit();

        instrumentsEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
        machine.instruments().writeSnapshot(instrumentsEncoder);
        offset = instrumentsEncoder.limit();

        offset = encodeMargin(machine, buffer, offset);

        accountsEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
        machine.accounts().writeSnapshot(accountsEncoder);
        offset = accountsEncoder.limit();

        positionsEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
        machine.positions().writeSnapshot(positionsEncoder);
        offset = positionsEncoder.limit();

        ordersEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
        machine.orders().writeSnapshot(ordersEncoder);
        offset = ordersEncoder.limit();

        watchEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
        machine.watch().writeSnapshot(watchEncoder);
        offset = watchEncoder.limit();

        snapshotHeaderEncoder.wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH).contentLength(offset);
        return offset;
    }

    /**
     * Appends the SnapshotTrailer: the SHA-256 of the first {@code contentLength} bytes.
     *
     * @param buffer        holding the content from offset 0.
     * @param contentLength returned by {@link #encode}.
     * @return the snapshot's length in bytes: what goes into the file.
     */
    public int seal(final MutableDirectBuffer buffer, final int contentLength)
    {
        hasher.hash(buffer, 0, contentLength, hash);
        trailerEncoder.wrapAndApplyHeader(buffer, contentLength, headerEncoder)
            .putContentHash(hash, 0, JournalDocument.HASH_LENGTH);
        return trailerEncoder.limit();
    }

    /**
     * Checks that the bytes are one whole, intact snapshot of this format: header, length, trailer and hash. Never
     * throws on garbage.
     *
     * @param buffer holding the snapshot from offset 0.
     * @param length of the snapshot (the file's length).
     * @return null when intact, else the reason it is not.
     */
    public String verify(final DirectBuffer buffer, final int length)
    {
        if (length < HEADER_FRAME_LENGTH + TRAILER_LENGTH)
        {
            return "partial: " + length + " bytes, shorter than a header and a trailer";
        }
        headerDecoder.wrap(buffer, 0);
        if (headerDecoder.schemaId() != SnapshotHeaderDecoder.SCHEMA_ID ||
            headerDecoder.templateId() != SnapshotHeaderDecoder.TEMPLATE_ID)
        {
            return "not a snapshot: schema id " + headerDecoder.schemaId() + ", template id " +
                headerDecoder.templateId();
        }
        // Formats before 6 had a shorter header (no rules version): read as far as they go, to name their format.
        final int headerBlock = headerDecoder.blockLength();
        if (headerDecoder.version() != SnapshotHeaderDecoder.SCHEMA_VERSION ||
            headerBlock < SnapshotHeaderDecoder.rulesVersionEncodingOffset())
        {
            return "unsupported schema version " + headerDecoder.version() + " (header block length " +
                headerBlock + ")";
        }
        snapshotHeaderDecoder.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, headerBlock,
            SnapshotHeaderDecoder.SCHEMA_VERSION);
        final long contentLength = snapshotHeaderDecoder.contentLength();
        if (contentLength + TRAILER_LENGTH != length)
        {
            return "partial or padded: " + length + " bytes, the header says " + (contentLength + TRAILER_LENGTH);
        }
        headerDecoder.wrap(buffer, (int)contentLength);
        if (headerDecoder.templateId() != SnapshotTrailerDecoder.TEMPLATE_ID ||
            headerDecoder.schemaId() != SnapshotTrailerDecoder.SCHEMA_ID)
        {
            return "no trailer at byte " + contentLength;
        }
        // The trailer's frame is outside the hashed content: every byte of it is checked here instead.
        if (headerDecoder.blockLength() != SnapshotTrailerDecoder.BLOCK_LENGTH ||
            headerDecoder.version() != SnapshotTrailerDecoder.SCHEMA_VERSION)
        {
            return "damaged trailer at byte " + contentLength + ": block length " + headerDecoder.blockLength() +
                ", schema version " + headerDecoder.version();
        }
        trailerDecoder.wrap(buffer, (int)contentLength + MessageHeaderDecoder.ENCODED_LENGTH,
            SnapshotTrailerDecoder.BLOCK_LENGTH, SnapshotTrailerDecoder.SCHEMA_VERSION);
        trailerDecoder.getContentHash(storedHash, 0, JournalDocument.HASH_LENGTH);
        hasher.hash(buffer, 0, (int)contentLength, hash);
        if (!Arrays.equals(hash, storedHash))
        {
            return "content hash mismatch: the file is corrupt";
        }
        if (snapshotHeaderDecoder.formatVersion() != FORMAT_VERSION)
        {
            return "format version " + snapshotHeaderDecoder.formatVersion() + ", this engine reads " +
                FORMAT_VERSION;
        }
        if (headerBlock != SnapshotHeaderDecoder.BLOCK_LENGTH)
        {
            return "header block length " + headerBlock + ", format " + FORMAT_VERSION + " has " +
                SnapshotHeaderDecoder.BLOCK_LENGTH;
        }
        if (snapshotHeaderDecoder.rulesVersion() != ClearingStateMachine.RULES_VERSION)
        {
            return "written under rules version " + snapshotHeaderDecoder.rulesVersion() + ", this engine implements " +
                ClearingStateMachine.RULES_VERSION;
        }
        if (snapshotHeaderDecoder.journalSequence() < 1)
        {
            return "journal sequence " + snapshotHeaderDecoder.journalSequence() + " is not a document";
        }
        return null;
    }

    /**
     * @param buffer a snapshot that passed {@link #verify}.
     * @return the sequence of the last journal document its state reflects.
     */
    public long journalSequence(final DirectBuffer buffer)
    {
        return wrapHeader(buffer).journalSequence();
    }

    /**
     * @param buffer a snapshot that passed {@link #verify}.
     * @param dst    receives at index 0 the 32-byte hash of the journal document at {@link #journalSequence}.
     */
    public void chainHash(final DirectBuffer buffer, final byte[] dst)
    {
        wrapHeader(buffer).getChainHash(dst, 0, JournalDocument.HASH_LENGTH);
    }

    /**
     * @param buffer a snapshot that passed {@link #verify}.
     * @return the account evaluations its engine had done (a measure of the work before it, for scheduling).
     * @throws IllegalStateException if the frame after the header is not the engine state.
     */
    public long evaluations(final DirectBuffer buffer)
    {
        wrap(engineStateDecoder, buffer, wrapHeader(buffer).limit(), EngineStateDecoder.TEMPLATE_ID);
        return engineStateDecoder.evaluations();
    }

    /**
     * @param buffer a snapshot that passed {@link #verify}.
     * @return the account capacity of the engine it was taken from.
     */
    public int accountCapacity(final DirectBuffer buffer)
    {
        return wrapHeader(buffer).accountCapacity();
    }

    /**
     * Decodes a snapshot into a new machine.
     *
     * @param buffer a snapshot that passed {@link #verify}, from offset 0.
     * @return a machine in exactly the state the snapshot was taken from.
     * @throws IllegalStateException if the content does not follow the format or its linked lists are broken (a
     *                               cycle, a link out of range, a count that disagrees): only possible for bytes
     *                               written by another encoder or altered and resealed, as the hash has been checked.
     *                               The message starts with "snapshot: ".
     */
    public ClearingStateMachine decode(final DirectBuffer buffer)
    {
        final SnapshotHeaderDecoder header = wrapHeader(buffer);
        final ClearingStateMachine machine = new ClearingStateMachine(header.accountCapacity(), new RiskParameters());
        int offset = header.limit();

        wrap(engineStateDecoder, buffer, offset, EngineStateDecoder.TEMPLATE_ID);
        machine.restoreScalars(engineStateDecoder.engineTime(), engineStateDecoder.marginAssetId(),
            engineStateDecoder.liquidationTrades(), engineStateDecoder.evaluations(),
            engineStateDecoder.triggeredEvaluations());
        offset = engineStateDecoder.limit();

        offset = decodeParameters(machine.parameters(), buffer, offset);

        wrap(ledgerDecoder, buffer, offset, LedgerTableDecoder.TEMPLATE_ID);
        machine.ledger().readSnapshot(ledgerDecoder);
        offset = ledgerDecoder.limit();

        wrap(instrumentsDecoder, buffer, offset, InstrumentTableDecoder.TEMPLATE_ID);
        machine.instruments().readSnapshot(instrumentsDecoder);
        offset = instrumentsDecoder.limit();

        offset = decodeMargin(machine, buffer, offset);

        wrap(accountsDecoder, buffer, offset, AccountTableDecoder.TEMPLATE_ID);
        machine.accounts().readSnapshot(accountsDecoder);
        offset = accountsDecoder.limit();

        wrap(positionsDecoder, buffer, offset, PositionTableDecoder.TEMPLATE_ID);
        machine.positions().readSnapshot(positionsDecoder);
        offset = positionsDecoder.limit();

        wrap(ordersDecoder, buffer, offset, OrderTableDecoder.TEMPLATE_ID);
        machine.orders().readSnapshot(ordersDecoder, machine.accounts());
        offset = ordersDecoder.limit();

        wrap(watchDecoder, buffer, offset, PriceWatchTableDecoder.TEMPLATE_ID);
        machine.watch().readSnapshot(watchDecoder);
        offset = watchDecoder.limit();

        if (offset != header.contentLength())
        {
            throw new IllegalStateException("snapshot: tables end at byte " + offset + ", the header says " +
                header.contentLength());
        }
        return machine;
    }

    private int encodeParameters(final RiskParameters parameters, final MutableDirectBuffer buffer, final int offset)
    {
        parametersEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .version(parameters.version())
            .extremeMovePpm(parameters.extremeMovePpm())
            .extremeWeightPpm(parameters.extremeWeightPpm())
            .shortOptionMinimumPpm(parameters.shortOptionMinimumPpm())
            .deltaShockPpm(parameters.deltaShockPpm())
            .rollShockPpm(parameters.rollShockPpm())
            .initialMarginFactorPpm(parameters.initialMarginFactorPpm())
            .liquidationPenaltyPpm(parameters.liquidationPenaltyPpm())
            .fundingIntervalNanos(parameters.fundingIntervalNanos())
            .fundingClampPpm(parameters.fundingClampPpm())
            .recoveryBufferPpm(parameters.recoveryBufferPpm());
        final RiskParameterTableEncoder.UnderlyingsEncoder rows =
            parametersEncoder.underlyingsCount(RiskParameters.MAX_UNDERLYINGS);
        for (int u = 0; u < RiskParameters.MAX_UNDERLYINGS; u++)
        {
            rows.next()
                .underlyingId(u)
                .priceRangePpm(parameters.priceRangePpm(u))
                .volUpPpm(parameters.volUpPpm(u))
                .volDownPpm(parameters.volDownPpm(u));
        }
        return parametersEncoder.limit();
    }

    private int decodeParameters(final RiskParameters parameters, final DirectBuffer buffer, final int offset)
    {
        final RiskParameterTableDecoder table = parametersDecoder;
        wrap(table, buffer, offset, RiskParameterTableDecoder.TEMPLATE_ID);
        parameters.set(RiskParameters.EXTREME_MOVE, -1, table.extremeMovePpm());
        parameters.set(RiskParameters.EXTREME_WEIGHT, -1, table.extremeWeightPpm());
        parameters.set(RiskParameters.SHORT_OPTION_MINIMUM, -1, table.shortOptionMinimumPpm());
        parameters.set(RiskParameters.DELTA_SHOCK, -1, table.deltaShockPpm());
        parameters.set(RiskParameters.ROLL_SHOCK, -1, table.rollShockPpm());
        parameters.set(RiskParameters.INITIAL_MARGIN_FACTOR, -1, table.initialMarginFactorPpm());
        parameters.set(RiskParameters.LIQUIDATION_PENALTY, -1, table.liquidationPenaltyPpm());
        parameters.set(RiskParameters.FUNDING_INTERVAL, -1, table.fundingIntervalNanos());
        parameters.set(RiskParameters.FUNDING_CLAMP, -1, table.fundingClampPpm());
        parameters.set(RiskParameters.RECOVERY_BUFFER, -1, table.recoveryBufferPpm());
        final long version = table.version();
        for (final RiskParameterTableDecoder.UnderlyingsDecoder row : table.underlyings())
        {
            final int u = row.underlyingId();
            if (u < 0 || u >= RiskParameters.MAX_UNDERLYINGS)
            {
                throw new IllegalStateException("snapshot: parameters of underlying " + u + " out of range");
            }
            parameters.set(RiskParameters.PRICE_RANGE, u, row.priceRangePpm());
            parameters.set(RiskParameters.VOL_UP, u, row.volUpPpm());
            parameters.set(RiskParameters.VOL_DOWN, u, row.volDownPpm());
        }
        parameters.restoreVersion(version);
        return table.limit();
    }

    private int encodeMargin(final ClearingStateMachine machine, final MutableDirectBuffer buffer, final int offset)
    {
        final Instruments instruments = machine.instruments();
        final MarginCalculator calculator = machine.calculator();
        marginEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
        final MarginTableEncoder.InstrumentsEncoder rows = marginEncoder.instrumentsCount(instruments.definedCount());
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            final int id = instruments.definedId(i);
            calculator.marketState(id, marketState);
            rows.next()
                .instrumentId(id)
                .lastOptionRefresh(machine.lastOptionRefresh(id))
                .riskArrayVersion(calculator.riskArrayVersion(id))
                .forward(marketState[0])
                .volatility(marketState[1])
                .years(marketState[2])
                .deltaMoney(marketState[3])
                .gammaMoney(marketState[4])
                .vegaMoney(marketState[5])
                .thetaMoney(marketState[6])
                .volUpShock(marketState[7])
                .volDownShock(marketState[8])
                .contractValue(marketState[9]);
            for (int s = 0; s < MarginCalculator.SCENARIOS; s++)
            {
                rows.riskArray(s, marketState[MarginCalculator.MARKET_STATE_SCALARS + s]);
            }
        }
        return marginEncoder.limit();
    }

    private int decodeMargin(final ClearingStateMachine machine, final DirectBuffer buffer, final int offset)
    {
        final Instruments instruments = machine.instruments();
        final MarginCalculator calculator = machine.calculator();
        wrap(marginDecoder, buffer, offset, MarginTableDecoder.TEMPLATE_ID);
        final MarginTableDecoder.InstrumentsDecoder rows = marginDecoder.instruments();
        if (rows.count() != instruments.definedCount())
        {
            throw new IllegalStateException("snapshot: margin rows for " + rows.count() + " instruments, " +
                instruments.definedCount() + " defined");
        }
        int i = 0;
        for (final MarginTableDecoder.InstrumentsDecoder row : rows)
        {
            final int id = row.instrumentId();
            if (id != instruments.definedId(i++))
            {
                throw new IllegalStateException("snapshot: margin row for instrument " + id + " out of order");
            }
            machine.restoreInstrument(id, row.lastOptionRefresh());
            marketState[0] = row.forward();
            marketState[1] = row.volatility();
            marketState[2] = row.years();
            marketState[3] = row.deltaMoney();
            marketState[4] = row.gammaMoney();
            marketState[5] = row.vegaMoney();
            marketState[6] = row.thetaMoney();
            marketState[7] = row.volUpShock();
            marketState[8] = row.volDownShock();
            marketState[9] = row.contractValue();
            for (int s = 0; s < MarginCalculator.SCENARIOS; s++)
            {
                marketState[MarginCalculator.MARKET_STATE_SCALARS + s] = row.riskArray(s);
            }
            calculator.restoreMarketState(id, marketState, row.riskArrayVersion());
        }
        return marginDecoder.limit();
    }

    private SnapshotHeaderDecoder wrapHeader(final DirectBuffer buffer)
    {
        return snapshotHeaderDecoder.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
            SnapshotHeaderDecoder.BLOCK_LENGTH, SnapshotHeaderDecoder.SCHEMA_VERSION);
    }

    private void wrap(final MessageDecoderFlyweight decoder, final DirectBuffer buffer, final int offset,
        final int templateId)
    {
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.templateId() != templateId || headerDecoder.schemaId() != SnapshotHeaderDecoder.SCHEMA_ID)
        {
            throw new IllegalStateException("snapshot: template " + headerDecoder.templateId() + " at byte " + offset +
                ", expected " + templateId);
        }
        decoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(),
            headerDecoder.version());
    }
}
