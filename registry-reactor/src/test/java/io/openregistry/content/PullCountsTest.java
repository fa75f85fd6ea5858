package io.openregistry.content;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.BrowseStore;
import io.openregistry.metadata.BrowseStore.PullKey;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A flush cancelled while its write is under way (the timer's, at shutdown) gives its batch back:
 * the final flush writes it. The store here answers only {@code addPulls}: the first write never
 * completes (a write still running when the shutdown cancels it), the later ones are recorded.
 * The counts' way into a real database is {@code PullCountsAcrossReplicasTest}'s.
 */
class PullCountsTest {
    @Test
    void aCancelledFlushGivesItsCountsBackToTheNext() {
        List<Map<PullKey, Long>> written = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        BrowseStore store = (BrowseStore) Proxy.newProxyInstance(BrowseStore.class.getClassLoader(),
                new Class<?>[] {BrowseStore.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("addPulls")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    @SuppressWarnings("unchecked")
                    Map<PullKey, Long> batch = (Map<PullKey, Long>) args[0];
                    return calls.getAndIncrement() == 0 ? Mono.never()
                            : Mono.fromRunnable(() -> written.add(Map.copyOf(batch)));
                });
        PullCounts pulls = new PullCounts(store, Clock.systemUTC());
        pulls.count("a/b");
        pulls.count("a/b");
        Disposable stuck = pulls.flush().subscribe();
        pulls.count("a/b");
        stuck.dispose();
        pulls.flush().block();
        assertThat(calls.get()).isEqualTo(2);
        assertThat(written).hasSize(1);
        assertThat(written.get(0).values()).containsExactly(3L);
    }
}
