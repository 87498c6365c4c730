// Package writeback is the one guarded door through which syncd changes the
// application's tables: the edit of editable cells (Update), a row typed
// into a tab (Insert), a row deleted from a tab or a held-back deletion
// resolved (Delete). No other package runs INSERT, UPDATE or DELETE on a
// mirrored table.
//
// Every statement
//
//   - runs exactly once, in its own savepoint (SAVEPOINT; statement;
//     RELEASE, or ROLLBACK TO and RELEASE when Postgres refuses it), so a
//     refused value costs one statement and the pass goes on: sequences
//     advance once and the application's triggers fire once;
//   - is compare-and-set: Update and Delete apply only to the row that
//     still holds, in every mirrored column, what syncd last showed
//     (compared as text, since json and point have no equality);
//   - passes each value in assignment context: cast to the column's type
//     without its modifier (catalog.AssignTypes) and then assigned, so
//     Postgres refuses a value that does not fit ("value too long") where
//     an explicit cast to varchar(20) would silently cut it;
//   - reports a refusal as a *RefusedError naming table.column with
//     Postgres' message, and every other failure as a plain error.
//
// Because each statement runs in a subtransaction, the outbox entries its
// capture trigger writes carry the subtransaction's id, not the top-level
// one; the door collects those ids (RETURNING xmin, or xmax for a DELETE)
// so that DropOwnChanges removes exactly the entries of its own statements.
package writeback
