package io.clearing.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clearing.margin.option.Black76;
import io.clearing.margin.option.OptionGreeks;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./clearing price}, in-process: one JSON object with the Black-76 value and Greeks and the inputs echoed;
 * invalid input is a usage error (exit 2, message on standard error, nothing on standard output).
 */
final class PriceCommandTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final double HAND_TOLERANCE = 1e-12;

    @Test
    void atTheMoneyCallMatchesHandValues() throws IOException
    {
        final Result result = price("--type", "call", "--forward", "100", "--strike", "100", "--years", "1",
            "--rate", "0", "--vol", "0.2");

        // d1 = 0.1, d2 = -0.1, phi(0.1) = exp(-0.005) / sqrt(2 pi) = 0.3969525474770118 (digits from mpmath).
        final JsonNode json = result.json();
        assertEquals(7.965567455405804, json.get("price").asDouble(), HAND_TOLERANCE, "100 (2 N(0.1) - 1)");
        assertEquals(0.539827837277029, json.get("delta").asDouble(), HAND_TOLERANCE, "N(0.1)");
        assertEquals(0.019847627373850588, json.get("gamma").asDouble(), HAND_TOLERANCE, "phi(0.1) / (100 * 0.2)");
        assertEquals(39.69525474770118, json.get("vega").asDouble(), HAND_TOLERANCE, "100 phi(0.1)");
        assertEquals(-3.969525474770118, json.get("theta").asDouble(), HAND_TOLERANCE, "-100 phi(0.1) 0.2 / 2");
    }

    @Test
    void printsExactlyWhatBlack76ComputesForADiscountedPut() throws IOException
    {
        final Result result = price("--type", "put", "--forward", "2500", "--strike", "2600", "--years", "0.25",
            "--rate", "0.03", "--vol", "0.65");

        final OptionGreeks expected = new OptionGreeks();
        Black76.greeks(false, 2500.0, 2600.0, 0.25, 0.03, 0.65, expected);
        final JsonNode json = result.json();
        assertEquals(expected.price(), json.get("price").asDouble());
        assertEquals(expected.delta(), json.get("delta").asDouble());
        assertEquals(expected.gamma(), json.get("gamma").asDouble());
        assertEquals(expected.vega(), json.get("vega").asDouble());
        assertEquals(expected.theta(), json.get("theta").asDouble());
    }

    @Test
    void printsOneObjectWithTheGreeksAndTheInputsEchoed() throws IOException
    {
        final Result result = price("--type", "put", "--forward", "2500", "--strike", "2600", "--years", "0.25",
            "--rate", "0.03", "--vol", "0.65");

        assertEquals(0, result.exitCode());
        assertEquals(1, result.out().strip().split("\n").length);
        assertEquals(List.of("price", "delta", "gamma", "vega", "theta", "inputs"), fieldNames(result.json()));
        assertEquals(MAPPER.readTree("{\"type\":\"put\",\"forward\":2500.0,\"strike\":2600.0,\"years\":0.25," +
            "\"rate\":0.03,\"vol\":0.65}"), result.json().get("inputs"));
    }

    @Test
    void negativeForwardIsAUsageError()
    {
        final Result result = price("--type", "call", "--forward", "-100", "--strike", "100", "--years", "1",
            "--rate", "0", "--vol", "0.2");

        assertUsageError(result, "Invalid input: forward must be finite and > 0: -100.0");
    }

    @Test
    void nanVolatilityIsAUsageError()
    {
        final Result result = price("--type", "call", "--forward", "100", "--strike", "100", "--years", "1",
            "--rate", "0", "--vol", "NaN");

        assertUsageError(result, "Invalid input: vol must be finite and >= 0: NaN");
    }

    @Test
    void unknownTypeIsAUsageError()
    {
        final Result result = price("--type", "straddle", "--forward", "100", "--strike", "100", "--years", "1",
            "--rate", "0", "--vol", "0.2");

        assertUsageError(result, "expected call or put but was 'straddle'");
    }

    private static void assertUsageError(final Result result, final String message)
    {
        assertEquals(2, result.exitCode());
        assertEquals("", result.out());
        assertTrue(result.err().contains(message), result.err());
    }

    private static Result price(final String... options)
    {
        final List<String> args = new ArrayList<>(List.of("price"));
        args.addAll(List.of(options));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream originalOut = System.out;
        final PrintStream originalErr = System.err;
        final int exitCode;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try
        {
            exitCode = new CommandLine(new ClearingCli()).execute(args.toArray(String[]::new));
        }
        finally
        {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        return new Result(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static List<String> fieldNames(final JsonNode node)
    {
        final List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private record Result(int exitCode, String out, String err)
    {
        JsonNode json() throws IOException
        {
            assertEquals(0, exitCode, err);
            return MAPPER.readTree(out);
        }
    }
}
