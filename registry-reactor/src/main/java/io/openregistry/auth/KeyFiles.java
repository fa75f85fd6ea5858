package io.openregistry.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;

/** The on-disk form of a {@link KeyRing}: PEM files in one directory (see KeyRing's Javadoc). */
final class KeyFiles {
    private static final String ACTIVE = "active";
    private static final String PRIVATE_SUFFIX = ".private.pem";
    private static final String PUBLIC_SUFFIX = ".public.pem";
    private static final String PRIVATE_LABEL = "PRIVATE KEY";
    private static final String PUBLIC_LABEL = "PUBLIC KEY";

    private KeyFiles() {}

    static boolean exists(Path directory) {
        return Files.isRegularFile(directory.resolve(ACTIVE));
    }

    static KeyRing load(Path directory) throws IOException {
        String activeKid = Files.readString(directory.resolve(ACTIVE), StandardCharsets.US_ASCII).trim();
        KeyRing.requireKid(activeKid);
        AsymmetricKeyParameter privateKey = PrivateKeyFactory.createKey(
                readPem(directory.resolve(activeKid + PRIVATE_SUFFIX), PRIVATE_LABEL));
        if (!(privateKey instanceof Ed25519PrivateKeyParameters active)) {
            throw new IOException("signing key " + activeKid + " is not an Ed25519 key");
        }
        Map<String, Ed25519PublicKeyParameters> publicKeys = new LinkedHashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + PUBLIC_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String kid = name.substring(0, name.length() - PUBLIC_SUFFIX.length());
                if (!KeyRing.KID.matcher(kid).matches()) {
                    continue; // not one of ours
                }
                AsymmetricKeyParameter key = PublicKeyFactory.createKey(readPem(file, PUBLIC_LABEL));
                if (!(key instanceof Ed25519PublicKeyParameters publicKey)) {
                    throw new IOException("verification key " + kid + " is not an Ed25519 key");
                }
                publicKeys.put(kid, publicKey);
            }
        }
        // the active public key is always derived from the private key, never trusted from disk
        return new KeyRing(activeKid, active, publicKeys);
    }

    static void save(Path directory, KeyRing.Snapshot ring) throws IOException {
        Files.createDirectories(directory);
        String activeKid = ring.activeKid();
        writePem(directory.resolve(activeKid + PRIVATE_SUFFIX), PRIVATE_LABEL,
                PrivateKeyInfoFactory.createPrivateKeyInfo(ring.activeKey()).getEncoded(), true);
        for (Map.Entry<String, Ed25519PublicKeyParameters> key : ring.publicKeys().entrySet()) {
            writePem(directory.resolve(key.getKey() + PUBLIC_SUFFIX), PUBLIC_LABEL,
                    SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(key.getValue()).getEncoded(), false);
        }
        // the marker goes last: until it names the new key, a crash leaves the old ring loadable
        writeAtomically(directory.resolve(ACTIVE), (activeKid + "\n").getBytes(StandardCharsets.US_ASCII), false);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.pem")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                boolean stalePrivate = name.endsWith(PRIVATE_SUFFIX) && !name.equals(activeKid + PRIVATE_SUFFIX);
                boolean stalePublic = name.endsWith(PUBLIC_SUFFIX)
                        && !ring.publicKeys().containsKey(name.substring(0, name.length() - PUBLIC_SUFFIX.length()));
                if (stalePrivate || stalePublic) {
                    Files.delete(file);
                }
            }
        }
    }

    private static byte[] readPem(Path file, String label) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IOException(file + ": not a PEM " + label);
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": bad PEM base64", e);
        }
    }

    private static void writePem(Path file, String label, byte[] der, boolean secret) throws IOException {
        String pem = "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
        writeAtomically(file, pem.getBytes(StandardCharsets.US_ASCII), secret);
    }

    /** Temp file + rename, so a reader never sees half a key; a secret is never readable by others. */
    private static void writeAtomically(Path file, byte[] content, boolean secret) throws IOException {
        Path dir = file.getParent();
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        // the permission is set at creation, so the secret is never briefly world-readable
        FileAttribute<?>[] attributes = posix && secret
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        Path temp = Files.createTempFile(dir, ".tmp-", ".pem", attributes);
        try {
            Files.write(temp, content);
            if (posix && !secret) {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
