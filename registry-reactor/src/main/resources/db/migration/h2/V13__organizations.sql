-- Org mode (README, "Organizations, teams and robots"), H2. The same tables as PostgreSQL's V13;
-- names compare in byte order as V1 says.

-- The one name space shared by users and organizations: account sign-up and organization creation
-- each insert the name here in the transaction that creates them, so that of two racing creations
-- of one name (on any replicas) exactly one wins, by this primary key. Robots are not namespaces.
CREATE TABLE namespaces (
    name        CHARACTER VARYING(64) PRIMARY KEY,
    -- USER or ORGANIZATION (OrgStore.NamespaceKind)
    kind        CHARACTER VARYING(16) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO namespaces (name, kind, created_at) SELECT username, 'USER', created_at FROM accounts;

-- An admin may disable an account: it then gets no registry token by any credential, nor do its robots.
ALTER TABLE accounts ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- The namespace of a repository: its first path component, NULL for a one-component name (which
-- no user or organization owns). Computed by the database, so that every insert, old or new, has it.
ALTER TABLE repositories ADD COLUMN namespace CHARACTER VARYING(255)
    GENERATED ALWAYS AS (CASE WHEN LOCATE('/', name) > 0 THEN LEFT(name, LOCATE('/', name) - 1) END);
-- The catalog by caller (OrgStore.catalogFor) pages each source of what a caller may pull by one
-- of these: a namespace's repositories are one range of (namespace, name), the public ones one
-- range of (is_public, name).
CREATE INDEX repositories_namespace ON repositories (namespace, name);
CREATE INDEX repositories_public ON repositories (is_public, name);

CREATE TABLE organizations (
    name        CHARACTER VARYING(64) PRIMARY KEY REFERENCES namespaces (name) ON DELETE CASCADE,
    created_by  CHARACTER VARYING(64),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE org_members (
    organization CHARACTER VARYING(64) NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    username     CHARACTER VARYING(64) NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    -- MEMBER, ADMIN or OWNER (OrgStore.OrgRole)
    role         CHARACTER VARYING(16) NOT NULL,
    added_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (organization, username)
);
-- A user's memberships (and the cascade of an account's deletion).
CREATE INDEX org_members_user ON org_members (username, organization);

CREATE TABLE teams (
    organization     CHARACTER VARYING(64) NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    name             CHARACTER VARYING(64) NOT NULL,
    description      CHARACTER VARYING(1024),
    -- READ, WRITE or ADMIN (OrgStore.RepoRole)
    role             CHARACTER VARYING(16) NOT NULL,
    all_repositories BOOLEAN NOT NULL DEFAULT FALSE,
    may_create       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (organization, name)
);

-- A team's members are members of its organization: removing one from the organization removes
-- it from the teams (the second foreign key's cascade).
CREATE TABLE team_members (
    organization CHARACTER VARYING(64) NOT NULL,
    team         CHARACTER VARYING(64) NOT NULL,
    username     CHARACTER VARYING(64) NOT NULL,
    PRIMARY KEY (organization, team, username),
    FOREIGN KEY (organization, team) REFERENCES teams (organization, name) ON DELETE CASCADE,
    FOREIGN KEY (organization, username) REFERENCES org_members (organization, username) ON DELETE CASCADE
);
CREATE INDEX team_members_user ON team_members (username, organization);

-- The repositories (full names, in the team's organization) a team has its role on; they need not exist yet.
CREATE TABLE team_repositories (
    organization CHARACTER VARYING(64) NOT NULL,
    team         CHARACTER VARYING(64) NOT NULL,
    repository   CHARACTER VARYING(255) NOT NULL,
    PRIMARY KEY (organization, team, repository),
    FOREIGN KEY (organization, team) REFERENCES teams (organization, name) ON DELETE CASCADE
);
CREATE INDEX team_repositories_repository ON team_repositories (repository);

-- Direct grants to users (outside collaborators, or members beyond their teams); the repository
-- need not exist yet, and its deletion removes them (OrgStore.deleteRepositories).
CREATE TABLE repository_grants (
    repository  CHARACTER VARYING(255) NOT NULL,
    username    CHARACTER VARYING(64) NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    role        CHARACTER VARYING(16) NOT NULL,
    granted_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (repository, username)
);
-- What is granted to a user, in name order (the catalog pages it).
CREATE INDEX repository_grants_user ON repository_grants (username, repository);

-- Robot accounts '<namespace>+<short>', deleted with the user or organization that owns them.
-- Only a hash of the secret is stored.
CREATE TABLE robots (
    name             CHARACTER VARYING(130) PRIMARY KEY,
    namespace        CHARACTER VARYING(64) NOT NULL REFERENCES namespaces (name) ON DELETE CASCADE,
    secret_hash      CHARACTER VARYING(255) NOT NULL,
    description      CHARACTER VARYING(1024),
    role             CHARACTER VARYING(16) NOT NULL,
    all_repositories BOOLEAN NOT NULL DEFAULT FALSE,
    may_create       BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at       TIMESTAMP WITH TIME ZONE,
    last_used_at     TIMESTAMP WITH TIME ZONE,
    created_by       CHARACTER VARYING(64),
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX robots_namespace ON robots (namespace, name);

CREATE TABLE robot_repositories (
    robot       CHARACTER VARYING(130) NOT NULL REFERENCES robots (name) ON DELETE CASCADE,
    repository  CHARACTER VARYING(255) NOT NULL,
    PRIMARY KEY (robot, repository)
);
CREATE INDEX robot_repositories_repository ON robot_repositories (repository);

-- Who changed what, when: written in the transaction of each change (OrgStore.AuditEntry); read
-- per namespace, newest first.
CREATE TABLE audit_log (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    namespace   CHARACTER VARYING(64),
    actor       CHARACTER VARYING(130),
    action      CHARACTER VARYING(64) NOT NULL,
    target      CHARACTER VARYING(255),
    detail      CHARACTER VARYING(4096),
    at          TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX audit_log_namespace ON audit_log (namespace, id);
