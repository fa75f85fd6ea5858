package io.openregistry.api;

import io.openregistry.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import io.openregistry.auth.AccessClaims;
import io.openregistry.auth.KeyReloader;
import io.openregistry.auth.KeyRing;
import io.openregistry.auth.KeysCommand;
import io.openregistry.auth.TokenSigner;
import io.openregistry.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Signing keys follow {@code auth.keysDir} while the registry runs (issue 12): a rotation, a
 * removal or a Kubernetes Secret update reaches a running registry within the reload period, no
 * restart. Real registry, real key files, {@code auth.keysReloadSeconds} = 1; every wait polls up
 * to a generous bound.
 */
class KeyReloadTest {
    private static final Duration RELOAD = Duration.ofSeconds(1);
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final AuthFixture.Who ADMIN = new AuthFixture.Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
    private static final String REPO = "keys/reload";

    private LogCapture logged;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void captureReloaderLog() {
        logged = LogCapture.of(KeyReloader.class);
    }

    @AfterEach
    void close() throws Exception {
        logged.close();
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** {@code keys rotate} and {@code keys remove} on the registry's own key directory (a shared volume). */
    @Test
    void rotateAndRemoveReachARunningRegistry() throws Exception {
        AuthFixture registry = start(dir -> AuthFixture.auth(dir, true, 100_000, 100_000).withKeysReload(RELOAD));
        Path keysDir = registry.server.dataDir().resolve("keys");
        String oldKid = KeyRing.load(keysDir).activeKid();
        String oldToken = registry.token(ADMIN, "repository:" + REPO + ":pull");
        assertThat(kid(oldToken)).isEqualTo(oldKid);
        assertThat(status(registry, oldToken)).isEqualTo(200);

        assertThat(keys(keysDir, "rotate")).isZero();
        String newKid = KeyRing.load(keysDir).activeKid();
        assertThat(newKid).isNotEqualTo(oldKid);
        // (a) a token of the new key issued elsewhere (another replica sharing the directory)...
        String elsewhere = new TokenSigner(KeyRing.load(keysDir), "openregistry-test-issuer", Clock.systemUTC())
                .issue(AuthFixture.ADMIN, AuthFixture.SERVICE,
                        List.of(new AccessClaims.Access("repository", REPO, List.of("pull"))), Duration.ofMinutes(5))
                .token();
        eventually("the running registry accepts a token of the new key", () -> status(registry, elsewhere) == 200);
        // ... and the registry itself now signs with the key `keys rotate` made active
        eventually("the running registry signs with the new key",
                () -> kid(registry.token(ADMIN, "repository:" + REPO + ":pull")).equals(newKid));
        String newToken = registry.token(ADMIN, "repository:" + REPO + ":pull");
        assertThat(status(registry, newToken)).isEqualTo(200);
        // the retired key keeps verifying the tokens it signed until removed
        assertThat(status(registry, oldToken)).isEqualTo(200);

        // (b) removed: its tokens are refused after the reload, cached as verified or not
        assertThat(keys(keysDir, "remove", oldKid)).isZero();
        eventually("the removed key's token is refused", () -> status(registry, oldToken) == 401);
        HttpResponse<byte[]> refused = registry.call(oldToken, "GET", "/v2/", null);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
        assertThat(status(registry, newToken)).isEqualTo(200);
        assertThat(status(registry, elsewhere)).isEqualTo(200);
        assertThat(warnings()).isEmpty();
    }

    /** (c) Garbage named like a key leaves the keys in use as they were (WARN naming the file), then recovers. */
    @Test
    void aBrokenFileKeepsThePreviousKeys() throws Exception {
        AuthFixture registry = start(dir -> AuthFixture.auth(dir, true, 100_000, 100_000).withKeysReload(RELOAD));
        Path keysDir = registry.server.dataDir().resolve("keys");
        String kid = KeyRing.load(keysDir).activeKid();
        String token = registry.token(ADMIN, "repository:" + REPO + ":pull");
        assertThat(status(registry, token)).isEqualTo(200);

        Path garbage = keysDir.resolve("garbage.public.pem");
        Files.writeString(garbage, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
        eventually("a WARN naming the broken file",
                () -> warnings().stream().anyMatch(m -> m.contains(garbage.toString())));
        // existing keys still verify: a token already used, and one never seen (a full signature check)
        assertThat(status(registry, token)).isEqualTo(200);
        String fresh = registry.token(ADMIN, "repository:" + REPO + ":pull");
        assertThat(kid(fresh)).isEqualTo(kid);
        assertThat(status(registry, fresh)).isEqualTo(200);
        // the broken file changes (now a half-written key): warned about again, previous keys still in use
        Files.writeString(keysDir.resolve("garbage.public.pem"), "-----BEGIN PUBLIC KEY-----\nMCow");
        eventually("a WARN for the changed broken file",
                () -> warnings().stream().filter(m -> m.contains(garbage.toString())).count() >= 2);
        assertThat(status(registry, registry.token(ADMIN, "repository:" + REPO + ":pull"))).isEqualTo(200);

        // once the file is gone, reloads work again: a rotation is picked up
        Files.delete(garbage);
        assertThat(keys(keysDir, "rotate")).isZero();
        String newKid = KeyRing.load(keysDir).activeKid();
        eventually("the rotation after the repair is picked up",
                () -> kid(registry.token(ADMIN, "repository:" + REPO + ":pull")).equals(newKid));
        assertThat(status(registry, token)).isEqualTo(200);
        // one WARN per distinct problem, not one per reload
        assertThat(warnings()).hasSize(2);
    }

    /**
     * A Kubernetes Secret mounted as a directory: entries are symlinks through {@code ..data}, which
     * the kubelet swaps atomically to a new timestamped directory, then adds the new entries' links
     * and drops the old ones. Rotation and removal done by the operator on a copy and published as
     * Secret updates reach the running registry.
     */
    @Test
    void aSecretVolumeUpdateIsPickedUp() throws Exception {
        Path work = Files.createTempDirectory("openregistry-keys-work");
        open.add(() -> RegistryServer.deleteTree(work));
        Path ring = work.resolve("ring");
        Path secret = work.resolve("secret");
        KeyRing.generate().save(ring);
        String oldKid = KeyRing.load(ring).activeKid();
        publish(ring, secret, 1);
        AuthFixture registry = start(dir -> withKeysDir(AuthFixture.auth(dir, true, 100_000, 100_000), secret)
                .withKeysReload(RELOAD));
        String oldToken = registry.token(ADMIN, "repository:" + REPO + ":pull");
        assertThat(kid(oldToken)).isEqualTo(oldKid);
        assertThat(status(registry, oldToken)).isEqualTo(200);

        assertThat(keys(ring, "rotate")).isZero();
        String newKid = KeyRing.load(ring).activeKid();
        publish(ring, secret, 2);
        eventually("the registry signs with the key of the updated Secret",
                () -> kid(registry.token(ADMIN, "repository:" + REPO + ":pull")).equals(newKid));
        String newToken = registry.token(ADMIN, "repository:" + REPO + ":pull");
        assertThat(status(registry, newToken)).isEqualTo(200);
        assertThat(status(registry, oldToken)).isEqualTo(200);

        assertThat(keys(ring, "remove", oldKid)).isZero();
        publish(ring, secret, 3);
        eventually("the key dropped from the Secret stops verifying", () -> status(registry, oldToken) == 401);
        assertThat(status(registry, newToken)).isEqualTo(200);
        assertThat(warnings()).isEmpty();
    }

    private AuthFixture start(java.util.function.Function<Path, Config.Auth> auth) {
        AuthFixture fixture = AuthFixture.start(RegistryServer.Backend.H2, auth);
        open.add(fixture);
        return fixture;
    }

    /** {@code GET /v2/}: 200 for any valid token, 401 otherwise. */
    private static int status(AuthFixture registry, String token) {
        return registry.call(token, "GET", "/v2/", null).statusCode();
    }

    private static int keys(Path keysDir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return KeysCommand.run(args, keysDir, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    /** The key id in a v4.public token's footer. */
    private static String kid(String token) {
        String[] parts = token.split("\\.");
        assertThat(parts).hasSize(4);
        JsonNode footer;
        try {
            footer = Oci.JSON.readTree(Base64.getUrlDecoder().decode(parts[3]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return footer.path("kid").asText();
    }

    private List<String> warnings() {
        return logged.at(Level.WARN);
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("within %s: %s", PATIENCE, what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static Config.Auth withKeysDir(Config.Auth a, Path keysDir) {
        return new Config.Auth(a.enabled(), a.service(), a.issuer(), a.realm(), a.tokenTtl(), keysDir,
                a.adminUsername(), a.adminPassword(), a.signup(), a.publicByDefault(), a.sessionTtl(),
                a.requestsPerMinute(), a.failuresPerMinute(), a.accountFailuresPerMinute(), a.signupsPerHour(),
                a.hashingConcurrency(), a.hashingQueueDeadline(), a.keysReload());
    }

    /**
     * Publishes the files of {@code ring} into {@code secret} the way the kubelet updates a Secret
     * volume (AtomicWriter): a new timestamped directory, an atomic rename of the {@code ..data}
     * link onto it, links for new entries, removal of entries no longer there, then of the old
     * directory.
     */
    private static void publish(Path ring, Path secret, int generation) throws IOException {
        Files.createDirectories(secret);
        Path stamp = secret.resolve("..2026_11_29_00_00_0" + generation + ".000000" + generation);
        Files.createDirectory(stamp);
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(ring)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                if (!name.startsWith(".")) {
                    Files.copy(file, stamp.resolve(name));
                    names.add(name);
                }
            }
        }
        Path data = secret.resolve("..data");
        Path previous = Files.isSymbolicLink(data) ? secret.resolve(Files.readSymbolicLink(data)) : null;
        Path temporary = secret.resolve("..data_tmp");
        Files.createSymbolicLink(temporary, stamp.getFileName());
        Files.move(temporary, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        for (String name : names) {
            if (!Files.isSymbolicLink(secret.resolve(name))) {
                Files.createSymbolicLink(secret.resolve(name), Path.of("..data", name));
            }
        }
        try (Stream<Path> entries = Files.list(secret)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (!name.startsWith("..") && !names.contains(name)) {
                    Files.delete(entry);
                }
            }
        }
        if (previous != null) {
            RegistryServer.deleteTree(previous);
        }
    }
}
