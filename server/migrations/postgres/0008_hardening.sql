-- Sign-in throttle scopes (an account or a client address): the row a sign-in locks while it
-- decides, so simultaneous attempts are counted one after another, and when throttling was
-- last written to the audit log (one summary entry per scope and window, not one per attempt).
CREATE TABLE sign_in_scopes (
    scope              TEXT PRIMARY KEY,
    throttle_logged_at BIGINT
);
