-- Licenses (SPEC L-1 … L-5): license groups, agreements (volume and other software), number sets,
-- and the shipped software catalog that other-software agreements choose from.

CREATE TABLE license_groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,
    builtin    INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO license_groups (name, name_key, builtin, created_at, updated_at)
VALUES ('Unassigned agreements', 'unassigned agreements', 1, 0, 0);

CREATE TABLE agreements (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('volume', 'other')),
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE,
    group_id      INTEGER NOT NULL REFERENCES license_groups (id),
    publisher     TEXT,
    product       TEXT,
    license_count INTEGER,
    starts_on     TEXT,
    ends_on       TEXT,
    details       TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX agreements_by_group ON agreements (group_id, name_key);
CREATE INDEX agreements_by_name ON agreements (name_key, id);

CREATE TABLE agreement_number_sets (
    id            INTEGER PRIMARY KEY,
    agreement_id  INTEGER NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    first_number  TEXT NOT NULL,
    second_number TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'valid', 'invalid')),
    UNIQUE (agreement_id, first_number, second_number)
);

CREATE TABLE software_catalog (
    publisher TEXT NOT NULL,
    product   TEXT NOT NULL,
    PRIMARY KEY (publisher, product)
);
