package sheetsemu

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/api/sheets/v4"
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
	Interactions []interaction `json:"interactions"`
}

type interaction struct {
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
	// contentType is the answer's Content-Type while a Recorder holds
	// the interaction; it is not read from cassettes.
	contentType string
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
	c, err := parseCassette(raw)
	if err != nil {
		res.Reason = "bad cassette: " + err.Error()
		return res
	}
	r := &replayer{srv: New(Options{Seed: 1}), ids: map[string]string{}, nums: map[float64]float64{}}
	r.seed(c)
	r.seedDrive(c)
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
		if it.Response.Status.Code == http.StatusTooManyRequests {
			// Google's quota ran out at this point of the recording: run
			// the request through the emulator with its quota exhausted.
			r.srv.exhaustQuota()
		}
		disabled := recordedDisabledAPI(it.Response.Status.Code, it.Response.Body.String)
		if disabled != "" {
			// The project had this API switched off when this was recorded.
			_ = r.srv.DisableAPI(disabled)
		}
		r.srv.ServeHTTP(rec, req)
		if disabled != "" {
			_ = r.srv.EnableAPI(disabled)
		}
		r.srv.SetQuota(0, 0)
		if it.Response.Status.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") != "" {
			res.Reason = fmt.Sprintf("#%d: 429 with Retry-After, the recording has none", i)
			return res
		}
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

// betamax is the cassette format of Python's betamax (gspread-pandas):
// bodies are plain strings or base64, gzip-compressed when the recorded
// Content-Encoding says so.
type betamax struct {
	Interactions []struct {
		Request struct {
			Method string      `json:"method"`
			URI    string      `json:"uri"`
			Body   betamaxBody `json:"body"`
		} `json:"request"`
		Response struct {
			Status struct {
				Code int `json:"code"`
			} `json:"status"`
			Headers map[string][]string `json:"headers"`
			Body    betamaxBody         `json:"body"`
		} `json:"response"`
	} `json:"http_interactions"`
}

type betamaxBody struct {
	String string `json:"string"`
	Base64 string `json:"base64_string"`
}

func (b betamaxBody) text(gz bool) (string, error) {
	if b.Base64 == "" {
		return b.String, nil
	}
	raw, err := base64.StdEncoding.DecodeString(b.Base64)
	if err != nil {
		return "", err
	}
	if gz || (len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return "", err
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return "", err
		}
	}
	return string(raw), nil
}

// parseCassette reads a vcrpy (gspread) or betamax (gspread-pandas)
// cassette into one shape.
func parseCassette(raw []byte) (*cassette, error) {
	var probe struct {
		HTTP json.RawMessage `json:"http_interactions"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, err
	}
	var c cassette
	if probe.HTTP == nil {
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return &c, nil
	}
	var bm betamax
	if err := json.Unmarshal(raw, &bm); err != nil {
		return nil, err
	}
	c.Interactions = make([]interaction, len(bm.Interactions))
	for i, it := range bm.Interactions {
		out := &c.Interactions[i]
		out.Request.Method, out.Request.URI = it.Request.Method, it.Request.URI
		body, err := it.Request.Body.text(false)
		if err != nil {
			return nil, fmt.Errorf("interaction %d request: %w", i, err)
		}
		if body != "" {
			out.Request.Body = &body
		}
		gz := false
		for _, v := range it.Response.Headers["Content-Encoding"] {
			gz = gz || v == "gzip"
		}
		resp, err := it.Response.Body.text(gz)
		if err != nil {
			return nil, fmt.Errorf("interaction %d response: %w", i, err)
		}
		out.Response.Status.Code = it.Response.Status.Code
		out.Response.Body.String = resp
	}
	return &c, nil
}

// seed loads the spreadsheet a cassette works on when the recording
// starts from one that already existed (gspread-pandas opens a shared
// test spreadsheet instead of creating one): the first recorded
// spreadsheets.get answer becomes the emulator's state, under the
// recorded id. Cell values that were never read with grid data cannot be
// restored; those interactions then fail and are reported.
func (r *replayer) seed(c *cassette) {
	for _, it := range c.Interactions {
		u, err := url.Parse(it.Request.URI)
		if err != nil {
			return
		}
		p := u.Path
		if it.Request.Method == "POST" && (strings.HasSuffix(p, "/v4/spreadsheets") || strings.HasPrefix(p, "/drive/v3/files") && !strings.Contains(p, "/files/")) {
			return // the cassette creates its spreadsheet
		}
		if !strings.HasPrefix(p, "/v4/spreadsheets/") {
			continue
		}
		id, rest, _ := strings.Cut(strings.TrimPrefix(p, "/v4/spreadsheets/"), "/")
		id, _, _ = strings.Cut(id, ":")
		if it.Request.Method != "GET" || rest != "" || it.Response.Status.Code != 200 {
			// The recording starts inside a spreadsheet it never shows:
			// assume a new one (Sheet1, 1000x26) under the recorded id.
			r.srv.mu.Lock()
			b := r.srv.newBook("")
			b.ID = id
			r.srv.addBook(b)
			r.srv.mu.Unlock()
			return
		}
		var sp sheets.Spreadsheet
		if err := json.Unmarshal([]byte(it.Response.Body.String), &sp); err != nil {
			return
		}
		if sp.SpreadsheetId == "" {
			// A fields mask (fields=sheets.properties) left the id out.
			sp.SpreadsheetId = id
		}
		b, err := bookFromSpreadsheet(&sp, r.srv.now())
		if err != nil {
			return
		}
		b.ID = sp.SpreadsheetId
		r.srv.mu.Lock()
		r.srv.addBook(b)
		r.srv.mu.Unlock()
		return
	}
}

// exhaustQuota leaves no read or write token (at a limit of 60 per minute
// per user, Google's default) for the anonymous replay user.
func (s *Server) exhaustQuota() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota = newQuotas(60, 60)
	s.quota.project = s.projectNumber()
	now := s.now()
	for _, w := range []bool{false, true} {
		for s.quota.take("anonymous", w, now) == nil {
		}
	}
}

// recordedDisabledAPI names the API a recorded 403 SERVICE_DISABLED answer
// was about, or "" for any other answer.
func recordedDisabledAPI(code int, body string) string {
	if code != http.StatusForbidden || !strings.Contains(body, "accessNotConfigured") {
		return ""
	}
	if strings.Contains(body, "drive.googleapis.com") {
		return APIDrive
	}
	if strings.Contains(body, "sheets.googleapis.com") {
		return APISheets
	}
	return ""
}

// projectNumbers are the recording account's Cloud project, which a replay
// cannot reproduce.
var projectNumbers = regexp.MustCompile(`(project_number:|projects/)[0-9]+`)

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
// Drive's file "version" is one of them: Google moves it by an amount of
// its own per change, which a replay cannot reproduce (CONFORMANCE.md).
var ignoredKeys = map[string]bool{"createdTime": true, "modifiedTime": true, "spreadsheetUrl": true,
	"editors": true, "etag": true, "nextPageToken": true, "version": true}

// newerKeys are fields Google added after some recordings were made: the
// emulator sends them (quota_limit_value is in 2023+ 429 bodies, see
// CONFORMANCE.md) and an older recording's lack of them is no mismatch.
var newerKeys = map[string]bool{"quota_limit_value": true}

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
			if _, ok := w[k]; !ok && !ignoredKeys[k] && !newerKeys[k] {
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
		if projectNumbers.ReplaceAllString(r.mapString(w), "${1}N") != projectNumbers.ReplaceAllString(g, "${1}N") {
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

// seedDrive restores the recording account's Drive as far as the
// recording shows it before changing it: the id of "My Drive" from the
// first files/root answer, and the folders of the first folder listing
// (gspread-pandas looks both up before opening its spreadsheet).
func (r *replayer) seedDrive(c *cassette) {
	rootSeen, foldersSeen := false, false
	for _, it := range c.Interactions {
		u, err := url.Parse(it.Request.URI)
		if err != nil || it.Request.Method != "GET" || it.Response.Status.Code != 200 {
			continue
		}
		switch {
		case !rootSeen && u.Path == "/drive/v3/files/root":
			rootSeen = true
			var f struct {
				ID string `json:"id"`
			}
			if json.Unmarshal([]byte(it.Response.Body.String), &f) == nil && f.ID != "" {
				r.srv.rootID = f.ID
			}
		case !foldersSeen && u.Path == "/drive/v3/files" && driveQueryMime(u.Query().Get("q")) == folderMime:
			foldersSeen = true
			var list struct {
				Files []struct {
					ID      string   `json:"id"`
					Name    string   `json:"name"`
					Parents []string `json:"parents"`
				} `json:"files"`
			}
			if json.Unmarshal([]byte(it.Response.Body.String), &list) != nil {
				continue
			}
			for _, f := range list.Files {
				r.srv.seedDriveFolder(f.ID, f.Name, f.Parents)
			}
		}
	}
}
