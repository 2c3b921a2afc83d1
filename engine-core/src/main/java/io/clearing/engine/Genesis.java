package io.clearing.engine;

import io.clearing.margin.RiskParameters;
import io.clearing.sbe.JournalGenesisDecoder;
import io.clearing.sbe.JournalGenesisEncoder;
import io.clearing.sbe.MessageHeaderDecoder;
import io.clearing.sbe.MessageHeaderEncoder;
import io.clearing.sbe.RiskParameter;
import io.clearing.sbe.RiskParameterChangedDecoder;
import io.clearing.settlement.Accounts;
import io.clearing.settlement.EventWriter;
import io.clearing.settlement.journal.HashChainVerifier;
import io.clearing.settlement.journal.JournalDocument;
import io.clearing.settlement.journal.JournalReader;
import io.clearing.settlement.journal.JournalWriter;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A journal's genesis: the document at sequence 0 recording the configuration the engine started the journal with -
 * the rules version it implements ({@link ClearingStateMachine#RULES_VERSION}; schema version 2 on), its account
 * capacity and the starting value of every risk parameter - so that the journal alone says how to re-execute it
 * (docs/journal-format.md, "Genesis"). Its command is a {@code JournalGenesis} frame; its events are one
 * {@code RiskParameterChanged} per starting value ({@code oldValue = newValue}): a per-underlying parameter once with
 * underlying -1 when it is the same for every underlying, else once per underlying; a global one once, with -1.
 * <p>
 * The state a genesis describes is a fresh {@link ClearingStateMachine} with that capacity and with default
 * {@link RiskParameters} to which the recorded values are set in order - every parameter is recorded, so the result
 * does not depend on the code's defaults. Immutable.
 */
public final class Genesis
{
    private static final int NO_UNDERLYING = -1;

    /** Block length of a schema version 1 JournalGenesis: no rules version (journals before rules version 1). */
    private static final int VERSION_1_BLOCK_LENGTH = JournalGenesisDecoder.rulesVersionEncodingOffset();

    private final int rulesVersion;
    private final int accountCapacity;
    private final int[] parameters;
    private final int[] underlyings;
    private final long[] values;

    private Genesis(final int rulesVersion, final int accountCapacity, final int[] parameters, final int[] underlyings,
        final long[] values)
    {
        this.rulesVersion = rulesVersion;
        this.accountCapacity = accountCapacity;
        this.parameters = parameters;
        this.underlyings = underlyings;
        this.values = values;
    }

    /**
     * @param accountCapacity the engine's account capacity.
     * @param risk            its starting risk parameters.
     * @return the genesis recording them.
     * @throws IllegalArgumentException if the capacity or a parameter value is out of its range (the message says
     *                                  which).
     */
    public static Genesis of(final int accountCapacity, final RiskParameters risk)
    {
        checkCapacity(accountCapacity);
        int count = 0;
        final int[] parameters = new int[RiskParameters.MAX_PARAMETER * RiskParameters.MAX_UNDERLYINGS];
        final int[] underlyings = new int[parameters.length];
        final long[] values = new long[parameters.length];
        for (int parameter = 1; parameter <= RiskParameters.MAX_PARAMETER; parameter++)
        {
            final boolean uniform = !RiskParameters.isPerUnderlying(parameter) || isUniform(risk, parameter);
            final int scopes = uniform ? 1 : RiskParameters.MAX_UNDERLYINGS;
            for (int i = 0; i < scopes; i++)
            {
                final int underlying = uniform ? NO_UNDERLYING : i;
                final long value = risk.get(parameter, underlying);
                if (!RiskParameters.validate(parameter, underlying, value))
                {
                    throw new IllegalArgumentException("risk parameter " + RiskParameter.get(parameter) +
                        (underlying < 0 ? "" : " of underlying " + underlying) + " is out of range: " + value);
                }
                parameters[count] = parameter;
                underlyings[count] = underlying;
                values[count] = value;
                count++;
            }
        }
        return new Genesis(ClearingStateMachine.RULES_VERSION, accountCapacity, Arrays.copyOf(parameters, count),
            Arrays.copyOf(underlyings, count), Arrays.copyOf(values, count));
    }

    private static boolean isUniform(final RiskParameters risk, final int parameter)
    {
        for (int u = 1; u < RiskParameters.MAX_UNDERLYINGS; u++)
        {
            if (risk.get(parameter, u) != risk.get(parameter, 0))
            {
                return false;
            }
        }
        return true;
    }

    private static void checkCapacity(final int accountCapacity)
    {
        if (!Accounts.isValidCapacity(accountCapacity))
        {
            throw new IllegalArgumentException("account capacity out of range: " + accountCapacity + " (" +
                (Accounts.FIRST_USER_ACCOUNT + 1) + " to " + Accounts.MAX_CAPACITY + ")");
        }
    }

    /**
     * Reads the genesis of a journal: its first document when that carries sequence 0, which must then be intact (its
     * hash holds, its previous hash is all zero) and decode.
     *
     * @param directory a journal directory.
     * @return its genesis, or null when its first document does not carry sequence 0 (a journal started without a
     * genesis, or an empty one).
     * @throws IllegalStateException if the first document carries sequence 0 but is damaged or not a valid genesis
     *                               (the message says why), or a queue file is cut short or empty.
     * @throws IllegalArgumentException if the directory holds no journal.
     */
    public static Genesis read(final Path directory)
    {
        // Nobody writes the journal while its genesis is read: an empty newest file is damage too (Chronicle would
        // wait for a header to be written), which a reader following a live journal has to allow.
        final String damage = io.clearing.settlement.journal.JournalFiles.damage(directory, false);
        if (damage != null)
        {
            throw new IllegalStateException(damage);
        }
        try (JournalReader reader = new JournalReader(directory))
        {
            final JournalDocument document = new JournalDocument();
            if (!reader.next(document) || document.totalLength() < Long.BYTES)
            {
                return null;
            }
            if (document.sequence() != 0)
            {
                // A journal starts at its genesis, or at sequence 1 without one: a first document that is a
                // genesis frame under another sequence, or that claims any other sequence, is damaged.
                if (isGenesisFrame(document) || document.sequence() != 1)
                {
                    throw new IllegalStateException("journal " + directory.toAbsolutePath() + ": its first " +
                        "document is damaged: it claims sequence " + document.sequence() + (isGenesisFrame(document) ?
                        " but holds a genesis (sequence 0)" : ", a journal starts at 0 (its genesis) or 1"));
                }
                return null;
            }
            final int check = new HashChainVerifier().verify(document);
            if (check != HashChainVerifier.OK)
            {
                throw new IllegalStateException("journal " + directory.toAbsolutePath() +
                    ": its genesis (sequence 0) is damaged: hash chain: " + HashChainVerifier.resultName(check));
            }
            try
            {
                return decode(document);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalStateException("journal " + directory.toAbsolutePath() + ": " + ex.getMessage(), ex);
            }
        }
    }

    /**
     * Whether a journal's first document - which may be damaged - is its genesis: it claims sequence 0, or its command
     * is a {@code JournalGenesis} frame whatever sequence it claims (a flipped byte in the sequence field must still
     * be located at the genesis).
     *
     * @param document a journal's first document, hash not yet checked.
     * @return true when it is, or was, the genesis.
     */
    public static boolean isFirstGenesis(final JournalDocument document)
    {
        return document.totalLength() >= Long.BYTES && (document.sequence() == 0 || isGenesisFrame(document));
    }

    private static boolean isGenesisFrame(final JournalDocument document)
    {
        return document.structurallyValid() && document.commandLength() >= MessageHeaderDecoder.ENCODED_LENGTH &&
            (document.buffer().getShort(document.commandOffset() + 2, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF) ==
            JournalGenesisDecoder.TEMPLATE_ID;
    }

    /**
     * @param document a structurally valid journal document.
     * @return true when it has sequence 0, the genesis's.
     */
    public static boolean isGenesis(final JournalDocument document)
    {
        return document.structurallyValid() && document.sequence() == 0;
    }

    /**
     * Decodes a genesis document (its hash is the {@link HashChainVerifier}'s business).
     *
     * @param document a structurally valid document with sequence 0.
     * @return the genesis it records.
     * @throws IllegalArgumentException naming what is wrong: not a JournalGenesis frame, a capacity or a value out of
     *                                  range, a parameter missing, events that do not match the count.
     */
    public static Genesis decode(final JournalDocument document)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final int commandOffset = document.commandOffset();
        final int commandLength = document.commandLength();
        // Schema version 1 wrote a shorter frame, without the rules version.
        if (commandLength != MessageHeaderDecoder.ENCODED_LENGTH + JournalGenesisDecoder.BLOCK_LENGTH &&
            commandLength != MessageHeaderDecoder.ENCODED_LENGTH + VERSION_1_BLOCK_LENGTH)
        {
            throw new IllegalArgumentException("genesis (sequence 0): a JournalGenesis frame is " +
                (MessageHeaderDecoder.ENCODED_LENGTH + JournalGenesisDecoder.BLOCK_LENGTH) + " bytes (" +
                (MessageHeaderDecoder.ENCODED_LENGTH + VERSION_1_BLOCK_LENGTH) + " in schema version 1), not " +
                commandLength);
        }
        header.wrap(document.buffer(), commandOffset);
        final int expectedBlock = header.version() >= JournalGenesisDecoder.rulesVersionSinceVersion() ?
            JournalGenesisDecoder.BLOCK_LENGTH : VERSION_1_BLOCK_LENGTH;
        if (header.schemaId() != JournalGenesisDecoder.SCHEMA_ID ||
            header.templateId() != JournalGenesisDecoder.TEMPLATE_ID ||
            header.version() < 1 || header.version() > JournalGenesisDecoder.SCHEMA_VERSION ||
            header.blockLength() != expectedBlock ||
            commandLength != MessageHeaderDecoder.ENCODED_LENGTH + expectedBlock)
        {
            throw new IllegalArgumentException("genesis (sequence 0): sequence 0 is not a JournalGenesis frame (schema " +
                header.schemaId() + ", template " + header.templateId() + ", version " + header.version() +
                ", block " + header.blockLength() + ")");
        }
        final JournalGenesisDecoder command = new JournalGenesisDecoder().wrap(document.buffer(),
            commandOffset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        final int capacity = command.accountCapacity();
        // A version 1 frame has no rules version: its journal was written before rules version 1.
        final int rulesVersion = header.version() >= JournalGenesisDecoder.rulesVersionSinceVersion() ?
            command.rulesVersion() : 0;
        try
        {
            checkCapacity(capacity);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("genesis (sequence 0): " + ex.getMessage(), ex);
        }
        final int count = command.riskParameterCount();
        if (count != document.eventCount())
        {
            throw new IllegalArgumentException("genesis (sequence 0): it says " + count + " risk parameter values, its events are " +
                document.eventCount());
        }
        final int[] parameters = new int[count];
        final int[] underlyings = new int[count];
        final long[] values = new long[count];
        final boolean[] covered = new boolean[RiskParameters.MAX_PARAMETER + 1];
        final boolean[][] coveredUnderlying = new boolean[RiskParameters.MAX_PARAMETER + 1][RiskParameters.MAX_UNDERLYINGS];
        final RiskParameterChangedDecoder event = new RiskParameterChangedDecoder();
        int at = document.firstEventOffset();
        for (int i = 0; i < count; i++)
        {
            final int frame = document.eventFrameOffset(at);
            final int frameLength = document.eventFrameLength(at);
            if (frameLength != MessageHeaderDecoder.ENCODED_LENGTH + RiskParameterChangedDecoder.BLOCK_LENGTH)
            {
                throw new IllegalArgumentException("genesis (sequence 0): event " + i + " is not a RiskParameterChanged frame");
            }
            header.wrap(document.buffer(), frame);
            if (header.schemaId() != RiskParameterChangedDecoder.SCHEMA_ID ||
                header.templateId() != RiskParameterChangedDecoder.TEMPLATE_ID ||
                header.blockLength() != RiskParameterChangedDecoder.BLOCK_LENGTH)
            {
                throw new IllegalArgumentException("genesis (sequence 0): event " + i + " is not a RiskParameterChanged frame");
            }
            event.wrap(document.buffer(), frame + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                header.version());
            final int parameter = event.parameterRaw();
            final int underlying = event.underlyingId();
            final long value = event.newValue();
            if (!RiskParameters.validate(parameter, underlying, value) || event.oldValue() != value)
            {
                throw new IllegalArgumentException("genesis (sequence 0): event " + i + " is not a valid starting value " +
                    "(parameter " + parameter + ", underlying " + underlying + ", old " + event.oldValue() +
                    ", new " + value + ")");
            }
            parameters[i] = parameter;
            underlyings[i] = underlying;
            values[i] = value;
            if (underlying < 0)
            {
                covered[parameter] = true;
            }
            else
            {
                coveredUnderlying[parameter][underlying] = true;
            }
            at = document.nextEventOffset(at);
        }
        for (int parameter = 1; parameter <= RiskParameters.MAX_PARAMETER; parameter++)
        {
            // A per-underlying parameter is covered by one value for all (-1) or by one for every underlying.
            int underlyingsCovered = 0;
            for (final boolean one : coveredUnderlying[parameter])
            {
                underlyingsCovered += one ? 1 : 0;
            }
            if (!covered[parameter] && underlyingsCovered < RiskParameters.MAX_UNDERLYINGS)
            {
                throw new IllegalArgumentException("genesis (sequence 0): no starting value for " +
                    RiskParameter.get(parameter) + (underlyingsCovered > 0 ? " of every underlying" : ""));
            }
        }
        return new Genesis(rulesVersion, capacity, parameters, underlyings, values);
    }

    /**
     * Appends this genesis to an empty journal, as its sequence 0.
     *
     * @param journal an empty journal.
     * @throws IllegalStateException if the journal holds a document.
     */
    public void write(final JournalWriter journal)
    {
        final UnsafeBuffer command = new UnsafeBuffer(
            new byte[MessageHeaderEncoder.ENCODED_LENGTH + JournalGenesisEncoder.BLOCK_LENGTH]);
        new JournalGenesisEncoder().wrapAndApplyHeader(command, 0, new MessageHeaderEncoder())
            .timestamp(0)
            .accountCapacity(accountCapacity)
            .riskParameterCount(values.length)
            .rulesVersion(rulesVersion);
        final EventWriter events = new EventWriter();
        events.reset();
        for (int i = 0; i < values.length; i++)
        {
            events.riskParameterChanged()
                .parameter(RiskParameter.get(parameters[i]))
                .underlyingId(underlyings[i])
                .oldValue(values[i])
                .newValue(values[i]);
        }
        journal.appendGenesis(0, command, 0, command.capacity(), events.buffer(), 0, events.length(),
            events.count());
    }

    /** @return the rules the journal was written under ({@link ClearingStateMachine#RULES_VERSION}; 0 before 1). */
    public int rulesVersion()
    {
        return rulesVersion;
    }

    /**
     * @return null when this code implements the rules the journal was written under, else why it cannot re-execute
     * it (the journal's events follow other rules: a re-execution would differ).
     */
    public String rulesDifference()
    {
        return rulesVersion == ClearingStateMachine.RULES_VERSION ? null : "genesis (sequence 0): the journal was " +
            "written under rules version " + rulesVersion + (rulesVersion == 0 ? " (before versioned rules)" : "") +
            ", this build implements rules version " + ClearingStateMachine.RULES_VERSION +
            ": re-execute it with a build of its rules (docs/audit.md, \"Rules versions\")";
    }

    /** @return the account capacity the journal was started with. */
    public int accountCapacity()
    {
        return accountCapacity;
    }

    /** @return how many starting values it records. */
    public int riskParameterCount()
    {
        return values.length;
    }

    /**
     * @return new risk parameters holding the recorded starting values (version 0, as fresh defaults).
     */
    public RiskParameters riskParameters()
    {
        final RiskParameters risk = new RiskParameters();
        for (int i = 0; i < values.length; i++)
        {
            risk.set(parameters[i], underlyings[i], values[i]);
        }
        risk.restoreVersion(0);
        return risk;
    }

    /**
     * @return a fresh state machine in the state this genesis describes.
     * @throws IllegalArgumentException if the journal was written under other rules ({@link #rulesDifference}).
     */
    public ClearingStateMachine newMachine()
    {
        final String rules = rulesDifference();
        if (rules != null)
        {
            throw new IllegalArgumentException(rules);
        }
        return new ClearingStateMachine(accountCapacity, riskParameters());
    }

    /**
     * @param accountCapacity a configured capacity.
     * @param risk            configured starting risk parameters.
     * @return null when they are what this genesis records, else every difference, readable ("; " between them).
     */
    public String differenceFrom(final int accountCapacity, final RiskParameters risk)
    {
        final StringBuilder differences = new StringBuilder();
        if (accountCapacity != this.accountCapacity)
        {
            differences.append("account capacity ").append(accountCapacity).append(", the journal's ")
                .append(this.accountCapacity);
        }
        final RiskParameters recorded = riskParameters();
        for (int parameter = 1; parameter <= RiskParameters.MAX_PARAMETER; parameter++)
        {
            final int scopes = RiskParameters.isPerUnderlying(parameter) ? RiskParameters.MAX_UNDERLYINGS : 1;
            for (int u = 0; u < scopes; u++)
            {
                if (risk.get(parameter, u) != recorded.get(parameter, u))
                {
                    differences.append(differences.length() > 0 ? "; " : "").append("risk parameter ")
                        .append(RiskParameter.get(parameter)).append(scopes > 1 ? " of underlying " + u : "")
                        .append(' ').append(risk.get(parameter, u)).append(", the journal's ")
                        .append(recorded.get(parameter, u));
                }
            }
        }
        return differences.length() == 0 ? null : differences.toString();
    }
}
