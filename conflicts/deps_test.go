package conflicts_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestConflictsNeedNothingOfTheEngine keeps the conflicts room a room of its own:
// neither package conflicts nor its tests may reach package syncer, so the
// tab and the resolutions work through the ports they are given (a
// spreadsheet, the mirrors, the codec) and a change inside the engine
// cannot break `syncd conflicts`.
func TestConflictsNeedNothingOfTheEngine(t *testing.T) {
	const engine = "github.com/syncd/syncd/syncer"
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test lists conflicts's dependencies with the go command: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-deps", "-test", ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list -deps -test: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps -test: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps -test listed nothing")
	}
	for _, p := range deps {
		if p == engine {
			t.Errorf("package conflicts (or its tests) depends on %s", engine)
		}
	}
}
