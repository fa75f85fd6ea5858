package io.openregistry.http;

import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Runs each request of a listener in a task of its own on its connection's event loop, instead of
 * inside the call that dispatches it.
 *
 * <p>Why: Reactor Netty 1.3.7 stops reading a keep-alive connection when a request that was queued
 * behind an unfinished one (pipelined, or sent the moment the previous response arrived, before
 * that response finished on another thread) is answered synchronously within its own dispatch; the
 * client's next request then hangs until it gives up (reactor-netty #4361, fixed upstream by #4347
 * after 1.3.8, the newest release served here). A request never finishes within its dispatch this
 * way. Drop this once the dependency has the fix; {@code KeepAliveTest} shows the stall.
 */
public final class OwnTask {
    private OwnTask() {
    }

    /** {@code handler}, each request started in a task of its own on its event loop. */
    public static BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> of(
            BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> handler) {
        return (request, response) -> {
            Executor[] loop = new Executor[1];
            request.withConnection(connection -> loop[0] = connection.channel().eventLoop());
            return Mono.defer(() -> Mono.from(handler.apply(request, response)))
                    .subscribeOn(Schedulers.fromExecutor(loop[0]));
        };
    }
}
