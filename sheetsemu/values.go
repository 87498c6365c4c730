package sheetsemu

import "strconv"

// handleValuesGet serves GET values/{range}.
func (s *Server) handleValuesGet(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	ro, err := renderOptsFrom(q.query.Get("valueRenderOption"), q.query.Get("dateTimeRenderOption"))
	if err != nil {
		return nil, err
	}
	major := q.query.Get("majorDimension")
	return getValueRange(b, q.rng, &major, ro)
}

func getValueRange(b *book, text string, majorIn *string, ro renderOpts) (*valueRangeOut, error) {
	major, err := majorOf(majorIn, "ROWS")
	if err != nil {
		return nil, err
	}
	sh, r, err := resolveA1(b, text)
	if err != nil {
		return nil, err
	}
	if err := checkReadInGrid(sh, r); err != nil {
		return nil, err
	}
	g := clampRange(r, sh)
	return &valueRangeOut{Range: a1For(sh, g), MajorDimension: major, Values: readValues(b, sh, g, major, ro)}, nil
}

// handleValuesBatchGet serves GET values:batchGet.
func (s *Server) handleValuesBatchGet(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	ro, err := renderOptsFrom(q.query.Get("valueRenderOption"), q.query.Get("dateTimeRenderOption"))
	if err != nil {
		return nil, err
	}
	major := q.query.Get("majorDimension")
	out := struct {
		SpreadsheetID string           `json:"spreadsheetId"`
		ValueRanges   []*valueRangeOut `json:"valueRanges,omitempty"`
	}{SpreadsheetID: b.ID}
	for _, text := range q.query["ranges"] {
		vr, err := getValueRange(b, text, &major, ro)
		if err != nil {
			return nil, err
		}
		out.ValueRanges = append(out.ValueRanges, vr)
	}
	return out, nil
}

// handleValuesUpdate serves PUT values/{range}.
func (s *Server) handleValuesUpdate(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	input, err := parseInputOption(q.query.Get("valueInputOption"), true)
	if err != nil {
		return nil, err
	}
	var in valueRangeIn
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.Range != "" && in.Range != q.rng {
		if !sameRange(b, in.Range, q.rng) {
			return nil, badRequest("Requested range[%s] does not match value's range[%s]", q.rng, in.Range)
		}
	}
	nb := b.clone()
	res, err := updateOne(nb, q.rng, in, input, 0)
	if err != nil {
		return nil, err
	}
	if err := checkCellLimit(nb); err != nil {
		return nil, err
	}
	s.commit(nb)
	if queryBool(q.query.Get("includeValuesInResponse")) {
		if err := s.attachUpdatedData(nb, res, q.query.Get("responseValueRenderOption"), q.query.Get("responseDateTimeRenderOption")); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func sameRange(b *book, x, y string) bool {
	s1, r1, e1 := resolveA1(b, x)
	s2, r2, e2 := resolveA1(b, y)
	return e1 == nil && e2 == nil && s1 == s2 && clampRange(r1, s1) == clampRange(r2, s2)
}

func updateOne(b *book, text string, in valueRangeIn, input string, idx int) (*updateResult, error) {
	values, err := decodeValues(in.Values)
	if err != nil {
		return nil, err
	}
	major, err := majorOf(in.MajorDimension, "ROWS")
	if err != nil {
		return nil, err
	}
	sh, r, err := resolveA1(b, text)
	if err != nil {
		return nil, err
	}
	return writeValues(b, sh, r, values, major, input, idx)
}

func (s *Server) attachUpdatedData(b *book, res *updateResult, vro, dto string) error {
	ro, err := renderOptsFrom(vro, dto)
	if err != nil {
		return err
	}
	major := "ROWS"
	vr, err := getValueRange(b, res.UpdatedRange, &major, ro)
	if err != nil {
		return err
	}
	res.UpdatedData = vr
	return nil
}

// batchUpdateValuesIn is BatchUpdateValuesRequest with raw values.
type batchUpdateValuesIn struct {
	ValueInputOption             string         `json:"valueInputOption"`
	Data                         []valueRangeIn `json:"data"`
	IncludeValuesInResponse      bool           `json:"includeValuesInResponse"`
	ResponseValueRenderOption    string         `json:"responseValueRenderOption"`
	ResponseDateTimeRenderOption string         `json:"responseDateTimeRenderOption"`
}

type batchUpdateValuesOut struct {
	SpreadsheetID       string          `json:"spreadsheetId"`
	TotalUpdatedRows    int             `json:"totalUpdatedRows,omitempty"`
	TotalUpdatedColumns int             `json:"totalUpdatedColumns,omitempty"`
	TotalUpdatedCells   int             `json:"totalUpdatedCells,omitempty"`
	TotalUpdatedSheets  int             `json:"totalUpdatedSheets,omitempty"`
	Responses           []*updateResult `json:"responses,omitempty"`
}

// totals computes the batch totals as Google does: distinct rows and
// columns touched per sheet, cells summed.
func totals(id string, rs []*updateResult) *batchUpdateValuesOut {
	out := &batchUpdateValuesOut{SpreadsheetID: id, Responses: rs}
	rows, cols := map[string]bool{}, map[string]bool{}
	sheetsSeen := map[string]bool{}
	for _, r := range rs {
		out.TotalUpdatedCells += r.UpdatedCells
		for x := range r.rows {
			rows[r.sheetTitle+"\x00"+strconv.Itoa(x)] = true
		}
		for x := range r.cols {
			cols[r.sheetTitle+"\x00"+strconv.Itoa(x)] = true
		}
		if r.UpdatedCells > 0 {
			sheetsSeen[r.sheetTitle] = true
		}
	}
	out.TotalUpdatedRows, out.TotalUpdatedColumns, out.TotalUpdatedSheets = len(rows), len(cols), len(sheetsSeen)
	return out
}

// handleValuesBatchUpdate serves POST values:batchUpdate; all ranges are
// written or none.
func (s *Server) handleValuesBatchUpdate(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in batchUpdateValuesIn
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	input, err := parseInputOption(in.ValueInputOption, true)
	if err != nil {
		return nil, err
	}
	nb := b.clone()
	var rs []*updateResult
	for i, d := range in.Data {
		res, err := updateOne(nb, d.Range, d, input, i)
		if err != nil {
			return nil, err
		}
		rs = append(rs, res)
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
	return totals(b.ID, rs), nil
}

// handleValuesClear serves POST values/{range}:clear.
func (s *Server) handleValuesClear(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	nb := b.clone()
	cleared, err := clearOne(nb, q.rng)
	if err != nil {
		return nil, err
	}
	s.commit(nb)
	return map[string]string{"spreadsheetId": b.ID, "clearedRange": cleared}, nil
}

func clearOne(b *book, text string) (string, error) {
	sh, r, err := resolveA1(b, text)
	if err != nil {
		return "", err
	}
	g := clampRange(r, sh)
	clearValues(sh, g)
	return a1For(sh, g), nil
}

// handleValuesBatchClear serves POST values:batchClear.
func (s *Server) handleValuesBatchClear(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in struct {
		Ranges []string `json:"ranges"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	nb := b.clone()
	out := struct {
		SpreadsheetID string   `json:"spreadsheetId"`
		ClearedRanges []string `json:"clearedRanges,omitempty"`
	}{SpreadsheetID: b.ID}
	for _, text := range in.Ranges {
		c, err := clearOne(nb, text)
		if err != nil {
			return nil, err
		}
		out.ClearedRanges = append(out.ClearedRanges, c)
	}
	s.commit(nb)
	return out, nil
}

// checkCellLimit enforces the 10,000,000-cell workbook limit.
func checkCellLimit(b *book) error {
	if b.cellCount() > maxCells {
		return badRequest("This action would increase the number of cells in the workbook above the limit of %d cells.", maxCells)
	}
	return nil
}

// checkReadInGrid refuses a read whose bounded sides reach past the grid,
// as Google does ("Range (Mass!151154:151354) exceeds grid limits. Max
// rows: 151000, max columns: 26"), echoing the range as requested.
func checkReadInGrid(s *sheet, r A1Range) error {
	if !r.HasCells {
		return nil
	}
	rows, cols := s.rowCount(), s.colCount()
	if r.StartRow >= rows || r.EndRow > rows || r.StartCol >= cols || r.EndCol > cols {
		r.Sheet = s.Props.Title
		return badRequest("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d", FormatA1(r), rows, cols)
	}
	return nil
}
