package store

import (
	"context"
	"fmt"

	"github.com/syncd/syncd/catalog"
)

// Advisory lock keys. They sit next to each other (DoorbellLock and the
// keys after it) so that all of syncd's locks are easy to find in pg_locks.
const (
	// DoorbellLock is the advisory lock key of the NOTIFY doorbell. The
	// daemon holds it (exclusively, on its LISTEN connection) only while
	// it waits for work; a capture trigger sends NOTIFY only when it cannot
	// take the lock in shared mode, i.e. only when somebody is waiting.
	// NOTIFY serialises commits cluster-wide, so notifying on every write
	// would halve insert throughput.
	//
	// The shared lock a trigger takes is held to the end of its
	// transaction, so the daemon can arm the doorbell only once every
	// transaction that saw it unarmed has ended: draining after arming then
	// sees all their changes and no wake-up is lost.
	DoorbellLock int64 = 0x73796e6364 // "syncd"
	// MigrateLock serialises concurrent `syncd migrate` runs while they
	// install capture triggers (a transaction lock).
	MigrateLock = DoorbellLock + 1
	// LeaderLock is the session lock whose holder is the leader: the one
	// daemon (or `syncd reconcile`) that writes to the sheet.
	LeaderLock = DoorbellLock + 2
)

// ImportLock serialises imports and rollbacks per database, so two of them
// never interleave their before-images. It is a text key, hashed by the
// server (hashtext), kept as it was when imports were introduced so that a
// mixed-version deployment still excludes itself.
const ImportLock = "syncd.import"

// NotifyChannel is the channel the capture triggers notify (constant, empty
// payload, so Postgres delivers at most one notification per transaction).
const NotifyChannel = "syncd"

// TryLock tries to take the session advisory lock key on q (which must be
// a dedicated connection: the lock belongs to its session) and reports
// whether it got it.
func TryLock(ctx context.Context, q catalog.Querier, key int64) (bool, error) {
	var got bool
	if err := q.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return false, fmt.Errorf("try lock %d: %w", key, err)
	}
	return got, nil
}

// Unlock releases the session advisory lock key held on q.
func Unlock(ctx context.Context, q catalog.Querier, key int64) error {
	if _, err := q.Exec(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
		return fmt.Errorf("unlock %d: %w", key, err)
	}
	return nil
}

// LockTx waits for the transaction advisory lock key; q must be a
// transaction, which releases the lock when it ends.
func LockTx(ctx context.Context, q catalog.Querier, key int64) error {
	if _, err := q.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", key); err != nil {
		return fmt.Errorf("lock %d: %w", key, err)
	}
	return nil
}

// LockImports waits for ImportLock in the transaction q.
func LockImports(ctx context.Context, q catalog.Querier) error {
	if _, err := q.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", ImportLock); err != nil {
		return fmt.Errorf("lock imports: %w", err)
	}
	return nil
}
