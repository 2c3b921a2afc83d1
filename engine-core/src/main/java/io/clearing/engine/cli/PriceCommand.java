package io.clearing.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clearing.margin.option.Black76;
import io.clearing.margin.option.OptionGreeks;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code price}: the Black-76 value and Greeks of one European option, printed as one JSON object on standard
 * output: {@code price}, {@code delta} (dV/dF), {@code gamma} (d2V/dF2), {@code vega} (per 1.00 of volatility),
 * {@code theta} (-dV/dT per year, forward held fixed), and the inputs under {@code inputs}. The numbers are those of
 * {@link Black76#greeks(boolean, double, double, double, double, double, OptionGreeks)}, written so that they parse
 * back to the same doubles.
 * <p>
 * Input outside Black-76's ranges (forward or strike not finite and &gt; 0, volatility not finite and &ge; 0, years
 * or rate not finite) and an option type other than {@code call} or {@code put} are usage errors: a message and the
 * usage on standard error, exit code 2, nothing on standard output.
 */
@Command(name = "price", mixinStandardHelpOptions = true,
    description = "Black-76 value and Greeks of one European option on a forward, as one JSON object.")
final class PriceCommand implements Callable<Integer>
{
    private static final String CALL = "call";
    private static final String PUT = "put";

    @Spec
    CommandSpec spec;

    @Option(names = "--type", required = true, converter = TypeConverter.class, paramLabel = "call|put",
        description = "call or put.")
    String type;

    @Option(names = "--forward", required = true, description = "Forward price of the underlying at expiry, > 0.")
    double forward;

    @Option(names = "--strike", required = true, description = "Strike, in the units of the forward, > 0.")
    double strike;

    @Option(names = "--years", required = true, description = "Time to expiry in years; <= 0 means expired.")
    double years;

    @Option(names = "--rate", required = true,
        description = "Continuously compounded discount rate per year (0.05 is 5%%), may be negative.")
    double rate;

    @Option(names = "--vol", required = true, description = "Black volatility per sqrt(year) (0.8 is 80%%), >= 0.")
    double vol;

    /**
     * Prices the option and prints the JSON object.
     *
     * @return 0 on success.
     * @throws CommandLine.ParameterException if an input is outside Black-76's ranges (picocli reports it, exit 2).
     * @throws JsonProcessingException never in practice: the object holds only strings and doubles.
     */
    @Override
    public Integer call() throws JsonProcessingException
    {
        final boolean isCall = CALL.equals(type);
        final OptionGreeks greeks = new OptionGreeks();
        try
        {
            Black76.greeks(isCall, forward, strike, years, rate, vol, greeks);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid input: " + ex.getMessage(), ex);
        }
        if (!Double.isFinite(greeks.price()) || !Double.isFinite(greeks.delta()) || !Double.isFinite(greeks.gamma()) ||
            !Double.isFinite(greeks.vega()) || !Double.isFinite(greeks.theta()))
        {
            // Inputs each in range can still be beyond what doubles carry (vol x sqrt(years) overflowing, say).
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid input: the price or a Greek is " +
                "not a finite number for these inputs (price " + greeks.price() + ", delta " + greeks.delta() +
                ", gamma " + greeks.gamma() + ", vega " + greeks.vega() + ", theta " + greeks.theta() + ")");
        }

        final ObjectMapper mapper = new ObjectMapper();
        final ObjectNode result = mapper.createObjectNode();
        result.put("price", greeks.price());
        result.put("delta", greeks.delta());
        result.put("gamma", greeks.gamma());
        result.put("vega", greeks.vega());
        result.put("theta", greeks.theta());
        final ObjectNode inputs = result.putObject("inputs");
        inputs.put("type", type);
        inputs.put("forward", forward);
        inputs.put("strike", strike);
        inputs.put("years", years);
        inputs.put("rate", rate);
        inputs.put("vol", vol);
        System.out.println(mapper.writeValueAsString(result));
        return 0;
    }

    /** Accepts {@code call} and {@code put}; anything else is a picocli parameter error. */
    static final class TypeConverter implements CommandLine.ITypeConverter<String>
    {
        /**
         * @param value the argument of {@code --type}.
         * @return {@code value}, when it is {@code call} or {@code put}.
         * @throws CommandLine.TypeConversionException for any other value.
         */
        @Override
        public String convert(final String value)
        {
            if (CALL.equals(value) || PUT.equals(value))
            {
                return value;
            }
            throw new CommandLine.TypeConversionException("expected call or put but was '" + value + "'");
        }
    }
}
