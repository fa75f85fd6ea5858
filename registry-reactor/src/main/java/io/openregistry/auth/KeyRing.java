package io.openregistry.auth;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * The token signing keys: exactly one active Ed25519 private key that signs new tokens, and the
 * public keys, by key id, of every key whose tokens are still accepted. The active key's public
 * key is always among them.
 *
 * <p>Rotation: {@link #rotate()} makes a fresh key active and keeps the previous one as
 * verify-only, so tokens it signed stay valid until {@link #remove(String) removed} (in practice,
 * once the longest token lifetime has passed). Readers see a consistent snapshot at all times;
 * changes are serialised.
 *
 * <p>Persistence ({@link #save}, {@link #load}): one directory holding {@code <kid>.public.pem}
 * (X.509 SubjectPublicKeyInfo) per key, {@code <kid>.private.pem} (PKCS#8, mode 600 where the file
 * system has POSIX permissions) for the active key only, and a file {@code active} naming the
 * active key id.
 */
public final class KeyRing {
    /** Key ids are file-name and JSON safe by construction: base64url characters only. */
    static final Pattern KID = Pattern.compile("[A-Za-z0-9_-]{1,64}");


    /**
     * One immutable view; replaced as a whole so that readers never see a half-made change. The
     * version grows with every replacement, so a cache of tokens verified under one view can tell
     * that the keys have changed since.
     */
    record Snapshot(String activeKid, Ed25519PrivateKeyParameters activeKey,
                    Map<String, Ed25519PublicKeyParameters> publicKeys, long version) {}

    private volatile Snapshot snapshot;

    KeyRing(String activeKid, Ed25519PrivateKeyParameters activeKey,
            Map<String, Ed25519PublicKeyParameters> publicKeys) {
        Map<String, Ed25519PublicKeyParameters> keys = new LinkedHashMap<>(publicKeys);
        keys.put(requireKid(activeKid), activeKey.generatePublicKey());
        this.snapshot = new Snapshot(activeKid, activeKey, Collections.unmodifiableMap(keys), 0);
    }

    /** A ring holding one freshly generated key. */
    public static KeyRing generate() {
        return new KeyRing(newKid(), new Ed25519PrivateKeyParameters(Randomness.RANDOM), Map.of());
    }

    /** Loads a ring saved by {@link #save}. */
    public static KeyRing load(Path directory) throws IOException {
        return KeyFiles.load(directory);
    }

    /** Loads the ring in {@code directory}, or generates one and saves it there on first start. */
    public static KeyRing loadOrGenerate(Path directory) throws IOException {
        if (KeyFiles.exists(directory)) {
            return load(directory);
        }
        KeyRing ring = generate();
        ring.save(directory);
        return ring;
    }

    /**
     * Writes the ring to {@code directory} (created if missing) and deletes the key files there of
     * keys no longer in the ring, so that removal and rotation survive a restart.
     */
    public void save(Path directory) throws IOException {
        KeyFiles.save(directory, snapshot);
    }

    /** Makes a newly generated key active; the previous one keeps verifying. Returns the new id. */
    public synchronized String rotate() {
        Snapshot current = snapshot;
        String kid = newKid();
        Snapshot made = new KeyRing(kid, new Ed25519PrivateKeyParameters(Randomness.RANDOM), current.publicKeys()).snapshot;
        snapshot = new Snapshot(made.activeKid(), made.activeKey(), made.publicKeys(), current.version() + 1);
        return kid;
    }

    /**
     * Stops accepting tokens signed by {@code kid}.
     *
     * @throws IllegalArgumentException if {@code kid} is the active key (rotate first)
     */
    public synchronized void remove(String kid) {
        Snapshot current = snapshot;
        if (current.activeKid().equals(kid)) {
            throw new IllegalArgumentException("cannot remove the active signing key " + kid + "; rotate first");
        }
        Map<String, Ed25519PublicKeyParameters> keys = new LinkedHashMap<>(current.publicKeys());
        keys.remove(kid);
        snapshot = new Snapshot(current.activeKid(), current.activeKey(), Collections.unmodifiableMap(keys),
                current.version() + 1);
    }

    /**
     * Takes over the keys of {@code loaded} (a reload of the key directory) unless they are the
     * ones this ring already holds. Returns whether anything changed.
     */
    synchronized boolean replace(KeyRing loaded) {
        Snapshot current = snapshot;
        Snapshot next = loaded.snapshot;
        if (sameKeys(current, next)) {
            return false;
        }
        snapshot = new Snapshot(next.activeKid(), next.activeKey(), next.publicKeys(), current.version() + 1);
        return true;
    }

    private static boolean sameKeys(Snapshot a, Snapshot b) {
        if (!a.activeKid().equals(b.activeKid())
                || !Arrays.equals(a.activeKey().getEncoded(), b.activeKey().getEncoded())
                || !a.publicKeys().keySet().equals(b.publicKeys().keySet())) {
            return false;
        }
        for (Map.Entry<String, Ed25519PublicKeyParameters> key : a.publicKeys().entrySet()) {
            if (!Arrays.equals(key.getValue().getEncoded(), b.publicKeys().get(key.getKey()).getEncoded())) {
                return false;
            }
        }
        return true;
    }

    /** Grows with every change of the keys (rotation, removal, reload): equal versions, equal keys. */
    public long version() {
        return snapshot.version();
    }

    /** The id of the key that signs new tokens. */
    public String activeKid() {
        return snapshot.activeKid();
    }

    /** The ids of every key whose tokens verify, the active one included. */
    public Set<String> kids() {
        return snapshot.publicKeys().keySet();
    }

    Snapshot snapshot() {
        return snapshot;
    }

    static String requireKid(String kid) {
        if (kid == null || !KID.matcher(kid).matches()) {
            throw new IllegalArgumentException("invalid key id: " + kid);
        }
        return kid;
    }

    private static String newKid() {
        return randomId();
    }

    /** 128 random bits, unpadded base64url: key ids and token ids (collisions are not a practical concern). */
    static String randomId() {
        return PasetoV4Public.base64Url(Randomness.bytes(16));
    }
}
