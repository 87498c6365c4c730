package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// countProduced makes the database itself count the outbox entries the
// workload produces: a statement trigger on syncd.changes adds each
// statement's rows to chaos_produced in the writer's transaction, so the
// count includes exactly the committed entries, whatever errors the writers
// saw (a commit whose answer was lost to a server restart still counts).
const countProduced = `
CREATE TABLE chaos_produced (n integer NOT NULL);
CREATE FUNCTION chaos_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO chaos_produced SELECT count(*) FROM new_rows;
	RETURN NULL;
END $$;
CREATE TRIGGER chaos_count AFTER INSERT ON syncd.changes
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION chaos_count();`

// workload is several writers changing items concurrently until they have
// made about target changes (outbox entries) between them.
type workload struct {
	pool    *pgxpool.Pool
	writers int
	target  int64
	pace    time.Duration // per writer, between statements

	made   atomic.Int64 // changes made, as the writers count them
	failed atomic.Int64 // statements that failed and were retried
}

// run blocks until the target is reached or ctx ends. Statements that fail
// (the server is restarting) are retried with a fresh choice; the error of
// a writer that cannot get a statement through for a minute is returned.
func (wl *workload) run(ctx context.Context, seed uint64) error {
	var wg sync.WaitGroup
	errs := make([]error, wl.writers)
	for i := range wl.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = wl.writer(ctx, i, rand.New(rand.NewPCG(seed, uint64(i))))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (wl *workload) writer(ctx context.Context, id int, rng *rand.Rand) error {
	tick := time.NewTicker(wl.pace)
	defer tick.Stop()
	lastOK := time.Now()
	for wl.made.Load() < wl.target {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C: // pacing shapes the workload; it waits for nothing
		}
		n, err := wl.step(ctx, id, rng)
		if err != nil {
			wl.failed.Add(1)
			if time.Since(lastOK) > time.Minute {
				return fmt.Errorf("writer %d: no statement succeeded for a minute: %w", id, err)
			}
			continue
		}
		lastOK = time.Now()
		wl.made.Add(n)
	}
	return nil
}

// step runs one randomly chosen statement (or transaction) of writer id
// and returns the outbox entries it produced: one per inserted, updated or
// deleted row, two per key update (the old key's delete and the new key).
func (wl *workload) step(ctx context.Context, id int, rng *rand.Rand) (int64, error) {
	var tag pgconn.CommandTag
	var err error
	exec := func(sql string, args ...any) {
		tag, err = wl.pool.Exec(ctx, sql, args...)
	}
	label := func() any {
		switch rng.IntN(10) {
		case 0:
			return nil // NULL: an empty cell
		case 1:
			return "=1+1 looks like a formula"
		default:
			return fmt.Sprintf("item of writer %d, %d", id, rng.IntN(1000))
		}
	}
	switch p := rng.IntN(100); {
	case p < 35: // one row
		exec(`INSERT INTO items (writer, grp, qty, label, amount) VALUES ($1, $2, $3, $4, $5)`,
			id, rng.IntN(10), rng.IntN(100), label(), float64(rng.IntN(1e6))/100)
	case p < 50: // several rows in one statement
		exec(`INSERT INTO items (writer, grp, qty, label, amount)
			SELECT $1, g % 10, g, 'batch row ' || g, g * 1.25 FROM generate_series(1, $2) g`, id, 3+rng.IntN(6))
	case p < 70: // a multi-row update of up to 10 rows of one group
		exec(`UPDATE items SET qty = qty + 1, amount = amount + 0.01, label = $3
			WHERE id IN (SELECT id FROM items WHERE writer = $1 AND grp = $2 LIMIT 10)`, id, rng.IntN(10), label())
	case p < 85: // delete one to three rows
		exec(`DELETE FROM items WHERE id IN (SELECT id FROM items WHERE writer = $1 ORDER BY random() LIMIT $2)`, id, 1+rng.IntN(3))
	default: // a key update: the row moves to a new id
		exec(`UPDATE items SET id = nextval('item_ids'), qty = qty + 1
			WHERE id = (SELECT id FROM items WHERE writer = $1 ORDER BY random() LIMIT 1)`, id)
		if err == nil {
			return 2 * tag.RowsAffected(), nil
		}
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
