package sheets

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
)

func writeRowsUnits(op syncd.WriteRows, maxBytes int) ([]unit, error) {
	if op.SheetID < 0 || op.Row < 0 || op.Col < 0 {
		return nil, fmt.Errorf("WriteRows needs a sheet id, Row ≥ 0 and Col ≥ 0, got %d, %d, %d", op.SheetID, op.Row, op.Col)
	}
	return chunkRows(op.Rows, maxBytes, false, nil, func(first int, chunk []*sheets.RowData) *sheets.Request {
		return &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
			Start: coord(op.SheetID, op.Row+first, op.Col), Rows: chunk, Fields: fieldsValues,
		}}
	})
}

func appendRowsUnits(op syncd.AppendRows, maxBytes int) ([]unit, error) {
	if op.SheetID < 0 {
		return nil, fmt.Errorf("AppendRows needs a sheet id, got %d", op.SheetID)
	}
	// The formats go on whole columns after each append rather than on
	// every appended cell: per-cell formats tripled the body of a typical
	// row (mostly short values and NULLs) and split a 10,000-row COPY into
	// five calls.
	formats := columnFormatsFrom(op.SheetID, op.Formats, max(op.FromRow, 1))
	return chunkRows(op.Rows, maxBytes, true, formats, func(_ int, chunk []*sheets.RowData) *sheets.Request {
		return &sheets.Request{AppendCells: &sheets.AppendCellsRequest{
			SheetId: op.SheetID, Rows: chunk, Fields: fieldsAppend, ForceSendFields: []string{"SheetId"},
		}}
	})
}

// rowsKey is the `"rows":[],` a request gains when it has rows.
const rowsKey = len(`"rows":[],`)

// chunkRows cuts rows into requests whose bodies stay under maxBytes (no
// request at all for no rows), each
// its own unit (followed by the after requests) so the planner may put
// them in different batches. Sizes are computed from the cells without
// encoding them; the requests are built when their batch is sent.
func chunkRows(rows [][]syncd.Cell, maxBytes int, once bool, after []*sheets.Request, mk func(first int, chunk []*sheets.RowData) *sheets.Request) ([]unit, error) {
	if len(rows) == 0 {
		return nil, nil // nothing to write; Google rejects an appendCells without rows
	}
	empty, err := jsonSize(mk(0, nil))
	if err != nil {
		return nil, err
	}
	afterSize := 0
	for _, r := range after {
		n, err := jsonSize(r)
		if err != nil {
			return nil, err
		}
		afterSize += n + 1
	}
	budget := maxBytes - len(`{"requests":[]}`) - afterSize
	var units []unit
	for start := 0; start < len(rows); {
		end, size := start, empty+rowsKey-1 // no comma before the first row
		for end < len(rows) {
			n := rowSize(rows[end]) + 1
			if end > start && size+n > budget {
				break
			}
			size += n
			end++
		}
		first, chunk := start, rows[start:end]
		u := unit{size: size + afterSize, once: once, reqs: []func() *sheets.Request{
			func() *sheets.Request { return mk(first, rowData(chunk)) },
		}}
		for _, r := range after {
			u.reqs = append(u.reqs, built(r))
		}
		units = append(units, u)
		if end == len(rows) {
			break
		}
		start = end
	}
	return units, nil
}

// rowData converts cells to RowData carrying values only.
func rowData(rows [][]syncd.Cell) []*sheets.RowData {
	out := make([]*sheets.RowData, len(rows))
	for i, row := range rows {
		rd := &sheets.RowData{Values: make([]*sheets.CellData, len(row))}
		for j, c := range row {
			rd.Values[j] = &sheets.CellData{UserEnteredValue: extendedValue(c)}
		}
		out[i] = rd
	}
	return out
}

// extendedValue is the typed value of a cell; nil (no value) clears the
// cell under a userEnteredValue mask. The value fields are pointers in the
// Go client, so 0, FALSE and "" are sent (omitempty drops only nil).
// Formula errors cannot be written back, so their text goes as a string,
// and so do NaN and infinities, which JSON has no numbers for.
func extendedValue(c syncd.Cell) *sheets.ExtendedValue {
	switch c.Type {
	case syncd.CellString, syncd.CellError:
		s := c.String
		return &sheets.ExtendedValue{StringValue: &s}
	case syncd.CellNumber:
		if s, ok := nonFinite(c.Number); ok {
			return &sheets.ExtendedValue{StringValue: &s}
		}
		n := c.Number
		return &sheets.ExtendedValue{NumberValue: &n}
	case syncd.CellBool:
		b := c.Bool
		return &sheets.ExtendedValue{BoolValue: &b}
	}
	return nil
}

func nonFinite(f float64) (string, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return pgFloat(f, 64), true
	}
	return "", false
}

// rowSize is the length of the JSON encoding of the row's RowData, as the
// Go client encodes it (encoding/json, HTML-escaped).
func rowSize(row []syncd.Cell) int {
	if len(row) == 0 {
		return len(`{}`)
	}
	n := len(`{"values":[]}`) + len(row) - 1
	for _, c := range row {
		n += cellSize(c)
	}
	return n
}

func cellSize(c syncd.Cell) int {
	switch c.Type {
	case syncd.CellString, syncd.CellError:
		return len(`{"userEnteredValue":{"stringValue":}}`) + jsonStringSize(c.String)
	case syncd.CellNumber:
		if s, ok := nonFinite(c.Number); ok {
			return len(`{"userEnteredValue":{"stringValue":}}`) + jsonStringSize(s)
		}
		return len(`{"userEnteredValue":{"numberValue":}}`) + jsonFloatSize(c.Number)
	case syncd.CellBool:
		if c.Bool {
			return len(`{"userEnteredValue":{"boolValue":true}}`)
		}
		return len(`{"userEnteredValue":{"boolValue":false}}`)
	}
	return len(`{}`)
}

// jsonFloatSize is the length of encoding/json's encoding of f (finite).
func jsonFloatSize(f float64) int {
	var buf [32]byte
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(buf[:0], f, format, -1, 64)
	n := len(b)
	if format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		n-- // encoding/json writes e-7, not e-07
	}
	return n
}

// jsonStringSize is the length of encoding/json's quoted, HTML-escaped
// encoding of s.
func jsonStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}
