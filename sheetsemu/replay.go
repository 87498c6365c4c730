package sheetsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ReplayResult is the outcome of replaying one cassette.
type ReplayResult struct {
	// Name is the cassette file name without ".json".
	Name string
	// Pass is true when every interaction conformed.
	Pass bool
	// Reason describes the first mismatch when Pass is false.
	Reason string
}

// cassette is the VCR (vcrpy) JSON format gspread records.
type cassette struct {
	Interactions []struct {
		Request struct {
			Method string  `json:"method"`
			URI    string  `json:"uri"`
			Body   *string `json:"body"`
		} `json:"request"`
		Response struct {
			Status struct {
				Code int `json:"code"`
			} `json:"status"`
			Body struct {
				String string `json:"string"`
			} `json:"body"`
		} `json:"response"`
	} `json:"interactions"`
}

// ReplayDir replays every *.json cassette in dir (sorted by name) against
// a fresh emulator each and returns one result per cassette. It fails only
// when the directory cannot be read or holds no cassettes.
func ReplayDir(dir string) ([]ReplayResult, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("replay %q: %w", dir, err)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, fmt.Errorf("replay %q: no cassettes found", dir)
	}
	var out []ReplayResult
	for _, p := range paths {
		out = append(out, ReplayCassette(p))
	}
	return out, nil
}

// ReplayCassette replays one cassette: each recorded request is sent to a
// new in-process emulator with recorded ids replaced by the emulator's,
// and the status code and JSON body are compared structurally. Server
// assigned ids (spreadsheet, sheet, named/protected range, metadata) are
// learned from responses; timestamps, URLs and editor lists are ignored.
func ReplayCassette(path string) ReplayResult {
	name := strings.TrimSuffix(filepath.Base(path), ".json")
	res := ReplayResult{Name: name}
	raw, err := os.ReadFile(path)
	if err != nil {
		res.Reason = err.Error()
		return res
	}
	var c cassette
	if err := json.Unmarshal(raw, &c); err != nil {
		res.Reason = "bad cassette: " + err.Error()
		return res
	}
	r := &replayer{srv: New(Options{Seed: 1}), ids: map[string]string{}, nums: map[float64]float64{}}
	for i, it := range c.Interactions {
		u, err := url.Parse(it.Request.URI)
		if err != nil {
			res.Reason = fmt.Sprintf("#%d: bad uri: %v", i, err)
			return res
		}
		target := r.mapString(u.EscapedPath())
		if u.RawQuery != "" {
			target += "?" + r.mapString(u.RawQuery)
		}
		var body []byte
		if it.Request.Body != nil {
			body = r.mapBody([]byte(*it.Request.Body))
		}
		req := httptest.NewRequest(it.Request.Method, target, bytes.NewReader(body))
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		r.srv.ServeHTTP(rec, req)
		where := fmt.Sprintf("#%d %s %s", i, it.Request.Method, shortURI(it.Request.URI))
		if rec.Code != it.Response.Status.Code {
			res.Reason = fmt.Sprintf("%s: status %d, want %d (%s)", where, rec.Code, it.Response.Status.Code, truncate(strings.TrimSpace(rec.Body.String()), 200))
			return res
		}
		want := strings.TrimSpace(it.Response.Body.String)
		if want == "" {
			continue
		}
		var wv, gv any
		if err := json.Unmarshal([]byte(want), &wv); err != nil {
			continue // non-JSON recorded body: status match is all we can check
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &gv); err != nil {
			res.Reason = fmt.Sprintf("%s: response is not JSON: %v", where, err)
			return res
		}
		if msg := r.compare(wv, gv, "", ""); msg != "" {
			res.Reason = where + ": " + msg
			return res
		}
	}
	res.Pass = true
	return res
}

func shortURI(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://sheets.googleapis.com"), "https://www.googleapis.com")
	return truncate(u, 120)
}

// replayer maps recorded ids to the emulator's while replaying.
type replayer struct {
	srv  *Server
	ids  map[string]string
	nums map[float64]float64
}

// idKeys hold server-assigned string or numeric ids.
var idKeys = map[string]bool{"spreadsheetId": true, "id": true, "sheetId": true, "namedRangeId": true,
	"protectedRangeId": true, "metadataId": true, "sourceSheetId": true, "newSheetId": true}

// ignoredKeys hold volatile values (time stamps, URLs with ids, the
// recording account's e-mail) that cannot match a replay.
var ignoredKeys = map[string]bool{"createdTime": true, "modifiedTime": true, "spreadsheetUrl": true,
	"editors": true, "etag": true, "nextPageToken": true}

func (r *replayer) mapString(s string) string {
	for from, to := range r.ids {
		s = strings.ReplaceAll(s, from, to)
	}
	return s
}

func (r *replayer) mapBody(body []byte) []byte {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []byte(r.mapString(string(body)))
	}
	v = r.mapValue(v, "")
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

func (r *replayer) mapValue(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = r.mapValue(e, k)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = r.mapValue(e, key)
		}
		return x
	case float64:
		if idKeys[key] {
			if m, ok := r.nums[x]; ok {
				return m
			}
		}
		return x
	case string:
		if m, ok := r.ids[x]; ok {
			return m
		}
		return r.mapString(x)
	}
	return v
}

// compare reports the first structural difference between the recorded
// (want) and replayed (got) JSON values, learning id mappings on the way.
func (r *replayer) compare(want, got any, path, key string) string {
	if ignoredKeys[key] {
		return ""
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want object", path, kindOf(got))
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ignoredKeys[k] {
				continue
			}
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing (want %s)", path, k, truncate(jsonString(w[k]), 120))
			}
			if msg := r.compare(w[k], gv, path+"."+k, k); msg != "" {
				return msg
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok && !ignoredKeys[k] {
				return fmt.Sprintf("%s.%s: unexpected (got %s)", path, k, truncate(jsonString(g[k]), 120))
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want array", path, kindOf(got))
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%s: %d elements, want %d (got %s, want %s)", path, len(g), len(w), truncate(jsonString(g), 150), truncate(jsonString(w), 150))
		}
		for i := range w {
			if msg := r.compare(w[i], g[i], fmt.Sprintf("%s[%d]", path, i), key); msg != "" {
				return msg
			}
		}
		return ""
	case float64:
		g, ok := got.(float64)
		if !ok {
			return fmt.Sprintf("%s: got %s, want %v", path, truncate(jsonString(got), 80), w)
		}
		if idKeys[key] {
			if m, ok := r.nums[w]; ok {
				if m != g {
					return fmt.Sprintf("%s: id %v maps to %v, got %v", path, w, m, g)
				}
				return ""
			}
			r.nums[w] = g
			return ""
		}
		if math.Abs(w-g) > 1e-9*math.Max(1, math.Abs(w)) {
			return fmt.Sprintf("%s: got %v, want %v", path, g, w)
		}
		return ""
	case string:
		g, ok := got.(string)
		if !ok {
			return fmt.Sprintf("%s: got %s, want %q", path, truncate(jsonString(got), 80), w)
		}
		if idKeys[key] {
			if m, ok := r.ids[w]; ok {
				if m != g {
					return fmt.Sprintf("%s: id %q maps to %q, got %q", path, w, m, g)
				}
				return ""
			}
			if w != g {
				r.ids[w] = g
			}
			return ""
		}
		if r.mapString(w) != g {
			return fmt.Sprintf("%s: got %q, want %q", path, truncate(g, 200), truncate(w, 200))
		}
		return ""
	default:
		if jsonString(want) != jsonString(got) {
			return fmt.Sprintf("%s: got %s, want %s", path, jsonString(got), jsonString(want))
		}
		return ""
	}
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "nothing"
	}
	return jsonString(v)
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
