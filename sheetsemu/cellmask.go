package sheetsemu

import (
	"strings"
	"unique"

	"google.golang.org/api/sheets/v4"
)

// cellMask is a compiled CellData field mask. Whole top-level fields are
// copied as typed values (fast for large writes); paths below
// userEnteredFormat go through a JSON merge.
type cellMask struct {
	all       bool
	top       map[string]bool
	formatSub string // comma-joined sub-paths of userEnteredFormat
	// memo caches format merges by (old, src) pointer: stored formats are
	// immutable and shared, so a repeatCell over a column merges once per
	// distinct old format instead of once per cell.
	memo map[[2]*sheets.CellFormat]*sheets.CellFormat
	// normMemo caches normFormat by source pointer: a repeatCell's one
	// source format is normalised once, not once per cell.
	normMemo map[*sheets.CellFormat]*sheets.CellFormat
	// valueOnly is set when the mask is exactly "userEnteredValue".
	valueOnly bool
	// restMemo caches applyCell's new rest record by old one (and whether
	// the cell has no value) for masks that leave the value alone: over a
	// column of cells sharing a format it is computed once.
	restMemo map[restKey]unique.Handle[cellRest]
}

type restKey struct {
	rest    unique.Handle[cellRest]
	noValue bool
}

// onlyValue reports whether c sets nothing but userEnteredValue.
func onlyValue(c *sheets.CellData) bool {
	return c.UserEnteredValue != nil && c.UserEnteredFormat == nil && c.EffectiveValue == nil &&
		c.EffectiveFormat == nil && c.FormattedValue == "" && c.Note == "" && c.Hyperlink == "" &&
		c.DataValidation == nil && c.PivotTable == nil && len(c.TextFormatRuns) == 0 &&
		len(c.ChipRuns) == 0 && c.DataSourceFormula == nil && c.DataSourceTable == nil &&
		len(c.ForceSendFields) == 0 && len(c.NullFields) == 0
}

// norm returns the incoming format with its colours as Google stores them.
func (m cellMask) norm(f *sheets.CellFormat) *sheets.CellFormat {
	if f == nil || !hasColor(f) {
		return f
	}
	if n, ok := m.normMemo[f]; ok {
		return n
	}
	n := normFormat(f)
	if m.normMemo != nil {
		m.normMemo[f] = n
	}
	return n
}

func compileCellMask(mask string) (cellMask, error) {
	m := cellMask{top: map[string]bool{}, memo: map[[2]*sheets.CellFormat]*sheets.CellFormat{},
		normMemo: map[*sheets.CellFormat]*sheets.CellFormat{}, restMemo: map[restKey]unique.Handle[cellRest]{}}
	if strings.TrimSpace(mask) == "" {
		return m, errString("At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)")
	}
	var subs []string
	paths, err := splitMask(mask)
	if err != nil {
		return m, err
	}
	for _, p := range paths {
		if p == "*" {
			m.all = true
			continue
		}
		head, rest, nested := strings.Cut(strings.ReplaceAll(p, "/", "."), ".")
		switch head {
		case "userEnteredValue", "userEnteredFormat", "note", "dataValidation", "hyperlink",
			"textFormatRuns", "pivotTable", "effectiveValue", "formattedValue", "effectiveFormat", "chipRuns", "dataSourceTable", "dataSourceFormula":
		default:
			return m, errString("Invalid field mask " + mask)
		}
		if nested && head == "userEnteredFormat" {
			// A colour and its Style twin are one field (colors.go).
			subs = append(subs, strings.Split(twinMask(rest), ",")...)
			continue
		}
		m.top[head] = true
	}
	m.formatSub = strings.Join(subs, ",")
	m.valueOnly = !m.all && m.formatSub == "" && len(m.top) == 1 && m.top["userEnteredValue"]
	return m, nil
}

// apply returns old updated with src's masked fields; src nil means an
// empty cell (so masked fields are cleared).
func (m cellMask) apply(old, src *sheets.CellData) *sheets.CellData {
	// The bulk case (appendCells/updateCells of values into empty cells
	// with fields=userEnteredValue): the incoming cell is stored as is
	// when it carries nothing but its value. Stored cells are immutable,
	// so sharing the decoded one is safe and saves a copy per cell.
	if old == nil && src != nil && m.valueOnly && onlyValue(src) {
		return src
	}
	var nc sheets.CellData
	if old != nil {
		nc = *old
	}
	if src == nil {
		src = &sheets.CellData{}
	}
	srcFormat := m.norm(src.UserEnteredFormat)
	if m.all {
		nc = sheets.CellData{UserEnteredValue: src.UserEnteredValue, UserEnteredFormat: srcFormat,
			Note: src.Note, DataValidation: src.DataValidation, TextFormatRuns: src.TextFormatRuns,
			PivotTable: src.PivotTable}
		return &nc
	}
	for f := range m.top {
		switch f {
		case "userEnteredValue":
			nc.UserEnteredValue = src.UserEnteredValue
		case "userEnteredFormat":
			nc.UserEnteredFormat = srcFormat
		case "note":
			nc.Note = src.Note
		case "dataValidation":
			nc.DataValidation = src.DataValidation
		case "hyperlink":
			nc.Hyperlink = src.Hyperlink
		case "textFormatRuns":
			nc.TextFormatRuns = src.TextFormatRuns
		case "pivotTable":
			nc.PivotTable = src.PivotTable
		}
	}
	if m.formatSub != "" {
		key := [2]*sheets.CellFormat{nc.UserEnteredFormat, srcFormat}
		if merged, ok := m.memo[key]; ok {
			nc.UserEnteredFormat = merged
		} else {
			dst := nc.UserEnteredFormat
			if dst == nil {
				dst = &sheets.CellFormat{}
			}
			from := srcFormat
			if from == nil {
				from = &sheets.CellFormat{}
			}
			if merged, err := mergeTyped(dst, from, m.formatSub); err == nil {
				if isZero(*merged) {
					merged = nil
				}
				nc.UserEnteredFormat = merged
				if m.memo != nil {
					m.memo[key] = merged
				}
			}
		}
	}
	return &nc
}

// applyCell is apply on a stored cell: what storing src over old with
// this mask leaves. A mask that leaves the value alone (repeatCell of a
// number format, the bulk of syncd's formatting) only swaps the rest
// record, memoised by the old one, instead of rebuilding an API cell for
// every cell.
func (m cellMask) applyCell(old cell, src *sheets.CellData) cell {
	if m.all || m.top["userEnteredValue"] || old.kind == kindOther || m.restMemo == nil {
		return packCell(normCell(old, m.apply(old.data(), src)))
	}
	key := restKey{old.rest, old.kind == kindNone}
	nr, ok := m.restMemo[key]
	if !ok {
		// The rest alone, as an API cell without a value.
		nd := m.apply(cell{rest: old.rest}.data(), src)
		switch {
		case nd == nil || (key.noValue && cellEmpty(nd)):
			nr = noRest // an empty cell is not stored
		default:
			nr = packRest(nd, nil)
		}
		m.restMemo[key] = nr
	}
	old.rest = nr
	return old
}

// checkCellInput validates one incoming cell against Google's limits.
func checkCellInput(c *sheets.CellData) error {
	if c == nil || c.UserEnteredValue == nil {
		return nil
	}
	for _, sp := range []*string{c.UserEnteredValue.StringValue, c.UserEnteredValue.FormulaValue} {
		if sp != nil && len(*sp) > maxCellChars && len([]rune(*sp)) > maxCellChars {
			return errString("Your input contains more than the maximum of 50000 characters in a single cell.")
		}
	}
	return nil
}
