// Package testworld is the one test harness of syncd's integration tests: a
// World (a fresh database, the Sheets emulator behind an HTTP server, a
// config file and a checker), Eventually for waiting on state that changes
// on its own schedule, and Proc for running the real syncd binary.
//
// It is for _test.go files only: TestImportedOnlyByTests fails when a
// non-test file of the module imports it. Helpers that take no testing.TB
// fail the test the World was made for, so call them from that test's
// goroutine.
package testworld

import (
	"testing"
	"time"
)

// PollInterval is how often Eventually re-evaluates its condition.
const PollInterval = 50 * time.Millisecond

// Eventually polls cond (state that changes on its own schedule: a process,
// the database, the sheet) every PollInterval until it returns true, and
// returns then. cond's string explains a false; when timeout passes without
// a true, Eventually fails t with what and the last explanation. cond is
// evaluated at least once, and once more after the deadline, so a slow
// machine does not fail a test whose condition holds by then. Call it from
// the test's goroutine; cond may call t.Fatal.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	if ok, why := Await(timeout, cond); !ok {
		t.Fatalf("%s: not reached within %s: %s", what, timeout, why)
	}
}

// Await polls cond as Eventually does but fails nothing: it reports
// whether cond returned true within timeout, and else cond's last
// explanation. Tests use it where they must check more (the database's
// invariants) before failing on a state that never came.
func Await(timeout time.Duration, cond func() (bool, string)) (bool, string) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		ok, why := cond()
		if ok {
			return true, ""
		}
		if time.Now().After(deadline) {
			return false, why
		}
		<-tick.C
	}
}
