package sheetsemu

import (
	"strconv"

	"google.golang.org/api/sheets/v4"
)

// handleCopyTo serves POST spreadsheets/{id}/sheets/{sheetId}:copyTo,
// copying one tab into another (or the same) spreadsheet.
func (s *Server) handleCopyTo(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	sid, err := strconv.ParseInt(q.rng, 10, 64)
	if err != nil {
		return nil, badRequest("Invalid value at 'sheet_id' (TYPE_INT32), %q", q.rng)
	}
	src := b.sheetByID(sid)
	if src == nil {
		return nil, notFound()
	}
	var in sheets.CopySheetToAnotherSpreadsheetRequest
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	dst := s.books[in.DestinationSpreadsheetId]
	if dst == nil || !s.auth.canAccess(q.user, dst) {
		return nil, notFound()
	}
	nd := dst.clone()
	ns := src.clone()
	ns.Props.SheetId = s.newSheetID(nd)
	title := "Copy of " + src.Props.Title
	for n := 2; nd.sheetByTitle(title) != nil; n++ {
		title = "Copy of " + src.Props.Title + " " + strconv.Itoa(n)
	}
	ns.Props.Title = title
	ns.Props.Hidden = false
	for _, m := range ns.Merges {
		m.SheetId = ns.Props.SheetId
	}
	ns.Protected, ns.DevMeta = nil, nil
	nd.Sheets = append(nd.Sheets, ns)
	nd.reindex()
	if err := checkCellLimit(nd); err != nil {
		return nil, err
	}
	s.commit(nd)
	return sheetPropsJSON(ns.Props), nil
}
