package syncd

// Mirror is one resolved mirror: a table (or a read-only query) and the tab
// it is mirrored into, with the column types read from the catalog.
type Mirror struct {
	// Name identifies the mirror in sync_log, conflicts and status.
	Name string
	// Sheet is the tab's title.
	Sheet string
	// Table is the qualified, quoted table name; empty for a query mirror.
	Table string
	// Query is the SELECT of a report mirror; empty for a table mirror.
	Query string
	// Columns are the mirrored columns in tab order (column A first).
	Columns []Column
	// Key holds the indexes in Columns of the key columns.
	Key []int
	// Editable holds the indexes in Columns of the columns whose cells
	// people may change in the sheet (they flow back to Postgres).
	Editable []int
	// OrderBy holds the indexes in Columns that reconcile sorts the tab by;
	// empty means rows stay where people put them.
	OrderBy []int
	// DependsOn lists the qualified tables whose changes refresh a query
	// mirror.
	DependsOn []string

	// SpreadsheetID is the spreadsheet the tab is in and CredentialsFile
	// the key it is reached with: the mirror's own, else the sheets:
	// defaults (CONTRACT.md §4, round 2).
	SpreadsheetID   string
	CredentialsFile string
	// SheetInserts: a row typed into the tab becomes an INSERT.
	SheetInserts bool
	// SheetDeletes: a row deleted from the tab becomes a DELETE, at most
	// MaxSheetDeletes of them in one pass (more: none is applied, the rows
	// are restored and listed as conflicts).
	SheetDeletes    bool
	MaxSheetDeletes int
	// Protect says whether the columns people may not edit carry
	// warning-only protected ranges.
	Protect Protect
}

// Protect is mirrors[].protect.
type Protect string

const (
	// ProtectWarn puts a warning-only protected range on every column
	// people may not edit, so Google warns before the edit (the default).
	ProtectWarn Protect = "warn"
	// ProtectOff adds no protected ranges.
	ProtectOff Protect = "off"
)

// IsQuery reports whether m mirrors a query (a read-only report tab).
func (m *Mirror) IsQuery() bool { return m.Query != "" }

// KeyNames returns the names of the key columns.
func (m *Mirror) KeyNames() []string {
	out := make([]string, len(m.Key))
	for i, k := range m.Key {
		out[i] = m.Columns[k].Name
	}
	return out
}

// ColumnNames returns the names of the mirrored columns.
func (m *Mirror) ColumnNames() []string {
	out := make([]string, len(m.Columns))
	for i, c := range m.Columns {
		out[i] = c.Name
	}
	return out
}
