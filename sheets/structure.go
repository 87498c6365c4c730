package sheets

import (
	"fmt"

	"github.com/syncd/syncd"
	"google.golang.org/api/sheets/v4"
)

// The requests that repair a tab's structure: a header row put back,
// columns moved back into the mirror's order, columns of a dropped
// mirrored column removed. None is safe to repeat blindly.

func insertRowsUnits(op syncd.InsertRows) ([]unit, error) {
	if op.SheetID < 0 || op.At < 0 || op.Count <= 0 {
		return nil, fmt.Errorf("InsertRows needs At ≥ 0 and Count > 0, got %d, %d", op.At, op.Count)
	}
	return single(true, insertDimension(op.SheetID, "ROWS", op.At, op.At+op.Count))
}

// moveColumnUnits moves a column with what Google and the emulator both
// accept: a blank column inserted where it goes, the column cut and pasted
// into it (values, formats, notes), the emptied column deleted.
func moveColumnUnits(op syncd.MoveColumn) ([]unit, error) {
	if op.SheetID < 0 || op.From < 0 || op.To < 0 || op.From == op.To {
		return nil, fmt.Errorf("MoveColumn needs two different columns ≥ 0, got %d → %d", op.From, op.To)
	}
	from := op.From
	if op.To < op.From {
		from++ // the insert shifts it right
	}
	to := op.To
	if op.To > op.From {
		to++ // inserted right of the target, so the target ends where asked once From is gone
	}
	cut := &sheets.Request{CutPaste: &sheets.CutPasteRequest{
		Source: &sheets.GridRange{SheetId: op.SheetID, StartColumnIndex: int64(from), EndColumnIndex: int64(from + 1),
			ForceSendFields: []string{"SheetId", "StartColumnIndex"}},
		Destination: &sheets.GridCoordinate{SheetId: op.SheetID, ColumnIndex: int64(to), ForceSendFields: []string{"SheetId", "ColumnIndex", "RowIndex"}},
		PasteType:   "PASTE_NORMAL",
	}}
	return single(true, insertDimension(op.SheetID, "COLUMNS", to, to+1), cut, deleteDimension(op.SheetID, "COLUMNS", from, from+1))
}

func deleteColumnsUnits(op syncd.DeleteColumns) ([]unit, error) {
	if op.SheetID < 0 || op.Start < 0 || op.End <= op.Start {
		return nil, fmt.Errorf("DeleteColumns needs 0 ≤ Start < End, got %d, %d", op.Start, op.End)
	}
	return single(true, deleteDimension(op.SheetID, "COLUMNS", op.Start, op.End))
}

func insertDimension(sheetID int64, dim string, start, end int) *sheets.Request {
	return &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{
		Range: &sheets.DimensionRange{SheetId: sheetID, Dimension: dim, StartIndex: int64(start), EndIndex: int64(end),
			ForceSendFields: []string{"SheetId", "StartIndex"}},
	}}
}

func deleteDimension(sheetID int64, dim string, start, end int) *sheets.Request {
	return &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{
		Range: &sheets.DimensionRange{SheetId: sheetID, Dimension: dim, StartIndex: int64(start), EndIndex: int64(end),
			ForceSendFields: []string{"SheetId", "StartIndex"}},
	}}
}
