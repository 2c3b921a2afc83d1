package io.clearing.sbe.json;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import uk.co.real_logic.sbe.ir.Ir;
import uk.co.real_logic.sbe.ir.IrDecoder;
import uk.co.real_logic.sbe.ir.Signal;
import uk.co.real_logic.sbe.ir.Token;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps docs/snapshot-format.md in step with the snapshot schema: every message with its template id and block
 * length, and in schema order every field with its offset and type and every repeating group with its row length.
 */
final class SnapshotFormatDocTest
{
    private static final Path DOC = Path.of(System.getProperty("user.dir")).resolve("../docs/snapshot-format.md");
    private static final String IR_RESOURCE = "/sbe/clearing-snapshot-schema.sbeir";

    private static List<List<Token>> messages;
    private static List<String> doc;

    @BeforeAll
    static void load() throws IOException
    {
        try (InputStream in = SnapshotFormatDocTest.class.getResourceAsStream(IR_RESOURCE))
        {
            assertNotNull(in, "snapshot IR on the classpath");
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
    void documentsEveryMessageFieldAndGroupInSchemaOrder()
    {
        assertEquals(11, messages.size(), "snapshot messages");
        for (final List<Token> message : messages)
        {
            final Token token = message.get(0);
            final List<String> expected = new ArrayList<>();
            for (int i = 1; i < message.size(); i++)
            {
                final Token field = message.get(i);
                if (field.signal() == Signal.BEGIN_GROUP)
                {
                    expected.add("group " + field.name() + " " + field.encodedLength());
                }
                else if (field.signal() == Signal.BEGIN_FIELD)
                {
                    final Token type = message.get(i + 1);
                    final String primitive = type.encoding().primitiveType().primitiveName();
                    expected.add(field.offset() + " " + field.name() + " " +
                        (type.arrayLength() > 1 ? primitive + "[" + type.arrayLength() + "]" : primitive));
                }
            }
            final String heading =
                "### " + token.name() + " (templateId " + token.id() + ", blockLength " + token.encodedLength() + ")";
            assertEquals(expected, documented(heading), "fields and groups of " + token.name());
        }
    }

    /** @return "offset name type" per field row and "group name blockLength" per group heading of the section. */
    private static List<String> documented(final String heading)
    {
        final int start = doc.indexOf(heading);
        assertTrue(start >= 0, "missing heading: " + heading);
        final List<String> entries = new ArrayList<>();
        for (int i = start + 1; i < doc.size() && !doc.get(i).startsWith("### ") && !doc.get(i).startsWith("## "); i++)
        {
            final String line = doc.get(i);
            if (line.startsWith("#### Group `"))
            {
                final String name = line.substring("#### Group `".length(), line.indexOf('`', "#### Group `".length()));
                final String length = line.replaceAll(".*\\(blockLength (\\d+)\\).*", "$1");
                entries.add("group " + name + " " + length);
                continue;
            }
            final String[] cells = line.split("\\|", -1);
            if (line.startsWith("|") && cells.length > 4 && cells[1].trim().matches("\\d+"))
            {
                entries.add(cells[1].trim() + " " + cells[2].trim().replace("`", "") + " " + cells[3].trim());
            }
        }
        return entries;
    }
}
