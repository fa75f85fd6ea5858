package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two registries on one PostgreSQL database, as two replicas: a tick of the sweeper (upload
 * expiry, blob collection, credential sweep) runs on the replica that holds the job's lease and is
 * skipped on the other, as {@code openregistry.job.runs} tells. Ticks are driven by the test.
 */
class SweeperLeaseTest {
    private TwoReplicas replicas;
    private Registry a;
    private Registry b;

    @BeforeEach
    void start() throws Exception {
        replicas = TwoReplicas.start("sweepers", new Config.Uploads(1024 * 1024, Duration.ofDays(1)));
        a = replicas.a;
        b = replicas.b;
    }

    @AfterEach
    void stop() {
        if (replicas != null) {
            replicas.close();
        }
    }

    @Test
    void oneReplicaRunsEachTickAndAnotherTakesOverAtShutdown() {
        assertThat(a.sweepOnce().block(Duration.ofSeconds(60))).isTrue();
        assertThat(b.sweepOnce().block(Duration.ofSeconds(60))).isFalse();
        assertThat(a.sweepOnce().block(Duration.ofSeconds(60))).as("the holder runs again").isTrue();
        assertThat(b.sweepOnce().block(Duration.ofSeconds(60))).isFalse();

        assertThat(runs(a, "ran")).isEqualTo(2);
        assertThat(runs(a, "skipped")).isZero();
        assertThat(runs(b, "ran")).isZero();
        assertThat(runs(b, "skipped")).isEqualTo(2);

        // the holder shuts down and gives its lease up: the other takes over at its next tick
        a.close();
        a = null;
        assertThat(b.sweepOnce().block(Duration.ofSeconds(60))).isTrue();
        assertThat(runs(b, "ran")).isEqualTo(1);
        assertThat(runs(b, "error")).isZero();
    }

    private static double runs(Registry r, String outcome) {
        String text;
        try {
            text = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + r.adminPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        String prefix = "openregistry_job_runs_total{job=\"sweeper\",outcome=\"" + outcome + "\"} ";
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(prefix.length()).trim());
            }
        }
        throw new AssertionError("no sample " + prefix + " in:\n" + text);
    }
}
