package io.clearing.settlement;

import org.agrona.collections.IntArrayList;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review of the keep rule (PriceWatch.edge, KEEP_SLACK): a standing edge is kept only when it lies inside the new edge
 * by at most a quarter of the new half-width. {@code trigger - standing} is computed in a long: for engine-time
 * sources (references are command timestamps, which a hostile journal may spread over the whole long range) it
 * overflows, wraps negative, and an edge arbitrarily far inside - behind the reference - is kept. Still sound (it
 * only fires sooner), but outside the documented bound.
 */
class PriceWatchKeepOverflowReviewTest
{
    private static final int TIME = PriceWatch.TIME_SOURCE;
    private static final int ACCOUNT = 20;

    private final PriceWatch watch = new PriceWatch(new Accounts(1_024));
    private final IntArrayList out = new IntArrayList();

    @Test
    void aStandingEdgeFartherThanTheSlackInsideIsMovedEvenWhenTheDistanceOverflowsALong()
    {
        final long before = -5_000_000_000_000_000_000L;
        final long after = 5_000_000_000_000_000_000L;
        register(before, 100.0); // standing edge at before + 100
        register(after, 100.0); // new edge at after + 100; slack 25; the distance, 1e19, is beyond a long
        assertEquals(0, watch.keptEdges(), "an edge 1e19 inside is not within a quarter of a half-width of 100");
        // 0 lies inside the new band (-inf, after + 100]: nothing may fire there.
        out.clear();
        watch.triggered(TIME, 0, out);
        assertEquals(List.of(), new ArrayList<>(out));
        out.clear();
        watch.triggered(TIME, after + 101, out);
        assertEquals(List.of(ACCOUNT), new ArrayList<>(out));
    }

    @Test
    void theOrdinaryKeepStillHolds()
    {
        register(1_000, 100.0); // edge 1,100
        register(1_010, 100.0); // new edge 1,110, slack 25: 1,100 stays
        assertEquals(1, watch.keptEdges());
        out.clear();
        watch.triggered(TIME, 1_101, out);
        assertEquals(List.of(ACCOUNT), new ArrayList<>(out));
    }

    private void register(final long from, final double width)
    {
        watch.beginBands(ACCOUNT);
        watch.registerUpper(TIME, ACCOUNT, from, width);
        watch.endBands(ACCOUNT);
    }
}
