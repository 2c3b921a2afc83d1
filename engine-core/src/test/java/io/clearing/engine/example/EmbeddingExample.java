package io.clearing.engine.example;

import io.clearing.engine.ClearingEngine;
import io.clearing.engine.WaitStrategyKind;
import io.clearing.sbe.AssetDefinitionEncoder;
import io.clearing.sbe.DepositEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The embedding example shown in README.md; ReadmeExampleTest runs it and checks the README shows this code. */
public final class EmbeddingExample
{
    private EmbeddingExample()
    {
    }

    /** Defines USDC, deposits 1,000 USDC into account 42, and returns the template ids of the events seen. */
    public static List<Integer> run(final Path journalDirectory) throws InterruptedException
    {
        // README-BEGIN
        final List<Integer> eventTemplateIds = new ArrayList<>();
        final MessageHeaderDecoder eventHeader = new MessageHeaderDecoder();
        try (ClearingEngine engine = ClearingEngine.builder()
            .journalDirectory(journalDirectory)          // Chronicle Queue journal, replayed on restart
            .ringSize(1 << 14)
            .waitStrategy(WaitStrategyKind.YIELDING)
            .listener((sequence, command, commandOffset, commandLength,
                events, eventsOffset, eventsLength, eventCount, submitNanos) ->
            {
                // Called on the engine thread after the document is journaled; events are [int32 length][SBE frame].
                int offset = eventsOffset;
                for (int i = 0; i < eventCount; i++)
                {
                    final int frameLength = events.getInt(offset, ByteOrder.LITTLE_ENDIAN);
                    eventHeader.wrap(events, offset + 4);
                    synchronized (eventTemplateIds)
                    {
                        eventTemplateIds.add(eventHeader.templateId());
                    }
                    offset += 4 + frameLength;
                }
            })
            .build())
        {
            engine.start();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
            final MessageHeaderEncoder header = new MessageHeaderEncoder();
            final long now = 1_767_225_600_000_000_000L;  // the sequencer's time, ns since the epoch

            final AssetDefinitionEncoder usdc = new AssetDefinitionEncoder().wrapAndApplyHeader(buffer, 0, header)
                .timestamp(now).assetId(0).valuationUnderlyingId(-1).collateralWeightPpm(1_000_000);
            engine.submit(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + usdc.encodedLength());

            final DepositEncoder deposit = new DepositEncoder().wrapAndApplyHeader(buffer, 0, header)
                .timestamp(now + 1).accountId(42).assetId(0).amount(1_000L * 100_000_000L);  // 1,000.00000000 USDC
            final long result = engine.offer(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + deposit.encodedLength());
            if (result == ClearingEngine.OFFER_BACK_PRESSURED)
            {
                // The ring is full: nothing was enqueued; retry later (or use submit(), which waits).
            }
            while (engine.lastSequence() < 2)
            {
                Thread.sleep(1);
            }
        }
        // README-END
        return eventTemplateIds;
    }
}
