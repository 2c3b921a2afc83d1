package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.engine.ClearingEngine;
import io.clearing.engine.Genesis;
import io.clearing.margin.RiskParameters;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code recover}: starts an engine on an existing journal exactly as a restart does - the newest valid snapshot,
 * then the journal after it - reports what it took and stops. Reproduces the restart-time figures of
 * docs/performance.md.
 */
@Command(name = "recover", mixinStandardHelpOptions = true,
    description = "Start an engine on a journal as a restart would (newest valid snapshot, then the journal after " +
        "it), print the snapshot load and tail replay times, and stop.")
final class RecoverCommand implements Callable<Integer>
{
    @Option(names = "--journal", required = true, description = "Journal directory.")
    Path journal;

    @Option(names = "--account-capacity",
        description = "Account capacity of a journal started without a genesis (one with a genesis is restarted " +
            "with the configuration it records; default ${DEFAULT-VALUE}).")
    int accountCapacity = ClearingCli.DEFAULT_ACCOUNT_CAPACITY;

    @Option(names = "--json", description = "Also write the report as JSON to this file.")
    Path json;

    @Override
    public Integer call() throws Exception
    {
        if (!Files.isRegularFile(journal.resolve(SingleChronicleQueue.QUEUE_METADATA_FILE)))
        {
            System.err.println("no journal at " + journal.toAbsolutePath());
            return 2;
        }
        if (ClearingCli.unwritable(json) != null)
        {
            System.err.println("--json: " + ClearingCli.unwritable(json));
            return 2;
        }
        final ClearingEngine engine;
        final long started;
        try
        {
            final Genesis genesis = Genesis.read(journal);
            engine = ClearingEngine.builder().journalDirectory(journal)
                .accountCapacity(genesis == null ? accountCapacity : genesis.accountCapacity())
                .riskParameters(genesis == null ? new RiskParameters() : genesis.riskParameters()).build();
            started = System.nanoTime();
            engine.start();
        }
        catch (final IllegalStateException | java.io.UncheckedIOException ex)
        {
            System.err.println("recover: " + ex.getMessage());
            return 3;
        }
        final long startNanos = System.nanoTime() - started;
        final long lastSequence = engine.lastSequence();
        final int openAccounts = engine.stateMachine().accounts().openCount();
        engine.close();
        final ClearingEngine.Recovery recovery = engine.recovery();

        final PrintStream out = System.out;
        out.printf("journal     %s, last sequence %,d, %,d open accounts%n", journal.toAbsolutePath(), lastSequence,
            openAccounts);
        for (final String skipped : recovery.skippedSnapshots())
        {
            out.printf("skipped     %s%n", skipped);
        }
        if (recovery.snapshotFile() == null)
        {
            out.println("snapshot    none usable: the whole journal is replayed");
        }
        else
        {
            out.printf("snapshot    %s at sequence %,d, %,d bytes: loaded in %.1f ms (read, hash checked, decoded)%n",
                recovery.snapshotFile().getFileName(), recovery.snapshotSequence(), recovery.snapshotBytes(),
                recovery.snapshotLoadNanos() / 1e6);
        }
        out.printf("replay      %,d documents after it in %.1f ms (%,.0f documents/s)%n",
            recovery.replayedDocuments(), recovery.replayNanos() / 1e6,
            recovery.replayedDocuments() / Math.max(recovery.replayNanos() / 1e9, 1e-9));
        out.printf("restart     %.1f ms from start() called to ready (journal opened, state loaded, tail replayed)%n",
            startNanos / 1e6);
        if (json != null)
        {
            final ObjectMapper mapper = new ObjectMapper();
            final ObjectNode node = mapper.createObjectNode();
            node.put("journal", journal.toAbsolutePath().toString());
            node.put("lastSequence", lastSequence);
            node.put("openAccounts", openAccounts);
            node.put("snapshotSequence", recovery.snapshotSequence());
            node.put("snapshotFile", recovery.snapshotFile() == null ? null :
                recovery.snapshotFile().toAbsolutePath().toString());
            node.put("snapshotBytes", recovery.snapshotBytes());
            node.put("snapshotLoadMillis", recovery.snapshotLoadNanos() / 1e6);
            node.put("replayedDocuments", recovery.replayedDocuments());
            node.put("replayMillis", recovery.replayNanos() / 1e6);
            node.put("restartMillis", startNanos / 1e6);
            final var skipped = node.putArray("skippedSnapshots");
            recovery.skippedSnapshots().forEach(skipped::add);
            mapper.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), node);
        }
        return 0;
    }
}
