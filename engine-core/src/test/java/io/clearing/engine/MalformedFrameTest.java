package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.Side;
import io.clearing.sbe.WithdrawalEncoder;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.Limits;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every malformed or invalid command is answered by exactly one CommandRejected with its specific reason, and the
 * state machine goes on: a following valid deposit still produces a BalanceChanged.
 */
final class MalformedFrameTest
{
    private static final int CAPACITY = 1024;
    private static final int ACCOUNT = 16;
    private static final int ASSET = 0;
    private static final int INSTRUMENT = 0;
    private static final long FUNDED = 1_000_000L * 100_000_000L;
    private static final int LENGTH_PREFIX = 4;
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final MessageHeaderDecoder eventHeader = new MessageHeaderDecoder();
    private final CommandRejectedDecoder rejected = new CommandRejectedDecoder();
    private final EventWriter events = new EventWriter();
    private ClearingStateMachine machine;
    private long time = 1_767_225_600_000_000_000L;

    @BeforeEach
    void setUp()
    {
        machine = new ClearingStateMachine(CAPACITY, new RiskParameters());
        applyBody(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).assetId(ASSET).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
        assertEquals(1, events.count());
        applyBody(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).instrumentId(INSTRUMENT).kind(InstrumentKind.PERPETUAL).underlyingId(0)
            .settlementAssetId(ASSET).strike(0).expiryTimestamp(0).contractSize(100_000L).makerFeePpm(0)
            .takerFeePpm(0).encodedLength());
        assertNotRejected();
        applyBody(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).underlyingId(0).price(65_000L * 100_000_000L).encodedLength());
        assertNotRejected();
        apply(markPrice(65_000L * 100_000_000L, 0.0));
        assertNotRejected();
        apply(deposit(ACCOUNT, ASSET, FUNDED));
        assertNotRejected();
    }

    @Test
    void frameShorterThanHeaderIsTruncated()
    {
        deposit(ACCOUNT, ASSET, 1);
        applyLength(HEADER - 3);
        assertRejected(RejectReason.TRUNCATED_FRAME);
        assertEngineGoesOn();
    }

    @Test
    void truncatedBodyIsTruncated()
    {
        deposit(ACCOUNT, ASSET, 1);
        applyLength(HEADER + DepositEncoder.BLOCK_LENGTH - 6);
        assertRejected(RejectReason.TRUNCATED_FRAME);
        assertEngineGoesOn();
    }

    @Test
    void wrongSchemaIdIsRejected()
    {
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).schemaId(MessageHeaderEncoder.SCHEMA_ID + 1);
        applyLength(length);
        assertRejected(RejectReason.WRONG_SCHEMA_ID);
        assertEngineGoesOn();
    }

    @Test
    void versionZeroIsUnsupported()
    {
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).version(0);
        applyLength(length);
        assertRejected(RejectReason.UNSUPPORTED_VERSION);
        assertEngineGoesOn();
    }

    @Test
    void aVersionAboveTheSchemasIsUnsupported()
    {
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).version(ClearingStateMachine.SCHEMA_VERSION + 1);
        applyLength(length);
        assertRejected(RejectReason.UNSUPPORTED_VERSION);
        assertEngineGoesOn();
    }

    /** Schema version 2 changed no command's layout: a client still writing version 1 frames is served. */
    @Test
    void versionOneCommandsAreStillRead()
    {
        final long before = machine.accounts().balance(ACCOUNT, ASSET);
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).version(1);
        applyLength(length);
        assertEquals(before + 1, machine.accounts().balance(ACCOUNT, ASSET));
    }

    @Test
    void unknownTemplateIsRejected()
    {
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).templateId(77);
        applyLength(length);
        assertRejected(RejectReason.UNKNOWN_TEMPLATE);
        assertEquals(77, rejected.commandTemplateId());
        assertEngineGoesOn();
    }

    @Test
    void eventTemplateSentAsCommandIsRejected()
    {
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).templateId(BalanceChangedDecoder.TEMPLATE_ID);
        applyLength(length);
        assertRejected(RejectReason.UNKNOWN_TEMPLATE);
        assertEquals(BalanceChangedDecoder.TEMPLATE_ID, rejected.commandTemplateId());
        assertEngineGoesOn();
    }

    @Test
    void wrongBlockLengthIsRejected()
    {
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).blockLength(DepositEncoder.BLOCK_LENGTH - 4);
        applyLength(length);
        assertRejected(RejectReason.WRONG_BLOCK_LENGTH);
        assertEquals(DepositEncoder.BLOCK_LENGTH - 4, rejected.referenceId());
        assertEquals(DepositEncoder.BLOCK_LENGTH, rejected.requested());
        assertEngineGoesOn();
    }

    @Test
    void trailingBytesAreTooLong()
    {
        final int length = deposit(ACCOUNT, ASSET, 1);
        applyLength(length + 4);
        assertRejected(RejectReason.FRAME_TOO_LONG);
        assertEngineGoesOn();
    }

    @Test
    void nanVolatilityIsNonFinite()
    {
        apply(markPrice(65_000L * 100_000_000L, Double.NaN));
        assertRejected(RejectReason.NON_FINITE_VALUE);
        assertEngineGoesOn();
    }

    @Test
    void positiveInfiniteVolatilityIsNonFinite()
    {
        apply(markPrice(65_000L * 100_000_000L, Double.POSITIVE_INFINITY));
        assertRejected(RejectReason.NON_FINITE_VALUE);
        assertEngineGoesOn();
    }

    @Test
    void negativeInfiniteVolatilityIsNonFinite()
    {
        apply(markPrice(65_000L * 100_000_000L, Double.NEGATIVE_INFINITY));
        assertRejected(RejectReason.NON_FINITE_VALUE);
        assertEngineGoesOn();
    }

    @Test
    void negativeDepositIsOutOfRange()
    {
        apply(deposit(ACCOUNT, ASSET, -5));
        assertRejected(RejectReason.VALUE_OUT_OF_RANGE);
        assertEngineGoesOn();
    }

    @Test
    void zeroDepositIsOutOfRange()
    {
        apply(deposit(ACCOUNT, ASSET, 0));
        assertRejected(RejectReason.VALUE_OUT_OF_RANGE);
        assertEngineGoesOn();
    }

    @Test
    void negativePriceIsOutOfRange()
    {
        apply(markPrice(-1, 0.0));
        assertRejected(RejectReason.VALUE_OUT_OF_RANGE);
        assertEngineGoesOn();
    }

    @Test
    void nullSideIsInvalidEnum()
    {
        final int length = newOrder(1, ACCOUNT, INSTRUMENT);
        buffer.putByte(HEADER + NewOrderEncoder.sideEncodingOffset(), (byte)Side.NULL_VAL.value());
        applyLength(length);
        assertRejected(RejectReason.INVALID_ENUM);
        assertEngineGoesOn();
    }

    @Test
    void invalidSideIsInvalidEnum()
    {
        final int length = newOrder(1, ACCOUNT, INSTRUMENT);
        buffer.putByte(HEADER + NewOrderEncoder.sideEncodingOffset(), (byte)9);
        applyLength(length);
        assertRejected(RejectReason.INVALID_ENUM);
        assertEngineGoesOn();
    }

    @Test
    void accountBeyondCapacityIsIdOutOfRange()
    {
        apply(deposit(5000, ASSET, 1));
        assertRejected(RejectReason.ID_OUT_OF_RANGE);
        assertEngineGoesOn();
    }

    @Test
    void withdrawalFromNeverFundedAccountIsUnknownAccount()
    {
        applyBody(new WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).accountId(ACCOUNT + 1).assetId(ASSET).amount(1).encodedLength());
        assertRejected(RejectReason.UNKNOWN_ACCOUNT);
        assertEngineGoesOn();
    }

    @Test
    void orderOnUndefinedInstrumentIsUnknownInstrument()
    {
        apply(newOrder(1, ACCOUNT, INSTRUMENT + 5));
        assertRejected(RejectReason.UNKNOWN_INSTRUMENT);
        assertEngineGoesOn();
    }

    @Test
    void depositOfUndefinedAssetIsUnknownAsset()
    {
        apply(deposit(ACCOUNT, 3, 1));
        assertRejected(RejectReason.UNKNOWN_ASSET);
        assertEngineGoesOn();
    }

    @Test
    void earlierTimestampIsTimeWentBackwards()
    {
        final long latest = time;
        time -= 10;
        apply(deposit(ACCOUNT, ASSET, 1));
        assertRejected(RejectReason.TIME_WENT_BACKWARDS);
        assertEquals(latest, machine.now());
        time = latest;
        assertEngineGoesOn();
    }

    @Test
    void depositBeyondBalanceLimitIsOutOfRange()
    {
        apply(deposit(ACCOUNT, ASSET, Limits.MAX_AMOUNT - FUNDED + 1));
        assertRejected(RejectReason.VALUE_OUT_OF_RANGE);
        assertEquals(FUNDED, machine.accounts().balance(ACCOUNT, ASSET));
        assertEngineGoesOn();
    }

    @Test
    void rejectedCommandsChangeNoBalance()
    {
        final long[] before = balances();
        apply(deposit(ACCOUNT, ASSET, Limits.MAX_AMOUNT - FUNDED + 1));
        assertRejected(RejectReason.VALUE_OUT_OF_RANGE);
        applyBody(new WithdrawalEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).accountId(ACCOUNT).assetId(ASSET).amount(FUNDED + 1).encodedLength());
        assertRejected(RejectReason.INSUFFICIENT_BALANCE);
        apply(deposit(ACCOUNT, ASSET, -1));
        assertRejected(RejectReason.VALUE_OUT_OF_RANGE);
        final int length = deposit(ACCOUNT, ASSET, 1);
        header.wrap(buffer, 0).version(ClearingStateMachine.SCHEMA_VERSION + 1);
        applyLength(length);
        assertRejected(RejectReason.UNSUPPORTED_VERSION);
        assertArrayEquals(before, balances());
        assertEquals(-1, machine.ledger().checkConservation());
    }

    private long[] balances()
    {
        final long[] balances = new long[CAPACITY * Limits.MAX_ASSETS];
        for (int account = 0; account < CAPACITY; account++)
        {
            for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
            {
                balances[account * Limits.MAX_ASSETS + asset] = machine.accounts().balance(account, asset);
            }
        }
        return balances;
    }

    private void assertEngineGoesOn()
    {
        final long before = machine.accounts().balance(ACCOUNT, ASSET);
        apply(deposit(ACCOUNT, ASSET, 7));
        assertNotRejected();
        boolean balanceChanged = false;
        for (int i = 0, offset = 0; i < events.count(); i++)
        {
            eventHeader.wrap(events.buffer(), offset + LENGTH_PREFIX);
            balanceChanged |= eventHeader.templateId() == BalanceChangedDecoder.TEMPLATE_ID;
            offset += LENGTH_PREFIX + events.buffer().getInt(offset, ByteOrder.LITTLE_ENDIAN);
        }
        assertEquals(true, balanceChanged, "a valid deposit yields BalanceChanged");
        assertEquals(before + 7, machine.accounts().balance(ACCOUNT, ASSET));
    }

    private void assertRejected(final RejectReason reason)
    {
        assertEquals(1, events.count(), "exactly one event");
        eventHeader.wrap(events.buffer(), LENGTH_PREFIX);
        assertEquals(CommandRejectedDecoder.TEMPLATE_ID, eventHeader.templateId());
        rejected.wrap(events.buffer(), LENGTH_PREFIX + HEADER, eventHeader.blockLength(), eventHeader.version());
        assertEquals(reason, rejected.reason());
        assertEquals(LENGTH_PREFIX + HEADER + CommandRejectedDecoder.BLOCK_LENGTH, events.length());
    }

    private void assertNotRejected()
    {
        for (int i = 0, offset = 0; i < events.count(); i++)
        {
            eventHeader.wrap(events.buffer(), offset + LENGTH_PREFIX);
            assertEquals(false, eventHeader.templateId() == CommandRejectedDecoder.TEMPLATE_ID, "rejected");
            offset += LENGTH_PREFIX + events.buffer().getInt(offset, ByteOrder.LITTLE_ENDIAN);
        }
    }

    private int deposit(final int account, final int asset, final long amount)
    {
        return new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).accountId(account).assetId(asset).amount(amount).encodedLength() + HEADER;
    }

    private int markPrice(final long price, final double volatility)
    {
        return new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).instrumentId(INSTRUMENT).price(price).impliedVolatility(volatility).encodedLength() +
            HEADER;
    }

    private int newOrder(final long orderId, final int account, final int instrument)
    {
        return new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(++time).orderId(orderId).accountId(account).instrumentId(instrument).side(Side.BUY)
            .price(65_000L * 100_000_000L).quantity(1).reduceOnly(BooleanType.FALSE).encodedLength() + HEADER;
    }

    private void apply(final int length)
    {
        applyLength(length);
    }

    private void applyBody(final int bodyLength)
    {
        applyLength(HEADER + bodyLength);
    }

    private void applyLength(final int length)
    {
        machine.apply(buffer, 0, length, events);
    }
}
