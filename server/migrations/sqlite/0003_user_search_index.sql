-- Substring search over users that stays fast at 100,000 users: an FTS5 trigram index over
-- dir_users.search_text, kept in step by triggers. Used through Db::user_search_condition.

CREATE VIRTUAL TABLE dir_users_search USING fts5(
    search_text,
    content = 'dir_users',
    content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO dir_users_search (rowid, search_text) SELECT id, search_text FROM dir_users;

CREATE TRIGGER dir_users_search_insert AFTER INSERT ON dir_users
BEGIN
    INSERT INTO dir_users_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER dir_users_search_delete AFTER DELETE ON dir_users
BEGIN
    INSERT INTO dir_users_search (dir_users_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER dir_users_search_update AFTER UPDATE OF search_text ON dir_users
BEGIN
    INSERT INTO dir_users_search (dir_users_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO dir_users_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
