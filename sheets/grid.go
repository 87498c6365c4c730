package sheets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
)

// gridFields limits spreadsheets.get to what an import reads: each cell's
// effective value (a formula's result), the text the sheet shows, and its
// number format type (to tell a DATE serial or a PERCENT from a number).
// Everything else (formats, notes, validation) would multiply the payload.
const gridFields = "spreadsheetId,properties(locale,timeZone)," +
	"sheets(properties(title),data(startRow,startColumn," +
	"rowData(values(effectiveValue,formattedValue,effectiveFormat/numberFormat/type))))"

// valueFields is gridFields without formats, for tabs whose column types
// say how to read them: about a third of the bytes.
const valueFields = "spreadsheetId,properties(locale,timeZone)," +
	"sheets(properties(title),data(startRow,startColumn,rowData(values(effectiveValue))))"

var _ syncd.GridReader = (*Client)(nil)

// ReadTabs implements importer.GridReader with ONE spreadsheets.get
// (includeGridData, ranges = the whole tabs, a fields mask) under the
// read quota, with the Client's retries. A tab that does not exist is
// reported by name, at the cost of one extra metadata read on that error
// path only.
func (c *Client) ReadTabs(ctx context.Context, tabs []string, formats bool) (*syncd.Grid, error) {
	fields := valueFields
	if formats {
		fields = gridFields
	}
	ranges := make([]string, len(tabs))
	for i, t := range tabs {
		ranges[i] = QuoteTitle(t)
	}
	var resp *sheets.Spreadsheet
	calls, err := c.call(ctx, kindRead, "spreadsheets.get", func(ctx context.Context) error {
		var err error
		resp, err = c.svc.Spreadsheets.Get(c.id).Ranges(ranges...).IncludeGridData(true).
			Fields(googleapi.Field(fields)).Context(ctx).Do()
		return err
	})
	if err != nil {
		if errors.Is(err, ErrInvalidRequest) {
			if missing, ok := c.missingTab(ctx, tabs); ok {
				return nil, fmt.Errorf("read tabs of spreadsheet %s: spreadsheet has no tab %q", c.id, missing)
			}
		}
		return nil, fmt.Errorf("read tabs of spreadsheet %s: %w", c.id, err)
	}
	g := &syncd.Grid{SpreadsheetID: c.id, Calls: calls}
	if resp.Properties != nil {
		g.TimeZone, g.Locale = resp.Properties.TimeZone, resp.Properties.Locale
	}
	for _, title := range tabs {
		var sh *sheets.Sheet
		for _, s := range resp.Sheets {
			if s != nil && s.Properties != nil && s.Properties.Title == title {
				sh = s
				break
			}
		}
		if sh == nil {
			return nil, fmt.Errorf("read tabs of spreadsheet %s: spreadsheet has no tab %q", c.id, title)
		}
		g.Tabs = append(g.Tabs, syncd.GridTab{Title: title, Rows: gridRows(sh.Data)})
	}
	return g, nil
}

// missingTab finds which of tabs the spreadsheet lacks (one metadata read).
func (c *Client) missingTab(ctx context.Context, tabs []string) (string, bool) {
	info, err := c.Info(ctx)
	if err != nil {
		return "", false
	}
	for _, t := range tabs {
		if _, ok := info.Tab(t); !ok {
			return t, true
		}
	}
	return "", false
}

// gridRows lays the returned grid data out from sheet row 1, column A.
func gridRows(data []*sheets.GridData) [][]syncd.GridCell {
	var rows [][]syncd.GridCell
	for _, gd := range data {
		if gd == nil {
			continue
		}
		for i, rd := range gd.RowData {
			r := int(gd.StartRow) + i
			for len(rows) <= r {
				rows = append(rows, nil)
			}
			if rd == nil {
				continue
			}
			for j, cd := range rd.Values {
				col := int(gd.StartColumn) + j
				for len(rows[r]) <= col {
					rows[r] = append(rows[r], syncd.GridCell{})
				}
				rows[r][col] = gridCell(cd)
			}
		}
	}
	return rows
}

func gridCell(cd *sheets.CellData) syncd.GridCell {
	var out syncd.GridCell
	if cd == nil {
		return out
	}
	out.Formatted = cd.FormattedValue
	if cd.EffectiveFormat != nil && cd.EffectiveFormat.NumberFormat != nil {
		out.Format = cd.EffectiveFormat.NumberFormat.Type
	}
	ev := cd.EffectiveValue
	switch {
	case ev == nil:
	case ev.ErrorValue != nil:
		text := cd.FormattedValue
		if !strings.HasPrefix(text, "#") {
			text = "#" + ev.ErrorValue.Type + "!"
		}
		out.Value = syncd.Cell{Type: syncd.CellError, String: text}
	case ev.NumberValue != nil:
		out.Value = syncd.NumberCell(*ev.NumberValue)
	case ev.BoolValue != nil:
		out.Value = syncd.BoolCell(*ev.BoolValue)
	case ev.StringValue != nil:
		out.Value = syncd.StringCell(*ev.StringValue)
	}
	return out
}
