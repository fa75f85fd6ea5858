-- A push or mount of a blob already linked to the repository refreshes the link's time
-- (repository_blobs.created_at, from which gc.graceSeconds counts) with an upsert, an UPDATE of the
-- row. V7's trigger announced every UPDATE of a link as 'blob:<repository>:<digest>', so each such
-- re-push made every other replica drop an entry that was still right. Caches hold whether a
-- digest is linked to a repository: only an UPDATE that changes the repository or the digest
-- changes that answer (as V7 already has it for tags). Deletes are announced as before.
DROP TRIGGER repository_blobs_cache_change ON repository_blobs;
CREATE TRIGGER repository_blobs_cache_update AFTER UPDATE ON repository_blobs FOR EACH ROW
    WHEN (OLD.repository IS DISTINCT FROM NEW.repository OR OLD.digest IS DISTINCT FROM NEW.digest)
    EXECUTE FUNCTION openregistry_cache_notify();
CREATE TRIGGER repository_blobs_cache_delete AFTER DELETE ON repository_blobs FOR EACH ROW
    EXECUTE FUNCTION openregistry_cache_notify();
