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
--   * a key column that is no longer there: the key records it as JSON null,
--     which the daemon reads as "this row cannot be named": a full resync
--     (store.ReadChanges);
--   * a mirrored column that is no longer there: every updated row counts as
--     changed (the whole row is compared) until the triggers are refreshed;
--   * a retyped column: to_jsonb renders any type.
-- The table itself is recorded by OID (TG_RELID::regclass), so a renamed
-- table keeps its outbox entries.
--
-- Arguments: TG_ARGV[0] the mirrored columns as a text[] literal (empty: any
-- change of the row counts), TG_ARGV[1..] the key columns, one an argument.
-- No arguments: the table is only a depends_on source and gets one 'S'
-- marker per statement. A single-column key (the common case) is picked
-- inline: checking or looping per row costs insert throughput.
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
BEGIN
  IF TG_OP = 'INSERT' AND TG_NARGS = 2 THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'I', jsonb_build_object(TG_ARGV[1], to_jsonb(n) -> TG_ARGV[1]) FROM new_rows n;
  ELSIF TG_NARGS < 2 OR TG_OP = 'TRUNCATE' THEN
    INSERT INTO syncd.changes (tbl, op)
      VALUES (TG_RELID::regclass, CASE WHEN TG_OP = 'TRUNCATE' THEN 'T' ELSE 'S' END);
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'I', syncd.pick(to_jsonb(n), TG_ARGV[1:TG_NARGS - 1]) FROM new_rows n;
  ELSIF TG_OP = 'UPDATE' THEN
    -- A key update is a delete of the old key and an upsert of the new.
    INSERT INTO syncd.changes (tbl, op, key)
      WITH o AS (SELECT syncd.pick(r, TG_ARGV[1:TG_NARGS - 1]) AS k, syncd.compared(r, TG_ARGV[0]::text[]) AS v
                   FROM (SELECT to_jsonb(o) AS r FROM old_rows o) x),
           n AS (SELECT syncd.pick(r, TG_ARGV[1:TG_NARGS - 1]) AS k, syncd.compared(r, TG_ARGV[0]::text[]) AS v
                   FROM (SELECT to_jsonb(n) AS r FROM new_rows n) x)
      SELECT TG_RELID::regclass, 'U', n.k FROM n
       WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.k = n.k AND o.v = n.v)
      UNION ALL
      SELECT TG_RELID::regclass, 'D', o.k FROM o
       WHERE NOT EXISTS (SELECT 1 FROM n WHERE n.k = o.k);
  ELSIF TG_NARGS = 2 THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'D', jsonb_build_object(TG_ARGV[1], to_jsonb(o) -> TG_ARGV[1]) FROM old_rows o;
  ELSE
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'D', syncd.pick(to_jsonb(o), TG_ARGV[1:TG_NARGS - 1]) FROM old_rows o;
  END IF;
  IF FOUND AND NOT pg_try_advisory_xact_lock_shared(495958516580) THEN
    PERFORM pg_notify('syncd', '');
  END IF;
  RETURN NULL;
END
$$;
