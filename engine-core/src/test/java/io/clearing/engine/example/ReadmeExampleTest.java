package io.clearing.engine.example;

import io.clearing.sbe.AssetDefinedDecoder;
import io.clearing.sbe.BalanceChangedDecoder;
import io.clearing.sbe.MarginStatusDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadmeExampleTest
{
    @Test
    void exampleRunsAndProducesTheDocumentedEvents(@TempDir final Path journal) throws Exception
    {
        final List<Integer> templateIds = EmbeddingExample.run(journal);
        assertEquals(List.of(AssetDefinedDecoder.TEMPLATE_ID, BalanceChangedDecoder.TEMPLATE_ID), templateIds,
            "a deposit into an empty account changes its balance; the state stays EMPTY (no positions), " +
                "so no MarginStatus " + MarginStatusDecoder.TEMPLATE_ID);
    }

    @Test
    void readmeShowsTheExampleVerbatim() throws Exception
    {
        final String source = Files.readString(Path.of("src/test/java/io/clearing/engine/example/EmbeddingExample.java"));
        final String body = source.substring(source.indexOf("// README-BEGIN") + "// README-BEGIN".length(),
            source.indexOf("// README-END"));
        final String readme = Files.readString(Path.of("../README.md"));
        for (final String line : body.strip().split("\n"))
        {
            assertTrue(readme.contains(line.strip()), "README.md is missing example line: " + line.strip());
        }
    }
}
