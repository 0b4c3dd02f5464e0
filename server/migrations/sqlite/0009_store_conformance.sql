-- Store conformance (Apple's real service, not only the simulator).
-- Names come from the content metadata lookup, which may not know an app yet: such an app
-- keeps a stand-in name and is looked up again by the next sync (name_pending = 1).
ALTER TABLE store_apps ADD COLUMN name_pending INTEGER NOT NULL DEFAULT 0;
-- When every app's name was last looked up (names are refreshed weekly, new apps every sync).
ALTER TABLE store_connections ADD COLUMN names_checked_at INTEGER;
-- The Apple event an install waits for: an association is "installed" only once
-- GET /status?eventId= reports it COMPLETE, and "failed" with Apple's error when it does not.
ALTER TABLE store_installs ADD COLUMN event_id TEXT;
CREATE INDEX store_installs_by_event ON store_installs (event_id);
