-- Cross-replica cache invalidation. Every committed change to an answer that a replica may hold
-- in its in-process cache (where a tag points, whether a manifest is in a repository, whether a
-- blob is linked to it) is announced on the channel 'openregistry_cache' as '<kind>:<repository>:<key>':
--   tag:<repository>:<tag>            a tag was moved or deleted
--   manifest:<repository>:<digest>    a manifest was deleted (its tags are announced one by one)
--   blob:<repository>:<digest>        a blob was unlinked from the repository
-- NOTIFY is transactional: it is delivered when (and only if) the writing transaction commits. As
-- triggers, the announcements also cover cascades (a manifest's tags, a repository's rows) and any
-- future statement that changes these tables. Creations are not announced: caches do not hold
-- absences. Repository names, tags and digests contain no ':' before the key, so the payload splits
-- unambiguously at its first two colons.

CREATE FUNCTION openregistry_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tags' THEN
        PERFORM pg_notify('openregistry_cache', 'tag:' || OLD.repository || ':' || OLD.name);
    ELSIF TG_TABLE_NAME = 'manifests' THEN
        PERFORM pg_notify('openregistry_cache', 'manifest:' || OLD.repository || ':' || OLD.digest);
    ELSIF TG_TABLE_NAME = 'repository_blobs' THEN
        PERFORM pg_notify('openregistry_cache', 'blob:' || OLD.repository || ':' || OLD.digest);
    END IF;
    RETURN NULL;
END
$$;

-- A tag re-pushed to the digest it already names changes nothing cached: no announcement.
CREATE TRIGGER tags_cache_update AFTER UPDATE ON tags FOR EACH ROW
    WHEN (OLD.digest IS DISTINCT FROM NEW.digest OR OLD.repository IS DISTINCT FROM NEW.repository
          OR OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION openregistry_cache_notify();
CREATE TRIGGER tags_cache_delete AFTER DELETE ON tags FOR EACH ROW
    EXECUTE FUNCTION openregistry_cache_notify();
CREATE TRIGGER manifests_cache_change AFTER UPDATE OR DELETE ON manifests FOR EACH ROW
    EXECUTE FUNCTION openregistry_cache_notify();
CREATE TRIGGER repository_blobs_cache_change AFTER UPDATE OR DELETE ON repository_blobs FOR EACH ROW
    EXECUTE FUNCTION openregistry_cache_notify();
