package testworld

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// NoDeps fails t when the package in the current directory, or its tests,
// depend on any of forbidden (import paths): it asks `go list -deps -test`,
// so a room of the engine (status, conflicts) stays usable without the
// rooms above it.
func NoDeps(t testing.TB, forbidden ...string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this check lists the package's dependencies with the go command: %v", err)
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
	for _, p := range forbidden {
		if slices.Contains(deps, p) {
			t.Errorf("this package (or its tests) depends on %s", p)
		}
	}
}
