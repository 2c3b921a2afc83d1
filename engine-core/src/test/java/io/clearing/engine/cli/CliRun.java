package io.clearing.engine.cli;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One in-process run of the command line with its standard output captured, as the CLI tests read it.
 *
 * @param exitCode the command's exit code.
 * @param output   what it printed to standard output, UTF-8.
 */
record CliRun(int exitCode, String output)
{
    /** Runs {@code clearing args...} and captures its output; standard output is restored afterwards. */
    static CliRun of(final String... args)
    {
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final PrintStream original = System.out;
        final int exitCode;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            exitCode = new CommandLine(new ClearingCli()).execute(args);
        }
        finally
        {
            System.setOut(original);
        }
        return new CliRun(exitCode, captured.toString(StandardCharsets.UTF_8));
    }
}
