package io.openregistry.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryExtension;
import io.openregistry.RegistryServer;
import io.openregistry.api.TestClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The web app as the registry serves it (no browser): the shell for every page path, the build's
 * files with their cache policy, gzip and ETags, 404s that never turn into the shell, the API docs
 * page, and the security headers (asserted here on the wire; the browser tests check that the
 * policy lets the app run with no violation).
 */
class WebAppServingTest {
    @RegisterExtension
    static final RegistryExtension registry = new RegistryExtension(RegistryServer.Backend.H2);

    @Test
    void everyPagePathGetsTheShellWithTheStrictPolicy() throws Exception {
        HttpResponse<byte[]> root = send("GET", "/");
        assertThat(root.statusCode()).isEqualTo(200);
        String html = new String(root.body(), StandardCharsets.UTF_8);
        assertThat(html).contains("<!doctype html>").contains("/_app/immutable/bundle.");
        assertThat(header(root, "Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(header(root, "Cache-Control")).isEqualTo("no-cache");
        String csp = header(root, "Content-Security-Policy");
        // the one inline script (SvelteKit's bootstrap) by its hash; nothing else inline
        Matcher m = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL).matcher(html);
        assertThat(m.find()).isTrue();
        String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(m.group(1).getBytes(StandardCharsets.UTF_8)));
        assertThat(m.find()).isFalse();
        assertThat(csp).startsWith("default-src 'self'; script-src 'self' 'sha256-" + hash + "'; style-src 'self';")
                .contains("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "connect-src 'self'")
                .doesNotContain("unsafe-inline", "unsafe-eval");
        assertThat(header(root, "X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(header(root, "Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(header(root, "Cross-Origin-Opener-Policy")).isEqualTo("same-origin");
        assertThat(header(root, "X-Frame-Options")).isEqualTo("DENY");
        assertThat(root.headers().firstValue("Strict-Transport-Security")).isEmpty();
        // pages of the app's router, repository names with slashes, tags, digests, and a HEAD
        for (String page : new String[] {"/signin", "/account", "/orgs/acme", "/r/acme/team/app",
                "/r/acme/app/-/tags/v1.2.3", "/r/acme/app/-/manifests/sha256:" + "a".repeat(64), "/nowhere?x=1"}) {
            HttpResponse<byte[]> r = send("GET", page);
            assertThat(r.statusCode()).as(page).isEqualTo(200);
            assertThat(r.body()).as(page).isEqualTo(root.body());
            assertThat(header(r, "Content-Security-Policy")).isEqualTo(csp);
        }
        HttpResponse<byte[]> head = send("HEAD", "/r/acme/app");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "Content-Length")).isEqualTo(String.valueOf(root.body().length));
        // behind a TLS-terminating proxy: HSTS too
        assertThat(header(send("GET", "/", "X-Forwarded-Proto", "https"), "Strict-Transport-Security"))
                .isEqualTo("max-age=31536000");
    }

    @Test
    void appFilesAreCachedForeverCompressedAndRevalidated() throws Exception {
        String html = new String(send("GET", "/").body(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(/_app/immutable/bundle\\.[^\"]+\\.js)").matcher(html);
        assertThat(m.find()).isTrue();
        String js = m.group(1);
        HttpResponse<byte[]> plain = send("GET", js);
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(header(plain, "Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(header(plain, "Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(plain.headers().firstValue("Content-Security-Policy")).isEmpty();
        assertThat(header(plain, "X-Content-Type-Options")).isEqualTo("nosniff");
        HttpResponse<byte[]> gz = send("GET", js, "Accept-Encoding", "br, gzip;q=0.8");
        assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
        assertThat(header(gz, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(gz.body().length).isLessThan(plain.body().length / 2);
        assertThat(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes()).isEqualTo(plain.body());
        assertThat(send("GET", js, "Accept-Encoding", "gzip;q=0").headers().firstValue("Content-Encoding")).isEmpty();
        HttpResponse<byte[]> again = send("GET", js, "If-None-Match", header(plain, "ETag"));
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(header(send("GET", "/_app/version.json"), "Cache-Control")).isEqualTo("no-cache");
        assertThat(header(send("GET", "/favicon.svg"), "Content-Type")).isEqualTo("image/svg+xml");
    }

    @Test
    void unknownFilesAndApiPathsStayApi404sNeverTheShell() throws Exception {
        for (String path : new String[] {"/_app/immutable/bundle.gone.js", "/_app/nothing", "/v2/a/b/nothing",
                "/auth/nothing", "/api/v1/nothing", "/api/v2", "/token/x", "/api-docs/swagger-ui-es-bundle.js"}) {
            HttpResponse<byte[]> r = send("GET", path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(header(r, "Content-Type")).as(path).isEqualTo("application/json");
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(path).contains("\"UNSUPPORTED\"");
            assertThat(header(r, "X-Content-Type-Options")).isEqualTo("nosniff");
        }
        // only reads get pages
        for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
            HttpResponse<byte[]> r = send(method, "/r/a/b");
            assertThat(r.statusCode()).as(method).isEqualTo(404);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("no such endpoint");
        }
        // the API keeps its own answers and gets nosniff too
        HttpResponse<byte[]> v2 = send("GET", "/v2/");
        assertThat(v2.statusCode()).isEqualTo(200);
        assertThat(header(v2, "X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(v2.headers().firstValue("Content-Security-Policy")).isEmpty();
    }

    @Test
    void apiDocsServeSwaggerUiWithOurInitializer() throws Exception {
        HttpResponse<byte[]> bare = send("GET", "/api-docs");
        assertThat(bare.statusCode()).isEqualTo(301);
        assertThat(header(bare, "Location")).isEqualTo("/api-docs/");
        HttpResponse<byte[]> page = send("GET", "/api-docs/");
        assertThat(page.statusCode()).isEqualTo(200);
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertThat(html).contains("swagger-ui-bundle.js", "swagger-initializer.js").doesNotContain("<script>");
        // inline styles allowed on this page only (Swagger UI sets some); scripts stay 'self'
        assertThat(header(page, "Content-Security-Policy")).startsWith("default-src 'self'; script-src 'self'; "
                + "style-src 'self' 'unsafe-inline';").contains("frame-ancestors 'none'");
        String init = new String(send("GET", "/api-docs/swagger-initializer.js").body(), StandardCharsets.UTF_8);
        assertThat(init).contains("/api/v1/openapi.json").doesNotContain("petstore");
        HttpResponse<byte[]> bundle = send("GET", "/api-docs/swagger-ui-bundle.js", "Accept-Encoding", "gzip");
        assertThat(bundle.statusCode()).isEqualTo(200);
        assertThat(header(bundle, "Content-Encoding")).isEqualTo("gzip");
        assertThat(send("GET", "/api-docs/swagger-ui.css").statusCode()).isEqualTo(200);
    }

    @Test
    void gzipNegotiation() {
        assertThat(WebApp.acceptsGzip(null)).isFalse();
        assertThat(WebApp.acceptsGzip("gzip")).isTrue();
        assertThat(WebApp.acceptsGzip("deflate, GZIP;q=0.5")).isTrue();
        assertThat(WebApp.acceptsGzip("gzip;q=0")).isFalse();
        assertThat(WebApp.acceptsGzip("gzip; q=0.000")).isFalse();
        assertThat(WebApp.acceptsGzip("*")).isTrue();
        assertThat(WebApp.acceptsGzip("br, identity")).isFalse();
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElseThrow(() -> new AssertionError("no " + name + " header"));
    }

    private static HttpResponse<byte[]> send(String method, String path, String... headers) {
        return new TestClient(registry.server().baseUrl(), registry.server().port()).send(method, path, null, headers);
    }
}
