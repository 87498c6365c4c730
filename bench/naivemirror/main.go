// Command naivemirror runs the benchmarks' naive mirror (package
// bench/internal/naive) as its own process, so that its memory and CPU are
// measured the way syncd's are.
//
//	naivemirror -db URL -endpoint URL -spreadsheet ID -tab Wide -table wide -columns id,name,... run|reconcile
//
// run prints "listening" once it LISTENs, then mirrors notified rows
// until SIGTERM; reconcile does one pass (ending
// after -max, if set) and prints its report as JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/bench/internal/naive"
)

func main() {
	db := flag.String("db", "", "PostgreSQL URL")
	endpoint := flag.String("endpoint", "", "Sheets API base URL")
	id := flag.String("spreadsheet", "", "spreadsheet id")
	tab := flag.String("tab", "", "tab title")
	table := flag.String("table", "", "table")
	cols := flag.String("columns", "", "columns, key first, comma-separated")
	limit := flag.Duration("max", 0, "reconcile: stop writing after this long (0 = never)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// An error after SIGTERM is the interrupted call: a clean stop.
	if err := run(ctx, flag.Arg(0), *db, *endpoint, *id, *tab, *table, *cols, *limit); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "naivemirror:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, mode, db, endpoint, id, tab, table, cols string, limit time.Duration) error {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	svc, err := naive.NewService(ctx, endpoint, "")
	if err != nil {
		return err
	}
	m := &naive.Mirror{Svc: svc, SpreadsheetID: id, Tab: tab, Table: table, Columns: naive.ColumnList(cols)}
	switch mode {
	case "run":
		// The line tells the benchmark it is listening: a readiness
		// signal it can wait for instead of sleeping.
		return m.Run(ctx, conn, func() { fmt.Println("listening") })
	case "reconcile":
		if limit > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, limit)
			defer cancel()
		}
		rep, err := m.Reconcile(ctx, conn)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	return fmt.Errorf("mode %q: want run or reconcile", mode)
}
