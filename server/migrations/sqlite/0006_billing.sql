-- Billing (SPEC B-1 … B-9): billing profiles with payment methods and per-profile roles, SaaS
-- subscriptions and their quantity changes, invoices with line items, idempotency keys for
-- billing mutations, ISV apps and their license assignments. Money is integer minor units.
-- Dates (`*_on`) are ISO `YYYY-MM-DD` text; instants (`*_at`) are UNIX seconds.

CREATE TABLE billing_profiles (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL UNIQUE,
    contact_name TEXT NOT NULL,
    address_line TEXT NOT NULL,
    city         TEXT NOT NULL,
    postal_code  TEXT NOT NULL,
    region       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE payment_methods (
    id          INTEGER PRIMARY KEY,
    profile_id  INTEGER NOT NULL REFERENCES billing_profiles (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('card', 'wire')),
    card_brand  TEXT,
    card_last4  TEXT CHECK (card_last4 IS NULL OR length(card_last4) = 4),
    card_exp_month INTEGER,
    card_exp_year  INTEGER,
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  INTEGER NOT NULL
);
CREATE INDEX payment_methods_by_profile ON payment_methods (profile_id);

CREATE TABLE billing_profile_roles (
    profile_id INTEGER NOT NULL REFERENCES billing_profiles (id) ON DELETE CASCADE,
    admin_id   INTEGER NOT NULL REFERENCES admins (id),
    role       TEXT NOT NULL CHECK (role IN ('owner', 'contributor', 'reader', 'invoice_manager')),
    PRIMARY KEY (profile_id, admin_id)
);

CREATE TABLE subscriptions (
    id               INTEGER PRIMARY KEY,
    app_name         TEXT NOT NULL,
    publisher        TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('direct', 'partner', 'proposal')),
    pricing          TEXT NOT NULL CHECK (pricing IN ('flat_rate', 'per_license')),
    frequency        TEXT NOT NULL CHECK (frequency IN ('monthly', 'annual')),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    currency         TEXT NOT NULL,
    quantity         INTEGER CHECK (quantity IS NULL OR quantity >= 1),
    assigned         INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0),
    term_start_on    TEXT NOT NULL,
    renews_on        TEXT NOT NULL,
    auto_renew       INTEGER NOT NULL DEFAULT 1 CHECK (auto_renew IN (0, 1)),
    profile_id       INTEGER NOT NULL REFERENCES billing_profiles (id),
    portal_url       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending_activation', 'active', 'disabled')),
    disabled_reason  TEXT CHECK (disabled_reason IS NULL OR disabled_reason IN ('cancelled', 'expired', 'payment_overdue')),
    activated_at     INTEGER,
    disabled_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((status = 'disabled') = (disabled_reason IS NOT NULL)),
    CHECK ((pricing = 'flat_rate') = (quantity IS NULL))
);
CREATE INDEX subscriptions_by_profile ON subscriptions (profile_id);
CREATE INDEX subscriptions_by_name ON subscriptions (app_name, id);

CREATE TABLE invoices (
    id         INTEGER PRIMARY KEY,
    number     TEXT NOT NULL UNIQUE,
    profile_id INTEGER NOT NULL REFERENCES billing_profiles (id),
    period     TEXT NOT NULL,
    issued_on  TEXT NOT NULL,
    due_on     TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'paid', 'overdue')),
    paid_at    INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (profile_id, period)
);
CREATE INDEX invoices_by_period ON invoices (period DESC, id DESC);

-- Charges that go onto the next invoice: activation mid-period and quantity changes, prorated.
CREATE TABLE subscription_adjustments (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    effective_on    TEXT NOT NULL,
    old_quantity    INTEGER NOT NULL,
    new_quantity    INTEGER NOT NULL,
    days_charged    INTEGER NOT NULL,
    days_in_period  INTEGER NOT NULL,
    amount_minor    INTEGER NOT NULL,
    invoice_id      INTEGER REFERENCES invoices (id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX subscription_adjustments_open ON subscription_adjustments (subscription_id, invoice_id);

CREATE TABLE invoice_lines (
    id              INTEGER PRIMARY KEY,
    invoice_id      INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    subscription_id INTEGER REFERENCES subscriptions (id),
    kind            TEXT NOT NULL CHECK (kind IN ('charge', 'proration')),
    description     TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    amount_minor    INTEGER NOT NULL,
    currency        TEXT NOT NULL
);
CREATE INDEX invoice_lines_by_invoice ON invoice_lines (invoice_id);
CREATE INDEX invoice_lines_by_subscription ON invoice_lines (subscription_id);

-- A retried billing mutation with the same key has exactly one effect.
CREATE TABLE billing_requests (
    key        TEXT PRIMARY KEY,
    operation  TEXT NOT NULL,
    result     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE isv_apps (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL UNIQUE,
    publisher      TEXT NOT NULL,
    owned          INTEGER NOT NULL CHECK (owned >= 0),
    install_url    TEXT NOT NULL,
    vendor_contact TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE isv_assignments (
    id         INTEGER PRIMARY KEY,
    app_id     INTEGER NOT NULL REFERENCES isv_apps (id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES dir_users (id) ON DELETE CASCADE,
    group_id   INTEGER REFERENCES dir_groups (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    UNIQUE (app_id, user_id),
    UNIQUE (app_id, group_id)
);
CREATE INDEX isv_assignments_by_user ON isv_assignments (user_id);
CREATE INDEX isv_assignments_by_group ON isv_assignments (group_id);
