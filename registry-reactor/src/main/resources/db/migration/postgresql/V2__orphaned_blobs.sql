-- A blob no repository links any more is marked with the time it became orphaned; the collector
-- deletes its bytes from the backend after a grace period, unless a push or mount revives it.
ALTER TABLE blobs ADD COLUMN orphaned_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX blobs_orphaned ON blobs (orphaned_at);
