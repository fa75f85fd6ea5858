package io.openregistry.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The Org mode contract on a real PostgreSQL server, one per class, a fresh database per test. */
class PostgresOrgStoreTest extends OrgStoreContract {
    private static PostgresSupport postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresSupport.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected Config.Database newDatabase() {
        return postgres.newDatabase(POOL_SIZE);
    }

    /**
     * Pushes racing the deletion of their repository end whole on one side of it: the deletion
     * locks the repository's row, which every insert of a manifest or blob link waits for (its
     * foreign key), so a push lands before (and goes with the repository) or after (in a
     * repository created afresh), and never leaves a manifest, tag or link without its repository.
     * (H2 takes no lock on a parent row for a child's insert, so there the race stays open: see
     * RepositoryRemoval.)
     */
    @Test
    void pushesRacingTheDeletionOfTheirRepositoryLandWholeBeforeOrAfter() {
        BlobRecord layer = new BlobRecord(Digest.sha256("layer".getBytes(StandardCharsets.UTF_8)), 5, "fs", "loc/layer");
        for (int round = 0; round < 8; round++) {
            String repo = "acme/app";
            byte[] old = ("{\"old\":" + round + "}").getBytes(StandardCharsets.UTF_8);
            await(meta.blobs().commit(repo, layer, null, null));
            await(meta.manifests().put(new ManifestRecord(repo, Digest.sha256(old), "application/json", old, null, null, null),
                    "old", ManifestReferences.NONE));
            byte[] plain = ("{\"plain\":" + round + "}").getBytes(StandardCharsets.UTF_8);
            byte[] image = ("{\"image\":" + round + "}").getBytes(StandardCharsets.UTF_8);
            Mono<String> delete = orgs.deleteRepositories("acme", "root").map(n -> "deleted " + n);
            Mono<String> putPlain = meta.manifests().put(new ManifestRecord(repo, Digest.sha256(plain), "application/json",
                    plain, null, null, null), "plain", ManifestReferences.NONE).thenReturn("plain");
            Mono<String> putImage = meta.manifests().put(new ManifestRecord(repo, Digest.sha256(image), "application/json",
                            image, null, null, null), "image",
                            new ManifestReferences(null, List.of(layer.digest()), List.of(), List.of()))
                    .thenReturn("image")
                    .onErrorResume(MissingReferenceException.class, e -> Mono.just("image refused"));
            Mono<String> commit = meta.blobs().commit(repo, layer, null, null).thenReturn("commit");
            List<String> outcomes = Mono.zip(List.of(delete.subscribeOn(Schedulers.parallel()),
                    putPlain.subscribeOn(Schedulers.parallel()), putImage.subscribeOn(Schedulers.parallel()),
                    commit.subscribeOn(Schedulers.parallel())), results -> List.of((String) results[0],
                    (String) results[1], (String) results[2], (String) results[3])).block(java.time.Duration.ofSeconds(60));
            assertThat(outcomes.get(0)).isEqualTo("deleted 1");
            boolean exists = await(meta.repositories().exists(repo));
            List<String> tags = exists ? await(meta.manifests().tags(repo, null, 10)).items() : List.of();
            assertThat(tags).doesNotContain("old");
            for (String tag : List.of("old", "plain", "image")) {
                if (await(meta.manifests().getByTag(repo, tag)) != null) {
                    assertThat(exists).as("round %d: tag %s without its repository (%s)", round, tag, outcomes).isTrue();
                    assertThat(tags).contains(tag);
                }
            }
            if (await(meta.blobs().findLinked(repo, layer.digest())) != null) {
                assertThat(exists).as("round %d: a link without its repository (%s)", round, outcomes).isTrue();
            }
            await(orgs.deleteRepositories("acme", "root"));
        }
    }
}
