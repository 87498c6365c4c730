package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/internal/testworld"
)

// A mirrored table dropped while the daemon was down: `syncd run` starts
// all the same, emp's mirror stopped and named (with the config line) by
// /readyz, /metrics and `syncd status`, shifts mirrored; emp created again,
// its mirror resumes and its tab equals the table.
func TestRunStartsWithAMirroredTableMissing(t *testing.T) {
	w := newWorld(t, newStrictEmu())
	cfg := w.addEmpMirror()
	stop := w.startDaemon()
	w.mirrored(30*time.Second, "emp")
	if code := stop(); code != 0 {
		t.Fatalf("syncd run exit %d", code)
	}

	w.exec(`DROP TABLE emp`) // while nobody runs
	stop = w.startDaemon()
	get := func(path string) (int, string) {
		var addr string
		if err := w.pool.QueryRow(w.ctx, `SELECT details->>'http' FROM syncd.daemons WHERE role = 'leader'`).Scan(&addr); err != nil {
			return 0, err.Error()
		}
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	testworld.Eventually(t, 30*time.Second, "/readyz names the mirror stopped at start-up", func() (bool, string) {
		code, body := get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "mirror emp stopped") &&
			strings.Contains(body, "public.emp does not exist") && strings.Contains(body, w.cfgPath+":"), fmt.Sprint(code, " ", body)
	})
	if _, body := get("/metrics"); !strings.Contains(body, `syncd_mirror_stopped{mirror="emp"`) {
		t.Errorf("/metrics does not show the stopped mirror:\n%s", body)
	}
	w.insertShifts(1, 3, nil)
	c := w.client()
	testworld.Eventually(t, 30*time.Second, "shifts runs", func() (bool, string) {
		m, err := cfg.ResolveOne(w.ctx, w.pool, "shifts", "")
		if err != nil {
			return false, err.Error()
		}
		d, err := sheettest.Diff(w.ctx, w.pool, c, m)
		return err == nil && d == "", fmt.Sprint(d, err)
	})
	if code, out, _ := runCmd(t, "status", "-config", w.cfgPath); code != 1 || !strings.Contains(out, "emp") || !strings.Contains(out, "public.emp does not exist") {
		t.Errorf("syncd status exit %d, want 1 naming the stopped mirror:\n%s", code, out)
	}

	w.exec(empTable)
	w.exec(`UPDATE emp SET note = 'after the return' WHERE id = 2`)
	testworld.Eventually(t, 30*time.Second, "/readyz ready again", func() (bool, string) {
		code, body := get("/readyz")
		return code == http.StatusOK, fmt.Sprint(code, " ", body)
	})
	w.mirrored(30*time.Second, "emp", "shifts")
	if code := stop(); code != 0 {
		t.Errorf("syncd run exit %d", code)
	}
}
