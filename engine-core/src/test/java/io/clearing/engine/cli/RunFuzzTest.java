package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.sbe.json.SbeJsonCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded fuzz of {@code ./clearing run}: the simulator's valid market (crash included) as JSON lines, interleaved
 * with bad lines of fifteen kinds. Lines that are not a command at all (garbage, truncated JSON, not an object, an
 * unknown or event type, a missing, mistyped or out-of-range field, an undefined enum name) must each get exactly one
 * {@code InputError} naming their line; lines that are well-formed commands with hostile values (unknown account,
 * instrument or order, non-finite or negative price, withdrawal beyond any balance, time going backwards) must each
 * get exactly one rejection with a specific reason. The run exits 0, the valid lines' events equal those of a run of
 * the valid lines alone, and the journal audits clean (chain, bit-for-bit re-execution, conservation per document).
 * Sizes: {@code -Dclearing.runfuzz.commands} valid commands (default 10,000) and {@code -Dclearing.runfuzz.lines} bad
 * lines (default 10,000).
 */
final class RunFuzzTest
{
    private static final int ACCOUNTS = 200;
    private static final long COMMANDS = Long.getLong("clearing.runfuzz.commands", 10_000L);
    private static final int BAD_LINES = Integer.getInteger("clearing.runfuzz.lines", 10_000);
    private static final long SEED = 0x5EED_F022L;
    private static final int INPUT_ERROR_KINDS = 9;
    private static final int REJECTED_KINDS = 7;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tempDir;

    private final SbeJsonCodec codec = SbeJsonCodec.load();
    private final SplittableRandom random = new SplittableRandom(SEED);

    @Test
    void everyBadLineIsAnsweredOnceAndTheValidRunIsUnchanged() throws IOException
    {
        final List<String> valid = new ArrayList<>();
        new Simulator((buffer, offset, length) ->
        {
            valid.add(codec.toJson(buffer, offset, length));
            return 0;
        }, ACCOUNTS, COMMANDS, SEED).run(sent -> { });

        // Mixed input: each bad line goes after a seeded random valid line; kinds of line by 1-based line number.
        final int[] badAfter = new int[valid.size()];
        for (int b = 0; b < BAD_LINES; b++)
        {
            badAfter[random.nextInt(valid.size())]++;
        }
        final List<String> mixed = new ArrayList<>();
        final Map<Integer, Boolean> badLineReachesEngine = new TreeMap<>();
        int bad = 0;
        for (int i = 0; i < valid.size(); i++)
        {
            final String line = valid.get(i);
            mixed.add(line);
            final ObjectNode context = (ObjectNode)MAPPER.readTree(line);
            for (int b = 0; b < badAfter[i]; b++)
            {
                final boolean reachesEngine = random.nextInt(INPUT_ERROR_KINDS + REJECTED_KINDS) >= INPUT_ERROR_KINDS;
                mixed.add(reachesEngine ? hostileCommand(context) : notACommand(context, line));
                badLineReachesEngine.put(mixed.size(), reachesEngine);
                bad++;
            }
        }

        final List<JsonNode> validOnly = run("valid", valid);
        final List<JsonNode> fuzzed = run("fuzzed", mixed);

        // Input errors: exactly the bad lines that are not commands, once each, in input order.
        final List<Long> inputErrorLines = new ArrayList<>();
        for (final JsonNode node : fuzzed)
        {
            if ("InputError".equals(node.get("type").asText()))
            {
                inputErrorLines.add(node.get("line").asLong());
            }
        }
        final List<Long> expectedInputErrorLines = new ArrayList<>();
        badLineReachesEngine.forEach((line, reaches) ->
        {
            if (!reaches)
            {
                expectedInputErrorLines.add((long)line);
            }
        });
        assertEquals(expectedInputErrorLines, inputErrorLines);

        // Commands reached the engine in input order, sequence 1, 2, ...: which sequences are hostile.
        final List<Boolean> hostileBySequence = new ArrayList<>();
        hostileBySequence.add(false);
        for (int line = 1; line <= mixed.size(); line++)
        {
            final Boolean reaches = badLineReachesEngine.get(line);
            if (reaches == null || reaches)
            {
                hostileBySequence.add(reaches != null);
            }
        }
        final Map<Long, List<JsonNode>> fuzzedBySequence = bySequence(fuzzed);
        final List<List<String>> validEventsInFuzzedRun = new ArrayList<>();
        int rejections = 0;
        for (long sequence = 1; sequence < hostileBySequence.size(); sequence++)
        {
            final List<JsonNode> events = fuzzedBySequence.getOrDefault(sequence, List.of());
            if (hostileBySequence.get((int)sequence))
            {
                assertEquals(1, events.size(), "hostile command at sequence " + sequence + ": " + events);
                final String type = events.get(0).get("type").asText();
                assertTrue(type.equals("CommandRejected") || type.equals("OrderRejected"), events.toString());
                assertNotEquals("INTERNAL_ERROR", events.get(0).get("reason").asText(), events.toString());
                rejections++;
            }
            else
            {
                validEventsInFuzzedRun.add(withoutSequence(events));
            }
        }
        assertEquals(expectedInputErrorLines.size() + rejections, bad);

        final Map<Long, List<JsonNode>> validBySequence = bySequence(validOnly);
        final List<List<String>> validEvents = new ArrayList<>();
        for (long sequence = 1; sequence <= valid.size(); sequence++)
        {
            validEvents.add(withoutSequence(validBySequence.getOrDefault(sequence, List.of())));
        }
        assertEquals(validEvents.size(), validEventsInFuzzedRun.size());
        for (int i = 0; i < validEvents.size(); i++)
        {
            assertEquals(validEvents.get(i), validEventsInFuzzedRun.get(i), "valid command " + (i + 1));
        }

        assertEquals(0, new CommandLine(new ClearingCli()).execute(
            "audit", "--journal", tempDir.resolve("fuzzed-journal").toString()));
    }

    /** A line the JSON codec refuses before anything reaches the engine. */
    private String notACommand(final ObjectNode context, final String validLine)
    {
        final ObjectNode copy = context.deepCopy();
        switch (random.nextInt(INPUT_ERROR_KINDS))
        {
            case 0:
                return garbage();
            case 1:
                return validLine.substring(0, 1 + random.nextInt(validLine.length() - 1));
            case 2:
                return random.nextBoolean() ? "[1,2,3]" : String.valueOf(random.nextLong());
            case 3:
                copy.put("type", "Teleport" + random.nextInt(100));
                return copy.toString();
            case 4:
                return "{\"type\":\"BalanceChanged\",\"accountId\":21,\"assetId\":0,\"reason\":\"DEPOSIT\"," +
                    "\"amount\":1,\"balanceBefore\":0,\"balanceAfter\":1,\"referenceId\":0}";
            case 5:
                final Iterator<String> names = copy.fieldNames();
                names.next();
                final List<String> fields = new ArrayList<>();
                names.forEachRemaining(fields::add);
                copy.remove(fields.get(random.nextInt(fields.size())));
                return copy.toString();
            case 6:
                return "{\"type\":\"Deposit\",\"timestamp\":" + timestamp(context) + ",\"accountId\":" +
                    (3_000_000_000L + random.nextInt(1000)) + ",\"assetId\":0,\"amount\":1}";
            case 7:
                return "{\"type\":\"Deposit\",\"timestamp\":" + timestamp(context) +
                    ",\"accountId\":\"twenty\",\"assetId\":0,\"amount\":1}";
            default:
                return "{\"type\":\"NewOrder\",\"timestamp\":" + timestamp(context) + ",\"orderId\":1,\"accountId\":16," +
                    "\"instrumentId\":0,\"side\":\"SIDEWAYS\",\"price\":1,\"quantity\":1,\"reduceOnly\":\"FALSE\"}";
        }
    }

    /** A well-formed command that the engine must reject with a specific reason. */
    private String hostileCommand(final ObjectNode context)
    {
        final long now = timestamp(context);
        final int account = 16 + random.nextInt(ACCOUNTS);
        switch (random.nextInt(REJECTED_KINDS))
        {
            case 0:
                return "{\"type\":\"Deposit\",\"timestamp\":" + now + ",\"accountId\":" +
                    (2_000_000_000 + random.nextInt(1000)) + ",\"assetId\":0,\"amount\":100000000}";
            case 1:
                return "{\"type\":\"MarkPrice\",\"timestamp\":" + now + ",\"instrumentId\":" + random.nextInt(3) +
                    ",\"price\":" + (random.nextBoolean() ? -1 - random.nextInt(1000) : 6500000000000L) +
                    ",\"impliedVolatility\":\"" + (random.nextBoolean() ? "NaN" : "-Infinity") + "\"}";
            case 2:
                return "{\"type\":\"Withdrawal\",\"timestamp\":" + now + ",\"accountId\":" + account +
                    ",\"assetId\":0,\"amount\":" + (Long.MAX_VALUE - random.nextInt(1000)) + "}";
            case 3:
                return "{\"type\":\"Fill\",\"timestamp\":" + now + ",\"tradeId\":" + (1L << 60) + ",\"instrumentId\":0," +
                    "\"price\":6500000000000,\"quantity\":1,\"makerOrderId\":" + (Long.MAX_VALUE - 1) +
                    ",\"makerAccountId\":" + account + ",\"takerOrderId\":" + (Long.MAX_VALUE - 2) +
                    ",\"takerAccountId\":" + (account + 1) + ",\"takerSide\":\"BUY\"}";
            case 4:
                return "{\"type\":\"NewOrder\",\"timestamp\":" + now + ",\"orderId\":" + (1L << 61) + ",\"accountId\":" +
                    account + ",\"instrumentId\":" + (4000 + random.nextInt(90)) + ",\"side\":\"BUY\"," +
                    "\"price\":100000000,\"quantity\":1,\"reduceOnly\":\"FALSE\"}";
            case 5:
                return "{\"type\":\"CancelOrder\",\"timestamp\":" + now + ",\"orderId\":" + (Long.MAX_VALUE - 3) +
                    ",\"accountId\":" + account + "}";
            default:
                // Long before the market's first command: backwards whatever the engine's clock.
                return "{\"type\":\"Deposit\",\"timestamp\":" + random.nextInt(1_000_000) +
                    ",\"accountId\":" + account + ",\"assetId\":0,\"amount\":100000000}";
        }
    }

    private String garbage()
    {
        final StringBuilder text = new StringBuilder();
        final int length = 1 + random.nextInt(80);
        for (int i = 0; i < length; i++)
        {
            text.append((char)(33 + random.nextInt(94)));
        }
        return text.toString();
    }

    private static long timestamp(final JsonNode context)
    {
        return context.get("timestamp").asLong();
    }

    private List<JsonNode> run(final String name, final List<String> lines) throws IOException
    {
        final Path in = tempDir.resolve(name + ".jsonl");
        final Path out = tempDir.resolve(name + "-out.jsonl");
        Files.write(in, lines, StandardCharsets.UTF_8);
        final int exitCode = new CommandLine(new ClearingCli()).execute(
            "run", "--in", in.toString(), "--out", out.toString(), "--journal",
            tempDir.resolve(name + "-journal").toString());
        assertEquals(0, exitCode, name + " run");
        final List<JsonNode> nodes = new ArrayList<>();
        for (final String line : Files.readAllLines(out, StandardCharsets.UTF_8))
        {
            nodes.add(MAPPER.readTree(line));
        }
        return nodes;
    }

    private static Map<Long, List<JsonNode>> bySequence(final List<JsonNode> output)
    {
        final Map<Long, List<JsonNode>> events = new TreeMap<>();
        for (final JsonNode node : output)
        {
            if (node.has("seq"))
            {
                events.computeIfAbsent(node.get("seq").asLong(), key -> new ArrayList<>()).add(node);
            }
        }
        return events;
    }

    private static List<String> withoutSequence(final List<JsonNode> events)
    {
        final List<String> stripped = new ArrayList<>();
        for (final JsonNode event : events)
        {
            final ObjectNode copy = (ObjectNode)event.deepCopy();
            copy.remove("seq");
            stripped.add(copy.toString());
        }
        return stripped;
    }
}
