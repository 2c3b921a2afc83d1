package io.clearing.sbe.json;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import uk.co.real_logic.sbe.PrimitiveType;

import java.nio.ByteOrder;

/**
 * Reads and writes SBE primitives as a raw {@code long}: integers sign- or zero-extended by their type, floating
 * point values as their IEEE bits ({@link Float#floatToRawIntBits}, {@link Double#doubleToRawLongBits}).
 * {@code uint64} keeps its 64 bits in the long, so values above {@link Long#MAX_VALUE} are negative here.
 */
final class Primitives
{
    private Primitives()
    {
    }

    /**
     * @param type a primitive type.
     * @return true for the types this codec supports: all SBE primitives except {@code char}.
     */
    static boolean isSupported(final PrimitiveType type)
    {
        return type != PrimitiveType.CHAR;
    }

    /**
     * @param type a supported primitive type.
     * @return true for {@code float} and {@code double}.
     */
    static boolean isFloatingPoint(final PrimitiveType type)
    {
        return type == PrimitiveType.FLOAT || type == PrimitiveType.DOUBLE;
    }

    /**
     * @param type an integer primitive type.
     * @return smallest value of the type.
     */
    static long min(final PrimitiveType type)
    {
        switch (type)
        {
            case INT8: return Byte.MIN_VALUE;
            case INT16: return Short.MIN_VALUE;
            case INT32: return Integer.MIN_VALUE;
            case INT64: return Long.MIN_VALUE;
            case UINT8:
            case UINT16:
            case UINT32:
            case UINT64: return 0;
            default: throw new IllegalArgumentException("not an integer type: " + type);
        }
    }

    /**
     * @param type an integer primitive type other than {@code uint64}, whose maximum does not fit a long.
     * @return largest value of the type.
     */
    static long max(final PrimitiveType type)
    {
        switch (type)
        {
            case INT8: return Byte.MAX_VALUE;
            case INT16: return Short.MAX_VALUE;
            case INT32: return Integer.MAX_VALUE;
            case INT64: return Long.MAX_VALUE;
            case UINT8: return 0xFFL;
            case UINT16: return 0xFFFFL;
            case UINT32: return 0xFFFF_FFFFL;
            default: throw new IllegalArgumentException("no long maximum for type: " + type);
        }
    }

    /**
     * @param type an integer primitive type.
     * @return the type's range as {@code [min, max]} for error messages.
     */
    static String rangeText(final PrimitiveType type)
    {
        final String max = type == PrimitiveType.UINT64 ? Long.toUnsignedString(-1L) : Long.toString(max(type));
        return "[" + min(type) + ", " + max + "]";
    }

    /**
     * Writes a raw value in the type's size.
     *
     * @param buffer to write to.
     * @param index  absolute index in the buffer.
     * @param type   supported primitive type.
     * @param order  byte order of the schema.
     * @param raw    raw value; only the type's low bits are written.
     */
    static void put(
        final MutableDirectBuffer buffer, final int index, final PrimitiveType type, final ByteOrder order, final long raw)
    {
        switch (type)
        {
            case INT8:
            case UINT8:
                buffer.putByte(index, (byte)raw);
                break;
            case INT16:
            case UINT16:
                buffer.putShort(index, (short)raw, order);
                break;
            case INT32:
            case UINT32:
            case FLOAT:
                buffer.putInt(index, (int)raw, order);
                break;
            case INT64:
            case UINT64:
            case DOUBLE:
                buffer.putLong(index, raw, order);
                break;
            default:
                throw new IllegalArgumentException("unsupported primitive type: " + type);
        }
    }

    /**
     * Reads a raw value of the type's size.
     *
     * @param buffer to read from.
     * @param index  absolute index in the buffer.
     * @param type   supported primitive type.
     * @param order  byte order of the schema.
     * @return the raw value: signed types sign-extended, unsigned types zero-extended, floating point as bits.
     */
    static long get(final DirectBuffer buffer, final int index, final PrimitiveType type, final ByteOrder order)
    {
        switch (type)
        {
            case INT8: return buffer.getByte(index);
            case UINT8: return buffer.getByte(index) & 0xFFL;
            case INT16: return buffer.getShort(index, order);
            case UINT16: return buffer.getShort(index, order) & 0xFFFFL;
            case INT32: return buffer.getInt(index, order);
            case UINT32:
            case FLOAT: return buffer.getInt(index, order) & 0xFFFF_FFFFL;
            case INT64:
            case UINT64:
            case DOUBLE: return buffer.getLong(index, order);
            default: throw new IllegalArgumentException("unsupported primitive type: " + type);
        }
    }
}
