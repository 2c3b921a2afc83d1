package io.clearing.engine;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;

/**
 * How the business-logic thread waits for commands. On 2 shared cores, {@link #YIELDING} (the default) or
 * {@link #SLEEPING} leave room for producers and the JIT; {@link #BUSY_SPIN} only pays off on an isolated core.
 */
public enum WaitStrategyKind
{
    /** Spin, then Thread.yield: low latency, one core busy while idle. */
    YIELDING,
    /** Spin, yield, then park briefly: gentle on shared cores, some wake-up latency. */
    SLEEPING,
    /** Lock and condition: lowest CPU use, highest latency. */
    BLOCKING,
    /** Pure spin: lowest latency on an isolated core; starves others on shared cores. */
    BUSY_SPIN;

    /** @return a new Disruptor wait strategy of this kind. */
    public WaitStrategy create()
    {
        switch (this)
        {
            case SLEEPING: return new SleepingWaitStrategy();
            case BLOCKING: return new BlockingWaitStrategy();
            case BUSY_SPIN: return new BusySpinWaitStrategy();
            default: return new YieldingWaitStrategy();
        }
    }
}
