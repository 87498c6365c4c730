package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheetsemu"
)

// TestRunOneBrokenMirrorStopsNothingElse: with the table of one mirror
// dropped while a change of it was queued, `syncd run` keeps mirroring the others' inserts, and `syncd
// status` exits 1 naming the broken mirror (issue 14).
func TestRunOneBrokenMirrorStopsNothingElse(t *testing.T) {
	w := newWorld(t, sheetsemu.Options{})
	w.startDaemon()
	w.insertShifts(1, 5, nil)
	w.mirrored(60*time.Second, "shifts", "bonuses")
	var shifts syncd.Mirror
	for _, m := range w.mirrors() {
		if m.Name == "shifts" {
			shifts = m
		}
	}
	// A change is queued for the table, which is then dropped under the
	// running daemon.
	pgtest.Exec(t, w.url, `BEGIN;
		INSERT INTO active_bonuses (employee_id, kind, amount, valid_from) VALUES (1, 'x', 1, '2025-01-01');
		DROP TABLE active_bonuses;
		COMMIT;`)
	w.insertShifts(6, 20, nil)
	c := w.client()
	testworld.Eventually(t, 60*time.Second, "the shifts tab equals its table", func() (bool, string) {
		diff, err := sheettest.Diff(w.ctx, w.pool, c, shifts)
		if err != nil {
			return false, err.Error()
		}
		return diff == "", diff
	})
	testworld.Eventually(t, 30*time.Second, "status names the broken mirror", func() (bool, string) {
		code, out, errOut := runCmd(t, "status", "-config", w.cfgPath)
		ok := code == 1 && strings.Contains(out+errOut, "bonuses") && !strings.Contains(out+errOut, "shifts: last")
		return ok, fmt.Sprintf("exit %d:\n%s%s", code, out, errOut)
	})
}
