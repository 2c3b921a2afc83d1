package io.clearing.benchmarks;

import io.clearing.engine.ClearingStateMachine;
import io.clearing.engine.cli.Simulator;
import io.clearing.margin.RiskParameters;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.settlement.EventWriter;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the business-logic thread's time goes on the {@code ./clearing bench} command mix: the same generator
 * (seed 42, sized at twice the commands so its crash falls after them, as the bench sizes it), applied command by
 * command to a {@link ClearingStateMachine} (no ring, no journal), each {@code apply} timed with
 * {@code System.nanoTime}. Prints, after the first 20% (setup and warm-up, as the bench), the time per command
 * template (count, total, share, mean) and the slowest single commands. A diagnostic, not a JMH benchmark: the
 * timer's own cost (~20 ns) is in every figure, and the numbers are one run on a shared machine.
 * <p>
 * Run: {@code java $(cat engine-core/target/jvm.flags) -cp benchmarks/target/benchmarks.jar
 * io.clearing.benchmarks.CommandCostProfile [accounts=20000] [commands=500000]}
 */
public final class CommandCostProfile
{
    private static final int TEMPLATES = 32;
    private static final int SLOWEST = 10;

    private CommandCostProfile()
    {
    }

    /**
     * @param args optional: user accounts, then commands.
     */
    public static void main(final String[] args)
    {
        final int accounts = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        final long commands = args.length > 1 ? Long.parseLong(args[1]) : 500_000L;
        final List<byte[]> frames = new ArrayList<>();
        new Simulator((buffer, offset, length) ->
        {
            if (frames.size() < commands)
            {
                final byte[] frame = new byte[length];
                buffer.getBytes(offset, frame);
                frames.add(frame);
            }
            return 0;
        }, accounts, 2 * commands, 42).run(sent -> { });

        final ClearingStateMachine machine = new ClearingStateMachine(1 << 18, new RiskParameters());
        final EventWriter events = new EventWriter();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final long[] totalNanos = new long[TEMPLATES];
        final long[] count = new long[TEMPLATES];
        final long[] slowNanos = new long[SLOWEST];
        final int[] slowTemplate = new int[SLOWEST];
        final int[] slowIndex = new int[SLOWEST];
        final int[] slowEvents = new int[SLOWEST];
        final int measuredFrom = frames.size() / 5;
        long allNanos = 0;
        for (int i = 0; i < frames.size(); i++)
        {
            final byte[] frame = frames.get(i);
            buffer.wrap(frame);
            final int templateId = header.wrap(buffer, 0).templateId();
            final long start = System.nanoTime();
            machine.apply(buffer, 0, frame.length, events);
            final long nanos = System.nanoTime() - start;
            if (i < measuredFrom || templateId >= TEMPLATES)
            {
                continue;
            }
            allNanos += nanos;
            totalNanos[templateId] += nanos;
            count[templateId]++;
            int fastest = 0;
            for (int k = 1; k < SLOWEST; k++)
            {
                if (slowNanos[k] < slowNanos[fastest])
                {
                    fastest = k;
                }
            }
            if (nanos > slowNanos[fastest])
            {
                slowNanos[fastest] = nanos;
                slowTemplate[fastest] = templateId;
                slowIndex[fastest] = i;
                slowEvents[fastest] = events.count();
            }
        }
        final int measured = frames.size() - measuredFrom;
        System.out.printf("%,d accounts, %,d commands measured (after %,d), %.1f ms in apply, %,.0f commands/s%n",
            accounts, measured, measuredFrom, allNanos / 1e6, measured / (allNanos / 1e9));
        for (int t = 0; t < TEMPLATES; t++)
        {
            if (count[t] > 0)
            {
                System.out.printf("template %2d: %,9d commands, %9.1f ms (%4.1f%%), mean %,9.0f ns%n", t, count[t],
                    totalNanos[t] / 1e6, 100.0 * totalNanos[t] / allNanos, totalNanos[t] / (double)count[t]);
            }
        }
        for (int n = 0; n < SLOWEST; n++)
        {
            int slowest = 0;
            for (int k = 1; k < SLOWEST; k++)
            {
                if (slowNanos[k] > slowNanos[slowest])
                {
                    slowest = k;
                }
            }
            System.out.printf("slowest: template %d, command %,d: %.2f ms, %,d events%n", slowTemplate[slowest],
                slowIndex[slowest], slowNanos[slowest] / 1e6, slowEvents[slowest]);
            slowNanos[slowest] = -1;
        }
        System.out.printf("account evaluations %,d (%,d triggered by price bands), %,d bands registered%n",
            machine.evaluations(), machine.triggeredEvaluations(), machine.bandRegistrations());
    }
}
