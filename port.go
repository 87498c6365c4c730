package syncd

import (
	"context"
	"errors"
	"hash/fnv"
	"time"
)

// ErrInvalidRequest marks a Spreadsheet call the API refused as invalid (a
// 400: a range past the grid, a delete of every unfrozen row). Repeating
// the same request cannot succeed; one planned from a fresh look at the
// spreadsheet may. Implementations wrap it (test with errors.Is).
var ErrInvalidRequest = errors.New("request rejected")

// Codec converts between Postgres values and sheet cells under the cell type
// contract (CONTRACT.md §2). It is implemented by package sheets. loc is the
// spreadsheet's time zone, used for timestamps.
type Codec interface {
	// Encode returns the cell that represents v in column col. truncated is
	// true when a text value was longer than a cell may hold and was cut
	// (with a visible marker); the caller counts it as a warning.
	Encode(col Column, v Value, loc *time.Location) (c Cell, truncated bool)
	// Decode parses a cell back into a value for column col. It fails with
	// an error that says what was expected when the cell does not hold a
	// value of the column's type.
	Decode(col Column, c Cell, loc *time.Location) (Value, error)
	// Format returns the number format a column's cells carry (dates,
	// timestamps, money); the zero NumberFormat for none.
	Format(col Column) NumberFormat
}

// TabInfo describes one tab (sheet) of a spreadsheet.
type TabInfo struct {
	SheetID    int64
	Title      string
	Index      int
	RowCount   int
	ColCount   int
	FrozenRows int
	// Hidden: the tab is hidden from people (syncd's kept-rows tabs).
	Hidden bool
	// Protected are the tab's protected ranges (Info reads them so that
	// reconcile keeps syncd's own in step with mirrors[].protect).
	Protected []ProtectedRange
}

// ProtectedRange is a protected range of a tab. The bounds are 0-based and
// half-open like Range's; an End of 0 means unbounded (a range over whole
// columns has StartRow and EndRow 0).
type ProtectedRange struct {
	ID               int64
	Description      string
	WarningOnly      bool
	StartRow, EndRow int
	StartCol, EndCol int
}

// SpreadsheetInfo is what syncer needs to know about a spreadsheet.
type SpreadsheetInfo struct {
	Title    string
	TimeZone *time.Location
	Tabs     []TabInfo
}

// CellLimit is Google's limit on the cells of one spreadsheet: every tab's
// grid (rows × columns) counted, empty cells included. The engine keeps a
// write under it and `syncd status` reports each spreadsheet against it.
const CellLimit int64 = 10_000_000

// Tab returns the tab with the given title, or false.
func (s SpreadsheetInfo) Tab(title string) (TabInfo, bool) {
	for _, t := range s.Tabs {
		if t.Title == title {
			return t, true
		}
	}
	return TabInfo{}, false
}

// NewSheetID picks a stable id for a new tab, derived from name, that no
// tab of s uses: every writer of a spreadsheet (the engine, the conflicts
// tab) picks ids the same way, so a retried AddTab asks for the same one.
func (s SpreadsheetInfo) NewSheetID(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	id := int64(h.Sum32()&0x3fffffff) + 1
	for {
		taken := false
		for _, t := range s.Tabs {
			taken = taken || t.SheetID == id
		}
		if !taken {
			return id
		}
		id = id%0x3fffffff + 1
	}
}

// Spreadsheet is what syncer needs from one Google spreadsheet. It is
// implemented by package sheets (the real API or the emulator) and must be
// safe for concurrent use. Implementations own quota and retries: a call
// returns an error only once retrying is pointless or ctx is done.
type Spreadsheet interface {
	// Info returns the spreadsheet's time zone and tabs (one read call).
	Info(ctx context.Context) (SpreadsheetInfo, error)
	// Read returns the cells of each range (one read call for all of them),
	// unformatted, with dates as serial numbers. Trailing empty rows and
	// cells are trimmed as the API trims them.
	Read(ctx context.Context, ranges []Range) ([][][]Cell, error)
	// Apply performs ops atomically, in order, as one batchUpdate (more
	// than one only when the request would exceed the size limit). It
	// returns the number of API calls made.
	Apply(ctx context.Context, ops []Op) (calls int, err error)
}

// Versioner is optionally implemented by a Spreadsheet that can tell
// cheaply whether it changed: the engine polls it (sheets.poll_changes) and
// reads tabs only when the version moved past the one its own last write
// produced, so an idle spreadsheet costs no Sheets reads. Package sheets
// implements it with Drive's files.get?fields=version, which spends Drive
// quota, not Sheets quota.
type Versioner interface {
	// Version returns a number that grows with every change of the
	// spreadsheet, the implementation's own writes included, and never
	// goes down. It may trail a change by a few seconds, and may grow by
	// more than one per change: compare versions, never count them.
	Version(ctx context.Context) (int64, error)
}

// QuotaAwaiter is optionally implemented by a Spreadsheet whose calls are
// paced by a quota. A batch waits on it before taking its database
// snapshot, so that the snapshot is as fresh as possible when the calls
// leave: waiting between the snapshot and the write would make every change
// committed during the wait miss the batch.
type QuotaAwaiter interface {
	// AwaitQuota blocks until a read and a write could be sent at once.
	AwaitQuota(ctx context.Context) error
}
