package io.openregistry.maintenance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.openregistry.metadata.BlobPlacements;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.Buffers;
import java.security.MessageDigest;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Re-hashes stored blobs from the backend recorded for each, streamed (a few buffers in memory per
 * blob, {@link #CONCURRENCY} blobs at once), and reports those whose bytes cannot be read
 * (missing) or do not hash to their digest and size (corrupt).
 */
public final class Scrubber {
    private static final Logger log = LoggerFactory.getLogger(Scrubber.class);
    /** Blobs read at once: enough to overlap backend latency, few enough not to crowd out pulls. */
    static final int CONCURRENCY = 4;
    private static final int PAGE = 500;
    private final BlobPlacements placements;
    private final BlobStore stores;
    private final Counter ok;
    private final Counter missing;
    private final Counter corrupt;

    /** The outcome of a run. */
    public record Report(long ok, long missing, long corrupt) {
        public boolean clean() {
            return missing == 0 && corrupt == 0;
        }

        @Override
        public String toString() {
            return (ok + missing + corrupt) + " blobs checked: " + ok + " ok, " + missing + " missing, " + corrupt
                    + " corrupt";
        }
    }

    /**
     * @param stores a store whose {@link BlobStore#storeFor} reaches every configured backend
     * @param meters where the {@value Meters#STORAGE_SCRUB} counters are registered
     */
    public Scrubber(BlobPlacements placements, BlobStore stores, MeterRegistry meters) {
        this.placements = placements;
        this.stores = stores;
        this.ok = Meters.storageScrub(meters, "ok");
        this.missing = Meters.storageScrub(meters, "missing");
        this.corrupt = Meters.storageScrub(meters, "corrupt");
    }

    /**
     * Checks every blob ({@code sample} 0) or {@code sample} blobs chosen at random; each bad one
     * is logged and handed to {@code problems} as a line.
     */
    public Mono<Report> scrub(int sample, Consumer<String> problems) {
        Flux<BlobRecord> blobs = sample > 0 ? placements.sample(sample) : placements.all(null, PAGE);
        long[] counts = new long[3];
        return blobs.flatMap(blob -> check(blob).doOnNext(problem -> {
                    synchronized (counts) {
                        if (problem.isEmpty()) {
                            counts[0]++;
                            ok.increment();
                            return;
                        }
                        counts[problem.startsWith("MISSING") ? 1 : 2]++;
                        (problem.startsWith("MISSING") ? missing : corrupt).increment();
                    }
                    log.warn("scrub: {}", problem);
                    problems.accept(problem);
                }), CONCURRENCY)
                .then(Mono.fromSupplier(() -> {
                    synchronized (counts) {
                        return new Report(counts[0], counts[1], counts[2]);
                    }
                }))
                .doOnNext(report -> log.info("scrub: {}", report));
    }

    /** An empty string when the blob is sound, else the problem ("MISSING ..." or "CORRUPT ..."). */
    Mono<String> check(BlobRecord blob) {
        String where = blob.digest() + " (" + blob.size() + " bytes) on " + blob.backend() + " at " + blob.location();
        return Mono.defer(() -> {
            MessageDigest hash = blob.digest().algorithm().newMessageDigest();
            long[] seen = {0};
            return Flux.defer(() -> stores.storeFor(blob.backend()).read(blob.location(), 0, blob.size()))
                    .doOnNext(buf -> {
                        try {
                            seen[0] += buf.readableBytes();
                            Buffers.hash(hash, buf);
                        } finally {
                            buf.release();
                        }
                    })
                    .then(Mono.fromSupplier(() -> {
                        Digest actual = blob.digest().algorithm().digestOf(hash);
                        if (seen[0] == blob.size() && actual.equals(blob.digest())) {
                            return "";
                        }
                        return "CORRUPT " + where + ": read " + seen[0] + " bytes hashing to " + actual;
                    }))
                    // a read that fails at once finds no object; one that fails midway, a short one
                    .onErrorResume(e -> Mono.just((seen[0] == 0 ? "MISSING " : "CORRUPT ") + where + ": not readable: "
                            + (seen[0] == 0 ? "" : "read failed after " + seen[0] + " bytes: ") + e.getMessage()));
        });
    }
}
