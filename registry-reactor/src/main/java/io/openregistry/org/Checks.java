package io.openregistry.org;

import io.openregistry.auth.Accounts;
import io.openregistry.metadata.OrgStore;
import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import java.util.Map;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;

/** The input rules (400s naming the field) and the refusals the management services share. */
public final class Checks {
    private static final Pattern TEAM = Pattern.compile("[a-z0-9._-]{1,64}");
    static final int MAX_PAGE = 1000;
    static final int DEFAULT_PAGE = 100;

    private Checks() {
    }

    static String username(String field, String value) {
        if (!Accounts.isValidUsername(value)) {
            throw invalid(field + " must be 1-" + Accounts.MAX_USERNAME + " characters forming one repository path "
                    + "component: a-z, 0-9, separated by '.', '_', '__' or '-'");
        }
        return value;
    }

    static String team(String field, String value) {
        if (value == null || !TEAM.matcher(value).matches()) {
            throw invalid(field + " must be 1-64 characters of a-z, 0-9, '.', '_', '-'");
        }
        return value;
    }

    static String repository(String field, String value) {
        if (!io.openregistry.oci.Names.isValidName(value)) {
            throw OciError.NAME_INVALID.exception(field + " is not a valid repository name: " + value);
        }
        return value;
    }

    /** A repository of {@code namespace}: its full name must start with {@code namespace/}. */
    static String repositoryIn(String field, String namespace, String value) {
        repository(field, value);
        if (!value.startsWith(namespace + "/")) {
            throw invalid(field + " must name repositories of " + namespace + " (" + namespace + "/...): " + value);
        }
        return value;
    }

    /** The page size of a listing: 100 when {@code n} is absent, 400 unless 1-1000. */
    public static int page(Integer n) {
        if (n == null) {
            return DEFAULT_PAGE;
        }
        if (n < 1 || n > MAX_PAGE) {
            throw OciError.PAGINATION_NUMBER_INVALID.exception("n must be 1-" + MAX_PAGE);
        }
        return n;
    }

    static OciException invalid(String message) {
        return OciError.INVALID_REQUEST.exception(message);
    }

    static OciException denied(String message) {
        return OciError.DENIED.exception(message);
    }

    static OciException unknownOrganization(String name) {
        return OciError.NOT_FOUND.exception("organization unknown: " + name).withDetail(Map.of("organization", name));
    }

    static OciException unknownRepository(String name) {
        return OciError.NAME_UNKNOWN.exception("repository unknown: " + name).withDetail(Map.of("name", name));
    }

    static OciException taken(String name) {
        return OciError.ALREADY_EXISTS.exception("name is not available: " + name);
    }

    /** The outcome of a change as the answer: DONE goes on, the rest become their errors. */
    static Mono<Void> outcome(OrgStore.Outcome outcome, String what) {
        return switch (outcome) {
            case DONE -> Mono.empty();
            case NOT_FOUND -> Mono.error(OciError.NOT_FOUND.exception(what + " not found"));
            case TAKEN -> Mono.error(OciError.ALREADY_EXISTS.exception(what + " exists already"));
            case LAST_OWNER -> Mono.error(OciError.LAST_OWNER.exception(
                    "an organization needs an owner: make another member an owner first"));
            case HOLDS_REPOSITORIES -> Mono.error(OciError.HOLDS_REPOSITORIES.exception(
                    "the namespace still holds repositories: delete them first, or ask with deleteRepositories=true"));
        };
    }
}
