// Package bench holds syncd's benchmarks against real PostgreSQL and the
// Sheets emulator (CONTRACT.md §8, issue 8). Nothing here runs in the test
// suite:
//
//   - `make bench` runs TestWriteBenchmarksMD, which exists only under the
//     bench build tag: every scenario of issue 8 against `syncd run` and
//     the naive mirror (bench/naivemirror), written to docs/BENCHMARKS.md.
//   - `go test ./bench -run '^$' -bench Reconcile100k` is the reconcile
//     benchmark on its own.
//   - `go test -tags bench -run TestSheetEdits -timeout 20m -v ./bench` is
//     scenario 6 (issue 15: edits typed into the sheet → Postgres, with
//     sheets.poll_changes against cron only, and the idle cost of the
//     poll) on its own; it splices its section into docs/BENCHMARKS.md.
package bench
