package io.clearing.sbe.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MarkPriceDecoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.NewOrderEncoder;
import io.clearing.sbe.RiskParameterUpdateDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SbeJsonCodecFrameTest
{
    private static final SbeJsonCodec CODEC = SbeJsonCodec.load();
    private static final String TIME_ADVANCE = "{\"type\":\"TimeAdvance\",\"timestamp\":1700000000000000000}";
    private static final String DEPOSIT =
        "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amount\":6500050000000}";

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);

    @Test
    void writesHeaderFromTheSchema()
    {
        final int length = CODEC.encode(DEPOSIT, buffer, 3);
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, 3);

        assertEquals(8 + 24, length);
        assertEquals(24, header.blockLength());
        assertEquals(DepositEncoder.TEMPLATE_ID, header.templateId());
        assertEquals(1729, header.schemaId());
        assertEquals(2, header.version());
    }

    @Test
    void writesFieldsLittleEndianAtSchemaOffsets()
    {
        CODEC.encode(DEPOSIT, buffer, 0);

        assertEquals(1L, buffer.getLong(8, ByteOrder.LITTLE_ENDIAN));
        assertEquals(7, buffer.getInt(16, ByteOrder.LITTLE_ENDIAN));
        assertEquals(0, buffer.getInt(20, ByteOrder.LITTLE_ENDIAN));
        assertEquals(6_500_050_000_000L, buffer.getLong(24, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void acceptsInt32Extremes()
    {
        final String json = "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":2147483647,\"assetId\":-2147483648," +
            "\"amount\":100}";

        final int length = CODEC.encode(json, buffer, 0);

        assertEquals(json, CODEC.toJson(buffer, 0, length));
    }

    @Test
    void acceptsInt64Extremes()
    {
        final String json = "{\"type\":\"Deposit\",\"timestamp\":-9223372036854775808,\"accountId\":7,\"assetId\":0," +
            "\"amount\":9223372036854775807}";

        final int length = CODEC.encode(json, buffer, 0);

        assertEquals(json, CODEC.toJson(buffer, 0, length));
    }

    @Test
    void acceptsRawUint16EnumMaxAndDecodesItAsNumber()
    {
        final String json = "{\"type\":\"RiskParameterUpdate\",\"timestamp\":1,\"parameter\":65535,\"underlyingId\":-1,\"value\":5}";

        final int length = CODEC.encode(json, buffer, 0);

        assertEquals(65535, new RiskParameterUpdateDecoder().wrap(buffer, 8, RiskParameterUpdateDecoder.BLOCK_LENGTH, 1).parameterRaw());
        assertEquals(json, CODEC.toJson(buffer, 0, length));
    }

    @Test
    void acceptsRawNumberOfADefinedEnumValueAndDecodesItByName()
    {
        final int length = CODEC.encode(
            "{\"type\":\"RiskParameterUpdate\",\"timestamp\":1,\"parameter\":10,\"underlyingId\":-1,\"value\":5}", buffer, 0);

        assertEquals(
            "{\"type\":\"RiskParameterUpdate\",\"timestamp\":1,\"parameter\":\"LIQUIDATION_PENALTY_PPM\",\"underlyingId\":-1,\"value\":5}",
            CODEC.toJson(buffer, 0, length));
    }

    @Test
    void decodesUndefinedEnumValueAsItsNumber()
    {
        final int length = CODEC.encode(
            "{\"type\":\"NewOrder\",\"timestamp\":1,\"orderId\":2,\"accountId\":3,\"instrumentId\":4,\"side\":\"BUY\"," +
            "\"price\":5,\"quantity\":6,\"reduceOnly\":\"FALSE\"}", buffer, 0);
        buffer.putByte(8 + NewOrderEncoder.sideEncodingOffset(), (byte)9);

        assertEquals(
            "{\"type\":\"NewOrder\",\"timestamp\":1,\"orderId\":2,\"accountId\":3,\"instrumentId\":4,\"side\":9," +
            "\"price\":5,\"quantity\":6,\"reduceOnly\":\"FALSE\"}",
            CODEC.toJson(buffer, 0, length));
    }

    @Test
    void writesNaNAsGiven()
    {
        final int length = CODEC.encode(markPrice("\"NaN\""), buffer, 0);

        assertEquals(Double.NaN, new MarkPriceDecoder().wrap(buffer, 8, 28, 1).impliedVolatility());
        assertEquals(markPrice("\"NaN\""), CODEC.toJson(buffer, 0, length));
    }

    @Test
    void writesPositiveInfinityAsGiven()
    {
        final int length = CODEC.encode(markPrice("\"Infinity\""), buffer, 0);

        assertEquals(Double.POSITIVE_INFINITY, new MarkPriceDecoder().wrap(buffer, 8, 28, 1).impliedVolatility());
        assertEquals(markPrice("\"Infinity\""), CODEC.toJson(buffer, 0, length));
    }

    @Test
    void writesNegativeInfinityAsGiven()
    {
        final int length = CODEC.encode(markPrice("\"-Infinity\""), buffer, 0);

        assertEquals(Double.NEGATIVE_INFINITY, new MarkPriceDecoder().wrap(buffer, 8, 28, 1).impliedVolatility());
        assertEquals(markPrice("\"-Infinity\""), CODEC.toJson(buffer, 0, length));
    }

    @Test
    void acceptsIntegerForDoubleField()
    {
        final int length = CODEC.encode(markPrice("2"), buffer, 0);

        assertEquals(markPrice("2.0"), CODEC.toJson(buffer, 0, length));
    }

    @Test
    void rejectsFrameShorterThanHeader()
    {
        CODEC.encode(TIME_ADVANCE, buffer, 0);

        assertDecodeError("truncated frame: 7 bytes, shorter than the 8-byte message header", 7);
    }

    @Test
    void rejectsFrameShorterThanHeaderPlusBlockLength()
    {
        CODEC.encode(TIME_ADVANCE, buffer, 0);

        assertDecodeError("truncated frame: 15 bytes, TimeAdvance header says 8 + blockLength 8", 15);
    }

    @Test
    void rejectsUnknownTemplateId()
    {
        CODEC.encode(TIME_ADVANCE, buffer, 0);
        new MessageHeaderEncoder().wrap(buffer, 0).templateId(999);

        assertDecodeError("unknown templateId 999", 16);
    }

    @Test
    void rejectsOtherSchemaId()
    {
        CODEC.encode(TIME_ADVANCE, buffer, 0);
        new MessageHeaderEncoder().wrap(buffer, 0).schemaId(7);

        assertDecodeError("wrong schemaId 7, expected 1729", 16);
    }

    @Test
    void rejectsBlockLengthShorterThanSchema()
    {
        CODEC.encode(TIME_ADVANCE, buffer, 0);
        new MessageHeaderEncoder().wrap(buffer, 0).blockLength(4);

        assertDecodeError("TimeAdvance: blockLength 4 is shorter than the schema's 8", 16);
    }

    @Test
    void writeJsonEmbedsTheObjectAsAValue() throws IOException
    {
        final int length = CODEC.encode(TIME_ADVANCE, buffer, 0);
        final StringWriter out = new StringWriter();

        try (JsonGenerator generator = new JsonFactory().createGenerator(out))
        {
            generator.writeStartObject();
            generator.writeFieldName("event");
            CODEC.writeJson(buffer, 0, length, generator);
            generator.writeEndObject();
        }

        assertEquals("{\"event\":" + TIME_ADVANCE + "}", out.toString());
    }

    @Test
    void writeFieldsLetsTheCallerAddTheSequenceNumberToTheSameObject() throws IOException
    {
        final int length = CODEC.encode(TIME_ADVANCE, buffer, 0);
        final StringWriter out = new StringWriter();

        try (JsonGenerator generator = new JsonFactory().createGenerator(out))
        {
            generator.writeStartObject();
            generator.writeNumberField("seq", 12);
            CODEC.writeFields(buffer, 0, length, generator);
            generator.writeEndObject();
        }

        assertEquals("{\"seq\":12,\"type\":\"TimeAdvance\",\"timestamp\":1700000000000000000}", out.toString());
    }

    private static String markPrice(final String impliedVolatility)
    {
        return "{\"type\":\"MarkPrice\",\"timestamp\":1,\"instrumentId\":2,\"price\":3,\"impliedVolatility\":" +
            impliedVolatility + "}";
    }

    private void assertDecodeError(final String expectedMessage, final int length)
    {
        final JsonCommandException error = assertThrows(
            JsonCommandException.class, () -> CODEC.toJson(buffer, 0, length));

        assertEquals(expectedMessage, error.getMessage());
    }
}
