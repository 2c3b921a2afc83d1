package io.clearing.sbe.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import uk.co.real_logic.sbe.PrimitiveType;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteOrder;

/**
 * One fixed-size field of a message: converts its JSON value to the raw primitive and back, and reads and writes the
 * raw primitive at its offset in the message body. Immutable, thread-safe.
 */
final class FieldLayout
{
    private static final int MAX_SHOWN_CHARS = 60;

    private final FieldInfo info;
    private final PrimitiveType primitiveType;
    private final ByteOrder byteOrder;
    private final String[] enumNames;
    private final long[] enumValues;
    private final String errorPrefix;

    /**
     * @param messageName   message the field belongs to, for error messages.
     * @param info          public description of the field.
     * @param primitiveType encoding of the field, or of the enum's values when it is an enum.
     * @param byteOrder     byte order of the schema.
     * @param enumValues    raw value of each of {@code info.enumValues()}, same order; empty for a primitive.
     */
    FieldLayout(
        final String messageName,
        final FieldInfo info,
        final PrimitiveType primitiveType,
        final ByteOrder byteOrder,
        final long[] enumValues)
    {
        this.info = info;
        this.primitiveType = primitiveType;
        this.byteOrder = byteOrder;
        this.enumNames = info.enumValues().toArray(new String[0]);
        this.enumValues = enumValues.clone();
        this.errorPrefix = messageName + "." + info.name() + " (" + info.type() + "): ";
    }

    /**
     * @return public description of the field.
     */
    FieldInfo info()
    {
        return info;
    }

    /**
     * @return field name, also its JSON key.
     */
    String name()
    {
        return info.name();
    }

    /**
     * Converts the JSON value of the field to its raw primitive.
     *
     * @param value JSON value given for the field, never null (a JSON null is a {@code NullNode}).
     * @return raw value for {@link #write}.
     * @throws JsonCommandException when the value has the wrong JSON type, is out of range, is not an integer for an
     *                              integer type, or is not a name of the enum.
     */
    long parse(final JsonNode value)
    {
        if (info.isEnum())
        {
            return parseEnum(value);
        }
        if (Primitives.isFloatingPoint(primitiveType))
        {
            return parseFloatingPoint(value);
        }
        if (!value.isNumber())
        {
            throw error("expected a JSON integer, got " + shown(value));
        }
        return parseInteger(value);
    }

    /**
     * Writes a raw value at the field's offset.
     *
     * @param buffer     to write to.
     * @param bodyOffset absolute index of the message body (first byte after the message header).
     * @param raw        value from {@link #parse}.
     */
    void write(final MutableDirectBuffer buffer, final int bodyOffset, final long raw)
    {
        Primitives.put(buffer, bodyOffset + info.offset(), primitiveType, byteOrder, raw);
    }

    /**
     * Writes the field as {@code "name":value}: enums by name (an unknown raw value as its number), integers as JSON
     * integers, finite floating point values as JSON numbers and non-finite ones as the strings {@code "NaN"},
     * {@code "Infinity"}, {@code "-Infinity"}.
     *
     * @param buffer     to read from.
     * @param bodyOffset absolute index of the message body.
     * @param generator  positioned inside an object.
     * @throws IOException from the generator.
     */
    void writeJson(final DirectBuffer buffer, final int bodyOffset, final JsonGenerator generator) throws IOException
    {
        final long raw = Primitives.get(buffer, bodyOffset + info.offset(), primitiveType, byteOrder);
        generator.writeFieldName(info.name());
        if (info.isEnum())
        {
            final int index = enumIndex(raw);
            if (index >= 0)
            {
                generator.writeString(enumNames[index]);
            }
            else
            {
                generator.writeNumber(raw);
            }
        }
        else if (primitiveType == PrimitiveType.DOUBLE)
        {
            writeDouble(Double.longBitsToDouble(raw), generator);
        }
        else if (primitiveType == PrimitiveType.FLOAT)
        {
            final float value = Float.intBitsToFloat((int)raw);
            if (Float.isFinite(value))
            {
                generator.writeNumber(value);
            }
            else
            {
                writeDouble(value, generator);
            }
        }
        else if (primitiveType == PrimitiveType.UINT64 && raw < 0)
        {
            generator.writeNumber(new BigInteger(Long.toUnsignedString(raw)));
        }
        else
        {
            generator.writeNumber(raw);
        }
    }

    private static void writeDouble(final double value, final JsonGenerator generator) throws IOException
    {
        if (Double.isFinite(value))
        {
            generator.writeNumber(value);
        }
        else
        {
            // JSON has no literal for these; strings keep them explicit and match what encode accepts.
            generator.writeString(Double.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private long parseEnum(final JsonNode value)
    {
        if (value.isTextual())
        {
            for (int i = 0; i < enumNames.length; i++)
            {
                if (enumNames[i].equals(value.textValue()))
                {
                    return enumValues[i];
                }
            }
            throw error("unknown value " + shown(value) + ", expected one of " + String.join(", ", enumNames));
        }
        if (value.isNumber())
        {
            // A raw number lets a test send a value the enum does not define, on purpose; decoding writes it back.
            return parseInteger(value);
        }
        throw error("expected an enum name (one of " + String.join(", ", enumNames) + ") or an integer, got " +
            shown(value));
    }

    private long parseFloatingPoint(final JsonNode value)
    {
        if (value.isTextual())
        {
            switch (value.textValue())
            {
                case "NaN": return bits(Double.NaN);
                case "Infinity": return bits(Double.POSITIVE_INFINITY);
                case "-Infinity": return bits(Double.NEGATIVE_INFINITY);
                default: break;
            }
        }
        if (!value.isNumber())
        {
            throw error("expected a JSON number or one of \"NaN\", \"Infinity\", \"-Infinity\", got " + shown(value));
        }
        final double number = value.doubleValue();
        if (!Double.isFinite(number) ||
            (primitiveType == PrimitiveType.FLOAT && !Float.isFinite((float)number)))
        {
            // The parser already turned the number into an infinity, so its text is gone: name the limit instead.
            final String limit = primitiveType == PrimitiveType.FLOAT ?
                Float.toString(Float.MAX_VALUE) : Double.toString(Double.MAX_VALUE);
            throw error("number beyond the " + primitiveType.primitiveName() + " range of +/-" + limit +
                " (send the string \"Infinity\" or \"-Infinity\" for an infinity)");
        }
        return bits(number);
    }

    private long bits(final double value)
    {
        return primitiveType == PrimitiveType.FLOAT ?
            Float.floatToRawIntBits((float)value) & 0xFFFF_FFFFL : Double.doubleToRawLongBits(value);
    }

    private long parseInteger(final JsonNode value)
    {
        if (!value.isIntegralNumber())
        {
            throw error("expected an integer, got " + shown(value));
        }
        if (value.canConvertToLong())
        {
            final long number = value.longValue();
            final boolean inRange = primitiveType == PrimitiveType.UINT64 ?
                number >= 0 : number >= Primitives.min(primitiveType) && number <= Primitives.max(primitiveType);
            if (inRange)
            {
                return number;
            }
        }
        else if (primitiveType == PrimitiveType.UINT64)
        {
            final BigInteger number = value.bigIntegerValue();
            if (number.signum() > 0 && number.bitLength() <= Long.SIZE)
            {
                return number.longValue();
            }
        }
        throw error(shown(value) + " is out of range " + Primitives.rangeText(primitiveType));
    }

    private int enumIndex(final long raw)
    {
        for (int i = 0; i < enumValues.length; i++)
        {
            if (enumValues[i] == raw)
            {
                return i;
            }
        }
        return -1;
    }

    private JsonCommandException error(final String problem)
    {
        return new JsonCommandException(errorPrefix + problem);
    }

    /**
     * @param value any JSON value.
     * @return the value as JSON text, cut short when long so that error messages stay one readable line.
     */
    static String shown(final JsonNode value)
    {
        final String text = value.toString();
        return text.length() <= MAX_SHOWN_CHARS ? text : text.substring(0, MAX_SHOWN_CHARS) + "...";
    }
}
