package io.openregistry.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.oci.OciError;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A small property runner for the HTTP fuzz suites: each property runs a number of tries, each
 * try with its own {@link Random} derived from the run's seed, so a run is reproduced exactly by
 * {@code -Dfuzz.seed=<seed>} (printed with every failure). {@code -Dfuzz.scale=<factor>} multiplies
 * every property's tries for a deeper local run.
 *
 * <p>Every response is checked against what holds for all of them: a complete response (no
 * timeout, no reset), never a 5xx, every 4xx with the OCI error JSON and a declared code, HEAD
 * without a body, and the connection usable afterwards; then against the try's own expectation.
 * Failures are collected and grouped by kind, so one run shows every distinct defect with one
 * example request each, rather than stopping at the first.
 *
 * <p>Why not jqwik: from 1.10 on, jqwik's maintainer asks that it not be used by AI coding agents
 * (its "Anti-AI Usage Clause"), and this suite is written and run by such agents.
 */
final class FuzzRunner {
    static final long SEED = Long.getLong("fuzz.seed", new SecureRandom().nextLong());
    static final double SCALE = Double.parseDouble(System.getProperty("fuzz.scale", "1"));
    /** Requests sent by every fuzz suite of this JVM (setup requests included), for the run summary. */
    static final AtomicLong SENT = new AtomicLong();
    /** Error codes a response may carry: the specification's and the project's declared ones, never UNKNOWN (500). */
    static final Set<String> CODES = Arrays.stream(OciError.values()).filter(e -> e != OciError.UNKNOWN)
            .map(Enum::name).collect(Collectors.toUnmodifiableSet());
    private static final int MAX_TIMEOUTS = 3;

    private final FuzzHttp http;

    FuzzRunner(FuzzHttp http) {
        this.http = http;
    }

    /** What a try expects of a response beyond the common checks: null when it holds, else what is wrong. */
    @FunctionalInterface
    interface Expect {
        String check(FuzzHttp.Response r);

        Expect ANY = r -> null;
    }

    /** A request, exactly as it goes on the wire. */
    static final class Req {
        final String method;
        final String target;
        private final List<String[]> headers = new ArrayList<>();
        private byte[] body;
        private boolean host = true;
        private boolean length = true;
        private boolean probe = true;
        private boolean framingBroken;
        private String version = "HTTP/1.1";

        Req(String method, String target) {
            this.method = method;
            this.target = target;
        }

        Req header(String name, String value) {
            headers.add(new String[] {name, value});
            if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
                // a control character makes the field value invalid HTTP (RFC 9110 5.5): the codec may refuse it
                framingBroken();
            }
            return this;
        }

        Req body(byte[] bytes) {
            this.body = bytes;
            return this;
        }

        Req body(String text) {
            return body(text.getBytes(StandardCharsets.UTF_8));
        }

        /** No Host header of its own (the caller may add its own, or none). */
        Req noHost() {
            host = false;
            return this;
        }

        /** No Content-Length of its own: the caller frames the body (or lies about it). */
        Req noLength() {
            length = false;
            return this;
        }

        /** The request deliberately frames its body wrongly: the connection is not probed afterwards. */
        Req noProbe() {
            probe = false;
            return this;
        }

        /**
         * The request is not valid HTTP (Content-Length and Transfer-Encoding garbled or in
         * conflict, control characters in a header): the HTTP codec may refuse it before any
         * handler sees it, with a bare 400 that closes the connection, since it cannot know where
         * the request ends. Not probed afterwards.
         */
        Req framingBroken() {
            framingBroken = true;
            probe = false;
            return this;
        }

        Req version(String v) {
            version = v;
            return this;
        }

        /**
         * Whether the request line or head is beyond the HTTP codec's limits (Reactor Netty's
         * defaults: a 4096-byte request line, 8192 bytes of headers), which it refuses with a bare
         * 414 or 431 before any handler sees the request.
         */
        boolean beyondCodecLimits(int port) {
            byte[] all = bytes(port);
            int lineEnd = 0;
            while (lineEnd < all.length && all[lineEnd] != '\n') {
                lineEnd++;
            }
            int headEnd = new String(all, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
            return lineEnd > 4096 || headEnd - lineEnd > 8192;
        }

        boolean isHead() {
            return method.equals("HEAD");
        }

        byte[] bytes(int port) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            wire(out, method + " " + target + " " + version + "\r\n");
            if (host) {
                wire(out, "Host: 127.0.0.1:" + port + "\r\n");
            }
            for (String[] h : headers) {
                wire(out, h[0] + ": " + h[1] + "\r\n");
            }
            if (length && (body != null || method.equals("POST") || method.equals("PUT") || method.equals("PATCH"))) {
                out.writeBytes(("Content-Length: " + (body == null ? 0 : body.length) + "\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.writeBytes(body);
            }
            return out.toByteArray();
        }

        /**
         * A char below 256 goes out as that one byte (so {@link FuzzGen#utf8AsLatin1} sends raw
         * UTF-8), anything above as its UTF-8 bytes.
         */
        private static void wire(ByteArrayOutputStream out, String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 256) {
                    out.write(c);
                } else if (i + 1 < s.length() && Character.isSurrogatePair(c, s.charAt(i + 1))) {
                    out.writeBytes(s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8));
                    i++;
                } else if (Character.isSurrogate(c)) {
                    // a lone surrogate as the three bytes UTF-8 forbids (the JDK's encoder would send '?')
                    out.write(0xE0 | (c >> 12));
                    out.write(0x80 | ((c >> 6) & 0x3F));
                    out.write(0x80 | (c & 0x3F));
                } else {
                    out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                }
            }
        }

        String describe(int port) {
            String text = new String(bytes(port), StandardCharsets.ISO_8859_1);
            StringBuilder sb = new StringBuilder();
            for (char c : (text.length() > 700 ? text.substring(0, 700) + "…(" + text.length() + " bytes)" : text).toCharArray()) {
                if (c == '\r') {
                    sb.append("\\r");
                } else if (c == '\n') {
                    sb.append("\\n");
                } else if (c < 0x20 || c > 0x7e) {
                    sb.append(String.format("\\x%02x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }
    }

    private record Problem(String example, long caseSeed, int[] count) {
    }

    /** One try of a property: sends its requests and records what is wrong with their answers. */
    final class Try {
        private final Map<String, Problem> problems;
        private final long caseSeed;
        private int timeouts;

        private Try(Map<String, Problem> problems, long caseSeed) {
            this.problems = problems;
            this.caseSeed = caseSeed;
        }

        /**
         * Sends {@code req}; returns the response when it passed every check, else null (the
         * problem is recorded under {@code label}, the kind of request, which groups failures).
         */
        FuzzHttp.Response send(String label, Req req, Expect expect) {
            SENT.incrementAndGet();
            FuzzHttp.Outcome outcome = http.exchange(req.bytes(http.port()), req.isHead(), req.probe);
            FuzzHttp.Response r = outcome.response();
            String problem;
            if (r == null) {
                problem = outcome.failure();
                if (problem.startsWith("timeout")) {
                    timeouts++;
                }
            } else {
                problem = refusedByCodec(req, r, http.port()) ? null : common(req, r);
                if (problem == null && !refusedByCodec(req, r, http.port())) {
                    problem = expect.check(r);
                }
                if (problem == null && outcome.afterwards() != null) {
                    problem = outcome.afterwards();
                }
            }
            if (problem == null) {
                return r;
            }
            String kind = problem.replaceAll(": .*", "");
            String got = r == null ? "" : " (got " + r.status() + (code(r) == null ? "" : " " + code(r)) + ")";
            String signature = label + ": " + kind + got;
            String example = "request:  " + req.describe(http.port())
                    + "\n      response: " + (r == null ? "-" : r.describe()) + "\n      problem:  " + problem;
            problems.computeIfAbsent(signature, s -> new Problem(example,
                    caseSeed, new int[1])).count()[0]++;
            return null;
        }
    }

    /**
     * Runs {@code tries} (times {@code fuzz.scale}) tries of {@code property}; fails with every
     * distinct problem found, each with an example.
     */
    void forAll(String property, int tries, java.util.function.BiConsumer<Random, Try> body) {
        int n = Math.max(1, (int) Math.round(tries * SCALE));
        Map<String, Problem> problems = new LinkedHashMap<>();
        int timeouts = 0;
        int done = 0;
        for (int i = 0; i < n && timeouts < MAX_TIMEOUTS; i++, done++) {
            long caseSeed = mix(SEED, property.hashCode(), i);
            Try t = new Try(problems, caseSeed);
            body.accept(new Random(caseSeed), t);
            timeouts += t.timeouts;
        }
        if (problems.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("property '" + property + "' failed (" + done + " of " + n
                + " tries run; reproduce with -Dfuzz.seed=" + SEED + "):\n");
        if (timeouts >= MAX_TIMEOUTS) {
            sb.append("  stopped early after ").append(timeouts).append(" timeouts\n");
        }
        problems.forEach((signature, p) -> sb.append("  [").append(p.count()[0]).append("×] ").append(signature)
                .append("\n      ").append(p.example()).append('\n'));
        throw new AssertionError(sb.toString());
    }

    /** What every response must be, whatever was asked. */
    /** Refused by the HTTP codec, before the registry saw a request: bare, complete, and the connection closed. */
    private static boolean refusedByCodec(Req req, FuzzHttp.Response r, int port) {
        return r.body().length == 0 && r.closes() && ((req.framingBroken && r.status() == 400)
                || ((r.status() == 414 || r.status() == 431) && req.beyondCodecLimits(port)));
    }

    private static String common(Req req, FuzzHttp.Response r) {
        if (r.status() >= 500) {
            return "server error " + r.status() + ": " + r.bodyText();
        }
        if (r.status() < 200) {
            return "unexpected status " + r.status();
        }
        if (r.status() >= 400 && !req.isHead()) {
            String type = r.header("Content-Type");
            if (type == null || !type.startsWith("application/json")) {
                return "4xx without the OCI error JSON: Content-Type " + type;
            }
            JsonNode error = errorEntry(r);
            if (error == null) {
                return "4xx without the OCI error JSON: body is not {\"errors\":[{…}]}";
            }
            if (!CODES.contains(error.path("code").asText())) {
                return "4xx with an undeclared error code: " + error.path("code");
            }
            if (!error.path("message").isTextual() || error.path("message").asText().isEmpty()) {
                return "4xx error without a message";
            }
        }
        return null;
    }

    private static JsonNode errorEntry(FuzzHttp.Response r) {
        try {
            JsonNode root = Oci.JSON.readTree(r.body());
            JsonNode first = root == null ? null : root.path("errors").path(0);
            return first == null || !first.isObject() ? null : first;
        } catch (Exception e) {
            return null;
        }
    }

    /** The error code of an error response, or null. */
    static String code(FuzzHttp.Response r) {
        JsonNode e = r.status() >= 400 ? errorEntry(r) : null;
        return e == null ? null : e.path("code").asText();
    }

    /** The response's JSON body, or null when it is not JSON. */
    static JsonNode json(FuzzHttp.Response r) {
        try {
            return Oci.JSON.readTree(r.body());
        } catch (Exception e) {
            return null;
        }
    }

    // ---- expectations ----

    /** One of these statuses (any code). */
    static Expect status(int... statuses) {
        return r -> {
            for (int s : statuses) {
                if (r.status() == s) {
                    return null;
                }
            }
            return "expected status " + Arrays.toString(statuses);
        };
    }

    /** This error status with one of these codes (HEAD: the status alone). */
    static Expect error(int status, String... codes) {
        return r -> {
            if (r.status() != status) {
                return "expected " + status + " " + String.join("|", codes);
            }
            String code = code(r);
            if (code == null || codes.length == 0 || Arrays.asList(codes).contains(code)) {
                return null;
            }
            return "expected " + status + " " + String.join("|", codes);
        };
    }

    /** The first that holds; otherwise all their complaints. */
    static Expect anyOf(Expect... options) {
        return r -> {
            List<String> complaints = new ArrayList<>();
            for (Expect e : options) {
                String c = e.check(r);
                if (c == null) {
                    return null;
                }
                complaints.add(c);
            }
            return String.join(" or ", complaints);
        };
    }

    /** Both. */
    static Expect allOf(Expect... all) {
        return r -> {
            for (Expect e : all) {
                String c = e.check(r);
                if (c != null) {
                    return c;
                }
            }
            return null;
        };
    }

    private static long mix(long seed, int property, int index) {
        long z = seed ^ ((long) property << 32) ^ (index * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
