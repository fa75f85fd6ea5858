package io.openregistry.storage.s3;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Cuts the body of one append, of unknown length, into multipart parts: the part the upload was in
 * the middle of (its staged bytes are the {@code head}) is filled first, then whole parts follow,
 * and what is left when the body ends comes last as a {@link Piece} that is not full (the new
 * tail, possibly empty).
 *
 * <p>Pieces are heap copies, for the reason {@link PartStream} gives (the SDK may read a request
 * body after its call failed); every incoming buffer is released as soon as it is copied, exactly
 * once. Buffers are pulled one at a time and only while the piece being filled is wanted or is the
 * one right after the last piece handed out, so a downstream that uploads {@code n} parts at a time
 * holds at most {@code n + 1} parts. A part starts small and doubles as bytes arrive, so that the many small
 * appends of small blobs do not each allocate a whole part; once one part filled up in an append,
 * the next ones are allocated whole.
 */
final class PartCutter {
    private static final int FIRST_CAPACITY = 256 * 1024;
    private static final byte[] EMPTY = new byte[0];

    /** A piece of the body: a whole part ({@code full}), or the final rest of {@code length} bytes. */
    record Piece(byte[] bytes, int length, boolean full) {
    }

    private final int partSize;
    private byte[] current;
    private int filled;
    private long received;
    private boolean sawFullPart;

    private PartCutter(byte[] head, int partSize) {
        this.partSize = partSize;
        this.current = Arrays.copyOf(head, Math.max(head.length, Math.min(partSize, FIRST_CAPACITY)));
        this.filled = head.length;
    }

    /**
     * The pieces of {@code data} after {@code head} (shorter than a part). Buffers left in flight by
     * an error or cancel are released.
     */
    static Flux<Piece> cut(Flux<ByteBuf> data, byte[] head, int partSize) {
        if (head.length >= partSize) {
            return Flux.error(new IllegalArgumentException("head of " + head.length + " bytes is not shorter than a part"));
        }
        return Flux.defer(() -> {
            PartCutter cutter = new PartCutter(head, partSize);
            // prefetch 1: never pull more than one buffer ahead of the piece being filled; hide():
            // fused, the operator would drain a synchronous source without requesting at all
            return data.hide().concatMapIterable(cutter::add, 1)
                    .concatWith(Mono.fromSupplier(cutter::rest))
                    .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
        });
    }

    /** How many body bytes have been cut so far. */
    long received() {
        return received;
    }

    // never throws (short of an OutOfMemoryError): a throwing mapper may see its element released
    // again by a discard hook
    private List<Piece> add(ByteBuf buf) {
        try {
            List<Piece> done = new ArrayList<>(1);
            received += buf.readableBytes();
            while (buf.isReadable()) {
                int n = Math.min(buf.readableBytes(), partSize - filled);
                if (filled + n > current.length) {
                    current = Arrays.copyOf(current, sawFullPart ? partSize
                            : (int) Math.min(partSize, Math.max(filled + n, 2L * current.length)));
                }
                buf.readBytes(current, filled, n);
                filled += n;
                if (filled == partSize) {
                    done.add(new Piece(current, partSize, true));
                    sawFullPart = true;
                    // allocated when the next byte arrives: no empty part is held while the body idles
                    current = EMPTY;
                    filled = 0;
                }
            }
            return done;
        } finally {
            buf.release();
        }
    }

    private Piece rest() {
        Piece rest = new Piece(current, filled, false);
        current = null;
        return rest;
    }
}
