package io.openregistry.storage.s3;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 endpoint for tests: S3Proxy in-process on a free loopback port, storing objects in a
 * temp directory through jclouds' filesystem provider, with AWS v2/v4 signatures checked.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "openregistry-test";
    public static final String SECRET_KEY = "openregistry-test-secret";
    private final Path dir;
    private final BlobStoreContext jclouds;
    private final S3Proxy proxy;

    private S3ProxyServer(Path dir, BlobStoreContext jclouds, S3Proxy proxy) {
        this.dir = dir;
        this.jclouds = jclouds;
        this.proxy = proxy;
    }

    public static S3ProxyServer start() {
        try {
            Path dir = Files.createTempDirectory("openregistry-s3proxy");
            Properties properties = new Properties();
            properties.setProperty("jclouds.filesystem.basedir", dir.toString());
            BlobStoreContext jclouds = ContextBuilder.newBuilder("filesystem").credentials("unused", "unused")
                    .overrides(properties).build(BlobStoreContext.class);
            S3Proxy proxy = S3Proxy.builder().blobStore(jclouds.getBlobStore())
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .build();
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (!"STARTED".equals(proxy.getState())) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            return new S3ProxyServer(dir, jclouds, proxy);
        } catch (Exception e) {
            throw new IllegalStateException("could not start S3Proxy: " + e.getMessage(), e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** Creates a bucket (idempotent) and returns its name. */
    public String bucket(String name) {
        jclouds.getBlobStore().createContainerInLocation(null, name);
        return name;
    }

    /** Where the filesystem provider keeps an object: to tamper with it behind S3's back. */
    public Path objectFile(String bucket, String key) {
        return dir.resolve(bucket).resolve(key);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        jclouds.close();
        io.openregistry.RegistryServer.deleteTree(dir);
    }
}
