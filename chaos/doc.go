// Package chaos holds syncd's chaos and failover tests (issue 8, issue 7):
// `syncd run` as separate processes against a real PostgreSQL and the Sheets
// emulator, killed with SIGKILL, with the server restarted, the listener's
// backend terminated and the emulator failing, throttling, resetting
// connections and answering late. The tests run in `make test`; -short
// shrinks the workload for a quick local run.
package chaos
