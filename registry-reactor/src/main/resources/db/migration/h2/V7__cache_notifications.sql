-- PostgreSQL's V7 announces changes to cached answers to the other replicas (LISTEN/NOTIFY
-- triggers). H2 serves one process, which invalidates its own cache as it writes: nothing to
-- create here. This statement only keeps the version numbers of both databases in step.
COMMENT ON TABLE tags IS 'where each tag of a repository points';
