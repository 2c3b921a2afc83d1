package io.clearing.sbe.json;

/**
 * A JSON line or an SBE frame that cannot be converted by {@link SbeJsonCodec}. The message is one line that names
 * what was wrong: the message type, the field, its schema type and the value seen, so it can be shown to the person
 * who wrote the input as is.
 */
public final class JsonCommandException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message one-line description of the problem, naming the field and the value seen.
     */
    public JsonCommandException(final String message)
    {
        super(message);
    }
}
