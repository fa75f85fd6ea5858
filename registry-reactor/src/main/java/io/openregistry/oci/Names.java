package io.openregistry.oci;

import java.util.regex.Pattern;

/** The repository name and tag grammars of the OCI distribution specification. */
public final class Names {
    private static final Pattern NAME =
            Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    /** Hostname plus name must fit in 255 characters; like Distribution we bound the name itself. */
    public static final int MAX_NAME_LENGTH = 255;

    private Names() {
    }

    public static boolean isValidName(String name) {
        return name != null && name.length() <= MAX_NAME_LENGTH && NAME.matcher(name).matches();
    }

    public static String requireName(String name) {
        if (!isValidName(name)) {
            throw OciError.NAME_INVALID.exception("invalid repository name: " + name);
        }
        return name;
    }

    public static boolean isValidTag(String tag) {
        return tag != null && TAG.matcher(tag).matches();
    }

    public static String requireTag(String tag) {
        if (!isValidTag(tag)) {
            throw OciError.TAG_INVALID.exception("invalid tag: " + tag);
        }
        return tag;
    }
}
