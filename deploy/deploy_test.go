package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/config"
)

var units = []string{"syncd.service", "syncd-reconcile.service", "syncd-reconcile.timer"}

// stagedUnits copies the units to a temporary directory with ExecStart
// pointing at an executable stub: systemd-analyze verify checks that the
// command exists, and syncd is not installed where the tests run.
func stagedUnits(t *testing.T, edit func(name, text string) string) (dir string, paths []string) {
	t.Helper()
	dir = t.TempDir()
	stub := filepath.Join(dir, "syncd")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "/usr/local/bin/syncd", stub)
		if edit != nil {
			text = edit(u, text)
		}
		p := filepath.Join(dir, u)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return dir, paths
}

// verify runs systemd-analyze verify and returns its output: systemd only
// warns (exit 0) about unknown keys and bad values, so any output at all
// is a failure.
func verify(t *testing.T, paths []string) (string, error) {
	t.Helper()
	sa := need(t, "systemd", "systemd-analyze")
	cmd := exec.Command(sa, append([]string{"verify"}, paths...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestUnitsPassSystemdAnalyzeVerify(t *testing.T) {
	_, paths := stagedUnits(t, nil)
	out, err := verify(t, paths)
	if err != nil || out != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The check can fail: a misspelt key is reported.
	_, bad := stagedUnits(t, func(name, text string) string {
		return strings.Replace(text, "NoNewPrivileges=yes", "NoNewPrivilege=yes", 1)
	})
	if out, _ := verify(t, bad[:1]); !strings.Contains(out, "Unknown key") {
		t.Fatalf("systemd-analyze verify did not report a misspelt key: %q", out)
	}
}

func TestServiceIsHardened(t *testing.T) {
	_, paths := stagedUnits(t, nil)
	sa := need(t, "systemd", "systemd-analyze")
	// Exposure is 0 (locked down) to 10 (unprotected); threshold is x10.
	out, err := exec.Command(sa, "security", "--offline=yes", "--threshold=20", paths[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}

// directives parses a unit into key -> values (keys may repeat).
func directives(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = append(out[k], v)
		}
	}
	return out
}

func TestServiceContract(t *testing.T) {
	d := directives(t, "syncd.service")
	for k, want := range map[string]string{
		"Type": "notify", "Restart": "always", "User": "syncd", "Group": "syncd",
		"EnvironmentFile": "/etc/syncd/syncd.env", "ExecStart": "/usr/local/bin/syncd run",
		"ProtectSystem": "strict", "ProtectHome": "yes", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "ProtectKernelTunables": "yes", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
		"StartLimitIntervalSec": "0",
	} {
		if got := strings.Join(d[k], ","); got != want {
			t.Errorf("syncd.service %s=%q, want %q", k, got, want)
		}
	}
	// The daemon finishes its batch for up to 15 s after SIGTERM.
	limits := map[string]time.Duration{"TimeoutStopSec": 16 * time.Second}
	if len(d["WatchdogSec"]) > 0 {
		limits["WatchdogSec"] = 10 * time.Second // several pings per period
	}
	for k, min := range limits {
		v := strings.Join(d[k], "")
		got, err := time.ParseDuration(v)
		if err != nil {
			n, nerr := strconv.Atoi(v)
			got, err = time.Duration(n)*time.Second, nerr
		}
		if err != nil || got < min {
			t.Errorf("syncd.service %s=%q, want at least %v", k, v, min)
		}
	}
	r := directives(t, "syncd-reconcile.service")
	if r["Type"][0] != "oneshot" || r["ExecStart"][0] != "/usr/local/bin/syncd reconcile" || r["User"][0] != "syncd" {
		t.Errorf("syncd-reconcile.service: Type=%v ExecStart=%v User=%v", r["Type"], r["ExecStart"], r["User"])
	}
	if tm := directives(t, "syncd-reconcile.timer"); len(tm["OnCalendar"]) != 1 || tm["Persistent"][0] != "true" {
		t.Errorf("syncd-reconcile.timer: OnCalendar=%v Persistent=%v", tm["OnCalendar"], tm["Persistent"])
	}
}

// TestExampleConfigLoadsWithExampleEnv loads syncd.yml.example with the
// variables of syncd.env.example, parsed the way sh does (set -a; . file).
func TestExampleConfigLoadsWithExampleEnv(t *testing.T) {
	out, err := exec.Command("sh", "-c", "set -a; . ./syncd.env.example; env").Output()
	if err != nil {
		t.Fatalf("sh cannot source syncd.env.example: %v", err)
	}
	set := 0
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && (k == "DATABASE_URL" || strings.HasPrefix(k, "SYNCD_")) {
			t.Setenv(k, v)
			set++
		}
	}
	if set < 4 {
		t.Fatalf("syncd.env.example set %d variables, want DATABASE_URL and the SYNCD_ ones", set)
	}
	if !strings.Contains(os.Getenv("DATABASE_URL"), "&connect_timeout=10") {
		t.Fatalf("DATABASE_URL = %q: the & was eaten (quote the value)", os.Getenv("DATABASE_URL"))
	}
	cfg, err := config.Load("syncd.yml.example")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sheets.CredentialsFile != "/etc/syncd/service-account.json" || len(cfg.Mirrors) != 3 {
		t.Fatalf("credentials_file %q, %d mirrors", cfg.Sheets.CredentialsFile, len(cfg.Mirrors))
	}
}

func TestInstallScriptStagesFilesWithPrivateModesAndKeepsConfig(t *testing.T) {
	dest := t.TempDir()
	bin := filepath.Join(t.TempDir(), "syncd")
	write := func(version string) {
		if err := os.WriteFile(bin, []byte("#!/bin/sh\necho syncd "+version+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	install := func() string {
		cmd := exec.Command("sh", "./install.sh", bin)
		cmd.Env = append(os.Environ(), "DESTDIR="+dest)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	write("v1")
	install()
	for path, mode := range map[string]os.FileMode{
		"usr/local/bin/syncd": 0o755, "etc/syncd": 0o750 | os.ModeDir, "etc/syncd/syncd.yml": 0o640, "etc/syncd/syncd.env": 0o640,
		"etc/systemd/system/syncd.service": 0o644, "etc/systemd/system/syncd-reconcile.timer": 0o644,
	} {
		fi, err := os.Stat(filepath.Join(dest, path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), mode)
		}
	}
	// An upgrade keeps the operator's config and the previous binary.
	cfg := filepath.Join(dest, "etc/syncd/syncd.yml")
	if err := os.WriteFile(cfg, []byte("# mine\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	write("v2")
	out := install()
	if b, _ := os.ReadFile(cfg); string(b) != "# mine\n" {
		t.Fatalf("re-running install.sh overwrote syncd.yml:\n%s", b)
	}
	prev, err := exec.Command(filepath.Join(dest, "usr/local/bin/syncd.previous")).Output()
	if err != nil || strings.TrimSpace(string(prev)) != "syncd v1" {
		t.Fatalf("syncd.previous says %q (%v), want the v1 binary kept for rollback\n%s", prev, err, out)
	}
	if cur, _ := exec.Command(filepath.Join(dest, "usr/local/bin/syncd")).Output(); strings.TrimSpace(string(cur)) != "syncd v2" {
		t.Fatalf("installed binary says %q, want v2", cur)
	}
}
