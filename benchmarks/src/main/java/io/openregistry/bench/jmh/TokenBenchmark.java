package io.openregistry.bench.jmh;

import io.openregistry.auth.AccessClaims;
import io.openregistry.auth.KeyRing;
import io.openregistry.auth.TokenSigner;
import io.openregistry.auth.TokenVerifier;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of registry access tokens (PASETO v4.public, Ed25519 on BouncyCastle), in ns/op.
 *
 * <ul>
 *   <li>{@code verify} — what every authenticated request pays: footer and key lookup, strict
 *       base64url decode, Ed25519 verification, claims JSON parse, audience and time checks.</li>
 *   <li>{@code sign} — what the token endpoint pays per grant: claims JSON, Ed25519 signature,
 *       encoding.</li>
 * </ul>
 * The token grants pull and push on one repository (about 330 characters), the usual shape of a
 * {@code docker push} token. The system clock is used, so the hour-long lifetime keeps the token
 * valid through any run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TokenBenchmark {
    static final String SERVICE = "registry.example";
    static final List<AccessClaims.Access> ACCESS =
            List.of(new AccessClaims.Access("repository", "alice/app", List.of("pull", "push")));

    final KeyRing keys = KeyRing.generate();
    final TokenSigner signer = new TokenSigner(keys, "openregistry", Clock.systemUTC());
    final TokenVerifier verifier = new TokenVerifier(keys, SERVICE, Clock.systemUTC(), TokenVerifier.DEFAULT_SKEW);
    final String token = signer.issue("alice", SERVICE, ACCESS, Duration.ofHours(1)).token();

    @Benchmark
    public AccessClaims verify() {
        return verifier.verify(token);
    }

    @Benchmark
    public TokenSigner.IssuedToken sign() {
        return signer.issue("alice", SERVICE, ACCESS, Duration.ofMinutes(5));
    }
}
