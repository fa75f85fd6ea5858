package io.openregistry.auth;

import io.openregistry.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One reload pass at a time, on real files (the periodic schedule is KeyReloadTest's, on a registry). */
class KeyReloaderTest {
    @TempDir
    Path dir;
    private LogCapture logged;

    @BeforeEach
    void capture() {
        logged = LogCapture.of(KeyReloader.class);
    }

    @AfterEach
    void release() {
        logged.close();
    }

    @Test
    void unchangedFilesChangeNothing() throws Exception {
        KeyReloader reloader = KeyReloader.open(dir);
        long version = reloader.ring().version();
        assertThat(reloader.reload()).isFalse();
        assertThat(reloader.reload()).isFalse();
        assertThat(reloader.ring().version()).isEqualTo(version);
    }

    @Test
    void rotationAndRemovalAreTakenOver() throws Exception {
        KeyReloader reloader = KeyReloader.open(dir);
        String old = reloader.ring().activeKid();
        KeyRing onDisk = KeyRing.load(dir);
        String kid = onDisk.rotate();
        onDisk.save(dir);
        assertThat(reloader.reload()).isTrue();
        assertThat(reloader.ring().activeKid()).isEqualTo(kid);
        assertThat(reloader.ring().kids()).containsExactlyInAnyOrder(old, kid);
        onDisk.remove(old);
        onDisk.save(dir);
        assertThat(reloader.reload()).isTrue();
        assertThat(reloader.ring().kids()).containsExactly(kid);
    }

    /**
     * {@code active} names a key whose private key file is cut short: the previous ring stays,
     * warned about (naming the file) only once the problem has lasted a pass, and only once.
     */
    @Test
    void aHalfWrittenKeyKeepsThePreviousRingAndWarnsOnce() throws Exception {
        KeyReloader reloader = KeyReloader.open(dir);
        KeyRing.Snapshot before = reloader.ring().snapshot();
        KeyRing next = KeyRing.generate();
        Path cut = dir.resolve(next.activeKid() + ".private.pem");
        Files.writeString(cut, "-----BEGIN PRIVATE KEY-----\nMC4CAQAw");
        Files.writeString(dir.resolve("active"), next.activeKid() + "\n");
        assertThat(reloader.reload()).isFalse();
        assertThat(warnings()).isEmpty(); // perhaps mid-change: not yet
        assertThat(reloader.reload()).isFalse();
        assertThat(reloader.reload()).isFalse();
        assertThat(warnings()).singleElement().asString().contains(cut.toString());
        assertThat(reloader.ring().snapshot()).isSameAs(before);

        next.save(dir); // the write completes (as a whole new ring: the old key's files go)
        assertThat(reloader.reload()).isTrue();
        assertThat(reloader.ring().activeKid()).isEqualTo(next.activeKid());
        assertThat(reloader.ring().kids()).containsExactly(next.activeKid());
    }

    @Test
    void aMissingDirectoryKeepsThePreviousRing() throws Exception {
        Path keys = dir.resolve("keys");
        KeyReloader reloader = KeyReloader.open(keys);
        KeyRing.Snapshot before = reloader.ring().snapshot();
        Files.delete(keys.resolve("active"));
        assertThat(reloader.reload()).isFalse();
        assertThat(reloader.reload()).isFalse();
        assertThat(reloader.ring().snapshot()).isSameAs(before);
        assertThat(warnings()).singleElement().asString().contains(keys.resolve("active").toString());
    }

    private List<String> warnings() {
        return logged.at(Level.WARN);
    }
}
