package sheetsemu

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// buCtx carries one spreadsheets.batchUpdate: the working copy every
// sub-request mutates and the server for id generation.
type buCtx struct {
	s    *Server
	b    *book
	user string
	// rawBytes is the current sub-request; raw is its generic decoding,
	// built lazily because big updateCells requests are costly to decode
	// twice and only a few handlers need to tell 0 from "absent".
	rawBytes json.RawMessage
	raw      map[string]any
}

// rawHas reports whether the current sub-request JSON sets path; it tells
// an explicit 0 apart from an omitted field.
func (c *buCtx) rawHas(path ...string) bool {
	if c.raw == nil {
		_ = json.Unmarshal(c.rawBytes, &c.raw)
	}
	var cur any = c.raw
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[p]; !ok {
			return false
		}
	}
	return cur != nil
}

// subHandler applies one sub-request to the working copy and returns its
// reply (nil for requests without one).
type subHandler func(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error)

// subHandlers maps the Request field name (as in JSON) to its handler.
var subHandlers map[string]subHandler

func init() {
	subHandlers = map[string]subHandler{
		"addSheet":                    buAddSheet,
		"deleteSheet":                 buDeleteSheet,
		"duplicateSheet":              buDuplicateSheet,
		"updateSheetProperties":       buUpdateSheetProperties,
		"updateSpreadsheetProperties": buUpdateSpreadsheetProperties,
		"updateCells":                 buUpdateCells,
		"appendCells":                 buAppendCells,
		"repeatCell":                  buRepeatCell,
		"mergeCells":                  buMergeCells,
		"unmergeCells":                buUnmergeCells,
		"copyPaste":                   buCopyPaste,
		"cutPaste":                    buCutPaste,
		"setDataValidation":           buSetDataValidation,
		"sortRange":                   buSortRange,
		"moveDimension":               buMoveDimension,
		"addFilterView":               buAddFilterView,
		"updateFilterView":            buUpdateFilterView,
		"deleteFilterView":            buDeleteFilterView,
		"duplicateFilterView":         buDuplicateFilterView,
		"insertDimension":             buInsertDimension,
		"deleteDimension":             buDeleteDimension,
		"appendDimension":             buAppendDimension,
		"updateDimensionProperties":   buUpdateDimensionProperties,
		"autoResizeDimensions":        buAutoResizeDimensions,
		"updateBorders":               buNoop,
		"addDimensionGroup":           buAddDimensionGroup,
		"deleteDimensionGroup":        buDeleteDimensionGroup,
		"addNamedRange":               buAddNamedRange,
		"updateNamedRange":            buUpdateNamedRange,
		"deleteNamedRange":            buDeleteNamedRange,
		"addProtectedRange":           buAddProtectedRange,
		"updateProtectedRange":        buUpdateProtectedRange,
		"deleteProtectedRange":        buDeleteProtectedRange,
		"createDeveloperMetadata":     buCreateDeveloperMetadata,
		"updateDeveloperMetadata":     buUpdateDeveloperMetadata,
		"deleteDeveloperMetadata":     buDeleteDeveloperMetadata,
		"setBasicFilter":              buSetBasicFilter,
		"clearBasicFilter":            buClearBasicFilter,
		"addConditionalFormatRule":    buAddConditionalFormatRule,
	}
}

type batchUpdateIn struct {
	// Requests is a list, but Google also takes a single request object
	// and nested lists (see flattenRequests).
	Requests                     json.RawMessage `json:"requests"`
	IncludeSpreadsheetInResponse bool            `json:"includeSpreadsheetInResponse"`
	ResponseRanges               []string        `json:"responseRanges"`
	ResponseIncludeGridData      bool            `json:"responseIncludeGridData"`
}

// handleBatchUpdate serves POST spreadsheets/{id}:batchUpdate. Every
// sub-request is applied to a copy of the spreadsheet; the copy replaces
// the original only when all of them succeed (Google's all-or-nothing
// rule).
func (s *Server) handleBatchUpdate(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	var in batchUpdateIn
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	requests, err := flattenRequests(in.Requests, nil)
	if err != nil {
		return nil, err
	}
	if len(requests) == 0 {
		return nil, badRequest("Must specify at least one request.")
	}
	c := &buCtx{s: s, b: b.clone(), user: q.user}
	replies := make([]any, 0, len(requests))
	for i, raw := range requests {
		var req sheets.Request
		// Google's JSON parser takes proto field names (snake_case) as
		// well as lowerCamel ones; gspread-pandas relies on it.
		if len(raw) < 1<<16 && bytes.IndexByte(raw, '_') >= 0 {
			raw = camelKeys(raw)
		}
		if !decodeFast(raw, &req) {
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, badRequest("Invalid JSON payload received. requests[%d]: %v", i, err)
			}
		}
		c.raw, c.rawBytes = nil, raw
		kind, err := requestKindOf(&req)
		if err != nil {
			return nil, badRequest("Invalid requests[%d]: %v", i, err.Error())
		}
		h := subHandlers[kind]
		if h == nil {
			return nil, invalidRequest(i, kind, "request kind not supported by the emulator")
		}
		resp, err := h(c, i, &req)
		if err != nil {
			return nil, err
		}
		// The request that takes the workbook past 10M cells is the one
		// named in the error, like every other sub-request failure.
		if c.b.cellCount() > maxCells {
			return nil, invalidRequest(i, kind, "This action would increase the number of cells in the workbook above the limit of %d cells.", maxCells)
		}
		if resp == nil {
			replies = append(replies, map[string]any{})
		} else {
			replies = append(replies, replyJSON(resp))
		}
	}
	s.commit(c.b)
	out := map[string]any{"spreadsheetId": b.ID, "replies": replies}
	if in.IncludeSpreadsheetInResponse {
		sp, err := renderBook(c.b, getOpts{gridData: in.ResponseIncludeGridData, ranges: in.ResponseRanges})
		if err != nil {
			return nil, err
		}
		out["updatedSpreadsheet"] = sp
	}
	return out, nil
}

// requestKindOf returns the JSON name of the single kind set in a decoded
// Request, without scanning its (possibly megabytes of) JSON again.
func requestKindOf(r *sheets.Request) (string, error) {
	v := reflect.ValueOf(r).Elem()
	t := v.Type()
	var kinds []string
	for j := 0; j < t.NumField(); j++ {
		f := v.Field(j)
		if f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		name, _, _ := strings.Cut(t.Field(j).Tag.Get("json"), ",")
		kinds = append(kinds, name)
	}
	if len(kinds) != 1 {
		return "", errString("exactly one request kind must be set, got " + strings.Join(kinds, ","))
	}
	return kinds[0], nil
}

// flattenRequests turns the requests value into a list of requests: a
// single object is one request and nested lists are flattened, both of
// which Google accepts (gspread-pandas recording, CONFORMANCE.md).
func flattenRequests(raw json.RawMessage, out []json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	switch raw[0] {
	case '{':
		return append(out, raw), nil
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, badRequest("Invalid JSON payload received. %v", err)
		}
		for _, e := range list {
			var err error
			if out, err = flattenRequests(e, out); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, badRequest("Invalid value at 'requests' (type.googleapis.com/google.apps.sheets.v4.Request), %s", truncate(string(raw), 80))
}

// camelKeys rewrites snake_case object keys to lowerCamel throughout a
// JSON value; values are left alone.
func camelKeys(raw json.RawMessage) json.RawMessage {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[snakeToCamel(k)] = walk(e)
			}
			return out
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		return raw
	}
	return b
}

func snakeToCamel(k string) string {
	if !strings.Contains(k, "_") {
		return k
	}
	var sb strings.Builder
	up := false
	for _, r := range k {
		if r == '_' {
			up = true
			continue
		}
		if up && 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		sb.WriteRune(r)
	}
	return sb.String()
}

type errString string

func (e errString) Error() string { return string(e) }

// replyJSON renders a Response, forcing sheetId/index of SheetProperties
// in addSheet/duplicateSheet replies the way Google emits them.
func replyJSON(r *sheets.Response) any {
	m, _ := toJSONValue(r).(map[string]any)
	fixZeroIndexes(m)
	for _, k := range []string{"addSheet", "duplicateSheet"} {
		if sub, ok := m[k].(map[string]any); ok {
			var p *sheets.SheetProperties
			if r.AddSheet != nil {
				p = r.AddSheet.Properties
			} else if r.DuplicateSheet != nil {
				p = r.DuplicateSheet.Properties
			}
			if p != nil {
				sub["properties"] = sheetPropsJSON(p)
			}
		}
	}
	return m
}

func buNoop(*buCtx, int, *sheets.Request) (*sheets.Response, error) { return nil, nil }

// sheetFor finds the sheet a sub-request addresses.
func (c *buCtx) sheetFor(i int, kind string, id int64) (*sheet, error) {
	s := c.b.sheetByID(id)
	if s == nil {
		return nil, invalidRequest(i, kind, "No grid with id: %d", id)
	}
	return s, nil
}

// applyMask copies the fields named by mask from src to dst (both decoded
// JSON objects); a field missing in src is removed from dst, which is how
// a mask clears values. "*" copies everything.
func applyMask(dst, src map[string]any, mask string) error {
	paths, err := splitMask(mask)
	if err != nil {
		return err
	}
	for _, path := range paths {
		if path == "*" {
			for k := range dst {
				delete(dst, k)
			}
			for k, v := range src {
				dst[k] = v
			}
			continue
		}
		parts := strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '/' })
		setPath(dst, src, parts)
	}
	return nil
}

func setPath(dst, src map[string]any, parts []string) {
	if len(parts) == 0 {
		return
	}
	k := parts[0]
	if len(parts) == 1 {
		if v, ok := src[k]; ok && src != nil {
			dst[k] = v
		} else {
			delete(dst, k)
		}
		return
	}
	var sub map[string]any
	if src != nil {
		sub, _ = src[k].(map[string]any)
	}
	d, _ := dst[k].(map[string]any)
	if d == nil {
		if sub == nil {
			return
		}
		d = map[string]any{}
		dst[k] = d
	}
	setPath(d, sub, parts[1:])
	if len(d) == 0 {
		delete(dst, k)
	}
}

// splitMask splits a mask at top-level commas and expands "a(b,c)" into
// "a.b","a.c".
func splitMask(mask string) ([]string, error) {
	if strings.TrimSpace(mask) == "*" {
		return []string{"*"}, nil
	}
	m, err := parseFieldMask(mask)
	if err != nil {
		return nil, errString("Invalid field mask: " + mask)
	}
	var out []string
	var walk func(prefix string, fm fieldMask)
	walk = func(prefix string, fm fieldMask) {
		for k, sub := range fm {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if sub == nil {
				out = append(out, p)
			} else {
				walk(p, sub)
			}
		}
	}
	walk("", m)
	return out, nil
}

// mergeTyped applies mask from src onto dst for two values of the same
// API struct type, via their JSON forms.
func mergeTyped[T any](dst, src *T, mask string) (*T, error) {
	dm, _ := toJSONValue(dst).(map[string]any)
	if dm == nil {
		dm = map[string]any{}
	}
	sm, _ := toJSONValue(src).(map[string]any)
	if sm == nil {
		sm = map[string]any{}
	}
	if err := applyMask(dm, sm, mask); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(dm)
	if err != nil {
		return nil, err
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

func isZero(v any) bool { return v == nil || reflect.ValueOf(v).IsZero() }

// gridFor resolves a request's required GridRange: the sheet it names and
// the range clamped to it, refusing a missing range or one outside the grid
// with Google's messages.
func (c *buCtx) gridFor(i int, kind string, r *sheets.GridRange) (*sheet, gridRange, error) {
	if r == nil {
		return nil, gridRange{}, invalidRequest(i, kind, "range is required")
	}
	s, err := c.sheetFor(i, kind, r.SheetId)
	if err != nil {
		return nil, gridRange{}, err
	}
	g := fromGridRange(r, s)
	if err := checkInGrid(s, g); err != nil {
		return nil, gridRange{}, invalidRequest(i, kind, "%v", err)
	}
	return s, g, nil
}
