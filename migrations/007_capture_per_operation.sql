-- One capture function per operation (issue 20), replacing syncd.capture()
-- for the row triggers; syncd.capture() stays for the TRUNCATE and
-- depends_on markers, and for triggers installed before this version until
-- `syncd migrate` refreshes them.
--
-- Why: syncd.capture() did every operation's work in one generic body. An
-- INSERT or a DELETE needs only the key, and an UPDATE needs only the key
-- and the mirrored columns, but the generic UPDATE path called two SQL
-- helper functions per row and side, and the planner repeated to_jsonb at
-- every reference to it (≈ 250 µs of backend CPU per one-row UPDATE in a
-- loop, against ≈ 40 µs for round 1's generated trigger). These functions
-- do the least each operation needs, still without naming any column:
--   * record_insert / record_delete(key columns...): one pass over the
--     transition table, the key picked from the row as jsonb;
--   * record_update(mirrored columns as a text[] literal, key columns...):
--     old and new rows joined on their key in one pass, each row turned
--     into jsonb once (OFFSET 0 keeps the planner from repeating to_jsonb
--     at every reference), and only the mirrored columns compared.
--
-- Still true, as in 003_capture.sql (docs/ARCHITECTURE.md, Change capture):
-- no identifier of a user table in any body, so the application's DDL never
-- makes its statement fail here:
--   * a key column that no longer exists: the key records it as JSON null,
--     which store.ReadChanges reads as a full-resync marker;
--   * a mirrored column that no longer exists: the whole row is compared;
--   * a retyped column: to_jsonb renders any type.
-- "#variable_conflict use_variable": the transition tables' columns are the
-- application's, so a column named like a PL/pgSQL variable (tg_argv,
-- tg_relid, ...) must not make a query ambiguous; rows are referenced as
-- n.* and o.*, never by a bare alias a column could shadow.
--
-- Outbox semantics are those of 003: I and D carry the key of each row; U
-- the key of each new row whose mirrored columns changed (compared as text:
-- json, point and xml have no equality operator, and text keeps numeric
-- scale; no mirrored columns listed: every updated row counts) and D each
-- old key no longer present (a key update is a delete of the old key and an
-- upsert of the new). Keys are jsonb objects, so they are the same bytes
-- however they are built.
--
-- The doorbell: NOTIFY only when the daemon holds advisory lock
-- 495958516580 (store.DoorbellLock) exclusively, i.e. is waiting; constant
-- payload so Postgres sends at most one per transaction. A test checks the
-- constants against the Go ones.

-- record_insert: an 'I' with the key of every inserted row. Arguments: the
-- key columns, one an argument. A one-column key (the common case) is
-- picked inline.
CREATE FUNCTION syncd.record_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
  IF TG_NARGS = 1 THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'I', jsonb_build_object(TG_ARGV[0], to_jsonb(n.*) -> TG_ARGV[0]) FROM new_rows n;
  ELSE
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'I', (SELECT jsonb_object_agg(c, x.r -> c) FROM unnest(TG_ARGV) c)
        FROM (SELECT to_jsonb(n.*) AS r FROM new_rows n OFFSET 0) x;
  END IF;
  IF FOUND AND NOT pg_try_advisory_xact_lock_shared(495958516580) THEN
    PERFORM pg_notify('syncd', '');
  END IF;
  RETURN NULL;
END
$$;

-- record_delete: a 'D' with the key of every deleted row; arguments as
-- record_insert's.
CREATE FUNCTION syncd.record_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
  IF TG_NARGS = 1 THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'D', jsonb_build_object(TG_ARGV[0], to_jsonb(o.*) -> TG_ARGV[0]) FROM old_rows o;
  ELSE
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'D', (SELECT jsonb_object_agg(c, x.r -> c) FROM unnest(TG_ARGV) c)
        FROM (SELECT to_jsonb(o.*) AS r FROM old_rows o OFFSET 0) x;
  END IF;
  IF FOUND AND NOT pg_try_advisory_xact_lock_shared(495958516580) THEN
    PERFORM pg_notify('syncd', '');
  END IF;
  RETURN NULL;
END
$$;

-- changed says whether an updated row's mirrored columns differ between
-- its old image o and new image n (both to_jsonb of the row): with cols
-- empty, always; with a mirrored column gone, when anything differs;
-- otherwise when n's mirrored members laid over o differ from o. Compared as
-- text (numeric scale counts), after a cheaper jsonb comparison that settles
-- every real change. Inlined into record_update's query.
CREATE FUNCTION syncd.changed(o jsonb, n jsonb, cols text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN cardinality(cols) = 0 THEN true
              WHEN n ?& cols THEN NOT (n || (o - cols) = o AND (n || (o - cols))::text = o::text)
              ELSE NOT (n = o AND n::text = o::text) END
$$;

-- record_update: 'U' for each new row whose mirrored columns changed or
-- whose key is new, 'D' for each old key gone. Arguments: the mirrored
-- columns as a text[] literal (empty: every updated row counts), then the
-- key columns, one an argument. Old and new rows are joined on the key
-- (jk), which is NULL when a key column is gone: such rows pair with
-- nothing, each new row records its key with a JSON null (a full resync),
-- and the old rows add nothing more.
CREATE FUNCTION syncd.record_update() RETURNS trigger
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
  mirrored text[] := TG_ARGV[0]::text[];
  keycols text[] := TG_ARGV[1:TG_NARGS - 1];
BEGIN
  IF TG_NARGS = 2 THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, CASE WHEN n.r IS NULL THEN 'D' ELSE 'U' END,
             jsonb_build_object(keycols[1], coalesce(n.jk, o.jk))
        FROM (SELECT x.r, x.r -> keycols[1] AS jk FROM (SELECT to_jsonb(o.*) AS r FROM old_rows o OFFSET 0) x) o
        FULL JOIN (SELECT x.r, x.r -> keycols[1] AS jk FROM (SELECT to_jsonb(n.*) AS r FROM new_rows n OFFSET 0) x) n
          ON o.jk = n.jk
       WHERE CASE WHEN n.r IS NULL THEN o.jk IS NOT NULL
                  WHEN o.r IS NULL THEN true
                  ELSE syncd.changed(o.r, n.r, mirrored) END;
  ELSE
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, CASE WHEN n.r IS NULL THEN 'D' ELSE 'U' END, coalesce(n.k, o.k)
        FROM (SELECT y.r, y.k, CASE WHEN y.r ?& keycols THEN y.k END AS jk
                FROM (SELECT x.r, (SELECT jsonb_object_agg(c, x.r -> c) FROM unnest(keycols) c) AS k
                        FROM (SELECT to_jsonb(o.*) AS r FROM old_rows o OFFSET 0) x OFFSET 0) y) o
        FULL JOIN (SELECT y.r, y.k, CASE WHEN y.r ?& keycols THEN y.k END AS jk
                     FROM (SELECT x.r, (SELECT jsonb_object_agg(c, x.r -> c) FROM unnest(keycols) c) AS k
                             FROM (SELECT to_jsonb(n.*) AS r FROM new_rows n OFFSET 0) x OFFSET 0) y) n
          ON o.jk = n.jk
       WHERE CASE WHEN n.r IS NULL THEN o.jk IS NOT NULL
                  WHEN o.r IS NULL THEN true
                  ELSE syncd.changed(o.r, n.r, mirrored) END;
  END IF;
  IF FOUND AND NOT pg_try_advisory_xact_lock_shared(495958516580) THEN
    PERFORM pg_notify('syncd', '');
  END IF;
  RETURN NULL;
END
$$;
