package sheetsemu

import (
	"google.golang.org/api/sheets/v4"
)

// Filter views are saved filters a person opens in the UI; they only
// change what that person sees, never the values or the row order any
// API read returns, so the emulator stores them and nothing else.
// developers.google.com/sheets/api/reference/rest/v4/spreadsheets/sheets#FilterView

// findFilterView returns the sheet holding filter view id and its index
// there, or nil.
func (b *book) findFilterView(id int64) (*sheet, int) {
	for _, s := range b.Sheets {
		for j, fv := range s.FilterViews {
			if fv.FilterViewId == id {
				return s, j
			}
		}
	}
	return nil, -1
}

// newFilterViewID picks an id no filter view of b uses.
func (c *buCtx) newFilterViewID() int64 {
	for {
		id := c.s.newObjectID()
		if s, _ := c.b.findFilterView(id); s == nil {
			return id
		}
	}
}

// placeFilterView checks fv's range and completes it to the grid, the
// way setBasicFilter stores its range; it returns the sheet it is on.
func (c *buCtx) placeFilterView(i int, kind string, fv *sheets.FilterView) (*sheet, error) {
	if fv.Range == nil {
		if fv.NamedRangeId != "" || fv.TableId != "" {
			return nil, invalidRequest(i, kind, "request kind not supported by the emulator (a filter view on a named range or table)")
		}
		return nil, invalidRequest(i, kind, "filter.range is required")
	}
	s, g, err := c.gridFor(i, kind, fv.Range)
	if err != nil {
		return nil, err
	}
	fv.Range = toGridRange(s, g)
	return s, nil
}

func buAddFilterView(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "addFilterView"
	fv := cloneJSON(r.AddFilterView.Filter)
	if fv == nil {
		return nil, invalidRequest(i, kind, "filter is required")
	}
	if fv.FilterViewId < 0 {
		return nil, invalidRequest(i, kind, "filter.filterViewId must be positive.")
	}
	// "It is an error to specify the ID of a filter that already exists."
	if s, _ := c.b.findFilterView(fv.FilterViewId); fv.FilterViewId != 0 && s != nil {
		return nil, invalidRequest(i, kind, "Filter view with id %d already exists.", fv.FilterViewId)
	}
	s, err := c.placeFilterView(i, kind, fv)
	if err != nil {
		return nil, err
	}
	if fv.FilterViewId == 0 {
		fv.FilterViewId = c.newFilterViewID()
	}
	s.FilterViews = append(s.FilterViews, fv)
	return &sheets.Response{AddFilterView: &sheets.AddFilterViewResponse{Filter: cloneJSON(fv)}}, nil
}

func buUpdateFilterView(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateFilterView"
	u := r.UpdateFilterView
	if u.Filter == nil {
		return nil, invalidRequest(i, kind, "filter is required")
	}
	if u.Fields == "" {
		return nil, invalidRequest(i, kind, "At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)")
	}
	s, j := c.b.findFilterView(u.Filter.FilterViewId)
	if s == nil {
		return nil, invalidRequest(i, kind, "No filter view with id: %d", u.Filter.FilterViewId)
	}
	old := s.FilterViews[j]
	nv, err := mergeTyped(old, u.Filter, u.Fields)
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	nv.FilterViewId = old.FilterViewId // the id names the view; it never changes
	ns, err := c.placeFilterView(i, kind, nv)
	if err != nil {
		return nil, err
	}
	s.FilterViews = append(s.FilterViews[:j:j], s.FilterViews[j+1:]...)
	if ns == s {
		s.FilterViews = append(s.FilterViews[:j:j], append([]*sheets.FilterView{nv}, s.FilterViews[j:]...)...)
	} else {
		ns.FilterViews = append(ns.FilterViews, nv)
	}
	return nil, nil
}

func buDeleteFilterView(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "deleteFilterView"
	id := r.DeleteFilterView.FilterId
	s, j := c.b.findFilterView(id)
	if s == nil {
		return nil, invalidRequest(i, kind, "No filter view with id: %d", id)
	}
	s.FilterViews = append(s.FilterViews[:j:j], s.FilterViews[j+1:]...)
	return nil, nil
}

// buDuplicateFilterView copies a filter view under a new id, next to the
// original, titled "Copy of <title>" as duplicated sheets are.
func buDuplicateFilterView(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "duplicateFilterView"
	id := r.DuplicateFilterView.FilterId
	s, j := c.b.findFilterView(id)
	if s == nil {
		return nil, invalidRequest(i, kind, "No filter view with id: %d", id)
	}
	nv := cloneJSON(s.FilterViews[j])
	nv.FilterViewId = c.newFilterViewID()
	nv.Title = "Copy of " + nv.Title
	s.FilterViews = append(s.FilterViews, nv)
	return &sheets.Response{DuplicateFilterView: &sheets.DuplicateFilterViewResponse{Filter: cloneJSON(nv)}}, nil
}
