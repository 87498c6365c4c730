-- Version 6 is reserved for another change being made at the same time
-- (issue 20, sheet_inserts). tern refuses a gap in the numbering, so this
-- placeholder keeps 007 loadable on its own; it does nothing and is deleted
-- when the branches meet (tern reports "Duplicate migration 6" until it is).
SELECT 1;
