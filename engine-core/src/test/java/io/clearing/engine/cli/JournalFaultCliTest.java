package io.clearing.engine.cli;

import io.clearing.engine.Tmpfs;
import io.clearing.settlement.journal.JournalReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code simulate} and {@code run} on a filesystem that fills up, in a child JVM as a user runs them: the process
 * prints the journal error (directory and cause) and exits {@link ClearingCli#EXIT_JOURNAL_FAILURE}; what it
 * reported is exactly what it journaled; and once space is freed {@code simulate --resume} finishes the run with the
 * final hash of an uninterrupted one. On a read-only filesystem the engine does not start, and the journal is left
 * as it was.
 */
final class JournalFaultCliTest
{
    private static final String[] RUN = {"--accounts", "500", "--commands", "80000", "--seed", "5"};

    @TempDir
    Path work;

    @Test
    void simulateOnAFullDiskExitsWithTheJournalErrorAndResumesToTheUninterruptedHashOnceSpaceIsFreed()
        throws Exception
    {
        final Path reference = work.resolve("reference");
        assertEquals(0, execute("simulate", "--journal", reference.toString()));

        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 24 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final Path log = work.resolve("simulate.log");
            assertEquals(ClearingCli.EXIT_JOURNAL_FAILURE, child(log, "simulate", "--journal", journal.toString()));
            final String output = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(output.contains("simulate: the engine stopped: journal " + journal.toAbsolutePath()), output);
            assertTrue(output.contains("No space left on device"), output);
            assertTrue(output.contains("--resume"), output);

            disk.resize(64 << 20);
            assertEquals(0, execute("simulate", "--journal", journal.toString(), "--resume"));
            assertEquals(ClearingCli.lastHash(reference), ClearingCli.lastHash(journal));
        }
    }

    @Test
    void simulateResumingOnAReadOnlyFileSystemRefusesToStartAndSaysNothingWasSent() throws Exception
    {
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 48 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            assertEquals(0, execute("simulate", "--journal", journal.toString()));
            final String hash = ClearingCli.lastHash(journal);
            disk.remountReadOnly();

            final Path log = work.resolve("simulate.log");
            assertEquals(ClearingCli.EXIT_JOURNAL_FAILURE,
                child(log, "simulate", "--journal", journal.toString(), "--resume"));
            final String output = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(output.contains("simulate: cannot start the engine: journal " + journal.toAbsolutePath() +
                ": the journal directory is on a read-only filesystem"), output);
            assertTrue(output.contains("nothing was sent"), output);
            assertEquals(hash, ClearingCli.lastHash(journal));
        }
    }

    @Test
    void runOnAFullDiskExitsWithTheJournalErrorHavingWrittenEventsOfJournaledCommandsOnly() throws Exception
    {
        final Path in = work.resolve("in.jsonl");
        final List<String> lines = new ArrayList<>();
        lines.add("{\"type\":\"AssetDefinition\",\"timestamp\":1,\"assetId\":0,\"valuationUnderlyingId\":-1," +
            "\"collateralWeightPpm\":1000000}");
        for (int i = 0; i < 60_000; i++)
        {
            lines.add("{\"type\":\"Deposit\",\"timestamp\":" + (2 + i) + ",\"accountId\":" + (16 + i % 1000) +
                ",\"assetId\":0,\"amount\":100000000}");
        }
        Files.write(in, lines, StandardCharsets.UTF_8);

        // The default preallocation is 8 MiB: the journal starts, then fails after about 3 MiB of documents.
        try (Tmpfs disk = Tmpfs.mount(work.resolve("disk"), 12 << 20))
        {
            final Path journal = disk.path().resolve("journal");
            final Path out = work.resolve("out.jsonl");
            final Path log = work.resolve("run.log");
            assertEquals(ClearingCli.EXIT_JOURNAL_FAILURE,
                child(log, "run", "--in", in.toString(), "--out", out.toString(), "--journal", journal.toString()));
            final String output = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(output.contains("run: the engine stopped: journal " + journal.toAbsolutePath()), output);
            assertTrue(output.contains("No space left on device"), output);

            final Set<Long> reported = new TreeSet<>();
            for (final String line : Files.readAllLines(out, StandardCharsets.UTF_8))
            {
                reported.add(Long.parseLong(line.substring("{\"seq\":".length(), line.indexOf(','))));
            }
            final long journaled;
            try (JournalReader reader = new JournalReader(journal))
            {
                journaled = reader.lastSequence();
            }
            assertTrue(journaled > 1 && journaled < lines.size(), journaled + " journaled");
            assertEquals(journaled, reported.size());
            assertEquals(journaled, reported.stream().mapToLong(Long::longValue).max().orElse(0));
        }
    }

    private static int execute(final String... args)
    {
        final List<String> arguments = new ArrayList<>(List.of(args));
        arguments.addAll(List.of(RUN));
        return new CommandLine(new ClearingCli()).execute(arguments.toArray(new String[0]));
    }

    /** Runs the CLI in a child JVM with this JVM's flags and class path; returns its exit code. */
    private static int child(final Path log, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String argument : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (argument.startsWith("--add-") || argument.startsWith("-D") || argument.startsWith("-Xmx"))
            {
                command.add(argument);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ClearingCli.class.getName());
        command.addAll(List.of(args));
        if ("simulate".equals(args[0]))
        {
            command.addAll(List.of(RUN));
        }
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
            .start();
        assertTrue(process.waitFor(180, TimeUnit.SECONDS), "child finished");
        return process.exitValue();
    }
}
