package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// A daemon may spread its mirrors over several spreadsheets, each reached
// with its own credential (mirrors[].spreadsheet_id, credentials_file).
// Everything the syncer knows of a spreadsheet is kept per sheet key: the
// key of Options.Sheets a mirror's spreadsheet is in, or "" for
// Options.Sheet. A batch and a reconcile pass still read one snapshot and
// commit once, but read and write each spreadsheet with its own calls: one
// atomic batchUpdate per spreadsheet, its calls recorded in sync_log for
// the mirrors it holds.

// SpreadsheetKey is the key of Options.Sheets that serves m: its
// spreadsheet and the credential it is reached with.
func SpreadsheetKey(m syncd.Mirror) string {
	return m.SpreadsheetID + "\x00" + m.CredentialsFile
}

// sheetKey is the sheet key of m: SpreadsheetKey(m) when Options.Sheets
// has it, else "" (Options.Sheet).
func (s *Syncer) sheetKey(m *mirror) string {
	k := SpreadsheetKey(*m.Mirror)
	if _, ok := s.opts.Sheets[k]; ok {
		return k
	}
	return ""
}

// sheet is the Spreadsheet of a sheet key.
func (s *Syncer) sheet(key string) syncd.Spreadsheet {
	if key == "" {
		return s.opts.Sheet
	}
	return s.opts.Sheets[key]
}

// sheetKeys are the distinct sheet keys of mirrors, in their order.
func (s *Syncer) sheetKeys(mirrors []*mirror) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range mirrors {
		if k := s.sheetKey(m); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// spreadsheetInfo returns the cached info of a spreadsheet, fetching it
// when needed. calls is incremented for a fetch.
func (s *Syncer) spreadsheetInfo(ctx context.Context, key string, calls *int) (syncd.SpreadsheetInfo, error) {
	s.mu.Lock()
	cached := s.info[key]
	s.mu.Unlock()
	if cached != nil {
		return *cached, nil
	}
	info, err := s.sheet(key).Info(ctx)
	*calls++
	if err != nil {
		return syncd.SpreadsheetInfo{}, fmt.Errorf("read spreadsheet: %w", err)
	}
	if info.TimeZone == nil {
		info.TimeZone = time.UTC
	}
	s.mu.Lock()
	s.info[key] = &info
	s.mu.Unlock()
	return info, nil
}

// spreadsheetInfos returns the info of every spreadsheet of mirrors, by
// sheet key; calls counts the fetches per key. It stops at the first
// spreadsheet that cannot be read.
func (s *Syncer) spreadsheetInfos(ctx context.Context, mirrors []*mirror, calls map[string]int) (map[string]syncd.SpreadsheetInfo, error) {
	out := map[string]syncd.SpreadsheetInfo{}
	for _, k := range s.sheetKeys(mirrors) {
		n := 0
		info, err := s.spreadsheetInfo(ctx, k, &n)
		calls[k] += n
		if err != nil {
			return out, err
		}
		out[k] = info
	}
	return out, nil
}

// forgetInfo drops the cached info of every spreadsheet (after a failed
// write, or when people may have changed the tabs).
func (s *Syncer) forgetInfo() {
	s.mu.Lock()
	clear(s.info)
	s.mu.Unlock()
}

// tabRowCounts returns the row count of every cached tab, by sheet id:
// the grid as syncd last read it or, after its own writes, a lower bound
// of it (fitGrid).
func (s *Syncer) tabRowCounts() map[int64]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]int{}
	for _, info := range s.info {
		for _, t := range info.Tabs {
			if t.RowCount > 0 {
				out[t.SheetID] = t.RowCount
			}
		}
	}
	return out
}

// rememberTab records a tab syncd created or found, in the cache of its
// spreadsheet.
func (s *Syncer) rememberTab(key string, t syncd.TabInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.info[key]
	if info == nil {
		return
	}
	for i := range info.Tabs {
		if info.Tabs[i].SheetID == t.SheetID {
			info.Tabs[i] = t
			return
		}
	}
	info.Tabs = append(info.Tabs, t)
}

// awaitQuota waits, before a batch's snapshot, until each spreadsheet that
// paces has quota for a read and a write. The waits overlap: budgets fill
// in parallel, so waiting for one after another costs the longest wait.
func (s *Syncer) awaitQuota(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if qa, ok := s.sheet(k).(syncd.QuotaAwaiter); ok {
			if err := qa.AwaitQuota(ctx); err != nil {
				return fmt.Errorf("wait for quota: %w", err)
			}
		}
	}
	return nil
}

func sum(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

// paces reports whether any spreadsheet of mirrors waits for quota.
func (s *Syncer) paces(mirrors []*mirror) bool {
	for _, k := range s.sheetKeys(mirrors) {
		if _, ok := s.sheet(k).(syncd.QuotaAwaiter); ok {
			return true
		}
	}
	return false
}

// CellLimit is the engine's limit on the cells of one spreadsheet:
// Google's [syncd.CellLimit]. A variable only so that tests can lower it
// (celllimit_test.go); nothing else may change it.
var CellLimit = syncd.CellLimit

// gridCells is the cells of every tab's grid in info.
func gridCells(info syncd.SpreadsheetInfo) int64 {
	var n int64
	for _, t := range info.Tabs {
		n += int64(t.RowCount) * int64(t.ColCount)
	}
	return n
}

// withSpreadsheet adds to a sync_log row's details the mirror's
// spreadsheet and its cells as the syncer last knew them (its Info with
// the tabs syncd changed since), which `syncd status` reports against
// syncd.CellLimit; nothing when the spreadsheet's id or info is unknown.
func (s *Syncer) withSpreadsheet(m *mirror, key string, details map[string]any) map[string]any {
	if m.SpreadsheetID == "" {
		return details
	}
	details[store.SpreadsheetDetail] = m.SpreadsheetID
	s.mu.Lock()
	info := s.info[key]
	if info != nil {
		details[store.SpreadsheetCellsDetail] = gridCells(*info)
	}
	s.mu.Unlock()
	return details
}
