package io.openregistry.storage.ipfs;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class a real, offline IPFS node (js-ipfs) started by {@code scripts/ipfs-node}. One
 * node serves the whole test run; JUnit stops it at the end (root store, AutoCloseable). When the
 * node cannot start the tests fail, with the script's output: an IPFS test that silently skips
 * proves nothing.
 */
public final class IpfsNodeExtension implements BeforeAllCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(IpfsNodeExtension.class);
    // the first start may install js-ipfs from npm, which takes minutes
    private static final long START_MINUTES = 15;

    private Node node;

    @Override
    public void beforeAll(ExtensionContext context) {
        node = context.getRoot().getStore(NS).getOrComputeIfAbsent("node", key -> Node.start(), Node.class);
    }

    /** The shared node's API URL, starting it if needed: for other extensions that need a node. */
    public static URI sharedApi(ExtensionContext context) {
        return context.getRoot().getStore(NS).getOrComputeIfAbsent("node", key -> Node.start(), Node.class).api;
    }

    /** The node's RPC API base URL, e.g. {@code http://127.0.0.1:41234}. */
    public URI api() {
        return node.api;
    }

    /** The node's HTTP gateway base URL. */
    public URI gateway() {
        return node.gateway;
    }

    /** A running node and how to stop it. */
    static final class Node implements AutoCloseable {
        private final Path script;
        private final Path dir;
        final URI api;
        final URI gateway;

        private Node(Path script, Path dir, URI api, URI gateway) {
            this.script = script;
            this.dir = dir;
            this.api = api;
            this.gateway = gateway;
        }

        static Node start() {
            Path script = repoRoot().resolve("scripts/ipfs-node");
            try {
                Path dir = Files.createTempDirectory("openregistry-ipfs-");
                String out = run(script, "start", dir);
                URI api = URI.create(out.strip().lines().reduce((a, b) -> b).orElseThrow());
                URI gateway = URI.create(Files.readString(dir.resolve("gateway-url")).strip());
                return new Node(script, dir, api, gateway);
            } catch (IOException e) {
                throw new IllegalStateException("could not start an IPFS node with " + script + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            run(script, "stop", dir);
            deleteTree(dir);
        }

        /** Runs the script, returning its stdout; fails with everything it said when it fails. */
        private static String run(Path script, String command, Path dir) throws IOException {
            Path log = Files.createTempFile("ipfs-node-", ".log");
            try {
                Process process = new ProcessBuilder(List.of("bash", script.toString(), command, dir.toString()))
                        .redirectError(log.toFile())
                        .start();
                String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(START_MINUTES, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IOException("scripts/ipfs-node " + command + " did not finish in " + START_MINUTES + " minutes");
                }
                if (process.exitValue() != 0) {
                    throw new IOException("scripts/ipfs-node " + command + " " + dir + " exited with "
                            + process.exitValue() + ":\n" + Files.readString(log) + out);
                }
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running scripts/ipfs-node " + command, e);
            } finally {
                Files.deleteIfExists(log);
            }
        }

        /** Tests run in the module directory (Maven) or the repository root (IDEs); look upwards. */
        private static Path repoRoot() {
            for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve("scripts/ipfs-node"))) {
                    return p;
                }
            }
            throw new IllegalStateException("scripts/ipfs-node not found above " + Path.of("").toAbsolutePath());
        }

        private static void deleteTree(Path root) throws IOException {
            try (var paths = Files.walk(root)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
