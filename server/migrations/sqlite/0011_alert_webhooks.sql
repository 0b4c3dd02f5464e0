-- Alert delivery by webhook (SPEC X-2): each opened (or reopened) alert is posted once to every
-- enabled webhook, signed with the webhook's secret (stored sealed), every attempt logged.
CREATE TABLE alert_webhooks (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret_enc TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at INTEGER NOT NULL
);

CREATE TABLE alert_deliveries (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES alert_webhooks (id) ON DELETE CASCADE,
    alert_id     INTEGER REFERENCES alerts (id),
    event        TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT NOT NULL DEFAULT '',
    delivered    INTEGER NOT NULL CHECK (delivered IN (0, 1)),
    at           INTEGER NOT NULL
);
CREATE INDEX alert_deliveries_by_webhook ON alert_deliveries (webhook_id, id);

-- When an alert was last sent to the webhooks: an alert opened (or reopened) after that is sent.
ALTER TABLE alerts ADD COLUMN notified_at INTEGER;
