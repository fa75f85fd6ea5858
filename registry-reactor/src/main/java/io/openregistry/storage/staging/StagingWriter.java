package io.openregistry.storage.staging;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.MonoSink;
import reactor.util.context.Context;

/**
 * Drains an append's data into a {@link StagingFile} one buffer at a time. A hand-written
 * subscriber rather than an operator chain because it must request exactly one buffer per write
 * and release each buffer exactly once itself; operators such as {@code reduce} may also hand a
 * failed element to a discard hook further downstream, which would release it a second time.
 */
final class StagingWriter extends BaseSubscriber<ByteBuf> {

    private final StagingFile file;
    private final MonoSink<Long> sink;

    StagingWriter(StagingFile file, MonoSink<Long> sink) {
        this.file = file;
        this.sink = sink;
    }

    @Override
    public Context currentContext() {
        return Context.of(sink.contextView());
    }

    @Override
    protected void hookOnSubscribe(Subscription subscription) {
        subscription.request(1);
    }

    @Override
    protected void hookOnNext(ByteBuf buf) {
        Exception failure = null;
        try {
            if (isDisposed()) {
                // arrived after we cancelled: still ours to release, but not to write
                return;
            }
            file.write(buf);
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            buf.release();
        }
        if (failure != null) {
            cancel();
            sink.error(failure);
        } else {
            request(1);
        }
    }

    @Override
    protected void hookOnComplete() {
        sink.success(file.position());
    }

    @Override
    protected void hookOnError(Throwable error) {
        sink.error(error);
    }
}
