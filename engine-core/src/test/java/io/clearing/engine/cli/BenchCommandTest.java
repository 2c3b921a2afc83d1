package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./clearing bench}, in-process, tiny: the summary has its keys and the histograms are written. */
final class BenchCommandTest
{
    private static final List<String> LATENCY_KEYS = List.of("p50", "p99", "p999", "p9999", "max");

    @Test
    void writesSummaryWithThroughputsAndPercentilesAndOneHistogramPerRateAndPipeline(@TempDir final Path directory)
        throws IOException
    {
        final Path out = directory.resolve("bench");
        final Path summaryFile = directory.resolve("bench.json");

        final String printed = run("bench", "--accounts", "200", "--commands", "20000", "--rates", "20000,50000",
            "--out", out.toString(), "--summary-json", summaryFile.toString());

        final JsonNode summary = new ObjectMapper().readTree(summaryFile.toFile());
        assertTrue(summary.get("engineCommandsPerSecond").asDouble() > 0, summary.toString());
        assertTrue(summary.get("bareCommandsPerSecond").asDouble() > 0, summary.toString());
        assertEquals(20_000, summary.get("commandsPerRun").asInt());
        final JsonNode rates = summary.get("rates");
        assertEquals(2, rates.size());
        assertEquals(20_000, rates.get(0).get("offeredCommandsPerSecond").asLong());
        assertEquals(50_000, rates.get(1).get("offeredCommandsPerSecond").asLong());
        for (final JsonNode rate : rates)
        {
            for (final String pipeline : List.of("engine", "bare"))
            {
                final JsonNode latency = rate.get(pipeline);
                assertEquals(16_000, latency.get("recorded").asLong(), pipeline);
                for (final String key : LATENCY_KEYS)
                {
                    assertTrue(latency.get(key).asLong() > 0, pipeline + " " + key);
                }
                assertTrue(latency.get("p50").asLong() <= latency.get("max").asLong(), pipeline);
            }
        }
        for (final String name : List.of("engine-20000.hgrm", "bare-20000.hgrm", "engine-50000.hgrm",
            "bare-50000.hgrm"))
        {
            final String hgrm = Files.readString(out.resolve(name));
            assertTrue(hgrm.contains("#[Mean"), name);
            assertTrue(hgrm.matches("(?s).*Total count += +16000].*"), name);
        }
        assertFalse(Files.exists(out.resolve("journals")));
        assertTrue(printed.contains("offered/s"), printed);
    }

    private static String run(final String... args)
    {
        final CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode());
        return run.output();
    }
}
