package io.openregistry.api;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Generators of request parts for the fuzz properties, each mixing valid values, edge cases and
 * garbage, and the oracles that say which generated values the specification accepts (written
 * from the specification's grammars, independently of the registry's own parsers).
 */
final class FuzzGen {
    /** The repository name grammar of the distribution specification. */
    private static final Pattern NAME =
            Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String TAG_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    /** Characters that are trouble somewhere: in paths, queries, JSON, headers. */
    private static final List<String> ODD = List.of("%", "%2F", "%2e", "%00", "%zz", "%", ".", "..", "/", "//", "\\",
            ":", "@", "+", "~", "!", "$", "&", "'", "(", ")", "*", ",", ";", "=", "[", "]", "{", "}", "|", "^", "`",
            "\"", "<", ">", "A", "Z", "é", "中", "😀", "\u0000", "\u007f", "\u200b", "ﬁ", "İ", "ı");

    private FuzzGen() {
    }

    static boolean validName(String name) {
        return name.length() <= 255 && NAME.matcher(name).matches();
    }

    static boolean validTag(String tag) {
        return TAG.matcher(tag).matches();
    }

    static <T> T pick(Random r, List<T> items) {
        return items.get(r.nextInt(items.size()));
    }

    @SafeVarargs
    static <T> T pick(Random r, T... items) {
        return items[r.nextInt(items.length)];
    }

    static String chars(Random r, String alphabet, int min, int max) {
        int n = min + r.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    static String component(Random r) {
        StringBuilder sb = new StringBuilder(chars(r, LOWER, 1, 8));
        int joins = r.nextInt(3);
        for (int i = 0; i < joins; i++) {
            sb.append(pick(r, ".", "_", "__", "-", "--", "---")).append(chars(r, LOWER, 1, 6));
        }
        return sb.toString();
    }

    static String validNameOf(Random r, int components) {
        StringBuilder sb = new StringBuilder(component(r));
        for (int i = 1; i < components; i++) {
            sb.append('/').append(component(r));
        }
        return sb.toString();
    }

    /** A repository name as it goes into a path: valid ones, long ones, and many ways of being invalid. */
    static String name(Random r) {
        String base = validNameOf(r, 1 + r.nextInt(3));
        return switch (r.nextInt(16)) {
            case 0, 1, 2, 3 -> base;
            case 4 -> longName(r, 240 + r.nextInt(30)); // around the 255 limit
            case 5 -> longName(r, 256 + r.nextInt(2000));
            case 6 -> base.toUpperCase();
            case 7 -> insert(r, base, pick(r, ODD));
            case 8 -> pick(r, "", "/", "//", ".", "..", "a/..", "../a", "a/../b", "a/./b", "./a", "a//b", "a/", "/a",
                    "-a", "a-", "_a", "a_", "a.", ".a", "a___b", "a..b", "a/.", "a/..", "%2e%2e/a", "a%2fb",
                    "a/%2e%2e/b", "_catalog", "v2", "a/_catalog", "a\\b", "a b".replace(" ", "%20"));
            case 9 -> URLEncoder.encode(base, StandardCharsets.UTF_8).replace("%2F", "/"); // unchanged for valid names
            case 10 -> percentEncodeAll(base);
            case 11 -> utf8AsLatin1(base + pick(r, "é", "中文", "😀", "ß", "\u00a0", "İ")); // raw UTF-8 bytes in the path
            case 12 -> base + "/" + pick(r, "blobs", "manifests", "tags", "uploads", "referrers", "blobs/uploads",
                    "tags/list", "manifests/x", "_catalog");
            case 13 -> pick(r, "a", "0", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", "a-----b", "a__b", "a.b.c");
            case 14 -> chars(r, LOWER + "/._-", 1, 40);
            default -> chars(r, LOWER + "/._-%ABC:@", 1, 40);
        };
    }

    static String longName(Random r, int length) {
        StringBuilder sb = new StringBuilder(component(r));
        while (sb.length() < length) {
            sb.append(r.nextBoolean() ? "/" : "-").append(chars(r, LOWER, 1, 30));
        }
        return sb.substring(0, length).replaceAll("[/_.-]+$", "x");
    }

    static String insert(Random r, String s, String piece) {
        int at = r.nextInt(s.length() + 1);
        return s.substring(0, at) + piece + s.substring(at);
    }

    static String percentEncodeAll(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            sb.append(b == '/' ? "/" : String.format("%%%02X", b & 0xff));
        }
        return sb.toString();
    }

    /** The UTF-8 bytes of {@code s} as chars below 256, so that the request writer sends them raw. */
    static String utf8AsLatin1(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    static String hex(Random r, int n) {
        byte[] b = new byte[(n + 1) / 2];
        r.nextBytes(b);
        return HexFormat.of().formatHex(b).substring(0, n);
    }

    static String sha256(Random r) {
        return "sha256:" + hex(r, 64);
    }

    /** A digest string: valid ones of both algorithms, unsupported algorithms, and malformed ones. */
    static String digest(Random r) {
        return switch (r.nextInt(16)) {
            case 0, 1, 2 -> sha256(r);
            case 3 -> "sha512:" + hex(r, 128);
            case 4 -> "sha256:" + hex(r, 64).toUpperCase();
            case 5 -> "sha256:" + hex(r, pick(r, 0, 1, 63, 65, 128, 300));
            case 6 -> pick(r, "md5:", "sha1:", "sha384:", "blake3:", "sha256+b64u:", "SHA256:", "sha-256:", "multihash+base58:")
                    + hex(r, pick(r, 32, 40, 64, 96, 128));
            case 7 -> pick(r, "sha256", "sha256:", ":", ":" + hex(r, 64), "sha256::" + hex(r, 64), "sha256:" + hex(r, 64) + ":x",
                    "sha512:" + hex(r, 64), "sha256:" + hex(r, 64) + "%00", "sha256%3A" + hex(r, 64));
            case 8 -> "sha256:" + insert(r, hex(r, 63), pick(r, ODD));
            case 9 -> "sha256:" + hex(r, 64).replace('a', 'g');
            case 10 -> chars(r, LOWER + "+._-:", 1, 80);
            case 11 -> "sha256:" + "0".repeat(64);
            case 12 -> utf8AsLatin1("sha256:" + hex(r, 60) + "éééé");
            case 13 -> "sha256:" + hex(r, 64) + "/";
            case 14 -> "x".repeat(300) + ":" + hex(r, 64);
            default -> pick(r, "", "latest", "sha256:" + hex(r, 64).substring(0, 32) + "=" + hex(r, 31));
        };
    }

    /** A manifest reference: tags valid and invalid, and digests from {@link #digest}. */
    static String reference(Random r) {
        return switch (r.nextInt(10)) {
            case 0, 1, 2 -> chars(r, TAG_CHARS, 0, 0) + pick(r, "latest", "v1", "1.0.0", "_x", "A", "stable-2024")
                    + (r.nextBoolean() ? "" : chars(r, TAG_CHARS, 0, 10));
            case 3 -> pick(r, "a", "_", "0") + chars(r, TAG_CHARS, 100, 127); // at and near the 128 limit
            case 4 -> pick(r, "a", "_") + chars(r, TAG_CHARS, 128, 300);
            case 5 -> pick(r, ".", "-", "..", ".hidden", "-v1", ".INVALID_MANIFEST_NAME", "%2e", "%2E%2E", "~", "v1%20",
                    "a+b", "a:b", "a@b", utf8AsLatin1("é"), utf8AsLatin1("v1😀"), "v1%C3%A9", "v%zz");
            case 6 -> insert(r, chars(r, TAG_CHARS, 1, 20), pick(r, ODD));
            default -> digest(r);
        };
    }

    /** A number as text, from the edges: zero, small, around 2^31, 2^53, 2^63 and far beyond, negative, padded. */
    static String number(Random r, long size) {
        return switch (r.nextInt(14)) {
            case 0 -> "0";
            case 1 -> String.valueOf(r.nextInt((int) Math.max(1, size)));
            case 2 -> String.valueOf(size - 1);
            case 3 -> String.valueOf(size);
            case 4 -> String.valueOf(size + 1 + r.nextInt(1000));
            case 5 -> pick(r, "2147483647", "2147483648", "4294967295", "4294967296", "9007199254740993");
            case 6 -> pick(r, "9223372036854775806", "9223372036854775807");
            case 7 -> pick(r, "9223372036854775808", "18446744073709551615", "18446744073709551616");
            case 8 -> "9".repeat(19 + r.nextInt(60));
            case 9 -> "1" + "0".repeat(18 + r.nextInt(10));
            case 10 -> "0".repeat(1 + r.nextInt(30)) + r.nextInt(10);
            case 11 -> "-" + r.nextInt(100);
            case 12 -> pick(r, "+1", "1e3", "0x10", "1.5", " 1", "1 ", "", "NaN", "١", "１", "1_000");
            default -> String.valueOf(r.nextInt(20));
        };
    }

    /** A short string of anything, for query values and JSON strings. */
    static String junk(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> "";
            case 1 -> chars(r, LOWER, 1, 10);
            case 2 -> pick(r, ODD);
            case 3 -> chars(r, LOWER + "%&=+#;/?:@ ", 1, 30);
            case 4 -> "x".repeat(1 + r.nextInt(3000));
            case 5 -> "\ud800" + chars(r, LOWER, 0, 3); // a lone surrogate
            case 6 -> pick(r, "null", "true", "[]", "{}", "0", "-1", "\"", "\\", "\\u0000", "<script>");
            default -> insert(r, chars(r, LOWER, 0, 8), pick(r, ODD));
        };
    }

    /** {@code s} made safe for a query string value: percent-encoded, or (sometimes) raw or half-encoded. */
    static String queryValue(Random r, String s) {
        return switch (r.nextInt(4)) {
            case 0 -> utf8AsLatin1(s.replace(" ", "+").replace("#", "%23").replace("&", "%26"));
            case 1 -> URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
            default -> URLEncoder.encode(s, StandardCharsets.UTF_8);
        };
    }

    /** {@code n} nested arrays (or objects) around {@code inner}. */
    static String nested(int n, boolean objects, String inner) {
        StringBuilder sb = new StringBuilder(n * 6 + inner.length());
        for (int i = 0; i < n; i++) {
            sb.append(objects ? "{\"a\":" : "[");
        }
        sb.append(inner);
        for (int i = 0; i < n; i++) {
            sb.append(objects ? '}' : ']');
        }
        return sb.toString();
    }

    /** A JSON value of any shape, including deep nesting, huge numbers, odd strings; sometimes not JSON at all. */
    static String jsonValue(Random r, int depth) {
        int k = depth > 3 ? r.nextInt(7) : r.nextInt(12);
        return switch (k) {
            case 0 -> "null";
            case 1 -> pick(r, "true", "false");
            case 2 -> pick(r, "0", "-0", "1", "-1", "2", "1.5", "1e400", "-1e400", "1E-400", "9223372036854775808",
                    "1" + "0".repeat(1200), "0." + "1".repeat(1200), "2.0", "1e2");
            case 3 -> Oci.JSON.getNodeFactory().textNode(junk(r)).toString();
            case 4 -> "\"" + pick(r, "\\ud800", "\\udc00x", "\\u0000", "\\uZZZZ", "\\", "\\x41", "\u0001") + "\"";
            case 5 -> "\"" + pick(r, "application/vnd.oci.image.manifest.v1+json", "sha256:" + hex(r, 64), "pull", "*")
                    + "\"";
            case 6 -> pick(r, "", "nul", "tru", "[", "{", "}", "]", "'x'", "NaN", "Infinity", "01", "+1", ".5", "0x1");
            case 7 -> nested(pick(r, 10, 500, 999, 1001, 10_000), r.nextBoolean(), "1");
            case 8, 9 -> {
                StringBuilder sb = new StringBuilder("[");
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    sb.append(i > 0 ? "," : "").append(jsonValue(r, depth + 1));
                }
                yield sb.append(']').toString();
            }
            default -> {
                StringBuilder sb = new StringBuilder("{");
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    String key = pick(r, "mediaType", "digest", "size", "config", "layers", "manifests", "schemaVersion",
                            "username", "password", "name", "actions", "repositories", "visibility", "a", "");
                    sb.append(i > 0 ? "," : "").append('"').append(key).append("\":").append(jsonValue(r, depth + 1));
                }
                yield sb.append('}').toString();
            }
        };
    }
}
