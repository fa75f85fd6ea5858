-- Per-blob backends (README, "Storage backends: routing, scrub and migration"). A migration
-- (`openregistry storage migrate`) moves a blob's row to its new copy and records the old copy
-- here, in the same transaction; the sweeper deletes it once retire_after has passed (the grace
-- period storage.deleteAfterSeconds, so that pulls that read the old row still find their bytes),
-- and only while no row names that (backend, location) again.
CREATE TABLE retired_objects (
    backend      VARCHAR(32) NOT NULL,
    location     VARCHAR(2048) NOT NULL,
    digest       VARCHAR(200) COLLATE "C" NOT NULL,
    retire_after TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (backend, location)
);
CREATE INDEX retired_objects_due ON retired_objects (retire_after);
-- Migration pages through the blobs still on another backend, and startup counts them by backend.
CREATE INDEX blobs_backend ON blobs (backend, digest);
