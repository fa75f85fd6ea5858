package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysCommandTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int keys(String... args) {
        out.reset();
        err.reset();
        return KeysCommand.run(args, dir.resolve("keys"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void rotateListAndRemove() throws Exception {
        KeyRing first = KeyRing.loadOrGenerate(dir.resolve("keys"));
        String old = first.activeKid();
        assertThat(keys("rotate")).isZero();
        KeyRing rotated = KeyRing.load(dir.resolve("keys"));
        assertThat(rotated.activeKid()).isNotEqualTo(old);
        assertThat(rotated.kids()).contains(old, rotated.activeKid());
        assertThat(keys("list")).isZero();
        assertThat(out.toString()).contains(old + "\n", rotated.activeKid() + "  (active)");
        assertThat(keys("remove", rotated.activeKid())).isEqualTo(2);
        assertThat(err.toString()).contains("rotate first");
        assertThat(keys("remove", old)).isZero();
        assertThat(KeyRing.load(dir.resolve("keys")).kids()).containsExactly(rotated.activeKid());
        assertThat(keys("remove", "nosuchkey")).isEqualTo(2);
        assertThat(keys("explode")).isEqualTo(2);
        assertThat(keys()).isEqualTo(2);
    }

    @Test
    void listWithoutKeysSaysWhere() {
        assertThat(keys("list")).isEqualTo(2);
        assertThat(err.toString()).contains(dir.resolve("keys").toString());
    }
}
