package migrations_test

import (
	"context"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/pgcluster"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/store"
)

// BenchmarkCaptureOverhead measures single-row INSERT transactions from 4
// clients on a durable cluster (fsync on, like production) without capture,
// with capture (doorbell unarmed: the daemon is busy or absent) and with
// capture while the doorbell is armed (every transaction sends NOTIFY, the
// worst case). One iteration is a round of three interleaved bursts of 400
// transactions. It reports tps of each and captured-% / armed-% (the median
// over rounds of each round's captured tps as a percentage of plain); take
// the median over runs:
//
//	go test ./migrations -run '^$' -bench CaptureOverhead -count 5 -benchtime 20x
func BenchmarkCaptureOverhead(b *testing.B) {
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	pool, err := pgxpool.New(ctx, c.URL("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	mustExec := func(sql string, args ...any) {
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			b.Fatal(err)
		}
	}
	mustExec(`CREATE TABLE plain (id bigint PRIMARY KEY, name text, amount numeric(12,2), at timestamptz)`)
	mustExec(`CREATE TABLE captured (id bigint PRIMARY KEY, name text, amount numeric(12,2), at timestamptz)`)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := migrations.ApplySchema(ctx, conn.Conn()); err != nil {
		b.Fatal(err)
	}
	if _, err := migrations.InstallCapture(ctx, conn.Conn(), []migrations.CaptureTable{
		{Table: "public.captured", Key: []string{"id"}, Columns: []string{"id", "name", "amount", "at"}},
	}); err != nil {
		b.Fatal(err)
	}
	conn.Release()

	daemon, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer daemon.Close(ctx)
	if _, err := daemon.Exec(ctx, "LISTEN syncd"); err != nil {
		b.Fatal(err)
	}

	// burst runs n single-row insert transactions from 4 clients and returns
	// the time taken.
	var seq atomic.Int64
	const clients, n = 4, 400
	burst := func(table string) time.Duration {
		start := time.Now()
		errs := make(chan error, clients)
		for range clients {
			go func() {
				for range n / clients {
					if _, err := pool.Exec(ctx, "INSERT INTO "+table+" VALUES ($1, 'shift', 1234.50, now())", seq.Add(1)); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range clients {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	arm := func(on bool) {
		fn := "pg_advisory_unlock"
		if on {
			fn = "pg_advisory_lock"
		}
		if _, err := daemon.Exec(ctx, "SELECT "+fn+"($1)", store.DoorbellLock); err != nil {
			b.Fatal(err)
		}
	}
	// Bursts alternate so that drift in the machine's speed (other
	// processes, checkpoints) hits all three variants alike.
	var plain, captured, armed time.Duration
	var capRatio, armRatio []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := burst("plain")
		c := burst("captured")
		arm(true)
		a := burst("captured")
		arm(false)
		plain, captured, armed = plain+p, captured+c, armed+a
		capRatio = append(capRatio, p.Seconds()/c.Seconds())
		armRatio = append(armRatio, p.Seconds()/a.Seconds())
		if i%10 == 9 {
			b.StopTimer()
			mustExec("TRUNCATE syncd.changes") // the daemon would drain it
			b.StartTimer()
		}
	}
	tps := func(d time.Duration) float64 { return float64(b.N*n) / d.Seconds() }
	b.ReportMetric(tps(plain), "plain-tps")
	b.ReportMetric(tps(captured), "captured-tps")
	b.ReportMetric(tps(armed), "armed-tps")
	// Per-round ratios, median: a slow moment of the machine hits the three
	// bursts of one round alike, and the median ignores the rounds where it
	// did not.
	b.ReportMetric(100*median(capRatio), "captured-%")
	b.ReportMetric(100*median(armRatio), "armed-%")
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
