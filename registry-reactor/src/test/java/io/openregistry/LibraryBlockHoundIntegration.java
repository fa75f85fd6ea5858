package io.openregistry;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Known, harmless waits inside libraries. Netty 4.2's adaptive allocator briefly takes a StampedLock write lock when it retires a
 * magazine (event-loop-local bookkeeping, never I/O). Netty's own BlockHound integration does not
 * list that method yet, so BlockHound would report a blocking call that is not one. Loaded by
 * BlockHound through ServiceLoader, whichever test installs it first.
 */
public final class LibraryBlockHoundIntegration implements BlockHoundIntegration {
    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
        // The AWS SDK's close() waits for its channel pools on Netty's global executor, a thread
        // Netty's integration marks non-blocking; that is shutdown, not request traffic.
        builder.allowBlockingCallsInside("io.netty.channel.pool.SimpleChannelPool", "close");
    }
}
