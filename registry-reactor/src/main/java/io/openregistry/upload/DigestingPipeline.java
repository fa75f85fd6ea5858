package io.openregistry.upload;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.openregistry.oci.OciError;
import io.openregistry.storage.Buffers;
import java.security.MessageDigest;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The body of one upload request, on its way to the store: moved off the event loop onto a
 * worker, hashed buffer by buffer, length-checked, and handed on without copying. At most
 * {@link #PREFETCH} buffers are in flight per request, so a slow store slows the client rather
 * than growing the heap.
 */
public final class DigestingPipeline {
    /** The largest buffer the server reads per recv (set on its channels by the composition root). */
    public static final int MAX_READ = 128 * 1024;
    /** Buffers in flight per request: with {@link #MAX_READ} this bounds a push's body in memory to ~1 MiB. */
    static final int PREFETCH = 8;

    private DigestingPipeline() {
    }

    /**
     * @param body     the request body as Reactor Netty delivers it (buffers released after onNext)
     * @param digest   the running digest to update
     * @param expected the exact number of bytes the request must carry, or -1 when unknown
     * @param pushed   counts every body byte hashed (the bytes-pushed meter), or null
     */
    static Flux<ByteBuf> of(Flux<ByteBuf> body, MessageDigest digest, long expected, Scheduler workers, Counter pushed) {
        return of(body, digest, expected, 0, 0, workers, pushed);
    }

    /**
     * Like {@link #of(Flux, MessageDigest, long, Scheduler, Counter)}, within a blob size limit.
     *
     * @param offset   the bytes already staged before this body
     * @param maxBlob  the blob size limit, or 0 for none: a body taking the blob past it fails with a
     *                 413 before the buffer that crosses it is hashed or written
     */
    static Flux<ByteBuf> of(Flux<ByteBuf> body, MessageDigest digest, long expected, long offset, long maxBlob,
                            Scheduler workers, Counter pushed) {
        long allowed = maxBlob == 0 ? Long.MAX_VALUE : maxBlob - offset;
        long[] received = {0};
        return body
                // Reactor Netty releases each buffer once onNext returns; keep it until the store wrote it.
                .map(ByteBuf::retain)
                .publishOn(workers, PREFETCH)
                .map(buf -> {
                    int n = buf.readableBytes();
                    received[0] += n;
                    if (expected >= 0 && received[0] > expected) {
                        buf.release();
                        throw OciError.SIZE_INVALID.exception("request body is longer than its declared length " + expected);
                    }
                    if (received[0] > allowed) {
                        buf.release();
                        throw UploadService.tooLarge(offset + received[0], maxBlob);
                    }
                    Buffers.hash(digest, buf);
                    if (pushed != null) {
                        pushed.increment(n);
                    }
                    return buf;
                })
                .concatWith(Mono.defer(() -> expected >= 0 && received[0] != expected
                        ? Mono.error(OciError.SIZE_INVALID.exception("request body has " + received[0]
                                + " bytes, its declared length is " + expected))
                        : Mono.empty()))
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
    }
}
