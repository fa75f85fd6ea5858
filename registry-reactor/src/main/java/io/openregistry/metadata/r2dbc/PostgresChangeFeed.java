package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.ChangeFeed;
import io.openregistry.oci.Digest;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.api.PostgresqlResult;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ValidationDepth;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The announcements of migration V7's triggers, received on one dedicated connection (not from
 * the pool: a pooled connection would be handed back and its LISTEN lost) that LISTENs on
 * {@value #CHANNEL}. A dropped connection is a {@link ChangeFeed.Lost}, then reconnected with
 * backoff; a connection that stops answering (a silent network partition) is found by a
 * heartbeat query every {@link #HEARTBEAT} and treated the same way.
 */
final class PostgresChangeFeed implements ChangeFeed {
    private static final Logger log = LoggerFactory.getLogger(PostgresChangeFeed.class);
    /** The channel of migration V7's {@code openregistry_cache_notify()}. */
    static final String CHANNEL = "openregistry_cache";
    /** The {@code application_name} of the listening connection, for operators reading {@code pg_stat_activity}. */
    static final String APPLICATION_NAME = "openregistry-cache-listener";
    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    /** Announcements received but not yet applied, at most (a burst from a large delete, say). */
    static final int MAX_PENDING = 100_000;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    private final ConnectionFactory connections;

    /** @param connections a non-pooled factory of the registry's database */
    PostgresChangeFeed(ConnectionFactory connections) {
        this.connections = connections;
    }

    @Override
    public Flux<Change> changes() {
        return Flux.defer(this::session)
                // a session that had listened already resets the backoff (transientErrors)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, FIRST_BACKOFF).maxBackoff(MAX_BACKOFF).jitter(0.5)
                        .transientErrors(true)
                        .doBeforeRetry(signal -> log.warn("cache invalidation: no listening connection on {} ({}); "
                                + "connecting again", CHANNEL, String.valueOf(signal.failure()))));
    }

    /** One connection: Listening, the changes, and Lost + an error when it ends (never completes). */
    private Flux<Change> session() {
        AtomicBoolean listened = new AtomicBoolean();
        return Flux.usingWhen(Mono.from(connections.create()).cast(PostgresqlConnection.class),
                        conn -> listen(conn).doOnNext(change -> {
                            if (change instanceof Listening) {
                                listened.set(true);
                            }
                        }),
                        PostgresqlConnection::close)
                .onErrorResume(error -> listened.get()
                        ? Flux.<Change>just(new Lost(error)).concatWith(Flux.error(error))
                        : Flux.error(error));
    }

    private static Flux<Change> listen(PostgresqlConnection conn) {
        // Subscribed first (merge subscribes in order), so nothing sent right after LISTEN is missed.
        // The driver drops a notification its subscriber has not requested (a best-effort sink):
        // demand is therefore unbounded, into a bounded buffer whose overflow ends the session
        // (a Lost: the cache is cleared) rather than losing an invalidation in silence.
        Flux<Change> notifications = conn.getNotifications()
                .onBackpressureBuffer(MAX_PENDING)
                .filter(n -> CHANNEL.equals(n.getName()))
                .<Change>handle((n, sink) -> {
                    Change change = parse(n.getParameter());
                    if (change == null) {
                        // not ours to understand (a newer replica's?): whatever it changed, drop everything
                        log.warn("cache invalidation: unknown announcement '{}'; clearing the cache", n.getParameter());
                        change = new Listening();
                    }
                    sink.next(change);
                })
                .concatWith(Flux.error(() -> new IllegalStateException("the listening connection closed")));
        Mono<Change> listening = conn.createStatement("LISTEN " + CHANNEL).execute()
                .flatMap(PostgresqlResult::getRowsUpdated)
                .then(Mono.just(new Listening()));
        Flux<Change> heartbeat = Flux.interval(HEARTBEAT, HEARTBEAT)
                .concatMap(tick -> conn.validate(ValidationDepth.REMOTE)
                        .timeout(HEARTBEAT, Mono.error(() -> new TimeoutException(
                                "the listening connection did not answer within " + HEARTBEAT.toSeconds() + " s")))
                        .flatMap(valid -> valid ? Mono.<Change>empty()
                                : Mono.error(new IllegalStateException("the listening connection is no longer valid"))));
        return Flux.merge(notifications, listening, heartbeat);
    }

    /** {@code <kind>:<repository>:<key>}, as V7's trigger writes it; null if it is not one of ours. */
    static Change parse(String payload) {
        if (payload == null) {
            return null;
        }
        int first = payload.indexOf(':');
        int second = first < 0 ? -1 : payload.indexOf(':', first + 1);
        if (second < 0 || second == payload.length() - 1) {
            return null;
        }
        String kind = payload.substring(0, first);
        String repository = payload.substring(first + 1, second);
        String key = payload.substring(second + 1);
        try {
            return switch (kind) {
                case "tag" -> new TagChanged(repository, key);
                case "manifest" -> new ManifestRemoved(repository, Digest.parse(key));
                case "blob" -> new LinkRemoved(repository, Digest.parse(key));
                default -> null;
            };
        } catch (RuntimeException e) {
            return null;
        }
    }
}
