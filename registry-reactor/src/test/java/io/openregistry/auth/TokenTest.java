package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.openregistry.auth.AccessClaims.Access;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token layer: claims, validity window, audience, key ids, rotation and key files. */
class TokenTest {
    private static final String SERVICE = "registry.example";
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    private static final List<Access> PULL_PUSH =
            List.of(new Access("repository", "alice/app", List.of("pull", "push")));

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T12:00:00Z"));
    private final KeyRing keys = KeyRing.generate();
    private final TokenSigner signer = new TokenSigner(keys, "openregistry", clock);
    private final TokenVerifier verifier = new TokenVerifier(keys, SERVICE, clock, TokenVerifier.DEFAULT_SKEW);

    @TempDir Path dir;

    @Test
    void issuedTokenVerifiesAndCarriesItsClaims() {
        TokenSigner.IssuedToken issued = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES);
        AccessClaims claims = verifier.verify(issued.token());
        assertThat(claims).isEqualTo(issued.claims());
        assertThat(claims.issuer()).isEqualTo("openregistry");
        assertThat(claims.subject()).isEqualTo("alice");
        assertThat(claims.expiresAt()).isEqualTo(Instant.parse("2026-11-28T12:05:00Z"));
        assertThat(claims.tokenId()).hasSize(22);
        String footer = new String(PasetoV4Public.untrustedFooter(issued.token()), StandardCharsets.UTF_8);
        assertThat(footer).isEqualTo("{\"kid\":\"" + keys.activeKid() + "\"}");
        String payload = new String(PasetoV4Public.verify(keyOf(keys.activeKid()), issued.token(), null,
                PasetoV4Public.EMPTY).message(), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"exp\":\"2026-11-28T12:05:00Z\"", "\"aud\":\"registry.example\"",
                "\"access\":[{\"type\":\"repository\",\"name\":\"alice/app\",\"actions\":[\"pull\",\"push\"]}]");
    }

    @Test
    void adminTokensSayAdminAndRobotsAreTheirFullName() {
        TokenSigner.IssuedToken admin = signer.issue("root", true, SERVICE, PULL_PUSH, FIVE_MINUTES);
        AccessClaims claims = verifier.verify(admin.token());
        assertThat(claims.admin()).isTrue();
        assertThat(Caller.of(claims).admin()).isTrue();
        assertThat(Caller.of(claims).robot()).isFalse();
        String payload = new String(PasetoV4Public.verify(keyOf(keys.activeKid()), admin.token(), null,
                PasetoV4Public.EMPTY).message(), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"adm\":true");
        // everyone else's tokens carry no adm claim at all
        TokenSigner.IssuedToken robot = signer.issue("org+ci", SERVICE, PULL_PUSH, FIVE_MINUTES);
        Caller caller = Caller.of(verifier.verify(robot.token()));
        assertThat(caller.admin()).isFalse();
        assertThat(caller.robot()).isTrue();
        assertThat(caller.username()).isEqualTo("org+ci");
        assertThat(new String(PasetoV4Public.verify(keyOf(keys.activeKid()), robot.token(), null,
                PasetoV4Public.EMPTY).message(), StandardCharsets.UTF_8)).doesNotContain("adm");
        assertThat(Caller.OPEN.admin()).isFalse();
        assertThat(Caller.OPEN.robot()).isFalse();
        // a claims object whose adm is not a boolean is malformed, not "not an admin"
        assertThatThrownBy(() -> ClaimsJson.read(("{\"iss\":\"i\",\"sub\":\"s\",\"aud\":\"a\","
                + "\"iat\":\"2026-11-28T12:00:00Z\",\"nbf\":\"2026-11-28T12:00:00Z\",\"exp\":\"2026-11-28T12:05:00Z\","
                + "\"jti\":\"j\",\"access\":[],\"adm\":\"true\"}").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void expiredTokenIsRejectedOnlyAfterTheSkew() {
        String token = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        clock.advance(FIVE_MINUTES.plusSeconds(29));
        assertThat(verifier.verify(token).subject()).isEqualTo("alice");
        clock.advance(Duration.ofSeconds(1));
        assertRejected(token, "token expired");
    }

    @Test
    void notYetValidTokenIsRejected() {
        String token = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        clock.advance(Duration.ofSeconds(-31));
        assertRejected(token, "token not yet valid");
        clock.advance(Duration.ofSeconds(2)); // 29 s early: inside the allowance
        assertThat(verifier.verify(token).subject()).isEqualTo("alice");
    }

    @Test
    void wrongAudienceIsRejected() {
        String token = signer.issue("alice", "other.example", PULL_PUSH, FIVE_MINUTES).token();
        assertRejected(token, "wrong audience");
    }

    @Test
    void wrongIssuerIsRejectedWhenTheVerifierHasOne() {
        String token = new TokenSigner(keys, "someone-else", clock).issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        TokenVerifier strict = new TokenVerifier(keys, "openregistry", SERVICE, clock, TokenVerifier.DEFAULT_SKEW);
        assertThatThrownBy(() -> strict.verify(token)).isInstanceOf(InvalidTokenException.class).hasMessage("wrong issuer");
        assertThat(strict.verify(signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token()).issuer())
                .isEqualTo("openregistry");
    }

    @Test
    void wrongKeyUnderAKnownKidIsRejected() {
        // a forger who knows the key id but not the key: same footer, another Ed25519 key
        KeyRing forger = new KeyRing(keys.activeKid(),
                new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(new java.security.SecureRandom()),
                java.util.Map.of());
        String token = new TokenSigner(forger, "openregistry", clock).issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void unknownKidIsRejected() {
        KeyRing stranger = KeyRing.generate();
        String token = new TokenSigner(stranger, "openregistry", clock).issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        assertRejected(token, "unknown signing key");
    }

    @Test
    void tamperedPayloadIsRejected() {
        String token = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        int dot = token.lastIndexOf('.');
        byte[] body = Base64.getUrlDecoder().decode(token.substring("v4.public.".length(), dot));
        String text = new String(body, 0, body.length - 64, StandardCharsets.ISO_8859_1).replace("\"pull\"", "\"PUSH\"");
        byte[] forged = text.getBytes(StandardCharsets.ISO_8859_1);
        byte[] newBody = new byte[forged.length + 64];
        System.arraycopy(forged, 0, newBody, 0, forged.length);
        System.arraycopy(body, body.length - 64, newBody, forged.length, 64);
        String tampered = "v4.public." + Base64.getUrlEncoder().withoutPadding().encodeToString(newBody) + token.substring(dot);
        assertRejected(tampered, "bad signature");
    }

    @Test
    void tamperedFooterIsRejected() {
        String oldKid = keys.activeKid();
        keys.rotate(); // both kids are known, so only the signature can catch the swap
        String token = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        int dot = token.lastIndexOf('.');
        String otherFooter = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("{\"kid\":\"" + oldKid + "\"}").getBytes(StandardCharsets.UTF_8));
        assertRejected(token.substring(0, dot + 1) + otherFooter, "bad signature");
        String extraField = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"kid\":\"" + keys.activeKid() + "\",\"x\":1}").getBytes(StandardCharsets.UTF_8));
        assertRejected(token.substring(0, dot + 1) + extraField, "unexpected footer");
        assertRejected(token.substring(0, dot), "unexpected footer");
    }

    @Test
    void coversOnlyWhatWasGranted() {
        AccessClaims claims = verifier.verify(signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token());
        assertThat(claims.covers("repository", "alice/app", "pull")).isTrue();
        assertThat(claims.covers("repository", "alice/app", "push")).isTrue();
        assertThat(claims.covers("repository", "alice/app", "delete")).isFalse();
        assertThat(claims.covers("repository", "alice/other", "pull")).isFalse();
        assertThat(claims.covers("registry", "catalog", "*")).isFalse();
        AccessClaims none = verifier.verify(signer.issue("bob", SERVICE, List.of(), FIVE_MINUTES).token());
        assertThat(none.access()).isEmpty();
        assertThat(none.covers("repository", "alice/app", "pull")).isFalse();
    }

    @Test
    void rotatedKeyVerifiesUntilRemoved() {
        String oldKid = keys.activeKid();
        String oldToken = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        String newKid = keys.rotate();
        assertThat(newKid).isNotEqualTo(oldKid);
        assertThat(keys.kids()).containsExactlyInAnyOrder(oldKid, newKid);
        String newToken = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        assertThat(PasetoV4Public.untrustedFooter(newToken)).asString(StandardCharsets.UTF_8).contains(newKid);
        assertThat(verifier.verify(oldToken).subject()).isEqualTo("alice");
        assertThatThrownBy(() -> keys.remove(newKid)).isInstanceOf(IllegalArgumentException.class);
        keys.remove(oldKid);
        assertRejected(oldToken, "unknown signing key");
        assertThat(verifier.verify(newToken).subject()).isEqualTo("alice");
    }

    @Test
    void keysSurviveSaveAndLoad() throws Exception {
        String oldKid = keys.activeKid();
        String oldToken = signer.issue("alice", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        keys.rotate();
        keys.save(dir);
        KeyRing loaded = KeyRing.load(dir);
        assertThat(loaded.activeKid()).isEqualTo(keys.activeKid());
        assertThat(loaded.kids()).containsExactlyInAnyOrderElementsOf(keys.kids());
        TokenVerifier loadedVerifier = new TokenVerifier(loaded, SERVICE, clock, TokenVerifier.DEFAULT_SKEW);
        assertThat(loadedVerifier.verify(oldToken).subject()).isEqualTo("alice");
        // a token signed by the loaded key verifies with the original ring: the private key survived
        String fromLoaded = new TokenSigner(loaded, "openregistry", clock).issue("bob", SERVICE, PULL_PUSH, FIVE_MINUTES).token();
        assertThat(verifier.verify(fromLoaded).subject()).isEqualTo("bob");

        Path privateFile = dir.resolve(keys.activeKid() + ".private.pem");
        assertThat(Files.readString(privateFile)).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(dir.resolve(oldKid + ".private.pem")).doesNotExist();
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateFile))).isEqualTo("rw-------");
        }

        loaded.remove(oldKid);
        loaded.save(dir);
        assertThat(dir.resolve(oldKid + ".public.pem")).doesNotExist();
        assertThat(KeyRing.load(dir).kids()).containsExactly(keys.activeKid());
    }

    @Test
    void loadOrGenerateCreatesOnceThenLoads() throws Exception {
        Path keyDir = dir.resolve("keys");
        KeyRing first = KeyRing.loadOrGenerate(keyDir);
        KeyRing second = KeyRing.loadOrGenerate(keyDir);
        assertThat(second.activeKid()).isEqualTo(first.activeKid());
    }

    private void assertRejected(String token, String reason) {
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(InvalidTokenException.class).hasMessage(reason);
    }

    private org.bouncycastle.crypto.params.Ed25519PublicKeyParameters keyOf(String kid) {
        return keys.snapshot().publicKeys().get(kid);
    }

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
