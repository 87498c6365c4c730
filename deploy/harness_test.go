package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/testworld"
)

// world is a testworld.World with the shiftbot schema, migrated by the
// syncd binary the way an operator does, and the environment the shiftbot
// config expects.
type world struct {
	*testworld.World
	syncd string   // the binary
	env   []string // its environment: the example config and this world
}

func newWorld(t *testing.T) *world {
	t.Helper()
	schema, err := os.ReadFile("examples/shiftbot/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{World: testworld.New(t, testworld.Options{Schema: string(schema), Title: "shiftbot"}), syncd: testworld.SyncdBinary(t)}
	src, err := os.ReadFile("examples/shiftbot/syncd.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(w.Dir, "syncd.yml")
	// Port 0: daemons of parallel tests (and two of one test) must not
	// collide; they log the address they got.
	text := strings.Replace(string(src), "listen: 127.0.0.1:9187", "listen: 127.0.0.1:0", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = append(os.Environ(), "DATABASE_URL="+w.URL, "SYNCD_SPREADSHEET_ID="+w.ID,
		"SYNCD_SHEETS_ENDPOINT="+w.Endpoint, "SYNCD_CREDENTIALS_FILE=", "SYNCD_CONFIG="+cfg, "SYNCD_LOG_FORMAT=console")
	migrate := exec.Command(w.syncd, "migrate")
	migrate.Env = w.env
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("syncd migrate: %v\n%s", err, out)
	}
	return w
}
