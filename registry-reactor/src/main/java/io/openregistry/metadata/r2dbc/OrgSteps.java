package io.openregistry.metadata.r2dbc;

import io.r2dbc.spi.Connection;
import reactor.core.publisher.Mono;

/** Steps inside the transactions of Org mode that several of its parts take. */
final class OrgSteps {
    private OrgSteps() {
    }

    /** Locks the organization's row until the end of the transaction; false when there is none. */
    static Mono<Boolean> lockOrganization(Connection conn, String organization) {
        return Db.query(conn, "SELECT name FROM organizations WHERE name = $1 FOR UPDATE", row -> true, organization)
                .hasElements();
    }

    /** Whether {@code sql} finds a row. */
    static Mono<Boolean> exists(Connection conn, String sql, Object... args) {
        return Db.query(conn, sql, row -> true, args).hasElements();
    }

    /** Whether the namespace holds a repository. */
    static Mono<Boolean> holdsRepositories(Connection conn, String namespace) {
        return Db.query(conn, "SELECT 1 FROM repositories WHERE namespace = $1 LIMIT 1", row -> true, namespace).hasElements();
    }

    /**
     * Deletes a namespace's row, which takes its organization (members, teams with their members
     * and listings) and robots with it (the foreign keys' cascades), the grants on repositories of
     * the namespace, which may outlive the repositories they name, and its audit log, which a next
     * owner of the name must not read.
     */
    static Mono<Void> dropNamespace(Connection conn, String name) {
        // the names "ns/..." are exactly those between "ns/" and "ns0" ('0' follows '/'): a range of
        // the primary key, where LEFT(repository, n) = 'ns/' would scan every grant
        return Db.update(conn, "DELETE FROM repository_grants WHERE repository > $1 AND repository < $2",
                        name + "/", name + "0")
                .then(Db.update(conn, "DELETE FROM namespaces WHERE name = $1", name))
                .then(Db.update(conn, "DELETE FROM audit_log WHERE namespace = $1", name))
                .then();
    }
}
