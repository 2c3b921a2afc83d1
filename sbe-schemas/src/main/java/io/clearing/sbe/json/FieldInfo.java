package io.clearing.sbe.json;

import java.util.List;

/**
 * Description of one fixed-size field of a message, as the schema declares it.
 *
 * @param name        field name in the schema, also its JSON key.
 * @param type        SBE primitive type name ({@code "int64"}, {@code "double"}, ...) or enum name ({@code "Side"}).
 * @param description schema description of the field, empty when the schema gives none.
 * @param offset      offset of the field in bytes from the start of the message body (after the message header).
 * @param size        encoded size of the field in bytes.
 * @param enumValues  names of the enum's valid values in schema order; empty when the field is a primitive.
 */
public record FieldInfo(String name, String type, String description, int offset, int size, List<String> enumValues)
{
    /**
     * Copies {@code enumValues} so the record stays immutable.
     */
    public FieldInfo
    {
        enumValues = List.copyOf(enumValues);
    }

    /**
     * @return true when the field is an enum, written in JSON by value name.
     */
    public boolean isEnum()
    {
        return !enumValues.isEmpty();
    }
}
