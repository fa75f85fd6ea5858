-- The browsing API (README, "Browsing API"), H2: the same tables as PostgreSQL's V15. H2 has no
-- index for substring search; repository search there is a plain LIKE over the names (the
-- embedded single-process default; fine for tens of thousands of repositories).

-- Successful manifest GETs on /v2, counted in memory and added here in batches (every few seconds
-- and at shutdown). Goes with its repository.
CREATE TABLE repository_pulls (
    repository  CHARACTER VARYING(255) NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    pulled_on   DATE NOT NULL,
    pulls       BIGINT NOT NULL,
    PRIMARY KEY (repository, pulled_on)
);

-- A repository's tags by push time, both directions, paged by (updated_at, name).
CREATE INDEX tags_pushed ON tags (repository, updated_at, name);
