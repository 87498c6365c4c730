package main

import (
	"testing"

	"go.uber.org/zap"

	"github.com/syncd/syncd/config"
)

// TestSheetsOptionsCarriesTheSheetsSection: every command builds its
// Sheets client from the same function, so each field of the config's
// sheets section must arrive in sheets.Options.
func TestSheetsOptionsCarriesTheSheetsSection(t *testing.T) {
	cfg := &config.Config{Sheets: config.Sheets{SpreadsheetID: "id", CredentialsFile: "sa.json",
		Endpoint: "http://emu", WriteRequestsPerMinute: 30, ReadRequestsPerMinute: 40}}
	log := zap.NewNop()
	o := sheetsOptions(cfg, log)
	if o.SpreadsheetID != "id" || o.CredentialsFile != "sa.json" || o.Endpoint != "http://emu" ||
		o.WriteRequestsPerMinute != 30 || o.ReadRequestsPerMinute != 40 || o.Logger != log {
		t.Fatalf("sheetsOptions = %+v", o)
	}
}
