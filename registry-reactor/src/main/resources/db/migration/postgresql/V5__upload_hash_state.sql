-- The running hash state of each upload at its recorded offset (upload/DigestStates' format), written
-- by the same UPDATE that moves the offset, so that any replica, or this one after a crash,
-- continues the digest without re-reading the staged bytes. NULL: not exported (offset 0, or a JVM
-- without the Add-Opens); the registry then re-reads the staged bytes.
ALTER TABLE uploads ADD COLUMN hash_state BYTEA;
