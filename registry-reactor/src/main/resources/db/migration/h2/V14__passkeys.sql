-- Passkeys (README, "Passkeys"), H2. The same tables as PostgreSQL's V14.

-- An account made by passkey sign-up has no password at all: password logins refuse it as they
-- refuse a wrong password (Passwords.verify checks a decoy hash, so in the same time).
ALTER TABLE accounts ALTER COLUMN password_hash SET NULL;
-- The WebAuthn user handle (user.id), base64url of 32 random bytes: one per account, the same for
-- all its passkeys, set with its first passkey; opaque, so no authenticator learns the username.
ALTER TABLE accounts ADD COLUMN webauthn_user_id CHARACTER VARYING(64);
CREATE UNIQUE INDEX accounts_webauthn_user_id ON accounts (webauthn_user_id);

-- credentials.kind gets a third value, 'WEB': the browser session, whose secret travels only in
-- the openregistry_session cookie (never as a bearer token, never as a refresh token).

CREATE TABLE passkeys (
    -- the credential id, base64url (the spec allows up to 1023 bytes: 1364 characters)
    id              CHARACTER VARYING(1400) PRIMARY KEY,
    username        CHARACTER VARYING(64) NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    name            CHARACTER VARYING(64) NOT NULL,
    -- the attested credential data (AAGUID, credential id, COSE public key) as the authenticator sent it
    credential_data BINARY VARYING(4096) NOT NULL,
    sign_count      BIGINT NOT NULL,
    uv_initialized  BOOLEAN NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backed_up       BOOLEAN NOT NULL,
    -- comma-separated (internal, hybrid, usb, ...), or NULL when the client did not say
    transports      CHARACTER VARYING(255),
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    last_used_at    TIMESTAMP WITH TIME ZONE
);
CREATE INDEX passkeys_owner ON passkeys (username, created_at);

-- A ceremony in progress: single use (deleted before the answer is verified, so of two replicas
-- verifying one answer at most one proceeds) and short-lived (webauthn.challengeTtlSeconds).
CREATE TABLE webauthn_challenges (
    flow        CHARACTER VARYING(32) PRIMARY KEY,
    -- SIGNUP, ADD or SIGNIN
    kind        CHARACTER VARYING(16) NOT NULL,
    -- base64url of 32 random bytes
    challenge   CHARACTER VARYING(64) NOT NULL,
    -- SIGNUP: the name to claim; ADD: the account; SIGNIN: NULL (discoverable)
    username    CHARACTER VARYING(64),
    user_handle CHARACTER VARYING(64),
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
