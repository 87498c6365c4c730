package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheetsemu"
)

// TestBeforeAnyMirror: `mirrors: []` is how a deployment starts. migrate
// prepares the database, the legacy sheet is imported (dry run, then for
// real), doctor passes, status reads, and `syncd run` idles as the leader
// (status healthy) instead of refusing or exiting.
func TestBeforeAnyMirror(t *testing.T) {
	example, _ := exampleDB(t)
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(src), "mirrors:")
	head = strings.Replace(head, "listen: 127.0.0.1:9187", "listen: 127.0.0.1:0", 1)
	cfg := filepath.Join(t.TempDir(), "syncd.yml")
	if err := os.WriteFile(cfg, []byte(head+"log:\n  format: console\n  level: warn\nmirrors: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emu := sheetsemu.New(sheetsemu.Options{})
	f, err := os.Open(legacyFixture(t, "legacy-shift-bot.json"))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := emu.Load(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Setenv("SYNCD_SPREADSHEET_ID", sheet)
	t.Setenv("SYNCD_SHEETS_ENDPOINT", srv.URL)
	t.Setenv("SYNCD_CREDENTIALS_FILE", "")
	t.Setenv("SYNCD_LEGACY_SPREADSHEET_ID", "")

	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, args...)
		if code != want {
			t.Fatalf("syncd %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	run(0, "migrate", "-config", cfg)
	run(0, "import", "-config", cfg, "-plan", examplePlan, "-dry-run")
	if out := run(0, "import", "-config", cfg, "-plan", examplePlan, "-execute", "-allow-rejects", "-json"); parseReport(t, out).ImportID == 0 {
		t.Fatalf("no import id:\n%s", out)
	}
	run(0, "doctor", "-config", cfg)
	// No daemon yet: down, but with nothing guessed about mirrors.
	out := run(2, "status", "-json", "-config", cfg)
	var st struct {
		Health  string `json:"health"`
		Mirrors []any  `json:"mirrors"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Health != "down" || len(st.Mirrors) != 0 {
		t.Fatalf("status before the daemon: %v\n%s", err, out)
	}

	w := &world{t: t, ctx: t.Context(), cfgPath: cfg}
	stop := w.startDaemon()
	testworld.Eventually(t, 30*time.Second, "status healthy with the idle daemon leading", func() (bool, string) {
		code, out, errOut := runCmd(t, "status", "-config", cfg)
		return code == 0 && strings.Contains(out, "daemon: running"), out + errOut
	})
	if code := stop(); code != 0 {
		t.Fatalf("syncd run with no mirrors exited %d on cancellation, want 0", code)
	}
}
