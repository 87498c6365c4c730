-- What `syncd import` needs beyond sync_log (issue 6). An import's id is
-- its sync_log row's id (direction 'sheet_to_pg', kind 'import').

-- One row per executed import: the plan it ran, its tables in load order,
-- and whether it has been rolled back (a rollback is itself logged in
-- sync_log, as rollback_id). No foreign key to sync_log on purpose: pruning
-- old log rows must not be blocked by, nor take away, what a rollback needs.
CREATE TABLE syncd.imports (
    id             bigint PRIMARY KEY,
    plan           text NOT NULL,
    spreadsheet_id text NOT NULL,
    tables         text[] NOT NULL,
    rolled_back_at timestamptz,
    rollback_id    bigint
);

-- Every row an import rejected, verbatim, so nothing in the sheet is lost:
-- where it was, why, the offending cell and the whole row (header → text).
CREATE TABLE syncd.import_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id   bigint NOT NULL REFERENCES syncd.imports (id),
    tab         text NOT NULL,
    row_number  integer NOT NULL,
    column_name text,
    kind        text NOT NULL,
    value       text,
    message     text,
    row_data    jsonb NOT NULL
);
CREATE INDEX import_rejects_import ON syncd.import_rejects (import_id);

-- What an import changed, for -rollback: the key of each row it inserted
-- or updated, the imported columns' values before (updates only) and
-- after. Rollback refuses when a row no longer holds its after-image.
CREATE TABLE syncd.import_rows (
    import_id  bigint NOT NULL REFERENCES syncd.imports (id),
    tbl        text NOT NULL,
    key        jsonb NOT NULL,
    action     text NOT NULL CHECK (action IN ('inserted', 'updated')),
    before     jsonb,
    after      jsonb NOT NULL,
    PRIMARY KEY (import_id, tbl, key)
);
