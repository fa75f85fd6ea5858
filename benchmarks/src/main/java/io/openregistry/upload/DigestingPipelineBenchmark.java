package io.openregistry.upload;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.lang.management.ManagementFactory;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Throughput of an upload body through {@link DigestingPipeline}, in MiB/s: one JMH operation is
 * one MiB, and every invocation pushes {@link #MIB} MiB as 64 KiB direct pooled buffers, the shape
 * Reactor Netty delivers a request body in.
 *
 * <ul>
 *   <li>{@link #bareSha256} — the baseline: SHA-256 over the same buffers on the calling thread,
 *       no Reactor, no store. Nothing can upload faster than this.</li>
 *   <li>{@link #pipelineToDiscard} — the pipeline (retain, {@code publishOn} hand-off to a
 *       worker, length check, hash) into a sink that releases each buffer and requests the next,
 *       as the real store does, but writes nothing: hash plus pipeline overhead without disk.</li>
 *   <li>{@link #pipelineToFilesystem} — the pipeline into the real
 *       {@link FilesystemBlobStore#append} on a temp dir (page-cache writes, no fsync: that happens
 *       at commit), then {@code abort} of the staging file. The push path of a PATCH, minus HTTP.</li>
 * </ul>
 * {@code pipelineToDiscard / bareSha256} is the cost of the pipeline itself;
 * {@code pipelineToFilesystem / bareSha256} is what one upload stream achieves end to end on this box.
 * Each also counts the CPU time of the whole JVM against the bytes pushed ({@link Cpu}): all
 * threads (the caller, the pipeline's worker, the store's I/O thread, JIT and GC), the cost a push
 * puts on the machine rather than its speed.
 *
 * <p>Reference counts: the body source emits a fresh retained duplicate of a prepared buffer and
 * releases it as soon as {@code onNext} returns, exactly what Reactor Netty does; the pipeline's
 * own retain and the store's release then balance, so after each invocation every prepared buffer
 * is back at {@code refCnt() == 1} (checked by {@link #checkNoLeak} and the unit test).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DigestingPipelineBenchmark {
    /** MiB pushed per invocation; {@link OperationsPerInvocation} needs it as a constant. */
    public static final int MIB = 32;
    static final int CHUNK = 64 * 1024;
    static final int CHUNKS = MIB * 1024 * 1024 / CHUNK;
    static final long TOTAL = (long) MIB * 1024 * 1024;
    /** Distinct prepared buffers (1 MiB), cycled; the body is these repeated. */
    static final int DISTINCT = 16;

    ByteBuf[] prepared;
    Scheduler workers;
    Scheduler io;
    Path dir;
    FilesystemBlobStore store;
    MessageDigest sha256;
    int uploads;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        byte[] bytes = new byte[CHUNK];
        prepared = new ByteBuf[DISTINCT];
        for (int i = 0; i < DISTINCT; i++) {
            random.nextBytes(bytes);
            prepared[i] = PooledByteBufAllocator.DEFAULT.directBuffer(CHUNK, CHUNK).writeBytes(bytes);
        }
        // the same shapes Registry.start builds
        workers = Schedulers.newBoundedElastic(8, 100_000, "bench-upload");
        io = Schedulers.newBoundedElastic(8, 100_000, "bench-storage-io");
        dir = Files.createTempDirectory("digesting-pipeline-bench");
        store = new FilesystemBlobStore(dir, io);
        store.check().block();
        sha256 = MessageDigest.getInstance("SHA-256");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        checkNoLeak();
        for (ByteBuf buf : prepared) {
            buf.release();
        }
        workers.dispose();
        io.dispose();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Throws if any invocation left a prepared buffer retained (a duplicate not released). */
    void checkNoLeak() {
        for (ByteBuf buf : prepared) {
            if (buf.refCnt() != 1) {
                throw new IllegalStateException("leaked buffer: refCnt " + buf.refCnt());
            }
        }
    }

    /** A request body as Reactor Netty delivers it: each buffer is released once onNext returns. */
    Flux<ByteBuf> body() {
        return Flux.generate(() -> 0, (i, sink) -> {
            if (i == CHUNKS) {
                sink.complete();
                return i;
            }
            ByteBuf buf = prepared[i % DISTINCT].retainedDuplicate();
            try {
                sink.next(buf);
            } finally {
                buf.release();
            }
            return i + 1;
        });
    }

    /**
     * The CPU time of the whole JVM during the pushes of an iteration (process CPU time, so the
     * threads a push hands work to count too), and the MiB pushed meanwhile: two counters JMH
     * reports beside the MiB/s score, summed over the measured iterations, so their ratio
     * ({@code cpuMillis / pushedMiB * 1024}) is the CPU cost per GiB. Each iteration also prints it.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu {
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private long cpuNanos;
        private long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            cpuNanos = 0;
            bytes = 0;
        }

        @TearDown(Level.Iteration)
        public void print() {
            System.out.printf("  cpu: %d ms per GiB pushed (whole JVM)%n", cpuMillisPerGiB());
        }

        static long now() {
            return OS.getProcessCpuTime();
        }

        void add(long startedAt, long pushed) {
            cpuNanos += now() - startedAt;
            bytes += pushed;
        }

        public long cpuMillis() {
            return cpuNanos / 1_000_000;
        }

        public long pushedMiB() {
            return bytes >> 20;
        }

        long cpuMillisPerGiB() {
            return bytes == 0 ? 0 : Math.round(cpuNanos / 1e6 * (1L << 30) / bytes);
        }
    }

    @Benchmark
    @OperationsPerInvocation(MIB)
    public byte[] bareSha256(Cpu cpu) {
        long started = Cpu.now();
        for (int i = 0; i < CHUNKS; i++) {
            ByteBuf buf = prepared[i % DISTINCT];
            ByteBuffer nio = buf.nioBuffer(buf.readerIndex(), buf.readableBytes());
            sha256.update(nio);
        }
        byte[] digest = sha256.digest();
        cpu.add(started, TOTAL);
        return digest;
    }

    @Benchmark
    @OperationsPerInvocation(MIB)
    public void pipelineToDiscard(Blackhole bh, Cpu cpu) {
        long started = Cpu.now();
        Flux<ByteBuf> data = DigestingPipeline.of(body(), sha256, TOTAL, workers, null);
        bh.consume(Mono.<Long>create(sink -> data.subscribe(new ReleasingWriter(sink))).block());
        bh.consume(sha256.digest());
        cpu.add(started, TOTAL);
    }

    @Benchmark
    @OperationsPerInvocation(MIB)
    public void pipelineToFilesystem(Blackhole bh, Cpu cpu) {
        long started = Cpu.now();
        String uploadId = "bench-" + (uploads++);
        Flux<ByteBuf> data = DigestingPipeline.of(body(), sha256, TOTAL, workers, null);
        bh.consume(store.append(uploadId, 0, data).block());
        bh.consume(sha256.digest());
        store.abort(uploadId).block();
        cpu.add(started, TOTAL);
    }

    /**
     * The store side without a store: requests one buffer, releases it, requests the next, and
     * reports the byte count, like the filesystem store's staging writer does around its write.
     */
    static final class ReleasingWriter extends BaseSubscriber<ByteBuf> {
        private final MonoSink<Long> sink;
        private long written;

        ReleasingWriter(MonoSink<Long> sink) {
            this.sink = sink;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(1);
        }

        @Override
        protected void hookOnNext(ByteBuf buf) {
            written += buf.readableBytes();
            buf.release();
            request(1);
        }

        @Override
        protected void hookOnComplete() {
            sink.success(written);
        }

        @Override
        protected void hookOnError(Throwable error) {
            sink.error(error);
        }
    }
}
