package importer

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/decimal"
)

// Row is one valid sheet row, parsed: Values follow the TablePlan's Columns.
type Row struct {
	// SheetRow is the 1-based sheet row it came from.
	SheetRow int
	// Key is the row's key text (values joined with ", ").
	Key string
	// Values are the parsed values, one per TablePlan column, in order.
	Values []syncd.Value
}

// TableResult is one tab validated against its plan.
type TableResult struct {
	// Plan is the tab's prepared plan.
	Plan *TablePlan
	// Report counts the tab's rows (and, once executed, what was written).
	Report *TabReport
	// Valid are the rows execute would load, in sheet order.
	Valid []Row
}

// Result is a validated import: what execute would load and what it would
// reject. Validate builds it without writing anything.
type Result struct {
	// SpreadsheetID is the sheet the rows were read from.
	SpreadsheetID string
	// APICalls counts the Sheets API calls the read took.
	APICalls int
	// Tables are the plan's tables, in the plan's order.
	Tables []*TableResult
	// Rejections are the rows no table will receive, with the reason;
	// Warnings are values accepted with a caveat (a formula error read
	// as NULL on a column that allows it).
	Rejections []Rejection
	Warnings   []Rejection
}

// Report returns the dry-run report of r.
func (r *Result) Report(mode string) *Report {
	rep := &Report{Mode: mode, SpreadsheetID: r.SpreadsheetID, APICalls: r.APICalls,
		Rejections: r.Rejections, Warnings: r.Warnings}
	for _, t := range r.Tables {
		rep.Tabs = append(rep.Tabs, t.Report)
	}
	return rep
}

// Prepare checks the plan against the database: every table exists, every
// mapped and key column exists, the key is known. It reads only the catalog.
func (p *Plan) Prepare(ctx context.Context, q catalog.Querier) error {
	for _, t := range p.Tables {
		info, err := catalog.LookupTableDetail(ctx, q, t.Table)
		if err != nil {
			if errors.Is(err, catalog.ErrNoTable) {
				return p.errAt(t.Line, "table %s (tab %q) does not exist in the database", t.Table, t.Tab)
			}
			return fmt.Errorf("prepare table %s: %w", t.Table, err)
		}
		t.info = info
		for _, c := range t.Columns {
			dc, ok := info.Column(c.Column)
			if !ok {
				return p.errAt(c.Line, "column %q does not exist in table %s", c.Column, info.Name)
			}
			c.dbCol = dc
		}
		if len(t.Key) == 0 {
			t.Key = info.PrimaryKey
		}
		if len(t.Key) == 0 {
			return p.errAt(t.Line, "table %s has no primary key: give the plan a key", info.Name)
		}
		t.keyIdx = t.keyIdx[:0]
		for _, k := range t.Key {
			i := slices.IndexFunc(t.Columns, func(c *ColumnPlan) bool { return c.Column == k })
			if i < 0 {
				return p.errAt(t.Line, "key column %q of table %s is not mapped from tab %q", k, info.Name, t.Tab)
			}
			t.keyIdx = append(t.keyIdx, i)
		}
	}
	return nil
}

// NeedsFormats reports whether reading the plan's cells needs their number
// formats and formatted text: plan rules do (a DATE serial, a PERCENT);
// the codec of mirror plans does not.
func (p *Plan) NeedsFormats() bool {
	for _, t := range p.Tables {
		for _, c := range t.Columns {
			if _, codec := c.parser.(*codecParser); !codec {
				return true
			}
		}
	}
	return false
}

// Tabs returns the tab titles the plan reads, in order.
func (p *Plan) Tabs() []string {
	var out []string
	for _, t := range p.Tables {
		out = append(out, t.Tab)
	}
	return out
}

// Validate reads grid by the plan (after Prepare): it finds each mapped
// column in its tab's header, parses every non-blank row, and rejects rows
// with unreadable values, repeated keys and references to nothing. q is
// read for existing referenced keys; nothing is written.
func (p *Plan) Validate(ctx context.Context, q catalog.Querier, grid *syncd.Grid) (*Result, error) {
	res := &Result{SpreadsheetID: grid.SpreadsheetID, APICalls: grid.Calls}
	p.loc = time.UTC
	if loc, err := time.LoadLocation(grid.TimeZone); err == nil && grid.TimeZone != "" {
		p.loc = loc
	}
	loaded := map[string]*TableResult{}
	for _, t := range p.Tables {
		tab, ok := grid.Tab(t.Tab)
		if !ok {
			return nil, p.errAt(t.Line, "spreadsheet %s has no tab %q", grid.SpreadsheetID, t.Tab)
		}
		if err := p.bind(t, tab, grid.Locale); err != nil {
			return nil, err
		}
		refs, err := p.referenceSets(ctx, q, t, loaded)
		if err != nil {
			return nil, err
		}
		tr, err := validateTab(ctx, q, t, tab, refs, res)
		if err != nil {
			return nil, err
		}
		loaded[t.info.Name] = tr
		res.Tables = append(res.Tables, tr)
	}
	return res, nil
}

// bind finds the plan's columns in the tab's header and builds the parse
// rule of each column that has no parser yet.
func (p *Plan) bind(t *TablePlan, tab *syncd.GridTab, gridLocale string) error {
	hr := t.headerRow()
	var header []syncd.GridCell
	if hr-1 < len(tab.Rows) {
		header = tab.Rows[hr-1]
	}
	for _, c := range t.Columns {
		c.src = -1
		for i, h := range header {
			if strings.TrimSpace(cellText(h)) == strings.TrimSpace(c.From) {
				c.src = i
				break
			}
		}
		if c.src < 0 && !p.exactHeaders {
			for i, h := range header {
				if strings.EqualFold(strings.TrimSpace(cellText(h)), strings.TrimSpace(c.From)) {
					c.src = i
					break
				}
			}
		}
		if c.src < 0 {
			return p.errAt(c.Line, "tab %q has no column %q in its header row %d", t.Tab, c.From, hr)
		}
		if c.parser == nil {
			c.parser = p.rule(c, gridLocale)
		}
	}
	return nil
}

func (t *TablePlan) headerRow() int {
	if t.HeaderRow <= 0 {
		return 1
	}
	return t.HeaderRow
}

// rule builds a column's parse rule from the plan and the column's type.
func (p *Plan) rule(c *ColumnPlan, gridLocale string) *Rule {
	r := &Rule{Type: c.Type, Scale: -1, Map: c.Map, Lower: c.Lower, Default: c.Default,
		ErrorsAsNull: c.OnFormulaError == "null", True: c.True, False: c.False, IntBits: c.dbCol.IntBits}
	if r.Type == "" {
		r.Type = defaultType(c.dbCol)
	}
	locale := c.Locale
	if locale == "" {
		locale = p.Locale
	}
	if locale == "" {
		locale = gridLocale
	}
	r.DecimalComma = decimalComma(locale)
	if c.Scale != nil {
		r.Scale = *c.Scale
	} else if c.dbCol.Kind == syncd.KindNumeric && c.dbCol.Scale >= 0 {
		r.Scale = c.dbCol.Scale
	}
	if c.dbCol.Precision > 0 && c.dbCol.Scale >= 0 {
		r.MaxIntDigits = c.dbCol.Precision - c.dbCol.Scale
	}
	r.DateFormats = c.DateFormats
	if len(r.DateFormats) == 0 {
		r.DateFormats = p.DateFormats
	}
	r.NoTrim = c.Trim != nil && !*c.Trim
	r.Allowed = c.Allowed
	if len(r.Allowed) == 0 {
		r.Allowed = c.dbCol.Enum
	}
	return r
}

func defaultType(c catalog.ColumnDetail) string {
	switch c.Kind {
	case syncd.KindInt:
		return TypeInt
	case syncd.KindNumeric:
		return TypeDecimal
	case syncd.KindBool:
		return TypeBool
	case syncd.KindDate:
		return TypeDate
	}
	if strings.HasPrefix(c.Type, "time without") || c.Type == "time" {
		return TypeTime
	}
	return TypeText
}

// refSet is the set of values a referencing column may hold.
type refSet struct {
	table, column string
	values        map[string]bool
}

// referenceSets collects, per plan column with a reference, the values of
// the referenced column: the valid rows this import loads plus the rows
// already in the database.
func (p *Plan) referenceSets(ctx context.Context, q catalog.Querier, t *TablePlan, loaded map[string]*TableResult) (map[int]*refSet, error) {
	out := map[int]*refSet{}
	for i, c := range t.Columns {
		if c.References == "" {
			continue
		}
		tbl, col, _ := splitReference(c.References)
		info, err := catalog.LookupTableDetail(ctx, q, tbl)
		if err != nil {
			if errors.Is(err, catalog.ErrNoTable) {
				return nil, p.errAt(c.Line, "column %q references table %s, which does not exist in the database", c.Column, tbl)
			}
			return nil, fmt.Errorf("resolve reference of %s.%s: %w", t.Table, c.Column, err)
		}
		if _, ok := info.Column(col); !ok {
			return nil, p.errAt(c.Line, "column %q references %s.%s, which does not exist", c.Column, info.Name, col)
		}
		set := &refSet{table: info.Name, column: col, values: map[string]bool{}}
		rows, err := q.Query(ctx, fmt.Sprintf("SELECT DISTINCT %s::text FROM %s WHERE %[1]s IS NOT NULL",
			catalog.QuoteIdent(col), info.Name))
		if err != nil {
			return nil, fmt.Errorf("read referenced keys of %s: %w", info.Name, err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read referenced keys of %s: %w", info.Name, err)
			}
			set.values[v] = true
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read referenced keys of %s: %w", info.Name, err)
		}
		if lt := loaded[info.Name]; lt != nil {
			j := slices.IndexFunc(lt.Plan.Columns, func(pc *ColumnPlan) bool { return pc.Column == col })
			if j >= 0 {
				for _, r := range lt.Valid {
					if v := r.Values[j]; v.Valid {
						set.values[v.Text] = true
					}
				}
			}
		}
		out[i] = set
	}
	return out, nil
}

// validateTab parses the tab's data rows. The checks run in the order a
// person would fix them: unreadable cells, then references, then repeated
// keys, so a repeat of a rejected row's key is not held against a good row.
func validateTab(ctx context.Context, q catalog.Querier, t *TablePlan, tab *syncd.GridTab, refs map[int]*refSet, res *Result) (*TableResult, error) {
	tr := &TableResult{Plan: t, Report: &TabReport{Tab: t.Tab, Table: t.info.Name}}
	rep := tr.Report
	header := []syncd.GridCell{}
	if hr := t.headerRow(); hr-1 < len(tab.Rows) {
		header = tab.Rows[hr-1]
	}
	start := len(res.Rejections)
	type candidate struct {
		row      Row
		cells    []syncd.GridCell
		warnings []Rejection
	}
	var cands []candidate
	for ri := t.headerRow(); ri < len(tab.Rows); ri++ {
		cells := tab.Rows[ri]
		if blankRow(cells) {
			rep.Blank++
			continue
		}
		rep.RowsRead++
		sheetRow := ri + 1
		reject := func(c *ColumnPlan, kind, msg, key string) {
			rep.Rejected++
			res.Rejections = append(res.Rejections, Rejection{Tab: t.Tab, Row: sheetRow, Column: c.From,
				Kind: kind, Value: cellText(cellAt(cells, c.src)), Message: msg, Key: key,
				Table: t.info.Name, DBColumn: c.Column, Cells: rowCells(header, cells)})
		}
		row := Row{SheetRow: sheetRow, Values: make([]syncd.Value, len(t.Columns))}
		var warnings []Rejection // kept only if the row ends up valid
		ok := true
		for i, c := range t.Columns {
			cell := cellAt(cells, c.src)
			v, err := c.parser.Parse(cell)
			var pe *ParseError
			if errors.As(err, &pe) && pe.Formula && isRule(c.parser, func(r *Rule) bool { return r.ErrorsAsNull }) {
				warnings = append(warnings, Rejection{Tab: t.Tab, Row: sheetRow, Column: c.From,
					Kind: KindFormulaError, Value: cellText(cell), Message: pe.Msg + "; imported as NULL",
					Table: t.info.Name, DBColumn: c.Column})
				v, err = syncd.Null, nil
			}
			if err != nil {
				kind := KindBadValue
				if pe != nil {
					kind = pe.Kind
				}
				reject(c, kind, fmt.Sprintf("%s: %v", c.Column, err), "")
				ok = false
				break
			}
			if !v.Valid && c.dbCol.NotNull {
				reject(c, KindMissingValue, fmt.Sprintf("%s is required (NOT NULL) and the cell is empty", c.Column), "")
				ok = false
				break
			}
			row.Values[i] = v
		}
		if !ok {
			continue
		}
		for _, k := range t.keyIdx {
			if !row.Values[k].Valid {
				c := t.Columns[k]
				reject(c, KindMissingValue, fmt.Sprintf("key column %s is empty", c.Column), "")
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		row.Key = t.keyText(row.Values)
		for i := range t.Columns {
			set := refs[i]
			if set == nil {
				continue
			}
			v := row.Values[i]
			if v.Valid && !set.values[v.Text] {
				c := t.Columns[i]
				reject(c, KindUnknownReference, fmt.Sprintf("%s %s is not in %s.%s", c.Column, v.Text, set.table, set.column), row.Key)
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		cands = append(cands, candidate{row, cells, warnings})
	}
	// The table's CHECK constraints, evaluated by Postgres on the parsed
	// rows without writing them, so execute never fails half-way on one.
	rows := make([]Row, len(cands))
	for i, c := range cands {
		rows[i] = c.row
	}
	violations, err := checkConstraints(ctx, q, t, rows)
	if err != nil {
		return nil, fmt.Errorf("check constraints of %s: %w", t.info.Name, err)
	}
	seen := map[string]int{}
	for i, c := range cands {
		sheetRow, key := c.row.SheetRow, c.row.Key
		rejectRow := func(col *ColumnPlan, kind, msg string) {
			rep.Rejected++
			res.Rejections = append(res.Rejections, Rejection{Tab: t.Tab, Row: sheetRow, Column: col.From,
				Kind: kind, Value: cellText(cellAt(c.cells, col.src)), Message: msg, Key: key,
				Table: t.info.Name, DBColumn: col.Column, Cells: rowCells(header, c.cells)})
		}
		if v, bad := violations[i]; bad {
			rejectRow(v.column, KindCheckViolation, v.message)
			continue
		}
		if first, dup := seen[key]; dup {
			rejectRow(t.Columns[t.keyIdx[0]], KindDuplicateKey, fmt.Sprintf("key %s already on row %d", key, first))
			continue
		}
		seen[key] = sheetRow
		rep.Warnings += len(c.warnings)
		res.Warnings = append(res.Warnings, c.warnings...)
		tr.Valid = append(tr.Valid, c.row)
	}
	// This tab's rejections, found in two passes, in sheet order.
	slices.SortStableFunc(res.Rejections[start:], func(a, b Rejection) int { return a.Row - b.Row })
	rep.Valid = len(tr.Valid)
	tr.sum()
	return tr, nil
}

// sum totals the valid rows' decimal columns exactly, for the report.
func (tr *TableResult) sum() {
	t := tr.Plan
	for i, c := range t.Columns {
		if !isRule(c.parser, func(r *Rule) bool { return r.Type == TypeDecimal }) {
			continue
		}
		total := new(big.Rat)
		for _, row := range tr.Valid {
			if v := row.Values[i]; v.Valid {
				d, _ := decimal.Parse(v.Text)
				total.Add(total, d.Rat())
			}
		}
		if tr.Report.Sums == nil {
			tr.Report.Sums = map[string]string{}
		}
		tr.Report.Sums[c.Column] = ratString(total, c.dbCol.Scale)
	}
}

func isRule(p Parser, pred func(*Rule) bool) bool {
	r, ok := p.(*Rule)
	return ok && pred(r)
}

// keyText joins the key values into the text a report shows.
func (t *TablePlan) keyText(vals []syncd.Value) string {
	parts := make([]string, len(t.keyIdx))
	for i, k := range t.keyIdx {
		parts[i] = vals[k].Text
	}
	return strings.Join(parts, ", ")
}

func cellAt(cells []syncd.GridCell, i int) syncd.GridCell {
	if i < 0 || i >= len(cells) {
		return syncd.GridCell{}
	}
	return cells[i]
}

func blankRow(cells []syncd.GridCell) bool {
	for _, c := range cells {
		if !c.Empty() {
			return false
		}
	}
	return true
}

// rowCells keeps a rejected row verbatim: every non-empty cell by its
// header title (or column letter position when the header cell is empty).
func rowCells(header, cells []syncd.GridCell) map[string]string {
	out := map[string]string{}
	for i, c := range cells {
		if c.Value.Type == syncd.CellEmpty {
			continue
		}
		name := strings.TrimSpace(cellText(cellAt(header, i)))
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		out[name] = cellText(c)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
