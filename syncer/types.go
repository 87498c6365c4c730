package syncer

import (
	"context"
	"time"
)

// ColumnKind classifies a Postgres column type for the cell type contract
// (DESIGN §2). The codec decides how a value of each kind is written to and
// read back from a sheet cell.
type ColumnKind int

// The column kinds. KindOther covers every type without a better mapping
// (arrays, interval, ranges, ...): it is written as compact text.
const (
	KindText        ColumnKind = iota // text, varchar, char, uuid, enum, citext
	KindInt                           // int2, int4, int8
	KindNumeric                       // numeric, money
	KindFloat                         // float4, float8
	KindBool                          // bool
	KindDate                          // date
	KindTimestamp                     // timestamp without time zone
	KindTimestampTZ                   // timestamp with time zone
	KindJSON                          // json, jsonb
	KindOther                         // anything else: compact text
)

var kindNames = [...]string{"text", "int", "numeric", "float", "bool", "date", "timestamp", "timestamptz", "json", "other"}

// String returns the kind's short lowercase name.
func (k ColumnKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Column is one mirrored column: its name, its Postgres type and the kind
// the codec uses for it.
type Column struct {
	// Name is the column name as Postgres spells it (unquoted).
	Name string
	// Type is the type as format_type() prints it, e.g. "numeric(12,2)".
	// It is used to cast text back into the column (value::Type).
	Type string
	// Kind is the codec's classification of Type.
	Kind ColumnKind
	// Scale is the declared scale of a numeric column, or -1 when the type
	// has no declared scale (plain numeric, money is 2).
	Scale int
}

// Value is one Postgres value in its canonical text form, as Postgres prints
// it in a session with TimeZone=UTC, DateStyle=ISO and IntervalStyle=postgres.
// Carrying text keeps every type exact (numeric, int8, timestamps to the
// microsecond) and lets Postgres itself parse values written back.
type Value struct {
	// Text is the value's text form; meaningless when Valid is false.
	Text string
	// Valid is false for SQL NULL.
	Valid bool
}

// Null is the SQL NULL value.
var Null = Value{}

// Text returns a non-NULL value with the given text form.
func Text(s string) Value { return Value{Text: s, Valid: true} }

// CellType is the type of a sheet cell's value as the Sheets API carries it.
type CellType int

// The cell types. CellError is a formula error such as #REF!.
const (
	CellEmpty CellType = iota
	CellString
	CellNumber
	CellBool
	CellError
)

// Cell is one sheet cell's value as the Sheets API carries it with
// valueRenderOption UNFORMATTED_VALUE and dateTimeRenderOption SERIAL_NUMBER
// (dates are serial numbers). The zero Cell is an empty cell.
type Cell struct {
	Type   CellType
	String string  // CellString text, or the CellError text (e.g. "#REF!")
	Number float64 // CellNumber
	Bool   bool    // CellBool
}

// Equal reports whether two cells hold the same value.
func (c Cell) Equal(o Cell) bool { return c == o }

// StringCell returns a text cell.
func StringCell(s string) Cell { return Cell{Type: CellString, String: s} }

// NumberCell returns a number cell.
func NumberCell(f float64) Cell { return Cell{Type: CellNumber, Number: f} }

// BoolCell returns a boolean cell.
func BoolCell(b bool) Cell { return Cell{Type: CellBool, Bool: b} }

// NumberFormat is a Sheets number format (NumberFormat.type and .pattern).
// The zero value means "no format" (the sheet's default).
type NumberFormat struct {
	Type    string // DATE, DATE_TIME, NUMBER, TEXT, ...
	Pattern string
}

// Codec converts between Postgres values and sheet cells under the cell type
// contract (DESIGN §2). It is implemented by package sheets. loc is the
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
}

// SpreadsheetInfo is what syncer needs to know about a spreadsheet.
type SpreadsheetInfo struct {
	Title    string
	TimeZone *time.Location
	Tabs     []TabInfo
}

// Tab returns the tab with the given title, or false.
func (s SpreadsheetInfo) Tab(title string) (TabInfo, bool) {
	for _, t := range s.Tabs {
		if t.Title == title {
			return t, true
		}
	}
	return TabInfo{}, false
}

// Range is a rectangle of a tab, 0-based and half-open like the Sheets
// GridRange. EndRow 0 means "to the last row"; EndCol 0 means "to the last
// column".
type Range struct {
	Tab              string
	StartRow, EndRow int
	StartCol, EndCol int
}

// Op is one change to a spreadsheet. A slice of Ops is applied by
// [Spreadsheet.Apply] atomically, in order, as one spreadsheets.batchUpdate.
// The concrete types are [AddTab], [WriteRows], [AppendRows], [DeleteRows],
// [RenameTab], [FormatColumns] and [SortRows].
type Op interface{ isOp() }

// AddTab creates a tab with a bold, frozen header row holding Header and the
// columns' number formats set on their whole columns. SheetID is chosen by
// the caller (non-zero) so that later Ops of the same batch can address it.
type AddTab struct {
	SheetID int64
	Title   string
	Header  []string
	Formats []NumberFormat // one per column; zero values for none
}

// WriteRows overwrites the cells of Rows starting at (Row, Col) of the tab,
// 0-based (row 0 is the header). Only len(Rows[i]) cells from Col on are
// touched: columns people added to the right are kept, and a mirror can skip
// editable cells it must not overwrite by writing the segments around them.
type WriteRows struct {
	SheetID int64
	Row     int
	Col     int
	Rows    [][]Cell
}

// AppendRows appends Rows after the last row of the tab that has data, with
// Formats (one per column, may be nil) applied to the new cells. The grid
// grows as needed.
type AppendRows struct {
	SheetID int64
	Rows    [][]Cell
	Formats []NumberFormat
	// FromRow, when > 0, is the first row (0-based) the rows can land on
	// (the row after the last one syncd knows has data): Formats are set
	// from there down rather than on whole columns, so appending to a large
	// tab costs in proportion to what is appended.
	FromRow int
}

// DeleteRows removes the rows [Start, End) (0-based) of the tab, shifting the
// rows below up. A batch that deletes several ranges must list them from the
// bottom up.
type DeleteRows struct {
	SheetID    int64
	Start, End int
}

// RenameTab sets a tab's title.
type RenameTab struct {
	SheetID int64
	Title   string
}

// FormatColumns sets the header row (bold, frozen) and the number formats of
// the leftmost len(Formats) columns of the tab, below the header.
type FormatColumns struct {
	SheetID int64
	Header  []string
	Formats []NumberFormat
}

// SortRows sorts the tab's rows below the header by the given columns
// (0-based), ascending, the way Sheets sorts: numbers before text (case
// folded) before booleans, empty cells last. Whole rows move, so columns
// people added to the right stay with their row.
type SortRows struct {
	SheetID int64
	Columns []int
}

func (AddTab) isOp()        {}
func (SortRows) isOp()      {}
func (WriteRows) isOp()     {}
func (AppendRows) isOp()    {}
func (DeleteRows) isOp()    {}
func (RenameTab) isOp()     {}
func (FormatColumns) isOp() {}

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

// QuotaAwaiter is optionally implemented by a Spreadsheet whose calls are
// paced by a quota. A batch waits on it before taking its database
// snapshot, so that the snapshot is as fresh as possible when the calls
// leave: waiting between the snapshot and the write would make every change
// committed during the wait miss the batch.
type QuotaAwaiter interface {
	// AwaitQuota blocks until a read and a write could be sent at once.
	AwaitQuota(ctx context.Context) error
}
