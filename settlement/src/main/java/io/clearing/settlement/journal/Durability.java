package io.clearing.settlement.journal;

/**
 * What an appended journal document survives before anyone is told of it.
 */
public enum Durability
{
    /**
     * In the OS page cache once {@link JournalWriter#append} returns: survives the process (a crash, {@code kill -9}),
     * not the machine (a power loss or kernel panic can take the documents the kernel had not yet written back).
     * The default: no disk wait on the business-logic thread.
     */
    PAGE_CACHE,

    /**
     * On disk once {@link JournalWriter#sync} returns: the journal file's data ({@code fdatasync}), and the directory
     * entry of a file the journal rolled to, are forced to the device. The engine syncs once per batch of documents
     * (group commit) and delivers a batch to its listeners only after that sync.
     */
    SYNCED
}
