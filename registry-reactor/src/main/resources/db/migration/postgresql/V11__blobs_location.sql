-- The reconciliation of unnamed storage objects (README, "Reconciling storage with the database")
-- asks, for each listed object whose location encodes no digest (S3's per-upload keys), whether a
-- blob row names it: without this index that is a scan of the blobs per object.
CREATE INDEX blobs_location ON blobs (location);
