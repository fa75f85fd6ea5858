package io.openregistry.storage.staging;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * The staging file of one append, open for writing from {@code offset}. Writes and the final
 * close or rollback are serialised because a cancelled append rolls back on the I/O scheduler
 * while the writer may still be inside a write on another thread; without the lock a late write
 * could land after the truncation and leave stale bytes past the offset.
 *
 * <p>Flush while streaming: every {@link #FLUSH_EVERY} bytes written, a data flush
 * ({@code fdatasync}) of the file starts on the I/O scheduler while the writer goes on, so the
 * disk writes the body back as it arrives. The commit's own full flush, which makes a 201 durable
 * and is unchanged, then finds little left to write (it was 70 ms of a 95 MB layer's commit).
 * At most one such flush runs per file at a time, and few at once (see {@link BackgroundFlushes}).
 */
final class StagingFile {

    /** Bytes written between background flushes: small against a layer, large against one write. */
    static final long FLUSH_EVERY = 8L << 20;

    private final FileChannel channel;
    private final long offset;
    private final BackgroundFlushes flushes;
    private long position;
    /** The position when the last background flush was started. */
    private long flushStartedAt;
    private boolean flushing;
    private boolean closed;

    private StagingFile(FileChannel channel, long offset, BackgroundFlushes flushes) {
        this.channel = channel;
        this.offset = offset;
        this.flushes = Objects.requireNonNull(flushes, "flushes");
        this.position = offset;
        this.flushStartedAt = offset;
    }

    /**
     * Opens {@code file} for an append at {@code offset}, discarding anything staged beyond it.
     * Blocking; call on the I/O scheduler.
     *
     * @param flushes where the background flushes of this file run
     */
    static StagingFile open(Path file, long offset, BackgroundFlushes flushes) throws IOException {
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
            return new StagingFile(channel, offset, flushes);
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
        if (!flushing && position - flushStartedAt >= FLUSH_EVERY
                && flushes.tryStart(this::flushInBackground)) {
            flushing = true;
            flushStartedAt = position;
        }
    }

    /**
     * A background flush: its failure is not the append's (the commit's own flush is what makes
     * the bytes durable, and reports any error), and a file closed meanwhile has nothing to flush.
     */
    private void flushInBackground() {
        try {
            channel.force(false);
        } catch (IOException | RuntimeException ignored) {
            // closed by close or rollback meanwhile, or a disk error the commit's flush will report
        } finally {
            synchronized (this) {
                flushing = false;
            }
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
