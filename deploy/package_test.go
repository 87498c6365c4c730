package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// buildPackage runs `make package` for amd64 at the given version into
// dir and returns the .deb's path and the script's output (with lintian's
// when lint is set: the script fails on a lintian error).
func buildPackage(t *testing.T, version, dir string, lint bool) (deb, out string) {
	t.Helper()
	need(t, "make", "make")
	need(t, "lintian", "lintian")
	lintFlag := "0"
	if lint {
		lintFlag = "1"
	}
	cmd := exec.Command("make", "--no-print-directory", "-C", "..", "package")
	cmd.Env = append(os.Environ(), "PKG_ARCHS=amd64", "PKG_VERSION="+version, "PKG_OUT="+dir, "PKG_LINT="+lintFlag)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make package (%s): %v\n%s", version, err, b)
	}
	deb = filepath.Join(dir, "syncd_"+version+"_amd64.deb")
	if _, err := os.Stat(deb); err != nil {
		t.Fatalf("make package did not write %s: %v\n%s", deb, err, b)
	}
	return deb, string(b)
}

// dpkgRoot is a throwaway root with an empty dpkg database. dpkg installs
// into it with its maintainer scripts run outside a chroot and DPKG_ROOT
// set (--force-script-chrootless), which the syncd scripts honour: the
// machine's own root is never touched.
type dpkgRoot struct {
	t    *testing.T
	dir  string
	dpkg string
}

func newDpkgRoot(t *testing.T) *dpkgRoot {
	t.Helper()
	r := &dpkgRoot{t: t, dir: t.TempDir(), dpkg: need(t, "dpkg", "dpkg")}
	need(t, "systemd", "systemd-sysusers")
	admin := filepath.Join(r.dir, "var/lib/dpkg")
	for _, d := range []string{"info", "updates", "triggers"} {
		if err := os.MkdirAll(filepath.Join(admin, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"status", "available"} {
		if err := os.WriteFile(filepath.Join(admin, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(r.dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs dpkg on the root with no terminal: a conffile question fails
// the run instead of waiting for an answer.
func (r *dpkgRoot) run(args ...string) string {
	r.t.Helper()
	cmd := exec.Command(r.dpkg, append([]string{"--root=" + r.dir, "--force-script-chrootless", "--log=/dev/null"}, args...)...)
	cmd.Stdin = bytes.NewReader(nil)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// status returns dpkg's status and version of syncd in the root ("" when
// dpkg does not know it).
func (r *dpkgRoot) status() string {
	r.t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(r.dir, "var/lib/dpkg"), "-W", "-f", "${Status} ${Version}", "syncd").Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func (r *dpkgRoot) path(p string) string { return filepath.Join(r.dir, p) }

func (r *dpkgRoot) read(p string) string {
	r.t.Helper()
	b, err := os.ReadFile(r.path(p))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

func (r *dpkgRoot) exists(p string) bool {
	_, err := os.Lstat(r.path(p))
	return err == nil
}

// syncdGID returns the group id of syncd in the root's /etc/group.
func (r *dpkgRoot) syncdGID() int {
	r.t.Helper()
	for _, l := range strings.Split(r.read("etc/group"), "\n") {
		if f := strings.Split(l, ":"); len(f) >= 3 && f[0] == "syncd" {
			gid, err := strconv.Atoi(f[2])
			if err != nil {
				r.t.Fatalf("etc/group: %q", l)
			}
			return gid
		}
	}
	r.t.Fatalf("postinst created no group syncd:\n%s", r.read("etc/group"))
	return -1
}

// checkPrivate asserts that path has mode perm, owner root and group syncd.
func (r *dpkgRoot) checkPrivate(p string, perm os.FileMode) {
	r.t.Helper()
	fi, err := os.Stat(r.path(p))
	if err != nil {
		r.t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != perm || st.Uid != 0 || int(st.Gid) != r.syncdGID() {
		r.t.Errorf("%s: %v %d:%d, want %v root:syncd (gid %d)", p, fi.Mode().Perm(), st.Uid, st.Gid, perm, r.syncdGID())
	}
}

// syncdVersion runs the installed binary's `syncd version`.
func (r *dpkgRoot) syncdVersion() string {
	r.t.Helper()
	out, err := exec.Command(r.path("usr/bin/syncd"), "version").CombinedOutput()
	if err != nil {
		r.t.Fatalf("installed syncd version: %v\n%s", err, out)
	}
	return string(out)
}

// TestPackageInstallUpgradeRemovePurgeInThrowawayRoot builds the amd64
// .deb twice (1.0.0, then 1.1.0) and lets dpkg run its maintainer scripts
// against a root the test makes: install creates the user and private
// config and enables nothing; the upgrade keeps an edited syncd.yml;
// remove keeps the conffiles; purge deletes them.
func TestPackageInstallUpgradeRemovePurgeInThrowawayRoot(t *testing.T) {
	dist := t.TempDir()
	v1, lint := buildPackage(t, "1.0.0", dist, true)
	if strings.Contains(lint, "\n  E: ") || !strings.Contains(lint, "lintian ") {
		t.Fatalf("lintian did not run clean:\n%s", lint)
	}
	t.Logf("make package:\n%s", lint)
	r := newDpkgRoot(t)

	r.run("-i", v1)
	if s := r.status(); s != "install ok installed 1.0.0" {
		t.Fatalf("after install: %q", s)
	}
	checkInstalled(t, r, "1.0.0")

	// The operator edits the config; an upgrade must keep the edit (and not
	// ask: the package's own version of the file did not change).
	const edit = "\n# edited by the operator\n"
	yml := r.path("etc/syncd/syncd.yml")
	if err := os.WriteFile(yml, []byte(r.read("etc/syncd/syncd.yml")+edit), 0o640); err != nil {
		t.Fatal(err)
	}
	v2, _ := buildPackage(t, "1.1.0", dist, false)
	if out := r.run("-i", v2); !strings.Contains(out, "syncd: upgraded from 1.0.0; run syncd migrate") {
		t.Errorf("the upgrade did not say to migrate and restart:\n%s", out)
	}
	if s := r.status(); s != "install ok installed 1.1.0" {
		t.Fatalf("after upgrade: %q", s)
	}
	if !strings.HasPrefix(r.syncdVersion(), "syncd 1.1.0 ") {
		t.Errorf("after upgrade the binary says %q, want 1.1.0", r.syncdVersion())
	}
	if !strings.HasSuffix(r.read("etc/syncd/syncd.yml"), edit) {
		t.Errorf("the upgrade replaced the edited syncd.yml:\n%s", r.read("etc/syncd/syncd.yml"))
	}
	r.checkPrivate("etc/syncd/syncd.yml", 0o640)

	r.run("-r", "syncd")
	if s := r.status(); s != "deinstall ok config-files 1.1.0" {
		t.Errorf("after remove: %q", s)
	}
	if r.exists("usr/bin/syncd") || r.exists("usr/lib/systemd/system/syncd.service") {
		t.Error("remove left the binary or the unit")
	}
	if !strings.HasSuffix(r.read("etc/syncd/syncd.yml"), edit) || !r.exists("etc/syncd/syncd.env") {
		t.Error("remove did not keep the conffiles")
	}

	r.run("-P", "syncd")
	if s := r.status(); s != "" {
		t.Errorf("after purge dpkg still knows syncd: %q", s)
	}
	if r.exists("etc/syncd") {
		t.Error("purge left /etc/syncd")
	}
	if out, _ := exec.Command("find", r.path("var/lib/systemd"), "-name", "*syncd*").Output(); len(out) > 0 {
		t.Errorf("purge left the units' enablement state:\n%s", out)
	}
}

// checkInstalled asserts what a fresh install of version left in r.
func checkInstalled(t *testing.T, r *dpkgRoot, version string) {
	t.Helper()
	if v := r.syncdVersion(); !strings.HasPrefix(v, "syncd "+version+" ") || !strings.Contains(v, "linux/amd64") {
		t.Errorf("installed syncd version: %q", v)
	}
	// The release build: no demo.
	if out, err := exec.Command(r.path("usr/bin/syncd"), "demo").CombinedOutput(); err == nil || !strings.Contains(string(out), "without the demo") {
		t.Errorf("the packaged syncd has the demo (%v): %s", err, out)
	}
	if !strings.Contains(r.read("etc/passwd"), "syncd:x:") || !strings.Contains(r.read("etc/passwd"), ":/nonexistent:/usr/sbin/nologin") {
		t.Errorf("no system user syncd:\n%s", r.read("etc/passwd"))
	}
	r.checkPrivate("etc/syncd", 0o750)
	r.checkPrivate("etc/syncd/syncd.yml", 0o640)
	r.checkPrivate("etc/syncd/syncd.env", 0o640)
	if r.read("etc/syncd/syncd.yml") != readFile(t, "syncd.yml.example") {
		t.Error("/etc/syncd/syncd.yml is not deploy/syncd.yml.example")
	}
	conf, err := exec.Command("dpkg-query", "--admindir="+r.path("var/lib/dpkg"), "-W", "-f", "${Conffiles}", "syncd").Output()
	if err != nil || !strings.Contains(string(conf), "/etc/syncd/syncd.yml ") || !strings.Contains(string(conf), "/etc/syncd/syncd.env ") {
		t.Errorf("conffiles: %q (%v)", conf, err)
	}
	// The units of deploy/, pointed at /usr/bin/syncd; neither enabled.
	for _, u := range units {
		want := strings.ReplaceAll(readFile(t, u), "/usr/local/bin/syncd", "/usr/bin/syncd")
		if got := r.read("usr/lib/systemd/system/" + u); got != want {
			t.Errorf("packaged %s differs from deploy/%s with /usr/bin/syncd", u, u)
		}
	}
	if r.exists("etc/systemd/system/multi-user.target.wants/syncd.service") || r.exists("etc/systemd/system/timers.target.wants/syncd-reconcile.timer") {
		t.Error("install enabled a unit before the config was edited")
	}
	for _, p := range []string{"usr/lib/sysusers.d/syncd.conf", "usr/share/doc/syncd/copyright", "usr/share/doc/syncd/changelog.gz", "usr/share/man/man1/syncd.1.gz",
		"usr/share/syncd/prometheus/alerts.yml", "usr/share/syncd/grafana/syncd.json"} {
		if !r.exists(p) {
			t.Errorf("package lacks /%s", p)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
