-- OpenRegistry metadata, H2 (embedded default).
-- H2 compares CHARACTER VARYING values with String.compareTo unless a database collation is set,
-- which for the ASCII names of the OCI grammar is the lexical (byte) order the API pages in.
-- Manifest content is BINARY VARYING and annotations CHARACTER VARYING, not BLOB/CLOB: r2dbc-h2
-- hands LOBs back as streams, while these come back as byte[] and String.

CREATE TABLE repositories (
    name        CHARACTER VARYING(255) PRIMARY KEY,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE blobs (
    digest      CHARACTER VARYING(200) PRIMARY KEY,
    size        BIGINT NOT NULL,
    media_type  CHARACTER VARYING(255),
    backend     CHARACTER VARYING(32) NOT NULL,
    location    CHARACTER VARYING(2048) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE repository_blobs (
    repository  CHARACTER VARYING(255) NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    digest      CHARACTER VARYING(200) NOT NULL REFERENCES blobs (digest),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (repository, digest)
);
-- Garbage collection asks which repositories still link a digest.
CREATE INDEX repository_blobs_digest ON repository_blobs (digest);

CREATE TABLE manifests (
    repository    CHARACTER VARYING(255) NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    digest        CHARACTER VARYING(200) NOT NULL,
    media_type    CHARACTER VARYING(255) NOT NULL,
    size          BIGINT NOT NULL,
    content       BINARY VARYING NOT NULL,
    subject       CHARACTER VARYING(200),
    artifact_type CHARACTER VARYING(255),
    annotations   CHARACTER VARYING,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (repository, digest)
);
-- The referrers API looks manifests up by subject.
CREATE INDEX manifests_subject ON manifests (repository, subject);

CREATE TABLE tags (
    repository  CHARACTER VARYING(255) NOT NULL,
    name        CHARACTER VARYING(128) NOT NULL,
    digest      CHARACTER VARYING(200) NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (repository, name),
    -- Deleting a manifest deletes the tags that point at it.
    FOREIGN KEY (repository, digest) REFERENCES manifests (repository, digest) ON DELETE CASCADE
);

CREATE TABLE uploads (
    id          CHARACTER VARYING(128) PRIMARY KEY,
    repository  CHARACTER VARYING(255) NOT NULL,
    byte_offset BIGINT NOT NULL,
    started_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
