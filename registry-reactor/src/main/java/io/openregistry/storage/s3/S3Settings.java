package io.openregistry.storage.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach an S3-compatible bucket (AWS S3, MinIO, S3Proxy, Storj gateway, Filebase).
 *
 * @param endpoint   the service endpoint, or null for AWS S3 itself (derived from the region)
 * @param region     the signing region; S3-compatible services usually accept any (e.g. {@code us-east-1})
 * @param bucket     the bucket holding the blobs; it must already exist
 * @param accessKey  static access key id
 * @param secretKey  static secret access key
 * @param pathStyle  {@code http://host/bucket/key} instead of {@code http://bucket.host/key}; most
 *                   self-hosted services need it
 * @param partSize   bytes per multipart part, also the largest blob sent as a single PutObject, and
 *                   the bound on blob bytes a put holds in memory; at least {@link #MIN_PART_SIZE}
 * @param presignTtl how long a presigned GET URL stays valid; null disables redirects
 */
public record S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
        boolean pathStyle, long partSize, Duration presignTtl) {

    /** S3's smallest allowed part (other than the last). */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

    /** S3's largest allowed part; also keeps a part inside one Java array. */
    public static final long MAX_PART_SIZE = 1L << 30;

    /** @throws IllegalArgumentException naming the first setting that is missing or out of range */
    public S3Settings {
        requireText(region, "region");
        requireText(bucket, "bucket");
        requireText(accessKey, "accessKey");
        requireText(secretKey, "secretKey");
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("partSize must be between " + MIN_PART_SIZE + " and "
                    + MAX_PART_SIZE + " bytes, was " + partSize);
        }
        if (presignTtl != null && (presignTtl.isNegative() || presignTtl.isZero() || presignTtl.toDays() > 7)) {
            // SigV4 presigned URLs cannot live longer than seven days
            throw new IllegalArgumentException("presignTtl must be positive and at most 7 days, was " + presignTtl);
        }
        if (endpoint != null && (!("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))
                || endpoint.getHost() == null)) {
            throw new IllegalArgumentException("endpoint must be an absolute http(s) URL, was " + endpoint);
        }
    }

    /** The endpoint as shown in messages: the configured one, or the AWS default for the region. */
    public String endpointName() {
        return endpoint != null ? endpoint.toString() : "https://s3." + region + ".amazonaws.com";
    }

    @Override
    public String toString() {
        // never print the secret
        return "S3Settings[endpoint=" + endpointName() + ", region=" + region + ", bucket=" + bucket
                + ", accessKey=" + accessKey + ", pathStyle=" + pathStyle + ", partSize=" + partSize
                + ", presignTtl=" + presignTtl + "]";
    }

    private static void requireText(String value, String name) {
        if (Objects.requireNonNullElse(value, "").isBlank()) {
            throw new IllegalArgumentException(name + " must be set");
        }
    }
}
