-- Directory (SPEC D-1, D-2, D-3): users, groups and members, devices and their detected software.
-- `*_key` columns hold the case-folded value that uniqueness and search use.

CREATE TABLE dir_users (
    id            INTEGER PRIMARY KEY,
    display_name  TEXT NOT NULL,
    display_key   TEXT NOT NULL,
    sign_in_name  TEXT NOT NULL,
    sign_in_key   TEXT NOT NULL UNIQUE,
    department    TEXT NOT NULL DEFAULT '',
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    search_text   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX dir_users_by_name ON dir_users (display_key, id);
CREATE INDEX dir_users_by_sign_in ON dir_users (sign_in_key, id);
CREATE INDEX dir_users_by_department ON dir_users (department, id);
CREATE INDEX dir_users_by_created ON dir_users (created_at, id);

CREATE TABLE dir_groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE dir_group_members (
    group_id INTEGER NOT NULL REFERENCES dir_groups (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX dir_group_members_by_user ON dir_group_members (user_id);

CREATE TABLE dir_devices (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL UNIQUE,
    platform        TEXT NOT NULL CHECK (platform IN ('windows', 'ios', 'macos', 'android')),
    os_version      TEXT NOT NULL DEFAULT '',
    primary_user_id INTEGER REFERENCES dir_users (id) ON DELETE SET NULL,
    join_type       TEXT CHECK (join_type IN ('domain_joined', 'workplace_joined', 'none')),
    last_check_in   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX dir_devices_by_user ON dir_devices (primary_user_id);
CREATE INDEX dir_devices_by_name ON dir_devices (name, id);

CREATE TABLE detected_software (
    id        INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES dir_devices (id) ON DELETE CASCADE,
    publisher TEXT NOT NULL,
    product   TEXT NOT NULL,
    version   TEXT NOT NULL DEFAULT '',
    UNIQUE (device_id, publisher, product, version)
);
CREATE INDEX detected_software_by_product ON detected_software (publisher, product);
