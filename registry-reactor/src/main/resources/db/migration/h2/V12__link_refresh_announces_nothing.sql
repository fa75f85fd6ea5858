-- PostgreSQL's V12 narrows V7's announcement of link updates to changes of the repository or the
-- digest. H2 has no announcing triggers (see V7): nothing to change here. This statement only
-- keeps the version numbers of both databases in step.
COMMENT ON TABLE repository_blobs IS 'the blobs linked to each repository';
