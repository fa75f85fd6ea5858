package io.openregistry.auth;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Keeps a {@link KeyRing} equal to its key directory while the registry runs, so that
 * {@code keys rotate}, {@code keys remove} or an updated Kubernetes Secret reach every replica
 * within one reload period, without a restart: the active key named by {@code active} signs the
 * next token, a new key's tokens verify, a removed key's tokens are refused.
 *
 * <p>Each pass reads the few small files through the directory listing (so a Secret volume's
 * atomic {@code ..data} swap is seen) and compares their text with what the ring was last loaded
 * from: unchanged text costs no parsing and no swap. Changed text is parsed with the same checks as
 * at start ({@link KeyFiles}); the ring's snapshot is replaced as a whole, atomically.
 *
 * <p>A directory that cannot be read or parsed (a half-written file, garbage named like a key, an
 * unreadable file) leaves the previous keys in use. It is logged at WARN, naming the file, once
 * per distinct problem, and only when the same problem is still there at the next pass: a Secret
 * update swaps {@code ..data} before it adds the new keys' entries, so a directory seen in the
 * middle of a change is not worth a warning, while one that stays broken is.
 */
public final class KeyReloader {
    private static final Logger log = LoggerFactory.getLogger(KeyReloader.class);

    private final KeyRing ring;
    private final Path directory;
    /** The text the ring was last loaded from; null when unknown (then the next pass parses). */
    private KeyFiles.Contents applied;
    /** A problem seen once, warned about if the next pass sees it again. */
    private Object pending;
    /** The problem last warned about, not repeated while it lasts. */
    private Object warned;

    private KeyReloader(KeyRing ring, Path directory, KeyFiles.Contents applied) {
        this.ring = ring;
        this.directory = directory;
        this.applied = applied;
    }

    /**
     * Loads the ring in {@code directory} (generated and saved there on first start, as
     * {@link KeyRing#loadOrGenerate}); blocking, for startup.
     */
    public static KeyReloader open(Path directory) throws IOException {
        KeyRing ring = KeyRing.loadOrGenerate(directory);
        KeyFiles.Contents contents;
        try {
            contents = KeyFiles.read(directory);
        } catch (IOException e) {
            contents = null; // changed since the load: the first pass sorts it out
        }
        return new KeyReloader(ring, directory, contents);
    }

    /** The ring this reloader keeps current. */
    public KeyRing ring() {
        return ring;
    }

    /**
     * One pass: reads the directory and, if its keys changed and parse, swaps them in. Blocking
     * file I/O: run it where blocking is allowed. Never throws; returns whether the keys changed.
     */
    public synchronized boolean reload() {
        KeyFiles.Contents contents;
        try {
            contents = KeyFiles.read(directory);
        } catch (IOException | RuntimeException e) {
            String message = e instanceof NoSuchFileException ? e.getMessage() + ": missing"
                    : java.util.Objects.requireNonNullElse(e.getMessage(), e.toString());
            return problem(message, message);
        }
        if (contents.equals(applied)) {
            pending = null;
            warned = null;
            return false;
        }
        KeyRing loaded;
        try {
            loaded = KeyFiles.parse(directory, contents);
        } catch (IOException | RuntimeException e) {
            return problem(contents, java.util.Objects.requireNonNullElse(e.getMessage(), e.toString()));
        }
        applied = contents;
        pending = null;
        warned = null;
        KeyRing.Snapshot before = ring.snapshot();
        if (!ring.replace(loaded)) {
            return false;
        }
        KeyRing.Snapshot after = ring.snapshot();
        List<String> added = new ArrayList<>(after.publicKeys().keySet());
        added.removeAll(before.publicKeys().keySet());
        List<String> removed = new ArrayList<>(before.publicKeys().keySet());
        removed.removeAll(after.publicKeys().keySet());
        log.info("token signing keys reloaded from {}: signing key {}, verifying {} (added {}, removed {})", directory,
                after.activeKid(), after.publicKeys().keySet(), added, removed);
        return true;
    }

    private boolean problem(Object key, String message) {
        if (key.equals(warned)) {
            return false;
        }
        if (key.equals(pending)) {
            pending = null;
            warned = key;
            log.warn("token signing keys in {} not reloaded, the previous keys stay in use: {}", directory, message);
        } else {
            pending = key;
            log.debug("token signing keys in {} not reloaded (warned if still so at the next pass): {}", directory,
                    message);
        }
        return false;
    }

    /**
     * A pass every {@code period}, each on {@code blocking} (the file reads); passes never overlap
     * and a late one is skipped rather than queued. Runs until cancelled. The timer runs on
     * {@code blocking} too, a scheduler the registry owns, rather than on Reactor's shared
     * parallel scheduler, whose lifecycle is the whole JVM's.
     */
    public Flux<Boolean> every(Duration period, Scheduler blocking) {
        return Flux.interval(period, period, blocking)
                .onBackpressureDrop()
                .concatMap(tick -> Mono.fromCallable(this::reload)
                        .subscribeOn(blocking)
                        .onErrorResume(e -> {
                            log.warn("reloading the token signing keys in {} failed", directory, e);
                            return Mono.empty();
                        }), 1);
    }
}
