package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./clearing efficiency}, in-process: cross never above isolated, hedged books at least 1.5x more efficient. */
final class EfficiencyCommandTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void crossInitialMarginIsAtMostIsolatedForEveryBook()
    {
        for (final EfficiencyCommand.Row row : EfficiencyCommand.rows())
        {
            assertTrue(row.crossInitialMargin() <= row.isolatedInitialMargin(), row.toString());
        }
    }

    @Test
    void hedgedBooksNeedLessThanTwoThirdsOfTheirIsolatedMargin()
    {
        final List<EfficiencyCommand.Row> rows = EfficiencyCommand.rows();
        for (int i = 0; i < 4; i++)
        {
            assertTrue(rows.get(i).ratio() > 1.5, rows.get(i).toString());
        }
    }

    @Test
    void printsAMarkdownTableWithOneRowPerBook()
    {
        final String out = run("efficiency");

        final String[] lines = out.strip().split("\n");
        assertEquals("| book | isolated IM (USDC) | cross IM (USDC) | isolated/cross |", lines[0]);
        assertEquals(2 + 5, lines.length);
    }

    @Test
    void jsonPrintsTheSameRows() throws IOException
    {
        final JsonNode array = MAPPER.readTree(run("efficiency", "--json"));

        final List<EfficiencyCommand.Row> rows = EfficiencyCommand.rows();
        assertEquals(rows.size(), array.size());
        for (int i = 0; i < rows.size(); i++)
        {
            assertEquals(rows.get(i).book(), array.get(i).get("book").asText());
            assertEquals(Math.ceil(rows.get(i).crossInitialMargin() / 1e6) / 100.0,
                array.get(i).get("crossInitialMarginUsdc").asDouble());
        }
    }

    private static String run(final String... args)
    {
        final CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode());
        return run.output();
    }
}
