package io.openregistry.storage.s3;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Cuts a stream of buffers of known total length into upload parts of {@code partSize} bytes (the
 * last one shorter). Each part is a heap copy: the SDK may still read a request body after the call
 * future has failed (timeout, cancel), so it must never hold pooled or direct memory that we have
 * already returned; a heap array stays valid for as long as anyone references it. Every incoming
 * buffer is released as soon as it is copied, so buffer ownership ends here.
 *
 * <p>Buffers are pulled one at a time and only while the part being assembled is wanted or is the
 * one right after the last part handed out: at most one finished part waits ahead of demand, so a
 * downstream that takes one part at a time holds at most two parts (the one it works on and the
 * next) plus one incoming buffer. The read-ahead lets reading the next part overlap uploading one.
 */
final class PartStream {
    private final long size;
    private final int partSize;
    private long received;
    private byte[] current;
    private int filled;

    private PartStream(long size, int partSize) {
        this.size = size;
        this.partSize = partSize;
    }

    /**
     * The parts of {@code content}; errors if it holds more or fewer than {@code size} bytes.
     * Buffers left in flight by an error or cancel are released.
     */
    static Flux<byte[]> split(Flux<ByteBuf> content, long size, int partSize) {
        return Flux.defer(() -> {
            PartStream parts = new PartStream(size, partSize);
            // prefetch 1: never pull more than one buffer ahead of the part being assembled
            return content.concatMapIterable(parts::add, 1)
                    .concatWith(Mono.fromRunnable(parts::finish))
                    .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
        });
    }

    private List<byte[]> add(ByteBuf buf) {
        try {
            int readable = buf.readableBytes();
            if (readable > size - received) {
                throw new IllegalStateException("content is longer than the expected " + size + " bytes");
            }
            List<byte[]> done = new ArrayList<>(1);
            while (buf.isReadable()) {
                if (current == null) {
                    current = new byte[(int) Math.min(partSize, size - received)];
                    filled = 0;
                }
                int n = Math.min(buf.readableBytes(), current.length - filled);
                buf.readBytes(current, filled, n);
                filled += n;
                received += n;
                if (filled == current.length) {
                    done.add(current);
                    current = null;
                }
            }
            return done;
        } finally {
            buf.release();
        }
    }

    private void finish() {
        if (received != size) {
            throw new IllegalStateException("content ended after " + received + " of the expected " + size + " bytes");
        }
    }
}
