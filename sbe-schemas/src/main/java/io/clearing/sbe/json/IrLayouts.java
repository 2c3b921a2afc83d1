package io.clearing.sbe.json;

import uk.co.real_logic.sbe.PrimitiveType;
import uk.co.real_logic.sbe.ir.Encoding;
import uk.co.real_logic.sbe.ir.Ir;
import uk.co.real_logic.sbe.ir.Signal;
import uk.co.real_logic.sbe.ir.Token;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns the messages of an SBE IR into {@link MessageLayout}s, refusing anything that is not a fixed-size field of a
 * primitive or enum type: repeating groups, var-data, composites, sets, constants, arrays and {@code char} fields.
 */
final class IrLayouts
{
    private IrLayouts()
    {
    }

    /**
     * @param ir      decoded IR of the schema.
     * @param typeKey JSON key of the message type, which no field may use as its name.
     * @return one layout per message, in template id order.
     * @throws IllegalStateException naming the message and field when the schema uses something unsupported.
     */
    static List<MessageLayout> messages(final Ir ir, final String typeKey)
    {
        final List<MessageLayout> messages = new ArrayList<>();
        for (final List<Token> tokens : ir.messages())
        {
            messages.add(message(tokens, ir.byteOrder(), typeKey));
        }
        // Ir keeps messages in a hash map: sort so that every listing is in a stable, documented order.
        messages.sort(Comparator.comparingInt(MessageLayout::templateId));
        return messages;
    }

    private static MessageLayout message(final List<Token> tokens, final ByteOrder byteOrder, final String typeKey)
    {
        final Token messageToken = tokens.get(0);
        final String messageName = messageToken.name();
        final List<FieldLayout> fields = new ArrayList<>();
        int i = 1;
        while (tokens.get(i).signal() != Signal.END_MESSAGE)
        {
            final Token token = tokens.get(i);
            switch (token.signal())
            {
                case BEGIN_FIELD:
                    fields.add(field(messageName, tokens, i, byteOrder, typeKey));
                    break;
                case BEGIN_GROUP:
                    throw unsupported(messageName, token.name(), "a repeating group");
                case BEGIN_VAR_DATA:
                    throw unsupported(messageName, token.name(), "var-data");
                default:
                    throw unsupported(messageName, token.name(), "a " + token.signal() + " token");
            }
            i += token.componentTokenCount();
        }
        return new MessageLayout(messageName, messageToken.id(), messageToken.encodedLength(), fields);
    }

    private static FieldLayout field(
        final String messageName,
        final List<Token> tokens,
        final int fieldIndex,
        final ByteOrder byteOrder,
        final String typeKey)
    {
        final Token field = tokens.get(fieldIndex);
        final Token type = tokens.get(fieldIndex + 1);
        final String name = field.name();
        if (name.equals(typeKey))
        {
            throw unsupported(messageName, name, "a field named \"" + typeKey + "\", the JSON key of the message type");
        }
        if (field.isConstantEncoding() || type.isConstantEncoding())
        {
            throw unsupported(messageName, name, "a constant");
        }
        final String description = field.description() == null ? "" : field.description();
        final PrimitiveType primitiveType = type.encoding().primitiveType();
        switch (type.signal())
        {
            case ENCODING:
                checkPrimitive(messageName, name, type);
                return new FieldLayout(
                    messageName,
                    new FieldInfo(name, primitiveType.primitiveName(), description, field.offset(),
                        type.encodedLength(), List.of()),
                    primitiveType,
                    byteOrder,
                    new long[0]);
            case BEGIN_ENUM:
                checkPrimitive(messageName, name, type);
                return enumField(messageName, tokens, fieldIndex, byteOrder, description);
            default:
                throw unsupported(messageName, name, "a field of type " + type.signal());
        }
    }

    private static FieldLayout enumField(
        final String messageName,
        final List<Token> tokens,
        final int fieldIndex,
        final ByteOrder byteOrder,
        final String description)
    {
        final Token field = tokens.get(fieldIndex);
        final Token enumToken = tokens.get(fieldIndex + 1);
        final List<String> names = new ArrayList<>();
        final List<Long> values = new ArrayList<>();
        int i = fieldIndex + 2;
        while (tokens.get(i).signal() == Signal.VALID_VALUE)
        {
            names.add(tokens.get(i).name());
            values.add(tokens.get(i).encoding().constValue().longValue());
            i++;
        }
        if (names.isEmpty())
        {
            throw unsupported(messageName, field.name(), "an enum without values");
        }
        final long[] rawValues = new long[values.size()];
        for (int v = 0; v < rawValues.length; v++)
        {
            rawValues[v] = values.get(v);
        }
        return new FieldLayout(
            messageName,
            new FieldInfo(field.name(), enumToken.name(), description, field.offset(), enumToken.encodedLength(), names),
            enumToken.encoding().primitiveType(),
            byteOrder,
            rawValues);
    }

    private static void checkPrimitive(final String messageName, final String fieldName, final Token type)
    {
        final Encoding encoding = type.encoding();
        final PrimitiveType primitiveType = encoding.primitiveType();
        if (!Primitives.isSupported(primitiveType))
        {
            throw unsupported(messageName, fieldName, "a " + primitiveType.primitiveName() + " field");
        }
        if (type.encodedLength() != primitiveType.size())
        {
            throw unsupported(messageName, fieldName, "an array of " + primitiveType.primitiveName());
        }
    }

    private static IllegalStateException unsupported(
        final String messageName, final String fieldName, final String what)
    {
        return new IllegalStateException(messageName + "." + fieldName + " is " + what +
            "; the JSON codec supports fixed-size primitive and enum fields only");
    }
}
