-- Facts about the database itself, such as the form of the audit chain
-- (keyed since this release; the start-up upgrade re-seals older rows).
CREATE TABLE studio_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
