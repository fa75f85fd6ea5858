package io.openregistry.bench.jmh;

import io.openregistry.http.PathRouter;
import io.openregistry.http.RouteMatch;
import io.openregistry.oci.Digest;
import io.openregistry.oci.Names;
import io.openregistry.oci.Reference;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The fixed per-request parsing work, in ns/op: what every request pays before any storage or
 * database call. All of it is regular-expression based, so these numbers show whether routing
 * and validation are noise next to a database round trip (tens of microseconds) or not.
 *
 * <ul>
 *   <li>{@code digestParse} — {@link Digest#parse} of a {@code sha256:} digest (grammar regex,
 *       algorithm lookup, hex check): done for every blob URL, {@code ?digest=} and descriptor.</li>
 *   <li>{@code referenceParseTag}, {@code referenceParseDigest} — {@link Reference#parse} of the
 *       {@code <reference>} of a manifest URL, both forms.</li>
 *   <li>{@code isValidName} — {@link Names#isValidName} of a three-component repository name.</li>
 *   <li>{@code route*} — {@link PathRouter#route} for the common endpoint shapes. The router tries
 *       its patterns in order (tags, manifests, upload start, upload, blob, referrers), each with a
 *       greedy {@code (.+)} name group, so shapes late in that order cost more.</li>
 * </ul>
 * The inputs are non-final instance fields so the JIT cannot fold them into constants.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestParsingBenchmark {
    static final String HEX = "6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    String digest = "sha256:" + HEX;
    String tag = "22.04-slim";
    String name = "myorg/platform-team/api-gateway";
    String blobGet = "/v2/myorg/platform-team/api-gateway/blobs/sha256:" + HEX;
    String uploadPatch = "/v2/myorg/platform-team/api-gateway/blobs/uploads/3f2b9a7e-1c4d-4e8a-9b6f-0a1d2c3e4f50";
    String manifestByTag = "/v2/myorg/platform-team/api-gateway/manifests/22.04-slim";
    String tagsList = "/v2/myorg/platform-team/api-gateway/tags/list";

    @Benchmark
    public Digest digestParse() {
        return Digest.parse(digest);
    }

    @Benchmark
    public Reference referenceParseTag() {
        return Reference.parse(tag);
    }

    @Benchmark
    public Reference referenceParseDigest() {
        return Reference.parse(digest);
    }

    @Benchmark
    public boolean isValidName() {
        return Names.isValidName(name);
    }

    @Benchmark
    public RouteMatch routeBlobGet() {
        return PathRouter.route(blobGet);
    }

    @Benchmark
    public RouteMatch routeUploadPatch() {
        return PathRouter.route(uploadPatch);
    }

    @Benchmark
    public RouteMatch routeManifestByTag() {
        return PathRouter.route(manifestByTag);
    }

    @Benchmark
    public RouteMatch routeTagsList() {
        return PathRouter.route(tagsList);
    }
}
