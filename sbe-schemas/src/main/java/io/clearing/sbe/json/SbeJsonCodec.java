package io.clearing.sbe.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import uk.co.real_logic.sbe.ir.Ir;
import uk.co.real_logic.sbe.ir.IrDecoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of the SBE contract: converts one JSON object per line to an SBE frame and back, driven by the IR the
 * build generates from {@code clearing-schema.xml}, so it follows the schema without generated code per message.
 * <p>
 * JSON form: {@code {"type":"Deposit","timestamp":1,"accountId":7,"assetId":0,"amount":100000000}} where
 * {@code "type"} is the SBE message name and every field of the message appears once under its schema name, in any
 * order. Integers (int64 included) are JSON integers and must fit the field's primitive type; enums are value names
 * ({@code "BUY"}), or a raw integer in the enum's encoding range so that undefined values can be sent on purpose;
 * floating point fields take JSON numbers or the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}.
 * The codec checks form, not business rules: it writes hostile but well-typed values and leaves rejecting them to
 * the engine.
 * <p>
 * Frame: the message header (blockLength, templateId, schemaId, version) followed by the fixed-size body, in the
 * schema's byte order (little-endian). Only fixed-size primitive and enum fields are supported, which is all of
 * schema v1; {@link #load()} fails on anything else.
 * <p>
 * Not for the hot path: every call allocates. Immutable after construction and safe to share between threads.
 */
public final class SbeJsonCodec
{
    /**
     * Classpath location of the IR the build generates from the schema.
     */
    public static final String IR_RESOURCE = "/sbe/clearing-schema.sbeir";

    /**
     * JSON key that names the message.
     */
    public static final String TYPE_KEY = "type";

    /**
     * Smallest template id of a command; commands are 1..99.
     */
    public static final int MIN_COMMAND_TEMPLATE_ID = 1;

    /**
     * Largest template id of a command.
     */
    public static final int MAX_COMMAND_TEMPLATE_ID = 99;

    /**
     * Smallest template id of an event; events are 100..199.
     */
    public static final int MIN_EVENT_TEMPLATE_ID = 100;

    /**
     * Largest template id of an event.
     */
    public static final int MAX_EVENT_TEMPLATE_ID = 199;

    private final ObjectMapper mapper = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
    private final int schemaId;
    private final int schemaVersion;
    private final FrameHeader header;
    private final List<MessageLayout> messages;
    private final List<String> messageNames;
    private final Map<String, MessageLayout> messagesByName = new HashMap<>();
    private final Int2ObjectHashMap<MessageLayout> messagesByTemplateId = new Int2ObjectHashMap<>();

    private SbeJsonCodec(final Ir ir)
    {
        this.schemaId = ir.id();
        this.schemaVersion = ir.version();
        this.header = new FrameHeader(ir.headerStructure(), ir.byteOrder());
        this.messages = List.copyOf(IrLayouts.messages(ir, TYPE_KEY));
        final List<String> names = new ArrayList<>(messages.size());
        for (final MessageLayout message : messages)
        {
            final int templateId = message.templateId();
            if (!isCommandTemplateId(templateId) &&
                (templateId < MIN_EVENT_TEMPLATE_ID || templateId > MAX_EVENT_TEMPLATE_ID))
            {
                throw new IllegalStateException(message.name() + " has template id " + templateId +
                    ", neither a command (1..99) nor an event (100..199)");
            }
            names.add(message.name());
            messagesByName.put(message.name(), message);
            messagesByTemplateId.put(templateId, message);
        }
        this.messageNames = List.copyOf(names);
    }

    /**
     * Loads the codec from the IR on the classpath at {@link #IR_RESOURCE}. Callers keep the instance: loading
     * decodes the IR.
     *
     * @return a codec for the schema the build generated.
     * @throws IllegalStateException when the IR is missing or the schema has a field the codec does not support
     *                               (repeating group, var-data, composite, set, constant, array, char), or a
     *                               message whose template id is outside 1..199.
     */
    public static SbeJsonCodec load()
    {
        final byte[] bytes;
        try (InputStream in = SbeJsonCodec.class.getResourceAsStream(IR_RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException("SBE IR not found on the classpath at " + IR_RESOURCE);
            }
            bytes = in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read SBE IR " + IR_RESOURCE, ex);
        }
        try (IrDecoder decoder = new IrDecoder(ByteBuffer.wrap(bytes)))
        {
            return fromIr(decoder.decode());
        }
    }

    /**
     * @param ir decoded IR of a schema.
     * @return a codec for that schema.
     * @throws IllegalStateException as {@link #load()}.
     */
    static SbeJsonCodec fromIr(final Ir ir)
    {
        return new SbeJsonCodec(ir);
    }

    /**
     * Parses one JSON object and writes it as an SBE frame.
     *
     * @param jsonLine one JSON object, e.g. {@code {"type":"TimeAdvance","timestamp":1000}}.
     * @param buffer   to write the frame to; must have room for the frame from {@code offset}.
     * @param offset   index of the first byte of the frame.
     * @return frame length in bytes: message header plus the message's block length.
     * @throws JsonCommandException when the text is not a single JSON value (duplicate keys included), or as
     *                              {@link #encode(JsonNode, MutableDirectBuffer, int)}; nothing is written then.
     */
    public int encode(final String jsonLine, final MutableDirectBuffer buffer, final int offset)
    {
        final JsonNode node;
        try
        {
            node = mapper.readTree(jsonLine);
        }
        catch (final JsonProcessingException ex)
        {
            throw new JsonCommandException(notJson(ex));
        }
        return encode(node, buffer, offset);
    }

    /**
     * Writes a JSON object as an SBE frame.
     *
     * @param node   a JSON object with {@code "type"} and every field of that message.
     * @param buffer to write the frame to; must have room for the frame from {@code offset}.
     * @param offset index of the first byte of the frame.
     * @return frame length in bytes: message header plus the message's block length.
     * @throws JsonCommandException when the node is not an object, lacks {@code "type"} or names an unknown message,
     *                              has an unknown key, lacks a field, or a field value has the wrong JSON type, is
     *                              not an integer for an integer field, does not fit the field's primitive type or
     *                              is not a name of the field's enum; nothing is written then.
     */
    public int encode(final JsonNode node, final MutableDirectBuffer buffer, final int offset)
    {
        final MessageLayout message = messageOf(node);
        final List<FieldLayout> fields = message.fields();
        for (final Iterator<String> keys = node.fieldNames(); keys.hasNext(); )
        {
            final String key = keys.next();
            if (!key.equals(TYPE_KEY) && !message.hasField(key))
            {
                throw new JsonCommandException(message.name() + ": unknown field \"" + key + "\" (fields: " +
                    message.fieldNames() + ")");
            }
        }
        // Convert every value before writing a byte so that a bad line leaves the buffer untouched.
        final long[] rawValues = new long[fields.size()];
        for (int i = 0; i < rawValues.length; i++)
        {
            final FieldLayout field = fields.get(i);
            final JsonNode value = node.get(field.name());
            if (value == null)
            {
                throw new JsonCommandException(message.name() + ": missing field \"" + field.name() + "\"");
            }
            rawValues[i] = field.parse(value);
        }
        final int bodyOffset = offset + header.length();
        header.write(buffer, offset, message.blockLength(), message.templateId(), schemaId, schemaVersion);
        buffer.setMemory(bodyOffset, message.blockLength(), (byte)0);
        for (int i = 0; i < rawValues.length; i++)
        {
            fields.get(i).write(buffer, bodyOffset, rawValues[i]);
        }
        return header.length() + message.blockLength();
    }

    /**
     * Decodes one frame into a one-line JSON object: {@code "type"} then the fields in schema order, enums by name
     * (a value the enum does not define as its number), non-finite floating point values as the strings
     * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}.
     *
     * @param buffer holding the frame.
     * @param offset index of the first byte of the frame.
     * @param length frame length in bytes; bytes after header plus blockLength are ignored.
     * @return the JSON object, e.g. {@code {"type":"TimeAdvance","timestamp":1000}}.
     * @throws JsonCommandException when the frame is shorter than its header or than header plus blockLength, has
     *                              another schema id, an unknown template id, or a blockLength shorter than the
     *                              message's.
     */
    public String toJson(final DirectBuffer buffer, final int offset, final int length)
    {
        final StringWriter out = new StringWriter();
        try (JsonGenerator generator = mapper.getFactory().createGenerator(out))
        {
            writeJson(buffer, offset, length, generator);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return out.toString();
    }

    /**
     * Writes one frame as a complete JSON object, as {@link #toJson}, so that it can be a value in a larger document.
     *
     * @param buffer    holding the frame.
     * @param offset    index of the first byte of the frame.
     * @param length    frame length in bytes.
     * @param generator where a value may be written.
     * @throws JsonCommandException as {@link #toJson}; nothing is written then.
     * @throws UncheckedIOException when the generator fails.
     */
    public void writeJson(final DirectBuffer buffer, final int offset, final int length, final JsonGenerator generator)
    {
        final MessageLayout message = messageOf(buffer, offset, length);
        try
        {
            generator.writeStartObject();
            writeFields(message, buffer, offset, generator);
            generator.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Writes {@code "type"} and the fields of one frame into an object the caller has started and will end, so
     * that the caller can add its own keys to the same object (the CLI adds {@code "seq"} before them).
     *
     * @param buffer    holding the frame.
     * @param offset    index of the first byte of the frame.
     * @param length    frame length in bytes.
     * @param generator positioned inside an object.
     * @throws JsonCommandException as {@link #toJson}; nothing is written then.
     * @throws UncheckedIOException when the generator fails.
     */
    public void writeFields(final DirectBuffer buffer, final int offset, final int length, final JsonGenerator generator)
    {
        final MessageLayout message = messageOf(buffer, offset, length);
        try
        {
            writeFields(message, buffer, offset, generator);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param type a message name.
     * @return true when the message is a command (template id 1..99), false when it is an event (100..199).
     * @throws JsonCommandException when no message has that name.
     */
    public boolean isCommand(final String type)
    {
        return isCommandTemplateId(message(type).templateId());
    }

    /**
     * @param type a message name.
     * @return its template id.
     * @throws JsonCommandException when no message has that name.
     */
    public int templateId(final String type)
    {
        return message(type).templateId();
    }

    /**
     * @param templateId a template id.
     * @return name of the message with that template id.
     * @throws JsonCommandException when no message has that template id.
     */
    public String typeName(final int templateId)
    {
        final MessageLayout message = messagesByTemplateId.get(templateId);
        if (message == null)
        {
            throw new JsonCommandException("unknown templateId " + templateId);
        }
        return message.name();
    }

    /**
     * @return names of every message, commands then events, in template id order; unmodifiable.
     */
    public List<String> messageNames()
    {
        return messageNames;
    }

    /**
     * @param type a message name.
     * @return the message's fields in schema order; unmodifiable.
     * @throws JsonCommandException when no message has that name.
     */
    public List<FieldInfo> fields(final String type)
    {
        return message(type).fieldInfos();
    }

    /**
     * @return length in bytes of the message header that starts every frame (8 in schema v1).
     */
    public int headerLength()
    {
        return header.length();
    }

    /**
     * @param type a message name.
     * @return frame length in bytes of that message: header plus block length.
     * @throws JsonCommandException when no message has that name.
     */
    public int frameLength(final String type)
    {
        return header.length() + message(type).blockLength();
    }

    private static boolean isCommandTemplateId(final int templateId)
    {
        return templateId >= MIN_COMMAND_TEMPLATE_ID && templateId <= MAX_COMMAND_TEMPLATE_ID;
    }

    private MessageLayout message(final String type)
    {
        final MessageLayout message = messagesByName.get(type);
        if (message == null)
        {
            throw new JsonCommandException("unknown message type \"" + type + "\"");
        }
        return message;
    }

    private MessageLayout messageOf(final JsonNode node)
    {
        if (node == null || node.isMissingNode())
        {
            throw new JsonCommandException("expected a JSON object, got nothing");
        }
        if (!node.isObject())
        {
            throw new JsonCommandException("expected a JSON object, got " + FieldLayout.shown(node));
        }
        final JsonNode type = node.get(TYPE_KEY);
        if (type == null)
        {
            throw new JsonCommandException("missing \"" + TYPE_KEY + "\", the message name (e.g. \"Deposit\")");
        }
        if (!type.isTextual())
        {
            throw new JsonCommandException("\"" + TYPE_KEY + "\" must be a JSON string naming the message, got " +
                FieldLayout.shown(type));
        }
        return message(type.textValue());
    }

    private MessageLayout messageOf(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < header.length())
        {
            throw new JsonCommandException("truncated frame: " + length + " bytes, shorter than the " +
                header.length() + "-byte message header");
        }
        final long frameSchemaId = header.schemaId(buffer, offset);
        if (frameSchemaId != schemaId)
        {
            throw new JsonCommandException("wrong schemaId " + frameSchemaId + ", expected " + schemaId);
        }
        final long templateId = header.templateId(buffer, offset);
        final MessageLayout message = messagesByTemplateId.get((int)templateId);
        if (message == null)
        {
            throw new JsonCommandException("unknown templateId " + templateId);
        }
        final long blockLength = header.blockLength(buffer, offset);
        if (length < header.length() + blockLength)
        {
            throw new JsonCommandException("truncated frame: " + length + " bytes, " + message.name() +
                " header says " + header.length() + " + blockLength " + blockLength);
        }
        if (blockLength < message.blockLength())
        {
            throw new JsonCommandException(message.name() + ": blockLength " + blockLength +
                " is shorter than the schema's " + message.blockLength());
        }
        return message;
    }

    private void writeFields(
        final MessageLayout message, final DirectBuffer buffer, final int offset, final JsonGenerator generator)
        throws IOException
    {
        generator.writeStringField(TYPE_KEY, message.name());
        final int bodyOffset = offset + header.length();
        for (final FieldLayout field : message.fields())
        {
            field.writeJson(buffer, bodyOffset, generator);
        }
    }

    private static String notJson(final JsonProcessingException ex)
    {
        final JsonLocation location = ex.getLocation();
        final String where = location == null ? "" : " at column " + location.getColumnNr();
        return "not valid JSON" + where + ": " + ex.getOriginalMessage().replace('\n', ' ');
    }
}
