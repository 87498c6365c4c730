package importer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/config"
)

// Plan says which tabs go into which tables, how each column's cells are
// read, and the load order (Tables in order: a table is loaded after every
// table it references). It is loaded from YAML by LoadPlan, or built from
// the config's mirrors by MirrorPlan.
type Plan struct {
	// Path is the file the plan came from ("" for a built plan); errors
	// name it with the line.
	Path string
	// SpreadsheetID overrides the config's sheets.spreadsheet_id.
	SpreadsheetID string `yaml:"spreadsheet_id"`
	// Locale decides the decimal separator of number text ("ru_RU": comma);
	// empty means the spreadsheet's own locale.
	Locale string `yaml:"locale"`
	// DateFormats are the default patterns for date text.
	DateFormats []string `yaml:"date_formats"`
	// Tables are loaded in this order.
	Tables []*TablePlan `yaml:"tables"`
	// exactHeaders binds columns to headers that name them exactly, never
	// case-folded: a mirror tab's own headers are exact, and a person's
	// "Note" beside syncd's "note" must not be read as it.
	exactHeaders bool

	// loc is the spreadsheet's time zone, set when the grid is read.
	loc *time.Location
}

// TablePlan maps one tab onto one table.
type TablePlan struct {
	// Tab is the sheet title; Table the target table (schema-qualified or
	// found on the search path).
	Tab   string `yaml:"tab"`
	Table string `yaml:"table"`
	// Key is the upsert key; empty means the table's primary key.
	Key []string `yaml:"key"`
	// HeaderRow is the 1-based row holding the column titles (default 1);
	// data starts on the row below.
	HeaderRow int `yaml:"header_row"`
	// Columns are the imported columns; other table columns keep their
	// defaults on insert and their values on update.
	Columns []*ColumnPlan `yaml:"columns"`
	// Line is where the table's entry starts in the plan file.
	Line int `yaml:"-"`

	// Resolved by Prepare.
	info   catalog.TableDetail
	keyIdx []int
}

// ColumnPlan is one imported column and its parse rule.
type ColumnPlan struct {
	// Column is the table column; From the header title in the tab
	// (default: Column).
	Column string `yaml:"column"`
	From   string `yaml:"from"`
	// Type is one of the Type* constants (default from the column's type).
	Type string `yaml:"type"`
	// Locale overrides the plan's locale for this column.
	Locale string `yaml:"locale"`
	// Scale rounds decimals (default: the numeric column's scale).
	Scale *int `yaml:"scale"`
	// DateFormats override the plan's date_formats.
	DateFormats []string `yaml:"date_formats"`
	// Map replaces cell text before parsing; a null target means NULL.
	Map map[string]*string `yaml:"map"`
	// Lower lower-cases text before Map and Allowed ("CLOSED " → closed).
	Lower bool `yaml:"lower"`
	// Trim (default true) strips white space around text.
	Trim *bool `yaml:"trim"`
	// Allowed lists the accepted values (default: an enum's labels).
	Allowed []string `yaml:"allowed"`
	// Default is used for empty cells.
	Default *string `yaml:"default"`
	// OnFormulaError is "reject" (default) or "null": a formula error in a
	// computed column becomes NULL with a warning instead of a rejection.
	OnFormulaError string `yaml:"on_formula_error"`
	// References is "table.column" (or "schema.table.column"): the value
	// must exist there, among the rows this import loads or already in the
	// database; otherwise the row is an unknown_reference rejection.
	References string `yaml:"references"`
	// True and False override the words read as booleans.
	True  []string `yaml:"true"`
	False []string `yaml:"false"`
	// Line is where the column's entry starts in the plan file.
	Line int `yaml:"-"`

	// Resolved by Prepare.
	parser Parser
	dbCol  catalog.ColumnDetail
	src    int // index in the tab's header
}

// Parser reads one column's cells. Rule is the plan's parser; mirror plans
// use the cell codec.
type Parser interface {
	Parse(syncd.GridCell) (syncd.Value, error)
}

// PlanError is a plan problem at a line of the plan file.
type PlanError struct {
	File string
	Line int
	Msg  string
}

// Error returns "file:line: message".
func (e *PlanError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return e.Msg
}

// errAt builds a PlanError at line.
func (p *Plan) errAt(line int, format string, args ...any) error {
	return &PlanError{File: p.Path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// LoadPlan reads and statically checks a plan file. Unknown keys, missing
// tab/table/column names, unknown types and references to tables loaded
// later are errors naming the file and line. Checks against the database
// and the sheet happen in Prepare and when the grid is read.
func LoadPlan(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return ParsePlan(path, data)
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// expandEnv replaces ${NAME} and ${NAME:-default} as the config does, so
// one plan serves every environment (spreadsheet_id: ${LEGACY_SHEET}). An
// unset variable without a default is an error at its line.
func (p *Plan) expandEnv(data []byte) ([]byte, error) {
	return config.ExpandEnv(data, func(line int, name string) error {
		return p.errAt(line, "environment variable %s is not set", name)
	})
}

// ParsePlan is LoadPlan on bytes; path is used only in errors. ${ENV}
// references are expanded first.
func ParsePlan(path string, data []byte) (*Plan, error) {
	p := &Plan{Path: path}
	data, err := p.expandEnv(data)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, p.yamlErr(err)
	}
	if len(root.Content) == 0 {
		return nil, p.errAt(0, "plan is empty")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, p.yamlErr(err)
	}
	p.Path = path
	p.setLines(root.Content[0])
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plan) yamlErr(err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		if sub := yamlLineRe.FindStringSubmatch(m); sub != nil {
			line, _ := strconv.Atoi(sub[1])
			errs = append(errs, p.errAt(line, "%s", strings.Replace(sub[2], "importer.", "", 1)))
			continue
		}
		errs = append(errs, p.errAt(0, "%s", m))
	}
	return errors.Join(errs...)
}

// setLines records where each table and column entry starts, walking the
// same document the decoder read.
func (p *Plan) setLines(doc *yaml.Node) {
	tables := mapValue(doc, "tables")
	if tables == nil || tables.Kind != yaml.SequenceNode {
		return
	}
	for i, tn := range tables.Content {
		if i >= len(p.Tables) || p.Tables[i] == nil {
			continue
		}
		p.Tables[i].Line = tn.Line
		cols := mapValue(tn, "columns")
		if cols == nil || cols.Kind != yaml.SequenceNode {
			continue
		}
		for j, cn := range cols.Content {
			if j < len(p.Tables[i].Columns) && p.Tables[i].Columns[j] != nil {
				p.Tables[i].Columns[j].Line = cn.Line
			}
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var knownTypes = map[string]bool{"": true, TypeText: true, TypeInt: true, TypeDecimal: true,
	TypePercent: true, TypeDate: true, TypeTime: true, TypeBool: true}

// check validates what can be known without the database or the sheet.
func (p *Plan) check() error {
	var errs []error
	if len(p.Tables) == 0 {
		errs = append(errs, p.errAt(0, "plan lists no tables"))
	}
	loaded := map[string]bool{}
	tabs := map[string]bool{}
	tables := map[string]bool{}
	for i, t := range p.Tables {
		if t == nil {
			errs = append(errs, p.errAt(0, "tables entry %d is empty", i+1))
			continue
		}
		if t.Tab == "" {
			errs = append(errs, p.errAt(t.Line, "table entry has no tab"))
		}
		if t.Table == "" {
			errs = append(errs, p.errAt(t.Line, "table entry for tab %q has no table", t.Tab))
		}
		if tabs[t.Tab] {
			errs = append(errs, p.errAt(t.Line, "tab %q is listed twice", t.Tab))
		}
		tabs[t.Tab] = true
		if tables[t.Table] && t.Table != "" {
			errs = append(errs, p.errAt(t.Line, "table %s is loaded twice: map each table from one tab", t.Table))
		}
		tables[t.Table] = true
		if t.HeaderRow < 0 {
			errs = append(errs, p.errAt(t.Line, "header_row must be 1 or more"))
		}
		if len(t.Columns) == 0 {
			errs = append(errs, p.errAt(t.Line, "tab %q maps no columns", t.Tab))
		}
		seen := map[string]bool{}
		for j, c := range t.Columns {
			if c == nil {
				errs = append(errs, p.errAt(t.Line, "tab %q: columns entry %d is empty", t.Tab, j+1))
				continue
			}
			errs = append(errs, p.checkColumn(t, c, seen, loaded)...)
		}
		loaded[unqualified(t.Table)] = true
		loaded[t.Table] = true
	}
	return errors.Join(errs...)
}

func (p *Plan) checkColumn(t *TablePlan, c *ColumnPlan, seen, loaded map[string]bool) []error {
	var errs []error
	if c.Column == "" {
		errs = append(errs, p.errAt(c.Line, "column entry has no column"))
	}
	if seen[c.Column] {
		errs = append(errs, p.errAt(c.Line, "column %q is mapped twice", c.Column))
	}
	seen[c.Column] = true
	if c.From == "" {
		c.From = c.Column
	}
	if !knownTypes[c.Type] {
		errs = append(errs, p.errAt(c.Line, "column %q: unknown type %q (want text, int, decimal, percent, date, time or bool)", c.Column, c.Type))
	}
	switch c.OnFormulaError {
	case "", "reject", "null":
	default:
		errs = append(errs, p.errAt(c.Line, "column %q: on_formula_error must be reject or null", c.Column))
	}
	if c.Scale != nil && (*c.Scale < 0 || *c.Scale > 30) {
		errs = append(errs, p.errAt(c.Line, "column %q: scale must be between 0 and 30", c.Column))
	}
	folded := map[string]string{}
	for k := range c.Map {
		if prev, dup := folded[strings.ToLower(k)]; dup {
			errs = append(errs, p.errAt(c.Line, "column %q: map keys %q and %q differ only in case", c.Column, prev, k))
		}
		folded[strings.ToLower(k)] = k
	}
	if c.References != "" {
		tbl, _, ok := splitReference(c.References)
		if !ok {
			errs = append(errs, p.errAt(c.Line, "column %q: references must be table.column, not %q", c.Column, c.References))
		} else if !loaded[tbl] && !loaded[unqualified(tbl)] && tbl != t.Table && p.listsTable(tbl) {
			errs = append(errs, p.errAt(c.Line, "column %q references %s, which the plan loads later: list it before tab %q", c.Column, tbl, t.Tab))
		}
	}
	return errs
}

func (p *Plan) listsTable(name string) bool {
	for _, t := range p.Tables {
		if t != nil && (t.Table == name || unqualified(t.Table) == unqualified(name)) {
			return true
		}
	}
	return false
}

// splitReference splits "schema.table.column" or "table.column".
func splitReference(ref string) (table, column string, ok bool) {
	i := strings.LastIndexByte(ref, '.')
	if i <= 0 || i == len(ref)-1 {
		return "", "", false
	}
	return ref[:i], ref[i+1:], true
}

func unqualified(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// decimalCommaLanguages are the locales whose numbers read "1 234,50".
var decimalCommaLanguages = map[string]bool{"ru": true, "uk": true, "be": true, "kk": true, "de": true,
	"fr": true, "es": true, "it": true, "pt": true, "pl": true, "nl": true, "cs": true, "sk": true,
	"sv": true, "fi": true, "da": true, "nb": true, "tr": true, "id": true, "ro": true, "hu": true, "bg": true}

func decimalComma(locale string) bool {
	lang, _, _ := strings.Cut(strings.ReplaceAll(locale, "-", "_"), "_")
	return decimalCommaLanguages[strings.ToLower(lang)]
}
