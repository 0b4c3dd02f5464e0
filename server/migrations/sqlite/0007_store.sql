-- Store (SPEC S-1 … S-7): links to app-store volume-purchase accounts, their sync runs, the
-- purchased apps they report, and this portal's deployments and license holders.
--
-- Invariant: store_apps.used = COUNT(store_licenses) of the app. It only changes in
-- store::deploy::reconcile, through one conditional UPDATE that refuses to pass total_count.
-- Instants (`*_at`) are UNIX seconds.

CREATE TABLE store_connections (
    id              INTEGER PRIMARY KEY,
    store           TEXT NOT NULL CHECK (store IN ('apple', 'microsoft')),
    name            TEXT NOT NULL,
    -- Apple: the location's uId; Microsoft: the tenant id. A connection never changes account.
    account_id      TEXT NOT NULL,
    -- Apple: the Apple ID the token was downloaded with; Microsoft: the application (client) id.
    account_login   TEXT NOT NULL DEFAULT '',
    org_name        TEXT NOT NULL DEFAULT '',
    location_name   TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    -- The token file (Apple) or client secret (Microsoft), encrypted (secrets.rs).
    secret_enc      TEXT NOT NULL,
    expires_at      INTEGER,
    state           TEXT NOT NULL DEFAULT 'valid'
                    CHECK (state IN ('valid', 'expired', 'revoked', 'other_product')),
    auto_sync       INTEGER NOT NULL DEFAULT 1 CHECK (auto_sync IN (0, 1)),
    -- Sync lease: one run per connection across every server process.
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_updated_at INTEGER NOT NULL,
    last_synced_at  INTEGER,
    created_at      INTEGER NOT NULL,
    removed_at      INTEGER
);
CREATE UNIQUE INDEX store_connections_one_per_store ON store_connections (store)
    WHERE removed_at IS NULL;

CREATE TABLE store_sync_runs (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES store_connections (id),
    trigger       TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'link')),
    started_by    TEXT NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    result        TEXT NOT NULL CHECK (result IN ('running', 'succeeded', 'failed')),
    progress      TEXT NOT NULL DEFAULT '',
    added         INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    retired       INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX store_sync_runs_by_connection ON store_sync_runs (connection_id, id);

CREATE TABLE store_apps (
    id                INTEGER PRIMARY KEY,
    connection_id     INTEGER NOT NULL REFERENCES store_connections (id),
    store             TEXT NOT NULL CHECK (store IN ('apple', 'microsoft')),
    -- Apple: adamId and pricingParam; Microsoft: productId and skuId.
    product_id        TEXT NOT NULL,
    sku               TEXT NOT NULL,
    name              TEXT NOT NULL,
    name_key          TEXT NOT NULL,
    publisher         TEXT NOT NULL,
    platform          TEXT NOT NULL,
    total_count       INTEGER NOT NULL CHECK (total_count >= 0),
    store_assigned    INTEGER NOT NULL DEFAULT 0,
    used              INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
    device_assignable INTEGER NOT NULL DEFAULT 0 CHECK (device_assignable IN (0, 1)),
    retired           INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
    last_synced_at    INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    UNIQUE (connection_id, product_id, sku)
);
CREATE INDEX store_apps_by_name ON store_apps (name_key, id);

-- The store's own record of who holds which asset, replaced by every sync.
CREATE TABLE store_assignments (
    connection_id  INTEGER NOT NULL REFERENCES store_connections (id),
    product_id     TEXT NOT NULL,
    sku            TEXT NOT NULL,
    client_user_id TEXT NOT NULL DEFAULT '',
    serial_number  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX store_assignments_by_asset ON store_assignments (connection_id, product_id, sku);

-- Apple program users: a license reaches a user only after they accept the invitation.
CREATE TABLE store_users (
    connection_id  INTEGER NOT NULL REFERENCES store_connections (id),
    user_id        INTEGER NOT NULL REFERENCES dir_users (id),
    client_user_id TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('registered', 'associated', 'retired')),
    -- 1 once the store was asked to create (invite) the user.
    invited        INTEGER NOT NULL DEFAULT 0 CHECK (invited IN (0, 1)),
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, user_id),
    UNIQUE (connection_id, client_user_id)
);

CREATE TABLE store_deployments (
    id          INTEGER PRIMARY KEY,
    app_id      INTEGER NOT NULL REFERENCES store_apps (id),
    target_kind TEXT NOT NULL CHECK (target_kind IN ('user', 'group', 'device')),
    target_id   INTEGER NOT NULL,
    intent      TEXT NOT NULL CHECK (intent IN ('required', 'available', 'uninstall')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (app_id, target_kind, target_id)
);
CREATE INDEX store_deployments_by_target ON store_deployments (target_kind, target_id);

CREATE TABLE store_licenses (
    app_id     INTEGER NOT NULL REFERENCES store_apps (id),
    user_id    INTEGER NOT NULL REFERENCES dir_users (id),
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
CREATE INDEX store_licenses_by_user ON store_licenses (user_id);

-- Install status per user and device (device_id 0: the user has no matching device yet).
CREATE TABLE store_installs (
    app_id     INTEGER NOT NULL REFERENCES store_apps (id),
    user_id    INTEGER NOT NULL REFERENCES dir_users (id),
    device_id  INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'installed', 'failed', 'uninstalled')),
    detail     TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id, device_id)
);
