package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.AccountStore.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretsAndScopesTest {

    @Test
    void secretsCarryTheirIdAndOnlyTheirHashMatches() {
        Secrets.Issued pat = Secrets.issue(Kind.PAT);
        assertThat(pat.secret()).startsWith("orpat_").hasSize(6 + 22 + 43);
        assertThat(Secrets.idOf(pat.secret(), Kind.PAT)).isEqualTo(pat.id());
        assertThat(Secrets.idOf(pat.secret(), Kind.SESSION)).isNull();
        assertThat(Secrets.matches(pat.secret(), pat.hash())).isTrue();
        String tampered = pat.secret().substring(0, pat.secret().length() - 1)
                + (pat.secret().endsWith("A") ? "B" : "A");
        assertThat(Secrets.idOf(tampered, Kind.PAT)).isEqualTo(pat.id());
        assertThat(Secrets.matches(tampered, pat.hash())).isFalse();
        assertThat(pat.hash()).doesNotContain(pat.secret()).hasSize(64);
        assertThat(pat.toString()).doesNotContain(pat.secret());
        Secrets.Issued session = Secrets.issue(Kind.SESSION);
        assertThat(session.secret()).startsWith("orses_");
        assertThat(session.id()).isNotEqualTo(pat.id());
        assertThat(Secrets.idOf("orpat_short", Kind.PAT)).isNull();
        assertThat(Secrets.idOf(null, Kind.PAT)).isNull();
        assertThat(Secrets.idOf("orpat_" + "a".repeat(64) + "!", Kind.PAT)).isNull();
    }

    @Test
    void scopesParseAsDockerAndOAuthClientsSendThem() {
        assertThat(Scope.parseAll(List.of("repository:alice/app:pull,push")))
                .containsExactly(Scope.repository("alice/app", "pull", "push"));
        assertThat(Scope.parseAll(List.of("repository:a/b:pull registry:catalog:*", "repository(plugin):c:push")))
                .containsExactly(Scope.repository("a/b", "pull"), Scope.CATALOG_SCOPE, Scope.repository("c", "push"));
        // a host:port in a name keeps its colon; the actions are after the last one
        assertThat(Scope.parseAll(List.of("repository:host:5000/x:pull")))
                .containsExactly(Scope.repository("host:5000/x", "pull"));
        assertThat(Scope.parseAll(List.of("garbage", "repository::pull", "repository:x:", ":x:pull", "a:b:,"))).isEmpty();
        assertThat(Scope.parseAll(null)).isEmpty();
        assertThat(Scope.repository("a/b", "pull", "push").toString()).isEqualTo("repository:a/b:pull,push");
    }

    @Test
    void principalsOwnTheirNamespaceOnly() {
        Principal alice = Principal.account("alice", false);
        var aliceFacts = new io.openregistry.metadata.OrgStore.AccessFacts(
                io.openregistry.metadata.OrgStore.NamespaceKind.USER, false, false, null, null, false, null);
        var nobody = new io.openregistry.metadata.OrgStore.AccessFacts(null, false, false, null, null, false, null);
        var admin = io.openregistry.metadata.OrgStore.RepoRole.ADMIN;
        assertThat(AccessPolicy.role(alice, "alice/app", aliceFacts)).isEqualTo(admin);
        assertThat(AccessPolicy.role(alice, "alice/team/app", aliceFacts)).isEqualTo(admin);
        assertThat(AccessPolicy.role(alice, "alice", aliceFacts)).isNull();
        assertThat(AccessPolicy.role(alice, "alicex/app", aliceFacts)).isNull();
        assertThat(AccessPolicy.role(alice, "alicex/app", nobody)).isNull();
        assertThat(AccessPolicy.role(Principal.ANONYMOUS, "alice/app", aliceFacts)).isNull();
        assertThat(Secrets.isRobotSecret(Secrets.issueRobot().secret())).isTrue();
        assertThat(Secrets.issueRobot().secret()).startsWith("orrobot_").hasSize(8 + 43);
        assertThat(Secrets.isRobotSecret(Secrets.issue(Kind.PAT).secret())).isFalse();
        assertThat(Secrets.issueRobot().toString()).doesNotContain("orrobot_");
        Principal pat = new Principal("alice", false, java.util.Set.of("push"), List.of("alice/app"));
        assertThat(pat.credentialAllows("pull", "alice/app")).isTrue();
        assertThat(pat.credentialAllows("push", "alice/app")).isTrue();
        assertThat(pat.credentialAllows("delete", "alice/app")).isFalse();
        assertThat(pat.credentialAllows("pull", "alice/other")).isFalse();
    }
}
