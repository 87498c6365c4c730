package syncd

// Range is a rectangle of a tab, 0-based and half-open like the Sheets
// GridRange. EndRow 0 means "to the last row"; EndCol 0 means "to the last
// column". With ByID set the tab is addressed by SheetID and Tab only
// names it in messages: a title can be taken by another tab between two
// looks (a person renames syncd's tab and creates one under its title),
// an id cannot. (ByID because 0 is a valid sheet id.)
type Range struct {
	Tab              string
	SheetID          int64
	ByID             bool
	StartRow, EndRow int
	StartCol, EndCol int
}

// Op is one change to a spreadsheet. A slice of Ops is applied by
// [Spreadsheet.Apply] atomically, in order, as one spreadsheets.batchUpdate.
// The concrete types are [AddTab], [WriteRows], [AppendRows], [DeleteRows],
// [RenameTab], [FormatColumns], [SortRows], [GrowGrid], [InsertColumns],
// [InsertRows], [MoveColumn], [DeleteColumns] and [ProtectColumns].
type Op interface{ isOp() }

// AddTab creates a tab with a bold, frozen header row holding Header and the
// columns' number formats set on their whole columns. SheetID is chosen by
// the caller (non-zero) so that later Ops of the same batch can address it.
type AddTab struct {
	SheetID int64
	Title   string
	Header  []string
	Formats []NumberFormat // one per column; zero values for none
	// Hidden creates the tab hidden from people (a tab of syncd's own).
	Hidden bool
	// Rows and Cols size the new grid; 0 leaves each to the adapter.
	Rows, Cols int
}

// NewTabRows and NewTabCols are the grid of a tab an AddTab without sizes
// creates (Google's default for a new sheet); the engine counts on them to
// know a new tab's rows.
const NewTabRows, NewTabCols = 1000, 26

// KeepRows copies the values of rows [From, To) of a tab, its first Cols
// columns, to rows At.. of another tab (ToSheetID), as the batch reaches
// it: listed before writes that address rows by index, it keeps whatever
// rows they replace or delete, whichever rows are there by then.
type KeepRows struct {
	SheetID   int64
	From, To  int
	Cols      int
	ToSheetID int64
	At        int
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

// GrowGrid appends Rows empty rows and Cols empty columns at the end of the
// tab's grid. Google refuses writes past the grid and deletes that would
// leave only frozen rows, so a batch grows the grid first; appending at the
// end shifts no index the later ops use.
type GrowGrid struct {
	SheetID    int64
	Rows, Cols int
}

// InsertColumns inserts Count empty columns before column At (0-based),
// shifting the columns from At on to the right. A batch uses it to put back
// a mirrored column a person deleted, so the columns right of it (the
// mirror's and people's) return to where they belong.
type InsertColumns struct {
	SheetID   int64
	At, Count int
}

// InsertRows inserts Count empty rows before row At (0-based), shifting
// the rows from At on down. A batch uses it to put a header row back above
// the data when a person deleted row 1.
type InsertRows struct {
	SheetID   int64
	At, Count int
}

// MoveColumn moves column From (0-based) with its cells and formats so
// that it becomes column To; the columns between shift by one. A batch
// uses it to bring a mirrored column, found by its header name, back to
// where the mirror's order puts it.
type MoveColumn struct {
	SheetID  int64
	From, To int
}

// DeleteColumns removes the columns [Start, End) (0-based), shifting the
// columns right of them left. A batch uses it only for columns syncd owns
// that the mirror no longer has (a column the application dropped).
type DeleteColumns struct {
	SheetID    int64
	Start, End int
}

// ProtectColumns keeps one warning-only protected range over the columns
// [Start, End) (0-based, every row) of the tab: a person editing them is
// asked to confirm first, instead of having syncd revert the edit after.
// ID 0 adds a range; a non-zero ID (a range Info listed) is updated to
// these columns and Description, or deleted when Remove is set. In a batch
// it goes after the column changes: the columns are those the tab has once
// they are applied.
type ProtectColumns struct {
	SheetID     int64
	ID          int64
	Start, End  int
	Description string
	Remove      bool
}

func (ProtectColumns) isOp() {}
func (InsertRows) isOp()     {}
func (MoveColumn) isOp()     {}
func (DeleteColumns) isOp()  {}
func (AddTab) isOp()         {}
func (KeepRows) isOp()       {}
func (GrowGrid) isOp()       {}
func (InsertColumns) isOp()  {}
func (SortRows) isOp()       {}
func (WriteRows) isOp()      {}
func (AppendRows) isOp()     {}
func (DeleteRows) isOp()     {}
func (RenameTab) isOp()      {}
func (FormatColumns) isOp()  {}
