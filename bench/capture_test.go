//go:build bench

package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/bench/internal/naive"
	"github.com/syncd/syncd/internal/pgcluster"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/store"
)

// captureVariants are scenario 4's variants.
var captureVariants = []string{"plain", "syncd", "syncd-armed", "syncd-round1", "naive"}

// round1Capture is round 1's generated per-table trigger function, kept as
// a reference point for the capture benchmark only: it named the columns in
// compiled PL/pgSQL (so the application's DDL could break its writes) and
// was faster by not converting whole rows to jsonb. Measuring both in the
// same interleaved rounds says what the DDL-proof function costs.
const round1Capture = `
CREATE FUNCTION round1_capture() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, 'I', jsonb_build_object('id', n.id) FROM new_rows n;
  END IF;
  IF FOUND AND NOT pg_try_advisory_xact_lock_shared(495958516580) THEN
    PERFORM pg_notify('syncd', '');
  END IF;
  RETURN NULL;
END $fn$;
CREATE TRIGGER syncd_capture_ins AFTER INSERT ON round1_t REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION round1_capture();`

// captureResult is the tps of each variant in each round.
type captureResult struct {
	TPS map[string][]float64
	// PG is the server's version string.
	PG string
}

// runCapture measures single-row INSERT transactions with pgbench (4
// clients, 2 threads, secs seconds a burst) on a durable cluster (fsync
// on, like production) into four identical tables: no trigger; syncd's
// capture with the doorbell unarmed (the daemon is busy draining); syncd's
// capture with the doorbell armed (the daemon waits, so every transaction
// also sends NOTIFY: the worst case); and the naive row-level NOTIFY with
// the whole row, with a listener consuming it. Bursts are interleaved
// round by round so that drift in the shared machine's speed hits every
// variant alike.
func runCapture(t *testing.T, rounds, secs int) captureResult {
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	url := c.URL("postgres")
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	exec1 := func(sql string, args ...any) {
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, tbl := range []string{"plain_t", "syncd_t", "naive_t", "round1_t"} {
		exec1(`CREATE TABLE ` + tbl + ` (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, amount numeric(12,2), at timestamptz)`)
	}
	exec1(naive.TriggerSQL("naive_t"))
	exec1(round1Capture)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.ApplySchema(ctx, conn.Conn()); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.InstallCapture(ctx, conn.Conn(), []migrations.CaptureTable{
		{Table: "public.syncd_t", Key: []string{"id"}, Columns: []string{"id", "name", "amount", "at"}},
	}); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	res := captureResult{TPS: map[string][]float64{}}
	if err := pool.QueryRow(ctx, "SHOW server_version").Scan(&res.PG); err != nil {
		t.Fatal(err)
	}

	// The syncd daemon's stand-in: LISTEN, and hold the doorbell lock
	// while "armed". The naive mirror's stand-in consumes its
	// notifications, as the real one would.
	daemon, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close(ctx)
	if _, err := daemon.Exec(ctx, "LISTEN syncd"); err != nil {
		t.Fatal(err)
	}
	listener, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	lctx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	if _, err := listener.Exec(ctx, "LISTEN "+naive.Channel); err != nil {
		t.Fatal(err)
	}
	go func() {
		for lctx.Err() == nil {
			if _, err := listener.WaitForNotification(lctx); err != nil {
				return
			}
		}
	}()

	bin, err := pgcluster.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	pgbench := filepath.Join(bin, "pgbench")
	dir := t.TempDir()
	tpsRE := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	burst := func(table string, secs int) float64 {
		script := filepath.Join(dir, table+".sql")
		sql := "INSERT INTO " + table + " (name, amount, at) VALUES ('shift', 1234.50, now());\n"
		if err := os.WriteFile(script, []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pgbench, "-n", "-c", "4", "-j", "2", "-T", strconv.Itoa(secs), "-f", script, url).CombinedOutput()
		if err != nil {
			t.Fatalf("pgbench: %v\n%s", err, out)
		}
		m := tpsRE.FindSubmatch(out)
		if m == nil {
			t.Fatalf("pgbench printed no tps:\n%s", out)
		}
		tps, _ := strconv.ParseFloat(string(m[1]), 64)
		return tps
	}
	arm := func(on bool) {
		fn := "pg_advisory_unlock"
		if on {
			fn = "pg_advisory_lock"
		}
		if _, err := daemon.Exec(ctx, "SELECT "+fn+"($1)", store.DoorbellLock); err != nil {
			t.Fatal(err)
		}
	}
	run := map[string]func(secs int) float64{
		"plain": func(secs int) float64 { return burst("plain_t", secs) },
		"syncd": func(secs int) float64 { return burst("syncd_t", secs) },
		"syncd-armed": func(secs int) float64 {
			arm(true)
			defer arm(false)
			return burst("syncd_t", secs)
		},
		"naive":        func(secs int) float64 { return burst("naive_t", secs) },
		"syncd-round1": func(secs int) float64 { return burst("round1_t", secs) },
	}
	for _, v := range captureVariants { // warm-up, not counted: caches, first checkpoint
		run[v](1)
	}
	for i := range rounds {
		// Each round starts with the next variant, so no variant always
		// runs first (or right after a given other).
		for j := range captureVariants {
			v := captureVariants[(i+j)%len(captureVariants)]
			res.TPS[v] = append(res.TPS[v], run[v](secs))
		}
		exec1("TRUNCATE syncd.changes") // the daemon would drain it
	}
	t.Logf("capture: %s", fmt.Sprint(res.TPS))
	return res
}

// TestCaptureOverhead runs scenario 4 alone (SYNCD_CAPTURE_ROUNDS rounds of
// SYNCD_CAPTURE_SECS-second bursts, default 7 × 3) and logs each variant's
// median tps and median per-round percentage of plain:
//
//	go test -tags bench -run TestCaptureOverhead -v ./bench
func TestCaptureOverhead(t *testing.T) {
	rounds, secs := 7, 3
	if n, err := strconv.Atoi(os.Getenv("SYNCD_CAPTURE_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	if n, err := strconv.Atoi(os.Getenv("SYNCD_CAPTURE_SECS")); err == nil && n > 0 {
		secs = n
	}
	res := runCapture(t, rounds, secs)
	for _, v := range captureVariants {
		t.Logf("%-13s median %7.0f tps, %5.1f %% of plain", v, median(res.TPS[v]), pctOfPlain(res.TPS, v))
	}
}
