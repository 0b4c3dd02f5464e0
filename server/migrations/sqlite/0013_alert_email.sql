-- Alert delivery by e-mail over SMTP (SPEC X-2): one settings row (the password stored only
-- sealed), each opened (or reopened) alert mailed once, and a log of every send attempt.
CREATE TABLE alert_email_settings (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    host         TEXT NOT NULL,
    port         INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security     TEXT NOT NULL CHECK (security IN ('starttls', 'tls', 'none')),
    username     TEXT NOT NULL DEFAULT '',
    password_enc TEXT,
    from_address TEXT NOT NULL,
    -- One address per line.
    recipients   TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    updated_at   INTEGER NOT NULL
);

CREATE TABLE alert_email_sends (
    id         INTEGER PRIMARY KEY,
    alert_id   INTEGER REFERENCES alerts (id),
    event      TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    recipients INTEGER NOT NULL,
    delivered  INTEGER NOT NULL CHECK (delivered IN (0, 1)),
    error      TEXT NOT NULL DEFAULT '',
    at         INTEGER NOT NULL
);

-- When an alert was last mailed: an alert opened (or reopened) after that is mailed.
ALTER TABLE alerts ADD COLUMN emailed_at INTEGER;
