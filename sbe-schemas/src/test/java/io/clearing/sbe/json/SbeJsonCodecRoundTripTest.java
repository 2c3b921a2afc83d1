package io.clearing.sbe.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.clearing.sbe.BooleanType;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.FillEncoder;
import io.clearing.sbe.Liquidity;
import io.clearing.sbe.MarkPriceEncoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterUpdateEncoder;
import io.clearing.sbe.Side;
import io.clearing.sbe.TradeSettledEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

class SbeJsonCodecRoundTripTest
{
    private static final SbeJsonCodec CODEC = SbeJsonCodec.load();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int OFFSET = 5;
    private static final byte GARBAGE = (byte)0xA5;

    private final Random random = new Random(20240601L);
    private final UnsafeBuffer codecBuffer = new UnsafeBuffer(new byte[256]);
    private final UnsafeBuffer flyweightBuffer = new UnsafeBuffer(new byte[256]);

    @BeforeEach
    void fillWithGarbage()
    {
        codecBuffer.setMemory(0, codecBuffer.capacity(), GARBAGE);
        flyweightBuffer.setMemory(0, flyweightBuffer.capacity(), GARBAGE);
    }

    @Test
    void everyMessageTypeRoundTripsThroughJsonAndFrame()
    {
        for (final String type : CODEC.messageNames())
        {
            for (int iteration = 0; iteration < 50; iteration++)
            {
                final ObjectNode json = randomMessage(type);
                final String expected = json.toString();

                final int length = CODEC.encode(expected, codecBuffer, OFFSET);
                assertEquals(CODEC.frameLength(type), length, type);
                final String decoded = CODEC.toJson(codecBuffer, OFFSET, length);
                assertEquals(expected, decoded, type);

                final UnsafeBuffer again = new UnsafeBuffer(new byte[256]);
                final int againLength = CODEC.encode(decoded, again, OFFSET);
                assertArrayEquals(bytes(codecBuffer, length), bytes(again, againLength), type);
            }
        }
    }

    @Test
    void depositFrameEqualsGeneratedEncoder()
    {
        final ObjectNode json = randomMessage("Deposit");
        final DepositEncoder encoder = new DepositEncoder()
            .wrapAndApplyHeader(flyweightBuffer, OFFSET, new MessageHeaderEncoder())
            .timestamp(json.get("timestamp").longValue())
            .accountId(json.get("accountId").intValue())
            .assetId(json.get("assetId").intValue())
            .amount(json.get("amount").longValue());

        assertSameFrame(json, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    @Test
    void newOrderFrameEqualsGeneratedEncoder()
    {
        final ObjectNode json = randomMessage("NewOrder");
        final NewOrderEncoder encoder = new NewOrderEncoder()
            .wrapAndApplyHeader(flyweightBuffer, OFFSET, new MessageHeaderEncoder())
            .timestamp(json.get("timestamp").longValue())
            .orderId(json.get("orderId").longValue())
            .accountId(json.get("accountId").intValue())
            .instrumentId(json.get("instrumentId").intValue())
            .side(Side.valueOf(json.get("side").textValue()))
            .price(json.get("price").longValue())
            .quantity(json.get("quantity").longValue())
            .reduceOnly(BooleanType.valueOf(json.get("reduceOnly").textValue()));

        assertSameFrame(json, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    @Test
    void fillFrameEqualsGeneratedEncoder()
    {
        final ObjectNode json = randomMessage("Fill");
        final FillEncoder encoder = new FillEncoder()
            .wrapAndApplyHeader(flyweightBuffer, OFFSET, new MessageHeaderEncoder())
            .timestamp(json.get("timestamp").longValue())
            .tradeId(json.get("tradeId").longValue())
            .instrumentId(json.get("instrumentId").intValue())
            .price(json.get("price").longValue())
            .quantity(json.get("quantity").longValue())
            .makerOrderId(json.get("makerOrderId").longValue())
            .makerAccountId(json.get("makerAccountId").intValue())
            .takerOrderId(json.get("takerOrderId").longValue())
            .takerAccountId(json.get("takerAccountId").intValue())
            .takerSide(Side.valueOf(json.get("takerSide").textValue()));

        assertSameFrame(json, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    @Test
    void tradeSettledFrameEqualsGeneratedEncoder()
    {
        final ObjectNode json = randomMessage("TradeSettled");
        final TradeSettledEncoder encoder = new TradeSettledEncoder()
            .wrapAndApplyHeader(flyweightBuffer, OFFSET, new MessageHeaderEncoder())
            .tradeId(json.get("tradeId").longValue())
            .accountId(json.get("accountId").intValue())
            .orderId(json.get("orderId").longValue())
            .instrumentId(json.get("instrumentId").intValue())
            .side(Side.valueOf(json.get("side").textValue()))
            .liquidity(Liquidity.valueOf(json.get("liquidity").textValue()))
            .price(json.get("price").longValue())
            .quantity(json.get("quantity").longValue())
            .positionAfter(json.get("positionAfter").longValue())
            .realizedPnl(json.get("realizedPnl").longValue())
            .fee(json.get("fee").longValue())
            .orderRemaining(json.get("orderRemaining").longValue());

        assertSameFrame(json, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    @Test
    void markPriceFrameEqualsGeneratedEncoder()
    {
        final ObjectNode json = randomMessage("MarkPrice");
        json.put("impliedVolatility", 0.65);
        final MarkPriceEncoder encoder = new MarkPriceEncoder()
            .wrapAndApplyHeader(flyweightBuffer, OFFSET, new MessageHeaderEncoder())
            .timestamp(json.get("timestamp").longValue())
            .instrumentId(json.get("instrumentId").intValue())
            .price(json.get("price").longValue())
            .impliedVolatility(0.65);

        assertSameFrame(json, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    @Test
    void riskParameterUpdateFrameEqualsGeneratedEncoder()
    {
        final ObjectNode json = randomMessage("RiskParameterUpdate");
        final RiskParameterUpdateEncoder encoder = new RiskParameterUpdateEncoder()
            .wrapAndApplyHeader(flyweightBuffer, OFFSET, new MessageHeaderEncoder())
            .timestamp(json.get("timestamp").longValue())
            .parameter(RiskParameter.valueOf(json.get("parameter").textValue()))
            .underlyingId(json.get("underlyingId").intValue())
            .value(json.get("value").longValue());

        assertSameFrame(json, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    private void assertSameFrame(final ObjectNode json, final int flyweightLength)
    {
        final int length = CODEC.encode(json.toString(), codecBuffer, OFFSET);

        assertEquals(flyweightLength, length);
        assertArrayEquals(bytes(flyweightBuffer, flyweightLength), bytes(codecBuffer, length));
        assertEquals(json.toString(), CODEC.toJson(flyweightBuffer, OFFSET, flyweightLength));
    }

    private static byte[] bytes(final UnsafeBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(OFFSET, bytes);
        return bytes;
    }

    private ObjectNode randomMessage(final String type)
    {
        final ObjectNode json = MAPPER.createObjectNode();
        json.put("type", type);
        for (final FieldInfo field : CODEC.fields(type))
        {
            json.set(field.name(), randomValue(field));
        }
        return json;
    }

    private JsonNode randomValue(final FieldInfo field)
    {
        if (field.isEnum())
        {
            return TextNode.valueOf(field.enumValues().get(random.nextInt(field.enumValues().size())));
        }
        switch (field.type())
        {
            case "int32":
                return IntNode.valueOf((int)pick(Integer.MIN_VALUE, Integer.MAX_VALUE, random.nextInt()));
            case "int64":
                return LongNode.valueOf(pick(Long.MIN_VALUE, Long.MAX_VALUE, random.nextLong()));
            case "double":
                return randomDouble();
            default:
                return fail("no generator for " + field.type());
        }
    }

    /**
     * Mostly a random value, with the type's extremes and small numbers mixed in.
     */
    private long pick(final long min, final long max, final long randomValue)
    {
        switch (random.nextInt(8))
        {
            case 0: return min;
            case 1: return max;
            case 2: return random.nextInt(2001) - 1000;
            default: return randomValue;
        }
    }

    private JsonNode randomDouble()
    {
        switch (random.nextInt(10))
        {
            case 0: return TextNode.valueOf("NaN");
            case 1: return TextNode.valueOf("Infinity");
            case 2: return TextNode.valueOf("-Infinity");
            case 3: return DoubleNode.valueOf(-0.0);
            case 4: return DoubleNode.valueOf(Double.longBitsToDouble(random.nextLong() & 0x7FEF_FFFF_FFFF_FFFFL));
            default: return DoubleNode.valueOf(random.nextDouble() * 10.0);
        }
    }
}
