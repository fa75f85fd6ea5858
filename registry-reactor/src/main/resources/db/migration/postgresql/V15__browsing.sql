-- The browsing API (README, "Browsing API"): pull counts per repository and day, the keyset order
-- of a repository's tags by push time, and the index that serves substring search of repository
-- names. No cache holds any of these answers, so V7's NOTIFY triggers need no companion here.

-- Successful manifest GETs on /v2, counted in memory by each replica and added here in batches
-- (every few seconds and at shutdown). Goes with its repository.
CREATE TABLE repository_pulls (
    repository  VARCHAR(255) COLLATE "C" NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    pulled_on   DATE NOT NULL,
    pulls       BIGINT NOT NULL,
    PRIMARY KEY (repository, pulled_on)
);

-- A repository's tags by push time, both directions, paged by (updated_at, name).
CREATE INDEX tags_pushed ON tags (repository, updated_at, name);

-- Substring search of repository names (name LIKE '%q%') through a trigram index. pg_trgm is in
-- PostgreSQL's contrib and a trusted extension since PostgreSQL 13 (a database owner may create
-- it), but a managed server may lack it or the right: then this block only leaves a notice and
-- search works the same through plain LIKE, reading the repositories' index instead (slower at
-- scale). Create the extension later (CREATE EXTENSION pg_trgm; then the CREATE INDEX below) to
-- speed it up; nothing else changes.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX repositories_name_trgm ON repositories USING gin (name gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'repository search without a trigram index (pg_trgm unavailable: %)', SQLERRM;
END
$$;
