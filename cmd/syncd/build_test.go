package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestReleaseBuildLeavesTheEmulatorOut: the Sheets emulator is test and
// demo equipment. `go list -deps` of cmd/syncd must not reach package
// sheetsemu in the release build (make arm64: no tags), and must reach it
// with -tags demo (make demo), or the tag guards nothing.
func TestReleaseBuildLeavesTheEmulatorOut(t *testing.T) {
	const emu = "github.com/syncd/syncd/sheetsemu"
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test lists cmd/syncd's dependencies with the go command: %v", err)
	}
	deps := func(flags ...string) map[string]bool {
		t.Helper()
		cmd := exec.Command(goBin, append(append([]string{"list", "-deps"}, flags...), ".")...)
		// Only the flags given here: a GOFLAGS=-tags=demo in the
		// environment would hide a leak.
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %v: %v\n%s", flags, err, stderrOf(err))
		}
		set := map[string]bool{}
		for _, p := range strings.Fields(string(out)) {
			set[p] = true
		}
		return set
	}
	if deps()[emu] {
		t.Errorf("cmd/syncd without -tags demo links %s", emu)
	}
	if !deps("-tags", "demo")[emu] {
		t.Errorf("cmd/syncd with -tags demo does not link %s: is demo.go still tagged demo?", emu)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
