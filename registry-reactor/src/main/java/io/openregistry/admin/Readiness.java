package io.openregistry.admin;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * Whether the registry can serve: every dependency (database, storage backend) answers its
 * probe within the timeout. Probes run concurrently and a failing or hanging one never fails
 * the check itself: it becomes a {@code DOWN} entry with the reason. Once {@link #stop()} is called
 * (shutdown began) it answers not ready without probing, so load balancers stop sending requests
 * while in-flight ones drain.
 */
public final class Readiness {
    /** The outcome: {@code checks} maps each dependency to {@code {"status":"UP"}} or {@code {"status":"DOWN","error":...}}. */
    public record Result(boolean ready, Map<String, Map<String, String>> checks) {
    }

    private final Map<String, Supplier<Mono<Void>>> probes;
    private final Duration timeout;
    private volatile boolean stopping;

    /** @param probes by dependency name, in report order; each completes empty when the dependency answers */
    public Readiness(Map<String, Supplier<Mono<Void>>> probes, Duration timeout) {
        this.probes = new LinkedHashMap<>(probes);
        this.timeout = timeout;
    }

    /** From now on every check is not ready, with a {@code shutdown} entry saying why. */
    public void stop() {
        stopping = true;
    }

    public Mono<Result> check() {
        if (stopping) {
            return Mono.just(new Result(false, Map.of("shutdown",
                    Map.of("status", "DOWN", "error", "the registry is shutting down"))));
        }
        var names = probes.keySet().toArray(String[]::new);
        @SuppressWarnings("unchecked")
        Mono<Map<String, String>>[] outcomes = new Mono[names.length];
        for (int i = 0; i < names.length; i++) {
            outcomes[i] = probe(probes.get(names[i]));
        }
        return Mono.zip(java.util.List.of(outcomes), results -> {
            Map<String, Map<String, String>> checks = new LinkedHashMap<>();
            boolean ready = true;
            for (int i = 0; i < names.length; i++) {
                @SuppressWarnings("unchecked")
                Map<String, String> r = (Map<String, String>) results[i];
                checks.put(names[i], r);
                ready &= "UP".equals(r.get("status"));
            }
            return new Result(ready, checks);
        });
    }

    private Mono<Map<String, String>> probe(Supplier<Mono<Void>> probe) {
        // defer: a probe that throws while building its Mono is a DOWN dependency, not a failed check
        return Mono.defer(probe)
                .timeout(timeout)
                .thenReturn(Map.of("status", "UP"))
                .onErrorResume(e -> Mono.just(Map.of("status", "DOWN", "error", reason(e))));
    }

    private String reason(Throwable e) {
        if (e instanceof TimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }
}
