-- Entitlements fetched from the volume licensing service by Refresh now (SPEC L-3).

CREATE TABLE agreement_entitlements (
    id           INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    publisher    TEXT NOT NULL,
    product      TEXT NOT NULL,
    quantity     INTEGER NOT NULL
);
CREATE INDEX agreement_entitlements_by_agreement ON agreement_entitlements (agreement_id);
