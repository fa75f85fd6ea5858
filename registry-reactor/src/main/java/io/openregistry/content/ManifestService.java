package io.openregistry.content;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.metadata.ManifestRecord;
import io.openregistry.metadata.ManifestReferences;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metadata.MissingReferenceException;
import io.openregistry.oci.Descriptor;
import io.openregistry.oci.Digest;
import io.openregistry.oci.Manifest;
import io.openregistry.oci.ManifestParser;
import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import io.openregistry.oci.Reference;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Manifest push, pull and delete, and the referrers listing built from stored subjects. */
public final class ManifestService {
    private final ManifestStore manifests;
    private final ManifestParser parser;
    private final ObjectMapper json;

    public ManifestService(ManifestStore manifests, ObjectMapper json) {
        this.manifests = manifests;
        this.parser = new ManifestParser(json);
        this.json = json;
    }

    /** The result of a push: the manifest's digest and the parsed view (for {@code OCI-Subject}). */
    public record Pushed(Digest digest, Manifest manifest) {
    }

    /** A pulled manifest: its exact bytes, their digest and the media type it was pushed as. */
    public record Pulled(Digest digest, String mediaType, byte[] content) {
    }

    /**
     * Validates and stores a manifest with its edges in the content graph. Every blob it requires
     * must be linked to the repository and every child manifest stored in it; the store checks
     * that in the transaction that stores the manifest. A digest reference must match the bytes.
     */
    public Mono<Pushed> put(String repository, Reference reference, String contentType, byte[] bytes) {
        return Mono.fromCallable(() -> parser.parse(contentType, bytes)).flatMap(manifest -> {
            Digest digest = Digest.of(reference.isDigest() ? reference.digest().algorithm() : Digest.Algorithm.SHA256, bytes);
            if (reference.isDigest() && !digest.equals(reference.digest())) {
                return Mono.error(OciError.DIGEST_INVALID.exception("manifest digest " + digest
                        + " does not match the reference " + reference.digest()));
            }
            ManifestRecord record = new ManifestRecord(repository, digest, manifest.mediaType(), bytes,
                    manifest.subject() == null ? null : manifest.subject().digest(),
                    manifest.artifactType(), annotationsJson(manifest.annotations()));
            return manifests.put(record, reference.isDigest() ? null : reference.tag(), references(manifest))
                    .onErrorMap(MissingReferenceException.class, e -> OciError.MANIFEST_BLOB_UNKNOWN
                            .exception(e.getMessage()).withDetail(Map.of("digest", e.digest().toString())))
                    .thenReturn(new Pushed(digest, manifest));
        });
    }

    private static ManifestReferences references(Manifest manifest) {
        return new ManifestReferences(manifest.config() == null ? null : manifest.config().digest(),
                digests(manifest.layers()), digests(manifest.foreignLayers()), digests(manifest.manifests()));
    }

    private static List<Digest> digests(List<Descriptor> descriptors) {
        return descriptors.stream().map(Descriptor::digest).toList();
    }

    public Mono<Pulled> get(String repository, Reference reference) {
        Mono<ManifestRecord> found = reference.isDigest()
                ? manifests.get(repository, reference.digest())
                : manifests.getByTag(repository, reference.tag());
        return found.map(m -> new Pulled(m.digest(), m.mediaType(), m.content())).switchIfEmpty(Mono.error(() -> unknown(repository, reference.toString())));
    }

    /** The 404 of a manifest that is not in the repository. */
    public static OciException unknown(String repository, String reference) {
        return OciError.MANIFEST_UNKNOWN.exception("manifest unknown: " + reference)
                .withDetail(Map.of("name", repository, "reference", reference));
    }

    /** Deleting a tag removes only the tag; deleting a digest removes the manifest and its tags. */
    public Mono<Void> delete(String repository, Reference reference) {
        Mono<Boolean> deleted = reference.isDigest()
                ? manifests.delete(repository, reference.digest())
                : manifests.deleteTag(repository, reference.tag());
        return deleted.flatMap(existed -> existed ? Mono.<Void>empty()
                : Mono.error(unknown(repository, reference.toString())));
    }

    /** Descriptors of the manifests in {@code repository} that refer to {@code subject}. */
    public Flux<Descriptor> referrers(String repository, Digest subject, String artifactType) {
        return manifests.referrers(repository, subject, artifactType).map(m -> new Descriptor(m.mediaType(), m.digest(),
                m.size(), m.artifactType(), annotations(m.annotationsJson())));
    }

    private String annotationsJson(Map<String, String> annotations) {
        if (annotations == null || annotations.isEmpty()) {
            return null;
        }
        try {
            return json.writeValueAsString(annotations);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, String> annotations(String text) {
        if (text == null) {
            return null;
        }
        try {
            return json.readValue(text, Map.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored annotations are not JSON", e);
        }
    }
}
