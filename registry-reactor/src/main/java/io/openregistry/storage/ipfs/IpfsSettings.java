package io.openregistry.storage.ipfs;

import java.net.URI;
import java.time.Duration;

/**
 * How to reach the IPFS node that holds the blobs.
 *
 * @param api     base URL of the node's Kubo-compatible RPC API, e.g. {@code http://127.0.0.1:5001}
 * @param gateway base URL of an HTTP gateway serving {@code /ipfs/<cid>} that pulls may be
 *                redirected to, or null for none
 * @param pin     whether blobs are pinned when added, so the node's garbage collector keeps them;
 *                turn off only when something else pins (a cluster, a pinning service)
 * @param timeout how long the node may take to answer a call, or stay idle inside a transfer
 */
public record IpfsSettings(URI api, URI gateway, boolean pin, Duration timeout) {

    public IpfsSettings {
        requireHttp("api", api);
        if (gateway != null) {
            requireHttp("gateway", gateway);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("IPFS timeout must be positive, got " + timeout);
        }
    }

    private static void requireHttp(String what, URI uri) {
        if (uri == null) {
            throw new IllegalArgumentException("IPFS " + what + " URL is required");
        }
        String scheme = uri.getScheme();
        if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null) {
            throw new IllegalArgumentException("IPFS " + what + " must be an http(s) URL with a host, got " + uri);
        }
    }
}
