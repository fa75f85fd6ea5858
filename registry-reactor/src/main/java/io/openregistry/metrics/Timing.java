package io.openregistry.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * Times reactive operations from subscription to their end, into one of three pre-built timers by
 * how they ended: {@value Meters#OUTCOME_SUCCESS}, {@value Meters#OUTCOME_ERROR} or
 * {@value Meters#OUTCOME_CANCELLED} (the client went away, or a caller stopped reading).
 */
public final class Timing {
    private final Timer success;
    private final Timer error;
    private final Timer cancelled;

    Timing(MeterRegistry registry, Timer.Builder builder) {
        this.success = builder.tag(Meters.TAG_OUTCOME, Meters.OUTCOME_SUCCESS).register(registry);
        this.error = builder.tag(Meters.TAG_OUTCOME, Meters.OUTCOME_ERROR).register(registry);
        this.cancelled = builder.tag(Meters.TAG_OUTCOME, Meters.OUTCOME_CANCELLED).register(registry);
    }

    public <T> Mono<T> time(Mono<T> operation) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return operation.doFinally(signal -> record(signal, start));
        });
    }

    public <T> Flux<T> time(Flux<T> operation) {
        return Flux.defer(() -> {
            long start = System.nanoTime();
            return operation.doFinally(signal -> record(signal, start));
        });
    }

    private void record(SignalType signal, long start) {
        Timer timer = switch (signal) {
            case ON_ERROR -> error;
            case CANCEL -> cancelled;
            default -> success;
        };
        timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
}
