-- One capture function for every mirrored table, written once here instead
-- of generated per table.
--
-- Why: a generated function names the table's columns in compiled PL/pgSQL,
-- so an application's own DDL (DROP COLUMN, RENAME COLUMN) made every later
-- write to the table fail inside syncd's trigger until someone ran
-- `syncd migrate`; and generated text spliced identifiers into a
-- dollar-quoted body. This function contains no identifier of any user
-- table: it reads rows as jsonb (to_jsonb of the transition table's row) and
-- gets the key and mirrored column names as trigger arguments. A column
-- dropped, renamed or retyped after the triggers were installed therefore
-- never makes the application's statement fail:
--   * a key column that is no longer there: each row records a 'T' (full
--     resync) marker instead of its key;
--   * a mirrored column that is no longer there: every updated row counts as
--     changed (the whole row is compared) until the triggers are refreshed;
--   * a retyped column: to_jsonb renders any type.
-- The table itself is recorded by OID (TG_RELID::regclass), so a renamed
-- table keeps its outbox entries.
--
-- Arguments: TG_ARGV[0] the key columns as a text[] literal, TG_ARGV[1] the
-- mirrored columns (empty: any change of the row counts). No arguments: the
-- table is only a depends_on source and gets one 'S' marker per statement.
--
-- The doorbell: NOTIFY only when the daemon holds advisory lock
-- 495958516580 (migrations.DoorbellLock) exclusively, i.e. is waiting. The
-- constant is checked against the Go one by a test.

-- pick returns the object of r's members named in cols.
CREATE FUNCTION syncd.pick(r jsonb, cols text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN cardinality(cols) = 1 THEN jsonb_build_object(cols[1], r -> cols[1])
              ELSE (SELECT coalesce(jsonb_object_agg(c, r -> c), '{}') FROM unnest(cols) c) END
$$;

-- compared is what an UPDATE compares to decide whether a row changed: the
-- mirrored columns as text (json, point and xml have no equality operator,
-- and text keeps numeric scale), the whole row when one of them is gone,
-- and NULL (never equal: always changed) when no columns are listed.
CREATE FUNCTION syncd.compared(r jsonb, cols text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN cardinality(cols) = 0 THEN NULL
              WHEN r ?& cols THEN syncd.pick(r, cols)::text
              ELSE r::text END
$$;

CREATE FUNCTION syncd.capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  keys text[];
  cols text[];
BEGIN
  IF TG_NARGS = 0 OR TG_OP = 'TRUNCATE' THEN
    INSERT INTO syncd.changes (tbl, op)
      VALUES (TG_RELID::regclass, CASE WHEN TG_OP = 'TRUNCATE' THEN 'T' ELSE 'S' END);
  ELSE
    keys := TG_ARGV[0]::text[];
    cols := TG_ARGV[1]::text[];
    -- A row without all key columns (one was dropped or renamed since the
    -- triggers were installed) records a 'T' (full resync) marker instead of
    -- its key. The single-column key is spelled out inline: it is the common
    -- case and a function call per row would cost insert throughput.
    IF TG_OP = 'INSERT' THEN
      INSERT INTO syncd.changes (tbl, op, key)
        SELECT TG_RELID::regclass, CASE WHEN r ?& keys THEN 'I' ELSE 'T' END,
               CASE WHEN NOT r ?& keys THEN NULL
                    WHEN cardinality(keys) = 1 THEN jsonb_build_object(keys[1], r -> keys[1])
                    ELSE syncd.pick(r, keys) END
          FROM (SELECT to_jsonb(n) AS r FROM new_rows n) x;
    ELSIF TG_OP = 'UPDATE' THEN
      -- A key update is a delete of the old key and an upsert of the new.
      INSERT INTO syncd.changes (tbl, op, key)
        WITH o AS (SELECT r ?& keys AS ok, syncd.pick(r, keys) AS k, syncd.compared(r, cols) AS v
                     FROM (SELECT to_jsonb(o) AS r FROM old_rows o) x),
             n AS (SELECT r ?& keys AS ok, syncd.pick(r, keys) AS k, syncd.compared(r, cols) AS v
                     FROM (SELECT to_jsonb(n) AS r FROM new_rows n) x)
        SELECT TG_RELID::regclass, CASE WHEN n.ok THEN 'U' ELSE 'T' END, CASE WHEN n.ok THEN n.k END FROM n
         WHERE NOT n.ok OR NOT EXISTS (SELECT 1 FROM o WHERE o.k = n.k AND o.v = n.v)
        UNION ALL
        SELECT TG_RELID::regclass, 'D', o.k FROM o
         WHERE o.ok AND NOT EXISTS (SELECT 1 FROM n WHERE n.k = o.k);
    ELSE
      INSERT INTO syncd.changes (tbl, op, key)
        SELECT TG_RELID::regclass, CASE WHEN r ?& keys THEN 'D' ELSE 'T' END,
               CASE WHEN NOT r ?& keys THEN NULL
                    WHEN cardinality(keys) = 1 THEN jsonb_build_object(keys[1], r -> keys[1])
                    ELSE syncd.pick(r, keys) END
          FROM (SELECT to_jsonb(o) AS r FROM old_rows o) x;
    END IF;
  END IF;
  IF FOUND AND NOT pg_try_advisory_xact_lock_shared(495958516580) THEN
    PERFORM pg_notify('syncd', '');
  END IF;
  RETURN NULL;
END
$$;
