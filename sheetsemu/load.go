package sheetsemu

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"google.golang.org/api/sheets/v4"
)

// Load adds a spreadsheet from a spreadsheets.get-shaped JSON document
// (with or without grid data) and returns its id. The document's
// spreadsheetId is kept when present and unused; otherwise a new id is
// assigned. Effective and formatted values in the document are ignored:
// they are recomputed from userEnteredValue (or taken from effectiveValue
// when a cell has no userEnteredValue).
func (s *Server) Load(r io.Reader) (string, error) {
	var sp sheets.Spreadsheet
	if err := json.NewDecoder(r).Decode(&sp); err != nil {
		return "", fmt.Errorf("load spreadsheet: decode: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := bookFromSpreadsheet(&sp, s.now())
	if err != nil {
		return "", fmt.Errorf("load spreadsheet %q: %w", sp.SpreadsheetId, err)
	}
	if b.ID == "" || s.books[b.ID] != nil {
		b.ID = newSpreadsheetID()
	}
	s.addBook(b)
	return b.ID, nil
}

// bookFromSpreadsheet converts an API Spreadsheet into the internal model.
func bookFromSpreadsheet(sp *sheets.Spreadsheet, now time.Time) (*book, error) {
	b := &book{ID: sp.SpreadsheetId, Props: sp.Properties, Created: now, Modified: now,
		NamedRanges: sp.NamedRanges, DevMeta: sp.DeveloperMetadata}
	if b.Props == nil {
		b.Props = defaultSpreadsheetProps("Untitled spreadsheet")
	} else if b.Props.DefaultFormat != nil && b.Props.SpreadsheetTheme == nil {
		// A spreadsheet from before themes: Google answers it without
		// one (gspread-pandas recordings, 2022).
		b.NoTheme = true
	}
	def := defaultSpreadsheetProps("")
	if b.Props.Locale == "" {
		b.Props.Locale = def.Locale
	}
	if b.Props.TimeZone == "" {
		b.Props.TimeZone = def.TimeZone
	}
	if b.Props.AutoRecalc == "" {
		b.Props.AutoRecalc = def.AutoRecalc
	}
	seen := map[int64]bool{}
	titles := map[string]bool{}
	for i, sh := range sp.Sheets {
		if sh.Properties == nil {
			return nil, fmt.Errorf("sheet %d has no properties", i)
		}
		p := sh.Properties
		if seen[p.SheetId] || titles[p.Title] || p.Title == "" {
			return nil, fmt.Errorf("sheet %d: duplicate or empty id/title (%d, %q)", i, p.SheetId, p.Title)
		}
		seen[p.SheetId], titles[p.Title] = true, true
		if p.SheetType == "" {
			p.SheetType = "GRID"
		}
		if p.GridProperties == nil {
			p.GridProperties = &sheets.GridProperties{}
		}
		s := &sheet{Props: p, Merges: sh.Merges, Protected: sh.ProtectedRanges, DevMeta: sh.DeveloperMetadata,
			RowGroups: sh.RowGroups, ColumnGroups: sh.ColumnGroups, BasicFilter: sh.BasicFilter,
			CondFormats: sh.ConditionalFormats, BandedRanges: sh.BandedRanges, FilterViews: sh.FilterViews}
		maxR, maxC := 0, 0
		for _, gd := range sh.Data {
			r0, c0 := int(gd.StartRow), int(gd.StartColumn)
			for ri, rd := range gd.RowData {
				if rd == nil {
					continue
				}
				for ci, cd := range rd.Values {
					if cd == nil {
						continue
					}
					c := &sheets.CellData{UserEnteredValue: cd.UserEnteredValue, UserEnteredFormat: cd.UserEnteredFormat,
						Note: cd.Note, DataValidation: cd.DataValidation, Hyperlink: cd.Hyperlink, TextFormatRuns: cd.TextFormatRuns}
					if c.UserEnteredValue == nil && cd.EffectiveValue != nil && cd.EffectiveValue.ErrorValue == nil {
						c.UserEnteredValue = cd.EffectiveValue
					}
					if formulaOf(c) != "" && cd.EffectiveValue != nil {
						// Keep Google's calculated value: the emulator's
						// formula engine is a subset, and a loaded sheet's
						// values are the truth (e.g. ru_RU text operands
						// it cannot parse would turn into #VALUE!).
						c.EffectiveValue = cd.EffectiveValue
					}
					s.setCell(r0+ri, c0+ci, c)
					maxR, maxC = max(maxR, r0+ri+1), max(maxC, c0+ci+1)
				}
			}
			for ri, m := range gd.RowMetadata {
				s.RowMeta = setMeta(s.RowMeta, r0+ri, m)
			}
			for ci, m := range gd.ColumnMetadata {
				s.ColMeta = setMeta(s.ColMeta, c0+ci, m)
			}
		}
		g := p.GridProperties
		if int(g.RowCount) < maxR {
			g.RowCount = int64(maxR)
		}
		if int(g.ColumnCount) < maxC {
			g.ColumnCount = int64(maxC)
		}
		if g.RowCount == 0 {
			g.RowCount = defaultRows
		}
		if g.ColumnCount == 0 {
			g.ColumnCount = defaultCols
		}
		b.Sheets = append(b.Sheets, s)
	}
	if len(b.Sheets) == 0 {
		b.Sheets = []*sheet{{Props: newSheetProps(0, "Sheet1", 0)}}
	}
	b.reindex()
	if err := checkCellLimit(b); err != nil {
		return nil, err
	}
	return b, nil
}

func setMeta(meta []*sheets.DimensionProperties, i int, m *sheets.DimensionProperties) []*sheets.DimensionProperties {
	if m == nil || (!m.HiddenByUser && !m.HiddenByFilter && len(m.DeveloperMetadata) == 0 && m.PixelSize == 0) {
		return meta
	}
	for len(meta) <= i {
		meta = append(meta, nil)
	}
	meta[i] = m
	return meta
}

// Snapshot returns the spreadsheet as a spreadsheets.get response with
// grid data, for tests and state files.
func (s *Server) Snapshot(id string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.books[id]
	if b == nil {
		return nil, fmt.Errorf("snapshot %q: %w", id, notFound())
	}
	return renderBook(b, getOpts{gridData: true})
}

// handleCreate serves POST spreadsheets (spreadsheets.create).
func (s *Server) handleCreate(q *apiRequest) (any, error) {
	var sp sheets.Spreadsheet
	if err := q.decode(&sp); err != nil {
		return nil, err
	}
	title := "Untitled spreadsheet"
	if sp.Properties != nil && sp.Properties.Title != "" {
		title = sp.Properties.Title
	}
	var b *book
	if len(sp.Sheets) == 0 {
		b = s.newBook(title)
		if sp.Properties != nil {
			np, err := mergeTyped(b.Props, sp.Properties, "title,locale,timeZone,autoRecalc")
			if err == nil {
				if np.Locale == "" {
					np.Locale = b.Props.Locale
				}
				if np.TimeZone == "" {
					np.TimeZone = b.Props.TimeZone
				}
				if np.AutoRecalc == "" {
					np.AutoRecalc = b.Props.AutoRecalc
				}
				b.Props = np
			}
		}
	} else {
		sp.SpreadsheetId = ""
		for i, sh := range sp.Sheets {
			if sh.Properties == nil {
				sh.Properties = &sheets.SheetProperties{}
			}
			if sh.Properties.Title == "" {
				sh.Properties.Title = fmt.Sprintf("Sheet%d", i+1)
			}
			if sh.Properties.SheetId == 0 && i > 0 {
				sh.Properties.SheetId = s.newObjectID()
			}
		}
		if sp.Properties == nil {
			sp.Properties = defaultSpreadsheetProps(title)
		}
		var err error
		if b, err = bookFromSpreadsheet(&sp, s.now()); err != nil {
			return nil, badRequest("Invalid spreadsheet: %v", err)
		}
		b.ID = newSpreadsheetID()
	}
	if q.user != "" && q.user != anonymousUser {
		b.SharedWith = []string{q.user}
	}
	s.addBook(b)
	q.id = b.ID
	return renderBook(b, getOpts{})
}
