package sheetsemu

import (
	"encoding/json"
	"strconv"

	"google.golang.org/api/sheets/v4"
)

// googleDefaults is the defaultFormat and spreadsheetTheme Google reports
// for every new spreadsheet (copied from recorded responses), so get
// responses match the real service structurally.
const googleDefaults = `{"defaultFormat":{"backgroundColor":{"red":1,"green":1,"blue":1},"padding":{"top":2,"right":3,"bottom":2,"left":3},"verticalAlignment":"BOTTOM","wrapStrategy":"OVERFLOW_CELL","textFormat":{"foregroundColor":{},"fontFamily":"arial,sans,sans-serif","fontSize":10,"bold":false,"italic":false,"strikethrough":false,"underline":false,"foregroundColorStyle":{"rgbColor":{}}},"backgroundColorStyle":{"rgbColor":{"red":1,"green":1,"blue":1}}},"spreadsheetTheme":{"primaryFontFamily":"Arial","themeColors":[{"colorType":"TEXT","color":{"rgbColor":{}}},{"colorType":"BACKGROUND","color":{"rgbColor":{"red":1,"green":1,"blue":1}}},{"colorType":"ACCENT1","color":{"rgbColor":{"red":0.25882354,"green":0.52156866,"blue":0.95686275}}},{"colorType":"ACCENT2","color":{"rgbColor":{"red":0.91764706,"green":0.2627451,"blue":0.20784314}}},{"colorType":"ACCENT3","color":{"rgbColor":{"red":0.9843137,"green":0.7372549,"blue":0.015686275}}},{"colorType":"ACCENT4","color":{"rgbColor":{"red":0.20392157,"green":0.65882355,"blue":0.3254902}}},{"colorType":"ACCENT5","color":{"rgbColor":{"red":1,"green":0.42745098,"blue":0.003921569}}},{"colorType":"ACCENT6","color":{"rgbColor":{"red":0.27450982,"green":0.7411765,"blue":0.7764706}}},{"colorType":"LINK","color":{"rgbColor":{"red":0.06666667,"green":0.33333334,"blue":0.8}}}]}}`

var defaultProps map[string]any

func init() {
	if err := json.Unmarshal([]byte(googleDefaults), &defaultProps); err != nil {
		panic("emulator: bad built-in defaults: " + err.Error()) // programming error, not user input
	}
}

// toJSONValue converts a typed API struct into a generic JSON tree.
func toJSONValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}

// getOpts selects what a spreadsheet rendering contains.
type getOpts struct {
	gridData bool
	ranges   []string
	filters  []*sheets.DataFilter
}

// renderBook renders b the way spreadsheets.get does.
func renderBook(b *book, o getOpts) (map[string]any, error) {
	props, _ := toJSONValue(b.Props).(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	for k, v := range defaultProps {
		if k == "spreadsheetTheme" && b.NoTheme {
			continue
		}
		if _, ok := props[k]; !ok {
			// A copy: the rendering is edited below and by
			// fixZeroIndexes, and concurrent gets share defaultProps.
			props[k] = toJSONValue(v)
		}
	}
	// Google always spells out the default text style, false values
	// included; a defaultFormat kept as a typed struct (a loaded
	// spreadsheet) has lost them to omitempty.
	if df, ok := props["defaultFormat"].(map[string]any); ok {
		if tf, ok := df["textFormat"].(map[string]any); ok {
			for _, k := range []string{"bold", "italic", "strikethrough", "underline"} {
				if _, ok := tf[k]; !ok {
					tf[k] = false
				}
			}
		}
	}
	out := map[string]any{
		"spreadsheetId":  b.ID,
		"properties":     props,
		"spreadsheetUrl": "https://docs.google.com/spreadsheets/d/" + b.ID + "/edit",
	}
	selected, err := selectRanges(b, o)
	if err != nil {
		return nil, err
	}
	var sheetsOut []any
	for _, s := range b.Sheets {
		rs, ok := selected[s]
		if selected != nil && !ok {
			continue
		}
		sj := renderSheet(s)
		if o.gridData {
			if rs == nil {
				rs = []gridRange{{0, s.rowCount(), 0, s.colCount()}}
			}
			var data []any
			for _, g := range rs {
				data = append(data, renderGridData(b, s, g))
			}
			sj["data"] = data
		}
		sheetsOut = append(sheetsOut, sj)
	}
	if sheetsOut != nil {
		out["sheets"] = sheetsOut
	}
	if len(b.NamedRanges) > 0 {
		out["namedRanges"] = toJSONValue(b.NamedRanges)
	}
	if len(b.DevMeta) > 0 {
		out["developerMetadata"] = toJSONValue(b.DevMeta)
	}
	fixZeroIndexes(out)
	return out, nil
}

// selectRanges resolves the ranges/data filters of a get; nil means all
// sheets, whole grids.
func selectRanges(b *book, o getOpts) (map[*sheet][]gridRange, error) {
	if len(o.ranges) == 0 && len(o.filters) == 0 {
		return nil, nil
	}
	sel := map[*sheet][]gridRange{}
	for _, text := range o.ranges {
		s, r, err := resolveA1(b, text)
		if err != nil {
			return nil, err
		}
		sel[s] = append(sel[s], clampRange(r, s))
	}
	for _, f := range o.filters {
		ms, err := matchDataFilter(b, f)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			sel[m.s] = append(sel[m.s], m.g)
		}
	}
	return sel, nil
}

func sheetPropsJSON(p *sheets.SheetProperties) map[string]any {
	c := *p
	c.ForceSendFields = append(append([]string(nil), p.ForceSendFields...), "SheetId", "Index")
	m, _ := toJSONValue(&c).(map[string]any)
	return m
}

func renderSheet(s *sheet) map[string]any {
	sj := map[string]any{"properties": sheetPropsJSON(s.Props)}
	add := func(key string, v any, n int) {
		if n > 0 {
			sj[key] = toJSONValue(v)
		}
	}
	add("merges", s.Merges, len(s.Merges))
	add("protectedRanges", s.Protected, len(s.Protected))
	add("rowGroups", s.RowGroups, len(s.RowGroups))
	add("columnGroups", s.ColumnGroups, len(s.ColumnGroups))
	add("developerMetadata", s.DevMeta, len(s.DevMeta))
	add("conditionalFormats", s.CondFormats, len(s.CondFormats))
	add("bandedRanges", s.BandedRanges, len(s.BandedRanges))
	add("filterViews", s.FilterViews, len(s.FilterViews))
	if s.BasicFilter != nil {
		sj["basicFilter"] = toJSONValue(s.BasicFilter)
	}
	return sj
}

// renderGridData renders one GridData block: trailing empty rows and
// cells are left out; empty rows and cells in between are {}.
func renderGridData(b *book, s *sheet, g gridRange) map[string]any {
	gd := map[string]any{}
	if g.StartRow > 0 {
		gd["startRow"] = g.StartRow
	}
	if g.StartCol > 0 {
		gd["startColumn"] = g.StartCol
	}
	var rows []any
	lastRow := -1
	for r := g.StartRow; r < min(g.EndRow, s.usedRows()); r++ {
		var vals []any
		last := -1
		for c := g.StartCol; c < min(g.EndCol, len(s.Rows[r])); c++ {
			cj := renderCellData(b, s, s.Rows[r][c])
			if len(cj) > 0 {
				last = c - g.StartCol
			}
			vals = append(vals, cj)
		}
		row := map[string]any{}
		if last >= 0 {
			row["values"] = vals[:last+1]
			lastRow = r - g.StartRow
		}
		rows = append(rows, row)
	}
	if lastRow >= 0 {
		gd["rowData"] = rows[:lastRow+1]
	}
	gd["rowMetadata"] = dimMeta(s.RowMeta, g.StartRow, g.EndRow, 21)
	gd["columnMetadata"] = dimMeta(s.ColMeta, g.StartCol, g.EndCol, 100)
	return gd
}

func dimMeta(meta []*sheets.DimensionProperties, from, to int, def int64) []any {
	out := make([]any, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		m := map[string]any{"pixelSize": def}
		if i < len(meta) && meta[i] != nil {
			if meta[i].PixelSize > 0 {
				m["pixelSize"] = meta[i].PixelSize
			}
			if meta[i].HiddenByUser {
				m["hiddenByUser"] = true
			}
		}
		out = append(out, m)
	}
	return out
}

// renderCellData renders a stored cell with its computed effective and
// formatted values.
func renderCellData(b *book, s *sheet, sc cell) map[string]any {
	c := sc.data()
	if c == nil {
		return map[string]any{}
	}
	out := *c
	out.EffectiveValue = effectiveValue(b, s, sc, 0)
	if str, ok := formattedValue(out.EffectiveValue, sc.numberFormat(), b.Props.Locale); ok {
		out.FormattedValue = str
	}
	if c.UserEnteredFormat != nil {
		out.EffectiveFormat = c.UserEnteredFormat
	}
	m, _ := toJSONValue(&out).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// handleGet serves GET spreadsheets/{id}.
func (s *Server) handleGet(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	mask, err := parseFieldMask(q.query.Get("fields"))
	if err != nil {
		return nil, err
	}
	grid, _ := strconv.ParseBool(q.query.Get("includeGridData"))
	if mask != nil {
		grid = mask.has("sheets", "data")
	}
	out, err := renderBook(b, getOpts{gridData: grid, ranges: q.query["ranges"]})
	if err != nil {
		return nil, err
	}
	return mask.apply(out), nil
}

// handleGetByDataFilter serves POST spreadsheets/{id}:getByDataFilter.
func (s *Server) handleGetByDataFilter(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in sheets.GetSpreadsheetByDataFilterRequest
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	mask, err := parseFieldMask(q.query.Get("fields"))
	if err != nil {
		return nil, err
	}
	grid := in.IncludeGridData
	if mask != nil {
		grid = mask.has("sheets", "data")
	}
	out, err := renderBook(b, getOpts{gridData: grid, filters: in.DataFilters})
	if err != nil {
		return nil, err
	}
	return mask.apply(out), nil
}
