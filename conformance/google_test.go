//go:build conformance

package conformance

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/syncd/syncd/sheetsemu"
)

// The run's target, from the environment (scripts/conformance checks the
// first two before running the tests).
const (
	envCredentials = "SYNCD_GOOGLE_CREDENTIALS"
	envSpreadsheet = "SYNCD_GOOGLE_SPREADSHEET"
	envEndpoint    = "SYNCD_GOOGLE_ENDPOINT"
	envCassettes   = "SYNCD_CONFORMANCE_CASSETTES"
	envReads       = "SYNCD_CONFORMANCE_READS_PER_MINUTE"
)

// TestConformance runs every scenario against the spreadsheet the
// environment names, through the recorder, one cassette per scenario.
func TestConformance(t *testing.T) {
	creds, id := os.Getenv(envCredentials), os.Getenv(envSpreadsheet)
	if creds == "" || id == "" {
		t.Fatalf("%s and %s must be set (make conformance says how)", envCredentials, envSpreadsheet)
	}
	upstream := os.Getenv(envEndpoint)
	if upstream == "" {
		upstream = sheetsemu.GoogleSheetsUpstream
	}
	dir := os.Getenv(envCassettes)
	if dir == "" {
		dir = filepath.Join("..", "testdata", "conformance-cassettes")
	}
	// 30 reads a minute keeps the checker well under Google's 60 per user.
	reads := 30
	if v, err := strconv.Atoi(os.Getenv(envReads)); err == nil && v > 0 {
		reads = v
	}
	tg, err := newTarget(upstream, dir, id, creds, reads)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, tg) })
	}
}
