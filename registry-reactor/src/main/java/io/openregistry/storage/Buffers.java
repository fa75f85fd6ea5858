package io.openregistry.storage;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/** Byte-buffer helpers shared by the upload pipeline and the stores. */
public final class Buffers {
    private Buffers() {
    }

    /** Feeds a buffer's readable bytes to {@code digest} without moving its indexes or copying when avoidable. */
    public static void hash(MessageDigest digest, ByteBuf buf) {
        if (buf.hasArray()) {
            digest.update(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
            return;
        }
        for (ByteBuffer nio : buf.nioBuffers()) {
            digest.update(nio);
        }
    }
}
