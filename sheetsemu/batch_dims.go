package sheetsemu

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/api/sheets/v4"
)

// shiftDim inserts (n > 0) or deletes (n < 0) n rows or columns at `at`,
// moving cells, dimension metadata, merges, named and protected ranges,
// developer metadata and groups with them.
func shiftDim(b *book, s *sheet, dim string, at, n int) {
	rows := dim == "ROWS"
	if rows {
		s.Rows = spliceSlice(s.Rows, at, n)
		s.trimRows()
		s.RowMeta = spliceSlice(s.RowMeta, at, n)
		s.grid().RowCount += int64(n)
	} else {
		for r, row := range s.Rows {
			if at < len(row) {
				s.Rows[r] = trimRow(spliceSlice(row, at, n))
			}
		}
		s.trimRows()
		s.ColMeta = spliceSlice(s.ColMeta, at, n)
		s.grid().ColumnCount += int64(n)
	}
	adj := func(gr *sheets.GridRange) bool {
		if gr == nil || gr.SheetId != s.Props.SheetId {
			return true
		}
		if rows {
			return adjustSpan(&gr.StartRowIndex, &gr.EndRowIndex, at, n)
		}
		return adjustSpan(&gr.StartColumnIndex, &gr.EndColumnIndex, at, n)
	}
	var merges []*sheets.GridRange
	for _, m := range s.Merges {
		if adj(m) {
			merges = append(merges, m)
		}
	}
	s.Merges = merges
	var prs []*sheets.ProtectedRange
	for _, p := range s.Protected {
		if adj(p.Range) {
			prs = append(prs, p)
		}
	}
	s.Protected = prs
	var nrs []*sheets.NamedRange
	for _, nr := range b.NamedRanges {
		if adj(nr.Range) {
			nrs = append(nrs, nr)
		}
	}
	b.NamedRanges = nrs
	if s.BasicFilter != nil && !adj(s.BasicFilter.Range) {
		s.BasicFilter = nil
	}
	// A filter view follows its rows like the basic filter, and goes
	// with them when all of them are deleted.
	var fvs []*sheets.FilterView
	for _, fv := range s.FilterViews {
		if adj(fv.Range) {
			fvs = append(fvs, fv)
		}
	}
	s.FilterViews = fvs
	// Conditional formats and banding follow their cells too; a rule
	// loses the ranges whose cells are all deleted.
	var cfs []*sheets.ConditionalFormatRule
	for _, cf := range s.CondFormats {
		var rs []*sheets.GridRange
		for _, gr := range cf.Ranges {
			if adj(gr) {
				rs = append(rs, gr)
			}
		}
		if cf.Ranges = rs; len(rs) > 0 {
			cfs = append(cfs, cf)
		}
	}
	s.CondFormats = cfs
	var brs []*sheets.BandedRange
	for _, br := range s.BandedRanges {
		if adj(br.Range) {
			brs = append(brs, br)
		}
	}
	s.BandedRanges = brs
	var dms []*sheets.DeveloperMetadata
	for _, dm := range s.DevMeta {
		if l := dm.Location; l != nil && l.DimensionRange != nil && l.DimensionRange.Dimension == dim {
			if !adjustSpan(&l.DimensionRange.StartIndex, &l.DimensionRange.EndIndex, at, n) {
				continue
			}
		}
		dms = append(dms, dm)
	}
	s.DevMeta = dms
	groups := &s.RowGroups
	if !rows {
		groups = &s.ColumnGroups
	}
	var gs []*sheets.DimensionGroup
	for _, g := range *groups {
		if adjustSpan(&g.Range.StartIndex, &g.Range.EndIndex, at, n) {
			gs = append(gs, g)
		}
	}
	*groups = gs
}

// adjustSpan moves a half-open [start,end) span for an insert/delete at
// `at`; it reports false when the span was deleted entirely. An end of 0
// means unbounded and stays so.
func adjustSpan(start, end *int64, at, n int) bool {
	open := *end == 0
	f := func(x int64) int64 {
		if n > 0 {
			if int(x) >= at {
				return x + int64(n)
			}
			return x
		}
		k := -n
		switch {
		case int(x) <= at:
			return x
		case int(x) <= at+k:
			return int64(at)
		default:
			return x - int64(k)
		}
	}
	if n > 0 {
		if int(*start) >= at {
			*start += int64(n)
		}
		if !open && int(*end) > at {
			*end += int64(n)
		}
		return true
	}
	*start = f(*start)
	if open {
		return true
	}
	*end = f(*end)
	return *end > *start
}

// spliceSlice inserts n nil elements at `at` (n > 0) or removes -n
// elements from `at` (n < 0), always returning a fresh slice.
func spliceSlice[T any](in []T, at, n int) []T {
	if at >= len(in) {
		return append([]T(nil), in...)
	}
	out := make([]T, 0, len(in)+max(n, 0))
	out = append(out, in[:at]...)
	if n > 0 {
		var zero T
		for i := 0; i < n; i++ {
			out = append(out, zero)
		}
		return append(out, in[at:]...)
	}
	if at-n < len(in) {
		out = append(out, in[at-n:]...)
	}
	return out
}

// insertRows inserts n empty rows at `at` (used by values.append with
// INSERT_ROWS).
func insertRows(b *book, s *sheet, at, n int) {
	shiftDim(b, s, "ROWS", at, n)
}

func otherDimCount(s *sheet, dim string) int {
	if dim == "ROWS" {
		return s.colCount()
	}
	return s.rowCount()
}

func dimCount(s *sheet, dim string) int {
	if dim == "ROWS" {
		return s.rowCount()
	}
	return s.colCount()
}

func checkDim(dim string) error {
	if dim != "ROWS" && dim != "COLUMNS" {
		return errString("dimension must be ROWS or COLUMNS")
	}
	return nil
}

func buInsertDimension(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "insertDimension"
	u := r.InsertDimension
	if u.Range == nil {
		return nil, invalidRequest(i, kind, "range is required")
	}
	s, err := c.sheetFor(i, kind, u.Range.SheetId)
	if err != nil {
		return nil, err
	}
	if err := checkDim(u.Range.Dimension); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	start, end := int(u.Range.StartIndex), int(u.Range.EndIndex)
	if start < 0 || end <= start {
		return nil, invalidRequest(i, kind, "The end index must be greater than the start index.")
	}
	if start > dimCount(s, u.Range.Dimension) {
		return nil, invalidRequest(i, kind, "Invalid start index %d: the sheet has only %d.", start, dimCount(s, u.Range.Dimension))
	}
	if other := otherDimCount(s, u.Range.Dimension); int64(end-start)*int64(other)+int64(c.b.cellCount()) > maxCells {
		return nil, invalidRequest(i, kind, "This action would increase the number of cells in the workbook above the limit of %d cells.", maxCells)
	}
	if u.InheritFromBefore && start == 0 {
		return nil, invalidRequest(i, kind, "Cannot inherit from before when inserting at the beginning.")
	}
	shiftDim(c.b, s, u.Range.Dimension, start, end-start)
	return nil, nil
}

func buDeleteDimension(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "deleteDimension"
	u := r.DeleteDimension
	if u.Range == nil {
		return nil, invalidRequest(i, kind, "range is required")
	}
	s, err := c.sheetFor(i, kind, u.Range.SheetId)
	if err != nil {
		return nil, err
	}
	dim := u.Range.Dimension
	if err := checkDim(dim); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	count := dimCount(s, dim)
	start, end := int(u.Range.StartIndex), int(u.Range.EndIndex)
	if end == 0 && !c.rawHas("deleteDimension", "range", "endIndex") {
		end = count
	}
	what, frozen := "row", int(s.grid().FrozenRowCount)
	if dim == "COLUMNS" {
		what, frozen = "column", int(s.grid().FrozenColumnCount)
	}
	if start < 0 || start >= end {
		return nil, invalidRequest(i, kind, "Invalid dimension range: start index %d, end index %d.", start, end)
	}
	// Google refuses a range reaching past the grid instead of clamping
	// it, naming the first index that does not exist (see CONFORMANCE.md).
	if end > count {
		return nil, invalidRequest(i, kind, "Cannot delete a %s that doesn't exist. Tried to delete %s index %d but there are only %d %ss.", what, what, max(start, count), count, what)
	}
	if end-start >= count {
		return nil, invalidRequest(i, kind, "You can't delete all the %ss on the sheet.", what)
	}
	// Deleting every row below a frozen header (or every column right of
	// frozen ones) is refused too.
	if frozen > 0 && count-(end-start) <= frozen {
		return nil, invalidRequest(i, kind, "Sorry, it is not possible to delete all non-frozen %ss.", what)
	}
	shiftDim(c.b, s, dim, start, -(end - start))
	g := s.grid()
	g.FrozenRowCount = min(g.FrozenRowCount, g.RowCount)
	g.FrozenColumnCount = min(g.FrozenColumnCount, g.ColumnCount)
	return nil, nil
}

func buAppendDimension(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "appendDimension"
	u := r.AppendDimension
	s, err := c.sheetFor(i, kind, u.SheetId)
	if err != nil {
		return nil, err
	}
	if err := checkDim(u.Dimension); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	if u.Length <= 0 {
		return nil, invalidRequest(i, kind, "length must be positive")
	}
	if u.Dimension == "ROWS" {
		s.grid().RowCount += u.Length
	} else {
		s.grid().ColumnCount += u.Length
	}
	return nil, nil
}

func buUpdateDimensionProperties(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateDimensionProperties"
	u := r.UpdateDimensionProperties
	if u.Range == nil || u.Properties == nil {
		return nil, invalidRequest(i, kind, "range and properties are required")
	}
	s, err := c.sheetFor(i, kind, u.Range.SheetId)
	if err != nil {
		return nil, err
	}
	dim := u.Range.Dimension
	if err := checkDim(dim); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	start, end := int(u.Range.StartIndex), int(u.Range.EndIndex)
	if end == 0 {
		end = dimCount(s, dim)
	}
	if start < 0 || end < start || end > dimCount(s, dim) {
		return nil, invalidRequest(i, kind, "Invalid dimension range [%d, %d) for a sheet with %d.", start, end, dimCount(s, dim))
	}
	meta := &s.RowMeta
	if dim == "COLUMNS" {
		meta = &s.ColMeta
	}
	for len(*meta) < end {
		*meta = append(*meta, nil)
	}
	for j := start; j < end; j++ {
		cur := (*meta)[j]
		if cur == nil {
			cur = &sheets.DimensionProperties{}
		}
		np, err := mergeTyped(cur, u.Properties, u.Fields)
		if err != nil {
			return nil, invalidRequest(i, kind, "%v", err)
		}
		(*meta)[j] = np
	}
	return nil, nil
}

func buAddDimensionGroup(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "addDimensionGroup"
	u := r.AddDimensionGroup
	if u.Range == nil {
		return nil, invalidRequest(i, kind, "range is required")
	}
	s, err := c.sheetFor(i, kind, u.Range.SheetId)
	if err != nil {
		return nil, err
	}
	groups := &s.RowGroups
	if u.Range.Dimension == "COLUMNS" {
		groups = &s.ColumnGroups
	}
	depth := int64(1)
	for _, g := range *groups {
		if g.Range.StartIndex <= u.Range.StartIndex && g.Range.EndIndex >= u.Range.EndIndex {
			depth = max(depth, g.Depth+1)
		}
	}
	rng := *u.Range
	rng.SheetId = s.Props.SheetId
	// Google flips the group control toggle to "after" once a sheet has
	// groups of that dimension.
	if u.Range.Dimension == "COLUMNS" {
		s.grid().ColumnGroupControlAfter = true
	} else {
		s.grid().RowGroupControlAfter = true
	}
	*groups = append(*groups, &sheets.DimensionGroup{Range: &rng, Depth: depth})
	return &sheets.Response{AddDimensionGroup: &sheets.AddDimensionGroupResponse{DimensionGroups: cloneJSON(*groups)}}, nil
}

func buDeleteDimensionGroup(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "deleteDimensionGroup"
	u := r.DeleteDimensionGroup
	if u.Range == nil {
		return nil, invalidRequest(i, kind, "range is required")
	}
	s, err := c.sheetFor(i, kind, u.Range.SheetId)
	if err != nil {
		return nil, err
	}
	groups := &s.RowGroups
	if u.Range.Dimension == "COLUMNS" {
		groups = &s.ColumnGroups
	}
	var keep []*sheets.DimensionGroup
	found := false
	for _, g := range *groups {
		if !found && g.Range.StartIndex == u.Range.StartIndex && g.Range.EndIndex == u.Range.EndIndex {
			found = true
			continue
		}
		keep = append(keep, g)
	}
	if !found {
		return nil, invalidRequest(i, kind, "No dimension group found for the range.")
	}
	*groups = keep
	return &sheets.Response{DeleteDimensionGroup: &sheets.DeleteDimensionGroupResponse{DimensionGroups: cloneJSON(keep)}}, nil
}

// Autosize metrics. Google measures rendered text; the emulator picks a
// deterministic stand-in (CONFORMANCE.md): 7 px per character of the
// longest displayed line (Arial 10, the default font) plus the default
// 3 px padding each side, at most maxColumnPx; a row is 21 px (Google's
// autosized height for one line, nithinmurali/pygsheets #180) plus 16 px
// per extra line.
const (
	autoCharPx  = 7
	autoPadPx   = 6
	autoRowPx   = 21
	autoLinePx  = 16
	maxColumnPx = 5000
	minColumnPx = autoPadPx + autoCharPx
)

// buAutoResizeDimensions sets the pixelSize of each row or column in the
// range from its content. A row or column without any text keeps its size.
func buAutoResizeDimensions(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "autoResizeDimensions"
	u := r.AutoResizeDimensions
	if u.Dimensions == nil {
		if u.DataSourceSheetDimensions != nil {
			return nil, invalidRequest(i, kind, "request kind not supported by the emulator")
		}
		return nil, invalidRequest(i, kind, "dimensions is required")
	}
	d := u.Dimensions
	s, err := c.sheetFor(i, kind, d.SheetId)
	if err != nil {
		return nil, err
	}
	if err := checkDim(d.Dimension); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	n := dimCount(s, d.Dimension)
	start, end := int(d.StartIndex), int(d.EndIndex)
	if d.EndIndex == 0 && !c.rawHas("autoResizeDimensions", "dimensions", "endIndex") {
		end = n
	}
	if start < 0 || end < start || end > n {
		return nil, invalidRequest(i, kind, "Invalid dimension range [%d, %d) for a sheet with %d.", start, end, n)
	}
	// longest[k] is the longest line (in characters) and lines[k] the
	// most lines of any cell in row or column start+k.
	longest := make([]int, end-start)
	lines := make([]int, end-start)
	for ri, row := range s.Rows {
		for ci, cell := range row {
			k := ci
			if d.Dimension == "ROWS" {
				k = ri
			}
			if k < start || k >= end || cell.empty() {
				continue
			}
			str, ok := formattedValue(effectiveValue(c.b, s, cell, 0), cell.numberFormat(), c.b.Props.Locale)
			if !ok || str == "" {
				continue
			}
			parts := strings.Split(str, "\n")
			lines[k-start] = max(lines[k-start], len(parts))
			for _, p := range parts {
				longest[k-start] = max(longest[k-start], utf8.RuneCountInString(p))
			}
		}
	}
	meta := &s.RowMeta
	if d.Dimension == "COLUMNS" {
		meta = &s.ColMeta
	}
	for k := range longest {
		if lines[k] == 0 {
			continue
		}
		px := autoRowPx + autoLinePx*(lines[k]-1)
		if d.Dimension == "COLUMNS" {
			px = min(max(autoPadPx+autoCharPx*longest[k], minColumnPx), maxColumnPx)
		}
		for len(*meta) <= start+k {
			*meta = append(*meta, nil)
		}
		np := &sheets.DimensionProperties{}
		if cur := (*meta)[start+k]; cur != nil {
			cp := *cur
			np = &cp
		}
		np.PixelSize = int64(px)
		(*meta)[start+k] = np
	}
	return nil, nil
}
