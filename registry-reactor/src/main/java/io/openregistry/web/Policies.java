package io.openregistry.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Content-Security-Policy headers of the web app and of the API docs page.
 *
 * <p>The SvelteKit shell ({@code index.html}) starts the app with exactly one inline script whose
 * text changes with every build; rather than {@code 'unsafe-inline'} the policy allows that one
 * script by its SHA-256, computed here from the file the jar carries. (SvelteKit's own
 * {@code kit.csp} would put the policy in a {@code <meta>} tag, which cannot carry
 * {@code frame-ancestors} and would be enforced on top of this header.)
 */
final class Policies {
    /**
     * SvelteKit's route announcer is the one element with a static {@code style} attribute
     * ({@code @sveltejs/kit/src/core/sync/write_root.js}); allowed by its hash alone. Should a kit
     * update change that text, the browser tests' "no CSP violation in the console" check fails.
     */
    static final String ANNOUNCER_STYLE = "'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo='";
    private static final Pattern INLINE_SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);
    private static final String COMMON = "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'";
    /**
     * Swagger UI sets inline styles from its bundle (a CSSOM-less path React takes for a few
     * elements), so its page alone may use inline styles; scripts stay {@code 'self'}.
     */
    static final String API_DOCS = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " + COMMON;

    private Policies() {
    }

    /** The policy of the app's pages, given the shell; fails unless it has exactly one inline script. */
    static String app(String indexHtml) {
        Matcher m = INLINE_SCRIPT.matcher(indexHtml);
        String hash = null;
        int count = 0;
        while (m.find()) {
            count++;
            hash = sha256(m.group(1));
        }
        if (count != 1) {
            throw new IllegalStateException("web/index.html: expected exactly one inline <script> (SvelteKit's "
                    + "bootstrap), found " + count);
        }
        return "default-src 'self'; script-src 'self' 'sha256-" + hash + "'; style-src 'self'; "
                + "style-src-attr 'unsafe-hashes' " + ANNOUNCER_STYLE + "; " + COMMON;
    }

    private static String sha256(String text) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
