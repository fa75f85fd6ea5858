package io.openregistry.org;

import io.openregistry.auth.Principal;
import io.openregistry.auth.Secrets;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.OrgStore.Robot;
import io.openregistry.oci.OciError;
import io.openregistry.org.ManagementPolicy.Standing;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The robot accounts of a namespace, managed by the organization's owners and admins or by the
 * user whose namespace it is (and registry admins). A secret is made here, shown once (at creation
 * and at each rotation) and only its hash stored.
 */
public final class Robots {
    private static final int MAX_REPOSITORIES = 1000;
    private static final int MAX_DESCRIPTION = 1000;
    private final OrgStore store;
    private final ManagementPolicy policy;
    private final Clock clock;

    /** A change to a robot: null fields are left as they are (on creation: role read, nothing listed, no expiry). */
    public record Changes(String description, RepoRole role, Boolean allRepositories, Boolean mayCreate,
                          List<String> repositories, Instant expiresAt, boolean clearExpiry) {
    }

    /** A robot with the secret just made for it (shown once). */
    public record WithSecret(Robot robot, String secret) {
        @Override
        public String toString() {
            return "WithSecret[" + robot.name() + "]";
        }
    }

    public Robots(OrgStore store, ManagementPolicy policy, Clock clock) {
        this.store = store;
        this.policy = policy;
        this.clock = clock;
    }

    public Mono<List<Robot>> list(Principal caller, String namespace) {
        return require(caller, namespace).then(Mono.defer(() -> store.robots(namespace).collectList()));
    }

    public Mono<Robot> get(Principal caller, String namespace, String shortName) {
        String name = name(namespace, shortName);
        return require(caller, namespace).then(Mono.defer(() -> existing(name)));
    }

    /** 409 when the namespace has a robot of that name. */
    public Mono<WithSecret> create(Principal caller, String namespace, String shortName, Changes changes) {
        String name = name(namespace, shortName);
        check(namespace, changes);
        Secrets.RobotSecret secret = Secrets.issueRobot();
        Instant now = now();
        Robot robot = new Robot(name, namespace, secret.hash(), changes.description(),
                changes.role() == null ? RepoRole.READ : changes.role(), Boolean.TRUE.equals(changes.allRepositories()),
                Boolean.TRUE.equals(changes.mayCreate()),
                changes.repositories() == null ? List.of() : changes.repositories().stream().distinct().toList(),
                changes.expiresAt(), null, caller.username(), now);
        return require(caller, namespace)
                .then(Mono.defer(() -> store.createRobot(robot, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "robot " + name))
                .then(Mono.defer(() -> existing(name)))
                .map(created -> new WithSecret(created, secret.secret()));
    }

    public Mono<Robot> update(Principal caller, String namespace, String shortName, Changes changes) {
        String name = name(namespace, shortName);
        check(namespace, changes);
        return require(caller, namespace)
                .then(Mono.defer(() -> existing(name)))
                .flatMap(old -> store.updateRobot(new Robot(name, namespace, old.secretHash(),
                        changes.description() == null ? old.description() : changes.description(),
                        changes.role() == null ? old.role() : changes.role(),
                        changes.allRepositories() == null ? old.allRepositories() : changes.allRepositories(),
                        changes.mayCreate() == null ? old.mayCreate() : changes.mayCreate(),
                        changes.repositories() == null ? old.repositories()
                                : changes.repositories().stream().distinct().toList(),
                        changes.clearExpiry() ? null : changes.expiresAt() == null ? old.expiresAt() : changes.expiresAt(),
                        old.lastUsedAt(), old.createdBy(), old.createdAt()), caller.username()))
                .flatMap(outcome -> Checks.outcome(outcome, "robot " + name))
                .then(Mono.defer(() -> existing(name)));
    }

    /** A new secret; the old one stops working. */
    public Mono<WithSecret> rotate(Principal caller, String namespace, String shortName) {
        String name = name(namespace, shortName);
        Secrets.RobotSecret secret = Secrets.issueRobot();
        return require(caller, namespace)
                .then(Mono.defer(() -> store.replaceRobotSecret(name, secret.hash(), caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "robot " + name))
                .then(Mono.defer(() -> existing(name)))
                .map(robot -> new WithSecret(robot, secret.secret()));
    }

    public Mono<Void> delete(Principal caller, String namespace, String shortName) {
        String name = name(namespace, shortName);
        return require(caller, namespace)
                .then(Mono.defer(() -> store.deleteRobot(name, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "robot " + name));
    }

    private Mono<Void> require(Principal caller, String namespace) {
        return policy.robots(caller, namespace).flatMap(standing -> standing == Standing.NONE
                ? Mono.error(OciError.NOT_FOUND.exception("namespace unknown: " + namespace))
                : standing.atLeast(Standing.MANAGE) ? Mono.empty()
                : Mono.error(Checks.denied("robots are managed by the namespace's owners and admins")));
    }

    private Mono<Robot> existing(String name) {
        return store.robot(name).switchIfEmpty(Mono.error(() -> OciError.NOT_FOUND.exception("robot unknown: " + name)));
    }

    private static String name(String namespace, String shortName) {
        Checks.username("namespace", namespace);
        Checks.username("robot", shortName);
        return namespace + "+" + shortName;
    }

    private void check(String namespace, Changes changes) {
        if (changes.description() != null && (changes.description().length() > MAX_DESCRIPTION
                || changes.description().chars().anyMatch(c -> Character.isISOControl(c) && c != '\n'))) {
            throw Checks.invalid("description must be at most " + MAX_DESCRIPTION + " printable characters");
        }
        if (changes.repositories() != null) {
            if (changes.repositories().size() > MAX_REPOSITORIES) {
                throw Checks.invalid("repositories must be at most " + MAX_REPOSITORIES + " names");
            }
            changes.repositories().forEach(r -> Checks.repositoryIn("repositories", namespace, r));
        }
        if (changes.expiresAt() != null && !changes.expiresAt().isAfter(clock.instant())) {
            throw Checks.invalid("expires_at must be in the future");
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
