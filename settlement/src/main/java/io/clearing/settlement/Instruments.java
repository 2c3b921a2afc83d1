package io.clearing.settlement;

import io.clearing.sbe.InstrumentKind;
import io.clearing.sbe.snapshot.InstrumentTableDecoder;
import io.clearing.sbe.snapshot.InstrumentTableEncoder;

/**
 * Definitions and live market data of instruments, underlyings and collateral assets, by id. Struct-of-arrays,
 * allocated once. Only defined ids ever change, so a snapshot of the defined ones is the whole table. Not
 * thread-safe.
 */
public final class Instruments
{
    /** Raw kind values, equal to the SBE enum. */
    public static final int PERPETUAL = InstrumentKind.PERPETUAL.value();
    /** See {@link #PERPETUAL}. */
    public static final int FUTURE = InstrumentKind.FUTURE.value();
    /** See {@link #PERPETUAL}. */
    public static final int CALL = InstrumentKind.CALL.value();
    /** See {@link #PERPETUAL}. */
    public static final int PUT = InstrumentKind.PUT.value();

    private final boolean[] defined = new boolean[Limits.MAX_INSTRUMENTS];
    private final int[] definedIds = new int[Limits.MAX_INSTRUMENTS];
    private int definedCount;
    private final byte[] kind = new byte[Limits.MAX_INSTRUMENTS];
    private final int[] underlying = new int[Limits.MAX_INSTRUMENTS];
    private final int[] settlementAsset = new int[Limits.MAX_INSTRUMENTS];
    private final long[] strike = new long[Limits.MAX_INSTRUMENTS];
    private final long[] expiry = new long[Limits.MAX_INSTRUMENTS];
    private final long[] contractSize = new long[Limits.MAX_INSTRUMENTS];
    private final int[] makerFeePpm = new int[Limits.MAX_INSTRUMENTS];
    private final int[] takerFeePpm = new int[Limits.MAX_INSTRUMENTS];
    private final long[] markPrice = new long[Limits.MAX_INSTRUMENTS];
    private final double[] markVolatility = new double[Limits.MAX_INSTRUMENTS];
    private final boolean[] settled = new boolean[Limits.MAX_INSTRUMENTS];
    private final long[] premiumSumE8 = new long[Limits.MAX_INSTRUMENTS];
    private final long[] premiumSamples = new long[Limits.MAX_INSTRUMENTS];
    private final long[] nextFunding = new long[Limits.MAX_INSTRUMENTS];

    private final boolean[] underlyingDefined = new boolean[Limits.MAX_UNDERLYINGS];
    private final long[] indexPrice = new long[Limits.MAX_UNDERLYINGS];

    private final boolean[] assetDefined = new boolean[Limits.MAX_ASSETS];
    private final int[] assetValuationUnderlying = new int[Limits.MAX_ASSETS];
    private final int[] assetWeightPpm = new int[Limits.MAX_ASSETS];

    /** @return whether an instrument id is defined. */
    public boolean isDefined(final int id)
    {
        return id >= 0 && id < Limits.MAX_INSTRUMENTS && defined[id];
    }

    /** Defines an instrument; the caller validated every field. */
    public void define(
        final int id,
        final int kindValue,
        final int underlyingId,
        final int settlementAssetId,
        final long strikePrice,
        final long expiryTimestamp,
        final long size,
        final int makerFee,
        final int takerFee)
    {
        defined[id] = true;
        definedIds[definedCount++] = id;
        kind[id] = (byte)kindValue;
        underlying[id] = underlyingId;
        settlementAsset[id] = settlementAssetId;
        strike[id] = strikePrice;
        expiry[id] = expiryTimestamp;
        contractSize[id] = size;
        makerFeePpm[id] = makerFee;
        takerFeePpm[id] = takerFee;
        underlyingDefined[underlyingId] = true;
    }

    /** @return number of defined instruments. */
    public int definedCount()
    {
        return definedCount;
    }

    /** @return the i-th defined instrument id, in definition order. */
    public int definedId(final int i)
    {
        return definedIds[i];
    }

    /** @return raw kind. */
    public int kind(final int id)
    {
        return kind[id];
    }

    /** @return true for calls and puts. */
    public boolean isOption(final int id)
    {
        return kind[id] == CALL || kind[id] == PUT;
    }

    /** @return underlying id. */
    public int underlying(final int id)
    {
        return underlying[id];
    }

    /** @return settlement asset id. */
    public int settlementAsset(final int id)
    {
        return settlementAsset[id];
    }

    /** @return strike of an option, 0 otherwise. */
    public long strike(final int id)
    {
        return strike[id];
    }

    /** @return expiry timestamp, 0 for perpetuals. */
    public long expiry(final int id)
    {
        return expiry[id];
    }

    /** @return contract size, 1e-8 underlying units. */
    public long contractSize(final int id)
    {
        return contractSize[id];
    }

    /** @return maker fee, ppm of notional, negative for a rebate. */
    public int makerFeePpm(final int id)
    {
        return makerFeePpm[id];
    }

    /** @return taker fee, ppm of notional. */
    public int takerFeePpm(final int id)
    {
        return takerFeePpm[id];
    }

    /** @return mark price, 0 until the first mark. */
    public long markPrice(final int id)
    {
        return markPrice[id];
    }

    /** @return mark implied volatility of an option. */
    public double markVolatility(final int id)
    {
        return markVolatility[id];
    }

    /** Sets the mark. */
    public void mark(final int id, final long price, final double volatility)
    {
        markPrice[id] = price;
        markVolatility[id] = volatility;
    }

    /** @return true once the instrument settled at expiry. */
    public boolean isSettled(final int id)
    {
        return settled[id];
    }

    /** Marks the instrument settled. */
    public void settled(final int id)
    {
        settled[id] = true;
    }

    /** @return true when the instrument has an expiry at or before {@code now}. */
    public boolean isExpired(final int id, final long now)
    {
        return expiry[id] != 0 && now >= expiry[id];
    }

    /** @return sum of premium samples since the last funding, 1e-8 fraction. */
    public long premiumSumE8(final int id)
    {
        return premiumSumE8[id];
    }

    /** @return number of premium samples since the last funding. */
    public long premiumSamples(final int id)
    {
        return premiumSamples[id];
    }

    /** Adds a premium sample. */
    public void samplePremium(final int id, final long premiumE8)
    {
        premiumSumE8[id] = Math.addExact(premiumSumE8[id], premiumE8);
        premiumSamples[id]++;
    }

    /** Clears premium samples after a funding. */
    public void resetPremium(final int id)
    {
        premiumSumE8[id] = 0;
        premiumSamples[id] = 0;
    }

    /** @return next funding time, 0 until scheduled. */
    public long nextFunding(final int id)
    {
        return nextFunding[id];
    }

    /** Schedules the next funding. */
    public void nextFunding(final int id, final long timestamp)
    {
        nextFunding[id] = timestamp;
    }

    /** @return whether an underlying has an instrument or an asset valued by it. */
    public boolean isUnderlyingDefined(final int id)
    {
        return id >= 0 && id < Limits.MAX_UNDERLYINGS && underlyingDefined[id];
    }

    /** @return index price, 0 until the first tick. */
    public long indexPrice(final int underlyingId)
    {
        return indexPrice[underlyingId];
    }

    /** Sets an index price. */
    public void indexPrice(final int underlyingId, final long price)
    {
        indexPrice[underlyingId] = price;
    }

    /** @return whether an asset id is defined. */
    public boolean isAssetDefined(final int id)
    {
        return id >= 0 && id < Limits.MAX_ASSETS && assetDefined[id];
    }

    /** Defines a collateral asset. */
    public void defineAsset(final int id, final int valuationUnderlyingId, final int weightPpm)
    {
        assetDefined[id] = true;
        assetValuationUnderlying[id] = valuationUnderlyingId;
        assetWeightPpm[id] = weightPpm;
        if (valuationUnderlyingId >= 0)
        {
            underlyingDefined[valuationUnderlyingId] = true;
        }
    }

    /** @return underlying whose index values the asset, -1 for the margin currency. */
    public int assetValuationUnderlying(final int id)
    {
        return assetValuationUnderlying[id];
    }

    /** @return collateral weight, ppm. */
    public int assetWeightPpm(final int id)
    {
        return assetWeightPpm[id];
    }

    /**
     * @return price of one asset unit in margin currency, 1e-8; {@link io.clearing.margin.Fixed#SCALE} for the margin
     * currency, 0 when its index has not ticked yet.
     */
    public long assetPrice(final int id)
    {
        final int u = assetValuationUnderlying[id];
        return u < 0 ? io.clearing.margin.Fixed.SCALE : indexPrice[u];
    }

    /**
     * Writes the defined assets and underlyings (ascending id) and the defined instruments in definition order.
     *
     * @param encoder wrapped at the message; its groups are written in schema order.
     */
    public void writeSnapshot(final InstrumentTableEncoder encoder)
    {
        int assets = 0;
        for (int id = 0; id < Limits.MAX_ASSETS; id++)
        {
            assets += assetDefined[id] ? 1 : 0;
        }
        final InstrumentTableEncoder.AssetsEncoder assetRows = encoder.assetsCount(assets);
        for (int id = 0; id < Limits.MAX_ASSETS; id++)
        {
            if (assetDefined[id])
            {
                assetRows.next()
                    .assetId(id)
                    .valuationUnderlyingId(assetValuationUnderlying[id])
                    .collateralWeightPpm(assetWeightPpm[id]);
            }
        }
        int underlyings = 0;
        for (int id = 0; id < Limits.MAX_UNDERLYINGS; id++)
        {
            underlyings += underlyingDefined[id] ? 1 : 0;
        }
        final InstrumentTableEncoder.UnderlyingsEncoder underlyingRows = encoder.underlyingsCount(underlyings);
        for (int id = 0; id < Limits.MAX_UNDERLYINGS; id++)
        {
            if (underlyingDefined[id])
            {
                underlyingRows.next().underlyingId(id).indexPrice(indexPrice[id]);
            }
        }
        final InstrumentTableEncoder.InstrumentsEncoder rows = encoder.instrumentsCount(definedCount);
        for (int i = 0; i < definedCount; i++)
        {
            final int id = definedIds[i];
            rows.next()
                .instrumentId(id)
                .kind(kind[id])
                .settled((short)(settled[id] ? 1 : 0))
                .underlyingId(underlying[id])
                .settlementAssetId(settlementAsset[id])
                .makerFeePpm(makerFeePpm[id])
                .takerFeePpm(takerFeePpm[id])
                .strike(strike[id])
                .expiryTimestamp(expiry[id])
                .contractSize(contractSize[id])
                .markPrice(markPrice[id])
                .markVolatility(markVolatility[id])
                .premiumSumE8(premiumSumE8[id])
                .premiumSamples(premiumSamples[id])
                .nextFundingTimestamp(nextFunding[id]);
        }
    }

    /**
     * Loads a snapshot written by {@link #writeSnapshot} into this table, which must be newly constructed.
     *
     * @param decoder wrapped at the message.
     * @throws IllegalStateException if an id is out of range.
     */
    public void readSnapshot(final InstrumentTableDecoder decoder)
    {
        for (final InstrumentTableDecoder.AssetsDecoder row : decoder.assets())
        {
            final int id = checked(row.assetId(), Limits.MAX_ASSETS, "asset");
            assetDefined[id] = true;
            assetValuationUnderlying[id] = row.valuationUnderlyingId();
            assetWeightPpm[id] = row.collateralWeightPpm();
        }
        for (final InstrumentTableDecoder.UnderlyingsDecoder row : decoder.underlyings())
        {
            final int id = checked(row.underlyingId(), Limits.MAX_UNDERLYINGS, "underlying");
            underlyingDefined[id] = true;
            indexPrice[id] = row.indexPrice();
        }
        for (final InstrumentTableDecoder.InstrumentsDecoder row : decoder.instruments())
        {
            final int id = checked(row.instrumentId(), Limits.MAX_INSTRUMENTS, "instrument");
            defined[id] = true;
            definedIds[definedCount++] = id;
            kind[id] = (byte)row.kind();
            settled[id] = row.settled() == 1;
            underlying[id] = row.underlyingId();
            settlementAsset[id] = row.settlementAssetId();
            makerFeePpm[id] = row.makerFeePpm();
            takerFeePpm[id] = row.takerFeePpm();
            strike[id] = row.strike();
            expiry[id] = row.expiryTimestamp();
            contractSize[id] = row.contractSize();
            markPrice[id] = row.markPrice();
            markVolatility[id] = row.markVolatility();
            premiumSumE8[id] = row.premiumSumE8();
            premiumSamples[id] = row.premiumSamples();
            nextFunding[id] = row.nextFundingTimestamp();
        }
    }

    private static int checked(final int id, final int limit, final String what)
    {
        if (id < 0 || id >= limit)
        {
            throw new IllegalStateException("snapshot: " + what + " " + id + " out of range");
        }
        return id;
    }
}
