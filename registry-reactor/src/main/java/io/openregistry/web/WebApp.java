package io.openregistry.web;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.openregistry.oci.OciError;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The web app at {@code /} and the API docs at {@code /api-docs/}: what the registry answers for a
 * path no API route claims. Every file is read from the classpath once, at start (the build is
 * small), with its gzip encoding and ETag; requests are answered from memory.
 *
 * <ul>
 *   <li>a file of the build ({@code /_app/immutable/...} cached for a year: content-hashed names);</li>
 *   <li>{@code /api-docs/...}: Swagger UI's files (the {@code org.webjars:swagger-ui} jar) with our
 *       page and initializer, under a policy that allows inline styles there only;</li>
 *   <li>any other GET/HEAD outside the API prefixes and {@code /_app/}: the app's shell
 *       ({@code index.html}), whose router shows the page. An unknown {@code /_app/} file is a 404,
 *       never the shell: a tab left open across an upgrade asks for old chunks, and HTML given as
 *       JavaScript is a baffling error.</li>
 * </ul>
 * Anything else stays the API's 404 "no such endpoint".
 */
public final class WebApp implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {
    private static final Logger log = LoggerFactory.getLogger(WebApp.class);
    private static final String APP_ROOT = "web/";
    private static final String DOCS = "/api-docs/";
    private static final String WEBJAR = "META-INF/resources/webjars/swagger-ui/";
    /** The Swagger UI files our page loads (not the ES bundles, source maps, nor the OAuth2 redirect). */
    private static final List<String> DOCS_FILES = List.of("swagger-ui.css", "swagger-ui-bundle.js",
            "favicon-32x32.png", "favicon-16x16.png");
    /** Paths of the API and the app's own files: never answered with the shell. */
    private static final List<String> NOT_PAGES = List.of("/v2", "/token", "/auth/", "/api/", "/_app/", "/metrics");
    private final Map<String, Asset> files;
    private final Asset shell;
    /** The API docs' files, read (and compressed: ~2 MB) on first use, not at every start. */
    private final Mono<Map<String, Asset>> docs;

    private WebApp(Map<String, Asset> files, Asset shell, Mono<Map<String, Asset>> docs) {
        this.files = files;
        this.shell = shell;
        this.docs = docs;
    }

    /**
     * Loads the app's build ({@code web/} with its {@code .files} list, written by the npm build);
     * the API docs are read on their first request, on {@code blocking}. A jar built with {@code -Dweb.skip=true} and no earlier build has no app:
     * the registry then serves the API (and the docs) only, and says so once.
     */
    public static WebApp load(Scheduler blocking) {
        ClassLoader cl = WebApp.class.getClassLoader();
        Map<String, Asset> files = new HashMap<>();
        Asset shell = null;
        byte[] list = read(cl, APP_ROOT + ".files");
        if (list == null) {
            log.warn("the web app is not in this build (no web/.files on the classpath): serving the API only");
        } else {
            String index = new String(require(cl, APP_ROOT + "index.html"), StandardCharsets.UTF_8);
            String policy = Policies.app(index);
            for (String name : new String(list, StandardCharsets.UTF_8).split("\n")) {
                name = name.strip();
                if (name.isEmpty()) {
                    continue;
                }
                boolean immutable = name.startsWith("_app/immutable/");
                files.put("/" + name, Asset.of(name, require(cl, APP_ROOT + name),
                        immutable ? Asset.IMMUTABLE : Asset.REVALIDATE, name.endsWith(".html") ? policy : null));
            }
            shell = files.get("/index.html");
        }
        // the class path is read with blocking I/O: on the file scheduler, never on an event loop
        Mono<Map<String, Asset>> docs = Mono.fromCallable(() -> docs(cl)).subscribeOn(blocking).cache();
        return new WebApp(Map.copyOf(files), shell, docs);
    }

    private static Map<String, Asset> docs(ClassLoader cl) {
        Map<String, Asset> docs = new HashMap<>();
        String version = webjarVersion(cl);
        docs.put(DOCS, Asset.of("index.html", require(cl, "api-docs/index.html"), Asset.REVALIDATE, Policies.API_DOCS));
        for (String own : List.of("swagger-initializer.js", "overrides.css")) {
            docs.put(DOCS + own, Asset.of(own, require(cl, "api-docs/" + own), Asset.REVALIDATE, null));
        }
        for (String name : DOCS_FILES) {
            docs.put(DOCS + name, Asset.of(name, require(cl, WEBJAR + version + "/" + name), Asset.REVALIDATE, null));
        }
        return Map.copyOf(docs);
    }

    @Override
    public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
        String uri = request.uri();
        int q = uri.indexOf('?');
        String path = q >= 0 ? uri.substring(0, q) : uri;
        boolean read = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
        if (read) {
            if (path.equals("/api-docs")) {
                return response.status(HttpResponseStatus.MOVED_PERMANENTLY).header(HttpHeaderNames.LOCATION, DOCS)
                        .header(HttpHeaderNames.CONTENT_LENGTH, "0").send();
            }
            if (path.startsWith(DOCS)) {
                return docs.flatMap(d -> {
                    Asset asset = d.get(path);
                    return asset != null ? Mono.from(send(request, response, asset))
                            : Mono.<Void>error(OciError.UNSUPPORTED.exception(404, "no such endpoint: " + path));
                });
            }
            Asset asset = files.get(path);
            if (asset == null && shell != null && isPage(path)) {
                asset = shell;
            }
            if (asset != null) {
                return send(request, response, asset);
            }
        }
        return Mono.error(OciError.UNSUPPORTED.exception(404, "no such endpoint: " + path));
    }

    private static boolean isPage(String path) {
        for (String prefix : NOT_PAGES) {
            if (path.startsWith(prefix)) {
                return false;
            }
        }
        return true;
    }

    private static Publisher<Void> send(HttpServerRequest request, HttpServerResponse response, Asset asset) {
        securityHeaders(request, response, asset);
        response.header(HttpHeaderNames.CACHE_CONTROL, asset.cacheControl());
        response.header(HttpHeaderNames.ETAG, asset.etag());
        if (asset.gzip() != null) {
            response.header(HttpHeaderNames.VARY, "Accept-Encoding");
        }
        String ifNoneMatch = request.requestHeaders().get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null && ifNoneMatch.contains(asset.etag())) {
            return response.status(HttpResponseStatus.NOT_MODIFIED).send();
        }
        byte[] body = asset.bytes();
        if (asset.gzip() != null && acceptsGzip(request.requestHeaders().get(HttpHeaderNames.ACCEPT_ENCODING))) {
            body = asset.gzip();
            response.header(HttpHeaderNames.CONTENT_ENCODING, "gzip");
        }
        response.header(HttpHeaderNames.CONTENT_TYPE, asset.contentType());
        response.header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(body.length));
        if (request.method().equals(HttpMethod.HEAD)) {
            return response.send();
        }
        return response.sendByteArray(Mono.just(body)).then();
    }

    /**
     * The page's policy for documents; for every file the headers that keep it from being framed,
     * sniffed or leaking the URL. HSTS only where the request came over TLS (directly or as a proxy
     * says): over plain HTTP it would be ignored, and on localhost harmful.
     */
    private static void securityHeaders(HttpServerRequest request, HttpServerResponse response, Asset asset) {
        if (asset.policy() != null) {
            response.header("Content-Security-Policy", asset.policy());
        }
        response.header("X-Frame-Options", "DENY");
        response.header("Referrer-Policy", "no-referrer");
        response.header("Cross-Origin-Opener-Policy", "same-origin");
        response.header("Cross-Origin-Resource-Policy", "same-origin");
        if ("https".equals(request.scheme())
                || "https".equalsIgnoreCase(request.requestHeaders().get("X-Forwarded-Proto"))) {
            response.header("Strict-Transport-Security", "max-age=31536000");
        }
    }

    /** Whether {@code gzip} is acceptable: listed, and not with {@code q=0}. */
    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String part : acceptEncoding.split(",")) {
            String[] p = part.split(";");
            String coding = p[0].strip();
            if (coding.equalsIgnoreCase("gzip") || coding.equals("*")) {
                for (int i = 1; i < p.length; i++) {
                    String param = p[i].strip().replace(" ", "");
                    if (param.matches("q=0(\\.0{0,3})?")) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }

    private static String webjarVersion(ClassLoader cl) {
        byte[] props = require(cl, "META-INF/maven/org.webjars/swagger-ui/pom.properties");
        Properties p = new Properties();
        try {
            p.load(new java.io.ByteArrayInputStream(props));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static byte[] require(ClassLoader cl, String name) {
        byte[] bytes = read(cl, name);
        if (bytes == null) {
            throw new IllegalStateException("missing from the classpath: " + name);
        }
        return bytes;
    }

    private static byte[] read(ClassLoader cl, String name) {
        try (InputStream in = cl.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
