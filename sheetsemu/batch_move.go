package sheetsemu

import (
	"math"

	"google.golang.org/api/sheets/v4"
)

// mover is one moveDimension: the indexes [a, b) of a dimension go to
// destination d, named in the coordinates before the source is removed
// (developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#MoveDimensionRequest).
type mover struct{ a, b, d int }

// to is where index i ends up after the move.
func (m mover) to(i int) int {
	n := m.b - m.a
	switch {
	case i >= m.a && i < m.b && m.d < m.a:
		return m.d + i - m.a
	case i >= m.a && i < m.b:
		return m.d - n + i - m.a
	case m.d < m.a && i >= m.d && i < m.a:
		return i + n
	case m.d > m.b && i >= m.b && i < m.d:
		return i - n
	}
	return i
}

// hull maps the span [s, e) to the smallest span holding every index of
// it after the move. to is monotone between the boundaries d, a and b, so
// the extremes are at the span's ends or next to a boundary.
func (m mover) hull(s, e int) (int, int) {
	lo, hi := math.MaxInt, -1
	for _, p := range [...]int{s, e - 1, m.a - 1, m.a, m.b - 1, m.b, m.d - 1, m.d} {
		if p < s || p >= e {
			continue
		}
		q := m.to(p)
		lo, hi = min(lo, q), max(hi, q)
	}
	return lo, hi + 1
}

// span moves a stored half-open span of the moved dimension; an end of 0
// is unbounded (as GridRange and DimensionRange store it) and stays so.
func (m mover) span(start, end *int64, count int) {
	s, e := int(*start), int(*end)
	open := e == 0
	if open {
		e = count
	}
	if e <= s || open && s == 0 {
		return
	}
	lo, hi := m.hull(s, e)
	*start = int64(lo)
	if !open {
		*end = int64(hi)
	}
}

// permute returns a fresh slice with element i at m.to(i), long enough
// for every index the move touches.
func permute[T any](in []T, m mover) []T {
	lo, hi := min(m.a, m.d), max(m.b, m.d)
	if len(in) <= lo {
		return in // nothing stored where the move happens
	}
	out := make([]T, max(len(in), hi))
	copy(out, in)
	for i := lo; i < hi; i++ {
		var v T
		if i < len(in) {
			v = in[i]
		}
		out[m.to(i)] = v
	}
	return out
}

// buMoveDimension moves rows or columns with everything located on them:
// cells, pixel sizes and hidden flags, developer metadata; merges,
// protected, named and filtered ranges, groups, conditional formats and
// banding follow their rows or columns.
func buMoveDimension(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "moveDimension"
	u := r.MoveDimension
	if u.Source == nil {
		return nil, invalidRequest(i, kind, "source is required")
	}
	s, err := c.sheetFor(i, kind, u.Source.SheetId)
	if err != nil {
		return nil, err
	}
	dim := u.Source.Dimension
	if err := checkDim(dim); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	m, err := c.moveOf(i, s, u)
	if err != nil {
		return nil, err
	}
	if err := checkMoveMerges(s, dim, m); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	applyMove(c.b, s, dim, m)
	return nil, nil
}

// moveOf validates a MoveDimensionRequest's indexes against the sheet.
func (c *buCtx) moveOf(i int, s *sheet, u *sheets.MoveDimensionRequest) (mover, error) {
	const kind = "moveDimension"
	dim := u.Source.Dimension
	count := dimCount(s, dim)
	what := "row"
	if dim == "COLUMNS" {
		what = "column"
	}
	a, b, d := int(u.Source.StartIndex), int(u.Source.EndIndex), int(u.DestinationIndex)
	// A missing endIndex is unbounded: up to the end of the grid.
	if b == 0 && !c.rawHas("moveDimension", "source", "endIndex") {
		b = count
	}
	if a < 0 || a >= b {
		return mover{}, invalidRequest(i, kind, "Invalid dimension range: start index %d, end index %d.", a, b)
	}
	if b > count {
		return mover{}, invalidRequest(i, kind, "Cannot move a %s that doesn't exist. Tried to move %s index %d but there are only %d %ss.", what, what, max(a, count), count, what)
	}
	if d < 0 || d > count {
		return mover{}, invalidRequest(i, kind, "Invalid destinationIndex %d: the sheet has only %d %ss.", d, count, what)
	}
	// Strict (CONFORMANCE.md): a destination inside the source, or at
	// either of its ends, is refused rather than taken as a no-op.
	if a <= d && d <= b {
		return mover{}, invalidRequest(i, kind, "Invalid destinationIndex %d: it must be before %d or after %d, outside the moved %ss [%d, %d).", d, a, b, what, a, b)
	}
	return mover{a, b, d}, nil
}

// checkMoveMerges refuses a move that would tear a merge apart: a merge
// spanning several moved-dimension indexes that the source cuts through,
// or that the destination falls inside.
func checkMoveMerges(s *sheet, dim string, m mover) error {
	for _, g := range s.Merges {
		ms, me := int(g.StartRowIndex), int(g.EndRowIndex)
		if dim == "COLUMNS" {
			ms, me = int(g.StartColumnIndex), int(g.EndColumnIndex)
		}
		if me-ms < 2 {
			continue
		}
		inside := ms >= m.a && me <= m.b
		cut := ms < m.b && me > m.a && !inside
		if cut || ms < m.d && m.d < me {
			what := "rows"
			if dim == "COLUMNS" {
				what = "columns"
			}
			return errString(sprintf("You can't move %s that break apart a merged cell (%s). Please unmerge and try again.",
				what, a1For(s, gridRange{int(g.StartRowIndex), int(g.EndRowIndex), int(g.StartColumnIndex), int(g.EndColumnIndex)})))
		}
	}
	return nil
}

// applyMove performs a validated move on s (and b's named ranges).
func applyMove(b *book, s *sheet, dim string, m mover) {
	rows := dim == "ROWS"
	count := dimCount(s, dim)
	if rows {
		s.Rows = permute(s.Rows, m)
		s.trimRows()
		s.RowMeta = permute(s.RowMeta, m)
	} else {
		for r, row := range s.Rows {
			s.Rows[r] = trimRow(permute(row, m))
		}
		s.trimRows()
		s.ColMeta = permute(s.ColMeta, m)
	}
	grid := func(gr *sheets.GridRange) {
		if gr == nil || gr.SheetId != s.Props.SheetId {
			return
		}
		if rows {
			m.span(&gr.StartRowIndex, &gr.EndRowIndex, count)
		} else {
			m.span(&gr.StartColumnIndex, &gr.EndColumnIndex, count)
		}
	}
	for _, gr := range s.Merges {
		grid(gr)
	}
	for _, p := range s.Protected {
		grid(p.Range)
	}
	for _, nr := range b.NamedRanges {
		grid(nr.Range)
	}
	if s.BasicFilter != nil {
		grid(s.BasicFilter.Range)
	}
	for _, fv := range s.FilterViews {
		grid(fv.Range)
	}
	for _, cf := range s.CondFormats {
		for _, gr := range cf.Ranges {
			grid(gr)
		}
	}
	for _, br := range s.BandedRanges {
		grid(br.Range)
	}
	for _, dm := range s.DevMeta {
		if l := dm.Location; l != nil && l.DimensionRange != nil && l.DimensionRange.Dimension == dim {
			m.span(&l.DimensionRange.StartIndex, &l.DimensionRange.EndIndex, count)
		}
	}
	groups := s.RowGroups
	if !rows {
		groups = s.ColumnGroups
	}
	for _, g := range groups {
		m.span(&g.Range.StartIndex, &g.Range.EndIndex, count)
	}
}
