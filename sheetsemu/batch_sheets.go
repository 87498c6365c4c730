package sheetsemu

import (
	"fmt"
	"strings"

	"google.golang.org/api/sheets/v4"
)

func buAddSheet(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "addSheet"
	in := r.AddSheet.Properties
	if in == nil {
		in = &sheets.SheetProperties{}
	}
	p := cloneJSON(in)
	if p.SheetId == 0 && !c.rawHas("addSheet", "properties", "sheetId") {
		p.SheetId = c.s.newSheetID(c.b)
	} else if c.b.sheetByID(p.SheetId) != nil {
		return nil, invalidRequest(i, kind, "Sheet with id %d already exists.", p.SheetId)
	}
	if p.Title == "" {
		p.Title = nextSheetTitle(c.b)
	}
	if c.b.sheetByTitle(p.Title) != nil {
		return nil, invalidRequest(i, kind, "A sheet with the name \"%s\" already exists. Please enter another name.", p.Title)
	}
	if p.SheetType == "" {
		p.SheetType = "GRID"
	}
	normSheetColors(p)
	if p.GridProperties == nil {
		p.GridProperties = &sheets.GridProperties{}
	}
	if p.GridProperties.RowCount == 0 {
		p.GridProperties.RowCount = defaultRows
	}
	if p.GridProperties.ColumnCount == 0 {
		p.GridProperties.ColumnCount = defaultCols
	}
	if err := checkFreeze(p.GridProperties); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	idx := len(c.b.Sheets)
	if c.rawHas("addSheet", "properties", "index") && int(p.Index) < idx {
		idx = max(int(p.Index), 0)
	}
	ns := &sheet{Props: p}
	c.b.Sheets = append(c.b.Sheets[:idx], append([]*sheet{ns}, c.b.Sheets[idx:]...)...)
	c.b.reindex()
	return &sheets.Response{AddSheet: &sheets.AddSheetResponse{Properties: cloneJSON(p)}}, nil
}

func nextSheetTitle(b *book) string {
	for n := len(b.Sheets) + 1; ; n++ {
		t := fmt.Sprintf("Sheet%d", n)
		if b.sheetByTitle(t) == nil {
			return t
		}
	}
}

func buDeleteSheet(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "deleteSheet"
	s, err := c.sheetFor(i, kind, r.DeleteSheet.SheetId)
	if err != nil {
		return nil, err
	}
	if len(c.b.Sheets) == 1 {
		return nil, invalidRequest(i, kind, "You can't remove all the sheets in a document.")
	}
	visible := 0
	for _, x := range c.b.Sheets {
		if !x.Props.Hidden && x != s {
			visible++
		}
	}
	if visible == 0 {
		return nil, invalidRequest(i, kind, "You can't remove all the visible sheets in a document.")
	}
	for j, x := range c.b.Sheets {
		if x == s {
			c.b.Sheets = append(c.b.Sheets[:j], c.b.Sheets[j+1:]...)
			break
		}
	}
	var keep []*sheets.NamedRange
	for _, nr := range c.b.NamedRanges {
		if nr.Range == nil || nr.Range.SheetId != s.Props.SheetId {
			keep = append(keep, nr)
		}
	}
	c.b.NamedRanges = keep
	c.b.reindex()
	return nil, nil
}

func buDuplicateSheet(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "duplicateSheet"
	d := r.DuplicateSheet
	src, err := c.sheetFor(i, kind, d.SourceSheetId)
	if err != nil {
		return nil, err
	}
	ns := src.clone()
	id := d.NewSheetId
	if id == 0 {
		id = c.s.newSheetID(c.b)
	} else if c.b.sheetByID(id) != nil {
		return nil, invalidRequest(i, kind, "Sheet with id %d already exists.", id)
	}
	name := d.NewSheetName
	if name == "" {
		name = "Copy of " + src.Props.Title
	}
	if c.b.sheetByTitle(name) != nil {
		return nil, invalidRequest(i, kind, "A sheet with the name \"%s\" already exists. Please enter another name.", name)
	}
	ns.Props.SheetId, ns.Props.Title = id, name
	for _, m := range ns.Merges {
		m.SheetId = id
	}
	ns.Protected, ns.DevMeta = nil, nil
	if ns.BasicFilter != nil && ns.BasicFilter.Range != nil {
		ns.BasicFilter.Range.SheetId = id
	}
	// Filter view ids are unique in the spreadsheet: the copies get new ones.
	for _, fv := range ns.FilterViews {
		fv.FilterViewId = c.newFilterViewID()
		if fv.Range != nil {
			fv.Range.SheetId = id
		}
	}
	idx := len(c.b.Sheets)
	if c.rawHas("duplicateSheet", "insertSheetIndex") && int(d.InsertSheetIndex) < idx {
		idx = max(int(d.InsertSheetIndex), 0)
	}
	c.b.Sheets = append(c.b.Sheets[:idx], append([]*sheet{ns}, c.b.Sheets[idx:]...)...)
	c.b.reindex()
	return &sheets.Response{DuplicateSheet: &sheets.DuplicateSheetResponse{Properties: cloneJSON(ns.Props)}}, nil
}

func buUpdateSheetProperties(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateSheetProperties"
	u := r.UpdateSheetProperties
	if u.Properties == nil {
		return nil, invalidRequest(i, kind, "properties is required")
	}
	if strings.TrimSpace(u.Fields) == "" {
		return nil, invalidRequest(i, kind, "At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)")
	}
	s, err := c.sheetFor(i, kind, u.Properties.SheetId)
	if err != nil {
		return nil, err
	}
	oldIndex := int(s.Props.Index)
	oldRows, oldCols := s.rowCount(), s.colCount()
	// tabColor and tabColorStyle are one colour: writing either writes
	// both, quantised as Google stores it (colors.go).
	in := *u.Properties
	normSheetColors(&in)
	np, err := mergeTyped(s.Props, &in, twinMask(u.Fields))
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	np.SheetId = s.Props.SheetId
	normSheetColors(np)
	if np.Title == "" {
		return nil, invalidRequest(i, kind, "Sheet title cannot be empty.")
	}
	if other := c.b.sheetByTitle(np.Title); other != nil && other != s {
		return nil, invalidRequest(i, kind, "A sheet with the name \"%s\" already exists. Please enter another name.", np.Title)
	}
	if np.GridProperties == nil {
		np.GridProperties = &sheets.GridProperties{}
	}
	if np.GridProperties.RowCount <= 0 || np.GridProperties.ColumnCount <= 0 {
		return nil, invalidRequest(i, kind, "Grid must have at least one row and one column.")
	}
	g := np.GridProperties
	if err := checkFreeze(g); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	s.Props = np
	if np.Hidden {
		visible := 0
		for _, x := range c.b.Sheets {
			if !x.Props.Hidden {
				visible++
			}
		}
		if visible == 0 {
			return nil, invalidRequest(i, kind, "You can't hide all the sheets in a document.")
		}
	}
	if int(np.GridProperties.RowCount) < oldRows || int(np.GridProperties.ColumnCount) < oldCols {
		truncateGrid(s)
	}
	if int(np.Index) != oldIndex {
		moveSheet(c.b, s, oldIndex, int(np.Index))
	} else {
		c.b.reindex()
	}
	return nil, nil
}

// moveSheet moves s to a position given in "before the move" indexes, as
// Google documents for sheet index updates.
func moveSheet(b *book, s *sheet, from, to int) {
	to = max(0, min(to, len(b.Sheets)))
	if to > from {
		to--
	}
	b.Sheets = append(b.Sheets[:from], b.Sheets[from+1:]...)
	to = min(to, len(b.Sheets))
	b.Sheets = append(b.Sheets[:to], append([]*sheet{s}, b.Sheets[to:]...)...)
	b.reindex()
}

// truncateGrid drops stored cells and metadata outside a shrunk grid.
func truncateGrid(s *sheet) {
	rows, cols := s.rowCount(), s.colCount()
	if len(s.Rows) > rows {
		s.Rows = s.Rows[:rows]
	}
	for r, row := range s.Rows {
		if len(row) > cols {
			s.Rows[r] = trimRow(append([]cell(nil), row[:cols]...))
		}
	}
	s.trimRows()
	if len(s.RowMeta) > rows {
		s.RowMeta = s.RowMeta[:rows]
	}
	if len(s.ColMeta) > cols {
		s.ColMeta = s.ColMeta[:cols]
	}
	var merges []*sheets.GridRange
	for _, m := range s.Merges {
		if int(m.EndRowIndex) <= rows && int(m.EndColumnIndex) <= cols {
			merges = append(merges, m)
		}
	}
	s.Merges = merges
}

func buUpdateSpreadsheetProperties(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateSpreadsheetProperties"
	u := r.UpdateSpreadsheetProperties
	if u.Properties == nil || strings.TrimSpace(u.Fields) == "" {
		return nil, invalidRequest(i, kind, "At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)")
	}
	np, err := mergeTyped(c.b.Props, u.Properties, u.Fields)
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	if np.Title == "" {
		np.Title = c.b.Props.Title
	}
	c.b.Props = np
	return nil, nil
}

// checkFreeze refuses frozen counts that leave no unfrozen row or column:
// Google answers "You can't freeze all visible rows on the sheet." even
// when the frozen count equals the row count (CONFORMANCE.md).
func checkFreeze(g *sheets.GridProperties) error {
	if g.FrozenRowCount > 0 && g.FrozenRowCount >= g.RowCount {
		return errString("You can't freeze all visible rows on the sheet.")
	}
	if g.FrozenColumnCount > 0 && g.FrozenColumnCount >= g.ColumnCount {
		return errString("You can't freeze all visible columns on the sheet.")
	}
	return nil
}
