package io.openregistry.storage.staging;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** Flush while streaming: started as a staged file grows, never more than a few at once. */
class BackgroundFlushesTest {

    @TempDir
    Path dir;

    @Test
    void atMostTwoRunAtOnceAndASlotFreesWhenOneEnds() throws Exception {
        Scheduler io = Schedulers.newBoundedElastic(4, 100, "flush-test");
        try {
            BackgroundFlushes flushes = new BackgroundFlushes(io);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch ended = new CountDownLatch(1);
            Runnable slow = () -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            assertThat(flushes.tryStart(slow)).isTrue();
            assertThat(flushes.tryStart(() -> {
                slow.run();
                ended.countDown();
            })).isTrue();
            assertThat(flushes.tryStart(() -> { })).as("a third while two run").isFalse();
            release.countDown();
            assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
            // the slot is given back right after the flush's own code returns
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean started = false;
            while (!started && System.nanoTime() < deadline) {
                started = flushes.tryStart(() -> { });
                Thread.onSpinWait();
            }
            assertThat(started).as("a flush starts once a slot is free").isTrue();
            assertThat(flushes.started()).isEqualTo(3);
        } finally {
            io.dispose();
        }
    }

    @Test
    void aGrowingFileIsFlushedAsItGrowsAndKeepsItsBytes() throws Exception {
        Scheduler io = Schedulers.newBoundedElastic(4, 100, "flush-test");
        try {
            BackgroundFlushes flushes = new BackgroundFlushes(io);
            Path file = dir.resolve("upload");
            byte[] chunk = new byte[1 << 20];
            Random random = new Random(7);
            byte[] all = new byte[(int) (StagingFile.FLUSH_EVERY * 3)];
            random.nextBytes(all);
            StagingFile staging = StagingFile.open(file, 0, flushes);
            for (int at = 0; at < all.length; at += chunk.length) {
                ByteBuf buf = Unpooled.wrappedBuffer(all, at, chunk.length);
                staging.write(buf);
                buf.release();
            }
            staging.close();
            assertThat(flushes.started()).as("flushes started while %d bytes were written", all.length)
                    .isGreaterThanOrEqualTo(1);
            assertThat(Files.readAllBytes(file)).isEqualTo(all);
        } finally {
            io.dispose();
        }
    }
}
