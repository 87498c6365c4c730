//go:build !demo

package main

import (
	"strings"
	"testing"
)

// TestDemoNotInThisBuild: without -tags demo, `syncd demo` (with or
// without the demo's flags) says how to get the demo and exits 2, like a
// command that is not available.
func TestDemoNotInThisBuild(t *testing.T) {
	const want = "syncd demo: this syncd was built without the demo; build it with `make demo` (go build -tags demo)\n"
	for _, args := range [][]string{{"demo"}, {"demo", "-db", "postgres://x", "-every", "1s"}} {
		code, out, stderr := runCmd(t, args...)
		if code != exitUsage || stderr != want || out != "" {
			t.Errorf("syncd %s: exit %d, stdout %q, stderr %q; want 2 and %q",
				strings.Join(args, " "), code, out, stderr, want)
		}
	}
}
