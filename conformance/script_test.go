package conformance

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMakeConformanceWithoutCredentialsSaysWhatToSet runs
// scripts/conformance without the variables: it must run nothing, say
// which variables to set, and exit 0.
func TestMakeConformanceWithoutCredentialsSaysWhatToSet(t *testing.T) {
	cmd := exec.Command("../scripts/conformance")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SYNCD_GOOGLE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/conformance: %v\n%s", err, out)
	}
	for _, want := range []string{"NOT RUN", "SYNCD_GOOGLE_CREDENTIALS=", "SYNCD_GOOGLE_SPREADSHEET=", "SYNCD_GOOGLE_ENDPOINT=", "docs/CONFORMANCE-RUN.md"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "PASS") || strings.Contains(string(out), "recording in front of") {
		t.Errorf("it pretended to run:\n%s", out)
	}
}
