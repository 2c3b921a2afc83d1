/**
 * The clearing engine's journal: every input command and all the events it produced, written as one hash-chained
 * Chronicle Queue excerpt ({@link io.clearing.settlement.journal.JournalDocument}) by
 * {@link io.clearing.settlement.journal.JournalWriter}, read back by
 * {@link io.clearing.settlement.journal.JournalReader} and checked by
 * {@link io.clearing.settlement.journal.HashChainVerifier}. The byte layout is documented in
 * {@code docs/journal-format.md}.
 */
package io.clearing.settlement.journal;
