package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.CommandRejectedDecoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.ExpirySettlementPriceEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.IndexPriceEncoder;
import io.clearing.sbe.InstrumentDefinitionEncoder;
import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.OrderAcceptedDecoder;
import io.clearing.sbe.OrderRejectedDecoder;
import io.clearing.sbe.RejectReason;
import io.clearing.sbe.Side;
import io.clearing.sbe.TimeAdvanceEncoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Drives a ClearingStateMachine with SBE commands (test-only helper for the settlement review). */
/**
 * One state machine driven command by command, for tests of settlement rules on small books: USDC (asset 0, the
 * margin currency) defined, instruments on underlying 0 without fees, trades as two orders and a fill. Each command
 * returns the template ids of its events.
 */
final class CommandHarness
{
    static final long UNIT = 100_000_000L;
    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    final MessageHeaderEncoder header = new MessageHeaderEncoder();
    final EventWriter events = new EventWriter();
    final ClearingStateMachine machine = new ClearingStateMachine(1024, new RiskParameters());
    long time = 1_767_225_600_000_000_000L;
    long orderId = 1;
    long tradeId = 1;

    CommandHarness()
    {
        apply(new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).assetId(0).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000).encodedLength());
    }

    void index(final int underlying, final long priceUnits)
    {
        apply(new IndexPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).underlyingId(underlying).price(priceUnits).encodedLength());
    }

    void instrument(final int id, final InstrumentKind kind, final long size, final long strike, final long expiry)
    {
        instrument(id, kind, size, strike, expiry, 0);
    }

    void instrument(final int id, final InstrumentKind kind, final long size, final long strike, final long expiry,
        final int underlying)
    {
        final List<Integer> t = apply(new InstrumentDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(id).kind(kind).underlyingId(underlying)
            .settlementAssetId(0).strike(strike).expiryTimestamp(expiry).contractSize(size).makerFeePpm(0)
            .takerFeePpm(0).encodedLength());
        if (t.contains(CommandRejectedDecoder.TEMPLATE_ID))
        {
            throw new AssertionError("instrument rejected");
        }
    }

    List<Integer> mark(final int id, final long priceUnits, final double vol)
    {
        return apply(new MarkPriceEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).instrumentId(id).price(priceUnits).impliedVolatility(vol).encodedLength());
    }

    void deposit(final int account, final long amount)
    {
        final List<Integer> t = apply(new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).accountId(account).assetId(0).amount(amount).encodedLength());
        if (t.contains(CommandRejectedDecoder.TEMPLATE_ID))
        {
            throw new AssertionError("deposit rejected");
        }
    }

    long order(final int account, final int instrument, final Side side, final long priceUnits, final long quantity)
    {
        final long id = orderId++;
        final List<Integer> t = apply(new NewOrderEncoder().wrapAndApplyHeader(buffer, 0, header)
            .timestamp(time++).orderId(id).accountId(account).instrumentId(instrument).side(side)
            .price(priceUnits).quantity(quantity).reduceOnly(BooleanType.FALSE).encodedLength());
        if (!t.contains(OrderAcceptedDecoder.TEMPLATE_ID))
        {
            final List<RejectReason> reasons = new ArrayList<>();
            forEachEvent(events, (template, frames, frame, length, body, blockLength, version) ->
            {
                final RejectReason reason = rejection(template, frames, body, blockLength, version);
                if (reason != null)
                {
                    reasons.add(reason);
                }
            });
            throw new AssertionError("order rejected: events " + t + ", reasons " + reasons);
        }
        return id;
    }

    /** {@code buyer} takes (buys) {@code quantity} from {@code seller} at {@code priceUnits}. */
    List<Integer> trade(final int instrument, final int seller, final int buyer, final long priceUnits,
        final long quantity)
    {
        final long sell = order(seller, instrument, Side.SELL, priceUnits, quantity);
        final long buy = order(buyer, instrument, Side.BUY, priceUnits, quantity);
        final List<Integer> t = apply(new FillEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .tradeId(tradeId++).instrumentId(instrument).price(priceUnits).quantity(quantity).makerOrderId(sell)
            .makerAccountId(seller).takerOrderId(buy).takerAccountId(buyer).takerSide(Side.BUY).encodedLength());
        if (t.contains(CommandRejectedDecoder.TEMPLATE_ID))
        {
            throw new AssertionError("fill rejected");
        }
        return t;
    }

    List<Integer> advanceTo(final long timestamp)
    {
        time = timestamp;
        return apply(new TimeAdvanceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .encodedLength());
    }

    List<Integer> expire(final long expiry, final long priceUnits)
    {
        return apply(new ExpirySettlementPriceEncoder().wrapAndApplyHeader(buffer, 0, header).timestamp(time++)
            .underlyingId(0).expiryTimestamp(expiry).price(priceUnits).encodedLength());
    }

    long balance(final int account)
    {
        return machine.accounts().balance(account, 0);
    }

    long position(final int account, final int instrument)
    {
        final int slot = machine.positions().find(account, instrument);
        return slot < 0 ? 0 : machine.positions().quantity(slot);
    }

    long clearingHouse()
    {
        return balance(Accounts.CLEARING_HOUSE);
    }

    List<Integer> apply(final int bodyLength)
    {
        machine.apply(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, events);
        return forEachEvent(events, (template, frames, frame, length, body, blockLength, version) -> { });
    }

    /** What {@link #forEachEvent} hands over for each event. */
    interface EventVisitor
    {
        /**
         * @param templateId  the event's template.
         * @param buffer      the events' buffer, reused by the next command.
         * @param frame       offset of the event's SBE frame (its message header).
         * @param frameLength length of the frame.
         * @param body        offset of the event's body.
         * @param blockLength the body's block length.
         * @param version     the schema version it was written with.
         */
        void onEvent(int templateId, DirectBuffer buffer, int frame, int frameLength, int body, int blockLength,
            int version);
    }

    /** @return the reason of a CommandRejected or OrderRejected event, null for any other event. */
    static RejectReason rejection(final int templateId, final DirectBuffer buffer, final int body,
        final int blockLength, final int version)
    {
        if (templateId == CommandRejectedDecoder.TEMPLATE_ID)
        {
            return new CommandRejectedDecoder().wrap(buffer, body, blockLength, version).reason();
        }
        return templateId == OrderRejectedDecoder.TEMPLATE_ID ?
            new OrderRejectedDecoder().wrap(buffer, body, blockLength, version).reason() : null;
    }

    /**
     * Walks the events of the last command - length-prefixed SBE frames - in order. @return their template ids.
     */
    static List<Integer> forEachEvent(final EventWriter events, final EventVisitor visitor)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final List<Integer> templates = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < events.count(); i++)
        {
            final int length = events.buffer().getInt(offset, ByteOrder.LITTLE_ENDIAN);
            header.wrap(events.buffer(), offset + 4);
            templates.add(header.templateId());
            visitor.onEvent(header.templateId(), events.buffer(), offset + 4, length,
                offset + 4 + MessageHeaderEncoder.ENCODED_LENGTH, header.blockLength(), header.version());
            offset += 4 + length;
        }
        return templates;
    }
}
