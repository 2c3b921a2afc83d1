package io.clearing.sbe.json;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import uk.co.real_logic.sbe.ir.Ir;
import uk.co.real_logic.sbe.ir.IrDecoder;
import uk.co.real_logic.sbe.ir.Signal;
import uk.co.real_logic.sbe.ir.Token;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps docs/messages.md in step with the schema: every message with its template id and block length, every field
 * with its offset and type, every enum value, and every JSON example valid.
 */
class MessagesDocTest
{
    private static final Path DOC = Path.of(System.getProperty("user.dir")).resolve("../docs/messages.md");

    private static List<List<Token>> messages;
    private static List<String> doc;

    @BeforeAll
    static void load() throws IOException
    {
        try (InputStream in = MessagesDocTest.class.getResourceAsStream(SbeJsonCodec.IR_RESOURCE))
        {
            assertNotNull(in, "IR on the classpath");
            try (IrDecoder decoder = new IrDecoder(ByteBuffer.wrap(in.readAllBytes())))
            {
                final Ir ir = decoder.decode();
                messages = new ArrayList<>(ir.messages());
                messages.sort(Comparator.comparingInt(tokens -> tokens.get(0).id()));
            }
        }
        doc = Files.readAllLines(DOC, StandardCharsets.UTF_8);
    }

    @Test
    void documentsEveryMessageWithItsTemplateIdAndBlockLength()
    {
        for (final List<Token> message : messages)
        {
            final Token token = message.get(0);
            final String heading =
                "### " + token.name() + " (templateId " + token.id() + ", blockLength " + token.encodedLength() + ")";
            assertTrue(doc.contains(heading), "missing heading: " + heading);
        }
    }

    @Test
    void documentsEveryFieldOfEveryMessageWithItsOffsetAndType()
    {
        for (final List<Token> message : messages)
        {
            final Token token = message.get(0);
            final List<String> expected = new ArrayList<>();
            for (int i = 0; i < message.size(); i++)
            {
                if (message.get(i).signal() == Signal.BEGIN_FIELD)
                {
                    final Token type = message.get(i + 1);
                    final String typeName = type.signal() == Signal.BEGIN_ENUM ?
                        type.name() : type.encoding().primitiveType().primitiveName();
                    expected.add(message.get(i).offset() + " " + message.get(i).name() + " " + typeName);
                }
            }
            final List<String> documented = new ArrayList<>();
            for (final String[] row : rows(section("### " + token.name() + " (templateId")))
            {
                documented.add(row[1] + " " + unquote(row[2]) + " " + row[3]);
            }
            assertEquals(expected, documented, "fields of " + token.name() + " (offset name type)");
        }
    }

    @Test
    void documentsEveryEnumWithItsValues()
    {
        for (final Map.Entry<String, List<String>> enumValues : enums().entrySet())
        {
            final List<String> documented = new ArrayList<>();
            for (final String[] row : rows(section("### " + enumValues.getKey() + " (")))
            {
                documented.add(row[1] + " " + unquote(row[2]));
            }
            assertEquals(enumValues.getValue(), documented, "values of " + enumValues.getKey() + " (value name)");
        }
    }

    @Test
    void everyJsonExampleEncodesAndEveryCommandHasOne()
    {
        final SbeJsonCodec codec = SbeJsonCodec.load();
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer();
        final TreeSet<String> commandsWithExample = new TreeSet<>();
        boolean inJson = false;
        for (final String line : doc)
        {
            if (line.startsWith("```"))
            {
                inJson = line.equals("```json");
            }
            else if (inJson)
            {
                final int length = codec.encode(line, buffer, 0);
                final String type = codec.typeName(buffer.getShort(2, ByteOrder.LITTLE_ENDIAN));
                if (codec.isCommand(type))
                {
                    commandsWithExample.add(type);
                }
                assertEquals(codec.frameLength(type), length, line);
            }
        }
        final TreeSet<String> commands = new TreeSet<>();
        for (final String type : codec.messageNames())
        {
            if (codec.isCommand(type))
            {
                commands.add(type);
            }
        }
        assertEquals(commands, commandsWithExample, "commands with a JSON example");
    }

    /**
     * @return every enum used by a message field, in first-use order, with its values as "value name".
     */
    private static Map<String, List<String>> enums()
    {
        final Map<String, List<String>> enums = new LinkedHashMap<>();
        for (final List<Token> message : messages)
        {
            for (int i = 0; i < message.size(); i++)
            {
                final Token token = message.get(i);
                if (token.signal() == Signal.BEGIN_ENUM && !enums.containsKey(token.name()))
                {
                    final List<String> values = new ArrayList<>();
                    for (int v = i + 1; message.get(v).signal() == Signal.VALID_VALUE; v++)
                    {
                        final Token value = message.get(v);
                        values.add(value.encoding().constValue().longValue() + " " + value.name());
                    }
                    enums.put(token.name(), values);
                }
            }
        }
        return enums;
    }

    /**
     * @return the lines after the unique heading starting with {@code headingPrefix}, up to the next heading.
     */
    private static List<String> section(final String headingPrefix)
    {
        int start = -1;
        for (int i = 0; i < doc.size(); i++)
        {
            if (doc.get(i).startsWith(headingPrefix))
            {
                assertEquals(-1, start, "more than one heading starts with " + headingPrefix);
                start = i;
            }
        }
        assertTrue(start >= 0, "missing heading starting with " + headingPrefix);
        final List<String> section = new ArrayList<>();
        for (int i = start + 1; i < doc.size() && !doc.get(i).startsWith("#"); i++)
        {
            section.add(doc.get(i));
        }
        return section;
    }

    /**
     * @return cells of the table rows whose first cell is a number and second a backquoted name.
     */
    private static List<String[]> rows(final List<String> section)
    {
        final List<String[]> rows = new ArrayList<>();
        for (final String line : section)
        {
            final String[] cells = line.split("\\|", -1);
            for (int c = 0; c < cells.length; c++)
            {
                cells[c] = cells[c].trim();
            }
            if (line.startsWith("|") && cells.length > 3 && cells[1].matches("-?\\d+") && cells[2].startsWith("`"))
            {
                rows.add(cells);
            }
        }
        return rows;
    }

    private static String unquote(final String cell)
    {
        return cell.replace("`", "");
    }
}
