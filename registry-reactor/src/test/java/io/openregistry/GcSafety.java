package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.config.Config;
import io.openregistry.maintenance.GarbageCollector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The harness of the property-based garbage-collection tests ({@link GcSafetyPropertyTest},
 * {@link GcTwoReplicasPropertyTest}): random command sequences (pushes of images that share
 * layers, of indexes with their children and of referrers with a subject, also while a collection
 * runs; tag moves; manifest, tag and blob deletes; cross-repository mounts; collections), run
 * against real registries over HTTP and against a model of their own, which knows only the rules
 * the README states and nothing of the implementation. After every collection and at the end of a
 * sequence the registry must hold exactly what the model holds: every tag and every stored
 * manifest pulls byte-exact, every link answers with the exact bytes and no other blob does, and
 * the database rows and storage files of blobs, links, manifests and tags are exactly the model's
 * (every stored file hashing to its name). Then everything is deleted and one more collection
 * must leave nothing of the sequence. A failing sequence is shrunk to a short one
 * ({@link #property}).
 *
 * <p>Each sequence works on repositories and content of its own (random bytes, a fresh nonce), so
 * sequences share a registry and its database without seeing each other.
 */
final class GcSafety {
    static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String INDEX = "application/vnd.oci.image.index.v1+json";
    static final Duration TIMEOUT = Duration.ofMinutes(2);
    static final List<String> REPOS = List.of("a", "b");
    static final List<String> TAGS = List.of("t1", "t2");
    /** The manifests of a sequence's universe, by name (see {@link Universe}). */
    static final List<String> MANIFESTS = List.of("I0", "I1", "I2", "I3", "X0", "X1", "R0", "R1");
    /** Its blobs: layers, image configs, the referrers' config and layer. */
    static final List<String> BLOBS = List.of("L0", "L1", "L2", "L3", "L4", "C0", "C1", "C2", "C3", "RC", "RL");
    private static final AtomicInteger SEQUENCES = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    private GcSafety() {
    }

    /**
     * The collections a sequence runs. The graces are 0 or an hour, so "older than the grace" is
     * "everything" or "nothing" whatever the timing; untagged manifests go when older than a
     * nanosecond (everything stored before the run) or never.
     */
    enum Mode {
        /** Untagged manifests, unreferenced links and orphaned blobs all go. */
        EAGER(new Config.Gc(Duration.ZERO, Duration.ZERO, Duration.ofNanos(1), 2)),
        /** Untagged manifests stay (gc.untaggedAfterSeconds 0); links and orphans go. */
        KEEP_UNTAGGED(new Config.Gc(Duration.ZERO, Duration.ZERO, Duration.ZERO, 2)),
        /** Everything is younger than the graces: nothing goes. */
        PATIENT(new Config.Gc(Duration.ZERO, Duration.ofHours(1), Duration.ofHours(1), 2));

        final Config.Gc settings;

        Mode(Config.Gc settings) {
            this.settings = settings;
        }
    }

    // --- commands ---

    /** One client action or collection; {@code on} is the replica it goes to. */
    sealed interface Cmd permits Push, PushDuringGc, Tag, Untag, DeleteManifest, DeleteBlob, PushBlob, Mount, Gc,
            GcEverywhere {
        int on();
    }

    /** Pushes the manifest's blobs (an index: its children first, by digest), then the manifest (by digest when tag is null). */
    record Push(int on, String repo, String manifest, String tag) implements Cmd {
        @Override
        public String toString() {
            return "push " + repo + " " + manifest + (tag == null ? "" : ":" + tag) + at(on);
        }
    }

    /**
     * A {@link Push} while an eager collection runs (on the other replica when there are two), then
     * an eager collection after both. Each request of the push either succeeds or fails cleanly
     * (a layer unlinked by the collector before the manifest PUT: {@code MANIFEST_BLOB_UNKNOWN});
     * the model takes what succeeded, and after the second collection the registry must match it
     * exactly. What the concurrent run deleted was collectable, so the second one would have
     * deleted it too, except a manifest the push protects without storing it again (a referrer
     * whose subject it stores): those collectable before the push may be there or not, and the
     * model takes what the registry answers for them.
     */
    record PushDuringGc(int on, String repo, String manifest, String tag) implements Cmd {
        @Override
        public String toString() {
            return "push " + repo + " " + manifest + (tag == null ? "" : ":" + tag) + at(on) + " during gc EAGER";
        }
    }

    /** PUTs the manifest under the tag and nothing else: it needs its blobs linked and its children stored. */
    record Tag(int on, String repo, String manifest, String tag) implements Cmd {
        @Override
        public String toString() {
            return "tag " + repo + " " + manifest + ":" + tag + at(on);
        }
    }

    record Untag(int on, String repo, String tag) implements Cmd {
        @Override
        public String toString() {
            return "untag " + repo + ":" + tag + at(on);
        }
    }

    record DeleteManifest(int on, String repo, String manifest) implements Cmd {
        @Override
        public String toString() {
            return "delete " + repo + " " + manifest + at(on);
        }
    }

    /** DELETE of a blob: unlinks it from that repository (Distribution's meaning). */
    record DeleteBlob(int on, String repo, String blob) implements Cmd {
        @Override
        public String toString() {
            return "rmblob " + repo + " " + blob + at(on);
        }
    }

    /** A blob pushed with no manifest naming it (yet). */
    record PushBlob(int on, String repo, String blob) implements Cmd {
        @Override
        public String toString() {
            return "pushblob " + repo + " " + blob + at(on);
        }
    }

    /** A cross-repository mount into repo from the other repository. */
    record Mount(int on, String repo, String blob) implements Cmd {
        @Override
        public String toString() {
            return "mount " + repo + " " + blob + " from " + other(repo) + at(on);
        }
    }

    record Gc(int on, Mode mode) implements Cmd {
        @Override
        public String toString() {
            return "gc " + mode + at(on);
        }
    }

    /** Eager collections on every replica at once (runs on replicas may overlap). */
    record GcEverywhere(int on) implements Cmd {
        @Override
        public String toString() {
            return "gc EAGER everywhere at once";
        }
    }

    private static String at(int on) {
        return on == 0 ? "" : " @" + on;
    }

    static String other(String repo) {
        return REPOS.get(1 - REPOS.indexOf(repo));
    }

    /** A random command sequence over {@code replicas} replicas, of 1 to {@code maxLength} commands. */
    static List<Cmd> generate(Random rnd, int replicas, int maxLength) {
        int length = 1 + rnd.nextInt(maxLength);
        List<Cmd> commands = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            commands.add(command(rnd, replicas));
        }
        return commands;
    }

    private static Cmd command(Random rnd, int replicas) {
        int on = rnd.nextInt(replicas);
        String repo = pick(rnd, REPOS);
        String manifest = pick(rnd, MANIFESTS);
        String tag = pick(rnd, TAGS);
        String blob = pick(rnd, BLOBS);
        // weights: pushes most, then tag moves and collections, then deletes and mounts
        int w = rnd.nextInt(replicas > 1 ? 23 : 22);
        if (w < 5) {
            return new Push(on, repo, manifest, rnd.nextInt(5) < 2 ? null : tag);
        } else if (w < 7) {
            return new PushDuringGc(on, repo, manifest, rnd.nextInt(5) < 2 ? null : tag);
        } else if (w < 10) {
            return new Tag(on, repo, manifest, tag);
        } else if (w < 12) {
            return new Untag(on, repo, tag);
        } else if (w < 14) {
            return new DeleteManifest(on, repo, manifest);
        } else if (w < 16) {
            return new DeleteBlob(on, repo, blob);
        } else if (w < 17) {
            return new PushBlob(on, repo, blob);
        } else if (w < 19) {
            return new Mount(on, repo, blob);
        } else if (w < 22) {
            return new Gc(on, Mode.values()[rnd.nextInt(Mode.values().length)]);
        }
        return new GcEverywhere(0);
    }

    private static <T> T pick(Random rnd, List<T> from) {
        return from.get(rnd.nextInt(from.size()));
    }

    /**
     * Runs {@code tries} random sequences against the target; on the first failure, shrinks the
     * sequence (drops commands, then moves commands to replica 0, while it still fails) and fails
     * with the seed, the original and the shrunk sequence and the shrunk sequence's failure.
     * {@code -Dgc.property.seed=<seed>} replays a run, {@code -Dgc.property.scale=<factor>}
     * multiplies the tries. Prints what the collections did over the run (a property is only as
     * good as the deletions it saw).
     *
     * <p>Why not jqwik: from 1.10 on, jqwik's maintainer asks that it not be used by AI coding
     * agents, and these tests are written and run by such agents (as {@code api/FuzzRunner}).
     */
    static void property(String name, Target target, int replicas, int tries, int maxLength) {
        long seed = Long.getLong("gc.property.seed", new SecureRandom().nextLong());
        int scaled = (int) Math.ceil(tries * Double.parseDouble(System.getProperty("gc.property.scale", "1")));
        STATS.clear();
        long start = System.nanoTime();
        for (int i = 0; i < scaled; i++) {
            List<Cmd> commands = generate(new Random(seed + 0x9E3779B97F4A7C15L * i), replicas, maxLength);
            Throwable failure = attempt(target, commands);
            if (failure != null) {
                Shrunk shrunk = shrink(target, commands, failure);
                AssertionError e = new AssertionError(name + ": try " + i + " of seed " + seed
                        + " (replay with -Dgc.property.seed=" + seed + ") failed.\n  original (" + commands.size()
                        + " commands): " + commands + "\n  shrunk (" + shrunk.commands.size() + " commands, "
                        + shrunk.runs + " shrinking runs): " + shrunk.commands + "\n  its failure: "
                        + shrunk.failure.getMessage(), shrunk.failure);
                throw e;
            }
        }
        System.out.printf("gc property %s: %d sequences (seed %d) in %d ms; %s%n", name, scaled, seed,
                (System.nanoTime() - start) / 1_000_000, new TreeMap<>(STATS));
    }

    private static Throwable attempt(Target target, List<Cmd> commands) {
        try {
            run(target, commands);
            return null;
        } catch (Exception | AssertionError e) {
            return e;
        }
    }

    private record Shrunk(List<Cmd> commands, Throwable failure, int runs) {
    }

    /** Delta debugging, bounded: chunks of halving size are dropped while the sequence still fails. */
    private static Shrunk shrink(Target target, List<Cmd> failing, Throwable failure) {
        int runs = 0;
        List<Cmd> current = failing;
        Throwable last = failure;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        for (int chunk = Math.max(1, current.size() / 2); chunk >= 1 && System.nanoTime() < deadline; chunk /= 2) {
            boolean dropped = true;
            while (dropped && System.nanoTime() < deadline) {
                dropped = false;
                for (int at = 0; at + chunk <= current.size() && System.nanoTime() < deadline; ) {
                    List<Cmd> candidate = new ArrayList<>(current.subList(0, at));
                    candidate.addAll(current.subList(at + chunk, current.size()));
                    Throwable t = candidate.isEmpty() ? null : attempt(target, candidate);
                    runs++;
                    if (t != null) {
                        current = candidate;
                        last = t;
                        dropped = true;
                    } else {
                        at += chunk;
                    }
                }
            }
        }
        for (int i = 0; i < current.size() && System.nanoTime() < deadline; i++) {
            Cmd onZero = onReplicaZero(current.get(i));
            if (onZero.equals(current.get(i))) {
                continue;
            }
            List<Cmd> candidate = new ArrayList<>(current);
            candidate.set(i, onZero);
            Throwable t = attempt(target, candidate);
            runs++;
            if (t != null) {
                current = candidate;
                last = t;
            }
        }
        return new Shrunk(current, last, runs);
    }

    private static Cmd onReplicaZero(Cmd c) {
        if (c instanceof Push p) {
            return new Push(0, p.repo(), p.manifest(), p.tag());
        } else if (c instanceof PushDuringGc p) {
            return new PushDuringGc(0, p.repo(), p.manifest(), p.tag());
        } else if (c instanceof Tag t) {
            return new Tag(0, t.repo(), t.manifest(), t.tag());
        } else if (c instanceof Untag t) {
            return new Untag(0, t.repo(), t.tag());
        } else if (c instanceof DeleteManifest d) {
            return new DeleteManifest(0, d.repo(), d.manifest());
        } else if (c instanceof DeleteBlob d) {
            return new DeleteBlob(0, d.repo(), d.blob());
        } else if (c instanceof PushBlob p) {
            return new PushBlob(0, p.repo(), p.blob());
        } else if (c instanceof Mount m) {
            return new Mount(0, m.repo(), m.blob());
        } else if (c instanceof Gc g) {
            return new Gc(0, g.mode());
        }
        return c;
    }

    /** What the collections and the racing pushes of a run did: "label: outcome" → count. */
    private static final Map<String, Integer> STATS = new java.util.concurrent.ConcurrentHashMap<>();

    private static void collect(String label, String outcome) {
        STATS.merge(label + ": " + outcome, 1, Integer::sum);
    }

    // --- what a sequence runs against ---

    /** Registries (one or more replicas) on one database and one storage root. */
    interface Target {
        List<Registry> replicas();

        /** The directory given as {@code storage.root}. */
        Path root();

        Connection jdbc() throws Exception;
    }

    // --- the content of one sequence ---

    /** A manifest of the universe: its bytes, the blobs it names, its children, its subject (or null). */
    record Item(String name, String mediaType, byte[] bytes, String digest, List<String> blobs, List<String> children,
                String subject) {
    }

    /**
     * Fresh content for one sequence: images I0..I3 (config Ci, layers Li and Li+1: neighbours
     * share a layer), indexes X0 = [I0, I1] and X1 = [I1, I3], referrers R0 (subject I0) and R1
     * (subject X0, sharing layer L3 with the images).
     */
    static final class Universe {
        final Map<String, byte[]> blobs = new TreeMap<>();
        final Map<String, Item> manifests = new TreeMap<>();
        final Map<String, String> blobByDigest = new TreeMap<>();

        Universe() {
            String nonce = UUID.randomUUID().toString();
            for (int i = 0; i <= 4; i++) {
                byte[] layer = new byte[200 + 100 * i];
                ThreadLocalRandom.current().nextBytes(layer);
                blobs.put("L" + i, layer);
            }
            for (int i = 0; i <= 3; i++) {
                blobs.put("C" + i, utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + nonce + i + "\"}"));
            }
            blobs.put("RC", utf8("{\"referrer\":\"" + nonce + "\"}"));
            byte[] rl = new byte[150];
            ThreadLocalRandom.current().nextBytes(rl);
            blobs.put("RL", rl);
            blobs.forEach((name, bytes) -> blobByDigest.put(digest(bytes), name));
            for (int i = 0; i <= 3; i++) {
                image("I" + i, "C" + i, null, "L" + i, "L" + (i + 1));
            }
            index("X0", "I0", "I1");
            index("X1", "I1", "I3");
            image("R0", "RC", "I0", "RL");
            image("R1", "RC", "X0", "L3");
        }

        private void image(String name, String config, String subject, String... layers) {
            StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST + "\"");
            if (subject != null) {
                sb.append(",\"artifactType\":\"application/vnd.example.sbom\"");
            }
            sb.append(",\"config\":").append(descriptor("application/vnd.oci.image.config.v1+json", blobs.get(config)))
                    .append(",\"layers\":[");
            for (int i = 0; i < layers.length; i++) {
                sb.append(i == 0 ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar",
                        blobs.get(layers[i])));
            }
            sb.append(']');
            if (subject != null) {
                Item s = manifests.get(subject);
                sb.append(",\"subject\":").append(descriptor(s.mediaType, s.bytes));
            }
            sb.append(",\"annotations\":{\"name\":\"").append(name).append("\"}}");
            List<String> named = new ArrayList<>(List.of(config));
            named.addAll(List.of(layers));
            add(new Item(name, MANIFEST, utf8(sb.toString()), null, List.copyOf(named), List.of(), subject));
        }

        private void index(String name, String... children) {
            StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + INDEX + "\",\"manifests\":[");
            for (int i = 0; i < children.length; i++) {
                sb.append(i == 0 ? "" : ",").append(descriptor(MANIFEST, manifests.get(children[i]).bytes));
            }
            add(new Item(name, INDEX, utf8(sb.append("]}").toString()), null, List.of(), List.of(children), null));
        }

        private void add(Item item) {
            manifests.put(item.name, new Item(item.name, item.mediaType, item.bytes, digest(item.bytes), item.blobs,
                    item.children, item.subject));
        }

        Item manifest(String name) {
            return manifests.get(name);
        }
    }

    // --- the model ---

    /** What the registry must hold, by the README's rules only. */
    static final class Model {
        final Universe u;
        /** repo → tag → manifest name. */
        final Map<String, Map<String, String>> tags = new TreeMap<>();
        /** repo → stored manifest names. */
        final Map<String, Set<String>> stored = new TreeMap<>();
        /** repo → linked blob names. */
        final Map<String, Set<String>> links = new TreeMap<>();
        /** Blobs with a row and bytes. */
        final Set<String> blobs = new TreeSet<>();

        Model(Universe u) {
            this.u = u;
            for (String r : REPOS) {
                tags.put(r, new TreeMap<>());
                stored.put(r, new TreeSet<>());
                links.put(r, new TreeSet<>());
            }
        }

        /** A copy to try things on. */
        Model copy() {
            Model c = new Model(u);
            for (String r : REPOS) {
                c.tags.get(r).putAll(tags.get(r));
                c.stored.get(r).addAll(stored.get(r));
                c.links.get(r).addAll(links.get(r));
            }
            c.blobs.addAll(blobs);
            return c;
        }

        /** The manifests an eager collection would delete now, as "repo name". */
        Set<String> collectableManifests() {
            Model after = copy();
            after.collect(Mode.EAGER);
            Set<String> gone = new TreeSet<>();
            for (String r : REPOS) {
                stored.get(r).stream().filter(m -> !after.stored.get(r).contains(m)).forEach(m -> gone.add(r + " " + m));
            }
            return gone;
        }

        void link(String repo, String blob) {
            links.get(repo).add(blob);
            blobs.add(blob);
        }

        /** Whether a PUT of the manifest finds what it requires in the repository. */
        boolean canPut(String repo, String manifest) {
            Item m = u.manifest(manifest);
            return links.get(repo).containsAll(m.blobs) && stored.get(repo).containsAll(m.children);
        }

        void put(String repo, String manifest, String tag) {
            stored.get(repo).add(manifest);
            if (tag != null) {
                tags.get(repo).put(tag, manifest);
            }
        }

        boolean delete(String repo, String manifest) {
            tags.get(repo).values().removeIf(manifest::equals);
            return stored.get(repo).remove(manifest);
        }

        /** A collection with the mode's rules, as the README states them. */
        void collect(Mode mode) {
            if (mode == Mode.PATIENT) {
                return;
            }
            if (mode == Mode.EAGER) {
                // untagged manifests, until nothing more goes: kept are the tagged, children of
                // an index stored in the repository, referrers of a subject stored there
                boolean more = true;
                while (more) {
                    more = false;
                    for (String r : REPOS) {
                        Set<String> keep = new HashSet<>(tags.get(r).values());
                        for (String m : stored.get(r)) {
                            keep.addAll(u.manifest(m).children);
                            String subject = u.manifest(m).subject;
                            if (subject != null && stored.get(r).contains(subject)) {
                                keep.add(m);
                            }
                        }
                        more |= stored.get(r).retainAll(keep);
                    }
                }
            }
            // links no manifest of their repository names
            for (String r : REPOS) {
                Set<String> named = new HashSet<>();
                stored.get(r).forEach(m -> named.addAll(u.manifest(m).blobs));
                links.get(r).retainAll(named);
            }
            // blobs neither linked nor named anywhere
            Set<String> live = new HashSet<>();
            for (String r : REPOS) {
                live.addAll(links.get(r));
                stored.get(r).forEach(m -> live.addAll(u.manifest(m).blobs));
            }
            blobs.retainAll(live);
        }

        @Override
        public String toString() {
            return "tags " + tags + ", manifests " + stored + ", links " + links + ", blobs " + blobs;
        }
    }

    // --- running a sequence ---

    /** Runs one sequence against the target: the commands, the checks, and a cleanup that must leave nothing. */
    static void run(Target target, List<Cmd> commands) throws Exception {
        new Run(target).run(commands);
    }

    private static final class Run {
        private final Target target;
        private final HttpClient http = HttpClient.newHttpClient();
        private final Universe u = new Universe();
        private final Model model = new Model(u);
        private final String prefix = "gcprop" + SEQUENCES.incrementAndGet() + "/";
        private final List<String> done = new ArrayList<>();

        Run(Target target) {
            this.target = target;
        }

        void run(List<Cmd> commands) throws Exception {
            for (Cmd c : commands) {
                done.add(c.toString());
                apply(c);
                if (c instanceof Gc || c instanceof GcEverywhere) {
                    check();
                }
            }
            done.add("final gc EAGER");
            gc(0, Mode.EAGER);
            check();
            // then everything goes: what the sequence left must all be collectable
            done.add("cleanup: delete every manifest and link, gc EAGER");
            for (String r : REPOS) {
                for (String m : List.copyOf(model.stored.get(r))) {
                    assertThat(delete(0, r, "manifests/" + u.manifest(m).digest)).as(trace()).isEqualTo(202);
                    model.delete(r, m);
                }
                for (String b : List.copyOf(model.links.get(r))) {
                    assertThat(delete(0, r, "blobs/" + digest(u.blobs.get(b)))).as(trace()).isEqualTo(202);
                    model.links.get(r).remove(b);
                }
            }
            gc(0, Mode.EAGER);
            check();
            assertThat(model.blobs).isEmpty();
        }

        private String trace() {
            return String.join("; ", done) + "\n  model: " + model;
        }

        private void apply(Cmd c) throws Exception {
            if (c instanceof Push p) {
                push(p.on(), p.repo(), p.manifest(), p.tag(), true);
            } else if (c instanceof PushDuringGc p) {
                // What is collectable now the concurrent run may delete, or not: gone for good if
                // it did, even if the push then protects it (a referrer whose subject the push
                // stores, found without a subject by the run). Which one happened is read back
                // after; everything else must come out as the model says.
                Set<String> mayGo = model.collectableManifests();
                int gcOn = (p.on() + 1) % target.replicas().size();
                java.util.concurrent.CompletableFuture<GarbageCollector.Report> running = target.replicas().get(gcOn)
                        .collectGarbage(false, Mode.EAGER.settings).toFuture();
                push(p.on(), p.repo(), p.manifest(), p.tag(), false);
                assertThat(running.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                        .as("the previous run had not ended").isNotNull();
                for (String rm : mayGo) {
                    String[] parts = rm.split(" ");
                    Item m = u.manifest(parts[1]);
                    if (getBytes(0, "/v2/" + prefix + parts[0] + "/manifests/" + m.digest, m.mediaType).statusCode() == 404) {
                        model.delete(parts[0], parts[1]);
                    }
                }
                gc(0, Mode.EAGER);
            } else if (c instanceof Tag t) {
                boolean ok = model.canPut(t.repo(), t.manifest());
                expectPut(t.on(), t.repo(), t.manifest(), t.tag(), ok);
                if (ok) {
                    model.put(t.repo(), t.manifest(), t.tag());
                }
            } else if (c instanceof Untag t) {
                boolean had = model.tags.get(t.repo()).remove(t.tag()) != null;
                assertThat(delete(t.on(), t.repo(), "manifests/" + t.tag())).as(trace()).isEqualTo(had ? 202 : 404);
            } else if (c instanceof DeleteManifest d) {
                boolean had = model.delete(d.repo(), d.manifest());
                assertThat(delete(d.on(), d.repo(), "manifests/" + u.manifest(d.manifest()).digest)).as(trace())
                        .isEqualTo(had ? 202 : 404);
            } else if (c instanceof DeleteBlob d) {
                boolean had = model.links.get(d.repo()).remove(d.blob());
                assertThat(delete(d.on(), d.repo(), "blobs/" + digest(u.blobs.get(d.blob())))).as(trace())
                        .isEqualTo(had ? 202 : 404);
            } else if (c instanceof PushBlob p) {
                pushBlobs(p.on(), p.repo(), List.of(p.blob()));
            } else if (c instanceof Mount m) {
                boolean there = model.links.get(other(m.repo())).contains(m.blob());
                HttpResponse<String> r = send(HttpRequest.newBuilder(uri(m.on(), "/v2/" + prefix + m.repo()
                        + "/blobs/uploads/?mount=" + digest(u.blobs.get(m.blob())) + "&from=" + prefix
                        + other(m.repo()))).POST(HttpRequest.BodyPublishers.noBody()));
                assertThat(r.statusCode()).as(trace()).isEqualTo(there ? 201 : 202);
                if (there) {
                    model.link(m.repo(), m.blob());
                } else {
                    // not mountable: an upload was started instead; cancel it
                    URI upload = uri(m.on(), "/").resolve(r.headers().firstValue("Location").orElseThrow());
                    assertThat(send(HttpRequest.newBuilder(upload).DELETE()).statusCode()).as(trace()).isEqualTo(204);
                }
            } else if (c instanceof Gc g) {
                gc(g.on(), g.mode());
            } else if (c instanceof GcEverywhere) {
                List<Mono<GarbageCollector.Report>> runs = target.replicas().stream()
                        .map(r -> r.collectGarbage(false, Mode.EAGER.settings)).toList();
                List<GarbageCollector.Report> reports = Flux.merge(runs).collectList().block(TIMEOUT);
                assertThat(reports).as("a run had not ended").hasSize(runs.size());
                model.collect(Mode.EAGER);
            } else {
                throw new IllegalArgumentException(String.valueOf(c));
            }
        }

        private void gc(int on, Mode mode) {
            GarbageCollector.Report report = target.replicas().get(on).collectGarbage(false, mode.settings).block(TIMEOUT);
            assertThat(report).as("the previous run had not ended").isNotNull();
            collect("collections", (report.manifests() > 0 ? "manifests " : "")
                    + (report.links() > 0 ? "links " : "") + (report.blobs() > 0 ? "blobs" : "")
                    + (report.manifests() + report.links() + report.blobs() == 0 ? "nothing" : ""));
            model.collect(mode);
        }

        /**
         * Pushes the manifest's blobs, its children (blobs, then the child by digest) and the
         * manifest; strict: every request must succeed; else (a collection runs meanwhile) each
         * may fail cleanly, and the model takes what succeeded.
         */
        private void push(int on, String repo, String manifest, String tag, boolean strict) throws Exception {
            Item m = u.manifest(manifest);
            boolean all = true;
            for (String child : m.children) {
                Item ci = u.manifest(child);
                all &= pushBlobs(on, repo, ci.blobs, strict);
                if (put(on, repo, child, ci.digest, strict)) {
                    model.put(repo, child, null);
                } else {
                    all = false;
                }
            }
            all &= pushBlobs(on, repo, m.blobs, strict);
            boolean stored = put(on, repo, manifest, tag == null ? m.digest : tag, strict);
            if (stored) {
                model.put(repo, manifest, tag);
            }
            if (!strict) {
                collect("pushes during a collection", all && stored ? "all requests succeeded"
                        : stored ? "a blob push was refused (503), the manifest stored" : "the manifest was refused");
            }
        }

        private void pushBlobs(int on, String repo, List<String> names) throws Exception {
            pushBlobs(on, repo, names, true);
        }

        /** @return whether every push succeeded */
        private boolean pushBlobs(int on, String repo, List<String> names, boolean strict) throws Exception {
            boolean all = true;
            for (String name : names) {
                byte[] blob = u.blobs.get(name);
                HttpRequest.Builder request = HttpRequest.newBuilder(uri(on, "/v2/" + prefix + repo
                                + "/blobs/uploads/?digest=" + digest(blob)))
                        .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(blob));
                HttpResponse<String> r = strict ? send(request) : http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 201) {
                    // a commit that met the collector deleting the same digest may be refused as
                    // retryable (503), cleanly; nothing else
                    assertThat(r.statusCode()).as(trace() + "\n  push " + name + ": " + r.body())
                            .isEqualTo(strict ? 201 : 503);
                    assertThat(r.body()).contains("\"errors\"");
                    all = false;
                    continue;
                }
                model.link(repo, name);
            }
            return all;
        }

        /** A PUT that must succeed (strict) or may fail for a reference the collector took meanwhile. */
        private boolean put(int on, String repo, String manifest, String reference, boolean strict) throws Exception {
            if (strict) {
                expectPut(on, repo, manifest, reference, true);
                return true;
            }
            Item m = u.manifest(manifest);
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri(on, "/v2/" + prefix + repo + "/manifests/" + reference))
                    .header("Content-Type", m.mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(m.bytes)));
            if (r.statusCode() != 201) {
                assertThat(r.statusCode()).as(trace() + "\n  PUT " + manifest + ": " + r.body()).isEqualTo(400);
                assertThat(r.body()).contains("MANIFEST_BLOB_UNKNOWN");
            }
            return r.statusCode() == 201;
        }

        private void expectPut(int on, String repo, String manifest, String reference, boolean ok) throws Exception {
            Item m = u.manifest(manifest);
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri(on, "/v2/" + prefix + repo + "/manifests/" + reference))
                    .header("Content-Type", m.mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(m.bytes)));
            if (ok) {
                assertThat(r.statusCode()).as(trace() + "\n  PUT " + manifest + ": " + r.body()).isEqualTo(201);
                assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(m.digest);
            } else {
                assertThat(r.statusCode()).as(trace() + "\n  PUT " + manifest + ": " + r.body()).isEqualTo(400);
                assertThat(r.body()).contains("MANIFEST_BLOB_UNKNOWN");
            }
        }

        private int delete(int on, String repo, String path) throws Exception {
            return send(HttpRequest.newBuilder(uri(on, "/v2/" + prefix + repo + "/" + path)).DELETE()).statusCode();
        }

        // --- the checks ---

        /** The registry holds exactly the model, on every replica, in the database and in storage. */
        private void check() throws Exception {
            String why = trace();
            for (int on = 0; on < target.replicas().size(); on++) {
                for (String r : REPOS) {
                    checkRepository(on, r, why);
                }
            }
            checkRows(why);
            checkFiles(why);
        }

        private void checkRepository(int on, String r, String why) throws Exception {
            String repo = prefix + r;
            HttpResponse<String> list = send(HttpRequest.newBuilder(uri(on, "/v2/" + repo + "/tags/list")));
            Set<String> tags = new TreeSet<>();
            if (list.statusCode() == 200) {
                JsonNode names = JSON.readTree(list.body()).path("tags");
                names.forEach(n -> tags.add(n.asText()));
            } else {
                assertThat(list.statusCode()).as(why + "\n  tags list of " + r).isEqualTo(404);
            }
            assertThat(tags).as(why + "\n  tags of " + r).isEqualTo(model.tags.get(r).keySet());
            for (Map.Entry<String, String> t : model.tags.get(r).entrySet()) {
                Item m = u.manifest(t.getValue());
                HttpResponse<byte[]> got = getBytes(on, "/v2/" + repo + "/manifests/" + t.getKey(), m.mediaType);
                assertThat(got.statusCode()).as(why + "\n  pull " + r + ":" + t.getKey()).isEqualTo(200);
                assertThat(got.body()).as(why + "\n  pull " + r + ":" + t.getKey()).isEqualTo(m.bytes);
                assertThat(got.headers().firstValue("Docker-Content-Digest")).hasValue(m.digest);
            }
            for (Item m : u.manifests.values()) {
                HttpResponse<byte[]> got = getBytes(on, "/v2/" + repo + "/manifests/" + m.digest, m.mediaType);
                if (model.stored.get(r).contains(m.name)) {
                    assertThat(got.statusCode()).as(why + "\n  pull " + r + "@" + m.name + " (kept)").isEqualTo(200);
                    assertThat(got.body()).as(why + "\n  pull " + r + "@" + m.name).isEqualTo(m.bytes);
                    // and every blob it names is still stored, whole (linked or not)
                    for (String b : m.blobs) {
                        assertThat(model.blobs).as(why + "\n  the model lost a blob of " + m.name).contains(b);
                    }
                } else {
                    assertThat(got.statusCode()).as(why + "\n  pull " + r + "@" + m.name + " (gone)").isEqualTo(404);
                }
            }
            for (Map.Entry<String, byte[]> b : u.blobs.entrySet()) {
                HttpResponse<byte[]> got = getBytes(on, "/v2/" + repo + "/blobs/" + digest(b.getValue()), null);
                if (model.links.get(r).contains(b.getKey())) {
                    assertThat(got.statusCode()).as(why + "\n  blob " + r + " " + b.getKey() + " (linked)").isEqualTo(200);
                    assertThat(digest(got.body())).as(why + "\n  blob " + r + " " + b.getKey())
                            .isEqualTo(digest(b.getValue()));
                } else {
                    assertThat(got.statusCode()).as(why + "\n  blob " + r + " " + b.getKey() + " (not linked)")
                            .isEqualTo(404);
                }
            }
        }

        /** Rows of this sequence's repositories and content: exactly the model's. */
        private void checkRows(String why) throws Exception {
            Set<String> manifests = new TreeSet<>();
            Set<String> tags = new TreeSet<>();
            Set<String> links = new TreeSet<>();
            Set<String> blobs = new TreeSet<>();
            Map<String, String> manifestNames = new TreeMap<>();
            u.manifests.values().forEach(m -> manifestNames.put(m.digest, m.name));
            try (Connection c = target.jdbc()) {
                for (String[] row : rows(c, "SELECT repository, digest FROM manifests WHERE repository LIKE ?", 2)) {
                    manifests.add(row[0].substring(prefix.length()) + " " + manifestNames.get(row[1]));
                }
                for (String[] row : rows(c, "SELECT repository, name, digest FROM tags WHERE repository LIKE ?", 3)) {
                    tags.add(row[0].substring(prefix.length()) + ":" + row[1] + " " + manifestNames.get(row[2]));
                }
                for (String[] row : rows(c, "SELECT repository, digest FROM repository_blobs WHERE repository LIKE ?", 2)) {
                    links.add(row[0].substring(prefix.length()) + " " + u.blobByDigest.get(row[1]));
                }
                try (PreparedStatement s = c.prepareStatement("SELECT digest FROM blobs"); ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        String name = u.blobByDigest.get(rs.getString(1));
                        if (name != null) {
                            blobs.add(name);
                        }
                    }
                }
            }
            Set<String> wantManifests = new TreeSet<>();
            Set<String> wantTags = new TreeSet<>();
            Set<String> wantLinks = new TreeSet<>();
            for (String r : REPOS) {
                model.stored.get(r).forEach(m -> wantManifests.add(r + " " + m));
                model.tags.get(r).forEach((t, m) -> wantTags.add(r + ":" + t + " " + m));
                model.links.get(r).forEach(b -> wantLinks.add(r + " " + b));
            }
            assertThat(manifests).as(why + "\n  manifest rows").isEqualTo(wantManifests);
            assertThat(tags).as(why + "\n  tag rows").isEqualTo(wantTags);
            assertThat(links).as(why + "\n  link rows").isEqualTo(wantLinks);
            assertThat(blobs).as(why + "\n  blob rows").isEqualTo(model.blobs);
        }

        private List<String[]> rows(Connection c, String sql, int columns) throws Exception {
            List<String[]> rows = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, prefix + "%");
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        String[] row = new String[columns];
                        for (int i = 0; i < columns; i++) {
                            row[i] = rs.getString(i + 1);
                        }
                        rows.add(row);
                    }
                }
            }
            return rows;
        }

        /** Storage files of this sequence's blobs: exactly the model's, each hashing to its name. */
        private void checkFiles(String why) throws Exception {
            Set<String> files = new TreeSet<>();
            for (Map.Entry<String, byte[]> b : u.blobs.entrySet()) {
                String hex = digest(b.getValue()).substring("sha256:".length());
                Path file = target.root().resolve("storage/blobs/sha256/" + hex.substring(0, 2) + "/" + hex);
                if (Files.exists(file)) {
                    files.add(b.getKey());
                    assertThat(digest(Files.readAllBytes(file))).as(why + "\n  stored bytes of " + b.getKey())
                            .isEqualTo(digest(b.getValue()));
                }
            }
            assertThat(files).as(why + "\n  stored files").isEqualTo(model.blobs);
        }

        // --- HTTP ---

        private URI uri(int on, String path) {
            return URI.create("http://127.0.0.1:" + target.replicas().get(on).port() + path);
        }

        private HttpResponse<byte[]> getBytes(int on, String path, String accept) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(on, path));
            if (accept != null) {
                b.header("Accept", accept);
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 400) {
                assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(path).contains("\"errors\"");
            }
            return r;
        }

        private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 400) {
                // every refusal is an OCI error body, never a 500
                assertThat(r.statusCode()).as(trace() + "\n  " + r.body()).isLessThan(500);
                assertThat(r.body()).as(r.statusCode() + " " + r.body()).contains("\"errors\"");
            }
            return r;
        }
    }

    // --- content helpers ---

    static String descriptor(String type, byte[] content) {
        return "{\"mediaType\":\"" + type + "\",\"digest\":\"" + digest(content) + "\",\"size\":" + content.length + "}";
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String digest(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
