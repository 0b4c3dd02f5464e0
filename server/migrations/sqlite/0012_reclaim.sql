-- Reclaim (SPEC X-3): prices an administrator enters for store apps and agreements (per license,
-- per month or per year), the per-app "few licenses left" threshold, and the licenses taken back
-- from users although a deployment or assignment still reaches them.

ALTER TABLE store_apps ADD COLUMN price_minor INTEGER CHECK (price_minor IS NULL OR price_minor >= 0);
ALTER TABLE store_apps ADD COLUMN price_currency TEXT;
ALTER TABLE store_apps ADD COLUMN price_period TEXT CHECK (price_period IS NULL OR price_period IN ('month', 'year'));
-- NULL: the defaults (10 %, 5 licenses).
ALTER TABLE store_apps ADD COLUMN low_percent INTEGER CHECK (low_percent IS NULL OR low_percent BETWEEN 0 AND 100);
ALTER TABLE store_apps ADD COLUMN low_count INTEGER CHECK (low_count IS NULL OR low_count >= 0);

ALTER TABLE agreements ADD COLUMN price_minor INTEGER CHECK (price_minor IS NULL OR price_minor >= 0);
ALTER TABLE agreements ADD COLUMN price_currency TEXT;
ALTER TABLE agreements ADD COLUMN price_period TEXT CHECK (price_period IS NULL OR price_period IN ('month', 'year'));

-- A reclaimed store license: the user is left out of the app's reach (store::deploy::reconcile)
-- until the app is deployed to them (or a device of theirs) directly again.
CREATE TABLE store_reclaims (
    app_id       INTEGER NOT NULL REFERENCES store_apps (id),
    user_id      INTEGER NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    reason       TEXT NOT NULL,
    reclaimed_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
);

-- A reclaimed ISV license: the user no longer counts through a group assignment until they are
-- assigned the app directly again.
CREATE TABLE isv_reclaims (
    app_id       INTEGER NOT NULL REFERENCES isv_apps (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    reason       TEXT NOT NULL,
    reclaimed_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
