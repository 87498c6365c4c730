package sheets

import (
	"encoding/json"
	"fmt"

	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
)

// DefaultMaxRequestBytes is the JSON body size Apply keeps each
// batchUpdate under: Google's recommended maximum is 2 MB.
const DefaultMaxRequestBytes = 2_000_000

// newTabRows and newTabCols are the grid of a tab added without sizes.
const (
	newTabRows = syncd.NewTabRows
	newTabCols = syncd.NewTabCols
)

// Field masks. WriteRows touches values only, so formats set on whole
// columns (and anything people did to the cells' look) stay.
const (
	fieldsValues       = "userEnteredValue"
	fieldsAppend       = "userEnteredValue"
	fieldsHeader       = "userEnteredValue,userEnteredFormat.textFormat.bold"
	fieldsNumberFormat = "userEnteredFormat.numberFormat"
	fieldsFrozenRows   = "gridProperties.frozenRowCount"
)

// unit is requests that must go in the same batchUpdate, with the size of
// their JSON encoding. Row requests are built only when their batch is
// sent, so that a 100,000-row op never holds more than one batch of
// sheets.CellData (a few hundred bytes each) in memory at once.
type unit struct {
	reqs     []func() *sheets.Request
	size     int
	once     bool // appends/deletes rows or adds a tab: not safe to repeat
	withNext bool // an AddTab: keep it in the batch of what follows
}

// built wraps a request that exists already.
func built(r *sheets.Request) func() *sheets.Request { return func() *sheets.Request { return r } }

// planBatches turns ops into the bodies of as few batchUpdates as the size
// limit allows, keeping op order. Large WriteRows and AppendRows are cut
// into row chunks; an AddTab stays with the start of the next op when the
// two fit together.
func planBatches(ops []syncd.Op, maxBytes int) ([]batch, error) {
	var units []unit
	for i, op := range ops {
		us, err := opUnits(op, maxBytes)
		if err != nil {
			return nil, fmt.Errorf("op %d (%T): %w", i, op, err)
		}
		units = append(units, us...)
	}
	const overhead = len(`{"requests":[]}`)
	var out []batch
	cur := batch{size: overhead}
	for i := 0; i < len(units); i++ {
		u := units[i]
		if u.withNext && i+1 < len(units) && u.size+1+units[i+1].size+overhead <= maxBytes {
			n := units[i+1]
			u = unit{reqs: append(u.reqs[:len(u.reqs):len(u.reqs)], n.reqs...), size: u.size + 1 + n.size, once: u.once || n.once}
			i++
		}
		if len(cur.reqs) > 0 && cur.size+1+u.size > maxBytes {
			out = append(out, cur)
			cur = batch{size: overhead}
		}
		if len(cur.reqs) > 0 {
			cur.size++ // comma
		}
		cur.reqs = append(cur.reqs, u.reqs...)
		cur.size += u.size
		cur.once = cur.once || u.once
	}
	if len(cur.reqs) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// batch is the requests of one batchUpdate and its estimated body size.
type batch struct {
	reqs []func() *sheets.Request
	size int
	once bool
}

// requests builds the batch's requests.
func (b batch) requests() []*sheets.Request {
	out := make([]*sheets.Request, len(b.reqs))
	for i, mk := range b.reqs {
		out[i] = mk()
	}
	return out
}

func opUnits(op syncd.Op, maxBytes int) ([]unit, error) {
	switch op := op.(type) {
	case syncd.AddTab:
		return addTabUnits(op)
	case *syncd.AddTab:
		if op != nil {
			return addTabUnits(*op)
		}
	case syncd.WriteRows:
		return writeRowsUnits(op, maxBytes)
	case *syncd.WriteRows:
		if op != nil {
			return writeRowsUnits(*op, maxBytes)
		}
	case syncd.AppendRows:
		return appendRowsUnits(op, maxBytes)
	case *syncd.AppendRows:
		if op != nil {
			return appendRowsUnits(*op, maxBytes)
		}
	case syncd.DeleteRows:
		return deleteRowsUnits(op)
	case *syncd.DeleteRows:
		if op != nil {
			return deleteRowsUnits(*op)
		}
	case syncd.KeepRows:
		return keepRowsUnits(op)
	case syncd.SortRows:
		return sortRowsUnits(op)
	case syncd.GrowGrid:
		return growGridUnits(op)
	case syncd.InsertColumns:
		return insertColumnsUnits(op)
	case syncd.InsertRows:
		return insertRowsUnits(op)
	case syncd.MoveColumn:
		return moveColumnUnits(op)
	case syncd.DeleteColumns:
		return deleteColumnsUnits(op)
	case syncd.ProtectColumns:
		return protectColumnsUnits(op)
	case syncd.RenameTab:
		return renameTabUnits(op)
	case *syncd.RenameTab:
		if op != nil {
			return renameTabUnits(*op)
		}
	case syncd.FormatColumns:
		return formatUnits(op.SheetID, op.Header, op.Formats)
	case *syncd.FormatColumns:
		if op != nil {
			return formatUnits(op.SheetID, op.Header, op.Formats)
		}
	}
	return nil, fmt.Errorf("unsupported op %#v", op)
}

func single(once bool, reqs ...*sheets.Request) ([]unit, error) {
	u := unit{once: once}
	for _, r := range reqs {
		u.reqs = append(u.reqs, built(r))
		n, err := jsonSize(r)
		if err != nil {
			return nil, err
		}
		u.size += n + 1
	}
	u.size--
	return []unit{u}, nil
}

func jsonSize(v any) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode request: %w", err)
	}
	return len(b), nil
}

func addTabUnits(op syncd.AddTab) ([]unit, error) {
	if op.SheetID <= 0 || op.Title == "" {
		return nil, fmt.Errorf("AddTab needs a positive SheetID and a title, got %d %q", op.SheetID, op.Title)
	}
	cols := max(newTabCols, len(op.Header), len(op.Formats))
	rows := newTabRows
	if op.Cols > 0 {
		cols = max(op.Cols, len(op.Header), len(op.Formats))
	}
	if op.Rows > 0 {
		rows = op.Rows
	}
	props := &sheets.SheetProperties{
		SheetId: op.SheetID,
		Title:   op.Title,
		Hidden:  op.Hidden,
		GridProperties: &sheets.GridProperties{
			RowCount:    int64(rows),
			ColumnCount: int64(cols),
		},
	}
	reqs := []*sheets.Request{{AddSheet: &sheets.AddSheetRequest{Properties: props}}}
	reqs = append(reqs, headerRequests(op.SheetID, op.Header, op.Formats)...)
	if n := max(len(op.Header), len(op.Formats)); n > 0 {
		reqs = append(reqs, &sheets.Request{AutoResizeDimensions: &sheets.AutoResizeDimensionsRequest{
			Dimensions: &sheets.DimensionRange{SheetId: op.SheetID, Dimension: "COLUMNS", StartIndex: 0, EndIndex: int64(n),
				ForceSendFields: []string{"SheetId", "StartIndex"}},
		}})
	}
	us, err := single(true, reqs...)
	if err != nil {
		return nil, err
	}
	us[0].withNext = true
	return us, nil
}

func formatUnits(sheetID int64, header []string, formats []syncd.NumberFormat) ([]unit, error) {
	if sheetID < 0 {
		return nil, fmt.Errorf("negative SheetID %d", sheetID)
	}
	reqs := headerRequests(sheetID, header, formats)
	if len(reqs) == 0 {
		return nil, nil
	}
	return single(false, reqs...)
}

// headerRequests writes the bold header row, freezes it, and sets each
// column's number format below it.
func headerRequests(sheetID int64, header []string, formats []syncd.NumberFormat) []*sheets.Request {
	var reqs []*sheets.Request
	if len(header) > 0 {
		row := &sheets.RowData{}
		for _, h := range header {
			row.Values = append(row.Values, &sheets.CellData{
				UserEnteredValue:  &sheets.ExtendedValue{StringValue: &h},
				UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}},
			})
		}
		reqs = append(reqs,
			&sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
				Start: coord(sheetID, 0, 0), Rows: []*sheets.RowData{row}, Fields: fieldsHeader,
			}},
			&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
				Properties: &sheets.SheetProperties{SheetId: sheetID, ForceSendFields: []string{"SheetId"},
					GridProperties: &sheets.GridProperties{FrozenRowCount: 1}},
				Fields: fieldsFrozenRows,
			}})
	}
	return append(reqs, columnFormats(sheetID, formats)...)
}

// columnFormats sets each column's number format from row 2 to the end
// of the grid, one repeatCell per run of equal formats.
func columnFormats(sheetID int64, formats []syncd.NumberFormat) []*sheets.Request {
	return columnFormatsFrom(sheetID, formats, 1)
}

// columnFormatsFrom is columnFormats from row fromRow (0-based) down.
func columnFormatsFrom(sheetID int64, formats []syncd.NumberFormat, fromRow int) []*sheets.Request {
	var reqs []*sheets.Request
	for start := 0; start < len(formats); {
		end := start + 1
		for end < len(formats) && formats[end] == formats[start] {
			end++
		}
		if f := formats[start]; f != (syncd.NumberFormat{}) {
			reqs = append(reqs, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
				Range: &sheets.GridRange{SheetId: sheetID, StartRowIndex: int64(fromRow), StartColumnIndex: int64(start), EndColumnIndex: int64(end),
					ForceSendFields: []string{"SheetId", "StartColumnIndex"}},
				Cell:   &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{NumberFormat: numberFormat(f)}},
				Fields: fieldsNumberFormat,
			}})
		}
		start = end
	}
	return reqs
}

func numberFormat(f syncd.NumberFormat) *sheets.NumberFormat {
	return &sheets.NumberFormat{Type: f.Type, Pattern: f.Pattern}
}

func coord(sheetID int64, row, col int) *sheets.GridCoordinate {
	return &sheets.GridCoordinate{SheetId: sheetID, RowIndex: int64(row), ColumnIndex: int64(col),
		ForceSendFields: []string{"SheetId", "RowIndex", "ColumnIndex"}}
}

func deleteRowsUnits(op syncd.DeleteRows) ([]unit, error) {
	if op.SheetID < 0 || op.Start < 0 || op.End <= op.Start {
		return nil, fmt.Errorf("DeleteRows needs 0 ≤ Start < End, got [%d, %d)", op.Start, op.End)
	}
	return single(true, &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{
		Range: &sheets.DimensionRange{SheetId: op.SheetID, Dimension: "ROWS", StartIndex: int64(op.Start), EndIndex: int64(op.End),
			ForceSendFields: []string{"SheetId", "StartIndex"}},
	}})
}

// keepRowsUnits copies rows to another tab with copyPaste PASTE_VALUES:
// the values, without formats or formulas (a formula's result).
func keepRowsUnits(op syncd.KeepRows) ([]unit, error) {
	if op.SheetID < 0 || op.ToSheetID < 0 || op.From < 0 || op.To <= op.From || op.Cols <= 0 || op.At < 0 {
		return nil, fmt.Errorf("KeepRows needs rows [From, To), Cols > 0 and At ≥ 0, got %+v", op)
	}
	return single(false, &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{
		Source: &sheets.GridRange{SheetId: op.SheetID, StartRowIndex: int64(op.From), EndRowIndex: int64(op.To),
			StartColumnIndex: 0, EndColumnIndex: int64(op.Cols), ForceSendFields: []string{"SheetId", "StartRowIndex", "StartColumnIndex"}},
		Destination: &sheets.GridRange{SheetId: op.ToSheetID, StartRowIndex: int64(op.At), EndRowIndex: int64(op.At + op.To - op.From),
			StartColumnIndex: 0, EndColumnIndex: int64(op.Cols), ForceSendFields: []string{"SheetId", "StartRowIndex", "StartColumnIndex"}},
		PasteType: "PASTE_VALUES",
	}})
}

func renameTabUnits(op syncd.RenameTab) ([]unit, error) {
	if op.SheetID < 0 || op.Title == "" {
		return nil, fmt.Errorf("RenameTab needs a sheet id and a title, got %d %q", op.SheetID, op.Title)
	}
	return single(false, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
		Properties: &sheets.SheetProperties{SheetId: op.SheetID, Title: op.Title, ForceSendFields: []string{"SheetId"}},
		Fields:     "title",
	}})
}

// sortRowsUnits sorts every row below the header across the whole grid
// width, so that columns people added to the right move with their row.
func sortRowsUnits(op syncd.SortRows) ([]unit, error) {
	if op.SheetID < 0 || len(op.Columns) == 0 {
		return nil, fmt.Errorf("SortRows needs a sheet id and columns, got %d %v", op.SheetID, op.Columns)
	}
	specs := make([]*sheets.SortSpec, len(op.Columns))
	for i, c := range op.Columns {
		specs[i] = &sheets.SortSpec{DimensionIndex: int64(c), SortOrder: "ASCENDING", ForceSendFields: []string{"DimensionIndex"}}
	}
	return single(false, &sheets.Request{SortRange: &sheets.SortRangeRequest{
		Range:     &sheets.GridRange{SheetId: op.SheetID, StartRowIndex: 1, ForceSendFields: []string{"SheetId"}},
		SortSpecs: specs,
	}})
}

// growGridUnits appends rows and columns at the end of the grid
// (appendDimension), which shifts nothing: it may go anywhere before the
// writes that need the room.
func growGridUnits(op syncd.GrowGrid) ([]unit, error) {
	if op.SheetID < 0 || op.Rows < 0 || op.Cols < 0 {
		return nil, fmt.Errorf("GrowGrid needs a sheet id and sizes ≥ 0, got %d %d×%d", op.SheetID, op.Rows, op.Cols)
	}
	var reqs []*sheets.Request
	if op.Rows > 0 {
		reqs = append(reqs, &sheets.Request{AppendDimension: &sheets.AppendDimensionRequest{
			SheetId: op.SheetID, Dimension: "ROWS", Length: int64(op.Rows), ForceSendFields: []string{"SheetId"}}})
	}
	if op.Cols > 0 {
		reqs = append(reqs, &sheets.Request{AppendDimension: &sheets.AppendDimensionRequest{
			SheetId: op.SheetID, Dimension: "COLUMNS", Length: int64(op.Cols), ForceSendFields: []string{"SheetId"}}})
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	// Growing twice grows twice: not safe to repeat blindly.
	return single(true, reqs...)
}

// insertColumnsUnits inserts empty columns that inherit nothing: the
// mirror rewrites them, formats included.
func insertColumnsUnits(op syncd.InsertColumns) ([]unit, error) {
	if op.SheetID < 0 || op.At < 0 || op.Count <= 0 {
		return nil, fmt.Errorf("InsertColumns needs At ≥ 0 and Count > 0, got %d, %d", op.At, op.Count)
	}
	return single(true, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{
		Range: &sheets.DimensionRange{SheetId: op.SheetID, Dimension: "COLUMNS", StartIndex: int64(op.At), EndIndex: int64(op.At + op.Count),
			ForceSendFields: []string{"SheetId", "StartIndex"}},
	}})
}
