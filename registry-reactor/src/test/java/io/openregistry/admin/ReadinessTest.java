package io.openregistry.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** A probe that errors, throws or hangs makes the check DOWN with a reason; it never fails the check. */
class ReadinessTest {
    @Test
    void everyProbeUpIsReady() {
        Readiness.Result r = readiness(Mono::empty, Mono::empty).check().block(Duration.ofSeconds(5));
        assertThat(r.ready()).isTrue();
        assertThat(r.checks().get("database")).containsEntry("status", "UP");
    }

    @Test
    void aHangingProbeTimesOutAndAFailingOneIsReported() {
        Readiness.Result r = readiness(Mono::never, () -> Mono.error(new IllegalStateException("bucket gone")))
                .check().block(Duration.ofSeconds(5));
        assertThat(r.ready()).isFalse();
        assertThat(r.checks().get("database")).containsEntry("status", "DOWN")
                .containsEntry("error", "no answer within 200 ms");
        assertThat(r.checks().get("storage")).containsEntry("status", "DOWN")
                .containsEntry("error", "IllegalStateException: bucket gone");
    }

    @Test
    void aProbeThatThrowsIsDown() {
        Readiness.Result r = readiness(() -> {
            throw new IllegalStateException("pool closed");
        }, Mono::empty).check().block(Duration.ofSeconds(5));
        assertThat(r.ready()).isFalse();
        assertThat(r.checks().get("database")).containsEntry("error", "IllegalStateException: pool closed");
        assertThat(r.checks().get("storage")).containsEntry("status", "UP");
    }

    @Test
    void afterStopItIsNotReadyWithoutProbing() {
        Readiness readiness = readiness(() -> {
            throw new AssertionError("probed after stop");
        }, Mono::empty);
        readiness.stop();
        Readiness.Result r = readiness.check().block(Duration.ofSeconds(5));
        assertThat(r.ready()).isFalse();
        assertThat(r.checks()).containsOnlyKeys("shutdown");
        assertThat(r.checks().get("shutdown")).containsEntry("status", "DOWN");
    }

    private static Readiness readiness(Supplier<Mono<Void>> database, Supplier<Mono<Void>> storage) {
        Map<String, Supplier<Mono<Void>>> probes = new LinkedHashMap<>();
        probes.put("database", database);
        probes.put("storage", storage);
        return new Readiness(probes, Duration.ofMillis(200));
    }
}
