package io.clearing.engine;

import java.nio.file.Path;

/**
 * A snapshot the engine wrote.
 *
 * @param sequence    the journal sequence it reflects: every document up to it, none after.
 * @param file        where it is.
 * @param bytes       its length.
 * @param encodeNanos how long the business-logic thread was paused encoding it.
 * @param writeNanos  how long the writer thread took to hash, write, force and rename it (the engine ran meanwhile).
 */
public record SnapshotFile(long sequence, Path file, long bytes, long encodeNanos, long writeNanos)
{
}
