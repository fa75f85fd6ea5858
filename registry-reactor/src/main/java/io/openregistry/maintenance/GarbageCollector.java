package io.openregistry.maintenance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.config.Config;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.Collectable;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metrics.Meters;
import io.openregistry.upload.BlobCollector;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Online garbage collection (README, "Garbage collection"), in small batches while pushes and
 * pulls go on. Three steps, each a query for candidates and then, per candidate, a conditional
 * delete that tests the candidate again under the database locks of the content graph, so a
 * concurrent push either lands first (and keeps it) or finds it gone and fails cleanly:
 * <ol>
 *   <li>untagged manifests stored more than {@code gc.untaggedAfterSeconds} ago (never, when that
 *       is 0), except children of a stored index and referrers of a stored subject; passes repeat
 *       until one deletes nothing, so the children of an index deleted in one pass, and the
 *       referrers of a subject deleted in it, go in the next;</li>
 *   <li>links, made more than {@code gc.graceSeconds} ago, of blobs no manifest of that
 *       repository names (the blob is orphaned when nothing else keeps it);</li>
 *   <li>blobs orphaned more than {@code gc.graceSeconds} ago: bytes, then record
 *       ({@link BlobCollector#collect(Instant, int)}, the commit-intent protocol).</li>
 * </ol>
 * A dry run lists what each step would delete now and deletes nothing; it cannot see what the
 * earlier steps would have freed for the later ones (children of a deletable index, links and
 * blobs a deleted manifest would release), so it counts those too low, never too high.
 * One run at a time per instance (one per replica); across replicas the server's periodic runs
 * hold the job lease, and any overlap is safe because every delete is conditional.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
    /** Passes of step 1: the depth of nested indexes (and referrer chains) one run follows. */
    private static final int MAX_MANIFEST_PASSES = 16;

    private final ManifestStore manifests;
    private final BlobIndex blobs;
    private final BlobCollector collector;
    private final Config.Gc settings;
    private final MeterRegistry meters;
    private final Counter manifestsDeleted;
    private final Counter linksRemoved;
    private final Counter blobsSwept;
    private final Counter bytesFreed;
    private final AtomicBoolean running = new AtomicBoolean();

    public GarbageCollector(ManifestStore manifests, BlobIndex blobs, BlobCollector collector, Config.Gc settings,
                            MeterRegistry meters) {
        this.manifests = manifests;
        this.blobs = blobs;
        this.collector = collector;
        this.settings = settings;
        this.meters = meters;
        this.manifestsDeleted = Meters.gcManifests(meters);
        this.linksRemoved = Meters.gcLinks(meters);
        this.blobsSwept = Meters.gcBlobs(meters);
        this.bytesFreed = Meters.gcBytes(meters);
    }

    /**
     * What a run deleted (or, in a dry run, would delete): per step the count and the bytes
     * (manifest sizes; sizes of the blobs whose links went; sizes of the blobs swept from storage).
     */
    public record Report(boolean dryRun, long manifests, long manifestBytes, long links, long linkBytes, long blobs,
                         long blobBytes, long millis) {
        /** The JSON body of the admin endpoint. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dryRun", dryRun);
            m.put("manifests", Map.of("deleted", manifests, "bytes", manifestBytes));
            m.put("links", Map.of("removed", links, "bytes", linkBytes));
            m.put("blobs", Map.of("deleted", blobs, "bytes", blobBytes));
            m.put("bytesFreed", blobBytes);
            m.put("durationMillis", millis);
            return m;
        }

        @Override
        public String toString() {
            String verb = dryRun ? "would delete" : "deleted";
            return verb + " " + manifests + " untagged manifests (" + manifestBytes + " bytes), "
                    + (dryRun ? "would remove " : "removed ") + links + " blob links (" + linkBytes + " bytes), "
                    + verb + " " + blobs + " blobs (" + blobBytes + " bytes freed) in " + millis + " ms";
        }
    }

    /** A count and a byte sum. */
    private record Tally(long count, long bytes) {
        static final Tally ZERO = new Tally(0, 0);

        Tally plus(long n, long b) {
            return new Tally(count + n, bytes + b);
        }

        Tally plus(Tally t) {
            return plus(t.count, t.bytes);
        }
    }

    /** Runs once unless a run of this instance is under way. @return the report, or empty when busy */
    public Mono<Report> runIfIdle(boolean dryRun) {
        return runIfIdle(dryRun, settings);
    }

    /** {@link #runIfIdle(boolean)} with other ages and batch size than the configured ones (tests, tools). */
    public Mono<Report> runIfIdle(boolean dryRun, Config.Gc settings) {
        return Mono.defer(() -> {
            if (!running.compareAndSet(false, true)) {
                return Mono.empty();
            }
            // free again before the report is handed on (doFinally would run after it, so the
            // caller's next run could find this one still "running")
            return new Run(settings).run(dryRun)
                    .doOnSuccess(r -> running.set(false))
                    .doOnError(e -> running.set(false))
                    .doOnCancel(() -> running.set(false));
        });
    }

    /** One run's steps under its settings. */
    private final class Run {
        private final Config.Gc settings;

        Run(Config.Gc settings) {
            this.settings = settings;
        }

        /** One run of the three steps (see the class comment). */
        Mono<Report> run(boolean dryRun) {
            return Mono.defer(() -> {
                long start = System.nanoTime();
                String outcome = dryRun ? Meters.OUTCOME_DRY_RUN : Meters.OUTCOME_SUCCESS;
                return untagged(dryRun)
                        .zipWhen(m -> links(dryRun))
                        .zipWhen(ml -> orphans(dryRun), (ml, b) -> {
                            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                            return new Report(dryRun, ml.getT1().count, ml.getT1().bytes, ml.getT2().count,
                                    ml.getT2().bytes, b.count, b.bytes, millis);
                        })
                        .doOnSuccess(r -> {
                            Meters.gcRuns(meters, outcome).increment();
                            Meters.gcDuration(meters, outcome).record(Duration.ofMillis(r.millis()));
                            if (!dryRun) {
                                manifestsDeleted.increment(r.manifests());
                                linksRemoved.increment(r.links());
                                blobsSwept.increment(r.blobs());
                                bytesFreed.increment(r.blobBytes());
                            }
                            log.info("garbage collection {}", r);
                        })
                        .doOnError(e -> {
                            Meters.gcRuns(meters, Meters.OUTCOME_ERROR).increment();
                            Meters.gcDuration(meters, Meters.OUTCOME_ERROR)
                                    .record(Duration.ofNanos(System.nanoTime() - start));
                        });
            });
        }

        /** Step 1: untagged manifests, in passes (a pass's deletions may free children and referrers). */
        private Mono<Tally> untagged(boolean dryRun) {
            if (settings.untaggedAfter().isZero()) {
                return Mono.just(Tally.ZERO);
            }
            return untaggedPass(dryRun, 1, Tally.ZERO);
        }

        private Mono<Tally> untaggedPass(boolean dryRun, int pass, Tally sum) {
            Instant cutoff = Instant.now().minus(settings.untaggedAfter());
            return page(manifests::untaggedBefore, cutoff, dryRun ? null
                            : c -> manifests.deleteUntagged(c.repository(), c.digest(), cutoff))
                    .flatMap(t -> dryRun || t.count == 0 || pass >= MAX_MANIFEST_PASSES ? Mono.just(sum.plus(t))
                            : untaggedPass(false, pass + 1, sum.plus(t)));
        }

        /** Step 2: links of blobs no manifest of their repository names. */
        private Mono<Tally> links(boolean dryRun) {
            return Mono.defer(() -> {
                Instant cutoff = Instant.now().minus(settings.grace());
                return page(blobs::unreferencedLinksBefore, cutoff, dryRun ? null
                        : c -> blobs.unlinkUnreferenced(c.repository(), c.digest(), cutoff));
            });
        }

        /** Step 3: orphaned blobs, in batches, until a batch deletes nothing. */
        private Mono<Tally> orphans(boolean dryRun) {
            return Mono.defer(() -> {
                // taken now, after step 2, so that with a zero grace what it orphaned goes too
                Instant cutoff = Instant.now().minus(settings.grace());
                if (dryRun) {
                    return blobs.orphanedBefore(cutoff, Integer.MAX_VALUE)
                            .reduce(Tally.ZERO, (t, b) -> t.plus(1, b.size()));
                }
                return sweep(cutoff, Tally.ZERO);
            });
        }

        private Mono<Tally> sweep(Instant cutoff, Tally sum) {
            return collector.collect(cutoff, settings.batchSize())
                    .flatMap(s -> s.blobs() == 0 ? Mono.just(sum) : sweep(cutoff, sum.plus(s.blobs(), s.bytes())));
        }

        /**
         * Pages through the candidates of {@code list} in batches of {@code gc.batchSize} and, unless
         * {@code delete} is null (a dry run), deletes each; counts those deleted (or, dry, all).
         */
        private Mono<Tally> page(Lister list, Instant cutoff, Function<Collectable, Mono<Boolean>> delete) {
            return pageFrom(list, cutoff, delete, null, Tally.ZERO);
        }

        private Mono<Tally> pageFrom(Lister list, Instant cutoff, Function<Collectable, Mono<Boolean>> delete,
                                     Collectable after, Tally sum) {
            return list.apply(cutoff, after, settings.batchSize()).collectList().flatMap(batch -> {
                if (batch.isEmpty()) {
                    return Mono.just(sum);
                }
                Mono<Tally> done = delete == null
                        ? Mono.just(batch.stream().reduce(Tally.ZERO, (t, c) -> t.plus(1, c.size()), Tally::plus))
                        : Flux.fromIterable(batch)
                                .concatMap(c -> delete.apply(c).map(gone -> gone ? new Tally(1, c.size()) : Tally.ZERO))
                                .reduce(Tally.ZERO, Tally::plus);
                Collectable last = batch.get(batch.size() - 1);
                return done.flatMap(t -> batch.size() < settings.batchSize() ? Mono.just(sum.plus(t))
                        : pageFrom(list, cutoff, delete, last, sum.plus(t)));
            });
        }

    }

    @FunctionalInterface
    private interface Lister {
        Flux<Collectable> apply(Instant cutoff, Collectable after, int limit);
    }
}
