package sheets

import (
	"fmt"

	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
)

// protectColumnsUnits turns a ProtectColumns into one add-, update- or
// deleteProtectedRange. The range covers whole columns (no row bounds), so
// rows syncd appends or deletes never need it updated. warningOnly ranges
// take no editors: Google ignores them.
func protectColumnsUnits(op syncd.ProtectColumns) ([]unit, error) {
	if op.SheetID < 0 || op.ID < 0 {
		return nil, fmt.Errorf("ProtectColumns needs a sheet id and an id ≥ 0, got %d %d", op.SheetID, op.ID)
	}
	if op.Remove {
		if op.ID == 0 {
			return nil, fmt.Errorf("ProtectColumns: Remove needs the range's id")
		}
		// Deleting twice fails: not safe to repeat.
		return single(true, &sheets.Request{DeleteProtectedRange: &sheets.DeleteProtectedRangeRequest{ProtectedRangeId: op.ID}})
	}
	if op.Start < 0 || op.End <= op.Start {
		return nil, fmt.Errorf("ProtectColumns needs 0 ≤ Start < End, got [%d, %d)", op.Start, op.End)
	}
	pr := &sheets.ProtectedRange{
		Range: &sheets.GridRange{SheetId: op.SheetID, StartColumnIndex: int64(op.Start), EndColumnIndex: int64(op.End),
			ForceSendFields: []string{"SheetId", "StartColumnIndex"}},
		Description: op.Description,
		WarningOnly: true,
	}
	if op.ID == 0 {
		// Adding twice adds two ranges: not safe to repeat.
		return single(true, &sheets.Request{AddProtectedRange: &sheets.AddProtectedRangeRequest{ProtectedRange: pr}})
	}
	pr.ProtectedRangeId = op.ID
	return single(false, &sheets.Request{UpdateProtectedRange: &sheets.UpdateProtectedRangeRequest{
		ProtectedRange: pr, Fields: "range,description,warningOnly"}})
}

// protectedRanges converts a tab's protected ranges for TabInfo. A range
// given by a named range (no grid range) is listed without bounds.
func protectedRanges(prs []*sheets.ProtectedRange) []syncd.ProtectedRange {
	var out []syncd.ProtectedRange
	for _, p := range prs {
		if p == nil {
			continue
		}
		r := syncd.ProtectedRange{ID: p.ProtectedRangeId, Description: p.Description, WarningOnly: p.WarningOnly}
		if g := p.Range; g != nil {
			r.StartRow, r.EndRow = int(g.StartRowIndex), int(g.EndRowIndex)
			r.StartCol, r.EndCol = int(g.StartColumnIndex), int(g.EndColumnIndex)
		}
		out = append(out, r)
	}
	return out
}
