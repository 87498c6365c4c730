-- Absence from a tab is not intent (issue 19). A row missing from a tab is a
-- person's deletion only when no positional row deletion of syncd's own
-- could have removed it: syncd deletes rows by index, and a person sorting
-- or inserting rows between syncd's read and its write makes that index
-- hold another record. syncd sets this flag in the transaction that
-- precedes such a write (write-ahead, so a kill between the write and the
-- bookkeeping cannot lose it); the next full read of the tab, which can
-- see every row, restores whatever is missing instead of deleting it and
-- clears the flag.
ALTER TABLE syncd.mirrors ADD COLUMN removals_unverified boolean NOT NULL DEFAULT false;
