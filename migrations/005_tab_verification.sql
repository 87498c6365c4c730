-- A position read a moment ago is not a position now (issue 19). syncd
-- writes and deletes tab rows by index; a person sorting, dragging or
-- inserting rows between syncd's read and its write makes that index hold
-- another record. What such a write aimed at is recorded here before it is
-- sent (write-ahead: a kill between the write and the bookkeeping cannot
-- lose it), as the neighbours the rows must have if the write landed where
-- it was aimed:
--   {"rows":     {"<key>": "<key of the keyed row above it, \"\" = none>"},
--    "removals": [["<key above a deleted run>", "<key below it>"], ...]}
-- It is cleared once syncd knows the write landed (the spreadsheet's Drive
-- version moved by exactly that write), or when a pass that read the whole
-- tab has checked the neighbours and repaired what did not match: a row
-- whose neighbours do not match is not read as anyone's edit, and while a
-- deletion's do not, no missing row is taken for a person's deletion.
ALTER TABLE syncd.mirrors ADD COLUMN unverified jsonb;

-- The tab's row count as syncd last left it (a lower bound: its own
-- appends may fill blank rows instead of growing the grid). A full read
-- takes a missing row for a deletion only while the grid has lost at least
-- that many rows since; kept here so that a restart does not forget it.
ALTER TABLE syncd.mirrors ADD COLUMN tab_rows integer;
