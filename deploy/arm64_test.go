package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestArm64BuildRunsUnderQemu proves the Raspberry Pi 4 build (CONTRACT.md §8):
// syncd cross-compiled for linux/arm64 without cgo runs `syncd version`
// under qemu-user, and so do the unit tests of package sheets (which need
// no database: the Sheets emulator runs in-process).
func TestArm64BuildRunsUnderQemu(t *testing.T) {
	qemu := need(t, "qemu-user-static", "qemu-aarch64-static", "qemu-aarch64")
	gobin := goTool(t)
	dir := t.TempDir()
	env := append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	build := func(args ...string) {
		t.Helper()
		start := time.Now()
		cmd := exec.Command(gobin, args...)
		cmd.Dir = ".."
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("go %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	}
	syncd := filepath.Join(dir, "syncd")
	build("build", "-ldflags", "-s -w -X main.Version=arm64-test", "-o", syncd, "./cmd/syncd")

	out, err := exec.Command(syncd, "version").CombinedOutput()
	if err == nil {
		// Not proof of anything on a host that runs arm64 itself (or has
		// binfmt_misc set up); qemu below is explicit either way.
		t.Logf("the arm64 binary also runs directly here: %s", out)
	}
	start := time.Now()
	out, err = exec.Command(qemu, syncd, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "syncd arm64-test ") || !strings.Contains(string(out), "linux/arm64") {
		t.Fatalf("%s syncd version: %v\n%s", filepath.Base(qemu), err, out)
	}
	t.Logf("under %s: %s(%v)", filepath.Base(qemu), out, time.Since(start).Round(time.Millisecond))

	tests := filepath.Join(dir, "sheets.test")
	build("test", "-c", "-o", tests, "./sheets")
	start = time.Now()
	cmd := exec.Command(qemu, tests, "-test.count=1", "-test.short", "-test.timeout=5m")
	cmd.Dir = "../sheets" // the tests read testdata/ relative to their package
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("sheets tests under qemu (arm64): %v\n%s", err, out)
	}
	t.Logf("sheets unit tests passed under qemu (arm64) in %v", time.Since(start).Round(time.Millisecond))
}
