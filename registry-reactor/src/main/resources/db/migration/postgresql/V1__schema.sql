-- OpenRegistry metadata, PostgreSQL.
-- Names are COLLATE "C" so that ORDER BY and > compare bytes: the OCI API pages tags and the
-- catalog in lexical (byte) order, which a locale collation would not give.

CREATE TABLE repositories (
    name        VARCHAR(255) COLLATE "C" PRIMARY KEY,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE blobs (
    digest      VARCHAR(200) COLLATE "C" PRIMARY KEY,
    size        BIGINT NOT NULL,
    media_type  VARCHAR(255),
    backend     VARCHAR(32) NOT NULL,
    location    VARCHAR(2048) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE repository_blobs (
    repository  VARCHAR(255) COLLATE "C" NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    digest      VARCHAR(200) COLLATE "C" NOT NULL REFERENCES blobs (digest),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (repository, digest)
);
-- Garbage collection asks which repositories still link a digest.
CREATE INDEX repository_blobs_digest ON repository_blobs (digest);

CREATE TABLE manifests (
    repository    VARCHAR(255) COLLATE "C" NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    digest        VARCHAR(200) COLLATE "C" NOT NULL,
    media_type    VARCHAR(255) NOT NULL,
    size          BIGINT NOT NULL,
    content       BYTEA NOT NULL,
    subject       VARCHAR(200) COLLATE "C",
    artifact_type VARCHAR(255),
    annotations   TEXT,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (repository, digest)
);
-- The referrers API looks manifests up by subject.
CREATE INDEX manifests_subject ON manifests (repository, subject);

CREATE TABLE tags (
    repository  VARCHAR(255) COLLATE "C" NOT NULL,
    name        VARCHAR(128) COLLATE "C" NOT NULL,
    digest      VARCHAR(200) COLLATE "C" NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (repository, name),
    -- Deleting a manifest deletes the tags that point at it.
    FOREIGN KEY (repository, digest) REFERENCES manifests (repository, digest) ON DELETE CASCADE
);

CREATE TABLE uploads (
    id          VARCHAR(128) PRIMARY KEY,
    repository  VARCHAR(255) COLLATE "C" NOT NULL,
    byte_offset BIGINT NOT NULL,
    started_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
