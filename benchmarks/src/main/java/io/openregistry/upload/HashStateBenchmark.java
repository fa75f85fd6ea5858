package io.openregistry.upload;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.openregistry.oci.Digest;
import io.openregistry.storage.Buffers;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What it costs to continue an upload's digest in a process that did not hold it
 * ({@link UploadService}'s {@code ensureDigest}):
 *
 * <ul>
 *   <li>{@link #exportState}, {@link #restoreState}, {@link #exportAndRestore} — the
 *       {@link DigestStates} path, per call (ns/op), for SHA-256 and SHA-512, mid-block. Export
 *       runs once per request (its result goes into the offset's UPDATE); restore once per hop.</li>
 *   <li>{@link #rereadStaged} — the fallback: read the staged bytes back through the real
 *       {@link FilesystemBlobStore#readStaged} and hash them, {@link #STAGED_MIB} MiB per
 *       invocation, one operation per MiB (so the score is MiB/s; 1 GiB costs 1024 / score
 *       seconds). The file is in the page cache: the best case for the fallback.</li>
 * </ul>
 *
 * The forks get the same {@code --add-opens} as the registry's jar manifest: JMH launches them
 * with {@code -cp}, where the manifest's {@code Add-Opens} does not apply.
 */
@State(Scope.Thread)
@Fork(jvmArgsAppend = {"--add-opens", "java.base/sun.security.provider=ALL-UNNAMED",
        "--add-opens", "java.base/java.security=ALL-UNNAMED"})
public class HashStateBenchmark {
    static final int STAGED_MIB = 64;
    static final String UPLOAD = "bench-staged";

    @Param({"SHA256", "SHA512"})
    public Digest.Algorithm algorithm;

    MessageDigest running;
    byte[] exported;
    long hashed;
    DigestStates states;
    Scheduler io;
    Path dir;
    FilesystemBlobStore store;
    MessageDigest rereadDigest;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        states = DigestStates.shared();
        if (!states.available()) {
            throw new IllegalStateException("DigestStates unavailable: " + states.unavailableReason());
        }
        byte[] data = new byte[1 << 20];
        new SplittableRandom(3).nextBytes(data);
        running = algorithm.newMessageDigest();
        running.update(data, 0, data.length - 37); // mid-block: the state carries a tail
        hashed = data.length - 37;
        exported = states.export(running);

        io = Schedulers.newBoundedElastic(4, 100_000, "bench-storage-io");
        dir = Files.createTempDirectory("hash-state-bench");
        store = new FilesystemBlobStore(dir, io);
        store.check().block();
        ByteBuf[] chunks = new ByteBuf[STAGED_MIB];
        for (int i = 0; i < STAGED_MIB; i++) {
            new SplittableRandom(i).nextBytes(data);
            chunks[i] = Unpooled.copiedBuffer(data);
        }
        store.append(UPLOAD, 0, Flux.fromArray(chunks)).block();
        rereadDigest = algorithm.newMessageDigest();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.abort(UPLOAD).block();
        io.dispose();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public byte[] exportState() {
        return states.export(running);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public MessageDigest restoreState() {
        return states.restore(exported, hashed);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public MessageDigest exportAndRestore() {
        return states.restore(states.export(running), hashed);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(STAGED_MIB)
    public byte[] rereadStaged() {
        store.readStaged(UPLOAD, (long) STAGED_MIB << 20)
                .doOnNext(buf -> {
                    try {
                        Buffers.hash(rereadDigest, buf);
                    } finally {
                        buf.release();
                    }
                })
                .blockLast();
        return rereadDigest.digest();
    }
}
