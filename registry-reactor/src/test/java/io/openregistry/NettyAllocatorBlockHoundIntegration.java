package io.openregistry;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Netty 4.2's adaptive allocator briefly takes a StampedLock write lock when it retires a
 * magazine (event-loop-local bookkeeping, never I/O). Netty's own BlockHound integration does not
 * list that method yet, so BlockHound would report a blocking call that is not one. Loaded by
 * BlockHound through ServiceLoader, whichever test installs it first.
 */
public final class NettyAllocatorBlockHoundIntegration implements BlockHoundIntegration {
    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
    }
}
