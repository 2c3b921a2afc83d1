package io.clearing.sbe.json;

import java.util.ArrayList;
import java.util.List;

/**
 * The fixed-size body of one message: its template id, block length and fields in schema order. Immutable,
 * thread-safe.
 */
final class MessageLayout
{
    private final String name;
    private final int templateId;
    private final int blockLength;
    private final List<FieldLayout> fields;
    private final List<FieldInfo> fieldInfos;

    /**
     * @param name        message name in the schema, also its JSON {@code "type"}.
     * @param templateId  template id of the message.
     * @param blockLength body length in bytes.
     * @param fields      fields in schema order.
     */
    MessageLayout(final String name, final int templateId, final int blockLength, final List<FieldLayout> fields)
    {
        this.name = name;
        this.templateId = templateId;
        this.blockLength = blockLength;
        this.fields = List.copyOf(fields);
        final List<FieldInfo> infos = new ArrayList<>(fields.size());
        for (final FieldLayout field : fields)
        {
            infos.add(field.info());
        }
        this.fieldInfos = List.copyOf(infos);
    }

    String name()
    {
        return name;
    }

    int templateId()
    {
        return templateId;
    }

    int blockLength()
    {
        return blockLength;
    }

    /**
     * @return fields in schema order.
     */
    List<FieldLayout> fields()
    {
        return fields;
    }

    /**
     * @return public descriptions of the fields in schema order.
     */
    List<FieldInfo> fieldInfos()
    {
        return fieldInfos;
    }

    /**
     * @param fieldName a JSON key.
     * @return true when the message has a field of that name.
     */
    boolean hasField(final String fieldName)
    {
        for (final FieldLayout field : fields)
        {
            if (field.name().equals(fieldName))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return field names in schema order, comma separated, for error messages.
     */
    String fieldNames()
    {
        final StringBuilder names = new StringBuilder();
        for (final FieldLayout field : fields)
        {
            if (names.length() > 0)
            {
                names.append(", ");
            }
            names.append(field.name());
        }
        return names.toString();
    }
}
