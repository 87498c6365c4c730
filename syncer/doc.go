// Package syncer owns syncd's domain: mirrors, the change batches drained from
// the Postgres outbox, the diff between a table and its tab, conflicts and the
// sync_log. It defines the small interfaces it needs from the outside world
// ([Spreadsheet], [Codec]) and never imports the packages that implement them
// (sheets, pglisten); cmd/syncd wires the two together.
package syncer
