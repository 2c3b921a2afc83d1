package io.clearing.sbe.json;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SbeJsonCodecEncodeErrorTest
{
    private static final SbeJsonCodec CODEC = SbeJsonCodec.load();

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);

    @Test
    void rejectsTextThatIsNotJson()
    {
        assertError(
            "not valid JSON at column 4: Unrecognized token 'not': was expecting (JSON String, Number, Array, " +
            "Object or token 'null', 'true' or 'false')",
            "not json");
    }

    @Test
    void rejectsTruncatedJson()
    {
        assertError(
            "not valid JSON at column 22: Unexpected end-of-input: expected close marker for Object (start marker " +
            "at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1])",
            "{\"type\":\"TimeAdvance\"");
    }

    @Test
    void rejectsDuplicateKey()
    {
        assertError(
            "not valid JSON at column 48: Duplicate field 'timestamp'",
            "{\"type\":\"TimeAdvance\",\"timestamp\":1,\"timestamp\":2}");
    }

    @Test
    void rejectsTrailingContent()
    {
        assertError(
            "not valid JSON at column 38: Trailing token (of type START_OBJECT) found after value (bound as " +
            "`com.fasterxml.jackson.databind.JsonNode`): not allowed as per " +
            "`DeserializationFeature.FAIL_ON_TRAILING_TOKENS`",
            "{\"type\":\"TimeAdvance\",\"timestamp\":1} {}");
    }

    @Test
    void rejectsEmptyLine()
    {
        assertError("expected a JSON object, got nothing", "");
    }

    @Test
    void rejectsJsonThatIsNotAnObject()
    {
        assertError("expected a JSON object, got [1,2]", "[1,2]");
    }

    @Test
    void rejectsNullNode()
    {
        final JsonCommandException error = assertThrows(
            JsonCommandException.class, () -> CODEC.encode(JsonNodeFactory.instance.nullNode(), buffer, 0));

        assertEquals("expected a JSON object, got null", error.getMessage());
    }

    @Test
    void rejectsMissingType()
    {
        assertError("missing \"type\", the message name (e.g. \"Deposit\")", "{\"timestamp\":1}");
    }

    @Test
    void rejectsTypeThatIsNotAString()
    {
        assertError("\"type\" must be a JSON string naming the message, got 3", "{\"type\":3,\"timestamp\":1}");
    }

    @Test
    void rejectsUnknownType()
    {
        assertError("unknown message type \"Deposits\"", "{\"type\":\"Deposits\",\"timestamp\":1}");
    }

    @Test
    void rejectsMissingField()
    {
        assertError(
            "Deposit: missing field \"amount\"",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0}");
    }

    @Test
    void rejectsUnknownExtraField()
    {
        assertError(
            "Deposit: unknown field \"note\" (fields: timestamp, accountId, assetId, amount)",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amount\":100,\"note\":\"x\"}");
    }

    @Test
    void reportsMisspeltFieldAsUnknownRatherThanMissing()
    {
        assertError(
            "Deposit: unknown field \"amout\" (fields: timestamp, accountId, assetId, amount)",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amout\":100}");
    }

    @Test
    void rejectsStringForIntegerField()
    {
        assertError(
            "Deposit.amount (int64): expected a JSON integer, got \"100\"",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amount\":\"100\"}");
    }

    @Test
    void rejectsNullForIntegerField()
    {
        assertError(
            "Deposit.accountId (int32): expected a JSON integer, got null",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":null,\"assetId\":0,\"amount\":100}");
    }

    @Test
    void rejectsFractionForIntegerField()
    {
        assertError(
            "Deposit.amount (int64): expected an integer, got 1.5",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amount\":1.5}");
    }

    @Test
    void rejectsExponentNotationForIntegerField()
    {
        assertError(
            "Deposit.amount (int64): expected an integer, got 1000.0",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amount\":1e3}");
    }

    @Test
    void rejectsInt32AboveMax()
    {
        assertError(
            "Deposit.accountId (int32): 2147483648 is out of range [-2147483648, 2147483647]",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":2147483648,\"assetId\":0,\"amount\":100}");
    }

    @Test
    void rejectsInt32BelowMin()
    {
        assertError(
            "Deposit.accountId (int32): -2147483649 is out of range [-2147483648, 2147483647]",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":-2147483649,\"assetId\":0,\"amount\":100}");
    }

    @Test
    void rejectsInt64AboveMax()
    {
        assertError(
            "Deposit.amount (int64): 9223372036854775808 is out of range " +
            "[-9223372036854775808, 9223372036854775807]",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amount\":9223372036854775808}");
    }

    @Test
    void rejectsInt64BelowMin()
    {
        assertError(
            "Deposit.amount (int64): -9223372036854775809 is out of range " +
            "[-9223372036854775808, 9223372036854775807]",
            "{\"type\":\"Deposit\",\"timestamp\":1,\"accountId\":7,\"assetId\":0,\"amount\":-9223372036854775809}");
    }

    @Test
    void rejectsUnknownEnumName()
    {
        assertError(
            "NewOrder.side (Side): unknown value \"HOLD\", expected one of BUY, SELL",
            newOrder("\"HOLD\""));
    }

    @Test
    void rejectsEnumNameInWrongCase()
    {
        assertError(
            "NewOrder.side (Side): unknown value \"buy\", expected one of BUY, SELL",
            newOrder("\"buy\""));
    }

    @Test
    void rejectsBooleanForEnumField()
    {
        assertError(
            "NewOrder.side (Side): expected an enum name (one of BUY, SELL) or an integer, got true",
            newOrder("true"));
    }

    @Test
    void rejectsRawEnumNumberAboveUint8()
    {
        assertError("NewOrder.side (Side): 256 is out of range [0, 255]", newOrder("256"));
    }

    @Test
    void rejectsRawEnumNumberAboveUint16()
    {
        assertError(
            "RiskParameterUpdate.parameter (RiskParameter): 65536 is out of range [0, 65535]",
            "{\"type\":\"RiskParameterUpdate\",\"timestamp\":1,\"parameter\":65536,\"value\":5}");
    }

    @Test
    void rejectsNegativeRawEnumNumber()
    {
        assertError(
            "RiskParameterUpdate.parameter (RiskParameter): -1 is out of range [0, 65535]",
            "{\"type\":\"RiskParameterUpdate\",\"timestamp\":1,\"parameter\":-1,\"value\":5}");
    }

    @Test
    void rejectsUnknownStringForDoubleField()
    {
        assertError(
            "MarkPrice.impliedVolatility (double): expected a JSON number or one of \"NaN\", \"Infinity\", " +
            "\"-Infinity\", got \"nan\"",
            markPrice("\"nan\""));
    }

    @Test
    void rejectsBooleanForDoubleField()
    {
        assertError(
            "MarkPrice.impliedVolatility (double): expected a JSON number or one of \"NaN\", \"Infinity\", " +
            "\"-Infinity\", got false",
            markPrice("false"));
    }

    @Test
    void rejectsNumberBeyondDoubleRange()
    {
        assertError(
            "MarkPrice.impliedVolatility (double): number beyond the double range of +/-1.7976931348623157E308 " +
            "(send the string \"Infinity\" or \"-Infinity\" for an infinity)",
            markPrice("1e400"));
    }

    @Test
    void leavesBufferUntouchedWhenALaterFieldIsBad()
    {
        final byte[] before = new byte[buffer.capacity()];
        buffer.getBytes(0, before);

        assertThrows(JsonCommandException.class, () -> CODEC.encode(newOrder("\"HOLD\""), buffer, 0));

        final byte[] after = new byte[buffer.capacity()];
        buffer.getBytes(0, after);
        assertArrayEquals(before, after);
    }

    private static String newOrder(final String side)
    {
        return "{\"type\":\"NewOrder\",\"timestamp\":1,\"orderId\":2,\"accountId\":3,\"instrumentId\":4,\"side\":" +
            side + ",\"price\":5,\"quantity\":6,\"reduceOnly\":\"FALSE\"}";
    }

    private static String markPrice(final String impliedVolatility)
    {
        return "{\"type\":\"MarkPrice\",\"timestamp\":1,\"instrumentId\":2,\"price\":3,\"impliedVolatility\":" +
            impliedVolatility + "}";
    }

    private void assertError(final String expectedMessage, final String jsonLine)
    {
        final JsonCommandException error = assertThrows(
            JsonCommandException.class, () -> CODEC.encode(jsonLine, buffer, 0));

        assertEquals(expectedMessage, error.getMessage());
    }
}
