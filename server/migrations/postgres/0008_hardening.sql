-- Sign-in throttle scopes (an account or a client address): the row a sign-in locks while it
-- decides, so simultaneous attempts are counted one after another, and when throttling was
-- last written to the audit log (one summary entry per scope and window, not one per attempt).
CREATE TABLE sign_in_scopes (
    scope              TEXT PRIMARY KEY,
    throttle_logged_at BIGINT
);

-- A number set identifies one agreement: the same set under two agreements would be counted
-- twice by Refresh now. Sets stored twice before this rule keep their oldest copy as the one
-- that counts; the later copies point at it (and are left out of Refresh now and the reports).
ALTER TABLE agreement_number_sets ADD COLUMN duplicate_of BIGINT;
UPDATE agreement_number_sets SET duplicate_of = (
    SELECT MIN(o.id) FROM agreement_number_sets o
    WHERE o.first_number = agreement_number_sets.first_number
      AND o.second_number = agreement_number_sets.second_number
) WHERE id > (
    SELECT MIN(o.id) FROM agreement_number_sets o
    WHERE o.first_number = agreement_number_sets.first_number
      AND o.second_number = agreement_number_sets.second_number
);
CREATE UNIQUE INDEX agreement_number_sets_once ON agreement_number_sets (first_number, second_number)
    WHERE duplicate_of IS NULL;

-- Licenses the store reports as assigned that are not this portal's holders (another console,
-- a previous product): computed by every sync, they are not free (store::deploy::reconcile).
ALTER TABLE store_apps ADD COLUMN outside_assigned BIGINT NOT NULL DEFAULT 0;
