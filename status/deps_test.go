package status_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNeedsNothingOfTheEngine keeps the read model a room of its own:
// neither package status nor its tests may reach package syncer, so status
// reads only what the engine recorded (through store) and a change inside
// the engine cannot break `syncd status`.
func TestNeedsNothingOfTheEngine(t *testing.T) {
	const engine = "github.com/syncd/syncd/syncer"
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test lists status's dependencies with the go command: %v", err)
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
			t.Errorf("package status (or its tests) depends on %s", engine)
		}
	}
}
