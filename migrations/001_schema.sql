-- syncd's own schema: the outbox the capture triggers fill, the log of every
-- batch, and the conflicts people need to look at. Columns named in CONTRACT.md §5
-- are a contract; the rest are ours.

-- Schema syncd itself is created by migrations.ApplySchema when missing:
-- CREATE SCHEMA IF NOT EXISTS would need CREATE on the database even when a
-- DBA has already made the schema for a least-privilege role.

-- The durable outbox. Triggers append the keys of changed rows; the daemon
-- deletes exactly the ids it has mirrored. No cursor, so late commits are
-- never skipped.
CREATE TABLE syncd.changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tbl        regclass NOT NULL,
    -- I insert, U update, D delete (also the old key of a key update),
    -- T truncate (full resync marker), S statement on a depends_on table.
    op         "char" NOT NULL CHECK (op IN ('I', 'U', 'D', 'T', 'S')),
    key        jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE syncd.sync_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mirror       text NOT NULL,
    direction    text NOT NULL CHECK (direction IN ('pg_to_sheet', 'sheet_to_pg')),
    kind         text NOT NULL CHECK (kind IN ('change', 'reconcile', 'import')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status       text NOT NULL CHECK (status IN ('ok', 'error')),
    rows_written integer NOT NULL DEFAULT 0,
    rows_deleted integer NOT NULL DEFAULT 0,
    api_calls    integer NOT NULL DEFAULT 0,
    error        text,
    -- ours: outbox entries consumed, cells truncated, drift found, details
    changes      integer NOT NULL DEFAULT 0,
    warnings     integer NOT NULL DEFAULT 0,
    drift        integer,
    details      jsonb
);
CREATE INDEX sync_log_mirror_id ON syncd.sync_log (mirror, id DESC);

CREATE TABLE syncd.conflicts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mirror      text NOT NULL,
    row_key     jsonb,
    column_name text,
    sheet_value text,
    db_value    text,
    detected_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    -- ours: why it is a conflict (both_changed, not_editable, sheet_only_row,
    -- bad_value) and a human-readable explanation
    reason      text,
    message     text
);
CREATE INDEX conflicts_open ON syncd.conflicts (mirror) WHERE resolved_at IS NULL;

-- What syncd last wrote per row: the base of the three-way merge of editable
-- cells (sheet vs base vs database).
CREATE TABLE syncd.row_state (
    mirror  text NOT NULL,
    row_key text NOT NULL,
    cells   jsonb NOT NULL,
    PRIMARY KEY (mirror, row_key)
);

-- Per-mirror state: the tab syncd owns (found again by id when people rename
-- it) and what the last reconcile found, for `syncd status`.
CREATE TABLE syncd.mirrors (
    name              text PRIMARY KEY,
    sheet_id          bigint,
    last_reconcile_at timestamptz,
    rows_in_table     bigint,
    rows_in_tab       bigint,
    drift             integer
);

-- One row per running daemon; the leader is the one holding the advisory
-- lock. status reads it to tell running from stale from stopped.
CREATE TABLE syncd.daemons (
    instance     text PRIMARY KEY,
    pid          integer NOT NULL,
    host         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('leader', 'standby', 'stopped')),
    version      text,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    details      jsonb
);
