-- Garbage collection asks, for each manifest it considers, whether a tag points at it: one
-- lookup in this index instead of a scan of the repository's tags (the cascade of a manifest
-- delete to its tags uses it too).
CREATE INDEX tags_digest ON tags (repository, digest);
