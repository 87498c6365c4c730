// Package store owns every SQL statement on syncd's own tables in schema
// syncd: the outbox (changes), sync_log, row_state, conflicts, mirrors and
// daemons, the schema version check, and the advisory lock keys. The engine,
// the importer, the leader election and the commands call its typed
// functions instead of spelling SQL, so the shape of a table is known in
// exactly one place and a change to it is one diff.
//
// Functions take a [catalog.Querier] (a pool, a connection or a
// transaction; the same pgx subset catalog's lookups take): the caller
// decides what runs in one transaction, store only says what runs.
// [Snapshot] and [InTx] are the two kinds of transaction the engine uses.
//
// The outbox protocol (the op codes the capture triggers write and what
// each means to a mirror) is defined here too, and the trigger generator in
// package migrations spells its SQL with these constants, so writer and
// reader cannot drift apart.
//
// store imports only pgx, the root vocabulary package and catalog (a leaf
// above the root, for its Querier); it must never import the engine.
package store
