-- Substring search over users that stays fast at 100,000 users: a trigram GIN index on
-- dir_users.search_text (pg_trgm is a trusted extension: a database owner may create it).

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX dir_users_search_trgm ON dir_users USING gin (search_text gin_trgm_ops);
