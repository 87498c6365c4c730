package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"text/tabwriter"
)

// Rejection kinds (the report's "kind").
const (
	KindBadValue         = "bad_value"         // the cell cannot be read as the column's type
	KindMissingValue     = "missing_value"     // empty cell in a NOT NULL column without a default
	KindDuplicateKey     = "duplicate_key"     // a later row repeats a key; the first stays valid
	KindUnknownReference = "unknown_reference" // a foreign key value that exists nowhere
	KindCheckViolation   = "check_violation"   // the row breaks one of the table's CHECK constraints
	KindFormulaError     = "formula_error"     // warning only: a formula error read as NULL
)

// Rejection is one row not imported (or, in Report.Warnings, one cell read
// as NULL), with where it is and why.
type Rejection struct {
	Tab string `json:"tab"`
	// Row is the 1-based sheet row (as A1 numbers it).
	Row int `json:"row"`
	// Column is the tab's header title of the offending cell.
	Column string `json:"column"`
	Kind   string `json:"kind"`
	// Value is the offending cell's text.
	Value   string `json:"value"`
	Message string `json:"message"`
	// Key is the row's key text when it could be read.
	Key string `json:"key,omitempty"`
	// Table and DBColumn name the target.
	Table    string `json:"table"`
	DBColumn string `json:"db_column,omitempty"`
	// Cells is the whole row verbatim, header title → cell text.
	Cells map[string]string `json:"-"`
}

// TabReport is one tab's figures.
type TabReport struct {
	Tab   string `json:"tab"`
	Table string `json:"table"`
	// RowsRead counts the non-blank data rows; Blank the skipped blank ones.
	RowsRead int `json:"rows_read"`
	Valid    int `json:"valid"`
	Rejected int `json:"rejected"`
	Blank    int `json:"blank"`
	Warnings int `json:"warnings"`
	// Sums are the exact totals of the valid rows' decimal columns.
	Sums map[string]string `json:"sums,omitempty"`
	// Set by execute: what happened to the valid rows.
	Inserted  *int `json:"inserted,omitempty"`
	Updated   *int `json:"updated,omitempty"`
	Unchanged *int `json:"unchanged,omitempty"`
}

// Report is what every mode prints (the JSON shape is a contract: tabs and
// rejections; the rest is ours).
type Report struct {
	Mode          string       `json:"mode"`
	SpreadsheetID string       `json:"spreadsheet_id"`
	ImportID      int64        `json:"import_id,omitempty"`
	APICalls      int          `json:"api_calls"`
	Tabs          []*TabReport `json:"tabs"`
	Rejections    []Rejection  `json:"rejections"`
	Warnings      []Rejection  `json:"warnings"`
	// Differences are verify's findings (empty when the database matches).
	Differences []Difference `json:"differences,omitempty"`
	// Refused says why execute or rollback changed nothing.
	Refused string `json:"refused,omitempty"`
}

// Difference is one row where verify found the database unlike the sheet.
type Difference struct {
	Table string `json:"table"`
	Tab   string `json:"tab"`
	// Row is the sheet row (0 for a row only in the database).
	Row  int    `json:"row,omitempty"`
	Key  string `json:"key"`
	What string `json:"what"`
	// Columns lists the columns whose values differ.
	Columns []string `json:"columns,omitempty"`
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	if r.Rejections == nil {
		r.Rejections = []Rejection{}
	}
	if r.Warnings == nil {
		r.Warnings = []Rejection{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the report for a person: a table per tab, then every
// rejection, warning and difference on its own line.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "import %s of spreadsheet %s (%d API call(s) to read it)\n", r.Mode, r.SpreadsheetID, r.APICalls)
	if r.ImportID != 0 {
		fmt.Fprintf(w, "import id %d\n", r.ImportID)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "tab\ttable\tread\tvalid\trejected\tblank\twarnings\tinserted\tupdated\tunchanged\t")
	for _, t := range r.Tabs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", t.Tab, t.Table, t.RowsRead, t.Valid,
			t.Rejected, t.Blank, t.Warnings, optInt(t.Inserted), optInt(t.Updated), optInt(t.Unchanged))
	}
	tw.Flush()
	for _, t := range r.Tabs {
		for _, col := range sortedKeys(t.Sums) {
			fmt.Fprintf(w, "sum of %s.%s: %s\n", t.Table, col, t.Sums[col])
		}
	}
	if len(r.Rejections) > 0 {
		fmt.Fprintf(w, "\n%d rejected row(s):\n", len(r.Rejections))
		for _, x := range r.Rejections {
			fmt.Fprintf(w, "  %s!%d  %-18s %-12s %q: %s\n", x.Tab, x.Row, x.Kind, x.Column, x.Value, x.Message)
		}
	}
	writeWarnings(w, r.Warnings)
	if len(r.Differences) > 0 {
		fmt.Fprintf(w, "\n%d difference(s):\n", len(r.Differences))
		for _, d := range r.Differences {
			where := fmt.Sprintf("%s!%d", d.Tab, d.Row)
			if d.Row == 0 {
				where = d.Table
			}
			cols := ""
			if len(d.Columns) > 0 {
				cols = " (" + strings.Join(d.Columns, ", ") + ")"
			}
			fmt.Fprintf(w, "  %s key %s: %s%s\n", where, d.Key, d.What, cols)
		}
	}
	if r.Mode == "verify" && len(r.Differences) == 0 {
		n := 0
		for _, t := range r.Tabs {
			n += t.Valid
		}
		fmt.Fprintf(w, "\nverify: the database matches the sheet (%d row(s) in %d table(s))\n", n, len(r.Tabs))
	}
	if r.Refused != "" {
		fmt.Fprintf(w, "\nrefused: %s\n", r.Refused)
	}
	return nil
}

func optInt(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

// ratString prints a sum with scale fractional digits.
func ratString(r *big.Rat, scale int) string {
	if scale < 0 {
		scale = 2
	}
	return r.FloatString(scale)
}

// writeWarnings groups warnings by tab, column and kind: a computed column
// can warn on hundreds of rows, and one line with the rows says it all
// (-json lists every one).
func writeWarnings(w io.Writer, warnings []Rejection) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d warning(s):\n", len(warnings))
	type group struct {
		first Rejection
		rows  []string
	}
	var order []string
	groups := map[string]*group{}
	for _, x := range warnings {
		k := x.Tab + "\x00" + x.Column + "\x00" + x.Kind
		g := groups[k]
		if g == nil {
			g = &group{first: x}
			groups[k] = g
			order = append(order, k)
		}
		g.rows = append(g.rows, fmt.Sprint(x.Row))
	}
	for _, k := range order {
		g := groups[k]
		rows := g.rows
		more := ""
		if len(rows) > 12 {
			more = fmt.Sprintf(" and %d more", len(rows)-12)
			rows = rows[:12]
		}
		fmt.Fprintf(w, "  %s %s %s on %d row(s) (%s%s): %s\n", g.first.Tab, g.first.Column, g.first.Kind,
			len(g.rows), strings.Join(rows, ", "), more, g.first.Message)
	}
}
