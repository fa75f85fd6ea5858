package io.openregistry.storage.staging;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** Streams a byte range of a file as pooled buffers, reading one chunk per requested element. */
public final class FileChunks {

    static final int CHUNK_SIZE = 64 * 1024;

    private FileChunks() {}

    /**
     * A cold Flux of {@code length} bytes of {@code file} from {@code offset}. Opening, every read
     * and closing happen on {@code io}; because reads happen only on request, a slow subscriber
     * holds at most the chunks it asked for.
     */
    public static Flux<ByteBuf> stream(Path file, long offset, long length, Scheduler io) {
        if (offset < 0 || length < 0) {
            return Flux.error(new IllegalArgumentException(
                    "invalid range: offset " + offset + ", length " + length));
        }
        long end = offset + length;
        return Flux.usingWhen(
                Mono.fromCallable(() -> open(file, offset, length)).subscribeOn(io),
                channel -> Flux.<ByteBuf, Long>generate(() -> offset, (position, sink) -> {
                            if (position >= end) {
                                sink.complete();
                                return position;
                            }
                            int size = (int) Math.min(CHUNK_SIZE, end - position);
                            ByteBuf chunk = ByteBufAllocator.DEFAULT.ioBuffer(size, size);
                            try {
                                readFully(channel, chunk, position, size);
                            } catch (IOException | RuntimeException e) {
                                chunk.release();
                                sink.error(e);
                                return position;
                            }
                            sink.next(chunk);
                            return position + size;
                        })
                        // subscribeOn also moves every later request, hence every read, to io
                        .subscribeOn(io),
                channel -> Mono.fromCallable(() -> {
                    channel.close();
                    return channel;
                }).subscribeOn(io));
    }

    private static FileChannel open(Path file, long offset, long length) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (offset > size || length > size - offset) {
                throw new IllegalArgumentException("range " + offset + "+" + length
                        + " lies outside " + file.getFileName() + " of " + size + " bytes");
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static void readFully(FileChannel channel, ByteBuf chunk, long position, int size)
            throws IOException {
        long at = position;
        while (chunk.readableBytes() < size) {
            int read = chunk.writeBytes(channel, at, size - chunk.readableBytes());
            if (read < 0) {
                // the file shrank under us: a truncated blob must not pass for a short one
                throw new EOFException("unexpected end of file at byte " + at);
            }
            at += read;
        }
    }
}
