-- The dashboard (SPEC X-1) reads every agreement's licenses (the installation report's owned
-- counts, per product) and the agreements ending within 90 days on every view. With 50,000
-- agreements both were full scans of the table (and a sort); these indexes answer them from
-- the index alone: owned per product in group order, and the end dates by range.
CREATE INDEX agreements_owned ON agreements (kind, publisher, product, license_count);
CREATE INDEX agreements_by_end ON agreements (ends_on);
