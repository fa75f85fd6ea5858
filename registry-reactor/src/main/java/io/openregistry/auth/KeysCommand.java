package io.openregistry.auth;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code openregistry keys list|rotate|remove <kid>}: the operator's tool for the token signing
 * keys in {@code auth.keysDir}. Running registries read the directory again every
 * {@code auth.keysReloadSeconds} ({@link KeyReloader}), so a change reaches every replica sharing the
 * directory within that period, without a restart (with the reload off, at their next start). Each
 * file is written atomically and {@code active} last, so a registry reading meanwhile sees the old
 * ring or the new one.
 * <ul>
 *   <li>{@code list}: the key ids, the active one marked;</li>
 *   <li>{@code rotate}: a new active key; the previous one keeps verifying the tokens it signed;</li>
 *   <li>{@code remove <kid>}: stop accepting a retired key's tokens (not the active key).</li>
 * </ul>
 */
public final class KeysCommand {
    private KeysCommand() {
    }

    /** Runs the command; returns the process exit status (0 ok, 2 usage or failure, with a message on {@code err}). */
    public static int run(String[] args, Path keysDir, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("usage: openregistry keys list|rotate|remove <kid> [--config FILE]");
            return 2;
        }
        try {
            switch (args[0]) {
                case "list" -> {
                    KeyRing ring = KeyRing.load(keysDir);
                    for (String kid : ring.kids()) {
                        out.println(kid + (kid.equals(ring.activeKid()) ? "  (active)" : ""));
                    }
                }
                case "rotate" -> {
                    KeyRing ring = KeyRing.loadOrGenerate(keysDir);
                    String kid = ring.rotate();
                    ring.save(keysDir);
                    out.println("new active signing key " + kid + " in " + keysDir
                            + "; running registries sign with it after their next key reload (auth.keysReloadSeconds)"
                            + "; older keys keep verifying until removed");
                }
                case "remove" -> {
                    if (args.length != 2) {
                        err.println("usage: openregistry keys remove <kid>");
                        return 2;
                    }
                    KeyRing ring = KeyRing.load(keysDir);
                    if (!ring.kids().contains(args[1])) {
                        err.println("openregistry: no key " + args[1] + " in " + keysDir);
                        return 2;
                    }
                    ring.remove(args[1]);
                    ring.save(keysDir);
                    out.println("removed key " + args[1] + "; running registries refuse the tokens it signed after their"
                            + " next key reload (auth.keysReloadSeconds)");
                }
                default -> {
                    err.println("openregistry: unknown keys command '" + args[0] + "' (list, rotate, remove <kid>)");
                    return 2;
                }
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("openregistry: keys in " + keysDir + ": " + e.getMessage());
            return 2;
        }
    }
}
