// Package bench holds syncd's benchmarks against real PostgreSQL and the
// Sheets emulator (DESIGN §8). They are benchmarks, not tests: run them with
// `make bench` or `go test ./bench -run '^$' -bench .`; nothing here runs in
// the test suite.
package bench
