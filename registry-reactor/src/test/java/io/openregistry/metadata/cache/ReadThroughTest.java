package io.openregistry.metadata.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.openregistry.RegistryServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The rules that keep a cached answer from being older than the last invalidation: a read that
 * an invalidation overtook is handed to its waiting callers but not kept; absences are not kept;
 * nothing is kept while untrusted; callers share one read and cannot cancel it for each other.
 * Loads are sinks completed by the test, so every interleaving here is exact, not timed.
 */
class ReadThroughTest {
    /**
     * Before any scheduler thread starts (a load's timeout runs on the parallel scheduler): a
     * thread parked while BlockHound retransforms the JDK later, when another test class installs
     * it, can fail inside its lock and take that scheduler down for the rest of the run.
     */
    @BeforeAll
    static void installBlockHound() {
        RegistryServer.installBlockHound();
    }

    private final AtomicBoolean trusted = new AtomicBoolean(true);
    private final ReadThrough<String, String> cache = new ReadThrough<>(
            Caffeine.newBuilder().maximumSize(100).buildAsync(), trusted::get);
    private final AtomicInteger loads = new AtomicInteger();

    private Mono<String> load(Sinks.One<String> sink) {
        return Mono.defer(() -> {
            loads.incrementAndGet();
            return sink.asMono();
        });
    }

    private Mono<String> fixed(String value) {
        return Mono.defer(() -> {
            loads.incrementAndGet();
            return Mono.justOrEmpty(value);
        });
    }

    @Test
    void aHitIsServedWithoutALoad() {
        assertThat(cache.get("k", () -> fixed("v1")).block()).isEqualTo("v1");
        assertThat(cache.get("k", () -> fixed("v2")).block()).isEqualTo("v1");
        assertThat(loads).hasValue(1);
    }

    @Test
    void concurrentMissesShareOneLoad() {
        Sinks.One<String> sink = Sinks.one();
        Mono<String> first = cache.get("k", () -> load(sink));
        Mono<String> second = cache.get("k", () -> load(sink));
        sink.tryEmitValue("v");
        assertThat(first.block()).isEqualTo("v");
        assertThat(second.block()).isEqualTo("v");
        assertThat(loads).hasValue(1);
    }

    @Test
    void aReadOvertakenByAnInvalidationIsNotKept() {
        Sinks.One<String> old = Sinks.one();
        Mono<String> waiting = cache.get("k", () -> load(old));
        // the change commits and is announced while the read is in flight
        cache.invalidate("k");
        old.tryEmitValue("old");
        assertThat(waiting.block()).isEqualTo("old");
        assertThat(cache.get("k", () -> fixed("new")).block()).isEqualTo("new");
    }

    @Test
    void aMatchingInvalidationAndAClearRemoveReadsInFlightToo() {
        Sinks.One<String> a = Sinks.one();
        Sinks.One<String> b = Sinks.one();
        cache.get("repo/a", () -> load(a));
        cache.get("other/b", () -> load(b));
        cache.invalidateIf(key -> key.startsWith("repo/"));
        a.tryEmitValue("old-a");
        b.tryEmitValue("b");
        assertThat(cache.get("repo/a", () -> fixed("new-a")).block()).isEqualTo("new-a");
        assertThat(cache.get("other/b", () -> fixed("not loaded")).block()).isEqualTo("b");

        Sinks.One<String> c = Sinks.one();
        cache.get("repo/a", () -> fixed("x")).block();
        cache.invalidate("repo/a");
        cache.get("repo/a", () -> load(c));
        cache.clear();
        c.tryEmitValue("old-c");
        assertThat(cache.get("repo/a", () -> fixed("new-c")).block()).isEqualTo("new-c");
        assertThat(cache.get("other/b", () -> fixed("b2")).block()).isEqualTo("b2");
    }

    @Test
    void absencesAndFailuresAreNotKept() {
        assertThat(cache.get("k", () -> fixed(null)).blockOptional()).isEmpty();
        assertThat(cache.get("k", () -> fixed("created")).block()).isEqualTo("created");
        Mono<String> failing = cache.get("f", () -> Mono.error(new IllegalStateException("database down")));
        assertThat(failing.onErrorResume(e -> Mono.just(e.getMessage())).block()).isEqualTo("database down");
        assertThat(cache.get("f", () -> fixed("back")).block()).isEqualTo("back");
    }

    @Test
    void untrustedLookupsGoToTheLoadAndKeepNothing() {
        trusted.set(false);
        assertThat(cache.get("k", () -> fixed("v1")).block()).isEqualTo("v1");
        trusted.set(true);
        assertThat(cache.get("k", () -> fixed("v2")).block()).isEqualTo("v2");
        assertThat(loads).hasValue(2);
    }

    @Test
    void aCallerThatGoesAwayDoesNotCancelTheSharedRead() {
        Sinks.One<String> sink = Sinks.one();
        Disposable impatient = cache.get("k", () -> load(sink)).subscribe();
        Mono<String> patient = cache.get("k", () -> load(sink));
        impatient.dispose();
        sink.tryEmitValue("v");
        assertThat(patient.block()).isEqualTo("v");
        assertThat(cache.get("k", () -> fixed("other")).block()).isEqualTo("v");
        assertThat(loads).hasValue(1);
    }
}
