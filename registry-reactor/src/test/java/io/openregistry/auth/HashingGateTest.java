package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The process-wide bound on password hashing: permits held by work blocked on a latch, so nothing depends on timing. */
class HashingGateTest {
    private final Scheduler hashing = Schedulers.newBoundedElastic(8, 100, "test-hash");
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        hashing.dispose();
    }

    /** Work that holds its permit until the test releases it. */
    private Mono<String> held(HashingGate gate, String result) {
        return gate.run(() -> {
            release.await(30, TimeUnit.SECONDS);
            return result;
        });
    }

    @Test
    void noMoreThanTheConcurrencyRunsAtOnceAndTheRestQueue() {
        HashingGate gate = new HashingGate(2, Duration.ofSeconds(30), hashing);
        var all = reactor.core.publisher.Flux.range(0, 5).flatMap(i -> held(gate, "r" + i)).collectList().toFuture();
        assertThat(gate.running()).isEqualTo(2);
        assertThat(gate.queued()).isEqualTo(3);
        release.countDown();
        // every queued one ran once a permit came free, and all permits came back
        assertThat(all).succeedsWithin(Duration.ofSeconds(30))
                .satisfies(results -> assertThat(results).containsExactlyInAnyOrder("r0", "r1", "r2", "r3", "r4"));
        assertThat(gate.running()).isZero();
        assertThat(gate.queued()).isZero();
    }

    @Test
    void aHashThatWaitsPastTheDeadlineIsRefusedWith429() {
        HashingGate gate = new HashingGate(1, Duration.ofMillis(50), hashing);
        var first = new java.util.concurrent.atomic.AtomicReference<String>();
        held(gate, "first").subscribe(first::set);
        StepVerifier.create(gate.run(() -> "never"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(OciException.class);
                    OciException oci = (OciException) e;
                    assertThat(oci.code()).isEqualTo(OciError.TOOMANYREQUESTS);
                    assertThat(oci.status()).isEqualTo(429);
                    assertThat(oci.headers()).containsKey("Retry-After");
                })
                .verify(Duration.ofSeconds(30));
        // the refused one left the queue; the permit holder is unaffected and finishes
        assertThat(gate.queued()).isZero();
        assertThat(gate.running()).isEqualTo(1);
        release.countDown();
        StepVerifier.create(gate.run(() -> "next")).expectNext("next").verifyComplete();
        assertThat(first.get()).isEqualTo("first");
        assertThat(gate.running()).isZero();
    }

    @Test
    void cancellingGivesBackThePlaceInTheQueueAndThePermit() {
        HashingGate gate = new HashingGate(1, Duration.ofSeconds(30), hashing);
        Disposable holder = held(gate, "held").subscribe();
        Disposable waiter = gate.run(() -> "waiting").subscribe();
        assertThat(gate.queued()).isEqualTo(1);
        waiter.dispose();
        assertThat(gate.queued()).isZero();
        // the holder's permit comes back once its work ends (see the next test), not at cancel
        holder.dispose();
        release.countDown();
        StepVerifier.create(gate.run(() -> "free")).expectNext("free").verifyComplete();
        assertThat(gate.running()).isZero();
    }

    /**
     * A hash cannot be interrupted: cancelling its request (the client hung up) must not free the
     * permit while it still runs, or hanging up at once would start hashes without bound.
     */
    @Test
    void aStartedHashKeepsItsPermitUntilItIsDoneEvenWhenCancelled() throws InterruptedException {
        HashingGate gate = new HashingGate(1, Duration.ofSeconds(30), hashing);
        CountDownLatch started = new CountDownLatch(1);
        Disposable holder = gate.run(() -> {
            started.countDown();
            // like Argon2: deaf to interrupts
            boolean done = false;
            while (!done) {
                try {
                    done = release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // keeps hashing
                }
            }
            return "held";
        }).subscribe();
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        holder.dispose();
        assertThat(gate.running()).isEqualTo(1);
        var next = gate.run(() -> "next").toFuture();
        assertThat(gate.queued()).isEqualTo(1);
        release.countDown();
        assertThat(next).succeedsWithin(Duration.ofSeconds(30)).isEqualTo("next");
        assertThat(gate.running()).isZero();
    }
}
