-- Who opened each upload session, so that open sessions can be bounded per account (or per client
-- address for anonymous callers) and per repository; counted here so that the bound holds across
-- replicas. Sessions opened before this migration have no owner and count only for their repository.
ALTER TABLE uploads ADD COLUMN owner VARCHAR(300);
CREATE INDEX uploads_owner ON uploads (owner);
CREATE INDEX uploads_repository ON uploads (repository);
