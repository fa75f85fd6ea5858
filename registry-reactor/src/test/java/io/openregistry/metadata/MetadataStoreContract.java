package io.openregistry.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockHound;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The contract of the four metadata stores, run against every database. Each test gets a fresh
 * database. Every call is subscribed from a non-blocking thread with BlockHound installed, so a
 * driver that blocks where the server's event loops would call it fails here.
 */
public abstract class MetadataStoreContract {
    protected static final int POOL_SIZE = 8;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Config.Database config;
    protected R2dbcMetadata meta;

    /** A fresh, empty database (the same one if called again within a test is not required). */
    protected abstract Config.Database newDatabase() throws Exception;

    @BeforeAll
    static void installBlockHound() {
        BlockHound.install();
    }

    @BeforeEach
    void open() throws Exception {
        config = newDatabase();
        meta = R2dbcMetadata.open(config);
    }

    @AfterEach
    void close() {
        meta.close();
    }

    protected static <T> T await(Mono<T> mono) {
        return mono.subscribeOn(Schedulers.parallel()).block(TIMEOUT);
    }

    protected static <T> List<T> awaitAll(Flux<T> flux) {
        return flux.collectList().subscribeOn(Schedulers.parallel()).block(TIMEOUT);
    }

    protected static Digest digest(String seed) {
        return Digest.sha256(seed.getBytes(StandardCharsets.UTF_8));
    }

    private static BlobRecord blob(String seed, String location) {
        return new BlobRecord(digest(seed), seed.length(), "fs", location);
    }

    private static ManifestRecord manifest(String repo, String body, Digest subject, String artifactType) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        return new ManifestRecord(repo, Digest.sha256(content), "application/vnd.oci.image.manifest.v1+json",
                content, subject, artifactType, subject == null ? null : "{\"k\":\"" + body + "\"}");
    }

    // ---- blobs ----

    @Test
    void commitRecordsLinksAndCreatesTheRepository() {
        BlobRecord b = blob("layer", "sha256/ab/cd");
        assertThat(await(meta.blobs().commit("library/app", b, null, null))).isEqualTo(b);
        assertThat(await(meta.blobs().find(b.digest()))).isEqualTo(b);
        assertThat(await(meta.blobs().findLinked("library/app", b.digest()))).isEqualTo(b);
        assertThat(await(meta.blobs().findLinked("other", b.digest()))).isNull();
        assertThat(await(meta.blobs().find(digest("unknown")))).isNull();
        assertThat(await(meta.repositories().exists("library/app"))).isTrue();
        assertThat(await(meta.repositories().exists("other"))).isFalse();
    }

    @Test
    void commitKeepsTheFirstRecordAndDeletesTheUpload() {
        BlobRecord first = blob("layer", "first");
        await(meta.blobs().commit("a", first, null, null));
        await(meta.uploads().create("u1", "b"));
        BlobRecord stored = await(meta.blobs().commit("b", blob("layer", "second"), "u1", null));
        assertThat(stored).isEqualTo(first);
        assertThat(await(meta.blobs().findLinked("b", first.digest()))).isEqualTo(first);
        assertThat(await(meta.uploads().find("u1"))).isNull();
    }

    @Test
    void concurrentCommitsOfOneBlobAgree() {
        // With the repository in place the racers collide on the blob row itself.
        await(meta.blobs().commit("race", blob("first", "l"), null, null));
        List<BlobRecord> results = awaitAll(Flux.range(0, 20).flatMap(i -> meta.blobs()
                .commit("race", blob("same", "loc-" + i), null, null).subscribeOn(Schedulers.parallel()), 20));
        assertThat(results).hasSize(20);
        assertThat(results).allMatch(r -> r.equals(results.get(0)));
        assertThat(await(meta.blobs().findLinked("race", digest("same")))).isEqualTo(results.get(0));
    }

    @Test
    void mountOnlyFromARepositoryTheBlobIsLinkedTo() {
        BlobRecord b = blob("shared", "loc");
        await(meta.blobs().commit("src", b, null, null));
        await(meta.blobs().commit("elsewhere", blob("other", "loc2"), null, null));
        assertThat(await(meta.blobs().mount("dst", b.digest(), "elsewhere"))).isNull();
        assertThat(await(meta.blobs().mount("dst", b.digest(), "nowhere"))).isNull();
        assertThat(await(meta.repositories().exists("dst"))).isFalse();
        assertThat(await(meta.blobs().mount("dst", b.digest(), "src"))).isEqualTo(b);
        assertThat(await(meta.blobs().mount("dst", b.digest(), "src"))).isEqualTo(b);
        assertThat(await(meta.blobs().findLinked("dst", b.digest()))).isEqualTo(b);
    }

    @Test
    void unlinkRemovesOnlyTheLink() {
        BlobRecord b = blob("x", "loc");
        await(meta.blobs().commit("r", b, null, null));
        assertThat(await(meta.blobs().unlink("r", b.digest()))).isTrue();
        assertThat(await(meta.blobs().unlink("r", b.digest()))).isFalse();
        assertThat(await(meta.blobs().findLinked("r", b.digest()))).isNull();
        assertThat(await(meta.blobs().find(b.digest()))).isEqualTo(b);
    }

    @Test
    void theLastUnlinkOrphansABlobAndALinkRevivesIt() throws InterruptedException {
        BlobRecord b = blob("orphan", "loc-o");
        await(meta.blobs().commit("r1", b, null, null));
        await(meta.blobs().commit("r2", b, null, null));
        java.time.Instant later = java.time.Instant.now().plusSeconds(60);
        assertThat(await(meta.blobs().unlink("r1", b.digest()))).isTrue();
        assertThat(awaitAll(meta.blobs().orphanedBefore(later, 10))).isEmpty();
        assertThat(await(meta.blobs().unlink("r2", b.digest()))).isTrue();
        assertThat(awaitAll(meta.blobs().orphanedBefore(later, 10))).containsExactly(b);
        assertThat(awaitAll(meta.blobs().orphanedBefore(java.time.Instant.now().minusSeconds(60), 10))).isEmpty();
        assertThat(await(meta.blobs().forget(b.digest(), java.time.Instant.now().minusSeconds(60)))).isFalse();
        // a mount cannot revive it (no repository has it), a commit can
        assertThat(await(meta.blobs().mount("r3", b.digest(), "r2"))).isNull();
        await(meta.blobs().commit("r3", b, null, null));
        assertThat(awaitAll(meta.blobs().orphanedBefore(later, 10))).isEmpty();
        assertThat(await(meta.blobs().forget(b.digest(), later))).isFalse();
        assertThat(await(meta.blobs().unlink("r3", b.digest()))).isTrue();
        Thread.sleep(5);
        assertThat(await(meta.blobs().forget(b.digest(), java.time.Instant.now()))).isTrue();
        // marked deleting: not found any more, and a commit of it would have to wait
        assertThat(await(meta.blobs().find(b.digest()))).isNull();
        assertThat(await(meta.blobs().intend(b.digest(), "c1", Duration.ofMinutes(1)))).isFalse();
        await(meta.blobs().dropIntent(b.digest(), "c1"));
        assertThat(await(meta.blobs().forget(b.digest(), java.time.Instant.now()))).as("still marked").isTrue();
        await(meta.blobs().forgotten(b.digest()));
        assertThat(await(meta.blobs().intend(b.digest(), "c2", Duration.ofMinutes(1)))).isTrue();
        await(meta.blobs().dropIntent(b.digest(), "c2"));
        // and once forgotten it can be committed anew
        await(meta.blobs().commit("r4", b, null, null));
        assertThat(await(meta.blobs().findLinked("r4", b.digest()))).isEqualTo(b);
    }

    @Test
    void aLiveCommitIntentKeepsTheCollectorOff() throws Exception {
        BlobRecord b = blob("intended", "loc");
        await(meta.blobs().commit("r", b, null, null));
        assertThat(await(meta.blobs().unlink("r", b.digest()))).isTrue();
        Thread.sleep(5);
        assertThat(await(meta.blobs().intend(b.digest(), "h1", Duration.ofMinutes(1)))).isTrue();
        assertThat(await(meta.blobs().forget(b.digest(), java.time.Instant.now()))).as("an intent lives").isFalse();
        assertThat(await(meta.blobs().find(b.digest()))).isEqualTo(b);
        await(meta.blobs().dropIntent(b.digest(), "h1"));
        // an expired intent counts for nothing, and is swept
        assertThat(await(meta.blobs().intend(b.digest(), "h2", Duration.ofMillis(1)))).isTrue();
        Thread.sleep(20);
        assertThat(await(meta.blobs().forget(b.digest(), java.time.Instant.now()))).isTrue();
        assertThat(await(meta.blobs().dropExpiredIntents())).isEqualTo(1);
        assertThat(await(meta.blobs().dropExpiredIntents())).isZero();
        // a commit can never link a record being deleted
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> await(meta.blobs().commit("r", b, null, null)))
                .hasMessageContaining("being deleted");
        await(meta.blobs().forgotten(b.digest()));
        assertThat(await(meta.blobs().commit("r", b, null, null))).isEqualTo(b);
    }

    @Test
    void aCommitRemovesItsOwnIntentAndNoOther() throws Exception {
        BlobRecord b = blob("own-intent", "loc");
        assertThat(await(meta.blobs().intend(b.digest(), "mine", Duration.ofMinutes(1)))).isTrue();
        assertThat(await(meta.blobs().intend(b.digest(), "theirs", Duration.ofMinutes(1)))).isTrue();
        await(meta.uploads().create("own-intent-upload", "r"));
        assertThat(await(meta.blobs().commit("r", b, "own-intent-upload", "mine"))).isEqualTo(b);
        assertThat(await(meta.uploads().find("own-intent-upload"))).as("the session went with the commit").isNull();
        assertThat(await(meta.blobs().unlink("r", b.digest()))).isTrue();
        Thread.sleep(5);
        assertThat(await(meta.blobs().forget(b.digest(), java.time.Instant.now())))
                .as("the other commit's intent lives on").isFalse();
        await(meta.blobs().dropIntent(b.digest(), "theirs"));
        assertThat(await(meta.blobs().forget(b.digest(), java.time.Instant.now())))
                .as("no intent left: the commit removed its own").isTrue();
    }

    @Test
    void uploadLeasesExcludeAndFence() throws Exception {
        await(meta.uploads().create("u", "r"));
        Duration ttl = Duration.ofMinutes(1);
        assertThat(await(meta.uploads().claim("u", "other-repo", "a", ttl))).as("wrong repository").isNull();
        assertThat(await(meta.uploads().claim("none", "r", "a", ttl))).as("no session").isNull();
        assertThat(await(meta.uploads().claim("u", "r", "a", ttl))).isEqualTo(await(meta.uploads().find("u")));
        assertThat(await(meta.uploads().claim("u", "r", "b", ttl))).as("held by a").isNull();
        assertThat(await(meta.uploads().claim("u", "r", "a", ttl))).as("held, even by a").isNull();
        assertThat(await(meta.uploads().renew("u", "a", ttl))).isTrue();
        assertThat(await(meta.uploads().renew("u", "b", ttl))).isFalse();
        assertThat(await(meta.uploads().advanceAndRelease("u", 0, 10, null, "b"))).as("b holds no lease").isFalse();
        assertThat(await(meta.uploads().advanceAndRelease("u", 0, 10, new byte[] {1}, "a"))).isTrue();
        assertThat(await(meta.uploads().find("u")).offset()).isEqualTo(10);
        assertThat(await(meta.uploads().claim("u", "r", "a", ttl))).as("released by the advance").isNotNull();
        await(meta.uploads().release("u", "b"));
        assertThat(await(meta.uploads().claim("u", "r", "b", ttl))).as("b's release freed nothing").isNull();
        await(meta.uploads().release("u", "a"));
        assertThat(await(meta.uploads().advanceAndRelease("u", 10, 20, null, "a"))).as("released").isFalse();

        // an expired lease is taken over, and its holder can neither renew nor record any more
        assertThat(await(meta.uploads().claim("u", "r", "b", Duration.ofMillis(1)))).extracting(UploadRecord::offset)
                .isEqualTo(10L);
        Thread.sleep(20);
        assertThat(await(meta.uploads().renew("u", "b", ttl))).as("expired").isFalse();
        assertThat(await(meta.uploads().claim("u", "r", "c", ttl))).isNotNull();
        assertThat(await(meta.uploads().advanceAndRelease("u", 10, 20, null, "b"))).isFalse();
        assertThat(await(meta.uploads().delete("u", "b"))).isFalse();
        assertThat(await(meta.uploads().delete("u", "c"))).isTrue();
        assertThat(await(meta.uploads().find("u"))).isNull();
    }

    @Test
    void anAdvanceCanGiveUpTheLeaseInTheSameStatement() {
        await(meta.uploads().create("u", "r"));
        Duration ttl = Duration.ofMinutes(1);
        assertThat(await(meta.uploads().claim("u", "r", "a", ttl))).isNotNull();
        assertThat(await(meta.uploads().advanceAndRelease("u", 0, 10, null, "b"))).as("b holds no lease").isFalse();
        assertThat(await(meta.uploads().advanceAndRelease("u", 5, 10, null, "a"))).as("not at offset 5").isFalse();
        assertThat(await(meta.uploads().claim("u", "r", "b", ttl))).as("a failed advance keeps the lease").isNull();
        assertThat(await(meta.uploads().advanceAndRelease("u", 0, 10, new byte[] {7}, "a"))).isTrue();
        assertThat(await(meta.uploads().find("u")).offset()).isEqualTo(10);
        assertThat(await(meta.uploads().hashState("u", 10))).containsExactly(7);
        assertThat(await(meta.uploads().advanceAndRelease("u", 10, 20, null, "a"))).as("released").isFalse();
        assertThat(await(meta.uploads().claim("u", "r", "b", ttl))).as("free at once").isNotNull();
    }

    @Test
    void aJobLeaseHasOneHolderUntilItExpires() throws Exception {
        Duration ttl = Duration.ofMinutes(1);
        assertThat(await(meta.jobs().acquire("sweep", "a", ttl))).isTrue();
        assertThat(await(meta.jobs().acquire("sweep", "b", ttl))).isFalse();
        assertThat(await(meta.jobs().acquire("sweep", "a", ttl))).as("the holder extends it").isTrue();
        assertThat(await(meta.jobs().acquire("other", "b", ttl))).as("another job").isTrue();
        assertThat(await(meta.jobs().acquire("sweep", "a", Duration.ofMillis(1)))).isTrue();
        Thread.sleep(20);
        assertThat(await(meta.jobs().acquire("sweep", "b", ttl))).as("expired").isTrue();
        assertThat(await(meta.jobs().acquire("sweep", "a", ttl))).isFalse();
        await(meta.jobs().release("sweep", "a"));
        assertThat(await(meta.jobs().acquire("sweep", "a", ttl))).as("a released nothing of b's").isFalse();
        await(meta.jobs().release("sweep", "b"));
        assertThat(await(meta.jobs().acquire("sweep", "a", ttl))).as("released").isTrue();
        // first takes racing on a new job: exactly one wins
        List<Boolean> won = awaitAll(Flux.range(0, 8)
                .flatMap(i -> meta.jobs().acquire("new", "h" + i, ttl).subscribeOn(Schedulers.parallel()), 8));
        assertThat(won).containsOnlyOnce(true);
    }

    @Test
    void linkedFiltersManyDigests() {
        List<Digest> asked = new ArrayList<>();
        for (int i = 0; i < 450; i++) {
            asked.add(digest("d" + i));
            if (i % 100 == 7) {
                await(meta.blobs().commit("r", blob("d" + i, "l"), null, null));
            }
        }
        await(meta.blobs().commit("other", blob("d8", "l"), null, null));
        assertThat(awaitAll(meta.blobs().linked("r", asked)))
                .containsExactlyInAnyOrder(digest("d7"), digest("d107"), digest("d207"), digest("d307"),
                        digest("d407"));
        assertThat(awaitAll(meta.blobs().linked("r", List.of()))).isEmpty();
    }

    // ---- manifests and tags ----

    @Test
    void putStoresBytesAndIndexesAndTags() {
        byte[] big = new byte[300_000];
        new Random(1).nextBytes(big);
        ManifestRecord m = new ManifestRecord("r", Digest.sha256(big), "application/vnd.oci.image.index.v1+json",
                big, digest("subject"), "application/x.sig", "{\"a\":\"" + "x".repeat(20_000) + "\"}");
        await(meta.manifests().put(m, "v1"));
        await(meta.manifests().put(m, "v1"));
        assertManifest(await(meta.manifests().get("r", m.digest())), m);
        assertManifest(await(meta.manifests().getByTag("r", "v1")), m);
        assertThat(await(meta.manifests().get("other", m.digest()))).isNull();
        assertThat(await(meta.manifests().getByTag("r", "v2"))).isNull();
        assertThat(await(meta.repositories().exists("r"))).isTrue();

        ManifestRecord plain = manifest("r", "plain", null, null);
        await(meta.manifests().put(plain, null));
        assertManifest(await(meta.manifests().get("r", plain.digest())), plain);
    }

    @Test
    void aTagMovesToTheLastPut() {
        ManifestRecord one = manifest("r", "one", null, null);
        ManifestRecord two = manifest("r", "two", null, null);
        await(meta.manifests().put(one, "latest"));
        await(meta.manifests().put(two, "latest"));
        assertThat(await(meta.manifests().getByTag("r", "latest")).digest()).isEqualTo(two.digest());
        assertThat(await(meta.manifests().get("r", one.digest()))).isNotNull();
    }

    @Test
    void concurrentTagMovesLeaveTheTagOnOneOfThem() {
        // 20 puts racing on one new tag in a new repository…
        List<ManifestRecord> all = IntStream.range(0, 20).mapToObj(i -> manifest("r", "m" + i, null, null)).toList();
        awaitAll(Flux.fromIterable(all)
                .flatMap(m -> meta.manifests().put(m, "latest").subscribeOn(Schedulers.parallel()), 20));
        assertThat(all).extracting(ManifestRecord::digest)
                .contains(await(meta.manifests().getByTag("r", "latest")).digest());
        assertThat(awaitAll(meta.manifests().existing("r", all.stream().map(ManifestRecord::digest).toList())))
                .hasSize(20);
        // …then 20 more moving the existing tag, half of them to manifests already stored.
        List<ManifestRecord> again = IntStream.range(10, 30).mapToObj(i -> manifest("r", "m" + i, null, null)).toList();
        awaitAll(Flux.fromIterable(again)
                .flatMap(m -> meta.manifests().put(m, "latest").subscribeOn(Schedulers.parallel()), 20));
        assertThat(again).extracting(ManifestRecord::digest)
                .contains(await(meta.manifests().getByTag("r", "latest")).digest());
        assertThat(await(meta.manifests().tags("r", null, 10))).isEqualTo(new Page(List.of("latest"), false));
    }

    @Test
    void deleteTagKeepsTheManifest() {
        ManifestRecord m = manifest("r", "m", null, null);
        await(meta.manifests().put(m, "t"));
        assertThat(await(meta.manifests().deleteTag("r", "t"))).isTrue();
        assertThat(await(meta.manifests().deleteTag("r", "t"))).isFalse();
        assertThat(await(meta.manifests().getByTag("r", "t"))).isNull();
        assertThat(await(meta.manifests().get("r", m.digest()))).isNotNull();
    }

    @Test
    void deleteByDigestRemovesItsTags() {
        ManifestRecord m = manifest("r", "m", null, null);
        ManifestRecord keep = manifest("r", "keep", null, null);
        await(meta.manifests().put(m, "a"));
        await(meta.manifests().put(m, "b"));
        await(meta.manifests().put(keep, "c"));
        assertThat(await(meta.manifests().delete("r", m.digest()))).isTrue();
        assertThat(await(meta.manifests().delete("r", m.digest()))).isFalse();
        assertThat(await(meta.manifests().get("r", m.digest()))).isNull();
        assertThat(await(meta.manifests().getByTag("r", "a"))).isNull();
        assertThat(await(meta.manifests().tags("r", null, 10))).isEqualTo(new Page(List.of("c"), false));
        assertThat(await(meta.manifests().delete("r", keep.digest()))).isTrue();
        assertThat(await(meta.manifests().tags("r", null, 10))).isEqualTo(new Page(List.of(), false));
    }

    @Test
    void existingFiltersByRepository() {
        ManifestRecord m = manifest("r", "m", null, null);
        await(meta.manifests().put(m, null));
        await(meta.manifests().put(manifest("other", "o", null, null), null));
        assertThat(awaitAll(meta.manifests().existing("r", List.of(m.digest(), digest("o"), digest("none")))))
                .containsExactly(m.digest());
        assertThat(awaitAll(meta.manifests().existing("r", List.of()))).isEmpty();
    }

    @Test
    void tagsArePagedInByteOrder() {
        List<String> names = List.of("b", "a", "B", "A", "1", "a-b", "a.b", "a_b", "Z9", "latest");
        ManifestRecord m = manifest("r", "m", null, null);
        for (String name : names) {
            await(meta.manifests().put(m, name));
        }
        // String order equals byte order for these ASCII names: "1" < "A" < "B" < "Z9" < "a" < "a-b" …
        List<String> sorted = names.stream().sorted().toList();
        assertThat(sorted.subList(0, 4)).containsExactly("1", "A", "B", "Z9");
        assertThat(await(meta.manifests().tags("r", null, 100))).isEqualTo(new Page(sorted, false));
        assertThat(await(meta.manifests().tags("r", null, 3))).isEqualTo(new Page(sorted.subList(0, 3), true));
        assertThat(await(meta.manifests().tags("r", "B", 3))).isEqualTo(new Page(List.of("Z9", "a", "a-b"), true));
        assertThat(await(meta.manifests().tags("r", "a.b", 3)))
                .isEqualTo(new Page(List.of("a_b", "b", "latest"), false));
        assertThat(await(meta.manifests().tags("r", "latest", 3))).isEqualTo(new Page(List.of(), false));
        assertThat(await(meta.manifests().tags("r", "Aa", 1))).isEqualTo(new Page(List.of("B"), true));
        assertThat(await(meta.manifests().tags("r", null, 0))).isEqualTo(new Page(List.of(), true));
        assertThat(await(meta.manifests().tags("r", "a_b", Integer.MAX_VALUE)))
                .isEqualTo(new Page(List.of("b", "latest"), false));
        assertThat(await(meta.manifests().tags("unknown", null, 10))).isNull();
    }

    @Test
    void referrersFilterBySubjectRepositoryAndArtifactType() {
        Digest subject = digest("image");
        ManifestRecord sig = manifest("r", "sig", subject, "application/x.sig");
        ManifestRecord sbom = manifest("r", "sbom", subject, "application/x.sbom");
        await(meta.manifests().put(sig, null));
        await(meta.manifests().put(sbom, null));
        await(meta.manifests().put(manifest("r", "unrelated", digest("else"), "application/x.sig"), null));
        await(meta.manifests().put(manifest("other", "sig2", subject, "application/x.sig"), null));

        assertThat(awaitAll(meta.manifests().referrers("r", subject, null)))
                .extracting(ManifestRecord::digest).containsExactlyInAnyOrder(sig.digest(), sbom.digest());
        List<ManifestRecord> sigs = awaitAll(meta.manifests().referrers("r", subject, "application/x.sig"));
        assertThat(sigs).hasSize(1);
        assertManifest(sigs.get(0), sig);
        assertThat(awaitAll(meta.manifests().referrers("r", subject, "application/none"))).isEmpty();
        assertThat(awaitAll(meta.manifests().referrers("r", digest("nothing"), null))).isEmpty();
    }

    // ---- the content graph ----

    private static ManifestReferences image(Digest config, Digest... layers) {
        return new ManifestReferences(config, List.of(layers), List.of(), List.of());
    }

    private boolean orphaned(Digest blob) {
        return awaitAll(meta.blobs().orphanedBefore(java.time.Instant.now().plusSeconds(3600), 1000)).stream()
                .anyMatch(b -> b.digest().equals(blob));
    }

    private static Class<MissingReferenceException> missing() {
        return MissingReferenceException.class;
    }

    @Test
    void edgesAreWrittenWithTheManifestAndRemovedWithIt() {
        BlobRecord config = blob("cfg", "l-c");
        BlobRecord layer = blob("layer-1", "l-1");
        await(meta.blobs().commit("g", config, null, null));
        await(meta.blobs().commit("g", layer, null, null));
        Digest foreign = digest("foreign-layer");
        Digest subject = digest("some-subject");
        ManifestRecord m = manifest("g", "img", subject, "application/x.sig");
        await(meta.manifests().put(m, "v1", new ManifestReferences(config.digest(),
                // a layer named twice (and as the config too) is recorded once per kind
                List.of(layer.digest(), layer.digest(), config.digest()), List.of(foreign), List.of())));
        assertThat(awaitAll(meta.manifests().edges("g", m.digest()))).containsExactlyInAnyOrder(
                new ManifestEdge(ManifestEdge.Kind.CONFIG, config.digest()),
                new ManifestEdge(ManifestEdge.Kind.LAYER, layer.digest()),
                new ManifestEdge(ManifestEdge.Kind.LAYER, config.digest()),
                new ManifestEdge(ManifestEdge.Kind.LAYER, foreign),
                new ManifestEdge(ManifestEdge.Kind.SUBJECT, subject));
        assertThat(await(meta.manifests().blobReferenced(config.digest()))).isTrue();
        assertThat(await(meta.manifests().blobReferenced(layer.digest()))).isTrue();
        assertThat(await(meta.manifests().blobReferenced(foreign))).as("named, though not required").isTrue();
        assertThat(await(meta.manifests().blobReferenced(subject))).as("a subject is not a blob").isFalse();
        // a put of the stored manifest again changes nothing
        await(meta.manifests().put(m, "v2", image(config.digest(), layer.digest())));
        assertThat(awaitAll(meta.manifests().edges("g", m.digest()))).hasSize(5);

        assertThat(await(meta.manifests().delete("g", m.digest()))).isTrue();
        assertThat(awaitAll(meta.manifests().edges("g", m.digest()))).isEmpty();
        assertThat(await(meta.manifests().blobReferenced(layer.digest()))).isFalse();
        assertThat(await(meta.manifests().blobReferenced(foreign))).isFalse();
        // still linked: not orphaned by the delete
        assertThat(orphaned(layer.digest())).isFalse();
    }

    @Test
    void aPutMissingABlobOrAChildWritesNothing() {
        BlobRecord config = blob("cfg-m", "l");
        await(meta.blobs().commit("m", config, null, null));
        await(meta.blobs().commit("elsewhere", blob("only-elsewhere", "l"), null, null));
        Digest absent1 = digest("absent-1");
        Digest absent2 = digest("absent-2");
        Digest smaller = java.util.stream.Stream.of(absent1, absent2, digest("only-elsewhere"))
                .min(java.util.Comparator.comparing(Digest::toString)).orElseThrow();
        ManifestRecord m = manifest("m", "img", null, null);
        MissingReferenceException e = catchMissing(() -> await(meta.manifests().put(m, "t",
                image(config.digest(), absent1, absent2, digest("only-elsewhere")))));
        assertThat(e.kind()).isEqualTo(MissingReferenceException.Kind.BLOB);
        assertThat(e.digest()).as("the smallest missing digest").isEqualTo(smaller);
        assertThat(catchMissing(() -> await(meta.manifests().put(m, "t", image(config.digest(), digest("only-elsewhere")))))
                .digest()).as("linked to another repository only").isEqualTo(digest("only-elsewhere"));
        // blobs are checked before children
        assertThat(catchMissing(() -> await(meta.manifests().put(m, "t", new ManifestReferences(absent1, List.of(),
                List.of(), List.of(digest("no-child")))))).kind()).isEqualTo(MissingReferenceException.Kind.BLOB);
        MissingReferenceException child = catchMissing(() -> await(meta.manifests().put(m, "t",
                new ManifestReferences(null, List.of(), List.of(), List.of(digest("no-child"))))));
        assertThat(child.kind()).isEqualTo(MissingReferenceException.Kind.MANIFEST);
        assertThat(child.digest()).isEqualTo(digest("no-child"));
        assertThat(await(meta.manifests().get("m", m.digest()))).isNull();
        assertThat(await(meta.manifests().getByTag("m", "t"))).isNull();
        assertThat(awaitAll(meta.manifests().edges("m", m.digest()))).isEmpty();
        assertThat(await(meta.manifests().blobReferenced(config.digest()))).isFalse();
    }

    private static MissingReferenceException catchMissing(Runnable put) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(put::run);
        assertThat(thrown).isInstanceOf(missing());
        return (MissingReferenceException) thrown;
    }

    @Test
    void aNamedBlobIsNeverOrphanedAndItsLastManifestsDeleteOrphansIt() throws InterruptedException {
        BlobRecord config = blob("cfg-o", "l-c");
        BlobRecord layer = blob("layer-o", "l-l");
        await(meta.blobs().commit("o", config, null, null));
        await(meta.blobs().commit("o", layer, null, null));
        ManifestRecord m = manifest("o", "img", null, null);
        await(meta.manifests().put(m, "t", image(config.digest(), layer.digest())));
        // Distribution's blob DELETE: the link goes, the blob stays (a manifest names it)
        assertThat(await(meta.blobs().unlink("o", layer.digest()))).isTrue();
        assertThat(await(meta.blobs().findLinked("o", layer.digest()))).isNull();
        assertThat(orphaned(layer.digest())).isFalse();
        assertThat(await(meta.blobs().forget(layer.digest(), java.time.Instant.now().plusSeconds(3600)))).isFalse();
        assertThat(await(meta.blobs().find(layer.digest()))).isEqualTo(layer);
        // the manifest goes: the unlinked layer is orphaned, the linked config is not
        assertThat(await(meta.manifests().delete("o", m.digest()))).isTrue();
        assertThat(orphaned(layer.digest())).isTrue();
        assertThat(orphaned(config.digest())).isFalse();
        Thread.sleep(5);
        assertThat(await(meta.blobs().forget(layer.digest(), java.time.Instant.now()))).isTrue();
        await(meta.blobs().forgotten(layer.digest()));
        assertThat(await(meta.blobs().find(layer.digest()))).isNull();
    }

    @Test
    void aSharedLayerStaysWhileAnyRepositorysManifestNamesIt() throws InterruptedException {
        BlobRecord layer = blob("shared-layer", "l-s");
        List<ManifestRecord> images = new ArrayList<>();
        for (String repo : List.of("team-a/app", "team-b/app")) {
            await(meta.blobs().commit(repo, layer, null, null));
            ManifestRecord m = manifest(repo, "img-" + repo, null, null);
            await(meta.manifests().put(m, "latest", image(layer.digest(), layer.digest())));
            images.add(m);
            assertThat(await(meta.blobs().unlink(repo, layer.digest()))).isTrue();
        }
        assertThat(orphaned(layer.digest())).isFalse();
        assertThat(await(meta.manifests().delete("team-a/app", images.get(0).digest()))).isTrue();
        assertThat(orphaned(layer.digest())).as("team-b's manifest still names it").isFalse();
        assertThat(await(meta.blobs().forget(layer.digest(), java.time.Instant.now().plusSeconds(3600)))).isFalse();
        assertThat(await(meta.manifests().blobReferenced(layer.digest()))).isTrue();
        assertThat(await(meta.manifests().delete("team-b/app", images.get(1).digest()))).isTrue();
        assertThat(orphaned(layer.digest())).isTrue();
        Thread.sleep(5);
        assertThat(await(meta.blobs().forget(layer.digest(), java.time.Instant.now()))).isTrue();
    }

    @Test
    void anIndexNamesItsChildren() {
        BlobRecord config = blob("cfg-i", "l");
        await(meta.blobs().commit("i", config, null, null));
        ManifestRecord amd = manifest("i", "amd64", null, null);
        ManifestRecord arm = manifest("i", "arm64", null, null);
        await(meta.manifests().put(amd, null, image(config.digest())));
        await(meta.manifests().put(arm, null, image(config.digest())));
        ManifestRecord index = manifest("i", "index", null, null);
        ManifestReferences children = new ManifestReferences(null, List.of(), List.of(), List.of(amd.digest(), arm.digest()));
        // the children must be in this repository
        assertThat(catchMissing(() -> await(meta.manifests().put(new ManifestRecord("other", index.digest(),
                index.mediaType(), index.content(), null, null, null), "t", children))).kind())
                .isEqualTo(MissingReferenceException.Kind.MANIFEST);
        await(meta.manifests().put(index, "multi", children));
        assertThat(awaitAll(meta.manifests().edges("i", index.digest()))).containsExactlyInAnyOrder(
                new ManifestEdge(ManifestEdge.Kind.MANIFEST, amd.digest()),
                new ManifestEdge(ManifestEdge.Kind.MANIFEST, arm.digest()));
        // Distribution lets a child go while an index names it; the edge stays for the collector to judge
        assertThat(await(meta.manifests().delete("i", amd.digest()))).isTrue();
        assertThat(awaitAll(meta.manifests().edges("i", index.digest()))).hasSize(2);
        assertThat(await(meta.manifests().blobReferenced(config.digest()))).as("arm64 still names it").isTrue();
    }

    @Test
    void aReferrerRecordsItsSubjectWhetherOrNotItExists() {
        Digest subject = digest("not-pushed-yet");
        ManifestRecord sig = manifest("s", "sig", subject, "application/x.sig");
        await(meta.manifests().put(sig, null));
        assertThat(awaitAll(meta.manifests().edges("s", sig.digest())))
                .containsExactly(new ManifestEdge(ManifestEdge.Kind.SUBJECT, subject));
        assertThat(awaitAll(meta.manifests().referrers("s", subject, null))).extracting(ManifestRecord::digest)
                .containsExactly(sig.digest());
        await(meta.manifests().delete("s", sig.digest()));
        assertThat(awaitAll(meta.manifests().edges("s", sig.digest()))).isEmpty();
    }

    @Test
    void aPutRevivesAnOrphanedBlobItNamesAndRefusesOneBeingDeleted() throws InterruptedException {
        BlobRecord foreign = blob("foreign-o", "l-f");
        await(meta.blobs().commit("x", foreign, null, null));
        assertThat(await(meta.blobs().unlink("x", foreign.digest()))).isTrue();
        assertThat(orphaned(foreign.digest())).isTrue();
        ManifestRecord m = manifest("f", "with-foreign", null, null);
        await(meta.manifests().put(m, null, new ManifestReferences(null, List.of(), List.of(foreign.digest()), List.of())));
        assertThat(orphaned(foreign.digest())).as("revived by the put").isFalse();
        assertThat(await(meta.blobs().forget(foreign.digest(), java.time.Instant.now().plusSeconds(3600)))).isFalse();

        // a blob the collector is deleting cannot be required, even through a link made meanwhile
        BlobRecord going = blob("going", "l-g");
        await(meta.blobs().commit("y", going, null, null));
        assertThat(await(meta.blobs().unlink("y", going.digest()))).isTrue();
        Thread.sleep(5);
        assertThat(await(meta.blobs().forget(going.digest(), java.time.Instant.now()))).isTrue();
        ManifestRecord n = manifest("y", "needs-going", null, null);
        assertThat(catchMissing(() -> await(meta.manifests().put(n, "t", image(going.digest())))).digest())
                .isEqualTo(going.digest());
        assertThat(await(meta.manifests().get("y", n.digest()))).isNull();
    }

    @Test
    void aManifestPutAndAnUnlinkOfItsBlobNeverLeaveAManifestWithoutItsBlob() throws InterruptedException {
        // the two orders, one after the other
        BlobRecord config = blob("cfg-race", "l-c");
        await(meta.blobs().commit("race", config, null, null));
        BlobRecord first = blob("unlinked-first", "l-1");
        await(meta.blobs().commit("race", first, null, null));
        assertThat(await(meta.blobs().unlink("race", first.digest()))).isTrue();
        assertThat(catchMissing(() -> await(meta.manifests().put(manifest("race", "a", null, null), null,
                image(config.digest(), first.digest())))).digest()).isEqualTo(first.digest());
        assertThat(orphaned(first.digest())).isTrue();
        BlobRecord second = blob("put-first", "l-2");
        await(meta.blobs().commit("race", second, null, null));
        await(meta.manifests().put(manifest("race", "b", null, null), null, image(config.digest(), second.digest())));
        assertThat(await(meta.blobs().unlink("race", second.digest()))).isTrue();
        assertThat(orphaned(second.digest())).isFalse();

        // and racing, each round with a collection of everything orphaned so far
        int stored = 0;
        int refused = 0;
        for (int round = 0; round < 100; round++) {
            BlobRecord layer = blob("race-layer-" + round, "l-r" + round);
            await(meta.blobs().commit("race", layer, null, null));
            ManifestRecord m = manifest("race", "m-" + round, null, null);
            Mono<Boolean> put = meta.manifests().put(m, "t" + round, image(config.digest(), layer.digest()))
                    .thenReturn(true)
                    .onErrorResume(MissingReferenceException.class, e -> Mono.just(false))
                    .subscribeOn(Schedulers.parallel());
            Mono<Boolean> unlinkAndCollect = meta.blobs().unlink("race", layer.digest())
                    .flatMap(unlinked -> meta.blobs().forget(layer.digest(), java.time.Instant.now().plusSeconds(3600)))
                    .subscribeOn(Schedulers.parallel());
            var both = Mono.zip(put, unlinkAndCollect).subscribeOn(Schedulers.parallel()).block(TIMEOUT);
            boolean manifestStored = await(meta.manifests().get("race", m.digest())) != null;
            assertThat(manifestStored).as("round %d", round).isEqualTo(both.getT1());
            if (manifestStored) {
                stored++;
                assertThat(both.getT2()).as("round %d: the collector took a named blob", round).isFalse();
                assertThat(await(meta.blobs().find(layer.digest()))).as("round %d: its row", round).isEqualTo(layer);
                assertThat(orphaned(layer.digest())).as("round %d", round).isFalse();
            } else {
                refused++;
                assertThat(both.getT2()).as("round %d: unnamed and unlinked, so collectable", round).isTrue();
                await(meta.blobs().forgotten(layer.digest()));
            }
        }
        System.out.printf("manifest put vs unlink+collect: %d stored, %d refused%n", stored, refused);
    }

    // ---- repositories ----

    @Test
    void catalogIsPagedInByteOrder() {
        for (String name : List.of("b", "a", "B", "A", "a/b", "a-b")) {
            await(meta.blobs().commit(name, blob("x", "l"), null, null));
        }
        assertThat(await(meta.repositories().catalog(null, 10)))
                .isEqualTo(new Page(List.of("A", "B", "a", "a-b", "a/b", "b"), false));
        assertThat(await(meta.repositories().catalog(null, 2))).isEqualTo(new Page(List.of("A", "B"), true));
        assertThat(await(meta.repositories().catalog("B", 2))).isEqualTo(new Page(List.of("a", "a-b"), true));
        assertThat(await(meta.repositories().catalog("a-b", 2))).isEqualTo(new Page(List.of("a/b", "b"), false));
        assertThat(await(meta.repositories().catalog("b", 2))).isEqualTo(new Page(List.of(), false));
    }

    @Test
    void catalogByCallerShowsPublicOwnAndForAdminsEverything() {
        await(meta.accounts().create(new AccountStore.Account("root", "hash", true, null)));
        await(meta.accounts().create(new AccountStore.Account("alice", "hash", false, null)));
        for (String name : List.of("alice/a", "alice/b", "alicex/c", "bob/d", "bob/e", "top")) {
            await(meta.blobs().commit(name, blob("x", "l"), null, null));
        }
        OrgStore orgs = meta.orgs();
        assertThat(await(orgs.accessFacts(null, "bob/d")).repositoryPublic()).isFalse();
        assertThat(await(orgs.setVisibility("bob/d", true, "root"))).isEqualTo(OrgStore.Outcome.DONE);
        assertThat(await(orgs.setVisibility("nobody/x", true, "root"))).isEqualTo(OrgStore.Outcome.NOT_FOUND);
        assertThat(await(orgs.accessFacts(null, "bob/d")).repositoryPublic()).isTrue();
        assertThat(await(orgs.accessFacts(null, "nobody/x")).repositoryPublic()).isFalse();

        assertThat(await(orgs.catalogFor(null, null, false, null, 10))).isEqualTo(new Page(List.of("bob/d"), false));
        // "alice/" is the namespace: alicex/c is not alice's
        assertThat(await(orgs.catalogFor("alice", null, false, null, 10)))
                .isEqualTo(new Page(List.of("alice/a", "alice/b", "bob/d"), false));
        assertThat(await(orgs.catalogFor("alice", null, false, null, 2)))
                .isEqualTo(new Page(List.of("alice/a", "alice/b"), true));
        assertThat(await(orgs.catalogFor("alice", null, false, "alice/b", 2)))
                .isEqualTo(new Page(List.of("bob/d"), false));
        assertThat(await(orgs.catalogFor("root", null, true, null, 10)).items())
                .containsExactly("alice/a", "alice/b", "alicex/c", "bob/d", "bob/e", "top");
        assertThat(await(orgs.catalogFor(null, null, false, "bob/d", 10))).isEqualTo(new Page(List.of(), false));
    }

    // ---- accounts ----

    @Test
    void accountsAreUniqueByName() {
        AccountStore.Account alice = new AccountStore.Account("alice", "$argon2id$x", false, null);
        assertThat(await(meta.accounts().create(alice))).isTrue();
        assertThat(await(meta.accounts().create(new AccountStore.Account("alice", "other", true, null)))).isFalse();
        AccountStore.Account found = await(meta.accounts().find("alice"));
        assertThat(found.passwordHash()).isEqualTo("$argon2id$x");
        assertThat(found.admin()).isFalse();
        assertThat(found.createdAt()).isNotNull();
        assertThat(await(meta.accounts().find("bob"))).isNull();
    }

    @Test
    void credentialsAreStoredListedDeletedAndExpired() {
        await(meta.accounts().create(new AccountStore.Account("alice", "h", false, null)));
        await(meta.accounts().create(new AccountStore.Account("bob", "h", false, null)));
        java.time.Instant soon = java.time.Instant.parse("2030-01-01T00:00:00Z");
        AccountStore.Credential pat = new AccountStore.Credential("id1", "alice", AccountStore.Kind.PAT, "ci",
                "hash1", List.of("pull", "push"), List.of("alice/a", "alice/b"), null, java.time.Instant.parse("2026-01-01T00:00:00Z"));
        AccountStore.Credential session = new AccountStore.Credential("id2", "alice", AccountStore.Kind.SESSION, null,
                "hash2", List.of(), List.of(), soon, java.time.Instant.parse("2026-01-02T00:00:00Z"));
        await(meta.accounts().addCredential(pat));
        await(meta.accounts().addCredential(session));
        assertThat(await(meta.accounts().credential("id1"))).isEqualTo(pat);
        assertThat(await(meta.accounts().credential("id2"))).isEqualTo(session);
        assertThat(awaitAll(meta.accounts().credentials("alice", AccountStore.Kind.PAT))).containsExactly(pat);
        assertThat(awaitAll(meta.accounts().credentials("bob", AccountStore.Kind.PAT))).isEmpty();
        assertThat(await(meta.accounts().deleteCredential("bob", "id1"))).isFalse();
        assertThat(await(meta.accounts().deleteExpired(java.time.Instant.parse("2029-12-31T00:00:00Z")))).isZero();
        assertThat(await(meta.accounts().deleteExpired(soon))).isEqualTo(1);
        assertThat(await(meta.accounts().credential("id2"))).isNull();
        assertThat(await(meta.accounts().deleteCredential("alice", "id1"))).isTrue();
        assertThat(await(meta.accounts().credential("id1"))).isNull();
    }

    @Test
    void anEmptyRegistryHasAnEmptyCatalog() {
        assertThat(await(meta.repositories().catalog(null, 5))).isEqualTo(new Page(List.of(), false));
        assertThat(await(meta.ping())).isNull();
    }

    // ---- uploads ----

    @Test
    void sessionsAreCreatedWithinTheirOwnersAndRepositorysLimits() {
        assertThat(await(meta.uploads().create("l1", "lim/a", "account:alice", 2, 3))).isNotNull();
        assertThat(await(meta.uploads().create("l2", "lim/b", "account:alice", 2, 3))).isNotNull();
        assertThat(await(meta.uploads().create("l3", "lim/a", "account:alice", 2, 3))).as("alice's limit").isNull();
        assertThat(await(meta.uploads().create("l3", "lim/a", "account:bob", 2, 3))).isNotNull();
        assertThat(await(meta.uploads().create("l4", "lim/a", "account:bob", 2, 2))).as("lim/a's limit").isNull();
        assertThat(await(meta.uploads().create("l4", "lim/a", "account:bob", 2, 3))).isNotNull();
        assertThat(await(meta.uploads().create("l5", "lim/a", "account:carol", 2, 3))).as("lim/a's limit").isNull();
        // 0 = no limit; no owner = never over an owner's limit
        assertThat(await(meta.uploads().create("l5", "lim/a", "account:alice", 0, 0))).isNotNull();
        assertThat(await(meta.uploads().create("l6", "lim/c", null, 1, 0))).isNotNull();
        assertThat(await(meta.uploads().create("l7", "lim/c", null, 1, 0))).isNotNull();
        assertThat(await(meta.uploads().find("l1")).offset()).isZero();
        assertThat(await(meta.uploads().delete("l1"))).isTrue();
        assertThat(await(meta.uploads().create("l8", "lim/b", "account:bob", 3, 3))).isNotNull();
        for (String id : List.of("l2", "l3", "l4", "l5", "l6", "l7", "l8")) {
            assertThat(await(meta.uploads().delete(id))).as(id).isTrue();
        }
    }

    /** The lease holder of {@link #advance}. */
    private static final String HOLDER = "test-holder";

    /**
     * An advance as a request makes its last one: under its own lease (claimed here, when free),
     * given up in the same statement when it moves.
     */
    private Mono<Boolean> advance(String id, long expected, long offset, byte[] hashState) {
        return meta.uploads().claim(id, "r", HOLDER, Duration.ofMinutes(1))
                .then(meta.uploads().advanceAndRelease(id, expected, offset, hashState, HOLDER));
    }

    @Test
    void uploadsAdvanceOptimistically() {
        UploadRecord created = await(meta.uploads().create("u", "r"));
        assertThat(created.offset()).isZero();
        assertThat(await(meta.uploads().find("u"))).isEqualTo(created);
        assertThat(await(advance("u", 0, 100, null))).isTrue();
        assertThat(await(advance("u", 0, 200, null))).isFalse();
        assertThat(await(advance("missing", 0, 200, null))).isFalse();
        UploadRecord moved = await(meta.uploads().find("u"));
        assertThat(moved.offset()).isEqualTo(100);
        assertThat(moved.startedAt()).isEqualTo(created.startedAt());
        assertThat(moved.updatedAt()).isAfterOrEqualTo(created.updatedAt());

        // HOLDER still holds the lease: its refused advance kept it
        List<Boolean> race = awaitAll(Flux.range(0, 10).flatMap(i -> meta.uploads()
                .advanceAndRelease("u", 100, 200 + i, null, HOLDER).subscribeOn(Schedulers.parallel())));
        assertThat(race).containsOnlyOnce(true);

        assertThat(await(meta.uploads().delete("u"))).isTrue();
        assertThat(await(meta.uploads().delete("u"))).isFalse();
        assertThat(await(meta.uploads().find("u"))).isNull();
    }

    @Test
    void theHashStateIsRecordedWithItsOffsetAndOnlyReadAtIt() {
        await(meta.uploads().create("h", "r"));
        assertThat(await(meta.uploads().hashState("h", 0))).as("none at the start").isNull();
        byte[] at100 = new byte[201];
        for (int i = 0; i < at100.length; i++) {
            at100[i] = (byte) (i * 7);
        }
        assertThat(await(advance("h", 0, 100, at100))).isTrue();
        assertThat(await(meta.uploads().hashState("h", 100))).isEqualTo(at100);
        assertThat(await(meta.uploads().hashState("h", 0))).as("not at that offset").isNull();
        assertThat(await(meta.uploads().hashState("missing", 100))).isNull();

        // a refused advance leaves the recorded state alone
        assertThat(await(advance("h", 0, 300, new byte[] {1}))).isFalse();
        assertThat(await(meta.uploads().hashState("h", 100))).isEqualTo(at100);

        // an advance without a state clears it: the old one belongs to the old offset
        assertThat(await(advance("h", 100, 200, null))).isTrue();
        assertThat(await(meta.uploads().hashState("h", 200))).isNull();
        assertThat(await(meta.uploads().hashState("h", 100))).isNull();
        assertThat(await(advance("h", 200, 250, new byte[] {4, 5}))).isTrue();
        assertThat(await(meta.uploads().hashState("h", 250))).containsExactly(4, 5);
        assertThat(await(meta.uploads().delete("h"))).isTrue();
    }

    @Test
    void idleUploadsAreListedOldestFirst() throws InterruptedException {
        await(meta.uploads().create("old", "r"));
        Thread.sleep(20);
        await(meta.uploads().create("older-but-touched", "r"));
        Thread.sleep(20);
        java.time.Instant cutoff = java.time.Instant.now();
        Thread.sleep(20);
        await(meta.uploads().create("fresh", "r"));
        assertThat(awaitAll(meta.uploads().idleSince(cutoff, 10))).extracting(UploadRecord::id)
                .containsExactly("old", "older-but-touched");
        assertThat(await(advance("older-but-touched", 0, 5, null))).isTrue();
        assertThat(awaitAll(meta.uploads().idleSince(cutoff, 10))).extracting(UploadRecord::id).containsExactly("old");
        assertThat(awaitAll(meta.uploads().idleSince(java.time.Instant.now().plusSeconds(1), 2))).hasSize(2);
    }

    @Test
    void dataSurvivesReopening() {
        ManifestRecord m = manifest("r", "m", null, null);
        await(meta.manifests().put(m, "t"));
        meta.close();
        meta = R2dbcMetadata.open(config);
        assertManifest(await(meta.manifests().getByTag("r", "t")), m);
    }

    private static void assertManifest(ManifestRecord actual, ManifestRecord expected) {
        assertThat(actual).isNotNull();
        assertThat(actual.content()).isEqualTo(expected.content());
        assertThat(actual).usingRecursiveComparison().ignoringFields("content").isEqualTo(expected);
    }
}
