package sheetsemu

import (
	"strconv"

	"google.golang.org/api/sheets/v4"
)

// metaEntry is developer metadata with the sheet it lives on (nil for
// spreadsheet-level metadata).
type metaEntry struct {
	s  *sheet
	dm *sheets.DeveloperMetadata
}

func (b *book) allMetadata() []metaEntry {
	var out []metaEntry
	for _, dm := range b.DevMeta {
		out = append(out, metaEntry{nil, dm})
	}
	for _, s := range b.Sheets {
		for _, dm := range s.DevMeta {
			out = append(out, metaEntry{s, dm})
		}
	}
	return out
}

// metaRange is the grid area a metadata entry is attached to.
func metaRange(e metaEntry) (gridRange, bool) {
	l := e.dm.Location
	if e.s == nil || l == nil {
		return gridRange{}, false
	}
	if dr := l.DimensionRange; dr != nil {
		if dr.Dimension == "ROWS" {
			return gridRange{int(dr.StartIndex), int(dr.EndIndex), 0, e.s.colCount()}, true
		}
		return gridRange{0, e.s.rowCount(), int(dr.StartIndex), int(dr.EndIndex)}, true
	}
	return gridRange{0, e.s.rowCount(), 0, e.s.colCount()}, true
}

func buCreateDeveloperMetadata(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "createDeveloperMetadata"
	dm := cloneJSON(r.CreateDeveloperMetadata.DeveloperMetadata)
	if dm == nil || dm.MetadataKey == "" {
		return nil, invalidRequest(i, kind, "developerMetadata.metadataKey is required.")
	}
	if dm.Visibility != "DOCUMENT" && dm.Visibility != "PROJECT" {
		return nil, invalidRequest(i, kind, "developerMetadata.visibility must be DOCUMENT or PROJECT.")
	}
	if dm.MetadataId < 0 {
		return nil, invalidRequest(i, kind, "developerMetadata.metadataId must be positive.")
	}
	if dm.MetadataId == 0 {
		dm.MetadataId = c.s.newObjectID()
	}
	for _, e := range c.b.allMetadata() {
		if e.dm.MetadataId == dm.MetadataId {
			return nil, invalidRequest(i, kind, "Developer metadata with id %d already exists.", dm.MetadataId)
		}
	}
	l := dm.Location
	if l == nil {
		return nil, invalidRequest(i, kind, "developerMetadata.location is required.")
	}
	switch {
	case l.Spreadsheet:
		l.LocationType = "SPREADSHEET"
		c.b.DevMeta = append(c.b.DevMeta, dm)
	case l.DimensionRange != nil:
		dr := l.DimensionRange
		s, err := c.sheetFor(i, kind, dr.SheetId)
		if err != nil {
			return nil, err
		}
		if dr.EndIndex-dr.StartIndex != 1 {
			return nil, invalidRequest(i, kind, "Developer metadata may only be associated with a single row or column.")
		}
		if int(dr.EndIndex) > dimCount(s, dr.Dimension) {
			return nil, invalidRequest(i, kind, "The dimension range is outside the grid.")
		}
		l.LocationType = map[string]string{"ROWS": "ROW", "COLUMNS": "COLUMN"}[dr.Dimension]
		if l.LocationType == "" {
			return nil, invalidRequest(i, kind, "dimensionRange.dimension must be ROWS or COLUMNS.")
		}
		s.DevMeta = append(s.DevMeta, dm)
	default:
		s, err := c.sheetFor(i, kind, l.SheetId)
		if err != nil {
			return nil, err
		}
		l.LocationType = "SHEET"
		s.DevMeta = append(s.DevMeta, dm)
	}
	return &sheets.Response{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataResponse{DeveloperMetadata: cloneJSON(dm)}}, nil
}

func buUpdateDeveloperMetadata(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateDeveloperMetadata"
	u := r.UpdateDeveloperMetadata
	if u.DeveloperMetadata == nil {
		return nil, invalidRequest(i, kind, "developerMetadata is required.")
	}
	var updated []*sheets.DeveloperMetadata
	for _, f := range u.DataFilters {
		es, err := matchMetadata(c.b, f)
		if err != nil {
			return nil, invalidRequest(i, kind, "%v", err)
		}
		for _, e := range es {
			np, err := mergeTyped(e.dm, u.DeveloperMetadata, u.Fields)
			if err != nil {
				return nil, invalidRequest(i, kind, "%v", err)
			}
			np.Location = e.dm.Location
			*e.dm = *np
			updated = append(updated, cloneJSON(e.dm))
		}
	}
	return &sheets.Response{UpdateDeveloperMetadata: &sheets.UpdateDeveloperMetadataResponse{DeveloperMetadata: updated}}, nil
}

func buDeleteDeveloperMetadata(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "deleteDeveloperMetadata"
	if r.DeleteDeveloperMetadata.DataFilter == nil {
		return nil, invalidRequest(i, kind, "dataFilter is required.")
	}
	es, err := matchMetadata(c.b, r.DeleteDeveloperMetadata.DataFilter)
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	gone := map[*sheets.DeveloperMetadata]bool{}
	var deleted []*sheets.DeveloperMetadata
	for _, e := range es {
		gone[e.dm] = true
		deleted = append(deleted, cloneJSON(e.dm))
	}
	filter := func(in []*sheets.DeveloperMetadata) []*sheets.DeveloperMetadata {
		var out []*sheets.DeveloperMetadata
		for _, dm := range in {
			if !gone[dm] {
				out = append(out, dm)
			}
		}
		return out
	}
	c.b.DevMeta = filter(c.b.DevMeta)
	for _, s := range c.b.Sheets {
		s.DevMeta = filter(s.DevMeta)
	}
	return &sheets.Response{DeleteDeveloperMetadata: &sheets.DeleteDeveloperMetadataResponse{DeletedDeveloperMetadata: deleted}}, nil
}

// matchMetadata returns the metadata a DataFilter selects: a lookup
// matches fields; an A1 or grid range matches metadata whose location
// intersects it.
func matchMetadata(b *book, f *sheets.DataFilter) ([]metaEntry, error) {
	var out []metaEntry
	if lk := f.DeveloperMetadataLookup; lk != nil {
		for _, e := range b.allMetadata() {
			if lookupMatches(b, e, lk) {
				out = append(out, e)
			}
		}
		return out, nil
	}
	ms, err := matchDataFilter(b, f)
	if err != nil {
		return nil, err
	}
	for _, e := range b.allMetadata() {
		g, ok := metaRange(e)
		if !ok {
			continue
		}
		for _, m := range ms {
			if m.s == e.s && overlaps(m.g, g) {
				out = append(out, e)
				break
			}
		}
	}
	return out, nil
}

func lookupMatches(b *book, e metaEntry, lk *sheets.DeveloperMetadataLookup) bool {
	dm := e.dm
	if lk.MetadataId != 0 && lk.MetadataId != dm.MetadataId ||
		lk.MetadataKey != "" && lk.MetadataKey != dm.MetadataKey ||
		lk.MetadataValue != "" && lk.MetadataValue != dm.MetadataValue ||
		lk.Visibility != "" && lk.Visibility != dm.Visibility ||
		lk.LocationType != "" && (dm.Location == nil || lk.LocationType != dm.Location.LocationType) {
		return false
	}
	if ml := lk.MetadataLocation; ml != nil {
		l := dm.Location
		if l == nil {
			return false
		}
		switch {
		case ml.Spreadsheet:
			return l.Spreadsheet
		case ml.DimensionRange != nil:
			if l.DimensionRange == nil || l.DimensionRange.SheetId != ml.DimensionRange.SheetId ||
				l.DimensionRange.Dimension != ml.DimensionRange.Dimension {
				return false
			}
			a, z := ml.DimensionRange.StartIndex, ml.DimensionRange.EndIndex
			if lk.LocationMatchingStrategy == "EXACT_LOCATION" {
				return a == l.DimensionRange.StartIndex && z == l.DimensionRange.EndIndex
			}
			return l.DimensionRange.StartIndex < z && a < l.DimensionRange.EndIndex
		default:
			if lk.LocationMatchingStrategy == "EXACT_LOCATION" {
				return l.LocationType == "SHEET" && e.s != nil && e.s.Props.SheetId == ml.SheetId
			}
			return e.s != nil && e.s.Props.SheetId == ml.SheetId
		}
	}
	return true
}

// filterMatch is one grid area selected by a DataFilter.
type filterMatch struct {
	s *sheet
	g gridRange
}

// matchDataFilter resolves a DataFilter to grid areas.
func matchDataFilter(b *book, f *sheets.DataFilter) ([]filterMatch, error) {
	switch {
	case f == nil:
		return nil, badRequest("dataFilter is required")
	case f.A1Range != "":
		s, r, err := resolveA1(b, f.A1Range)
		if err != nil {
			return nil, err
		}
		return []filterMatch{{s, clampRange(r, s)}}, nil
	case f.GridRange != nil:
		s := b.sheetByID(f.GridRange.SheetId)
		if s == nil {
			return nil, badRequest("No grid with id: %d", f.GridRange.SheetId)
		}
		g := fromGridRange(f.GridRange, s)
		if err := checkInGrid(s, g); err != nil {
			return nil, badRequest("Invalid dataFilter.gridRange: %v", err)
		}
		return []filterMatch{{s, g}}, nil
	case f.DeveloperMetadataLookup != nil:
		var out []filterMatch
		for _, e := range b.allMetadata() {
			if !lookupMatches(b, e, f.DeveloperMetadataLookup) {
				continue
			}
			if g, ok := metaRange(e); ok {
				out = append(out, filterMatch{e.s, g})
			}
		}
		return out, nil
	}
	return nil, badRequest("Invalid dataFilter: one of a1Range, gridRange or developerMetadataLookup is required")
}

// handleMetadataGet serves GET developerMetadata/{metadataId}.
func (s *Server) handleMetadataGet(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(q.rng, 10, 64)
	if err != nil {
		return nil, badRequest("Invalid value at 'metadata_id' (TYPE_INT32), %q", q.rng)
	}
	for _, e := range b.allMetadata() {
		if e.dm.MetadataId == id {
			return e.dm, nil
		}
	}
	return nil, &apiError{Code: 404, Status: "NOT_FOUND", Message: "No developer metadata with ID: " + q.rng}
}

// handleMetadataSearch serves POST developerMetadata:search.
func (s *Server) handleMetadataSearch(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in sheets.SearchDeveloperMetadataRequest
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	type matched struct {
		DeveloperMetadata *sheets.DeveloperMetadata `json:"developerMetadata"`
		DataFilters       []*sheets.DataFilter      `json:"dataFilters"`
	}
	var out []matched
	index := map[*sheets.DeveloperMetadata]int{}
	for _, f := range in.DataFilters {
		es, err := matchMetadata(b, f)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if j, ok := index[e.dm]; ok {
				out[j].DataFilters = append(out[j].DataFilters, f)
				continue
			}
			index[e.dm] = len(out)
			out = append(out, matched{e.dm, []*sheets.DataFilter{f}})
		}
	}
	res := map[string]any{}
	if len(out) > 0 {
		res["matchedDeveloperMetadata"] = out
	}
	return res, nil
}
