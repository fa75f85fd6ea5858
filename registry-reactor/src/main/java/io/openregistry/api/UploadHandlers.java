package io.openregistry.api;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.openregistry.auth.Caller;
import io.openregistry.auth.Scope;
import io.openregistry.http.Handler;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.UploadRecord;
import io.openregistry.oci.Digest;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import io.openregistry.http.Credentials;
import io.openregistry.upload.TooManyUploadsException;
import io.openregistry.upload.UploadOutOfOrderException;
import io.openregistry.upload.UploadService;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The blob upload endpoints: start (or monolithic, or mount), PATCH, PUT, status and cancel. The
 * HTTP face of upload sessions lives here: their URLs, their {@code Range} headers, and the answers
 * to a request that does not fit the session.
 */
public final class UploadHandlers {
    /**
     * Retry-After of a refused session: sessions free up as other pushes finish (in seconds to
     * minutes), or at the latest when idle ones expire.
     */
    static final int SESSION_RETRY_AFTER_SECONDS = 30;
    private final UploadService uploads;
    private final long chunkMinLength;

    public UploadHandlers(UploadService uploads, long chunkMinLength) {
        this.uploads = uploads;
        this.chunkMinLength = chunkMinLength;
    }

    /** {@code POST /v2/<name>/blobs/uploads/}, with {@code ?digest=} (monolithic) or {@code ?mount=&from=}. */
    public Handler start() {
        return (request, response, route) -> Mono.deferContextual(ctx -> {
            String name = Names.requireName(route.name());
            String owner = owner(ctx.get(Caller.class), request);
            var query = Requests.query(request);
            String mount = Requests.param(query, "mount");
            String from = Requests.param(query, "from");
            String digestParam = Requests.param(query, "digest");
            Digest mountDigest = Digest.tryParse(mount);
            if (mountDigest != null && Names.isValidName(from)) {
                // A caller who may not read the source repository gets a plain upload session, just
                // as if the source did not have the blob: nothing about it is revealed.
                return ctx.get(Caller.class).mayOnRepository(from, Scope.PULL)
                        ? uploads.mount(name, mountDigest, from)
                                .map(Optional::of)
                                .defaultIfEmpty(Optional.empty())
                                .flatMap(mounted -> mounted.isPresent()
                                        ? created(response, name, mounted.get())
                                        : session(response, name, owner))
                        : session(response, name, owner);
            }
            // A mount with invalid arguments falls back to a plain upload, as the spec asks.
            if (digestParam != null) {
                Digest digest = Digest.parse(digestParam);
                long length = Requests.contentLength(request);
                return uploads.monolithic(name, owner, digest, length, body(request))
                        .onErrorMap(TooManyUploadsException.class, UploadHandlers::tooMany)
                        .onErrorMap(UploadOutOfOrderException.class, UploadHandlers::outOfOrder)
                        .flatMap(blob -> created(response, name, blob));
            }
            return session(response, name, owner);
        });
    }

    private Mono<Void> session(HttpServerResponse response, String name, String owner) {
        return uploads.start(name, owner)
                .onErrorMap(TooManyUploadsException.class, UploadHandlers::tooMany)
                .flatMap(s -> accepted(response, s, 202));
    }

    /**
     * Whose sessions a new one counts against: the account behind the token, or, for a caller
     * without one (open mode, anonymous tokens), the client's address.
     */
    static String owner(Caller caller, HttpServerRequest request) {
        String username = caller.username();
        return username != null ? "account:" + username : "address:" + Credentials.address(request);
    }

    private static Throwable tooMany(TooManyUploadsException e) {
        return OciError.TOOMANYREQUESTS.exception(e.getMessage())
                .withHeader("Retry-After", String.valueOf(SESSION_RETRY_AFTER_SECONDS));
    }

    /** A request that does not fit the session: 416 with where the session is, so the client can resume. */
    private static Throwable outOfOrder(UploadOutOfOrderException e) {
        UploadRecord s = e.session();
        return OciError.RANGE_INVALID.exception(e.getMessage())
                .withHeader("Range", rangeHeader(s.offset()))
                .withHeader("Location", location(s))
                .withHeader("Docker-Upload-UUID", s.id());
    }

    /** {@code PATCH /v2/<name>/blobs/uploads/<id>}: a streamed or ranged chunk. */
    public Handler patch() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            String range = request.requestHeaders().get(HttpHeaderNames.CONTENT_RANGE);
            long length = Requests.contentLength(request);
            return uploads.append(name, route.item(), range, length, body(request))
                    .onErrorMap(UploadOutOfOrderException.class, UploadHandlers::outOfOrder)
                    .flatMap(s -> accepted(response, s, 202));
        };
    }

    /** {@code PUT /v2/<name>/blobs/uploads/<id>?digest=}: completes the upload, with an optional last chunk. */
    public Handler put() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            String digestParam = Requests.param(Requests.query(request), "digest");
            if (digestParam == null) {
                return Mono.error(OciError.DIGEST_INVALID.exception("the digest query parameter is required"));
            }
            Digest digest = Digest.parse(digestParam);
            String range = request.requestHeaders().get(HttpHeaderNames.CONTENT_RANGE);
            long length = Requests.contentLength(request);
            return uploads.finish(name, route.item(), digest, range, length, body(request))
                    .onErrorMap(UploadOutOfOrderException.class, UploadHandlers::outOfOrder)
                    .flatMap(blob -> created(response, name, blob));
        };
    }

    /** {@code GET /v2/<name>/blobs/uploads/<id>}: where the upload is. */
    public Handler status() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            return uploads.status(name, route.item()).flatMap(s -> accepted(response, s, 204));
        };
    }

    /** {@code DELETE /v2/<name>/blobs/uploads/<id>}. */
    public Handler cancel() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            return uploads.cancel(name, route.item())
                    .onErrorMap(UploadOutOfOrderException.class, UploadHandlers::outOfOrder)
                    .then(Responses.empty(response, 204));
        };
    }

    private static Flux<ByteBuf> body(HttpServerRequest request) {
        return request.receive();
    }

    private Mono<Void> accepted(HttpServerResponse response, UploadRecord s, int status) {
        response.header(HttpHeaderNames.LOCATION, location(s));
        response.header(HttpHeaderNames.RANGE, rangeHeader(s.offset()));
        response.header("Docker-Upload-UUID", s.id());
        if (chunkMinLength > 0) {
            response.header("OCI-Chunk-Min-Length", String.valueOf(chunkMinLength));
        }
        return Responses.empty(response, status);
    }

    /** The {@code Range} header of an upload at {@code offset}: {@code 0-<last byte>}, as Distribution writes it. */
    static String rangeHeader(long offset) {
        return "0-" + Math.max(0, offset - 1);
    }

    static String location(UploadRecord s) {
        return "/v2/" + s.repository() + "/blobs/uploads/" + s.id();
    }

    private static Mono<Void> created(HttpServerResponse response, String name, BlobRecord blob) {
        response.header(HttpHeaderNames.LOCATION, "/v2/" + name + "/blobs/" + blob.digest());
        response.header("Docker-Content-Digest", blob.digest().toString());
        return Responses.empty(response, 201);
    }
}
