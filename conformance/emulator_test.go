package conformance

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd/sheetsemu"
)

// TestScenariosRecordedThroughTheEmulatorReplay is make conformance with
// the emulator as the upstream, inside make test: every scenario runs
// through the recorder in front of an authenticating emulator, the key's
// id and e-mail, the spreadsheet id and the access tokens never reach the
// cassettes, and every cassette replays against a fresh emulator.
func TestScenariosRecordedThroughTheEmulatorReplay(t *testing.T) {
	emu := sheetsemu.New(sheetsemu.Options{ProjectNumber: "603366585132"})
	up := httptest.NewServer(emu)
	t.Cleanup(up.Close)
	sa, key, err := sheetsemu.GenerateServiceAccount("conformance-bot@acme-prod.iam.gserviceaccount.com", up.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	emu.AddServiceAccount(sa)
	creds := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(creds, key, 0o600); err != nil {
		t.Fatal(err)
	}
	id := emu.CreateSpreadsheet("conformance")
	dir := t.TempDir()
	tg, err := newTarget(up.URL, dir, id, creds, 1200)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, tg) })
	}
	if t.Failed() {
		return
	}

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != len(scenarios) {
		t.Fatalf("cassettes = %v, %v; want one per scenario", files, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, secret := range map[string]string{"private key id": sa.KeyID, "e-mail": sa.Email, "e-mail domain": "acme-prod",
			"spreadsheet id": id, "access token": "ya29.emulator-", "project number": "603366585132", "Authorization header": "Bearer"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("%s holds the %s %q", filepath.Base(f), what, secret)
			}
		}
	}
	results, err := sheetsemu.ReplayDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("replay %s: %s", r.Name, r.Reason)
		}
	}
}
