package io.clearing.benchmarks;

import io.clearing.engine.ClearingStateMachine;
import io.clearing.engine.Genesis;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;

import java.nio.file.Path;

/**
 * Where re-execution of a journal spends its time: every document's command applied to a fresh
 * {@link ClearingStateMachine} (no hash chain, no event comparison, no ring - the business logic alone, which is what
 * bounds {@code ./clearing audit}), each {@code apply} timed with {@code System.nanoTime}. Prints the total, then per
 * command template the count, time, share, mean, and the account evaluations and band registrations per command.
 * A diagnostic for comparing builds on the same journal (alternate them: the machine is shared), not a JMH benchmark.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -Xms1g -Xmx4g -cp benchmarks/target/benchmarks.jar
 * io.clearing.benchmarks.JournalReplayProfile clearing-data/simulate-journal [documents] [accountCapacity]}
 */
public final class JournalReplayProfile
{
    private static final int TEMPLATES = 32;
    /** Documents per line of the progress table. */
    private static final long WINDOW = 250_000;

    private JournalReplayProfile()
    {
    }

    /**
     * @param args journal directory, then optionally the number of documents to replay and the account capacity
     *             (default 262,144, the engine's). With {@code -Dprofile.from=N} the per-template table counts only
     *             the documents after the N-th (a window such as a crash: {@code -Dprofile.from=3000000} with 3250000
     *             documents).
     * @throws Exception if the journal cannot be read.
     */
    public static void main(final String[] args) throws Exception
    {
        final Path journal = Path.of(args[0]);
        final long limit = args.length > 1 ? Long.parseLong(args[1]) : Long.MAX_VALUE;
        final long from = Long.getLong("profile.from", 0);
        final int capacity = args.length > 2 ? Integer.parseInt(args[2]) : 1 << 18;
        final Genesis genesis = Genesis.read(journal);
        final ClearingStateMachine machine = genesis != null ? genesis.newMachine() :
            new ClearingStateMachine(capacity, new RiskParameters());
        final EventWriter events = new EventWriter();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final long[] nanos = new long[TEMPLATES];
        final long[] count = new long[TEMPLATES];
        final long[] evaluations = new long[TEMPLATES];
        final long[] bands = new long[TEMPLATES];
        long total = 0;
        long windowStartNanos = 0;
        long windowStartEvaluations = 0;
        long windowStartBands = 0;
        long documents = 0;
        final long wallStart = System.nanoTime();
        try (JournalReader reader = new JournalReader(journal))
        {
            final JournalDocument document = new JournalDocument();
            while (documents < limit && reader.next(document))
            {
                if (document.sequence() == 0)
                {
                    continue;  // the genesis configured the machine
                }
                final int template = header.wrap(document.buffer(), document.commandOffset()).templateId();
                final long evaluationsBefore = machine.evaluations();
                final long bandsBefore = machine.bandRegistrations();
                final long start = System.nanoTime();
                machine.apply(document.buffer(), document.commandOffset(), document.commandLength(), events);
                final long elapsed = System.nanoTime() - start;
                total += elapsed;
                documents++;
                if (documents % WINDOW == 0)
                {
                    System.out.printf("documents %,10d-%,10d: %6.2f s in apply, %,12d evaluations, %,12d bands%n",
                        documents - WINDOW + 1, documents, (total - windowStartNanos) / 1e9,
                        machine.evaluations() - windowStartEvaluations, machine.bandRegistrations() - windowStartBands);
                    windowStartNanos = total;
                    windowStartEvaluations = machine.evaluations();
                    windowStartBands = machine.bandRegistrations();
                }
                if (template >= 0 && template < TEMPLATES && documents > from)
                {
                    nanos[template] += elapsed;
                    count[template]++;
                    evaluations[template] += machine.evaluations() - evaluationsBefore;
                    bands[template] += machine.bandRegistrations() - bandsBefore;
                }
            }
        }
        System.out.printf("%,d documents: %.1f s in apply (%,.0f documents/s), %.1f s wall with the journal read%n",
            documents, total / 1e9, documents / (total / 1e9), (System.nanoTime() - wallStart) / 1e9);
        for (int t = 0; t < TEMPLATES; t++)
        {
            if (count[t] > 0)
            {
                System.out.printf("template %2d: %,10d commands %9.1f ms (%4.1f%%) mean %,9.0f ns, " +
                    "evaluations %6.2f, bands %6.2f per command%n", t, count[t], nanos[t] / 1e6,
                    100.0 * nanos[t] / total, nanos[t] / (double)count[t], evaluations[t] / (double)count[t],
                    bands[t] / (double)count[t]);
            }
        }
        System.out.printf("account evaluations %,d (%,d triggered by price bands), %,d bands registered " +
            "(%,d edges kept in place)%n", machine.evaluations(), machine.triggeredEvaluations(),
            machine.bandRegistrations(), machine.keptBandEdges());
    }
}
