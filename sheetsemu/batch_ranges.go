package sheetsemu

import (
	"strconv"

	"google.golang.org/api/sheets/v4"
)

func buAddNamedRange(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "addNamedRange"
	nr := cloneJSON(r.AddNamedRange.NamedRange)
	if nr == nil || nr.Name == "" || nr.Range == nil {
		return nil, invalidRequest(i, kind, "Named range must have a name and a range.")
	}
	if _, err := c.sheetFor(i, kind, nr.Range.SheetId); err != nil {
		return nil, err
	}
	if !validRangeName(nr.Name) {
		return nil, invalidRequest(i, kind, "Invalid named range name: %s", nr.Name)
	}
	if c.b.namedRange(nr.Name) != nil {
		return nil, invalidRequest(i, kind, "Named range with name \"%s\" already exists.", nr.Name)
	}
	if nr.NamedRangeId == "" {
		nr.NamedRangeId = strconv.FormatInt(c.s.newObjectID(), 10)
	}
	c.b.NamedRanges = append(c.b.NamedRanges, nr)
	return &sheets.Response{AddNamedRange: &sheets.AddNamedRangeResponse{NamedRange: cloneJSON(nr)}}, nil
}

// validRangeName follows Google's rule: letters, digits, underscores, not
// starting with a digit and not readable as a cell reference.
func validRangeName(n string) bool {
	for i, ch := range n {
		ok := ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch > 127 || i > 0 && ch >= '0' && ch <= '9'
		if !ok {
			return false
		}
	}
	_, isCell := parseCells(n)
	return n != "" && !isCell
}

func buUpdateNamedRange(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateNamedRange"
	u := r.UpdateNamedRange
	if u.NamedRange == nil {
		return nil, invalidRequest(i, kind, "namedRange is required")
	}
	for j, nr := range c.b.NamedRanges {
		if nr.NamedRangeId != u.NamedRange.NamedRangeId {
			continue
		}
		np, err := mergeTyped(nr, u.NamedRange, u.Fields)
		if err != nil {
			return nil, invalidRequest(i, kind, "%v", err)
		}
		np.NamedRangeId = nr.NamedRangeId
		c.b.NamedRanges[j] = np
		return nil, nil
	}
	return nil, invalidRequest(i, kind, "No named range with id %s", u.NamedRange.NamedRangeId)
}

func buDeleteNamedRange(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "deleteNamedRange"
	id := r.DeleteNamedRange.NamedRangeId
	for j, nr := range c.b.NamedRanges {
		if nr.NamedRangeId == id {
			c.b.NamedRanges = append(c.b.NamedRanges[:j], c.b.NamedRanges[j+1:]...)
			return nil, nil
		}
	}
	return nil, invalidRequest(i, kind, "No named range with id %s", id)
}

func buAddProtectedRange(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "addProtectedRange"
	pr := cloneJSON(r.AddProtectedRange.ProtectedRange)
	if pr == nil || pr.Range == nil {
		return nil, invalidRequest(i, kind, "protectedRange.range is required")
	}
	s, err := c.sheetFor(i, kind, pr.Range.SheetId)
	if err != nil {
		return nil, err
	}
	if pr.ProtectedRangeId == 0 {
		pr.ProtectedRangeId = c.s.newObjectID()
	}
	pr.RequestingUserCanEdit = true
	if pr.WarningOnly {
		// Google: "if this field is true, then editors are ignored";
		// a warning-only range has no editors, in the reply or a get.
		pr.Editors = nil
		s.Protected = append(s.Protected, pr)
		return &sheets.Response{AddProtectedRange: &sheets.AddProtectedRangeResponse{ProtectedRange: cloneJSON(pr)}}, nil
	}
	if pr.Editors == nil {
		pr.Editors = &sheets.Editors{}
	}
	pr.Editors.Groups = nil
	if len(pr.Editors.Users) == 0 {
		pr.Editors.Users = nil
	}
	reply := cloneJSON(pr)
	if c.user != "" && c.user != anonymousUser {
		pr.Editors.Users = append(pr.Editors.Users, c.user)
	}
	s.Protected = append(s.Protected, pr)
	return &sheets.Response{AddProtectedRange: &sheets.AddProtectedRangeResponse{ProtectedRange: reply}}, nil
}

func (b *book) findProtected(id int64) (*sheet, int) {
	for _, s := range b.Sheets {
		for j, p := range s.Protected {
			if p.ProtectedRangeId == id {
				return s, j
			}
		}
	}
	return nil, -1
}

func buUpdateProtectedRange(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateProtectedRange"
	u := r.UpdateProtectedRange
	if u.ProtectedRange == nil {
		return nil, invalidRequest(i, kind, "protectedRange is required")
	}
	s, j := c.b.findProtected(u.ProtectedRange.ProtectedRangeId)
	if s == nil {
		return nil, invalidRequest(i, kind, "No protected range with id: %d", u.ProtectedRange.ProtectedRangeId)
	}
	wasWarning := s.Protected[j].WarningOnly
	np, err := mergeTyped(s.Protected[j], u.ProtectedRange, u.Fields)
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	switch {
	case np.WarningOnly:
		np.Editors = nil // ignored, as on add
	case wasWarning && np.Editors == nil:
		// Google: from true to false without editors, "the editors will
		// be set to all the editors in the document".
		np.Editors = &sheets.Editors{}
		if c.user != "" && c.user != anonymousUser {
			np.Editors.Users = []string{c.user}
		}
	}
	s.Protected[j] = np
	return nil, nil
}

func buDeleteProtectedRange(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "deleteProtectedRange"
	s, j := c.b.findProtected(r.DeleteProtectedRange.ProtectedRangeId)
	if s == nil {
		return nil, invalidRequest(i, kind, "No protected range with id: %d", r.DeleteProtectedRange.ProtectedRangeId)
	}
	s.Protected = append(s.Protected[:j], s.Protected[j+1:]...)
	return nil, nil
}

func buSetBasicFilter(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "setBasicFilter"
	f := r.SetBasicFilter.Filter
	if f == nil || f.Range == nil {
		return nil, invalidRequest(i, kind, "filter.range is required")
	}
	s, g, err := c.gridFor(i, kind, f.Range)
	if err != nil {
		return nil, err
	}
	// Google stores (and answers) the range completed to the grid: an
	// open side becomes the sheet's bound.
	nf := cloneJSON(f)
	nf.Range = toGridRange(s, g)
	s.BasicFilter = nf
	return nil, nil
}

func buClearBasicFilter(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	s, err := c.sheetFor(i, "clearBasicFilter", r.ClearBasicFilter.SheetId)
	if err != nil {
		return nil, err
	}
	s.BasicFilter = nil
	return nil, nil
}

func buAddConditionalFormatRule(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "addConditionalFormatRule"
	u := r.AddConditionalFormatRule
	if u.Rule == nil || len(u.Rule.Ranges) == 0 {
		return nil, invalidRequest(i, kind, "rule.ranges is required")
	}
	s, err := c.sheetFor(i, kind, u.Rule.Ranges[0].SheetId)
	if err != nil {
		return nil, err
	}
	idx := min(max(int(u.Index), 0), len(s.CondFormats))
	s.CondFormats = append(s.CondFormats[:idx], append([]*sheets.ConditionalFormatRule{cloneJSON(u.Rule)}, s.CondFormats[idx:]...)...)
	return nil, nil
}
