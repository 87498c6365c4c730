-- Row keys become JSON arrays of the key columns' Postgres texts (issue 14):
-- ["x"], ["p\u001fq","2024-01-02"]. Round 1 joined the texts of composite
-- keys with U+001F, which text keys may contain, so "x" and "x<US>y" could be
-- confused. Every row_state key stored before this version is in the old
-- form; array_to_json escapes exactly as syncd encodes new keys
-- (syncer/keys.go). A one-column key that itself held U+001F converts to a
-- key of the wrong length and matches no row: its base is forgotten, which
-- at worst turns one later edit of that row into a both_changed conflict.
-- syncd.conflicts already stores row_key as a jsonb object and is unchanged.
UPDATE syncd.row_state
SET row_key = array_to_json(CASE WHEN row_key = '' THEN ARRAY['']
                                 ELSE string_to_array(row_key, chr(31)) END)::text;
