package io.openregistry.storage;

import io.netty.buffer.ByteBuf;
import java.nio.channels.FileChannel;
import reactor.core.publisher.Flux;

/** What a pull sends, as a store hands it out ({@link BlobStore#content}). */
public sealed interface BlobContent {

    /**
     * A region of a local file, open for reading, to be sent without copying through user space
     * (sendfile). Whoever receives it owns the channel and must close it (sending it does).
     */
    record FileRegion(FileChannel channel, long position, long count) implements BlobContent {
    }

    /** Buffers read on demand; the subscriber releases them. */
    record Stream(Flux<ByteBuf> buffers) implements BlobContent {
    }
}
