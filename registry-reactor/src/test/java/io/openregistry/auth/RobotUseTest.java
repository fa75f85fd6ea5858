package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.Outcome;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A robot's "last used" time on a real (H2) store, with the clock under the test's control: the
 * first login records it, logins within {@link Accounts#ROBOT_USE_INTERVAL} do not write again,
 * the first one after does.
 */
class RobotUseTest {
    @TempDir
    Path dir;

    private static <T> T await(Mono<T> mono) {
        return mono.subscribeOn(Schedulers.boundedElastic()).block(Duration.ofSeconds(60));
    }

    @Test
    void lastUsedIsRecordedAtMostOncePerInterval() {
        Instant t0 = Instant.parse("2026-11-30T07:00:00Z");
        TokenTest.MutableClock clock = new TokenTest.MutableClock(t0);
        try (R2dbcMetadata meta = R2dbcMetadata.open(new Config.Database(
                "r2dbc:h2:file:///" + dir.toAbsolutePath() + "/metadata", null, null, 4))) {
            OrgStore orgs = meta.orgs();
            assertThat(await(meta.accounts().create(new Account("owner", "hash", false, t0)))).isTrue();
            assertThat(await(orgs.createOrganization("acme", "owner", t0))).isEqualTo(Outcome.DONE);
            Secrets.RobotSecret secret = Secrets.issueRobot();
            assertThat(await(orgs.createRobot(new OrgStore.Robot("acme+ci", "acme", secret.hash(), null, RepoRole.READ,
                    true, false, List.of(), null, null, "owner", t0), "owner"))).isEqualTo(Outcome.DONE);
            Accounts accounts = new Accounts(meta.accounts(), meta.repositories(), orgs,
                    new Throttle(1000, 1000, 1000, 1000), new HashingGate(1, Duration.ofSeconds(10),
                    Schedulers.boundedElastic()), Duration.ofDays(1), clock, new NamespaceRules(Set.of(), false));

            assertThat(await(accounts.basic("acme+ci", secret.secret(), "127.0.0.1")).isRobot()).isTrue();
            assertThat(await(orgs.robot("acme+ci")).lastUsedAt()).isEqualTo(t0);
            clock.advance(Duration.ofSeconds(59));
            await(accounts.basic("acme+ci", secret.secret(), "127.0.0.1"));
            assertThat(await(orgs.robot("acme+ci")).lastUsedAt()).isEqualTo(t0);
            clock.advance(Duration.ofSeconds(2));
            await(accounts.basic("acme+ci", secret.secret(), "127.0.0.1"));
            assertThat(await(orgs.robot("acme+ci")).lastUsedAt()).isEqualTo(t0.plusSeconds(61));
        }
    }
}
