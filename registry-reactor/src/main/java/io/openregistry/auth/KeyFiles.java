package io.openregistry.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
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
    /** A PEM Ed25519 key is about 120 bytes; anything much larger is not one. */
    private static final long MAX_FILE_BYTES = 64 * 1024;

    private KeyFiles() {}

    static boolean exists(Path directory) {
        return Files.isRegularFile(directory.resolve(ACTIVE));
    }

    static KeyRing load(Path directory) throws IOException {
        return parse(directory, read(directory));
    }

    /**
     * The raw text of the files a ring is made of, by file name: {@code active}, the active key's
     * private key and every {@code <kid>.public.pem}. Read through the directory listing each
     * time, so a Kubernetes Secret volume (whose entries are symlinks through {@code ..data},
     * swapped atomically on update) is seen as it is now. Equal contents mean an unchanged ring,
     * which is how a reload knows it has nothing to do.
     */
    record Contents(Map<String, String> files) {}

    static Contents read(Path directory) throws IOException {
        Map<String, String> files = new TreeMap<>();
        String active = readText(directory.resolve(ACTIVE));
        files.put(ACTIVE, active);
        String activeKid = active.trim();
        if (KeyRing.KID.matcher(activeKid).matches()) {
            files.put(activeKid + PRIVATE_SUFFIX, readText(directory.resolve(activeKid + PRIVATE_SUFFIX)));
        } // else parse names the bad file
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(directory, "*" + PUBLIC_SUFFIX)) {
            for (Path file : listing) {
                String name = file.getFileName().toString();
                if (!KeyRing.KID.matcher(kidOf(name)).matches()) {
                    continue; // not one of ours
                }
                try {
                    files.put(name, readText(file));
                } catch (NoSuchFileException e) {
                    // removed since the listing, or a Secret's symlink left dangling for a moment by
                    // its update: either way that key is gone
                }
            }
        }
        return new Contents(Collections.unmodifiableMap(files));
    }

    /** The ring that {@code contents} (from {@link #read}) describe; every problem names its file. */
    static KeyRing parse(Path directory, Contents contents) throws IOException {
        Map<String, String> files = contents.files();
        String activeKid = files.get(ACTIVE).trim();
        if (!KeyRing.KID.matcher(activeKid).matches()) {
            throw new IOException(directory.resolve(ACTIVE) + ": does not name a key id");
        }
        Path privateFile = directory.resolve(activeKid + PRIVATE_SUFFIX);
        if (!(parseKey(privateFile, files.get(activeKid + PRIVATE_SUFFIX), PRIVATE_LABEL)
                instanceof Ed25519PrivateKeyParameters active)) {
            throw new IOException(privateFile + ": signing key " + activeKid + " is not an Ed25519 key");
        }
        Map<String, Ed25519PublicKeyParameters> publicKeys = new LinkedHashMap<>();
        for (Map.Entry<String, String> file : files.entrySet()) {
            if (!file.getKey().endsWith(PUBLIC_SUFFIX)) {
                continue;
            }
            Path path = directory.resolve(file.getKey());
            if (!(parseKey(path, file.getValue(), PUBLIC_LABEL) instanceof Ed25519PublicKeyParameters publicKey)) {
                throw new IOException(path + ": verification key " + kidOf(file.getKey()) + " is not an Ed25519 key");
            }
            publicKeys.put(kidOf(file.getKey()), publicKey);
        }
        // the active public key is always derived from the private key, never trusted from disk
        return new KeyRing(activeKid, active, publicKeys);
    }

    private static String kidOf(String fileName) {
        return fileName.substring(0, fileName.length() - PUBLIC_SUFFIX.length());
    }

    private static AsymmetricKeyParameter parseKey(Path file, String text, String label) throws IOException {
        byte[] der = readPem(file, text, label);
        try {
            return label.equals(PRIVATE_LABEL) ? PrivateKeyFactory.createKey(der) : PublicKeyFactory.createKey(der);
        } catch (IOException | RuntimeException e) {
            // BouncyCastle's messages on bad DER name neither the file nor always the problem
            throw new IOException(file + ": not a valid " + label + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
    }

    /** A key file's text; a binary or oversized file is refused rather than read whole every reload. */
    private static String readText(Path file) throws IOException {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException(file + ": larger than " + MAX_FILE_BYTES + " bytes, not a key file");
            }
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not ASCII text, not a key file", e);
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().contains(file.toString()) ? e
                    : new IOException(file + ": " + e, e);
        }
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

    private static byte[] readPem(Path file, String text, String label) throws IOException {
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
