package deploy_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/sheetsemu"
)

var (
	buildOnce sync.Once
	builtPath string
	buildErr  string
)

// syncdBinary builds syncd for this machine once per test binary.
func syncdBinary(t *testing.T) string {
	t.Helper()
	gobin := goTool(t)
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "syncd-deploy-test-")
		if err != nil {
			buildErr = err.Error()
			return
		}
		builtPath = filepath.Join(dir, "syncd")
		cmd := exec.Command(gobin, "build", "-o", builtPath, "./cmd/syncd")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err.Error() + "\n" + string(out)
		}
	})
	if buildErr != "" {
		t.Fatalf("go build ./cmd/syncd: %s", buildErr)
	}
	return builtPath
}

// world is a migrated shiftbot database, an in-process Sheets emulator with
// one spreadsheet, and the environment the shiftbot config expects.
type world struct {
	syncd, dbURL, sheetID string
	emu                   *sheetsemu.Server
	endpoint              string
	env                   []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{syncd: syncdBinary(t), dbURL: pgtest.NewDB(t)}
	schema, err := os.ReadFile("examples/shiftbot/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, w.dbURL, string(schema))
	w.emu = sheetsemu.New(sheetsemu.Options{})
	srv := httptest.NewServer(w.emu)
	t.Cleanup(srv.Close)
	w.endpoint = srv.URL
	w.sheetID = w.emu.CreateSpreadsheet("shiftbot")
	src, err := os.ReadFile("examples/shiftbot/syncd.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "syncd.yml")
	// Port 0: daemons of parallel tests (and two of one test) must not
	// collide; they log the address they got.
	text := strings.Replace(string(src), "listen: 127.0.0.1:9187", "listen: 127.0.0.1:0", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = append(os.Environ(), "DATABASE_URL="+w.dbURL, "SYNCD_SPREADSHEET_ID="+w.sheetID,
		"SYNCD_SHEETS_ENDPOINT="+w.endpoint, "SYNCD_CREDENTIALS_FILE=", "SYNCD_CONFIG="+cfg, "SYNCD_LOG_FORMAT=console")
	migrate := exec.Command(w.syncd, "migrate")
	migrate.Env = w.env
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("syncd migrate: %v\n%s", err, out)
	}
	return w
}

// logBuffer collects a child's output; safe to read while it is written.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
