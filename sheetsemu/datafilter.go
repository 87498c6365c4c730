package sheetsemu

import (
	"encoding/json"

	"google.golang.org/api/sheets/v4"
)

func a1Of(m filterMatch) A1Range {
	return A1Range{Sheet: m.s.Props.Title, HasCells: true, StartRow: m.g.StartRow, EndRow: m.g.EndRow, StartCol: m.g.StartCol, EndCol: m.g.EndCol}
}

// handleBatchGetByDataFilter serves POST values:batchGetByDataFilter.
func (s *Server) handleBatchGetByDataFilter(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in sheets.BatchGetValuesByDataFilterRequest
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	ro, err := renderOptsFrom(in.ValueRenderOption, in.DateTimeRenderOption)
	if err != nil {
		return nil, err
	}
	major, err := majorOf(&in.MajorDimension, "ROWS")
	if err != nil {
		return nil, err
	}
	type matched struct {
		ValueRange  *valueRangeOut       `json:"valueRange"`
		DataFilters []*sheets.DataFilter `json:"dataFilters"`
	}
	out := struct {
		SpreadsheetID string    `json:"spreadsheetId"`
		ValueRanges   []matched `json:"valueRanges,omitempty"`
	}{SpreadsheetID: b.ID}
	for _, f := range in.DataFilters {
		ms, err := matchDataFilter(b, f)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			vr := &valueRangeOut{Range: a1For(m.s, m.g), MajorDimension: major, Values: readValues(b, m.s, m.g, major, ro)}
			out.ValueRanges = append(out.ValueRanges, matched{vr, []*sheets.DataFilter{f}})
		}
	}
	return out, nil
}

// extent is the (rows, columns) size of a value array in sheet terms.
func extent(values [][]any, major string) (int, int) {
	h, w := len(values), 0
	for _, r := range values {
		w = max(w, len(r))
	}
	if major == "COLUMNS" {
		return w, h
	}
	return h, w
}

type dataFilterValueRangeIn struct {
	DataFilter     *sheets.DataFilter `json:"dataFilter"`
	MajorDimension *string            `json:"majorDimension"`
	Values         json.RawMessage    `json:"values"`
}

type byFilterResult struct {
	*updateResult
	DataFilter *sheets.DataFilter `json:"dataFilter"`
}

// handleBatchUpdateByDataFilter serves POST values:batchUpdateByDataFilter;
// each value range is written into every area its filter matches, bounded
// by that area.
func (s *Server) handleBatchUpdateByDataFilter(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in struct {
		ValueInputOption             string                   `json:"valueInputOption"`
		Data                         []dataFilterValueRangeIn `json:"data"`
		IncludeValuesInResponse      bool                     `json:"includeValuesInResponse"`
		ResponseValueRenderOption    string                   `json:"responseValueRenderOption"`
		ResponseDateTimeRenderOption string                   `json:"responseDateTimeRenderOption"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	input, err := parseInputOption(in.ValueInputOption, true)
	if err != nil {
		return nil, err
	}
	nb := b.clone()
	var rs []*updateResult
	var out []byFilterResult
	for i, d := range in.Data {
		values, err := decodeValues(d.Values)
		if err != nil {
			return nil, err
		}
		major, err := majorOf(d.MajorDimension, "ROWS")
		if err != nil {
			return nil, err
		}
		ms, err := matchDataFilter(nb, d.DataFilter)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			// A filter's area bounds the write, even a single cell (which
			// values.update would treat as a mere anchor).
			if h, w := extent(values, major); m.g.rows() == 1 && m.g.cols() == 1 && (h > 1 || w > 1) {
				return nil, badRequest("Requested writing within range [%s], but tried writing to %dx%d values", a1For(m.s, m.g), h, w)
			}
			res, err := writeValues(nb, m.s, a1Of(m), values, major, input, i)
			if err != nil {
				return nil, err
			}
			rs = append(rs, res)
			out = append(out, byFilterResult{res, d.DataFilter})
		}
	}
	if err := checkCellLimit(nb); err != nil {
		return nil, err
	}
	s.commit(nb)
	if in.IncludeValuesInResponse {
		for _, r := range rs {
			if err := s.attachUpdatedData(nb, r, in.ResponseValueRenderOption, in.ResponseDateTimeRenderOption); err != nil {
				return nil, err
			}
		}
	}
	t := totals(b.ID, rs)
	return struct {
		SpreadsheetID       string           `json:"spreadsheetId"`
		TotalUpdatedRows    int              `json:"totalUpdatedRows,omitempty"`
		TotalUpdatedColumns int              `json:"totalUpdatedColumns,omitempty"`
		TotalUpdatedCells   int              `json:"totalUpdatedCells,omitempty"`
		TotalUpdatedSheets  int              `json:"totalUpdatedSheets,omitempty"`
		Responses           []byFilterResult `json:"responses,omitempty"`
	}{t.SpreadsheetID, t.TotalUpdatedRows, t.TotalUpdatedColumns, t.TotalUpdatedCells, t.TotalUpdatedSheets, out}, nil
}

// handleBatchClearByDataFilter serves POST values:batchClearByDataFilter.
func (s *Server) handleBatchClearByDataFilter(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in sheets.BatchClearValuesByDataFilterRequest
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	nb := b.clone()
	out := struct {
		SpreadsheetID string   `json:"spreadsheetId"`
		ClearedRanges []string `json:"clearedRanges,omitempty"`
	}{SpreadsheetID: b.ID}
	for _, f := range in.DataFilters {
		ms, err := matchDataFilter(nb, f)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			clearValues(m.s, m.g)
			out.ClearedRanges = append(out.ClearedRanges, a1For(m.s, m.g))
		}
	}
	s.commit(nb)
	return out, nil
}
