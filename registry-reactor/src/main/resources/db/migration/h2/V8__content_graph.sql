-- The content graph: what each stored manifest names, written in the transaction that stores the
-- manifest and removed with it (the foreign key's cascade, which also covers a repository's
-- removal). A manifest is per repository, so an edge is too. Kinds:
--   config    the config blob of an image manifest
--   layer     a layer blob, including non-distributable and encrypted ones (whatever the
--             descriptors name; a non-distributable layer need not exist in the registry)
--   manifest  a child manifest of an index (in the same repository)
--   subject   the manifest's subject (OCI 1.1 referrers); it need not exist
-- The referenced digest carries no foreign key: a subject may be pushed after its referrers, and
-- a blob's row goes only once no edge of kind config or layer names it (BlobIndex.forget).
CREATE TABLE manifest_references (
    repository  CHARACTER VARYING(255) NOT NULL,
    manifest    CHARACTER VARYING(200) NOT NULL,
    kind        CHARACTER VARYING(16) NOT NULL,
    digest      CHARACTER VARYING(200) NOT NULL,
    PRIMARY KEY (repository, manifest, kind, digest),
    FOREIGN KEY (repository, manifest) REFERENCES manifests (repository, digest) ON DELETE CASCADE
);
-- "Does any manifest anywhere name this digest (as a blob / as a child / as a subject)?" is one
-- lookup in this index.
CREATE INDEX manifest_references_digest ON manifest_references (digest, kind);
