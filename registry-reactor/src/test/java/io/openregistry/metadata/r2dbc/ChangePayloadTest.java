package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.ChangeFeed;
import io.openregistry.oci.Digest;
import org.junit.jupiter.api.Test;

/** The announcements of migration V7's trigger, read back: the payload splits at its first two colons. */
class ChangePayloadTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void eachKindOfAnnouncement() {
        assertThat(PostgresChangeFeed.parse("tag:library/app:v1.2-rc_1"))
                .isEqualTo(new ChangeFeed.TagChanged("library/app", "v1.2-rc_1"));
        assertThat(PostgresChangeFeed.parse("manifest:a/b/c:" + DIGEST))
                .isEqualTo(new ChangeFeed.ManifestRemoved("a/b/c", Digest.parse(DIGEST)));
        assertThat(PostgresChangeFeed.parse("blob:x:" + DIGEST))
                .isEqualTo(new ChangeFeed.LinkRemoved("x", Digest.parse(DIGEST)));
    }

    @Test
    void anythingElseIsNotOurs() {
        for (String payload : new String[] {null, "", "tag", "tag:repo", "tag:repo:", "manifest:repo:not-a-digest",
                "repository:x:y", "blob:repo:sha256:short"}) {
            assertThat(PostgresChangeFeed.parse(payload)).as(String.valueOf(payload)).isNull();
        }
    }
}
