package io.openregistry.auth;

/**
 * Who makes a registry API request, as far as handlers need to know: in open mode
 * ({@code auth.enabled: false}) everyone may do everything; otherwise the verified claims of the
 * request's access token say what it may do. The access guard puts exactly one Caller into the
 * Reactor context of every request ({@code ctx.get(Caller.class)}); a handler that needs it and
 * finds none fails, rather than defaulting to open.
 */
public final class Caller {
    /** Open mode. */
    public static final Caller OPEN = new Caller(null);

    private final AccessClaims claims;

    private Caller(AccessClaims claims) {
        this.claims = claims;
    }

    /** A caller whose token verified with these claims. */
    public static Caller of(AccessClaims claims) {
        return new Caller(java.util.Objects.requireNonNull(claims, "claims"));
    }

    /** Whether this caller may {@code action} on the repository {@code name}. */
    public boolean mayOnRepository(String name, String action) {
        return claims == null || claims.covers(Scope.REPOSITORY, name, action);
    }

    /** Whether this is open mode, where the catalog lists everything. */
    public boolean open() {
        return claims == null;
    }

    /**
     * The account or robot behind the token (a robot's full name {@code <namespace>+<short>}), or
     * null for an anonymous token or open mode.
     */
    public String username() {
        return claims == null || claims.subject().isEmpty() ? null : claims.subject();
    }

    /** Whether the token is a robot's. */
    public boolean robot() {
        return Principal.isRobotName(username());
    }

    /** Whether the token is a registry admin's. */
    public boolean admin() {
        return claims != null && claims.admin();
    }
}
