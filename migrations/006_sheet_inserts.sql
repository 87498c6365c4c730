-- The ledger of rows a pass inserted from a tab (sheet_inserts) whose key
-- Postgres generated (issue 19). It is written in the same transaction as the
-- INSERT, so if syncd dies after that commit and before the generated key is
-- written back into the tab, the next pass finds the row it inserted instead
-- of inserting it a second time. An entry is dropped once its key is seen in
-- the tab. Not a contract table.
CREATE TABLE syncd.sheet_inserts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mirror      text NOT NULL,
    -- sha256 of the typed cells as the tab showed them (column → text)
    fingerprint text NOT NULL,
    -- the inserted row's key as syncd encodes row keys (row_state.row_key)
    row_key     text NOT NULL,
    inserted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sheet_inserts_mirror ON syncd.sheet_inserts (mirror, fingerprint);
