package io.clearing.sbe.json;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import uk.co.real_logic.sbe.PrimitiveType;
import uk.co.real_logic.sbe.ir.HeaderStructure;
import uk.co.real_logic.sbe.ir.Signal;
import uk.co.real_logic.sbe.ir.Token;

import java.nio.ByteOrder;
import java.util.List;

/**
 * The SBE message header as the IR declares it (v1: blockLength, templateId, schemaId, version, each uint16 in an
 * 8-byte header). Immutable, thread-safe.
 */
final class FrameHeader
{
    private final int length;
    private final ByteOrder byteOrder;
    private final int blockLengthOffset;
    private final PrimitiveType blockLengthType;
    private final int templateIdOffset;
    private final PrimitiveType templateIdType;
    private final int schemaIdOffset;
    private final PrimitiveType schemaIdType;
    private final int versionOffset;
    private final PrimitiveType versionType;

    /**
     * @param header    header structure of the IR.
     * @param byteOrder byte order of the schema.
     * @throws IllegalStateException when one of the four header fields is missing or not a supported primitive.
     */
    FrameHeader(final HeaderStructure header, final ByteOrder byteOrder)
    {
        final List<Token> tokens = header.tokens();
        this.length = tokens.get(0).encodedLength();
        this.byteOrder = byteOrder;
        final Token blockLength = find(tokens, HeaderStructure.BLOCK_LENGTH);
        final Token templateId = find(tokens, HeaderStructure.TEMPLATE_ID);
        final Token schemaId = find(tokens, HeaderStructure.SCHEMA_ID);
        final Token version = find(tokens, HeaderStructure.SCHEMA_VERSION);
        this.blockLengthOffset = blockLength.offset();
        this.blockLengthType = blockLength.encoding().primitiveType();
        this.templateIdOffset = templateId.offset();
        this.templateIdType = templateId.encoding().primitiveType();
        this.schemaIdOffset = schemaId.offset();
        this.schemaIdType = schemaId.encoding().primitiveType();
        this.versionOffset = version.offset();
        this.versionType = version.encoding().primitiveType();
    }

    private static Token find(final List<Token> tokens, final String name)
    {
        for (final Token token : tokens)
        {
            if (token.signal() == Signal.ENCODING && token.name().equals(name))
            {
                final PrimitiveType type = token.encoding().primitiveType();
                if (!Primitives.isSupported(type) || Primitives.isFloatingPoint(type) ||
                    token.encodedLength() != type.size())
                {
                    throw new IllegalStateException("message header field " + name + " must be an integer, is " +
                        type.primitiveName() + " of " + token.encodedLength() + " bytes");
                }
                return token;
            }
        }
        throw new IllegalStateException("message header has no " + name + " field");
    }

    /**
     * @return header length in bytes.
     */
    int length()
    {
        return length;
    }

    /**
     * Writes the header.
     *
     * @param buffer      to write to.
     * @param offset      absolute index of the frame.
     * @param blockLength body length in bytes.
     * @param templateId  template id of the message.
     * @param schemaId    schema id.
     * @param version     schema version.
     */
    void write(
        final MutableDirectBuffer buffer,
        final int offset,
        final int blockLength,
        final int templateId,
        final int schemaId,
        final int version)
    {
        Primitives.put(buffer, offset + blockLengthOffset, blockLengthType, byteOrder, blockLength);
        Primitives.put(buffer, offset + templateIdOffset, templateIdType, byteOrder, templateId);
        Primitives.put(buffer, offset + schemaIdOffset, schemaIdType, byteOrder, schemaId);
        Primitives.put(buffer, offset + versionOffset, versionType, byteOrder, version);
    }

    long blockLength(final DirectBuffer buffer, final int offset)
    {
        return Primitives.get(buffer, offset + blockLengthOffset, blockLengthType, byteOrder);
    }

    long templateId(final DirectBuffer buffer, final int offset)
    {
        return Primitives.get(buffer, offset + templateIdOffset, templateIdType, byteOrder);
    }

    long schemaId(final DirectBuffer buffer, final int offset)
    {
        return Primitives.get(buffer, offset + schemaIdOffset, schemaIdType, byteOrder);
    }
}
