-- Accounts and access. A username is also a namespace: alice owns alice/*.
-- Repositories get a visibility; rows created before access control existed stay private
-- (an operator makes them public through the API or SQL).
ALTER TABLE repositories ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE accounts (
    username      CHARACTER VARYING(64) PRIMARY KEY,
    -- Argon2id in the PHC string format
    password_hash CHARACTER VARYING(255) NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Secrets handed to clients: personal access tokens (kind 'pat') and sign-in sessions, whose
-- secret is also the OAuth2 refresh token (kind 'session'). Only a SHA-256 of the secret is kept.
CREATE TABLE credentials (
    id           CHARACTER VARYING(32) PRIMARY KEY,
    username     CHARACTER VARYING(64) NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    kind         CHARACTER VARYING(16) NOT NULL,
    name         CHARACTER VARYING(128),
    secret_hash  CHARACTER VARYING(64) NOT NULL,
    -- PATs: space-separated actions (pull push delete) and repositories (none = all the account may reach)
    actions      CHARACTER VARYING(64),
    repositories CHARACTER VARYING(65536),
    expires_at   TIMESTAMP WITH TIME ZONE,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX credentials_owner ON credentials (username, kind);
