package io.openregistry.storage.staging;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The staging file of one append, open for writing from {@code offset}. Writes and the final
 * close or rollback are serialised because a cancelled append rolls back on the I/O scheduler
 * while the writer may still be inside a write on another thread; without the lock a late write
 * could land after the truncation and leave stale bytes past the offset.
 */
final class StagingFile {

    private final FileChannel channel;
    private final long offset;
    private long position;
    private boolean closed;

    private StagingFile(FileChannel channel, long offset) {
        this.channel = channel;
        this.offset = offset;
        this.position = offset;
    }

    /**
     * Opens {@code file} for an append at {@code offset}, discarding anything staged beyond it.
     * Blocking; call on the I/O scheduler.
     */
    static StagingFile open(Path file, long offset) throws IOException {
        FileChannel channel;
        if (offset == 0) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } else {
            try {
                channel = FileChannel.open(file, StandardOpenOption.WRITE);
            } catch (NoSuchFileException e) {
                throw new IllegalStateException("nothing staged at " + file + " to append to at offset " + offset);
            }
        }
        try {
            long size = channel.size();
            if (size < offset) {
                throw new IllegalStateException(
                        "staged file " + file + " holds " + size + " bytes, fewer than the offset " + offset);
            }
            channel.truncate(offset);
            return new StagingFile(channel, offset);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    /** Writes all readable bytes of {@code buf} (without consuming or releasing it). */
    synchronized void write(ByteBuf buf) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        int index = buf.readerIndex();
        int remaining = buf.readableBytes();
        while (remaining > 0) {
            // a positional write never moves the channel's own position, so no seek is needed
            int written = buf.getBytes(index, channel, position, remaining);
            index += written;
            remaining -= written;
            position += written;
        }
    }

    synchronized long position() {
        return position;
    }

    synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            channel.close();
        }
    }

    /** Cuts the file back to the offset the append started from, then closes it. */
    synchronized void rollback() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.truncate(offset);
        } finally {
            channel.close();
        }
    }

    private static void closeQuietly(FileChannel channel, Exception pending) {
        try {
            channel.close();
        } catch (IOException e) {
            pending.addSuppressed(e);
        }
    }
}
