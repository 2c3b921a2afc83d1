package io.clearing.settlement;

import io.clearing.sbe.AccountCapacityChangedEncoder;
import io.clearing.sbe.AccountRiskReportEncoder;
import io.clearing.sbe.AssetDefinedEncoder;
import io.clearing.sbe.AutoDeleverageEncoder;
import io.clearing.sbe.BalanceChangedEncoder;
import io.clearing.sbe.CommandRejectedEncoder;
import io.clearing.sbe.ExpirySettledEncoder;
import io.clearing.sbe.FundingSettledEncoder;
import io.clearing.sbe.InstrumentDefinedEncoder;
import io.clearing.sbe.InsurancePayoutEncoder;
import io.clearing.sbe.LiquidationTradeEncoder;
import io.clearing.sbe.MarginStatusEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.OrderAcceptedEncoder;
import io.clearing.sbe.OrderCancelledEncoder;
import io.clearing.sbe.OrderRejectedEncoder;
import io.clearing.sbe.RiskParameterChangedEncoder;
import io.clearing.sbe.TradeSettledEncoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The events one command produces, encoded as SBE frames one after another, each preceded by its int32 length: the
 * events region of a journal document. Encoders are wrapped in place ({@code begin*} returns the encoder positioned at
 * the next frame); nothing is allocated once the buffer has grown to its working size. Not thread-safe.
 */
public final class EventWriter
{
    private static final int LENGTH_PREFIX = 4;

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64 * 1024);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final CommandRejectedEncoder commandRejected = new CommandRejectedEncoder();
    private final AssetDefinedEncoder assetDefined = new AssetDefinedEncoder();
    private final InstrumentDefinedEncoder instrumentDefined = new InstrumentDefinedEncoder();
    private final RiskParameterChangedEncoder riskParameterChanged = new RiskParameterChangedEncoder();
    private final AccountCapacityChangedEncoder accountCapacityChanged = new AccountCapacityChangedEncoder();
    private final OrderAcceptedEncoder orderAccepted = new OrderAcceptedEncoder();
    private final OrderRejectedEncoder orderRejected = new OrderRejectedEncoder();
    private final OrderCancelledEncoder orderCancelled = new OrderCancelledEncoder();
    private final TradeSettledEncoder tradeSettled = new TradeSettledEncoder();
    private final BalanceChangedEncoder balanceChanged = new BalanceChangedEncoder();
    private final MarginStatusEncoder marginStatus = new MarginStatusEncoder();
    private final FundingSettledEncoder fundingSettled = new FundingSettledEncoder();
    private final ExpirySettledEncoder expirySettled = new ExpirySettledEncoder();
    private final LiquidationTradeEncoder liquidationTrade = new LiquidationTradeEncoder();
    private final InsurancePayoutEncoder insurancePayout = new InsurancePayoutEncoder();
    private final AutoDeleverageEncoder autoDeleverage = new AutoDeleverageEncoder();
    private final AccountRiskReportEncoder accountRiskReport = new AccountRiskReportEncoder();

    private int length;
    private int count;

    /** Discards all events: the start of a command, or a rollback when the command is rejected. */
    public void reset()
    {
        length = 0;
        count = 0;
    }

    /** @return bytes written: the events region. */
    public int length()
    {
        return length;
    }

    /** @return number of event frames written. */
    public int count()
    {
        return count;
    }

    /** @return the buffer holding the events region from offset 0. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** @return a mark to roll back to with {@link #rollback(int, int)}. */
    public int mark()
    {
        return length;
    }

    /**
     * Drops events written after a mark.
     *
     * @param markLength value of {@link #mark()}.
     * @param markCount  value of {@link #count()} at the same time.
     */
    public void rollback(final int markLength, final int markCount)
    {
        length = markLength;
        count = markCount;
    }

    private int frame(final int blockLength)
    {
        final int frameLength = MessageHeaderEncoder.ENCODED_LENGTH + blockLength;
        buffer.checkLimit(length + LENGTH_PREFIX + frameLength);
        buffer.putInt(length, frameLength, java.nio.ByteOrder.LITTLE_ENDIAN);
        final int offset = length + LENGTH_PREFIX;
        length = offset + frameLength;
        count++;
        return offset;
    }

    private MutableDirectBuffer buf()
    {
        return buffer;
    }

    /** @return a CommandRejected encoder for the next frame. */
    public CommandRejectedEncoder commandRejected()
    {
        return commandRejected.wrapAndApplyHeader(buf(), frame(CommandRejectedEncoder.BLOCK_LENGTH), header);
    }

    /** @return an AssetDefined encoder for the next frame. */
    public AssetDefinedEncoder assetDefined()
    {
        return assetDefined.wrapAndApplyHeader(buf(), frame(AssetDefinedEncoder.BLOCK_LENGTH), header);
    }

    /** @return an InstrumentDefined encoder for the next frame. */
    public InstrumentDefinedEncoder instrumentDefined()
    {
        return instrumentDefined.wrapAndApplyHeader(buf(), frame(InstrumentDefinedEncoder.BLOCK_LENGTH), header);
    }

    /** @return a RiskParameterChanged encoder for the next frame. */
    public RiskParameterChangedEncoder riskParameterChanged()
    {
        return riskParameterChanged.wrapAndApplyHeader(
            buf(), frame(RiskParameterChangedEncoder.BLOCK_LENGTH), header);
    }

    /** @return an AccountCapacityChanged encoder for the next frame. */
    public AccountCapacityChangedEncoder accountCapacityChanged()
    {
        return accountCapacityChanged.wrapAndApplyHeader(
            buf(), frame(AccountCapacityChangedEncoder.BLOCK_LENGTH), header);
    }

    /** @return an OrderAccepted encoder for the next frame. */
    public OrderAcceptedEncoder orderAccepted()
    {
        return orderAccepted.wrapAndApplyHeader(buf(), frame(OrderAcceptedEncoder.BLOCK_LENGTH), header);
    }

    /** @return an OrderRejected encoder for the next frame. */
    public OrderRejectedEncoder orderRejected()
    {
        return orderRejected.wrapAndApplyHeader(buf(), frame(OrderRejectedEncoder.BLOCK_LENGTH), header);
    }

    /** @return an OrderCancelled encoder for the next frame. */
    public OrderCancelledEncoder orderCancelled()
    {
        return orderCancelled.wrapAndApplyHeader(buf(), frame(OrderCancelledEncoder.BLOCK_LENGTH), header);
    }

    /** @return a TradeSettled encoder for the next frame. */
    public TradeSettledEncoder tradeSettled()
    {
        return tradeSettled.wrapAndApplyHeader(buf(), frame(TradeSettledEncoder.BLOCK_LENGTH), header);
    }

    /** @return a BalanceChanged encoder for the next frame. */
    public BalanceChangedEncoder balanceChanged()
    {
        return balanceChanged.wrapAndApplyHeader(buf(), frame(BalanceChangedEncoder.BLOCK_LENGTH), header);
    }

    /** @return a MarginStatus encoder for the next frame. */
    public MarginStatusEncoder marginStatus()
    {
        return marginStatus.wrapAndApplyHeader(buf(), frame(MarginStatusEncoder.BLOCK_LENGTH), header);
    }

    /** @return a FundingSettled encoder for the next frame. */
    public FundingSettledEncoder fundingSettled()
    {
        return fundingSettled.wrapAndApplyHeader(buf(), frame(FundingSettledEncoder.BLOCK_LENGTH), header);
    }

    /** @return an ExpirySettled encoder for the next frame. */
    public ExpirySettledEncoder expirySettled()
    {
        return expirySettled.wrapAndApplyHeader(buf(), frame(ExpirySettledEncoder.BLOCK_LENGTH), header);
    }

    /** @return a LiquidationTrade encoder for the next frame. */
    public LiquidationTradeEncoder liquidationTrade()
    {
        return liquidationTrade.wrapAndApplyHeader(buf(), frame(LiquidationTradeEncoder.BLOCK_LENGTH), header);
    }

    /** @return an InsurancePayout encoder for the next frame. */
    public InsurancePayoutEncoder insurancePayout()
    {
        return insurancePayout.wrapAndApplyHeader(buf(), frame(InsurancePayoutEncoder.BLOCK_LENGTH), header);
    }

    /** @return an AutoDeleverage encoder for the next frame. */
    public AutoDeleverageEncoder autoDeleverage()
    {
        return autoDeleverage.wrapAndApplyHeader(buf(), frame(AutoDeleverageEncoder.BLOCK_LENGTH), header);
    }

    /** @return an AccountRiskReport encoder for the next frame. */
    public AccountRiskReportEncoder accountRiskReport()
    {
        return accountRiskReport.wrapAndApplyHeader(buf(), frame(AccountRiskReportEncoder.BLOCK_LENGTH), header);
    }
}
