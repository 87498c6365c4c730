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
//   - `go test -tags bench -run TestCaptureOverhead -v ./bench` is scenario
//     4 (capture overhead, issue 20) on its own: pgbench single-row INSERTs
//     and single-row UPDATEs of one mirrored column against no trigger,
//     syncd's capture, round 1's generated trigger and the generic function
//     syncd used before issue 20, in interleaved rounds. It logs tps, the
//     median per-round % of plain and the cluster's CPU per transaction;
//     on a shared, loaded machine trust the CPU figures and the per-round
//     ratios over absolute tps, and say the load (it logs /proc/loadavg).
package bench
