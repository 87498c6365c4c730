package sheetsemu

import (
	"bytes"
	"encoding/json"

	"google.golang.org/api/sheets/v4"
)

// The types below mirror an appendCells or updateCells sub-request whose
// cells carry nothing but a plain userEnteredValue: the bulk of what
// syncd sends, megabytes per request. encoding/json decodes the generated
// sheets types slowly for such bodies: every ExtendedValue has its own
// UnmarshalJSON, which validates and decodes its bytes again, and decodes
// numbers through yet another Unmarshal (gensupport.JSONFloat64). The
// mirror has no methods, so one pass decodes it.
type fastRequest struct {
	AppendCells *fastAppend `json:"appendCells"`
	UpdateCells *fastUpdate `json:"updateCells"`
}

type fastAppend struct {
	Fields  string     `json:"fields"`
	Rows    []*fastRow `json:"rows"`
	SheetId int64      `json:"sheetId"`
	TableId string     `json:"tableId"`
}

type fastUpdate struct {
	Fields string                 `json:"fields"`
	Range  *sheets.GridRange      `json:"range"`
	Rows   []*fastRow             `json:"rows"`
	Start  *sheets.GridCoordinate `json:"start"`
}

type fastRow struct {
	Values []*fastCell `json:"values"`
}

type fastCell struct {
	UserEnteredValue *plainValue `json:"userEnteredValue"`
}

// plainValue is sheets.ExtendedValue without its UnmarshalJSON. It differs
// only in taking "NaN"/"Infinity" strings as numbers, which it refuses, so
// such a body falls back to the full decoder.
type plainValue sheets.ExtendedValue

// decodeFast decodes raw into req when raw is exactly an appendCells or
// updateCells of plain values, and reports whether it did. The result is
// what json.Unmarshal(raw, req) gives; anything the mirror does not know
// (another request kind, a format, a note, a special number) is refused
// by DisallowUnknownFields or a type error, and the caller then decodes
// raw in full, which also produces Google's error for a bad body.
func decodeFast(raw []byte, req *sheets.Request) bool {
	// Small bodies gain nothing; this also skips every other kind cheaply.
	if len(raw) < 4096 || !(bytes.Contains(raw[:min(len(raw), 64)], []byte(`"appendCells"`)) ||
		bytes.Contains(raw[:min(len(raw), 64)], []byte(`"updateCells"`))) {
		return false
	}
	var fr fastRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fr); err != nil || dec.More() {
		return false
	}
	switch {
	case fr.AppendCells != nil && fr.UpdateCells == nil:
		a := fr.AppendCells
		req.AppendCells = &sheets.AppendCellsRequest{Fields: a.Fields, Rows: fastRows(a.Rows), SheetId: a.SheetId, TableId: a.TableId}
	case fr.UpdateCells != nil && fr.AppendCells == nil:
		u := fr.UpdateCells
		req.UpdateCells = &sheets.UpdateCellsRequest{Fields: u.Fields, Range: u.Range, Rows: fastRows(u.Rows), Start: u.Start}
	default:
		return false
	}
	return true
}

// fastRows converts mirrored rows to API rows. A row's cells share one
// allocation: they are only read while the request is applied (stored
// cells are packed copies, store.go).
func fastRows(in []*fastRow) []*sheets.RowData {
	if in == nil {
		return nil
	}
	out := make([]*sheets.RowData, len(in))
	for i, r := range in {
		if r == nil {
			continue
		}
		rd := &sheets.RowData{}
		out[i] = rd
		if r.Values == nil {
			continue
		}
		rd.Values = make([]*sheets.CellData, len(r.Values))
		slab := make([]sheets.CellData, len(r.Values))
		for j, c := range r.Values {
			if c == nil {
				continue
			}
			slab[j].UserEnteredValue = (*sheets.ExtendedValue)(c.UserEnteredValue)
			rd.Values[j] = &slab[j]
		}
	}
	return out
}
