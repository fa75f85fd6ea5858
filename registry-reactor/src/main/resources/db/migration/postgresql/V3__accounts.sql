-- Accounts and access. A username is also a namespace: alice owns alice/*.
-- Repositories get a visibility; rows created before access control existed stay private
-- (an operator makes them public through the API or SQL).
ALTER TABLE repositories ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE accounts (
    username      VARCHAR(64) COLLATE "C" PRIMARY KEY,
    -- Argon2id in the PHC string format
    password_hash VARCHAR(255) NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Secrets handed to clients: personal access tokens (kind 'pat') and sign-in sessions, whose
-- secret is also the OAuth2 refresh token (kind 'session'). Only a SHA-256 of the secret is kept.
CREATE TABLE credentials (
    id           VARCHAR(32) COLLATE "C" PRIMARY KEY,
    username     VARCHAR(64) COLLATE "C" NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    kind         VARCHAR(16) NOT NULL,
    name         VARCHAR(128),
    secret_hash  VARCHAR(64) NOT NULL,
    -- PATs: space-separated actions (pull push delete) and repositories (none = all the account may reach)
    actions      VARCHAR(64),
    repositories VARCHAR(65536),
    expires_at   TIMESTAMP WITH TIME ZONE,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX credentials_owner ON credentials (username, kind);
