package io.clearing.sbe.json;

import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.TradeSettledEncoder;
import org.junit.jupiter.api.Test;
import uk.co.real_logic.sbe.ir.Ir;
import uk.co.real_logic.sbe.xml.IrGenerator;
import uk.co.real_logic.sbe.xml.ParserOptions;
import uk.co.real_logic.sbe.xml.XmlSchemaParser;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SbeJsonCodecSchemaTest
{
    private static final SbeJsonCodec CODEC = SbeJsonCodec.load();

    @Test
    void listsEveryMessageInTemplateIdOrder()
    {
        assertEquals(
            List.of(
                "AssetDefinition", "InstrumentDefinition", "Deposit", "Withdrawal", "IndexPrice", "MarkPrice",
                "NewOrder", "CancelOrder", "Fill", "TimeAdvance", "ExpirySettlementPrice", "RiskParameterUpdate",
                "AccountRiskQuery", "AccountCapacityUpdate", "JournalGenesis",
                "CommandRejected", "AssetDefined", "InstrumentDefined", "RiskParameterChanged",
                "AccountCapacityChanged", "OrderAccepted",
                "OrderRejected", "OrderCancelled", "TradeSettled", "BalanceChanged", "MarginStatus", "FundingSettled",
                "ExpirySettled", "LiquidationTrade", "InsurancePayout", "AutoDeleverage", "AccountRiskReport"),
            CODEC.messageNames());
    }

    @Test
    void commandsAreTemplateIdsBelowOneHundred()
    {
        assertTrue(CODEC.isCommand("Deposit"));
        assertTrue(CODEC.isCommand("AccountRiskQuery"));
        assertFalse(CODEC.isCommand("CommandRejected"));
        assertFalse(CODEC.isCommand("TradeSettled"));
    }

    @Test
    void mapsNamesToTemplateIdsAndBack()
    {
        assertEquals(DepositEncoder.TEMPLATE_ID, CODEC.templateId("Deposit"));
        assertEquals("TradeSettled", CODEC.typeName(TradeSettledEncoder.TEMPLATE_ID));
    }

    @Test
    void rejectsUnknownName()
    {
        final JsonCommandException error = assertThrows(JsonCommandException.class, () -> CODEC.isCommand("Trade"));

        assertEquals("unknown message type \"Trade\"", error.getMessage());
    }

    @Test
    void rejectsUnknownTemplateId()
    {
        final JsonCommandException error = assertThrows(JsonCommandException.class, () -> CODEC.typeName(42));

        assertEquals("unknown templateId 42", error.getMessage());
    }

    @Test
    void describesFieldsInSchemaOrder()
    {
        assertEquals(
            List.of(
                new FieldInfo("timestamp", "int64", "", 0, 8, List.of()),
                new FieldInfo("orderId", "int64", "Unique, positive, chosen by the gateway", 8, 8, List.of()),
                new FieldInfo("accountId", "int32", "", 16, 4, List.of()),
                new FieldInfo("instrumentId", "int32", "", 20, 4, List.of()),
                new FieldInfo("side", "Side", "", 24, 1, List.of("BUY", "SELL")),
                new FieldInfo("price", "int64", "Limit price, 1e-8 settlement asset per underlying unit", 25, 8,
                    List.of()),
                new FieldInfo("quantity", "int64", "Contracts, positive", 33, 8, List.of()),
                new FieldInfo("reduceOnly", "BooleanType", "", 41, 1, List.of("FALSE", "TRUE"))),
            CODEC.fields("NewOrder"));
    }

    @Test
    void frameLengthIsHeaderPlusBlockLength()
    {
        assertEquals(8, CODEC.headerLength());
        assertEquals(8 + DepositEncoder.BLOCK_LENGTH, CODEC.frameLength("Deposit"));
    }

    @Test
    void refusesSchemaWithRepeatingGroup() throws Exception
    {
        final Ir ir = ir(
            "<sbe:message name=\"Basket\" id=\"1\">" +
            "<field name=\"timestamp\" id=\"1\" type=\"int64\"/>" +
            "<group name=\"legs\" id=\"2\" dimensionType=\"groupSizeEncoding\">" +
            "<field name=\"quantity\" id=\"3\" type=\"int64\"/>" +
            "</group>" +
            "</sbe:message>");

        final IllegalStateException error = assertThrows(IllegalStateException.class, () -> SbeJsonCodec.fromIr(ir));

        assertEquals(
            "Basket.legs is a repeating group; the JSON codec supports fixed-size primitive and enum fields only",
            error.getMessage());
    }

    @Test
    void refusesSchemaWithVarData() throws Exception
    {
        final Ir ir = ir(
            "<sbe:message name=\"Note\" id=\"1\">" +
            "<field name=\"timestamp\" id=\"1\" type=\"int64\"/>" +
            "<data name=\"text\" id=\"2\" type=\"varStringEncoding\"/>" +
            "</sbe:message>");

        final IllegalStateException error = assertThrows(IllegalStateException.class, () -> SbeJsonCodec.fromIr(ir));

        assertEquals(
            "Note.text is var-data; the JSON codec supports fixed-size primitive and enum fields only",
            error.getMessage());
    }

    @Test
    void refusesSchemaWithTemplateIdOutsideCommandsAndEvents() throws Exception
    {
        final Ir ir = ir(
            "<sbe:message name=\"Stray\" id=\"200\">" +
            "<field name=\"timestamp\" id=\"1\" type=\"int64\"/>" +
            "</sbe:message>");

        final IllegalStateException error = assertThrows(IllegalStateException.class, () -> SbeJsonCodec.fromIr(ir));

        assertEquals(
            "Stray has template id 200, neither a command (1..99) nor an event (100..199)", error.getMessage());
    }

    private static Ir ir(final String messages) throws Exception
    {
        final String xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" +
            "<sbe:messageSchema xmlns:sbe=\"http://fixprotocol.io/2016/sbe\" package=\"test\" id=\"1\" " +
            "version=\"0\" byteOrder=\"littleEndian\">" +
            "<types>" +
            "<composite name=\"messageHeader\">" +
            "<type name=\"blockLength\" primitiveType=\"uint16\"/>" +
            "<type name=\"templateId\" primitiveType=\"uint16\"/>" +
            "<type name=\"schemaId\" primitiveType=\"uint16\"/>" +
            "<type name=\"version\" primitiveType=\"uint16\"/>" +
            "</composite>" +
            "<composite name=\"groupSizeEncoding\">" +
            "<type name=\"blockLength\" primitiveType=\"uint16\"/>" +
            "<type name=\"numInGroup\" primitiveType=\"uint16\"/>" +
            "</composite>" +
            "<composite name=\"varStringEncoding\">" +
            "<type name=\"length\" primitiveType=\"uint32\" maxValue=\"1073741824\"/>" +
            "<type name=\"varData\" primitiveType=\"uint8\" length=\"0\" characterEncoding=\"UTF-8\"/>" +
            "</composite>" +
            "</types>" +
            messages +
            "</sbe:messageSchema>";
        final ParserOptions options = ParserOptions.builder().stopOnError(true).suppressOutput(true).build();
        return new IrGenerator().generate(
            XmlSchemaParser.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), options));
    }
}
