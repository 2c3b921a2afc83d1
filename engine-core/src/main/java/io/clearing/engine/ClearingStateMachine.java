package io.clearing.engine;

import io.clearing.margin.Fixed;
import io.clearing.margin.Int128;
import io.clearing.margin.MarginCalculator;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AccountCapacityUpdateDecoder;
import io.clearing.sbe.AccountRiskQueryDecoder;
import io.clearing.sbe.AssetDefinitionDecoder;
import io.clearing.sbe.BalanceReason;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CancelOrderDecoder;
import io.clearing.sbe.CancelReason;
import io.clearing.sbe.DepositDecoder;
import io.clearing.sbe.ExpirySettlementPriceDecoder;
import io.clearing.sbe.FillDecoder;
import io.clearing.sbe.IndexPriceDecoder;
import io.clearing.sbe.InstrumentDefinitionDecoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.JournalGenesisDecoder;
import io.clearing.sbe.Liquidity;
import io.clearing.sbe.MarginState;
import io.clearing.sbe.MarkPriceDecoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.NewOrderDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateDecoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.TimeAdvanceDecoder;
import io.clearing.sbe.WithdrawalDecoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Instruments;
import io.clearing.settlement.Ledger;
import io.clearing.settlement.Limits;
import io.clearing.settlement.Orders;
import io.clearing.settlement.Positions;
import io.clearing.settlement.PriceWatch;
import org.agrona.DirectBuffer;
import org.agrona.collections.IntArrayList;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Arrays;

/**
 * The clearing engine's business logic: one handler per command, in this class, applied on a single thread.
 * <p>
 * Each handler validates everything before it changes anything, so a rejected command leaves no trace but its
 * CommandRejected event. What a command sets off once it has changed the state - liquidation steps, close-outs,
 * auto-deleveraging, fundings - can no longer be refused: each step checks that it can be booked before it changes
 * anything, and one that cannot (a balance that would leave a long: hostile values only) is not taken. Arithmetic is
 * exact; an overflow that slips past all this is caught here, the command's events are dropped and it is rejected
 * with ARITHMETIC_OVERFLOW. See docs/settlement.md for the rules.
 * Not thread-safe: the pipeline calls it from one thread.
 */
public final class ClearingStateMachine implements StateMachine
{
    /** Schema id every command must carry. */
    public static final int SCHEMA_ID = MessageHeaderDecoder.SCHEMA_ID;
    /** Highest schema version understood. */
    public static final int SCHEMA_VERSION = MessageHeaderDecoder.SCHEMA_VERSION;
    /**
     * The version of the rules: what events a given sequence of commands produces. A journal records the rules it was
     * written under in its genesis, a snapshot in its header, and only an engine of the same rules continues, audits
     * or restores them (another re-execution would differ at the first command the rules decide differently -
     * possibly millions of documents in - instead of saying why at once). Raise it with any change that alters the
     * events or the state of any command sequence; {@code RulesVersionTest} pins a seeded run's event hash to it and
     * fails until it is raised. Version 1: session 13 (an option's index band takes gamma at half its vol). Version 2:
     * session 14 (a fill, expiry or funding whose balance movements would overflow a long is refused or not paid whole,
     * and a cascade step that could not be booked is not taken, where version 1 threw part-way and kept what it had
     * done; equity and its parts are exact on 128 bits, where version 1 saturated them at 2^60, and a saturated
     * maintenance margin is never met. The events of every sequence that never reaches those ranges are those of
     * version 1). Version 3: session 16 (a withdrawal is counted at exactly what it takes from equity - the balance's
     * value less the value of the balance left - where version 2 counted the amount's own value rounded up, which
     * could be a unit more or a unit less; one worth something at its weight must still leave free collateral; the
     * amount a refusal reports as available is the exact largest allowed; and the bands keep 2 units per balance
     * valued at index out of their budgets, so a state change they missed by that much is now seen). Journals started
     * before version 1 carry no version (read as 0).
     */
    public static final int RULES_VERSION = 3;

    private static final int HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH;
    private static final int NO_ACCOUNT = -1;
    private static final long TIME_REFRESH_NANOS = 15L * 60L * 1_000_000_000L;
    /**
     * The span an account's time edge looks ahead: its options' decay is bounded from their last re-pricing to the
     * end of the quarter hour after the registration, plus this (so every holder of an option asks for the same span
     * between two of its updates, and the bound is computed once), or to the first of the options' floors if earlier.
     */
    private static final long TIME_SPAN_NANOS = 24L * 3600L * 1_000_000_000L;
    /** The latest a time edge lies after its options' oldest re-pricing (only a jump of time comes near it). */
    private static final double MAX_TIME_EDGE_NANOS = 2.0 * TIME_SPAN_NANOS;
    /**
     * Money units (1e-8) a balance valued at index can lose beyond its linear bound: under 1 from each of its two
     * truncations (docs/settlement.md).
     */
    private static final double COLLATERAL_ROUNDING = 2.0;
    /** The most of an account's headroom its time edge may take (docs/settlement.md); the prices share the rest. */
    private static final double TIME_SHARE = 0.1;

    private final RiskParameters parameters;
    private final Accounts accounts;
    private final Instruments instruments = new Instruments();
    private final Positions positions;
    private final Orders orders;
    private final PriceWatch watch;
    private final MarginCalculator calculator;
    private final IntArrayList triggered = new IntArrayList();
    private final IntArrayList touchedAccounts = new IntArrayList();
    /** Touched accounts whose memory {@link #warm} reads at once. */
    private static final int WARM_BATCH = 16;
    private final int[] warmSlot = new int[WARM_BATCH];
    private final int[] warmBand = new int[WARM_BATCH];
    /** Sum of what {@link #warm} read, kept so that the reads are not optimised away; meaningless. */
    private long warmed;
    private boolean[] pending;
    private final double[] indexSensitivity = new double[Limits.MAX_UNDERLYINGS];
    /**
     * registerBands scratch, per underlying: how equity less margin moves with its index - {@code INDEX_RISES_WITH}
     * or {@code INDEX_FALLS_WITH} when only collateral valued on it depends on it (all of it held, or all of it owed),
     * {@code INDEX_BOTH_WAYS} when options on it do too or the collateral is mixed, 0 when nothing does.
     */
    private final int[] indexDirection = new int[Limits.MAX_UNDERLYINGS];
    /** Per underlying, during a band registration: the account holds an option on it with no volatility. */
    private final boolean[] indexUnbounded = new boolean[Limits.MAX_UNDERLYINGS];
    /** Per underlying, the weight of its index band in the registration under way (registerBands). */
    private final double[] indexWeight = new double[Limits.MAX_UNDERLYINGS];
    /**
     * registerBands scratch, per underlying the account holds options on: the end of the span its time edge looks
     * over, the oldest re-pricing of those options, and the bound of their decay over the span.
     */
    private final long[] unitTimeEnd = new long[Limits.MAX_UNDERLYINGS];
    /** registerBands scratch, per underlying: the last floor of the options on it that still decay. */
    private final long[] unitTimeLastFloor = new long[Limits.MAX_UNDERLYINGS];
    private final long[] unitTimeFrom = new long[Limits.MAX_UNDERLYINGS];
    private final double[] unitTimeExposure = new double[Limits.MAX_UNDERLYINGS];
    private static final int INDEX_RISES_WITH = 1;
    private static final int INDEX_FALLS_WITH = -1;
    private static final int INDEX_BOTH_WAYS = 2;
    /** A band edge not registered: no move that way needs a re-evaluation. */
    private static final double NO_EDGE = Double.POSITIVE_INFINITY;
    /** registerBands scratch, per position in walk order: mark then volatility sensitivity and weight. */
    private final double[] bandSensitivity = new double[2 * Limits.MAX_INSTRUMENTS];
    private final double[] bandWeight = new double[2 * Limits.MAX_INSTRUMENTS];
    private final IntArrayList[] optionsByUnderlying = new IntArrayList[Limits.MAX_UNDERLYINGS];
    private final long[] lastOptionRefresh = new long[Limits.MAX_INSTRUMENTS];
    /** expiryBookable scratch: per instrument, its place in the settlement (from 1), 0 when it does not settle. */
    private final int[] settlementRank = new int[Limits.MAX_INSTRUMENTS];
    /** expiryBookable scratch: per asset, the clearing house's balance as the settlements so far left it. */
    private final long[] settlementHouse = new long[Limits.MAX_ASSETS];
    private final IntArrayList adlCandidates = new IntArrayList();
    private final org.agrona.collections.LongArrayList adlScores = new org.agrona.collections.LongArrayList();

    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final AssetDefinitionDecoder assetDefinition = new AssetDefinitionDecoder();
    private final InstrumentDefinitionDecoder instrumentDefinition = new InstrumentDefinitionDecoder();
    private final DepositDecoder deposit = new DepositDecoder();
    private final WithdrawalDecoder withdrawal = new WithdrawalDecoder();
    private final IndexPriceDecoder indexPrice = new IndexPriceDecoder();
    private final MarkPriceDecoder markPrice = new MarkPriceDecoder();
    private final NewOrderDecoder newOrder = new NewOrderDecoder();
    private final CancelOrderDecoder cancelOrder = new CancelOrderDecoder();
    private final FillDecoder fill = new FillDecoder();
    private final TimeAdvanceDecoder timeAdvance = new TimeAdvanceDecoder();
    private final ExpirySettlementPriceDecoder expiryPrice = new ExpirySettlementPriceDecoder();
    private final RiskParameterUpdateDecoder riskParameterUpdate = new RiskParameterUpdateDecoder();
    private final AccountCapacityUpdateDecoder accountCapacityUpdate = new AccountCapacityUpdateDecoder();
    private final AccountRiskQueryDecoder accountRiskQuery = new AccountRiskQueryDecoder();

    private EventWriter events;
    private Ledger ledger;
    private int templateId;
    private long now = Long.MIN_VALUE;
    private int marginAsset = -1;
    private long liquidationTrades;
    private boolean liquidating;
    private boolean committingTouched;
    private boolean rejected;
    private long evaluations;
    // Risk rows (MarginCalculator#newRow): per account a list of one row per risk unit it holds, each with the
    // unrealized P&L of its positions; UNDISCOVERED until the account's first evaluation (and after a snapshot load,
    // which starts a fresh state machine): rows are derived state, rebuilt exactly from the positions when needed.
    private static final int UNDISCOVERED = -2;
    // An account evaluated position by position for good: the row table was full when it needed a row.
    private static final int NO_ROWS = -3;
    /**
     * Accounts with at least this many position slots are margined from risk rows, smaller ones position by
     * position: a row costs a few cache misses of its own, which a walk of a handful of positions does not repay
     * (measured with CommandCostProfile at 100,000 accounts, docs/performance.md). Both give the same bits.
     */
    static final int ROW_THRESHOLD = 16;
    /**
     * Largest value of one instrument's open interest (the contracts held long, or short) at a price it is marked,
     * settled or traded at: 2^61 - 1 units, 23 billion of the settlement asset. A mark, settlement price or fill beyond
     * it is rejected with {@code ARITHMETIC_OVERFLOW} before anything changes; within it every position, liquidation
     * step, close-out at up to twice the mark and settlement amount fits a long with room for the sums over holders.
     */
    static final long MAX_OPEN_INTEREST_VALUE = Long.MAX_VALUE / 4;
    private int rowThreshold = ROW_THRESHOLD;
    /** Share of the budget the bands get ({@link #narrowBands}); 1 outside tests. */
    private double bandScale = 1.0;
    private static final double UNREALIZED_MASS_LIMIT = 0x1p60;
    /** Bound of a position's unrealized P&amp;L in a risk row: past the mass limit, so a row holding it is rebuilt. */
    private static final long ROW_TERM_LIMIT = 1L << 62;
    private int[] firstRow;
    private int[] nextRow = new int[1024];
    private long[] rowUnrealized = new long[1024];
    private double[] rowUnrealizedMass = new double[1024];
    private final int[] unitRow = new int[Limits.MAX_UNDERLYINGS];
    private final boolean[] rebuildUnrealized = new boolean[Limits.MAX_UNDERLYINGS];
    private boolean fullWalk;
    private long rowsKept;
    private long rowsRebuilt;
    private boolean crossCheckRows;
    private long rowChecks;
    private long rowMismatches;
    private long triggeredEvaluations;

    // Result of the last compute(): not committed until commit(). Equity, collateral and unrealized P&L are exact in
    // the wide* fields and reported clamped to +-Long.MAX_VALUE, which keeps every comparison with a margin (a
    // non-negative long) exact; a comparison with a sum of margins is made on the wide value.
    private long evalEquity;
    private long evalCollateral;
    private long evalUnrealized;
    private final Int128 wideEquity = new Int128();
    private final Int128 wideUnrealized = new Int128();
    /** compute() scratch: one valuation, an unrealized P&amp;L saved for a cross-check, a requirement to compare. */
    private final Int128 wideTerm = new Int128();
    private final Int128 wideCheck = new Int128();
    private final Int128 wideRequired = new Int128();
    /** onWithdrawal scratch: minus the value of the balance before the withdrawal. */
    private final Int128 wideValueBefore = new Int128();
    private long evalInitialMargin;
    private long evalInitialMarginWithOrders;
    private long evalMaintenanceMargin;
    private long evalIsolated;
    private int evalState;

    // Result of the last trade(): new position, cost and realized PnL.
    private long tradeQuantity;
    private long tradeCost;
    private long tradeRealized;
    // The first side of the last cascadeTradeBookable(), the other being in trade*.
    private long sideQuantity;
    private long sideCost;
    private long sideRealized;

    /**
     * @param accountCapacity number of account ids (user ids start at {@link Accounts#FIRST_USER_ACCOUNT}).
     * @param parameters      initial risk parameters (copied).
     */
    public ClearingStateMachine(final int accountCapacity, final RiskParameters parameters)
    {
        this.parameters = parameters.copy();
        accounts = new Accounts(accountCapacity);
        positions = new Positions(accounts, 1024);
        orders = new Orders(accountCapacity, 1024);
        watch = new PriceWatch(accounts);
        calculator = new MarginCalculator(this.parameters).withIsolated(false).withOrders(false);
        // Holds the deposit totals until the first command brings an event writer (apply() re-creates it then).
        ledger = new Ledger(accounts, null);
        pending = new boolean[accountCapacity];
        for (int u = 0; u < Limits.MAX_UNDERLYINGS; u++)
        {
            optionsByUnderlying[u] = new IntArrayList();
        }
        firstRow = new int[accountCapacity];
        Arrays.fill(firstRow, UNDISCOVERED);
        Arrays.fill(unitRow, -1);
        positions.observer(this::positionChanged);
    }

    @Override
    public void apply(final DirectBuffer buffer, final int offset, final int length, final EventWriter events)
    {
        if (this.events != events)
        {
            this.events = events;
            this.ledger = new Ledger(accounts, events, ledger);
        }
        events.reset();
        templateId = -1;
        if (length < HEADER_LENGTH || offset < 0 || offset + length > buffer.capacity())
        {
            reject(RejectReason.TRUNCATED_FRAME, NO_ACCOUNT, length, 0, 0);
            return;
        }
        header.wrap(buffer, offset);
        templateId = header.templateId();
        if (header.schemaId() != SCHEMA_ID)
        {
            reject(RejectReason.WRONG_SCHEMA_ID, NO_ACCOUNT, header.schemaId(), 0, 0);
            return;
        }
        if (header.version() < 1 || header.version() > SCHEMA_VERSION)
        {
            reject(RejectReason.UNSUPPORTED_VERSION, NO_ACCOUNT, header.version(), 0, 0);
            return;
        }
        if (templateId == JournalGenesisDecoder.TEMPLATE_ID)
        {
            // Only the engine writes a genesis, as a journal's sequence 0; it is never applied.
            reject(RejectReason.NOT_A_COMMAND, NO_ACCOUNT, templateId, 0, 0);
            return;
        }
        final int expectedBlockLength = commandBlockLength(templateId);
        if (expectedBlockLength < 0)
        {
            reject(RejectReason.UNKNOWN_TEMPLATE, NO_ACCOUNT, templateId, 0, 0);
            return;
        }
        if (header.blockLength() != expectedBlockLength)
        {
            reject(RejectReason.WRONG_BLOCK_LENGTH, NO_ACCOUNT, header.blockLength(), expectedBlockLength, 0);
            return;
        }
        if (length < HEADER_LENGTH + expectedBlockLength)
        {
            reject(RejectReason.TRUNCATED_FRAME, NO_ACCOUNT, length, HEADER_LENGTH + expectedBlockLength, 0);
            return;
        }
        if (length > HEADER_LENGTH + expectedBlockLength)
        {
            reject(RejectReason.FRAME_TOO_LONG, NO_ACCOUNT, length, HEADER_LENGTH + expectedBlockLength, 0);
            return;
        }
        final int body = offset + HEADER_LENGTH;
        // Every command starts with the sequencer's timestamp.
        final long timestamp = buffer.getLong(body, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (timestamp < now)
        {
            reject(RejectReason.TIME_WENT_BACKWARDS, NO_ACCOUNT, timestamp, now, 0);
            return;
        }
        // Time moves only with commands that apply: a rejected command (CommandRejected or OrderRejected, hostile or
        // not) leaves the clock where it was.
        final long previousNow = now;
        now = timestamp;
        rejected = false;
        try
        {
            dispatch(buffer, body);
        }
        catch (final ArithmeticException ex)
        {
            events.reset();
            reject(RejectReason.ARITHMETIC_OVERFLOW, NO_ACCOUNT, 0, 0, 0);
        }
        catch (final RuntimeException ex)
        {
            events.reset();
            reject(RejectReason.INTERNAL_ERROR, NO_ACCOUNT, 0, 0, 0);
        }
        finally
        {
            // Per-command scratch never outlives its command, whatever happened.
            liquidating = false;
            committingTouched = false;
            for (int i = 0; i < touchedAccounts.size(); i++)
            {
                pending[touchedAccounts.getInt(i)] = false;
            }
            touchedAccounts.clear();
            calculator.withIsolated(false).withOrders(false);
            fullWalk = false;
            watch.abortBands();
        }
        if (rejected)
        {
            now = previousNow;
        }
    }

    /**
     * @param templateId a template id.
     * @return the block length of a command of schema v1, or -1 when the id is not a command.
     */
    public static int commandBlockLength(final int templateId)
    {
        switch (templateId)
        {
            case AssetDefinitionDecoder.TEMPLATE_ID: return AssetDefinitionDecoder.BLOCK_LENGTH;
            case InstrumentDefinitionDecoder.TEMPLATE_ID: return InstrumentDefinitionDecoder.BLOCK_LENGTH;
            case DepositDecoder.TEMPLATE_ID: return DepositDecoder.BLOCK_LENGTH;
            case WithdrawalDecoder.TEMPLATE_ID: return WithdrawalDecoder.BLOCK_LENGTH;
            case IndexPriceDecoder.TEMPLATE_ID: return IndexPriceDecoder.BLOCK_LENGTH;
            case MarkPriceDecoder.TEMPLATE_ID: return MarkPriceDecoder.BLOCK_LENGTH;
            case NewOrderDecoder.TEMPLATE_ID: return NewOrderDecoder.BLOCK_LENGTH;
            case CancelOrderDecoder.TEMPLATE_ID: return CancelOrderDecoder.BLOCK_LENGTH;
            case FillDecoder.TEMPLATE_ID: return FillDecoder.BLOCK_LENGTH;
            case TimeAdvanceDecoder.TEMPLATE_ID: return TimeAdvanceDecoder.BLOCK_LENGTH;
            case ExpirySettlementPriceDecoder.TEMPLATE_ID: return ExpirySettlementPriceDecoder.BLOCK_LENGTH;
            case RiskParameterUpdateDecoder.TEMPLATE_ID: return RiskParameterUpdateDecoder.BLOCK_LENGTH;
            case AccountRiskQueryDecoder.TEMPLATE_ID: return AccountRiskQueryDecoder.BLOCK_LENGTH;
            case AccountCapacityUpdateDecoder.TEMPLATE_ID: return AccountCapacityUpdateDecoder.BLOCK_LENGTH;
            default: return -1;
        }
    }

    private void dispatch(final DirectBuffer buffer, final int body)
    {
        final int version = header.version();
        switch (templateId)
        {
            case AssetDefinitionDecoder.TEMPLATE_ID:
                onAssetDefinition(assetDefinition.wrap(buffer, body, AssetDefinitionDecoder.BLOCK_LENGTH, version));
                break;
            case InstrumentDefinitionDecoder.TEMPLATE_ID:
                onInstrumentDefinition(instrumentDefinition.wrap(
                    buffer, body, InstrumentDefinitionDecoder.BLOCK_LENGTH, version));
                break;
            case DepositDecoder.TEMPLATE_ID:
                onDeposit(deposit.wrap(buffer, body, DepositDecoder.BLOCK_LENGTH, version));
                break;
            case WithdrawalDecoder.TEMPLATE_ID:
                onWithdrawal(withdrawal.wrap(buffer, body, WithdrawalDecoder.BLOCK_LENGTH, version));
                break;
            case IndexPriceDecoder.TEMPLATE_ID:
                onIndexPrice(indexPrice.wrap(buffer, body, IndexPriceDecoder.BLOCK_LENGTH, version));
                break;
            case MarkPriceDecoder.TEMPLATE_ID:
                onMarkPrice(markPrice.wrap(buffer, body, MarkPriceDecoder.BLOCK_LENGTH, version));
                break;
            case NewOrderDecoder.TEMPLATE_ID:
                onNewOrder(newOrder.wrap(buffer, body, NewOrderDecoder.BLOCK_LENGTH, version));
                break;
            case CancelOrderDecoder.TEMPLATE_ID:
                onCancelOrder(cancelOrder.wrap(buffer, body, CancelOrderDecoder.BLOCK_LENGTH, version));
                break;
            case FillDecoder.TEMPLATE_ID:
                onFill(fill.wrap(buffer, body, FillDecoder.BLOCK_LENGTH, version));
                break;
            case TimeAdvanceDecoder.TEMPLATE_ID:
                onTimeAdvance(timeAdvance.wrap(buffer, body, TimeAdvanceDecoder.BLOCK_LENGTH, version));
                break;
            case ExpirySettlementPriceDecoder.TEMPLATE_ID:
                onExpirySettlementPrice(expiryPrice.wrap(
                    buffer, body, ExpirySettlementPriceDecoder.BLOCK_LENGTH, version));
                break;
            case RiskParameterUpdateDecoder.TEMPLATE_ID:
                onRiskParameterUpdate(riskParameterUpdate.wrap(
                    buffer, body, RiskParameterUpdateDecoder.BLOCK_LENGTH, version));
                break;
            case AccountRiskQueryDecoder.TEMPLATE_ID:
                onAccountRiskQuery(accountRiskQuery.wrap(
                    buffer, body, AccountRiskQueryDecoder.BLOCK_LENGTH, version));
                break;
            case AccountCapacityUpdateDecoder.TEMPLATE_ID:
                onAccountCapacityUpdate(accountCapacityUpdate.wrap(
                    buffer, body, AccountCapacityUpdateDecoder.BLOCK_LENGTH, version));
                break;
            default:
                reject(RejectReason.UNKNOWN_TEMPLATE, NO_ACCOUNT, templateId, 0, 0);
        }
    }

    // ------------------------------------------------------------------------------------------------ definitions

    private void onAssetDefinition(final AssetDefinitionDecoder command)
    {
        final int assetId = command.assetId();
        final int valuationUnderlying = command.valuationUnderlyingId();
        final int weight = command.collateralWeightPpm();
        if (assetId < 0 || assetId >= Limits.MAX_ASSETS)
        {
            reject(RejectReason.ID_OUT_OF_RANGE, NO_ACCOUNT, assetId, 0, 0);
            return;
        }
        if (instruments.isAssetDefined(assetId))
        {
            reject(RejectReason.DUPLICATE_ID, NO_ACCOUNT, assetId, 0, 0);
            return;
        }
        if (valuationUnderlying < -1 || valuationUnderlying >= Limits.MAX_UNDERLYINGS)
        {
            reject(RejectReason.ID_OUT_OF_RANGE, NO_ACCOUNT, valuationUnderlying, 0, 0);
            return;
        }
        if (weight < 0 || weight > Fixed.PPM)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, weight, 0, 0);
            return;
        }
        instruments.defineAsset(assetId, valuationUnderlying, weight);
        if (valuationUnderlying < 0 && marginAsset < 0)
        {
            marginAsset = assetId;
        }
        events.assetDefined().assetId(assetId).valuationUnderlyingId(valuationUnderlying).collateralWeightPpm(weight);
    }

    private void onInstrumentDefinition(final InstrumentDefinitionDecoder command)
    {
        final int id = command.instrumentId();
        final short kindRaw = command.kindRaw();
        final InstrumentKind kind = kindRaw >= 1 && kindRaw <= 4 ? InstrumentKind.get(kindRaw) : InstrumentKind.NULL_VAL;
        final int underlying = command.underlyingId();
        final int asset = command.settlementAssetId();
        final long strike = command.strike();
        final long expiry = command.expiryTimestamp();
        final long size = command.contractSize();
        final int makerFee = command.makerFeePpm();
        final int takerFee = command.takerFeePpm();
        if (id < 0 || id >= Limits.MAX_INSTRUMENTS)
        {
            reject(RejectReason.ID_OUT_OF_RANGE, NO_ACCOUNT, id, 0, 0);
            return;
        }
        if (instruments.isDefined(id))
        {
            reject(RejectReason.DUPLICATE_ID, NO_ACCOUNT, id, 0, 0);
            return;
        }
        if (kind == InstrumentKind.NULL_VAL)
        {
            reject(RejectReason.INVALID_ENUM, NO_ACCOUNT, id, 0, 0);
            return;
        }
        if (underlying < 0 || underlying >= Limits.MAX_UNDERLYINGS)
        {
            reject(RejectReason.ID_OUT_OF_RANGE, NO_ACCOUNT, underlying, 0, 0);
            return;
        }
        if (!instruments.isAssetDefined(asset))
        {
            reject(RejectReason.UNKNOWN_ASSET, NO_ACCOUNT, asset, 0, 0);
            return;
        }
        if (instruments.assetValuationUnderlying(asset) >= 0)
        {
            // Linear instruments only: PnL in the margin currency.
            reject(RejectReason.INVALID_DEFINITION, NO_ACCOUNT, asset, 0, 0);
            return;
        }
        if (size <= 0 || size > Limits.MAX_CONTRACT_SIZE)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, size, 0, 0);
            return;
        }
        if (Math.abs((long)makerFee) > Limits.MAX_FEE_PPM || takerFee < 0 || takerFee > Limits.MAX_FEE_PPM ||
            (long)makerFee + takerFee < 0)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, makerFee, takerFee, 0);
            return;
        }
        final boolean isOption = kind == InstrumentKind.CALL || kind == InstrumentKind.PUT;
        final boolean validShape;
        switch (kind)
        {
            case PERPETUAL:
                validShape = expiry == 0 && strike == 0;
                break;
            case FUTURE:
                validShape = expiry > now && strike == 0;
                break;
            default:
                validShape = isOption && expiry > now && strike > 0 && strike <= Limits.MAX_PRICE;
        }
        if (!validShape)
        {
            reject(RejectReason.INVALID_DEFINITION, NO_ACCOUNT, id, strike, expiry);
            return;
        }
        instruments.define(id, kind.value(), underlying, asset, strike, expiry, size, makerFee, takerFee);
        if (isOption)
        {
            calculator.defineOption(id, underlying, kind == InstrumentKind.CALL, size, strike, expiry);
            optionsByUnderlying[underlying].addInt(id);
            final long index = instruments.indexPrice(underlying);
            if (index > 0)
            {
                // Priced at once (at the volatility it has: none until its first mark), as a tick would: an option
                // listed after its underlying's last index had no risk array, so no margin, until the next one.
                calculator.updateOption(id, index, instruments.markVolatility(id), now);
                lastOptionRefresh[id] = now;
            }
        }
        else if (calculator.defineFuture(id, underlying, size, expiry))
        {
            touchFutureHolders(underlying);
        }
        if (kind == InstrumentKind.PERPETUAL)
        {
            instruments.nextFunding(id, nextFundingTime(now));
        }
        events.instrumentDefined().instrumentId(id).kind(kind).underlyingId(underlying).expiryTimestamp(expiry);
        commitTouched();
    }

    /**
     * Marks for evaluation every holder of a live future or perpetual on the underlying: the roll-shock slots moved
     * (a future listed or settled), which can part or merge two expiries of a calendar spread and so change its
     * margin with no price moving. Rare (a listing or an expiry), linear in the underlying's futures positions.
     */
    private void touchFutureHolders(final int underlying)
    {
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            final int future = instruments.definedId(i);
            if (!instruments.isOption(future) && !instruments.isSettled(future) &&
                instruments.underlying(future) == underlying)
            {
                for (int slot = positions.firstHolder(future); slot >= 0; slot = positions.nextHolder(slot))
                {
                    markTouched(positions.account(slot));
                }
            }
        }
    }

    /**
     * Whether the instrument's open interest is worth at most {@link #MAX_OPEN_INTEREST_VALUE} at {@code price}.
     * Checked before a mark price, a settlement price or a fill is applied: a liquidation, a close-out at up to twice
     * the mark or a settlement that follows then stays within the engine's exact arithmetic, so none of them can
     * overflow half-way through a command that already changed the state.
     */
    private boolean openInterestFits(final int id, final long price)
    {
        return openInterestFits(id, price, positions.openInterest(id));
    }

    private boolean openInterestFits(final int id, final long price, final long openInterest)
    {
        return Fixed.notionalAtMost(openInterest, instruments.contractSize(id), price, MAX_OPEN_INTEREST_VALUE);
    }

    private long nextFundingTime(final long time)
    {
        // The first multiple of the interval after the time; none after the last representable time.
        final long interval = parameters.fundingIntervalNanos();
        final long start = Math.floorDiv(time, interval) * interval;
        return start > Long.MAX_VALUE - interval ? Long.MAX_VALUE : start + interval;
    }

    private void onRiskParameterUpdate(final RiskParameterUpdateDecoder command)
    {
        final int parameter = command.parameterRaw();
        final int underlyingId = command.underlyingId();
        final long value = command.value();
        if (parameter < 1 || parameter > RiskParameters.MAX_PARAMETER)
        {
            reject(RejectReason.INVALID_ENUM, NO_ACCOUNT, parameter, 0, 0);
            return;
        }
        if (!RiskParameters.validate(parameter, underlyingId, value))
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, value, parameter, underlyingId);
            return;
        }
        final long old = parameters.get(parameter, underlyingId);
        parameters.set(parameter, underlyingId, value);
        events.riskParameterChanged()
            .parameter(RiskParameter.get(parameter))
            .underlyingId(underlyingId)
            .oldValue(old)
            .newValue(value);
        // A new parameter takes effect at once: risk arrays are rebuilt and every account with risk re-evaluated.
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            final int id = instruments.definedId(i);
            if (!instruments.isOption(id) && instruments.markPrice(id) > 0 && !instruments.isSettled(id))
            {
                calculator.updateFuture(id, instruments.markPrice(id));
            }
        }
        for (int u = 0; u < Limits.MAX_UNDERLYINGS; u++)
        {
            refreshOptions(u, Long.MAX_VALUE);
        }
        for (int id = Accounts.FIRST_USER_ACCOUNT; id < accounts.capacity(); id++)
        {
            if (accounts.isOpen(id) && (accounts.positionCount(id) > 0))
            {
                evaluateAndCommit(id);
            }
        }
    }

    /**
     * Raises the number of account ids. Nothing about existing accounts changes; the new ids are never opened (a
     * deposit opens them). Every per-account table is reallocated and copied, the account table last: were an
     * allocation to fail (the JVM out of memory, an error the engine does not survive) the capacity in force would
     * still be the old one. Linear in the new capacity: an operator's command, not for the hot path.
     */
    private void onAccountCapacityUpdate(final AccountCapacityUpdateDecoder command)
    {
        final int capacity = command.accountCapacity();
        final int old = accounts.capacity();
        if (capacity <= old || !Accounts.isValidCapacity(capacity))
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, capacity, old, Accounts.MAX_CAPACITY);
            return;
        }
        pending = Arrays.copyOf(pending, capacity);
        final int[] rows = Arrays.copyOf(firstRow, capacity);
        Arrays.fill(rows, old, capacity, UNDISCOVERED);
        firstRow = rows;
        orders.growAccounts(capacity);
        watch.growAccounts(capacity);
        accounts.growCapacity(capacity);
        events.accountCapacityChanged().oldCapacity(old).newCapacity(capacity);
    }

    /**
     * Re-prices the Greeks and risk arrays of the live options on an underlying at the current index, vol and time,
     * skipping those already refreshed at or after {@code refreshedSince} (time alone moves them slowly).
     *
     * @return true when an option was re-priced.
     */
    private boolean refreshOptions(final int underlyingId, final long refreshedSince)
    {
        final long index = instruments.indexPrice(underlyingId);
        if (index <= 0)
        {
            return false;
        }
        boolean any = false;
        final IntArrayList options = optionsByUnderlying[underlyingId];
        for (int i = 0, size = options.size(); i < size; i++)
        {
            final int id = options.getInt(i);
            if (!instruments.isSettled(id) && lastOptionRefresh[id] < refreshedSince)
            {
                calculator.updateOption(id, index, instruments.markVolatility(id), now);
                lastOptionRefresh[id] = now;
                any = true;
            }
        }
        return any;
    }

    // ------------------------------------------------------------------------------------------------ ledger

    private void onDeposit(final DepositDecoder command)
    {
        final int accountId = command.accountId();
        final int assetId = command.assetId();
        final long amount = command.amount();
        if (!checkLedgerCommand(accountId, assetId, amount, false))
        {
            return;
        }
        final long balance = accounts.balance(accountId, assetId);
        if (balance > Limits.MAX_AMOUNT - amount)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, accountId, amount, amount, Limits.MAX_AMOUNT - balance);
            return;
        }
        accounts.open(accountId);
        ledger.deposit(accountId, assetId, amount);
        evaluateAndCommit(accountId);
    }

    private void onWithdrawal(final WithdrawalDecoder command)
    {
        final int accountId = command.accountId();
        final int assetId = command.assetId();
        final long amount = command.amount();
        if (!checkLedgerCommand(accountId, assetId, amount, true))
        {
            return;
        }
        final long balance = accounts.balance(accountId, assetId);
        if (balance < amount)
        {
            reject(RejectReason.INSUFFICIENT_BALANCE, accountId, assetId, amount, Math.max(0, balance));
            return;
        }
        if (!Accounts.isSystem(accountId))
        {
            computeWithOrders(accountId);
            // Free collateral - equity less the initial margin with orders and the reserved fill loss - exactly: none
            // while the margin is saturated.
            final boolean saturated = initialMarginSaturated(calculator.initialMarginWithOrders());
            wideRequired.set(wideEquity).subtract(calculator.initialMarginWithOrders())
                .subtract(accounts.reservedFillLoss(accountId));
            wideValueBefore.set(0);
            addCollateralValue(wideValueBefore, balance, assetId);
            wideValueBefore.negate();
            if (!withdrawalAllowed(balance, amount, assetId, saturated))
            {
                reject(RejectReason.INSUFFICIENT_FREE_COLLATERAL, accountId, assetId, amount,
                    largestWithdrawal(balance, assetId, saturated));
                return;
            }
        }
        ledger.withdraw(accountId, assetId, amount);
        evaluateAndCommit(accountId);
    }

    /**
     * Whether {@code amount} of {@code balance} may be withdrawn, with {@link #wideRequired} holding the free collateral
     * and {@link #wideValueBefore} minus the balance's value (onWithdrawal). What the withdrawal takes from equity is
     * counted exactly as the evaluation after it values the balance left - the value of the amount alone can be a
     * unit less (each valuation truncates), which let a withdrawal within free collateral leave equity a unit below
     * what it must cover (session 16 review). One that takes something, or whose amount is worth something at its
     * collateral weight (one truncation step of the balance can be worth nothing), must leave free collateral.
     */
    private boolean withdrawalAllowed(final long balance, final long amount, final int assetId, final boolean saturated)
    {
        wideCheck.set(wideRequired).add(wideValueBefore);
        addCollateralValue(wideCheck, balance - amount, assetId);
        final boolean takesValue = wideCheck.compareTo(wideRequired) < 0;
        final boolean worthSomething = instruments.assetWeightPpm(assetId) > 0 &&
            wideTerm.set(0).addProduct(amount, instruments.assetPrice(assetId), Fixed.SCALE).signum() > 0;
        return !(takesValue || worthSomething) || !saturated && wideCheck.signum() >= 0;
    }

    /**
     * @return the largest amount of {@code balance} that {@link #withdrawalAllowed} lets go, exactly: what a rejected
     * withdrawal reports as available. The allowed amounts are a prefix of 0..balance (0 always among them): those
     * worth nothing and taking nothing, and those fitting the free collateral, are each a prefix, since values never
     * fall as a balance grows.
     */
    private long largestWithdrawal(final long balance, final int assetId, final boolean saturated)
    {
        long low = 0;
        long high = balance;
        while (low < high)
        {
            final long middle = low + (high - low + 1) / 2;
            if (withdrawalAllowed(balance, middle, assetId, saturated))
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        return low;
    }

    /** The checks deposits and withdrawals share; rejects and returns false on the first that fails. */
    private boolean checkLedgerCommand(final int accountId, final int assetId, final long amount,
        final boolean mustBeOpen)
    {
        if (!accounts.inRange(accountId))
        {
            reject(RejectReason.ID_OUT_OF_RANGE, accountId, accountId, 0, 0);
            return false;
        }
        if (mustBeOpen && !accounts.isOpen(accountId))
        {
            reject(RejectReason.UNKNOWN_ACCOUNT, accountId, accountId, 0, 0);
            return false;
        }
        if (accountId == Accounts.CLEARING_HOUSE)
        {
            reject(RejectReason.SYSTEM_ACCOUNT, accountId, accountId, 0, 0);
            return false;
        }
        if (!instruments.isAssetDefined(assetId))
        {
            reject(RejectReason.UNKNOWN_ASSET, accountId, assetId, 0, 0);
            return false;
        }
        if (amount <= 0 || amount > Limits.MAX_AMOUNT)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, accountId, amount, amount, Limits.MAX_AMOUNT);
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------ market data

    private void onIndexPrice(final IndexPriceDecoder command)
    {
        final int underlying = command.underlyingId();
        final long price = command.price();
        if (underlying < 0 || underlying >= Limits.MAX_UNDERLYINGS)
        {
            reject(RejectReason.ID_OUT_OF_RANGE, NO_ACCOUNT, underlying, 0, 0);
            return;
        }
        if (!instruments.isUnderlyingDefined(underlying))
        {
            reject(RejectReason.UNKNOWN_UNDERLYING, NO_ACCOUNT, underlying, 0, 0);
            return;
        }
        if (price <= 0 || price > Limits.MAX_PRICE)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, price, 0, 0);
            return;
        }
        watch.moved(PriceWatch.INDEX_SOURCE_BASE + underlying, instruments.indexPrice(underlying), price, now);
        instruments.indexPrice(underlying, price);
        refreshOptions(underlying, Long.MAX_VALUE);
        triggered.clear();
        watch.triggered(PriceWatch.INDEX_SOURCE_BASE + underlying, price, triggered);
        // Its options were re-priced at this time: the time edges of their holders that have passed.
        watch.triggered(PriceWatch.TIME_SOURCE_BASE + underlying, now, triggered);
        watch.triggered(PriceWatch.TIME_SOURCE, now, triggered);
        commitTriggered();
    }

    private void onMarkPrice(final MarkPriceDecoder command)
    {
        final int id = command.instrumentId();
        final long price = command.price();
        final double volatility = command.impliedVolatility();
        if (!instruments.isDefined(id))
        {
            reject(id < 0 || id >= Limits.MAX_INSTRUMENTS ?
                RejectReason.ID_OUT_OF_RANGE : RejectReason.UNKNOWN_INSTRUMENT, NO_ACCOUNT, id, 0, 0);
            return;
        }
        if (instruments.isSettled(id))
        {
            reject(RejectReason.ALREADY_SETTLED, NO_ACCOUNT, id, 0, 0);
            return;
        }
        if (!Double.isFinite(volatility))
        {
            reject(RejectReason.NON_FINITE_VALUE, NO_ACCOUNT, id, Double.doubleToRawLongBits(volatility), 0);
            return;
        }
        final long minPrice = instruments.isOption(id) ? 0 : 1;
        if (price < minPrice || price > Limits.MAX_PRICE || volatility < 0 || volatility > Limits.MAX_VOLATILITY)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, id, price, 0);
            return;
        }
        if (!openInterestFits(id, price))
        {
            reject(RejectReason.ARITHMETIC_OVERFLOW, NO_ACCOUNT, id, price, positions.openInterest(id));
            return;
        }
        // Holders register no band on a mark or volatility that has never moved (PriceWatch.hasMoved): its first
        // change re-evaluates them all.
        boolean firstChange = watch.moved(id, instruments.markPrice(id), price, now);
        // Implied volatility is taken to 1e-6 (whole ppm), the resolution its bands watch: a change finer than that
        // would move margin under every band.
        final double quantizedVolatility = volatilityPpm(volatility) / (double)Fixed.PPM;
        if (instruments.isOption(id))
        {
            firstChange |= watch.moved(PriceWatch.VOL_SOURCE_BASE + id, volatilityPpm(instruments.markVolatility(id)),
                volatilityPpm(quantizedVolatility), now);
        }
        instruments.mark(id, price, quantizedVolatility);
        // Unrealized P&L in the unit's risk rows moves with any mark.
        calculator.invalidate(instruments.underlying(id));
        triggered.clear();
        if (firstChange)
        {
            for (int slot = positions.firstHolder(id); slot >= 0; slot = positions.nextHolder(slot))
            {
                if (positions.quantity(slot) != 0)
                {
                    triggered.addInt(positions.account(slot));
                }
            }
        }
        if (instruments.isOption(id))
        {
            final long index = instruments.indexPrice(instruments.underlying(id));
            if (index > 0)
            {
                calculator.updateOption(id, index, quantizedVolatility, now);
                lastOptionRefresh[id] = now;
            }
            watch.triggered(PriceWatch.VOL_SOURCE_BASE + id, volatilityPpm(quantizedVolatility), triggered);
            // The option was re-priced at this time: the passed time edges of holders of options on its underlying.
            watch.triggered(PriceWatch.TIME_SOURCE_BASE + instruments.underlying(id), now, triggered);
            watch.triggered(PriceWatch.TIME_SOURCE, now, triggered);
        }
        else
        {
            calculator.updateFuture(id, price);
        }
        watch.triggered(id, price, triggered);
        commitTriggered();
    }

    /** @return the volatility in whole ppm, rounded to the nearest (exact for a volatility already taken to ppm). */
    private static long volatilityPpm(final double volatility)
    {
        return Math.round(volatility * Fixed.PPM);
    }

    /**
     * Evaluates the accounts a price change may have moved (liquidating those it took below maintenance margin) in
     * account order. Which accounts the bands hand over is an optimisation - any sound bands will do, narrower ones
     * hand over more, and an account whose state did not change emits nothing - so the order must not come from them:
     * with it taken from the bands (the order their edges popped in) a change of band widths re-ordered events
     * (BandIndependenceTest).
     */
    private void commitTriggered()
    {
        final int count = triggered.size();
        triggeredEvaluations += count;
        sortAscending(triggered);
        for (int i = 0; i < count; i++)
        {
            final int accountId = triggered.getInt(i);
            if (!pending[accountId])
            {
                pending[accountId] = true;
                touchedAccounts.addInt(accountId);
            }
        }
        commitTouched();
    }

    /** Sorts a list of ints in place, ascending: heapsort, no allocation, the same result on every platform. */
    static void sortAscending(final IntArrayList list)
    {
        final int n = list.size();
        if (n < 2)
        {
            return;
        }
        for (int i = n / 2 - 1; i >= 0; i--)
        {
            siftDownMax(list, i, n);
        }
        for (int end = n - 1; end > 0; end--)
        {
            final int top = list.getInt(0);
            list.setInt(0, list.getInt(end));
            list.setInt(end, top);
            siftDownMax(list, 0, end);
        }
    }

    private static void siftDownMax(final IntArrayList list, final int start, final int size)
    {
        int i = start;
        final int value = list.getInt(i);
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size)
            {
                break;
            }
            if (child + 1 < size && list.getInt(child + 1) > list.getInt(child))
            {
                child++;
            }
            if (list.getInt(child) <= value)
            {
                break;
            }
            list.setInt(i, list.getInt(child));
            i = child;
        }
        list.setInt(i, value);
    }

    // ------------------------------------------------------------------------------------------------ orders

    private void onNewOrder(final NewOrderDecoder command)
    {
        final long orderId = command.orderId();
        final int accountId = command.accountId();
        final int instrumentId = command.instrumentId();
        final Side side = side(command.sideRaw());
        final long price = command.price();
        final long quantity = command.quantity();
        final short reduceOnlyRaw = command.reduceOnlyRaw();
        final BooleanType reduceOnlyFlag = reduceOnlyRaw == 0 ? BooleanType.FALSE :
            reduceOnlyRaw == 1 ? BooleanType.TRUE : BooleanType.NULL_VAL;
        if (orderId <= 0)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, accountId, orderId, 0, 0);
            return;
        }
        if (!checkUserAccount(accountId, orderId))
        {
            return;
        }
        if (!checkTradable(instrumentId, accountId, orderId))
        {
            return;
        }
        if (side == Side.NULL_VAL || reduceOnlyFlag == BooleanType.NULL_VAL)
        {
            reject(RejectReason.INVALID_ENUM, accountId, orderId, 0, 0);
            return;
        }
        if (quantity <= 0 || quantity > Limits.MAX_QUANTITY || price <= 0 || price > Limits.MAX_PRICE)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, accountId, orderId, quantity, price);
            return;
        }
        if (orders.find(orderId) >= 0)
        {
            reject(RejectReason.DUPLICATE_ID, accountId, orderId, 0, 0);
            return;
        }
        final boolean buy = side == Side.BUY;
        final boolean reduceOnly = reduceOnlyFlag == BooleanType.TRUE;
        final int state = accounts.state(accountId);
        if (!reduceOnly && (state == MarginState.LIQUIDATION.value() || state == MarginState.BANKRUPT.value()))
        {
            orderRejected(orderId, accountId, instrumentId, RejectReason.ACCOUNT_IN_LIQUIDATION,
                accounts.equity(accountId), accounts.initialMargin(accountId));
            return;
        }
        final int existing = positions.find(accountId, instrumentId);
        if (reduceOnly)
        {
            final long position = existing < 0 ? 0 : positions.quantity(existing);
            final long sameSideOpen = existing < 0 ? 0 :
                (buy ? positions.openBuy(existing) : positions.openSell(existing));
            final long reducible = buy ? -position : position;
            if (reducible <= 0 || quantity + sameSideOpen > reducible)
            {
                // Equity as of now, not as of the account's last evaluation (which the price bands time).
                compute(accountId);
                orderRejected(orderId, accountId, instrumentId, RejectReason.REDUCE_ONLY_VIOLATION, evalEquity, 0);
                return;
            }
        }
        // Bound the order's notional before anything changes (throws ARITHMETIC_OVERFLOW with no state touched).
        final long size = instruments.contractSize(instrumentId);
        final long orderNotional = Math.max(Math.abs(Fixed.notional(quantity, size, price)),
            Math.abs(Fixed.notional(quantity, size, Math.max(1, instruments.markPrice(instrumentId)))));
        final long sameSideBefore = existing < 0 ? 0 : (buy ? positions.openBuy(existing) : positions.openSell(existing));
        if (orderNotional > Limits.MAX_NOTIONAL || sameSideBefore > Limits.MAX_QUANTITY * 4)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, accountId, orderId, quantity, orderNotional);
            return;
        }
        // An order priced through the mark loses (limit - mark) per contract the moment it fills: reserve it.
        final long mark = instruments.markPrice(instrumentId);
        final long lossPerContract = Math.max(0, Fixed.notional(1, size, buy ? price - mark : mark - price));
        final long orderFillLoss = Fixed.mulDiv(lossPerContract, quantity, 1);
        final int slot = positions.findOrCreate(accountId, instrumentId);
        positions.addOpen(slot, buy, quantity);
        try
        {
            computeWithOrders(accountId);
        }
        catch (final ArithmeticException ex)
        {
            // Undo the reservation: a rejected command leaves no trace.
            positions.addOpen(slot, buy, -quantity);
            positions.releaseIfEmpty(slot);
            throw ex;
        }
        final long reserved = accounts.reservedFillLoss(accountId);
        if (reserved + orderFillLoss < reserved)
        {
            // The account's reserved fill loss would not fit a long (only with equity far beyond any real account):
            // refused before anything changes, never wrapped.
            positions.addOpen(slot, buy, -quantity);
            positions.releaseIfEmpty(slot);
            reject(RejectReason.ARITHMETIC_OVERFLOW, accountId, orderId, orderFillLoss, reserved);
            return;
        }
        // A reduce-only order needs no margin - it can only lower risk - but the loss it realizes filling through the
        // mark must be covered by equity, with the other orders' reservations: otherwise a sell far below the mark,
        // filled by a colluding buyer, would leave the account flat with a deficit nothing covers.
        // One that loses nothing filling (at or better than the mark) is always accepted. Any other needs the initial
        // margin with orders on top, compared exactly (the sum need not fit a long); a saturated one is never met.
        final long reservations = reserved + orderFillLoss;
        final long required = reduceOnly ? reservations :
            saturatingSum(calculator.initialMarginWithOrders(), reservations);
        final boolean refused;
        if (reduceOnly)
        {
            refused = orderFillLoss > 0 && reservations > Math.max(0, evalEquity);
        }
        else
        {
            wideRequired.set(calculator.initialMarginWithOrders()).add(reservations);
            refused = initialMarginSaturated(calculator.initialMarginWithOrders()) ||
                wideEquity.compareTo(wideRequired) < 0;
        }
        if (refused)
        {
            positions.addOpen(slot, buy, -quantity);
            positions.releaseIfEmpty(slot);
            orderRejected(orderId, accountId, instrumentId, RejectReason.INSUFFICIENT_MARGIN, evalEquity, required);
            return;
        }
        final int orderSlot = orders.add(orderId, accountId, instrumentId, buy, price, quantity, reduceOnly);
        orders.fillLossPerContract(orderSlot, lossPerContract);
        accounts.addReservedFillLoss(accountId, orderFillLoss);
        accounts.addOpenOrders(accountId, 1);
        evalInitialMarginWithOrders = saturatingSum(evalInitialMarginWithOrders, orderFillLoss);
        events.orderAccepted()
            .orderId(orderId)
            .accountId(accountId)
            .instrumentId(instrumentId)
            .side(side)
            .price(price)
            .quantity(quantity)
            .equity(evalEquity)
            .initialMarginWithOrders(evalInitialMarginWithOrders);
        commit(accountId, false);
    }

    private void onCancelOrder(final CancelOrderDecoder command)
    {
        final long orderId = command.orderId();
        final int accountId = command.accountId();
        final int slot = orders.find(orderId);
        if (slot < 0)
        {
            reject(RejectReason.UNKNOWN_ORDER, accountId, orderId, 0, 0);
            return;
        }
        if (orders.account(slot) != accountId)
        {
            reject(RejectReason.ORDER_MISMATCH, accountId, orderId, 0, 0);
            return;
        }
        removeOrder(slot, CancelReason.REQUESTED);
        compute(accountId);
        commit(accountId, false);
    }

    private void removeOrder(final int orderSlot, final CancelReason reason)
    {
        final int accountId = orders.account(orderSlot);
        final int instrumentId = orders.instrument(orderSlot);
        final long remaining = orders.remaining(orderSlot);
        final int positionSlot = positions.find(accountId, instrumentId);
        positions.addOpen(positionSlot, orders.isBuy(orderSlot), -remaining);
        positions.releaseIfEmpty(positionSlot);
        accounts.addReservedFillLoss(accountId, -remaining * orders.fillLossPerContract(orderSlot));
        events.orderCancelled()
            .orderId(orders.orderId(orderSlot))
            .accountId(accountId)
            .instrumentId(instrumentId)
            .remainingQuantity(remaining)
            .reason(reason);
        orders.remove(orderSlot);
        accounts.addOpenOrders(accountId, -1);
    }

    private boolean checkUserAccount(final int accountId, final long referenceId)
    {
        if (!accounts.inRange(accountId))
        {
            reject(RejectReason.ID_OUT_OF_RANGE, accountId, referenceId, accountId, 0);
            return false;
        }
        if (!accounts.isOpen(accountId))
        {
            reject(RejectReason.UNKNOWN_ACCOUNT, accountId, referenceId, accountId, 0);
            return false;
        }
        if (Accounts.isSystem(accountId))
        {
            reject(RejectReason.SYSTEM_ACCOUNT, accountId, referenceId, accountId, 0);
            return false;
        }
        return true;
    }

    private boolean checkTradable(final int instrumentId, final int accountId, final long referenceId)
    {
        if (!instruments.isDefined(instrumentId))
        {
            reject(instrumentId < 0 || instrumentId >= Limits.MAX_INSTRUMENTS ?
                RejectReason.ID_OUT_OF_RANGE : RejectReason.UNKNOWN_INSTRUMENT, accountId, referenceId,
                instrumentId, 0);
            return false;
        }
        if (instruments.isSettled(instrumentId) || instruments.isExpired(instrumentId, now))
        {
            reject(RejectReason.INSTRUMENT_EXPIRED, accountId, referenceId, instrumentId, 0);
            return false;
        }
        if (instruments.markPrice(instrumentId) <= 0 && !instruments.isOption(instrumentId) ||
            instruments.indexPrice(instruments.underlying(instrumentId)) <= 0)
        {
            reject(RejectReason.NO_PRICE, accountId, referenceId, instrumentId, 0);
            return false;
        }
        return true;
    }

    private void orderRejected(
        final long orderId,
        final int accountId,
        final int instrumentId,
        final RejectReason reason,
        final long equity,
        final long required)
    {
        rejected = true;
        events.orderRejected()
            .orderId(orderId)
            .accountId(accountId)
            .instrumentId(instrumentId)
            .reason(reason)
            .equity(equity)
            .requiredMargin(required);
    }

    // ------------------------------------------------------------------------------------------------ fills

    private void onFill(final FillDecoder command)
    {
        final long tradeId = command.tradeId();
        final int instrumentId = command.instrumentId();
        final long price = command.price();
        final long quantity = command.quantity();
        final long makerOrderId = command.makerOrderId();
        final int makerAccount = command.makerAccountId();
        final long takerOrderId = command.takerOrderId();
        final int takerAccount = command.takerAccountId();
        final Side takerSide = side(command.takerSideRaw());
        if (tradeId <= 0)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, takerAccount, tradeId, 0, 0);
            return;
        }
        if (!checkUserAccount(makerAccount, tradeId) || !checkUserAccount(takerAccount, tradeId))
        {
            return;
        }
        if (!checkTradable(instrumentId, takerAccount, tradeId))
        {
            return;
        }
        if (takerSide == Side.NULL_VAL)
        {
            reject(RejectReason.INVALID_ENUM, takerAccount, tradeId, 0, 0);
            return;
        }
        if (quantity <= 0 || quantity > Limits.MAX_QUANTITY || price <= 0 || price > Limits.MAX_PRICE)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, takerAccount, tradeId, quantity, price);
            return;
        }
        if (makerAccount == takerAccount || makerOrderId == takerOrderId)
        {
            reject(RejectReason.SELF_TRADE, takerAccount, tradeId, makerAccount, takerAccount);
            return;
        }
        final int makerSlot = orders.find(makerOrderId);
        if (makerSlot < 0)
        {
            reject(RejectReason.UNKNOWN_ORDER, makerAccount, makerOrderId, tradeId, 0);
            return;
        }
        final int takerSlot = orders.find(takerOrderId);
        if (takerSlot < 0)
        {
            reject(RejectReason.UNKNOWN_ORDER, takerAccount, takerOrderId, tradeId, 0);
            return;
        }
        final boolean takerBuys = takerSide == Side.BUY;
        if (orders.account(makerSlot) != makerAccount || orders.account(takerSlot) != takerAccount ||
            orders.instrument(makerSlot) != instrumentId || orders.instrument(takerSlot) != instrumentId ||
            orders.isBuy(takerSlot) != takerBuys || orders.isBuy(makerSlot) == takerBuys)
        {
            reject(RejectReason.ORDER_MISMATCH, takerAccount, tradeId, makerOrderId, takerOrderId);
            return;
        }
        final long makerRemaining = orders.remaining(makerSlot);
        final long takerRemaining = orders.remaining(takerSlot);
        if (quantity > makerRemaining || quantity > takerRemaining)
        {
            reject(RejectReason.OVERFILL, takerAccount, tradeId, quantity, Math.min(makerRemaining, takerRemaining));
            return;
        }
        final long buyLimit = takerBuys ? orders.price(takerSlot) : orders.price(makerSlot);
        final long sellLimit = takerBuys ? orders.price(makerSlot) : orders.price(takerSlot);
        if (price > buyLimit || price < sellLimit)
        {
            reject(RejectReason.PRICE_THROUGH_LIMIT, takerAccount, tradeId, price, takerBuys ? buyLimit : sellLimit);
            return;
        }
        final int makerPosition = positions.find(makerAccount, instrumentId);
        final int takerPosition = positions.find(takerAccount, instrumentId);
        final long takerSigned = takerBuys ? quantity : -quantity;
        if (violatesReduceOnly(makerSlot, makerPosition, -takerSigned) ||
            violatesReduceOnly(takerSlot, takerPosition, takerSigned))
        {
            reject(RejectReason.REDUCE_ONLY_VIOLATION, takerAccount, tradeId, 0, 0);
            return;
        }

        // Compute both sides before changing anything: an overflow here leaves the state untouched.
        final long size = instruments.contractSize(instrumentId);
        final long notional = Fixed.notional(quantity, size, price);
        final long makerFee = fee(notional, instruments.makerFeePpm(instrumentId));
        final long takerFee = fee(notional, instruments.takerFeePpm(instrumentId));
        trade(positions.quantity(makerPosition), positions.cost(makerPosition), -takerSigned, price, size);
        final long makerQuantity = tradeQuantity;
        final long makerCost = tradeCost;
        final long makerRealized = tradeRealized;
        trade(positions.quantity(takerPosition), positions.cost(takerPosition), takerSigned, price, size);
        final long takerQuantity = tradeQuantity;
        final long takerCost = tradeCost;
        final long takerRealized = tradeRealized;
        final long openInterest = positions.openInterest(instrumentId);
        final long openInterestAfter = openInterest +
            Math.max(0, makerQuantity) - Math.max(0, positions.quantity(makerPosition)) +
            Math.max(0, takerQuantity) - Math.max(0, positions.quantity(takerPosition));
        if (openInterestAfter > openInterest &&
            !openInterestFits(instrumentId, Math.max(price, instruments.markPrice(instrumentId)), openInterestAfter))
        {
            // A trade that reduces open interest is never refused by this bound.
            reject(RejectReason.ARITHMETIC_OVERFLOW, takerAccount, tradeId, quantity, price);
            return;
        }
        if (Math.abs(makerQuantity) > Limits.MAX_QUANTITY * 10 || Math.abs(takerQuantity) > Limits.MAX_QUANTITY * 10)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, takerAccount, tradeId, makerQuantity, takerQuantity);
            return;
        }
        // The margin step after the fill values the new positions at mark: prove now that it cannot overflow.
        final long mark = instruments.markPrice(instrumentId);
        if (Math.abs(Fixed.notional(makerQuantity, size, Math.max(price, mark))) > Limits.MAX_NOTIONAL ||
            Math.abs(Fixed.notional(takerQuantity, size, Math.max(price, mark))) > Limits.MAX_NOTIONAL)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, takerAccount, tradeId, makerQuantity, takerQuantity);
            return;
        }
        if (!fillBookable(instruments.settlementAsset(instrumentId), makerAccount, makerRealized, makerFee,
            takerAccount, takerRealized, takerFee))
        {
            // The clearing house's balance, the counterparty of all P&L, is bounded by nothing but a long; nor are
            // the fee account's and a trader's, which collect over time.
            reject(RejectReason.ARITHMETIC_OVERFLOW, takerAccount, tradeId, quantity, price);
            return;
        }

        settleSide(tradeId, makerAccount, makerSlot, makerPosition, instrumentId, !takerBuys, Liquidity.MAKER,
            price, quantity, makerQuantity, makerCost, makerRealized, makerFee);
        settleSide(tradeId, takerAccount, takerSlot, takerPosition, instrumentId, takerBuys, Liquidity.TAKER,
            price, quantity, takerQuantity, takerCost, takerRealized, takerFee);
        markTouched(makerAccount);
        markTouched(takerAccount);
        commitTouched();
    }

    /**
     * Whether the balance movements of a fill - per side, in {@link #settleSide}'s order, its realized P&amp;L from the
     * clearing house then its fee to the fee account - all fit a long, each balance taken as the movements before it
     * left it. The maker and the taker are distinct user accounts.
     */
    private boolean fillBookable(final int asset, final int maker, final long makerRealized, final long makerFee,
        final int taker, final long takerRealized, final long takerFee)
    {
        final long house = accounts.balance(Accounts.CLEARING_HOUSE, asset);
        final long fees = accounts.balance(Accounts.FEE_ACCOUNT, asset);
        final long makerBalance = accounts.balance(maker, asset);
        final long takerBalance = accounts.balance(taker, asset);
        return differenceFits(house, makerRealized) && differenceFits(house - makerRealized, takerRealized) &&
            sumFits(makerBalance, makerRealized) && differenceFits(makerBalance + makerRealized, makerFee) &&
            sumFits(takerBalance, takerRealized) && differenceFits(takerBalance + takerRealized, takerFee) &&
            sumFits(fees, makerFee) && sumFits(fees + makerFee, takerFee);
    }

    private static Side side(final short raw)
    {
        // Generated Side.get() throws on unknown values; a hostile frame must become INVALID_ENUM instead.
        return raw == 1 ? Side.BUY : raw == 2 ? Side.SELL : Side.NULL_VAL;
    }

    private boolean violatesReduceOnly(final int orderSlot, final int positionSlot, final long signedQuantity)
    {
        if (!orders.isReduceOnly(orderSlot))
        {
            return false;
        }
        final long position = positions.quantity(positionSlot);
        return position == 0 || (position > 0) == (signedQuantity > 0) || Math.abs(signedQuantity) > Math.abs(position);
    }

    private static long fee(final long notional, final int feePpm)
    {
        // Charges round up, rebates round down: rounding never favours the payer.
        return feePpm >= 0 ? Fixed.mulPpmUp(notional, feePpm) : Fixed.mulPpm(notional, feePpm);
    }

    private void settleSide(
        final long tradeId,
        final int accountId,
        final int orderSlot,
        final int positionSlot,
        final int instrumentId,
        final boolean buy,
        final Liquidity liquidity,
        final long price,
        final long quantity,
        final long newQuantity,
        final long newCost,
        final long realized,
        final long fee)
    {
        final long orderRemaining = orders.remaining(orderSlot) - quantity;
        final long orderId = orders.orderId(orderSlot);
        accounts.addReservedFillLoss(accountId, -quantity * orders.fillLossPerContract(orderSlot));
        positions.position(positionSlot, newQuantity, newCost);
        positions.addOpen(positionSlot, buy, -quantity);
        events.tradeSettled()
            .tradeId(tradeId)
            .accountId(accountId)
            .orderId(orderId)
            .instrumentId(instrumentId)
            .side(buy ? Side.BUY : Side.SELL)
            .liquidity(liquidity)
            .price(price)
            .quantity(quantity)
            .positionAfter(newQuantity)
            .realizedPnl(realized)
            .fee(fee)
            .orderRemaining(orderRemaining);
        final int asset = instruments.settlementAsset(instrumentId);
        ledger.transfer(Accounts.CLEARING_HOUSE, accountId, asset, realized, BalanceReason.REALIZED_PNL, tradeId);
        ledger.transfer(accountId, Accounts.FEE_ACCOUNT, asset, fee, BalanceReason.FEE, tradeId);
        if (orderRemaining == 0)
        {
            orders.remove(orderSlot);
            accounts.addOpenOrders(accountId, -1);
        }
        else
        {
            orders.remaining(orderSlot, orderRemaining);
        }
        positions.releaseIfEmpty(positionSlot);
    }

    /**
     * Applies a signed trade of {@code quantity} at {@code price} to a position (quantity, cost basis), leaving the
     * new quantity, cost and realized PnL in the trade* fields. Closing releases cost pro rata; a flip opens the rest.
     */
    private void trade(final long quantity, final long cost, final long tradeSigned, final long price, final long size)
    {
        if (quantity == 0 || (quantity > 0) == (tradeSigned > 0))
        {
            tradeQuantity = Math.addExact(quantity, tradeSigned);
            tradeCost = Math.addExact(cost, Fixed.notional(tradeSigned, size, price));
            tradeRealized = 0;
            return;
        }
        final long closing = Math.min(Math.abs(tradeSigned), Math.abs(quantity));
        final long closingInPositionDirection = quantity > 0 ? closing : -closing;
        final long released = Fixed.mulDiv(cost, closing, Math.abs(quantity));
        final long value = Fixed.notional(closingInPositionDirection, size, price);
        tradeRealized = Math.subtractExact(value, released);
        long newQuantity = quantity - closingInPositionDirection;
        long newCost = Math.subtractExact(cost, released);
        final long rest = tradeSigned + closingInPositionDirection;
        if (rest != 0)
        {
            newQuantity = rest;
            newCost = Fixed.notional(rest, size, price);
        }
        tradeQuantity = newQuantity;
        tradeCost = newCost;
    }

    // ------------------------------------------------------------------------------------------------ time

    private void onTimeAdvance(final TimeAdvanceDecoder command)
    {
        // Time to expiry moved: options not re-priced in the last 15 minutes follow, and the holders of options on
        // their underlyings whose time edge has passed are re-evaluated (the decay may have used their share).
        triggered.clear();
        boolean repriced = false;
        for (int u = 0; u < Limits.MAX_UNDERLYINGS; u++)
        {
            if (refreshOptions(u, now - TIME_REFRESH_NANOS))
            {
                repriced = true;
                watch.triggered(PriceWatch.TIME_SOURCE_BASE + u, now, triggered);
            }
        }
        if (repriced)
        {
            watch.triggered(PriceWatch.TIME_SOURCE, now, triggered);
        }
        commitTriggered();
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            final int id = instruments.definedId(i);
            if (instruments.kind(id) != Instruments.PERPETUAL)
            {
                continue;
            }
            final long mark = instruments.markPrice(id);
            final long index = instruments.indexPrice(instruments.underlying(id));
            if (mark > 0 && index > 0)
            {
                final long premiumE8 = Math.max(-Fixed.SCALE, Math.min(Fixed.SCALE,
                    Fixed.mulDivSaturating(mark - index, Fixed.SCALE, index)));
                // A sum of samples that no longer fits a long (some 1e11 time advances between two fundings, hostile
                // only) takes no more: this command may have liquidated already, it can no longer be refused.
                if (sumFits(instruments.premiumSumE8(id), premiumE8))
                {
                    instruments.samplePremium(id, premiumE8);
                }
            }
            if (now >= instruments.nextFunding(id) && instruments.nextFunding(id) != Long.MAX_VALUE)
            {
                settleFunding(id, instruments.nextFunding(id));
                instruments.nextFunding(id, nextFundingTime(now));
            }
        }
        commitTouched();
    }

    private void settleFunding(final int id, final long fundingTime)
    {
        final long samples = instruments.premiumSamples(id);
        final long clampE8 = parameters.fundingClampPpm() * 100;
        final long rateE8 = samples == 0 ? 0 :
            Math.max(-clampE8, Math.min(clampE8, instruments.premiumSumE8(id) / samples));
        instruments.resetPremium(id);
        final long mark = instruments.markPrice(id);
        if (rateE8 == 0 || mark <= 0)
        {
            return;
        }
        final long size = instruments.contractSize(id);
        // Longs pay rate x notional at mark (rounded toward zero each); the total is shared among shorts pro rata
        // with the rounding remainder handed out one unit at a time in holder order: exactly zero-sum.
        long longsPay = 0;
        long shortContracts = 0;
        for (int slot = positions.firstHolder(id); slot >= 0; slot = positions.nextHolder(slot))
        {
            final long q = positions.quantity(slot);
            if (q > 0)
            {
                longsPay = Math.addExact(longsPay, Fixed.mulDiv(Fixed.notional(q, size, mark), rateE8, Fixed.SCALE));
            }
            else if (q < 0)
            {
                shortContracts = Math.addExact(shortContracts, -q);
            }
        }
        if (shortContracts == 0)
        {
            return;
        }
        long shared = 0;
        for (int slot = positions.firstHolder(id); slot >= 0; slot = positions.nextHolder(slot))
        {
            final long q = positions.quantity(slot);
            if (q < 0)
            {
                shared += Fixed.mulDiv(longsPay, -q, shortContracts);
            }
        }
        // Paid only when every payment fits the balances it moves (the clearing house's has no bound of its own):
        // the command has changed the state already, so it can no longer be refused, and a funding is zero-sum - all
        // of it or none. Not paid, it is gone with its samples, as one whose rate rounded to zero.
        if (payFunding(id, fundingTime, rateE8, longsPay, shortContracts, longsPay - shared, false))
        {
            payFunding(id, fundingTime, rateE8, longsPay, shortContracts, longsPay - shared, true);
        }
    }

    /**
     * Walks the holders of perpetual {@code id}, paying each its funding when {@code book}, checking that it can be
     * paid when not: longs pay rate x notional at mark (rounded toward zero each); shorts share {@code longsPay} pro
     * rata with the rounding {@code remainder} handed out one unit at a time in holder order.
     *
     * @return booking, true; checking, whether every payment fits the holder's balance and the clearing house's as
     *         the payments before it left it.
     */
    private boolean payFunding(final int id, final long fundingTime, final long rateE8, final long longsPay,
        final long shortContracts, final long remainderToShare, final boolean book)
    {
        final long size = instruments.contractSize(id);
        final long mark = instruments.markPrice(id);
        final int asset = instruments.settlementAsset(id);
        long house = accounts.balance(Accounts.CLEARING_HOUSE, asset);
        long remainder = remainderToShare;
        for (int slot = positions.firstHolder(id); slot >= 0; slot = positions.nextHolder(slot))
        {
            final long q = positions.quantity(slot);
            if (q == 0)
            {
                continue;
            }
            final int accountId = positions.account(slot);
            final long payment;
            if (q > 0)
            {
                payment = -Fixed.mulDiv(Fixed.notional(q, size, mark), rateE8, Fixed.SCALE);
            }
            else
            {
                long share = Fixed.mulDiv(longsPay, -q, shortContracts);
                if (remainder != 0)
                {
                    final long unit = remainder > 0 ? 1 : -1;
                    share += unit;
                    remainder -= unit;
                }
                payment = share;
            }
            if (!book)
            {
                if (!differenceFits(house, payment) || !sumFits(accounts.balance(accountId, asset), payment))
                {
                    return false;
                }
                house -= payment;
                continue;
            }
            events.fundingSettled()
                .accountId(accountId)
                .instrumentId(id)
                .position(q)
                .rateE8(rateE8)
                .payment(payment)
                .fundingTimestamp(fundingTime);
            ledger.transfer(Accounts.CLEARING_HOUSE, accountId, asset, payment, BalanceReason.FUNDING, id);
            // A healthy account that receives (or pays nothing) stays healthy, and its bands, which bound how far
            // prices can take its equity down, hold all the more: only payers and accounts of other states are
            // re-evaluated.
            if (payment < 0 || accounts.state(accountId) != MarginState.HEALTHY.value())
            {
                markTouched(accountId);
            }
        }
        return true;
    }

    private void onExpirySettlementPrice(final ExpirySettlementPriceDecoder command)
    {
        final int underlying = command.underlyingId();
        final long expiry = command.expiryTimestamp();
        final long price = command.price();
        if (!instruments.isUnderlyingDefined(underlying))
        {
            reject(underlying < 0 || underlying >= Limits.MAX_UNDERLYINGS ?
                RejectReason.ID_OUT_OF_RANGE : RejectReason.UNKNOWN_UNDERLYING, NO_ACCOUNT, underlying, 0, 0);
            return;
        }
        if (price <= 0 || price > Limits.MAX_PRICE || expiry <= 0)
        {
            reject(RejectReason.VALUE_OUT_OF_RANGE, NO_ACCOUNT, underlying, price, expiry);
            return;
        }
        if (now < expiry)
        {
            reject(RejectReason.NOT_EXPIRED, NO_ACCOUNT, underlying, expiry, now);
            return;
        }
        int matching = 0;
        int alreadySettled = 0;
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            final int id = instruments.definedId(i);
            if (instruments.underlying(id) == underlying && instruments.expiry(id) == expiry)
            {
                if (instruments.isSettled(id))
                {
                    alreadySettled++;
                }
                else
                {
                    matching++;
                }
            }
        }
        if (matching == 0)
        {
            reject(alreadySettled > 0 ? RejectReason.ALREADY_SETTLED : RejectReason.UNKNOWN_INSTRUMENT,
                NO_ACCOUNT, underlying, expiry, 0);
            return;
        }
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            // Every instrument is checked before the first settles: a command either settles them all or none.
            final int id = instruments.definedId(i);
            if (instruments.underlying(id) == underlying && instruments.expiry(id) == expiry &&
                !instruments.isSettled(id) && !openInterestFits(id,
                instruments.kind(id) == Instruments.PUT ? Math.max(price, instruments.strike(id)) : price))
            {
                reject(RejectReason.ARITHMETIC_OVERFLOW, NO_ACCOUNT, underlying, price, positions.openInterest(id));
                return;
            }
        }
        if (!expiryBookable(underlying, expiry, price))
        {
            // The clearing house's balance, the counterparty of all P&L, is bounded by nothing but a long; nor is a
            // holder's.
            reject(RejectReason.ARITHMETIC_OVERFLOW, NO_ACCOUNT, underlying, price, 0);
            return;
        }
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            final int id = instruments.definedId(i);
            if (expiresWith(id, underlying, expiry))
            {
                settleExpiry(id, price);
            }
        }
        commitTouched();
    }

    private boolean expiresWith(final int id, final int underlying, final long expiry)
    {
        return instruments.underlying(id) == underlying && instruments.expiry(id) == expiry &&
            !instruments.isSettled(id);
    }

    /**
     * Whether settling the unsettled instruments of the underlying that expire at {@code expiry} keeps every balance
     * it moves within a long, each taken as the settlements before it left it: the clearing house's holder by holder
     * in settlement order (the instruments in defined order, each holder by holder), and each holder's after each of
     * its instruments. Realizes the P&amp;L as {@link #settleExpiry} will, exactly: an overflow throws here, before
     * anything changed. Linear in the holders and their positions: an expiry, not the hot path.
     */
    private boolean expiryBookable(final int underlying, final long expiry, final long price)
    {
        int rank = 0;
        for (int i = 0; i < instruments.definedCount(); i++)
        {
            final int id = instruments.definedId(i);
            if (expiresWith(id, underlying, expiry))
            {
                settlementRank[id] = ++rank;
            }
        }
        try
        {
            for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
            {
                settlementHouse[asset] = accounts.balance(Accounts.CLEARING_HOUSE, asset);
            }
            for (int i = 0; i < instruments.definedCount(); i++)
            {
                final int id = instruments.definedId(i);
                if (settlementRank[id] == 0)
                {
                    continue;
                }
                final int asset = instruments.settlementAsset(id);
                final long size = instruments.contractSize(id);
                final long value = expiryValue(id, price);
                for (int slot = positions.firstHolder(id); slot >= 0; slot = positions.nextHolder(slot))
                {
                    final long realized = expiryRealized(slot, size, value);
                    if (!differenceFits(settlementHouse[asset], realized) ||
                        !sumFits(balanceAtSettlement(slot, asset, price), realized))
                    {
                        return false;
                    }
                    settlementHouse[asset] -= realized;
                }
            }
            return true;
        }
        finally
        {
            for (int i = 0; i < instruments.definedCount(); i++)
            {
                settlementRank[instruments.definedId(i)] = 0;
            }
        }
    }

    /**
     * The holder's balance when the settlement of its slot comes in {@link #expiryBookable}: with the P&amp;L of its
     * instruments settled before. Summed wrapping, in any order: exact, as the balance after each of them was found to
     * fit a long.
     */
    private long balanceAtSettlement(final int slot, final int asset, final long price)
    {
        final int accountId = positions.account(slot);
        final int rank = settlementRank[positions.instrument(slot)];
        long balance = accounts.balance(accountId, asset);
        for (int other = accounts.firstPosition(accountId); other >= 0; other = positions.nextInAccount(other))
        {
            final int id = positions.instrument(other);
            if (settlementRank[id] != 0 && settlementRank[id] < rank && instruments.settlementAsset(id) == asset)
            {
                balance += expiryRealized(other, instruments.contractSize(id), expiryValue(id, price));
            }
        }
        return balance;
    }

    /** @return what one underlying unit of the instrument is worth at the settlement price: an option's payoff. */
    private long expiryValue(final int id, final long settlementPrice)
    {
        final long strike = instruments.strike(id);
        final int kind = instruments.kind(id);
        return kind == Instruments.CALL ? Math.max(settlementPrice - strike, 0) :
            kind == Instruments.PUT ? Math.max(strike - settlementPrice, 0) : settlementPrice;
    }

    /** @return the P&amp;L a position realizes settled at {@code value} per underlying unit. */
    private long expiryRealized(final int slot, final long size, final long value)
    {
        return Math.subtractExact(Fixed.notional(positions.quantity(slot), size, value), positions.cost(slot));
    }

    private void settleExpiry(final int id, final long settlementPrice)
    {
        for (int slot = 0; slot < orders.highWater(); slot++)
        {
            if (orders.isLive(slot) && orders.instrument(slot) == id)
            {
                markTouched(orders.account(slot));
                removeOrder(slot, CancelReason.INSTRUMENT_EXPIRED);
            }
        }
        final long value = expiryValue(id, settlementPrice);
        final long size = instruments.contractSize(id);
        final int asset = instruments.settlementAsset(id);
        int slot = positions.firstHolder(id);
        while (slot >= 0)
        {
            final int next = positions.nextHolder(slot);
            final long q = positions.quantity(slot);
            final int accountId = positions.account(slot);
            final long realized = expiryRealized(slot, size, value);
            events.expirySettled()
                .accountId(accountId)
                .instrumentId(id)
                .position(q)
                .settlementPrice(settlementPrice)
                .instrumentValue(value)
                .realizedPnl(realized);
            ledger.transfer(Accounts.CLEARING_HOUSE, accountId, asset, realized, BalanceReason.EXPIRY, id);
            positions.position(slot, 0, 0);
            positions.releaseIfEmpty(slot);
            markTouched(accountId);
            slot = next;
        }
        instruments.mark(id, value, 0);
        calculator.invalidate(instruments.underlying(id));
        instruments.settled(id);
        if (calculator.settleFuture(id))
        {
            touchFutureHolders(instruments.underlying(id));
        }
    }

    // ------------------------------------------------------------------------------------------------ risk

    private void onAccountRiskQuery(final AccountRiskQueryDecoder command)
    {
        final int accountId = command.accountId();
        if (!accounts.inRange(accountId))
        {
            reject(RejectReason.ID_OUT_OF_RANGE, accountId, accountId, 0, 0);
            return;
        }
        if (!accounts.isOpen(accountId))
        {
            reject(RejectReason.UNKNOWN_ACCOUNT, accountId, accountId, 0, 0);
            return;
        }
        computeReport(accountId);
        events.accountRiskReport()
            .accountId(accountId)
            .state(MarginState.get((short)evalState))
            .collateralValue(evalCollateral)
            .unrealizedPnl(evalUnrealized)
            .equity(evalEquity)
            .initialMargin(evalInitialMargin)
            .maintenanceMargin(evalMaintenanceMargin)
            .openOrderMargin(evalInitialMarginWithOrders - evalInitialMargin)
            .isolatedInitialMargin(evalIsolated)
            .positions(countPositions(accountId))
            .openOrders(accounts.openOrderCount(accountId));
        commit(accountId, false);
    }

    private int countPositions(final int accountId)
    {
        int count = 0;
        for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
        {
            if (positions.quantity(slot) != 0)
            {
                count++;
            }
        }
        return count;
    }

    private void markTouched(final int accountId)
    {
        if (!pending[accountId])
        {
            pending[accountId] = true;
            touchedAccounts.addInt(accountId);
        }
    }

    /**
     * Evaluates every touched account once. Re-entrant calls (a liquidation touching counterparties while the list is
     * being drained) return at once: the outermost loop reads the growing list to its end.
     */
    private void commitTouched()
    {
        if (committingTouched)
        {
            return;
        }
        committingTouched = true;
        int warmedTo = 0;
        for (int i = 0; i < touchedAccounts.size(); i++)
        {
            if (i == warmedTo)
            {
                warmedTo = Math.min(touchedAccounts.size(), i + WARM_BATCH);
                warm(i, warmedTo);
            }
            final int accountId = touchedAccounts.getInt(i);
            pending[accountId] = false;
            evaluateAndCommit(accountId);
        }
        touchedAccounts.clear();
        committingTouched = false;
    }

    /**
     * Reads the memory the evaluation and band registration of the touched accounts {@code from} to {@code to} will
     * read - each account's record and balances, its position slots, its band records and their heap entries - a
     * step of every list at a time across the accounts. The lists are chains (a slot names the next), so one account's
     * cache misses come one after another; taken across up to {@link #WARM_BATCH} accounts at once, those of different
     * accounts are independent and overlap. Reads only: no state changes, so no event can.
     */
    private void warm(final int from, final int to)
    {
        final int count = to - from;
        if (count < 2)
        {
            return;
        }
        long read = 0;
        for (int j = 0; j < count; j++)
        {
            final int accountId = touchedAccounts.getInt(from + j);
            warmSlot[j] = accounts.firstPosition(accountId);
            warmBand[j] = watch.firstBand(accountId);
        }
        for (int j = 0; j < count; j++)
        {
            final int accountId = touchedAccounts.getInt(from + j);
            final int held = accounts.balanceMask(accountId);
            if (held != 0)
            {
                read += accounts.balance(accountId, Integer.numberOfTrailingZeros(held));
            }
        }
        // Loops as small as they can be: how many loads wait at once is bounded by how many iterations the core holds.
        for (boolean more = true; more; )
        {
            more = false;
            for (int j = 0; j < count; j++)
            {
                final int slot = warmSlot[j];
                if (slot >= 0)
                {
                    warmSlot[j] = positions.nextInAccount(slot);
                    more = true;
                }
            }
        }
        for (boolean more = true; more; )
        {
            more = false;
            for (int j = 0; j < count; j++)
            {
                final int band = warmBand[j];
                if (band >= 0)
                {
                    warmBand[j] = watch.nextBand(band);
                    more = true;
                }
            }
        }
        for (int j = 0; j < count; j++)
        {
            for (int band = watch.firstBand(touchedAccounts.getInt(from + j)); band >= 0; band = watch.nextBand(band))
            {
                read += watch.warmEntries(band);
            }
        }
        warmed += read;
    }

    private void evaluateAndCommit(final int accountId)
    {
        compute(accountId);
        commit(accountId, true);
    }

    /** {@link #compute} including the margin of the open orders ({@code evalInitialMarginWithOrders}). */
    private void computeWithOrders(final int accountId)
    {
        calculator.withOrders(true);
        compute(accountId);
        calculator.withOrders(false);
    }

    /** {@link #computeWithOrders} with the isolated margin, position by position: for reports, not the hot path. */
    private void computeReport(final int accountId)
    {
        calculator.withIsolated(true);
        fullWalk = true;
        try
        {
            computeWithOrders(accountId);
        }
        finally
        {
            fullWalk = false;
            calculator.withIsolated(false);
        }
    }

    /**
     * Evaluates an account's collateral, PnL and margin into the eval* fields without changing anything. Open orders
     * count only under {@link #computeWithOrders}: margin states depend on positions alone. Margin and unrealized
     * P&amp;L come from the account's risk rows (one per risk unit, kept through fills and order changes, rebuilt after
     * market data of their unit changed), or position by position for reports: the same bits either way.
     */
    private void compute(final int accountId)
    {
        evaluations++;
        calculator.begin();
        final boolean anyRisk = accounts.firstPosition(accountId) >= 0;
        final boolean fromRows = !fullWalk && accounts.positionCount(accountId) >= rowThreshold &&
            firstRow[accountId] != NO_ROWS;
        wideUnrealized.set(0);
        if (fromRows)
        {
            addRows(accountId);
        }
        else
        {
            addPositions(accountId);
        }
        calculator.finish();
        if (crossCheckRows && fromRows)
        {
            crossCheck(accountId);
        }
        wideEquity.set(0);
        // Only the balances that are not zero, in asset order: the balance lines of an account holding none of the
        // later assets are not read.
        for (int held = accounts.balanceMask(accountId); held != 0; held &= held - 1)
        {
            final int asset = Integer.numberOfTrailingZeros(held);
            addCollateralValue(wideEquity, accounts.balance(accountId, asset), asset);
        }
        evalCollateral = wideEquity.clamp(Long.MAX_VALUE);
        wideEquity.add(wideUnrealized);
        evalUnrealized = wideUnrealized.clamp(Long.MAX_VALUE);
        evalEquity = wideEquity.clamp(Long.MAX_VALUE);
        evalInitialMargin = calculator.initialMargin();
        evalInitialMarginWithOrders = saturatingSum(calculator.initialMarginWithOrders(),
            accounts.reservedFillLoss(accountId));
        evalMaintenanceMargin = calculator.maintenanceMargin();
        evalIsolated = calculator.isolatedInitialMargin();
        // A saturated maintenance margin (MarginCalculator.MAX_MONEY, 2^59 units) is a requirement beyond what the
        // engine represents: it is never met, whatever the equity. evalEquity, clamped to the range of a long,
        // compares with a margin exactly; the recovery level, which need not fit a long, is compared on 128 bits.
        final boolean marginRepresentable = evalMaintenanceMargin < MarginCalculator.MAX_MONEY;
        if (evalEquity < 0)
        {
            evalState = MarginState.BANKRUPT.value();
        }
        else if (!anyRisk)
        {
            evalState = MarginState.EMPTY.value();
        }
        else if (marginRepresentable && evalEquity >= evalInitialMargin &&
            (accounts.state(accountId) != MarginState.MARGIN_CALL.value() || meetsRecoveryLevel(evalInitialMargin)))
        {
            evalState = MarginState.HEALTHY.value();
        }
        else if (marginRepresentable && evalEquity >= evalMaintenanceMargin)
        {
            evalState = MarginState.MARGIN_CALL.value();
        }
        else
        {
            evalState = MarginState.LIQUIDATION.value();
        }
    }

    /** @return {@code a + b} for non-negative longs, or {@link Long#MAX_VALUE} when it does not fit: for reports. */
    private static long saturatingSum(final long a, final long b)
    {
        return sumFits(a, b) ? a + b : Long.MAX_VALUE;
    }

    /**
     * Whether an initial margin (with or without orders) was computed from a saturated maintenance margin
     * ({@link MarginCalculator#MAX_MONEY}): a requirement no equity meets.
     */
    private boolean initialMarginSaturated(final long initialMargin)
    {
        return initialMargin >= Fixed.mulPpmUp(MarginCalculator.MAX_MONEY, parameters.initialMarginFactorPpm());
    }

    /** Adds every position of the account to the evaluation, and its unrealized P&amp;L to wideUnrealized. */
    private void addPositions(final int accountId)
    {
        for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
        {
            final int id = positions.instrument(slot);
            calculator.add(id, positions.quantity(slot), positions.openBuy(slot), positions.openSell(slot));
            addUnrealized(wideUnrealized, id, positions.quantity(slot), positions.cost(slot));
        }
    }

    /**
     * Adds the unrealized P&amp;L of one position at its instrument's mark, exactly: the value, bounded by the
     * instrument's open interest (2^61 - 1 units), less the cost, bounded by a long only. Never throws: the margin
     * step runs after the state has changed.
     */
    private void addUnrealized(final Int128 sum, final int id, final long quantity, final long cost)
    {
        sum.addNotional(quantity, instruments.contractSize(id), instruments.markPrice(id)).subtract(cost);
    }

    /**
     * Unrealized P&amp;L of one position at its instrument's mark as a risk row keeps it: exact within
     * +-{@link #ROW_TERM_LIMIT}, else clamped there - beyond the rows' mass limit, so that its row is rebuilt and the
     * account's unrealized P&amp;L summed position by position on 128 bits.
     */
    private long unrealized(final int id, final long quantity, final long cost)
    {
        wideTerm.set(0);
        addUnrealized(wideTerm, id, quantity, cost);
        return wideTerm.clamp(ROW_TERM_LIMIT);
    }

    /**
     * Adds the account's risk rows to the evaluation, first rebuilding (in one walk of its positions) those that are
     * not current, and its unrealized P&amp;L to wideUnrealized. Integer sums below the mass limits are exact in any
     * order, so rows kept through changes give the bits of a rebuild; above them, rows are rebuilt at every use, and
     * the unrealized P&amp;L is summed position by position as {@link #addPositions} does.
     */
    private void addRows(final int accountId)
    {
        if (firstRow[accountId] == UNDISCOVERED)
        {
            firstRow[accountId] = -1;
            for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
            {
                final int u = instruments.underlying(positions.instrument(slot));
                if (findRow(accountId, u) < 0 && createRow(accountId, u) < 0)
                {
                    firstRow[accountId] = NO_ROWS;
                    addPositions(accountId);
                    return;
                }
            }
        }
        final boolean withOrders = calculator.withOrders();
        boolean rebuild = false;
        for (int row = firstRow[accountId]; row >= 0; row = nextRow[row])
        {
            final boolean stalePositions = !rowFresh(row);
            final boolean staleOrders = withOrders && !calculator.rowOrdersCurrent(row);
            if (stalePositions || staleOrders)
            {
                rowsRebuilt++;
                rebuild = true;
                final int u = calculator.rowUnit(row);
                unitRow[u] = row;
                rebuildUnrealized[u] = stalePositions;
                calculator.rebuildRow(row, stalePositions, staleOrders);
                if (stalePositions)
                {
                    rowUnrealized[row] = 0;
                    rowUnrealizedMass[row] = 0;
                }
            }
            else
            {
                rowsKept++;
            }
        }
        if (rebuild)
        {
            for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
            {
                final int id = positions.instrument(slot);
                final int u = instruments.underlying(id);
                final int row = unitRow[u];
                if (row >= 0)
                {
                    final long q = positions.quantity(slot);
                    calculator.addToRow(row, id, q, positions.openBuy(slot), positions.openSell(slot));
                    if (rebuildUnrealized[u])
                    {
                        final long term = unrealized(id, q, positions.cost(slot));
                        rowUnrealized[row] = Fixed.addSaturating(rowUnrealized[row], term);
                        rowUnrealizedMass[row] += Math.abs((double)term);
                    }
                }
            }
            for (int row = firstRow[accountId]; row >= 0; row = nextRow[row])
            {
                unitRow[calculator.rowUnit(row)] = -1;
            }
        }
        long unrealized = 0;
        double mass = 0;
        for (int row = firstRow[accountId]; row >= 0; row = nextRow[row])
        {
            calculator.addRow(row);
            unrealized = Fixed.addSaturating(unrealized, rowUnrealized[row]);
            mass += rowUnrealizedMass[row];
        }
        if (mass <= UNREALIZED_MASS_LIMIT)
        {
            wideUnrealized.set(unrealized);
        }
        else
        {
            for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
            {
                addUnrealized(wideUnrealized, positions.instrument(slot), positions.quantity(slot),
                    positions.cost(slot));
            }
        }
    }

    /** Test oracle: the evaluation just made from rows against one position by position (leaves the latter's results). */
    private void crossCheck(final int accountId)
    {
        final long initial = calculator.initialMargin();
        final long withOrders = calculator.initialMarginWithOrders();
        final long maintenance = calculator.maintenanceMargin();
        wideCheck.set(wideUnrealized);
        calculator.begin();
        wideUnrealized.set(0);
        addPositions(accountId);
        calculator.finish();
        rowChecks++;
        if (wideUnrealized.compareTo(wideCheck) != 0 || initial != calculator.initialMargin() || maintenance !=
            calculator.maintenanceMargin() || withOrders != calculator.initialMarginWithOrders())
        {
            rowMismatches++;
        }
    }

    /**
     * Test support: when on, every evaluation from risk rows is repeated position by position and compared
     * ({@link #rowChecks()}, {@link #rowMismatches()}).
     */
    void crossCheckRows(final boolean enabled)
    {
        crossCheckRows = enabled;
    }

    /** Test support: margin accounts of at least {@code slots} position slots from risk rows (0: every account). */
    void rowThreshold(final int slots)
    {
        rowThreshold = slots;
    }

    /** @return evaluations cross-checked since {@link #crossCheckRows} was turned on. */
    long rowChecks()
    {
        return rowChecks;
    }

    /** @return cross-checked evaluations whose margin or unrealized P&amp;L differed. */
    long rowMismatches()
    {
        return rowMismatches;
    }

    /** @return risk rows added to evaluations as kept (not rebuilt) since start. */
    public long rowsKept()
    {
        return rowsKept;
    }

    /** @return risk rows rebuilt from their positions since start. */
    public long rowsRebuilt()
    {
        return rowsRebuilt;
    }

    /** A row that is current in the calculator and whose unrealized P&amp;L is an exact integer sum. */
    private boolean rowFresh(final int row)
    {
        return calculator.rowCurrent(row) && rowUnrealizedMass[row] <= UNREALIZED_MASS_LIMIT;
    }

    private int findRow(final int accountId, final int underlyingId)
    {
        for (int row = firstRow[accountId]; row >= 0; row = nextRow[row])
        {
            if (calculator.rowUnit(row) == underlyingId)
            {
                return row;
            }
        }
        return -1;
    }

    /**
     * A new row, out of date, at the head of the account's list (the order of rows changes no result); -1 when the
     * row table is full.
     */
    private int createRow(final int accountId, final int underlyingId)
    {
        final int row = calculator.newRow(underlyingId);
        if (row < 0)
        {
            return -1;
        }
        if (row == nextRow.length)
        {
            nextRow = Arrays.copyOf(nextRow, row * 2);
            rowUnrealized = Arrays.copyOf(rowUnrealized, row * 2);
            rowUnrealizedMass = Arrays.copyOf(rowUnrealizedMass, row * 2);
        }
        nextRow[row] = firstRow[accountId];
        rowUnrealized[row] = 0;
        rowUnrealizedMass[row] = 0;
        firstRow[accountId] = row;
        return row;
    }

    /**
     * Keeps the account's row of the slot's risk unit exact through a change of quantity, cost or open orders:
     * constant work, whatever the number of positions. A row not current is left for its next use to rebuild.
     */
    private void positionChanged(final int slot, final long oldQuantity, final long oldCost, final long oldBuy,
        final long oldSell)
    {
        final int accountId = positions.account(slot);
        if (firstRow[accountId] < -1)
        {
            return;
        }
        final int id = positions.instrument(slot);
        final int u = instruments.underlying(id);
        final int row = findRow(accountId, u);
        if (row < 0)
        {
            if (createRow(accountId, u) < 0)
            {
                firstRow[accountId] = NO_ROWS;
            }
            return;
        }
        final long q = positions.quantity(slot);
        // The calculator keeps the parts of the row that are current; the unrealized P&L goes with the positions part.
        final boolean fresh = rowFresh(row);
        calculator.updateRow(row, id, oldQuantity, oldBuy, oldSell, q, positions.openBuy(slot),
            positions.openSell(slot));
        if (!fresh)
        {
            return;
        }
        final long before = unrealized(id, oldQuantity, oldCost);
        final long after = unrealized(id, q, positions.cost(slot));
        // Exact while the mass stays under its limit (checked at every use); past it the row is rebuilt.
        rowUnrealized[row] += after - before;
        rowUnrealizedMass[row] += Math.abs((double)after) - Math.abs((double)before);
    }

    /**
     * @return equity a margin-call account needs to be healthy again: initial margin plus the recovery buffer,
     *         {@link Long#MAX_VALUE} when that does not fit a long (for bands; {@link #meetsRecoveryLevel} decides).
     */
    private long recoveryLevel(final long initialMargin)
    {
        return saturatingSum(initialMargin, Fixed.mulPpmUp(initialMargin, parameters.recoveryBufferPpm()));
    }

    /** Whether the equity just computed is at least the recovery level of {@code initialMargin}, exactly. */
    private boolean meetsRecoveryLevel(final long initialMargin)
    {
        wideRequired.set(initialMargin).add(Fixed.mulPpmUp(initialMargin, parameters.recoveryBufferPpm()));
        return wideEquity.compareTo(wideRequired) >= 0;
    }

    /**
     * Adds what {@code balance} of {@code asset} counts for in equity, exactly as every evaluation values it: a
     * liability in full, a holding at its collateral weight, each truncated toward zero - at index, balance x index /
     * 1e8, then x weight / 1e6 - on 128 bits (a balance at an index up to MAX_PRICE need not be worth a long).
     */
    private void addCollateralValue(final Int128 into, final long balance, final int asset)
    {
        final long price = instruments.assetPrice(asset);
        if (price == Fixed.SCALE)
        {
            into.add(balance > 0 ? Fixed.mulPpm(balance, instruments.assetWeightPpm(asset)) : balance);
        }
        else
        {
            wideTerm.set(0).addProduct(balance, price, Fixed.SCALE);
            if (wideTerm.signum() > 0)
            {
                wideTerm.multiplyDivide(instruments.assetWeightPpm(asset), Fixed.PPM);
            }
            into.add(wideTerm);
        }
    }

    /**
     * Stores the last compute(), emits a MarginStatus on a state change, liquidates, and registers fresh price bands
     * when asked or when the state changed. Bands of an account whose positions and balances did not change since
     * they were registered still bound every price move that could change its state, so orders, cancels and queries
     * leave them in place.
     */
    private void commit(final int accountId, final boolean refreshBands)
    {
        final int previous = accounts.state(accountId);
        accounts.evaluated(accountId, evalState, evalEquity, evalInitialMargin, evalMaintenanceMargin);
        if (previous != evalState)
        {
            events.marginStatus()
                .accountId(accountId)
                .state(MarginState.get((short)evalState))
                .previousState(MarginState.get((short)previous))
                .equity(evalEquity)
                .initialMargin(evalInitialMargin)
                .maintenanceMargin(evalMaintenanceMargin);
        }
        if (Accounts.isSystem(accountId))
        {
            return;
        }
        final boolean inLiquidation = evalState == MarginState.LIQUIDATION.value() ||
            evalState == MarginState.BANKRUPT.value();
        // With no position left, a deficit (debt the collateral no longer covers) is still closed out: the collateral
        // sold, the insurance fund paying the rest.
        if (inLiquidation && !liquidating && (accounts.positionCount(accountId) > 0 || evalEquity < 0))
        {
            liquidate(accountId);
            return;
        }
        if (refreshBands || previous != evalState)
        {
            registerBands(accountId);
        }
    }

    private void registerBands(final int accountId)
    {
        accounts.bandsRegistered(accountId);
        if (accounts.positionCount(accountId) == 0 && !holdsDebt(accountId))
        {
            watch.clearBands(accountId);
            return;
        }
        final double equity = evalEquity;
        final boolean marginCall = evalState == MarginState.MARGIN_CALL.value();
        // In margin call two thresholds bound the account: the recovery level above (initial margin plus the buffer,
        // which moves 1 + buffer times as fast as initial margin, hence the division) and maintenance margin below.
        final double recoveryFactor = 1.0 + parameters.recoveryBufferPpm() / (double)Fixed.PPM;
        // A maintenance margin that reaches MarginCalculator.MAX_MONEY is never met (compute): initial margin must not
        // reach factor x MAX_MONEY unseen either, whichever way a price moves (a long future's margin rises with it).
        final double toSaturation = (double)(MarginCalculator.MAX_MONEY - evalMaintenanceMargin) *
            (parameters.initialMarginFactorPpm() / (double)Fixed.PPM);
        final double toRecovery = marginCall ?
            Math.min(toSaturation, (recoveryLevel(evalInitialMargin) - equity) / recoveryFactor) : 0.0;
        final double toLiquidation = marginCall ? Math.min(toSaturation, equity - evalMaintenanceMargin) : 0.0;
        final double headroom;
        if (evalState == MarginState.HEALTHY.value())
        {
            headroom = Math.min(toSaturation, equity - evalInitialMargin);
        }
        else if (marginCall)
        {
            headroom = Math.min(toRecovery, toLiquidation);
        }
        else if (evalState == MarginState.EMPTY.value())
        {
            // No position, but a debt against collateral: the threshold is a deficit, equity below zero.
            headroom = equity;
        }
        else
        {
            headroom = 0;
        }
        // Split 0.999 x the headroom (strictly inside the exact bound despite rounding) among the prices the account
        // depends on, by how fast each moves (PriceWatch.weight). A price with no weight gets a band of width zero,
        // or none for a mark or volatility that has never moved (its first change re-evaluates every holder).
        // The underlyings whose index the account depends on (their entries of indexSensitivity, indexDirection,
        // indexUnbounded and indexWeight are this evaluation's; the others are stale and never read).
        long indexUnits = 0;
        double weights = 0.0;
        double grossContracts = 0.0;
        // Time, per underlying with options: how far its options' decay could move IM by the end of the span, from
        // their oldest re-pricing. Their margin moves with time only when they are re-priced, so the edge is watched
        // by the commands that re-price options on that underlying, not by every command.
        final long quarter = Math.floorDiv(now, TIME_REFRESH_NANOS) + 1;
        final long timeUntil = quarter > (Long.MAX_VALUE - TIME_SPAN_NANOS) / TIME_REFRESH_NANOS ? Long.MAX_VALUE :
            quarter * TIME_REFRESH_NANOS + TIME_SPAN_NANOS;
        double timeExposure = 0.0;
        long timeUnits = 0;
        // A span ends no later than the first of its options' floors (an hour before expiry): their margin moves
        // until then and not after, so over a span reaching beyond it the move is not convex.
        for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
        {
            final int id = positions.instrument(slot);
            if (positions.quantity(slot) != 0 && instruments.isOption(id))
            {
                final int u = instruments.underlying(id);
                if ((timeUnits & (1L << u)) == 0)
                {
                    timeUnits |= 1L << u;
                    unitTimeEnd[u] = timeUntil;
                    unitTimeLastFloor[u] = Long.MIN_VALUE;
                    unitTimeFrom[u] = Long.MAX_VALUE;
                    unitTimeExposure[u] = 0.0;
                }
                final long floor = instruments.expiry(id) - MarginCalculator.MIN_TIME_NANOS;
                // Only the floors of options that decay end a span: one at no volatility (priced at intrinsic value)
                // never moves with time, and its floor, passed while it was not re-priced, ended the span before the
                // last re-pricing of the others, whose decay then counted as nothing and registered no edge at all
                // (TimeEdgeReviewTest).
                if (floor > lastOptionRefresh[id] && instruments.markVolatility(id) > 0.0)
                {
                    unitTimeEnd[u] = Math.min(unitTimeEnd[u], floor);
                    unitTimeLastFloor[u] = Math.max(unitTimeLastFloor[u], floor);
                }
            }
        }
        int n = 0;
        for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
        {
            final long q = positions.quantity(slot);
            if (q != 0)
            {
                final int id = positions.instrument(slot);
                final double contracts = Math.abs((double)q);
                grossContracts += contracts;
                final double markSensitivity = contracts * calculator.markSensitivity(id);
                final double markWeight = watch.weight(id, instruments.markPrice(id), markSensitivity);
                bandSensitivity[2 * n] = markSensitivity;
                bandWeight[2 * n] = markWeight;
                weights += markWeight;
                if (instruments.isOption(id))
                {
                    final double volSensitivity = contracts * calculator.volatilitySensitivity(id);
                    final double volWeight = watch.weight(PriceWatch.VOL_SOURCE_BASE + id,
                        volatilityPpm(instruments.markVolatility(id)), volSensitivity);
                    bandSensitivity[2 * n + 1] = volSensitivity;
                    bandWeight[2 * n + 1] = volWeight;
                    weights += volWeight;
                    final int u = instruments.underlying(id);
                    indexUnits = dependOnIndex(indexUnits, u);
                    indexSensitivity[u] += contracts * calculator.indexSensitivity(id);
                    indexDirection[u] = INDEX_BOTH_WAYS;
                    // At no vol an option is priced at intrinsic value: its delta, and so its delta shock, steps at
                    // the strike (422.50 USDC per 1-BTC contract for a move of 2e-8), which no finite bound covers.
                    indexUnbounded[u] |= instruments.markVolatility(id) <= 0.0;
                    final double decay = calculator.timeSensitivity(id, unitTimeEnd[u]);
                    if (decay > 0.0)
                    {
                        timeExposure += contracts * decay;
                        unitTimeExposure[u] += contracts * decay;
                        unitTimeFrom[u] = Math.min(unitTimeFrom[u], lastOptionRefresh[id]);
                    }
                }
                n++;
            }
        }
        int valuedOnIndex = 0;
        for (int held = accounts.balanceMask(accountId); held != 0; held &= held - 1)
        {
            final int asset = Integer.numberOfTrailingZeros(held);
            final long balance = accounts.balance(accountId, asset);
            final int u = instruments.assetValuationUnderlying(asset);
            if (u >= 0)
            {
                valuedOnIndex++;
                indexUnits = dependOnIndex(indexUnits, u);
                // Held collateral counts at its weight, owed collateral in full (as compute() values them).
                indexSensitivity[u] += balance > 0 ?
                    (double)balance / Fixed.SCALE * instruments.assetWeightPpm(asset) / Fixed.PPM :
                    -(double)balance / Fixed.SCALE;
                final int direction = balance > 0 ? INDEX_RISES_WITH : INDEX_FALLS_WITH;
                indexDirection[u] = indexDirection[u] == 0 || indexDirection[u] == direction ? direction :
                    INDEX_BOTH_WAYS;
            }
        }
        for (long units = indexUnits; units != 0; units &= units - 1)
        {
            final int u = Long.numberOfTrailingZeros(units);
            if (indexSensitivity[u] > 0.0)
            {
                indexWeight[u] = watch.weight(PriceWatch.INDEX_SOURCE_BASE + u, instruments.indexPrice(u),
                    indexSensitivity[u]);
                weights += indexWeight[u];
            }
        }
        // Margin is a step function of prices at the rounding quantum: a move in a position's favour can still raise
        // initial margin (the recovery level) by the rounding drift. That much of every distance is not for the bands,
        // and an account within it of a threshold gets no one-way edge: any move of its prices re-evaluates it.
        // A balance valued at index is truncated twice (x index / 1e8, then x weight / 1e6), so its value can fall up
        // to COLLATERAL_ROUNDING more than its index's linear bound says (an account with no contract, owing USDC
        // against BTC, went bankrupt inside its index band before session 16's review).
        // Each position's unrealized P&L is truncated to the unit, so between two evaluations it moves by less than a
        // unit more than its mark's linear bound. That needs no term of its own: ROUNDING_ALLOWANCE (2 quanta per
        // contract at each evaluation) bounds margin rounding of at most 1.9, and the 0.1 left, 20 units per contract
        // between two evaluations (times the IM factor, at least 1), covers it for every position of a contract or
        // more; a position of none has no mark exposure (its P&L is minus its cost).
        final double drift = grossContracts * MarginCalculator.roundingDriftPerContract() *
            (parameters.initialMarginFactorPpm() / (double)Fixed.PPM) * recoveryFactor +
            valuedOnIndex * COLLATERAL_ROUNDING;
        final double share = 0.999 * bandScale;
        // Time takes what its options' decay over the span needs, at most TIME_SHARE of the distance; the decay is
        // convex in the time elapsed, so a share of it lasts at least that share of the span. When the whole decay
        // fits (timeCovered), its budget is set so that its share of the distance covers all of it.
        final double timeLimit = TIME_SHARE * Math.max(0.0, headroom - drift);
        final boolean timeCovered = timeExposure / share <= timeLimit;
        final double timeBudget = timeCovered ? timeExposure / share : timeLimit;
        final double perWeight = weights > 0.0 ? Math.max(0.0, headroom - drift - timeBudget) * share / weights : 0.0;
        final double perWeightRecovery = weights > 0.0 ?
            Math.max(0.0, toRecovery - drift - timeBudget) * share / weights : 0.0;
        final double perWeightLiquidation = weights > 0.0 ?
            Math.max(0.0, toLiquidation - drift - timeBudget) * share / weights : 0.0;
        final double perWeightSaturation = weights > 0.0 ?
            Math.max(0.0, toSaturation - drift - timeBudget) * share / weights : 0.0;
        final boolean clearOfRounding = headroom > drift;
        final boolean healthy = evalState == MarginState.HEALTHY.value() && clearOfRounding;
        final boolean marginCallClear = marginCall && toRecovery > drift && toLiquidation > drift;
        watch.beginBands(accountId);
        int i = 0;
        for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
        {
            final long q = positions.quantity(slot);
            if (q == 0)
            {
                continue;
            }
            final int id = positions.instrument(slot);
            final long mark = instruments.markPrice(id);
            final double width = halfWidth(perWeight * bandWeight[2 * i], bandSensitivity[2 * i]);
            if (!watch.hasMoved(id))
            {
                // Nothing to register: the mark's first change re-evaluates every holder (onMarkPrice).
            }
            else if ((healthy || marginCallClear) && (instruments.isOption(id) ||
                calculator.futuresMarginCoefficient(id) * (healthy ? 1.0 : recoveryFactor) < 1.0))
            {
                // A move in a future's favour raises equity faster than IM (than the recovery level, in margin call);
                // an option's own mark moves only equity (its margin follows the index and the volatility). So a
                // favourable move can never bring the account down - healthy: that edge only keeps a future's margin
                // (which a favourable move can raise: a long's, a spread's) short of saturating, and an option has
                // none; margin call: that edge guards recovery, the other liquidation, each with its own share of the
                // distance to it.
                final double favourable = !healthy ?
                    halfWidth(perWeightRecovery * bandWeight[2 * i], bandSensitivity[2 * i]) :
                    instruments.isOption(id) ? NO_EDGE :
                    halfWidth(perWeightSaturation * bandWeight[2 * i], bandSensitivity[2 * i]);
                registerOneWay(id, accountId, mark, q > 0,
                    healthy ? width : halfWidth(perWeightLiquidation * bandWeight[2 * i], bandSensitivity[2 * i]),
                    favourable);
            }
            else
            {
                watch.register(id, accountId, mark, width);
            }
            if (instruments.isOption(id) && watch.hasMoved(PriceWatch.VOL_SOURCE_BASE + id))
            {
                final double volSensitivity = bandSensitivity[2 * i + 1];
                // At zero vol the sensitivity bound says nothing about the next vol: any change must re-evaluate.
                // The bound holds down to half the vol, so the band reaches no further.
                final long volPpm = volatilityPpm(instruments.markVolatility(id));
                watch.register(PriceWatch.VOL_SOURCE_BASE + id, accountId, volPpm, volSensitivity > 0.0 ?
                    Math.min(0.5 * volPpm, halfWidth(perWeight * bandWeight[2 * i + 1], volSensitivity)) : 0.0);
            }
            i++;
        }
        for (long units = indexUnits; units != 0; units &= units - 1)
        {
            final int u = Long.numberOfTrailingZeros(units);
            if (indexSensitivity[u] > 0.0)
            {
                final int source = PriceWatch.INDEX_SOURCE_BASE + u;
                final long index = instruments.indexPrice(u);
                final double weight = indexWeight[u];
                final boolean oneWay = indexDirection[u] != INDEX_BOTH_WAYS;
                // Collateral alone: a move that raises its value can only help, the other way only hurt - as for a
                // future's mark.
                if (oneWay && (healthy || marginCallClear))
                {
                    registerOneWay(source, accountId, index, indexDirection[u] == INDEX_RISES_WITH,
                        halfWidth((healthy ? perWeight : perWeightLiquidation) * weight, indexSensitivity[u]),
                        healthy ? NO_EDGE : halfWidth(perWeightRecovery * weight, indexSensitivity[u]));
                }
                else
                {
                    watch.register(source, accountId, index, indexUnbounded[u] ? 0.0 :
                        halfWidth(perWeight * weight, indexSensitivity[u]));
                }
            }
        }
        if (timeExposure > 0.0)
        {
            // Each underlying's options take the same share of their own decay, so the budgets add up to the time's
            // share, and each underlying has its edge. One that has passed already (its options wait to be re-priced
            // past it) is watched by the commands that re-price options on that underlying alone; the earliest of the
            // others by every command that re-prices options (onIndexPrice, onMarkPrice of an option, onTimeAdvance):
            // it comes before any of theirs. An underlying whose span ends at the floor of every option on it that
            // still decays, with the whole decay covered, needs no edge: past the floor their time stands still
            // (docs/settlement.md).
            final double fraction = timeCovered ? 1.0 : timeBudget * share / timeExposure;
            long earliestFrom = Long.MAX_VALUE;
            double earliestWidth = 0.0;
            for (long units = timeUnits; units != 0; units &= units - 1)
            {
                final int u = Long.numberOfTrailingZeros(units);
                if (unitTimeExposure[u] > 0.0 && !(timeCovered && unitTimeLastFloor[u] <= unitTimeEnd[u]))
                {
                    final double span = Math.max(0.0, (double)(unitTimeEnd[u] - unitTimeFrom[u]));
                    final double width = Math.min(MAX_TIME_EDGE_NANOS, span * fraction);
                    final long edge = unitTimeFrom[u] + (long)Math.floor(width);
                    if (edge <= now)
                    {
                        watch.registerUpper(PriceWatch.TIME_SOURCE_BASE + u, accountId, unitTimeFrom[u], width);
                    }
                    else if (earliestFrom == Long.MAX_VALUE || edge < earliestFrom + (long)Math.floor(earliestWidth))
                    {
                        earliestFrom = unitTimeFrom[u];
                        earliestWidth = width;
                    }
                }
            }
            if (earliestFrom != Long.MAX_VALUE)
            {
                watch.registerUpper(PriceWatch.TIME_SOURCE, accountId, earliestFrom, earliestWidth);
            }
        }
        watch.endBands(accountId);
    }

    /**
     * Marks underlying {@code u} as one the account being registered depends on, clearing its entries at the first
     * mention; @return the updated set.
     */
    private long dependOnIndex(final long indexUnits, final int u)
    {
        final long bit = 1L << u;
        if ((indexUnits & bit) == 0)
        {
            indexSensitivity[u] = 0.0;
            indexDirection[u] = 0;
            indexUnbounded[u] = false;
        }
        return indexUnits | bit;
    }

    /** @return true when the account owes some asset (a negative balance): its collateral must keep covering it. */
    private boolean holdsDebt(final int accountId)
    {
        for (int held = accounts.balanceMask(accountId); held != 0; held &= held - 1)
        {
            if (accounts.balance(accountId, Integer.numberOfTrailingZeros(held)) < 0)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Registers the band of a price that moves the account's equity less margin one way only.
     *
     * @param risesHelp      true when a rise of the price can only help the account.
     * @param adverseWidth   allowed move against the account.
     * @param favourableWidth allowed move in its favour; {@link #NO_EDGE} for none.
     */
    private void registerOneWay(final int source, final int accountId, final long price, final boolean risesHelp,
        final double adverseWidth, final double favourableWidth)
    {
        if (risesHelp)
        {
            watch.register(source, accountId, price, adverseWidth, favourableWidth);
        }
        else
        {
            watch.register(source, accountId, price, favourableWidth, adverseWidth);
        }
    }

    /**
     * Narrows every band registered from now on to {@code factor} of its width: still sound (a narrower band only
     * re-evaluates sooner), so the events must not change - which is what tests use it to show.
     *
     * @param factor in (0, 1].
     */
    void narrowBands(final double factor)
    {
        if (!(factor > 0.0 && factor <= 1.0))
        {
            throw new IllegalArgumentException("band factor must be in (0, 1]: " + factor);
        }
        bandScale = factor;
    }

    /** @return the half-width in price units a budget of money buys at a sensitivity; 0 without a budget. */
    private static double halfWidth(final double budget, final double sensitivity)
    {
        return budget > 0.0 ? budget / sensitivity : 0.0;
    }

    // ------------------------------------------------------------------------------------------------ liquidation

    /**
     * Liquidates an account below maintenance margin (docs/settlement.md). Its open orders are cancelled. A solvent
     * account is reduced in steps, each moving part of one position to the liquidator at mark with a penalty to the
     * insurance fund: first futures and perpetuals that reduce the net delta of their risk unit (no further than
     * delta-neutral), then options (short ones first), until equity is back at initial margin. A bankrupt account
     * (equity below zero at mark) is closed out: the insurance fund covers the deficit as far as it goes, and what it
     * cannot cover is socialised by auto-deleveraging - its positions close against the most profitable, most
     * leveraged opposite holders at bankruptcy prices.
     */
    private void liquidate(final int accountId)
    {
        liquidating = true;
        for (int orderSlot = orders.firstOfAccount(accountId); orderSlot >= 0; )
        {
            final int next = orders.nextInAccount(orderSlot);
            removeOrder(orderSlot, CancelReason.LIQUIDATION);
            orderSlot = next;
        }
        compute(accountId);
        if (evalEquity < 0)
        {
            closeOutBankrupt(accountId);
        }
        else
        {
            int steps = 0;
            final int maxSteps = 8 * accounts.positionCount(accountId) + 16;
            while (evalState != MarginState.HEALTHY.value() && evalState != MarginState.EMPTY.value() &&
                steps++ < maxSteps)
            {
                if (!liquidationStep(accountId))
                {
                    break;
                }
                compute(accountId);
                if (evalEquity < 0)
                {
                    closeOutBankrupt(accountId);
                    break;
                }
            }
            compute(accountId);
            if (evalEquity >= 0 && evalState != MarginState.HEALTHY.value() && evalState != MarginState.EMPTY.value())
            {
                // The steps ran out - the cap, or a penalty that took the equity the quarters needed - short of
                // initial margin: the rest goes to the liquidator at once, so the account ends flat rather than still
                // in liquidation with positions an adverse tick would make bankrupt.
                for (int slot = accounts.firstPosition(accountId); slot >= 0; )
                {
                    final int next = positions.nextInAccount(slot);
                    final long q = positions.quantity(slot);
                    if (q != 0)
                    {
                        transferToLiquidator(accountId, slot, q, true);
                    }
                    slot = next;
                }
            }
        }
        compute(accountId);
        commit(accountId, false);
        liquidating = false;
        registerBands(accountId);
        // Deleveraged counterparties changed: bring them current (they may in turn need liquidation).
        commitTouched();
    }

    /** One partial step; false when nothing is left to reduce or the step cannot be booked. */
    private boolean liquidationStep(final int accountId)
    {
        int best = -1;
        long bestNotional = 0;
        long bestContracts = 0;
        // Futures and perpetuals whose sign matches their unit's net delta: selling them moves toward delta-neutral.
        for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
        {
            final long q = positions.quantity(slot);
            final int id = positions.instrument(slot);
            if (q == 0 || instruments.isOption(id))
            {
                continue;
            }
            final double unitDelta = calculator.netDelta(instruments.underlying(id));
            if (unitDelta == 0.0 || (unitDelta > 0) != (q > 0))
            {
                continue;
            }
            // Whole contracts that bring the unit toward neutral without passing it: none when even one would pass it
            // (rounding up instead overshot by under a contract, so a hedged spread alternated one contract of each
            // leg until the step cap). Such a unit is neutral to the contract; its legs go in the hedge phase below.
            final double perContract = (double)instruments.contractSize(id) / Fixed.SCALE *
                instruments.markPrice(id) / Fixed.SCALE;
            final long toNeutral = perContract <= 0 ? Math.abs(q) : (long)Math.floor(Math.abs(unitDelta) / perContract);
            if (toNeutral == 0)
            {
                continue;
            }
            final long notional = Math.abs(Fixed.notional(q, instruments.contractSize(id), instruments.markPrice(id)));
            if (best < 0 || notional > bestNotional)
            {
                best = slot;
                bestNotional = notional;
                bestContracts = Math.max(1, Math.min(Math.abs(q), Math.min(toNeutral, stepContracts(q))));
            }
        }
        if (best < 0)
        {
            // Then options - short before long - and only then futures that would move delta away from neutral (the
            // hedges), largest notional first within a rank.
            int bestRank = -1;
            for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
            {
                final long q = positions.quantity(slot);
                if (q == 0)
                {
                    continue;
                }
                final int id = positions.instrument(slot);
                final int rank = !instruments.isOption(id) ? 0 : q < 0 ? 2 : 1;
                final long notional = rankingNotional(q, instruments.contractSize(id),
                    instruments.isOption(id) ? instruments.strike(id) : instruments.markPrice(id));
                if (rank > bestRank || (rank == bestRank && notional > bestNotional))
                {
                    best = slot;
                    bestRank = rank;
                    bestNotional = notional;
                    bestContracts = stepContracts(q);
                }
            }
        }
        if (best < 0)
        {
            return false;
        }
        final long q = positions.quantity(best);
        return transferToLiquidator(accountId, best, q > 0 ? bestContracts : -bestContracts, true);
    }

    /**
     * The absolute notional of a position at a price, to rank positions by: exact, or {@link Long#MAX_VALUE} when it
     * does not fit a long - an option's at its strike need not, its open interest being bounded at its premium.
     */
    private static long rankingNotional(final long quantity, final long size, final long price)
    {
        final long contracts = Math.abs(quantity);
        return Fixed.notionalAtMost(contracts, size, price, Long.MAX_VALUE) ? Fixed.notional(contracts, size, price) :
            Long.MAX_VALUE;
    }

    /** A quarter of the position per step, at least one contract: orderly, not all at once. */
    private static long stepContracts(final long quantity)
    {
        return Math.max(1, (Math.abs(quantity) + 3) / 4);
    }

    /**
     * Moves {@code signedContracts} (same sign as the position) of a position to the liquidator at mark, with the
     * penalty when asked (none when the account's or the insurance fund's balance could not book it).
     *
     * @return false, with nothing changed, when the step cannot be booked ({@link #cascadeTradeBookable}).
     */
    private boolean transferToLiquidator(final int accountId, final int slot, final long signedContracts,
        final boolean penalty)
    {
        final int id = positions.instrument(slot);
        final long mark = instruments.markPrice(id);
        final long size = instruments.contractSize(id);
        final int asset = instruments.settlementAsset(id);
        final int held = positions.find(Accounts.LIQUIDATOR, id);
        if (!cascadeTradeBookable(accountId, slot, Accounts.LIQUIDATOR, held, signedContracts, mark, size, asset))
        {
            return false;
        }
        final long accountQuantity = sideQuantity;
        final long accountCost = sideCost;
        final long accountRealized = sideRealized;
        final long liquidatorQuantity = tradeQuantity;
        final long liquidatorCost = tradeCost;
        final long liquidatorRealized = tradeRealized;
        final long tradeId = -(++liquidationTrades);
        final int liquidatorSlot = held >= 0 ? held : positions.findOrCreate(Accounts.LIQUIDATOR, id);

        positions.position(slot, accountQuantity, accountCost);
        positions.position(liquidatorSlot, liquidatorQuantity, liquidatorCost);
        final long contracts = Math.abs(signedContracts);
        emitTradeSide(tradeId, accountId, id, signedContracts < 0, Liquidity.LIQUIDATION, mark, contracts,
            accountQuantity, accountRealized);
        emitTradeSide(tradeId, Accounts.LIQUIDATOR, id, signedContracts > 0, Liquidity.LIQUIDATION, mark, contracts,
            liquidatorQuantity, liquidatorRealized);
        ledger.transfer(Accounts.CLEARING_HOUSE, accountId, asset, accountRealized, BalanceReason.REALIZED_PNL,
            tradeId);
        ledger.transfer(Accounts.CLEARING_HOUSE, Accounts.LIQUIDATOR, asset, liquidatorRealized,
            BalanceReason.REALIZED_PNL, tradeId);
        long paid = 0;
        if (penalty)
        {
            compute(accountId);
            final long due = Fixed.mulPpmUp(Math.abs(Fixed.notional(signedContracts, size, mark)),
                parameters.liquidationPenaltyPpm());
            paid = Math.min(due, Math.max(0, evalEquity));
            if (!differenceFits(accounts.balance(accountId, asset), paid) ||
                !sumFits(accounts.balance(Accounts.INSURANCE_FUND, asset), paid))
            {
                paid = 0;
            }
            ledger.transfer(accountId, Accounts.INSURANCE_FUND, asset, paid, BalanceReason.LIQUIDATION_PENALTY,
                tradeId);
        }
        events.liquidationTrade()
            .accountId(accountId)
            .liquidatorAccountId(Accounts.LIQUIDATOR)
            .instrumentId(id)
            .quantity(signedContracts)
            .price(mark)
            .penalty(paid);
        positions.releaseIfEmpty(slot);
        positions.releaseIfEmpty(liquidatorSlot);
        return true;
    }

    /**
     * Computes a trade taken inside a cascade - {@code signedContracts} (same sign as the position) out of the
     * position in {@code slot} into {@code counterparty}'s at {@code price} - its first side into side*, the
     * counterparty's into trade*, and whether it can be booked: its arithmetic fits a long, and so do both accounts'
     * balances and the clearing house's after their realized P&amp;L. Changes nothing. A liquidation, a close-out or
     * an auto-deleveraging runs after its command changed the state (a price moved, a fill settled), which can then no
     * longer be refused: a step that cannot be booked (hostile balances only: the house's, the counterparty of all
     * P&amp;L, is bounded by nothing but a long) is not taken, and the account stays as it is until the next
     * evaluation tries again.
     *
     * @param counterpartySlot the counterparty's slot of the instrument, -1 when it has none (an empty position).
     */
    private boolean cascadeTradeBookable(final int accountId, final int slot, final int counterparty,
        final int counterpartySlot, final long signedContracts, final long price, final long size, final int asset)
    {
        try
        {
            trade(positions.quantity(slot), positions.cost(slot), -signedContracts, price, size);
            sideQuantity = tradeQuantity;
            sideCost = tradeCost;
            sideRealized = tradeRealized;
            trade(counterpartySlot < 0 ? 0 : positions.quantity(counterpartySlot),
                counterpartySlot < 0 ? 0 : positions.cost(counterpartySlot), signedContracts, price, size);
        }
        catch (final ArithmeticException ex)
        {
            return false;
        }
        final long house = accounts.balance(Accounts.CLEARING_HOUSE, asset);
        return differenceFits(house, sideRealized) && differenceFits(house - sideRealized, tradeRealized) &&
            sumFits(accounts.balance(accountId, asset), sideRealized) &&
            sumFits(accounts.balance(counterparty, asset), tradeRealized);
    }

    /**
     * Closes every position of a bankrupt account. The deficit at mark is covered by the insurance fund as far as its
     * balance goes; the rest is spread over the positions pro rata to notional and each position closes at its
     * bankruptcy price - mark moved against the counterparty by its share - against opposite holders ranked by profit
     * and leverage (auto-deleveraging), the liquidator taking what they cannot.
     */
    private void closeOutBankrupt(final int accountId)
    {
        if (convertCollateral(accountId))
        {
            compute(accountId);
        }
        final long deficit = -evalEquity;
        final long fund = marginAsset < 0 ? 0 : Math.max(0, accounts.balance(Accounts.INSURANCE_FUND, marginAsset));
        final long uncovered = deficit <= fund ? 0 : deficit - fund;
        // Shares go pro rata to notional, summed exactly while the sum fits a long; beyond (several positions each
        // near its instrument's open interest bound: hostile books only), each notional is taken halved as often as
        // the sum needs to fit.
        int halvings = 0;
        long grossNotional = grossNotional(accountId, 0);
        while (grossNotional < 0)
        {
            grossNotional = grossNotional(accountId, ++halvings);
        }
        long shared = 0;
        int slot = accounts.firstPosition(accountId);
        while (slot >= 0)
        {
            final int next = positions.nextInAccount(slot);
            final long q = positions.quantity(slot);
            if (q != 0)
            {
                final int id = positions.instrument(slot);
                final long size = instruments.contractSize(id);
                final long mark = instruments.markPrice(id);
                final long notional = Math.abs(Fixed.notional(q, size, mark));
                long share = uncovered == 0 || grossNotional == 0 ? 0 :
                    Fixed.mulDiv(uncovered, notional >> halvings, grossNotional);
                if (next < 0 || nextNonEmpty(next) < 0)
                {
                    share = uncovered - shared;
                }
                // A position absorbs at most its own notional (longs) or its notional less one tick (shorts): no
                // bankruptcy price beyond twice the mark or below 1. What is left stays as the account's deficit.
                share = Math.max(0, Math.min(share, q > 0 ? notional :
                    Math.max(0, notional - Fixed.notional(Math.abs(q), size, 1))));
                shared += share;
                if (share == 0)
                {
                    transferToLiquidator(accountId, slot, q, false);
                }
                else
                {
                    // The price at which this position's close absorbs its share, better for the bankrupt side: a
                    // price unit moves |q| x size / 1e8 money units (a fraction when the position is under one
                    // underlying unit), so the shift is share x 1e8 / (|q| x size), rounded up.
                    final long shift = Fixed.mulDivUp(share, Fixed.SCALE, Math.multiplyExact(Math.abs(q), size));
                    final long price = Math.max(1, Math.min(Limits.MAX_PRICE, q > 0 ? mark + shift : mark - shift));
                    deleverage(accountId, slot, price);
                }
            }
            slot = next;
        }
        compute(accountId);
        if (evalEquity < 0 && marginAsset >= 0)
        {
            final long available = Math.max(0, accounts.balance(Accounts.INSURANCE_FUND, marginAsset));
            final long payout = Math.min(-evalEquity, available);
            if (payout > 0 && sumFits(accounts.balance(accountId, marginAsset), payout))
            {
                ledger.transfer(Accounts.INSURANCE_FUND, accountId, marginAsset, payout, BalanceReason.INSURANCE, 0);
                events.insurancePayout()
                    .accountId(accountId)
                    .amount(payout)
                    .fundBalanceAfter(accounts.balance(Accounts.INSURANCE_FUND, marginAsset));
            }
        }
    }

    /**
     * @return the sum of the absolute notionals at mark of the account's positions, each shifted right
     *         {@code halvings} times; -1 when it does not fit a long.
     */
    private long grossNotional(final int accountId, final int halvings)
    {
        long gross = 0;
        for (int slot = accounts.firstPosition(accountId); slot >= 0; slot = positions.nextInAccount(slot))
        {
            final long q = positions.quantity(slot);
            if (q != 0)
            {
                final int id = positions.instrument(slot);
                final long notional =
                    Math.abs(Fixed.notional(q, instruments.contractSize(id), instruments.markPrice(id))) >> halvings;
                if (!sumFits(gross, notional))
                {
                    return -1;
                }
                gross += notional;
            }
        }
        return gross;
    }

    /**
     * Sells a bankrupt account's balances other than the margin currency to the liquidator at index - at their full
     * value, not their haircut weight - and owed ones the same way round, so that the deficit the insurance fund and
     * the counterparties cover is the account's true one and nothing but the margin currency is left on it. A balance
     * whose value at index would not fit a long (hostile values only) stays where it is.
     *
     * @return true when a balance was converted.
     */
    private boolean convertCollateral(final int accountId)
    {
        if (marginAsset < 0)
        {
            return false;
        }
        boolean converted = false;
        for (int held = accounts.balanceMask(accountId); held != 0; held &= held - 1)
        {
            final int asset = Integer.numberOfTrailingZeros(held);
            final long balance = accounts.balance(accountId, asset);
            final long price = instruments.assetPrice(asset);
            if (asset == marginAsset || price <= 0 || balance == Long.MIN_VALUE ||
                !Fixed.notionalAtMost(Math.abs(balance), 1, price, MAX_OPEN_INTEREST_VALUE))
            {
                continue;
            }
            // Truncated toward zero: a held balance fetches at most its value, an owed one costs at most its value.
            final long value = Fixed.mulDiv(balance, price, Fixed.SCALE);
            if (!sumFits(accounts.balance(Accounts.LIQUIDATOR, asset), balance) ||
                !sumFits(accounts.balance(Accounts.LIQUIDATOR, marginAsset), -value) ||
                !sumFits(accounts.balance(accountId, marginAsset), value))
            {
                // The liquidator's books could not take it (hostile sizes only): checked before anything moves.
                continue;
            }
            ledger.transfer(accountId, Accounts.LIQUIDATOR, asset, balance, BalanceReason.COLLATERAL_CONVERSION, asset);
            ledger.transfer(Accounts.LIQUIDATOR, accountId, marginAsset, value, BalanceReason.COLLATERAL_CONVERSION,
                asset);
            converted = true;
        }
        return converted;
    }

    /** @return true when {@code a + b} does not overflow a long. */
    private static boolean sumFits(final long a, final long b)
    {
        final long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) >= 0;
    }

    /** @return true when {@code a - b} does not overflow a long. */
    private static boolean differenceFits(final long a, final long b)
    {
        final long difference = a - b;
        return ((a ^ b) & (a ^ difference)) >= 0;
    }

    private int nextNonEmpty(final int from)
    {
        for (int slot = from; slot >= 0; slot = positions.nextInAccount(slot))
        {
            if (positions.quantity(slot) != 0)
            {
                return slot;
            }
        }
        return -1;
    }

    /** Closes a bankrupt account's position at {@code price} against ranked opposite holders (ADL). */
    private void deleverage(final int accountId, final int slot, final long price)
    {
        final int id = positions.instrument(slot);
        final long size = instruments.contractSize(id);
        final long mark = instruments.markPrice(id);
        final boolean bankruptLong = positions.quantity(slot) > 0;
        adlCandidates.clear();
        adlScores.clear();
        for (int holder = positions.firstHolder(id); holder >= 0; holder = positions.nextHolder(holder))
        {
            final long q = positions.quantity(holder);
            final int other = positions.account(holder);
            if (q == 0 || (q > 0) == bankruptLong || Accounts.isSystem(other) || other == accountId)
            {
                continue;
            }
            // Rank: profit per unit of cost times leverage (notional over equity), as the venues' ADL queues.
            final double cost = Math.abs((double)positions.cost(holder));
            final double notional = Math.abs((double)Fixed.notional(q, size, mark));
            final double profit = (double)Fixed.notional(q, size, mark) - positions.cost(holder);
            // Fresh equity, not the cached one: the ranking must not depend on when the holder was last evaluated.
            compute(other);
            final double leverage = notional / Math.max(1.0, (double)evalEquity);
            adlCandidates.addInt(holder);
            adlScores.addLong(Double.doubleToLongBits(profit / Math.max(1.0, cost) * leverage));
        }
        long remaining = Math.abs(positions.quantity(slot));
        while (remaining > 0)
        {
            int bestIndex = -1;
            double bestScore = 0;
            for (int i = 0; i < adlCandidates.size(); i++)
            {
                final int holder = adlCandidates.getInt(i);
                if (holder < 0)
                {
                    continue;
                }
                final double score = Double.longBitsToDouble(adlScores.getLong(i));
                if (bestIndex < 0 || score > bestScore || (score == bestScore &&
                    positions.account(holder) < positions.account(adlCandidates.getInt(bestIndex))))
                {
                    bestIndex = i;
                    bestScore = score;
                }
            }
            if (bestIndex < 0)
            {
                break;
            }
            final int holder = adlCandidates.getInt(bestIndex);
            adlCandidates.setInt(bestIndex, -1);
            final long contracts = Math.min(remaining, Math.abs(positions.quantity(holder)));
            if (closeAgainst(accountId, slot, holder, bankruptLong ? contracts : -contracts, price))
            {
                remaining -= contracts;
            }
        }
        if (remaining > 0)
        {
            transferToLiquidator(accountId, slot, bankruptLong ? remaining : -remaining, false);
        }
        else
        {
            positions.releaseIfEmpty(slot);
        }
    }

    /**
     * Trades {@code signedContracts} out of the bankrupt position into the opposite holder at {@code price}.
     *
     * @return false, with nothing changed, when the trade cannot be booked ({@link #cascadeTradeBookable}).
     */
    private boolean closeAgainst(final int accountId, final int slot, final int holderSlot, final long signedContracts,
        final long price)
    {
        final int id = positions.instrument(slot);
        final long size = instruments.contractSize(id);
        final int asset = instruments.settlementAsset(id);
        final int counterparty = positions.account(holderSlot);
        if (!cascadeTradeBookable(accountId, slot, counterparty, holderSlot, signedContracts, price, size, asset))
        {
            return false;
        }
        final long accountQuantity = sideQuantity;
        final long accountCost = sideCost;
        final long accountRealized = sideRealized;
        final long holderQuantity = tradeQuantity;
        final long holderCost = tradeCost;
        final long holderRealized = tradeRealized;
        final long tradeId = -(++liquidationTrades);
        positions.position(slot, accountQuantity, accountCost);
        positions.position(holderSlot, holderQuantity, holderCost);
        final long contracts = Math.abs(signedContracts);
        events.autoDeleverage()
            .accountId(accountId)
            .counterpartyAccountId(counterparty)
            .instrumentId(id)
            .quantity(signedContracts)
            .price(price);
        emitTradeSide(tradeId, accountId, id, signedContracts < 0, Liquidity.DELEVERAGE, price, contracts,
            accountQuantity, accountRealized);
        emitTradeSide(tradeId, counterparty, id, signedContracts > 0, Liquidity.DELEVERAGE, price, contracts,
            holderQuantity, holderRealized);
        ledger.transfer(Accounts.CLEARING_HOUSE, accountId, asset, accountRealized, BalanceReason.REALIZED_PNL,
            tradeId);
        ledger.transfer(Accounts.CLEARING_HOUSE, counterparty, asset, holderRealized, BalanceReason.REALIZED_PNL,
            tradeId);
        markTouched(counterparty);
        positions.releaseIfEmpty(holderSlot);
        return true;
    }

    private void emitTradeSide(
        final long tradeId,
        final int accountId,
        final int instrumentId,
        final boolean buy,
        final Liquidity liquidity,
        final long price,
        final long quantity,
        final long positionAfter,
        final long realized)
    {
        events.tradeSettled()
            .tradeId(tradeId)
            .accountId(accountId)
            .orderId(0)
            .instrumentId(instrumentId)
            .side(buy ? Side.BUY : Side.SELL)
            .liquidity(liquidity)
            .price(price)
            .quantity(quantity)
            .positionAfter(positionAfter)
            .realizedPnl(realized)
            .fee(0)
            .orderRemaining(0);
    }

    // ------------------------------------------------------------------------------------------------ rejection

    private void reject(
        final RejectReason reason,
        final int accountId,
        final long referenceId,
        final long requested,
        final long available)
    {
        rejected = true;
        events.commandRejected()
            .commandTemplateId(templateId)
            .reason(reason)
            .accountId(accountId)
            .referenceId(referenceId)
            .requested(requested)
            .available(available);
    }

    // ------------------------------------------------------------------------------------------------ inspection

    /** @return the accounts (read-only use: tests, summaries, snapshots). */
    public Accounts accounts()
    {
        return accounts;
    }

    /** @return instruments, underlyings and assets (read-only use). */
    public Instruments instruments()
    {
        return instruments;
    }

    /** @return positions (read-only use). */
    public Positions positions()
    {
        return positions;
    }

    /** @return open orders (read-only use). */
    public Orders orders()
    {
        return orders;
    }

    /** @return the live risk parameters (read-only use). */
    public RiskParameters parameters()
    {
        return parameters;
    }

    /** @return the ledger: balances' deposit and withdrawal totals and the conservation check. */
    public Ledger ledger()
    {
        return ledger;
    }

    /** @return engine time: the timestamp of the last accepted command. */
    public long now()
    {
        return now;
    }

    /**
     * Evaluates an account at current prices without changing anything (for statements and reports).
     *
     * @param accountId an open account.
     * @param out       receives {state, collateral value, unrealized PnL, equity, initial margin, maintenance margin,
     *                  open-order margin, isolated initial margin}, money in 1e-8 margin currency.
     */
    public void evaluate(final int accountId, final long[] out)
    {
        // A report is not engine work: the evaluation counter stays a function of the commands (it is snapshotted).
        final long counted = evaluations;
        computeReport(accountId);
        evaluations = counted;
        out[0] = evalState;
        out[1] = evalCollateral;
        out[2] = evalUnrealized;
        out[3] = evalEquity;
        out[4] = evalInitialMargin;
        out[5] = evalMaintenanceMargin;
        out[6] = evalInitialMarginWithOrders - evalInitialMargin;
        out[7] = evalIsolated;
    }

    /** @return account evaluations (margin computations) done by commands since the first command. */
    public long evaluations()
    {
        return evaluations;
    }

    /** @return accounts popped by price bands since start (re-evaluations caused by ticks). */
    public long triggeredEvaluations()
    {
        return triggeredEvaluations;
    }

    /** @return price bands registered since start. */
    public long bandRegistrations()
    {
        return watch.registrations();
    }

    /**
     * @return band edges registered again that kept their standing place since this machine was built or restored
     * (PriceWatch.keptEdges): a diagnostic, not part of the state.
     */
    public long keptBandEdges()
    {
        return watch.keptEdges();
    }

    /**
     * Initial margin summed over every open user account with positions, cross-margined and isolated, exactly: the sums
     * of 100,000 accounts' margins need not fit a long (each account's may be near its cap), so they are not wrapped.
     *
     * @param crossInitialMargin    the accounts' cross-margined initial margins (1e-8 settlement asset).
     * @param isolatedInitialMargin the same accounts' margins with every instrument margined alone.
     * @param accountsWithPositions the accounts summed.
     */
    public record MarginTotals(BigInteger crossInitialMargin, BigInteger isolatedInitialMargin,
        long accountsWithPositions)
    {
        /** @return isolated over cross initial margin (what cross-margining saves), 0 with no cross margin. */
        public double capitalEfficiency()
        {
            return crossInitialMargin.signum() == 0 ? 0.0 : new BigDecimal(isolatedInitialMargin)
                .divide(new BigDecimal(crossInitialMargin), MathContext.DECIMAL64).doubleValue();
        }
    }

    /**
     * Re-evaluates every open user account at current prices (without changing anything) and sums cross and
     * isolated initial margin exactly. Linear in accounts and allocating: for summaries, not the hot path.
     *
     * @return the sums and the number of accounts with positions.
     */
    public MarginTotals marginTotals()
    {
        final long counted = evaluations;
        calculator.withIsolated(true);
        fullWalk = true;
        BigInteger cross = BigInteger.ZERO;
        BigInteger isolated = BigInteger.ZERO;
        long withRisk = 0;
        for (int id = Accounts.FIRST_USER_ACCOUNT; id < accounts.capacity(); id++)
        {
            if (accounts.isOpen(id) && accounts.positionCount(id) > 0)
            {
                compute(id);
                cross = cross.add(BigInteger.valueOf(evalInitialMargin));
                isolated = isolated.add(BigInteger.valueOf(evalIsolated));
                withRisk++;
            }
        }
        calculator.withIsolated(false);
        fullWalk = false;
        evaluations = counted;
        return new MarginTotals(cross, isolated, withRisk);
    }

    // ------------------------------------------------------------------------------------------------ snapshots

    /** @return the margin calculator (SnapshotCodec). */
    MarginCalculator calculator()
    {
        return calculator;
    }

    /** @return the price watch (SnapshotCodec). */
    PriceWatch watch()
    {
        return watch;
    }

    /** @return the margin currency asset, -1 before one is defined. */
    int marginAsset()
    {
        return marginAsset;
    }

    /** @return liquidation and deleverage trades so far. */
    long liquidationTrades()
    {
        return liquidationTrades;
    }

    /** @return engine time of the option's last re-pricing, 0 if never. */
    long lastOptionRefresh(final int instrumentId)
    {
        return lastOptionRefresh[instrumentId];
    }

    /** Restores the scalars of a snapshot into a machine that has applied nothing. */
    void restoreScalars(final long engineTime, final int marginAssetId, final long liquidationTradeCount,
        final long evaluationCount, final long triggeredEvaluationCount)
    {
        now = engineTime;
        marginAsset = marginAssetId;
        liquidationTrades = liquidationTradeCount;
        evaluations = evaluationCount;
        triggeredEvaluations = triggeredEvaluationCount;
    }

    /**
     * Re-registers a restored instrument with the calculator and the option lists, as its definition did (same
     * calls, same order), and restores its last re-pricing time; its market state is restored after this.
     */
    void restoreInstrument(final int id, final long lastRefresh)
    {
        final int underlying = instruments.underlying(id);
        if (instruments.isOption(id))
        {
            calculator.defineOption(id, underlying, instruments.kind(id) == Instruments.CALL,
                instruments.contractSize(id), instruments.strike(id), instruments.expiry(id));
            optionsByUnderlying[underlying].addInt(id);
        }
        else
        {
            calculator.defineFuture(id, underlying, instruments.contractSize(id), instruments.expiry(id));
            if (instruments.isSettled(id))
            {
                calculator.settleFuture(id);
            }
        }
        lastOptionRefresh[id] = lastRefresh;
    }

}
