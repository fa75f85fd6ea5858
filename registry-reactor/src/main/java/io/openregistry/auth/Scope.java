package io.openregistry.auth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A requested or required access scope of the Docker token protocol:
 * {@code <type>:<name>:<action>[,<action>...]}, e.g. {@code repository:alice/app:pull,push} or
 * {@code registry:catalog:*}. The name is everything between the first and the last colon.
 */
public record Scope(String type, String name, List<String> actions) {
    public static final String REPOSITORY = "repository";
    public static final String REGISTRY = "registry";
    public static final String CATALOG = "catalog";
    public static final String PULL = "pull";
    public static final String PUSH = "push";
    public static final String DELETE = "delete";
    public static final String ALL = "*";
    /** The scope a catalog request needs. */
    public static final Scope CATALOG_SCOPE = new Scope(REGISTRY, CATALOG, List.of(ALL));

    public Scope {
        actions = List.copyOf(actions);
    }

    /** The scope of a request on a repository. */
    public static Scope repository(String name, String... actions) {
        return new Scope(REPOSITORY, name, List.of(actions));
    }

    /**
     * Parses the values of {@code scope} parameters; each value may hold several scopes separated
     * by spaces (the OAuth2 form). Malformed entries are skipped: a token grants only what it can
     * read, and a client asking nonsense simply gets nothing for it.
     */
    public static List<Scope> parseAll(List<String> values) {
        List<Scope> scopes = new ArrayList<>();
        if (values == null) {
            return scopes;
        }
        for (String value : values) {
            for (String item : value.trim().split(" +")) {
                Scope scope = parse(item);
                if (scope != null) {
                    scopes.add(scope);
                }
            }
        }
        return scopes;
    }

    /** One scope, or null when malformed. A resource class ({@code repository(plugin)}) is ignored. */
    static Scope parse(String text) {
        int first = text.indexOf(':');
        int last = text.lastIndexOf(':');
        if (first <= 0 || last <= first + 1 || last == text.length() - 1) {
            return null;
        }
        String type = text.substring(0, first);
        int paren = type.indexOf('(');
        if (paren > 0 && type.endsWith(")")) {
            type = type.substring(0, paren);
        }
        Set<String> actions = new LinkedHashSet<>();
        for (String action : text.substring(last + 1).split(",")) {
            if (!action.isEmpty()) {
                actions.add(action);
            }
        }
        if (actions.isEmpty()) {
            return null;
        }
        return new Scope(type, text.substring(first + 1, last), List.copyOf(actions));
    }

    /** The wire form, as in a challenge's {@code scope} parameter. */
    @Override
    public String toString() {
        return type + ":" + name + ":" + String.join(",", actions);
    }
}
