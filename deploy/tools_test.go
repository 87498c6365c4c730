package deploy_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/syncd/syncd/internal/testworld"
)

func TestMain(m *testing.M) { os.Exit(testworld.Main(m)) }

// need returns the path of the first of the named tools found. The tests
// never skip: a missing tool fails them with the command that installs it
// (scripts/ensure-tools, which `make test` runs, installs them all).
func need(t *testing.T, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Fatalf("%v not found: run scripts/ensure-tools (or: sudo apt-get install %s)", names, pkg)
	return ""
}

// goTool returns the go command that runs these tests.
func goTool(t *testing.T) string {
	t.Helper()
	return need(t, "golang", "go")
}
