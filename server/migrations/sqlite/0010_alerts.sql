-- Alerts (SPEC X-2): one row per condition (rule + subject), raised and closed by the alert
-- job. A condition that returns reopens its row; acknowledging and snoozing are kept per row.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    rule            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    area            TEXT NOT NULL CHECK (area IN ('store', 'licenses', 'billing')),
    severity        TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    -- What the title is made of (names, dates, counts), as JSON; the text is written when read.
    params          TEXT NOT NULL DEFAULT '{}',
    link            TEXT NOT NULL,
    opened_at       INTEGER NOT NULL,
    closed_at       INTEGER,
    -- The evaluation that last found the condition (rows not found by the latest are closed).
    seen_in         INTEGER NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at INTEGER,
    snoozed_until   INTEGER,
    UNIQUE (rule, subject)
);
CREATE INDEX alerts_open ON alerts (closed_at, severity);

-- One row: every evaluation locks it first, so evaluations on several servers run one at a time.
CREATE TABLE alert_evaluations (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    evaluated_at INTEGER NOT NULL,
    generation   INTEGER NOT NULL
);
INSERT INTO alert_evaluations (id, evaluated_at, generation) VALUES (1, 0, 0);
