-- API tokens for the REST API (SPEC X-4). Only the secret's SHA-256 is stored; `hint` is the
-- secret's first characters, to tell tokens apart. Kept in lockstep with migrations/postgres.

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('global_admin', 'license_admin', 'user_admin', 'billing_admin', 'reader')),
    secret_hash  TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES admins (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    last_used_ip TEXT
);
CREATE INDEX api_tokens_created ON api_tokens (created_at);

