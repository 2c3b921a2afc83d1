package io.clearing.settlement;

/**
 * Hard bounds on command values. They keep every product of the ledger inside a long with room to spare, so that
 * an overflow can only come from a value the engine rejects first. All are inclusive maxima.
 */
public final class Limits
{
    /** Collateral assets, ids 0..15. */
    public static final int MAX_ASSETS = 16;
    /** Underlyings (risk units), ids 0..63. */
    public static final int MAX_UNDERLYINGS = 64;
    /** Instruments, ids 0..4095. */
    public static final int MAX_INSTRUMENTS = 4096;
    /** Largest price, strike or mark: 100,000,000.0 per underlying unit. */
    public static final long MAX_PRICE = 100_000_000L * 100_000_000L;
    /** Largest order, fill or position size in contracts. */
    public static final long MAX_QUANTITY = 10_000_000_000L;
    /** Largest contract size: 1,000 underlying units. */
    public static final long MAX_CONTRACT_SIZE = 1_000L * 100_000_000L;
    /** Largest deposit or withdrawal, and largest balance: 1,000,000,000.0 asset units. */
    public static final long MAX_AMOUNT = 1_000_000_000L * 100_000_000L;
    /** Largest notional of one order or one position: 10,000,000,000.0 of the settlement asset. */
    public static final long MAX_NOTIONAL = 10_000_000_000L * 100_000_000L;
    /** Largest fee rate: 1% (maker rebates down to -1%). */
    public static final int MAX_FEE_PPM = 10_000;
    /** Largest implied volatility accepted on a mark: 1000%. */
    public static final double MAX_VOLATILITY = 10.0;

    private Limits()
    {
    }
}
