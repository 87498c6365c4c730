package main

import (
	"context"
	"sort"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/syncer"
	"go.uber.org/zap"
)

// mirrorClients builds one sheets.Client per (spreadsheet, credential)
// that mirrors use besides the sheets: defaults, by
// syncer.SpreadsheetKey. Clients of one service account share its quota
// (sheets.SharedQuota, keyed by the account), however many spreadsheets
// it serves; each spreadsheet gets its own client and so its own
// Info cache in the syncer.
func mirrorClients(ctx context.Context, cfg *config.Config, mirrors []syncd.Mirror, log *zap.Logger) (map[string]*sheets.Client, error) {
	out := map[string]*sheets.Client{}
	for _, m := range mirrors {
		if isDefaultSheet(cfg, m) {
			continue
		}
		k := syncer.SpreadsheetKey(m)
		if out[k] != nil {
			continue
		}
		opts := sheetsOptions(cfg, log)
		opts.SpreadsheetID = m.SpreadsheetID
		opts.CredentialsFile = m.CredentialsFile
		c, err := sheets.New(ctx, opts)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}

// isDefaultSheet reports whether m's tab is reached through the sheets:
// defaults (its spreadsheet and credential, or none of its own).
func isDefaultSheet(cfg *config.Config, m syncd.Mirror) bool {
	return (m.SpreadsheetID == "" || m.SpreadsheetID == cfg.Sheets.SpreadsheetID) &&
		(m.CredentialsFile == "" || m.CredentialsFile == cfg.Sheets.CredentialsFile)
}

// clients are every Sheets client of the process: the default one first,
// then the others by key.
func (d *deps) clients() []*sheets.Client {
	out := []*sheets.Client{d.sheet}
	keys := make([]string, 0, len(d.sheets))
	for k := range d.sheets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, d.sheets[k])
	}
	return out
}

// sheetStats sums the request counters of every client.
func (d *deps) sheetStats() sheets.Stats {
	var st sheets.Stats
	for _, c := range d.clients() {
		cs := c.Stats()
		st.ReadCalls += cs.ReadCalls
		st.WriteCalls += cs.WriteCalls
		st.DriveCalls += cs.DriveCalls
		st.RateLimited += cs.RateLimited
		st.Retries += cs.Retries
		st.Failures += cs.Failures
	}
	return st
}
