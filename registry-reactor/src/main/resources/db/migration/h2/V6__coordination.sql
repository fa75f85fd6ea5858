-- Coordination across replicas, in the database (README, "Locks and periodic jobs across replicas").
--
-- The lease of an upload session: the claim (a random token per request) that may write to it, and
-- until when, in database time. A claim succeeds only when no unexpired lease exists; the offset
-- update, the cancel and the expiry of a session are fenced by the token.
ALTER TABLE uploads ADD COLUMN lease_holder CHARACTER VARYING(64);
ALTER TABLE uploads ADD COLUMN lease_until TIMESTAMP WITH TIME ZONE;

-- Periodic jobs (the sweeper) run on one replica at a time: the one that holds the job's lease.
CREATE TABLE job_leases (
    name        CHARACTER VARYING(64) PRIMARY KEY,
    holder      CHARACTER VARYING(64) NOT NULL,
    lease_until TIMESTAMP WITH TIME ZONE NOT NULL
);

-- A blob commit and the collector's deletion of the same digest exclude each other: a commit first
-- records an intent (one row per commit); the collector deletes only a blob with no live intent,
-- and marks its row deleting until the bytes are gone, so that a commit finding it waits.
CREATE TABLE blob_intents (
    digest       CHARACTER VARYING(200) NOT NULL,
    holder       CHARACTER VARYING(64) NOT NULL,
    intent_until TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (digest, holder)
);
ALTER TABLE blobs ADD COLUMN deleting BOOLEAN NOT NULL DEFAULT FALSE;
