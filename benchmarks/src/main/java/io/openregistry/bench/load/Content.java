package io.openregistry.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import reactor.core.publisher.Flux;

/**
 * Blob content for the load: a random 1 MiB block (seeded) repeated up to the size, streamed as
 * read-only slices of one direct buffer, so generating it costs the client nothing and every
 * registry receives the same bytes. The digest is computed once, before anything is timed.
 */
final class Content {
    static final int BLOCK = 1 << 20;
    private final ByteBuf block;
    final long size;
    final String digest;

    Content(long seed, long size) {
        byte[] bytes = new byte[BLOCK];
        new SplittableRandom(seed).nextBytes(bytes);
        this.block = Unpooled.unreleasableBuffer(Unpooled.directBuffer(BLOCK).writeBytes(bytes));
        this.size = size;
        MessageDigest md = sha256();
        for (long done = 0; done < size; done += BLOCK) {
            md.update(bytes, 0, (int) Math.min(BLOCK, size - done));
        }
        this.digest = "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /** The bytes from {@code from} (a multiple of the block size) for {@code length}, as 256 KiB slices. */
    Flux<ByteBuf> stream(long from, long length) {
        int slice = 256 * 1024;
        long slices = (length + slice - 1) / slice;
        return Flux.range(0, (int) slices).map(i -> {
            long at = from + (long) i * slice;
            int offset = (int) (at % BLOCK);
            int n = (int) Math.min(Math.min(slice, BLOCK - offset), from + length - at);
            return block.retainedSlice(offset, n);
        });
    }

    Flux<ByteBuf> stream() {
        return stream(0, size);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String digestOf(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
