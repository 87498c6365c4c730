package sheetsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// GoogleSheetsUpstream is Google's Sheets API host; a Recorder in front of
// it sends Drive calls to GoogleDriveUpstream, where Google serves them.
const (
	GoogleSheetsUpstream = "https://sheets.googleapis.com"
	GoogleDriveUpstream  = "https://www.googleapis.com"
)

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	// Upstream is the base URL requests are forwarded to: Google
	// (GoogleSheetsUpstream) or an emulator ("http://127.0.0.1:8787").
	Upstream string
	// DriveUpstream is where Drive calls (/drive/..., /upload/drive/...)
	// go; empty means Upstream, or GoogleDriveUpstream when Upstream is
	// GoogleSheetsUpstream.
	DriveUpstream string
	// Dir is the directory cassettes are written to (created if missing).
	Dir string
	// Secrets are strings to scrub wherever they appear besides what the
	// recorder finds itself (tokens, key ids, e-mails, spreadsheet ids):
	// say a credentials file's private_key_id and client_email.
	Secrets []string
	// Client sends the upstream requests; nil means http.DefaultClient.
	Client *http.Client
	// Logger receives a line per forwarded request; nil discards them.
	Logger *zap.Logger
}

// Recorder is a recording proxy: an http.Handler that forwards every
// request, with the caller's own Authorization, to the upstream and
// writes each request/response pair to the current cassette in the vcrpy
// JSON format ReplayCassette replays. Cassettes are scrubbed as they are
// written (see scrubber). It is safe for concurrent use.
type Recorder struct {
	opts   RecorderOptions
	log    *zap.Logger
	client *http.Client

	// serial makes requests reach the upstream one at a time, so that the
	// cassette's order is the order the upstream applied them in (a
	// replay is sequential; two overlapping requests could otherwise be
	// written in the other order than they took effect).
	serial sync.Mutex
	mu     sync.Mutex
	name   string
	raw    []interaction // the current cassette, unscrubbed, in memory only
	scrub  *scrubber
}

// NewRecorder builds a Recorder writing to opts.Dir, starting a cassette
// named "recording". It fails when Upstream is empty or Dir cannot be
// made.
func NewRecorder(opts RecorderOptions) (*Recorder, error) {
	if opts.Upstream == "" {
		return nil, fmt.Errorf("new recorder: no upstream")
	}
	opts.Upstream = strings.TrimSuffix(opts.Upstream, "/")
	if opts.DriveUpstream == "" {
		opts.DriveUpstream = opts.Upstream
		if opts.Upstream == GoogleSheetsUpstream {
			opts.DriveUpstream = GoogleDriveUpstream
		}
	}
	opts.DriveUpstream = strings.TrimSuffix(opts.DriveUpstream, "/")
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("new recorder: %w", err)
	}
	r := &Recorder{opts: opts, log: opts.Logger, client: opts.Client, name: "recording", scrub: newScrubber(opts.Secrets)}
	if r.log == nil {
		r.log = zap.NewNop()
	}
	if r.client == nil {
		r.client = http.DefaultClient
	}
	return r, nil
}

// Start begins a new cassette, DIR/<name>.json (the previous one is
// already on disk: every interaction rewrites its file). The name must be
// a plain file name.
func (r *Recorder) Start(name string) error {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return fmt.Errorf("start cassette %q: not a plain file name", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.name, r.raw = name, nil
	return nil
}

// droppedHeaders are the request headers never forwarded upstream: the
// hop-by-hop headers and Accept-Encoding (dropped so that the
// transport decompresses and the cassette holds plain text).
var droppedHeaders = map[string]bool{"Accept-Encoding": true, "Connection": true, "Keep-Alive": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true}

// ServeHTTP forwards one request and records it. POST
// /_recorder/cassette?name=NAME starts a new cassette instead; token
// exchanges (/token) and /_emulator/ pages are forwarded but never
// recorded.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/_recorder/cassette" {
		if err := r.Start(req.URL.Query().Get("name")); err != nil {
			writeAPIError(w, badRequest("%v", err))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"cassette": req.URL.Query().Get("name")})
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBodyBytes))
	if err != nil {
		writeAPIError(w, badRequest("read request body: %v", err))
		return
	}
	r.serial.Lock()
	defer r.serial.Unlock()
	status, hdr, respBody, err := r.forward(req, body)
	if err != nil {
		r.log.Warn("upstream failed", zap.String("path", req.URL.Path), zap.Error(err))
		writeAPIError(w, &apiError{Code: http.StatusBadGateway, Status: "UNAVAILABLE", Message: "recorder: " + err.Error()})
		return
	}
	for k, vs := range hdr {
		if k != "Content-Length" && k != "Content-Encoding" && !droppedHeaders[k] {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(respBody)
	if recordable(req.URL.Path) {
		if err := r.record(req, body, status, hdr.Get("Content-Type"), respBody); err != nil {
			r.log.Error("cassette not written", zap.Error(err))
		}
	}
}

func recordable(path string) bool {
	return !strings.HasPrefix(path, "/_emulator/") && path != "/token" && path != "/oauth2/v4/token" && path != "/" && path != "/index.html"
}

func isDrivePath(path string) bool {
	return strings.HasPrefix(path, "/drive/") || strings.HasPrefix(path, "/upload/drive/")
}

// forward sends req (with body) upstream and returns the answer read in
// full.
func (r *Recorder) forward(req *http.Request, body []byte) (int, http.Header, []byte, error) {
	base := r.opts.Upstream
	if isDrivePath(req.URL.Path) {
		base = r.opts.DriveUpstream
	}
	target := base + req.URL.EscapedPath()
	if req.URL.RawQuery != "" {
		target += "?" + req.URL.RawQuery
	}
	out, err := http.NewRequestWithContext(req.Context(), req.Method, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("forward %s: %w", req.URL.Path, err)
	}
	for k, vs := range req.Header {
		if !droppedHeaders[k] {
			out.Header[k] = vs
		}
	}
	resp, err := r.client.Do(out)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("forward %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("forward %s: read answer: %w", req.URL.Path, err)
	}
	r.log.Debug("recorded", zap.String("method", req.Method), zap.String("path", req.URL.Path), zap.Int("status", resp.StatusCode))
	return resp.StatusCode, resp.Header, data, nil
}

// record appends one interaction and rewrites the current cassette,
// scrubbed, atomically.
func (r *Recorder) record(req *http.Request, body []byte, status int, contentType string, respBody []byte) error {
	host := GoogleSheetsUpstream
	if isDrivePath(req.URL.Path) {
		host = GoogleDriveUpstream
	}
	var it interaction
	it.Request.Method = req.Method
	it.Request.URI = host + req.URL.EscapedPath()
	if req.URL.RawQuery != "" {
		it.Request.URI += "?" + req.URL.RawQuery
	}
	if len(body) > 0 {
		b := string(body)
		it.Request.Body = &b
	}
	it.Response.Status.Code = status
	it.Response.Body.String = string(respBody)
	it.contentType = contentType

	r.mu.Lock()
	defer r.mu.Unlock()
	r.scrub.learn(&it)
	r.raw = append(r.raw, it)
	return r.writeLocked()
}

// recordedCassette is the vcrpy shape written to disk.
type recordedCassette struct {
	Version      int                   `json:"version"`
	Interactions []recordedInteraction `json:"interactions"`
}

type recordedInteraction struct {
	Request struct {
		Method  string              `json:"method"`
		URI     string              `json:"uri"`
		Body    *string             `json:"body"`
		Headers map[string][]string `json:"headers"`
	} `json:"request"`
	Response struct {
		Status struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
		Headers map[string][]string `json:"headers"`
		Body    struct {
			String string `json:"string"`
		} `json:"body"`
	} `json:"response"`
}

// writeLocked scrubs the current cassette with everything learned so far
// (an id learned late is scrubbed from earlier interactions too) and
// writes it; callers hold r.mu. Request headers are never written: they
// carry the caller's token.
func (r *Recorder) writeLocked() error {
	c := recordedCassette{Version: 1, Interactions: make([]recordedInteraction, len(r.raw))}
	for i, it := range r.raw {
		out := &c.Interactions[i]
		out.Request.Method = it.Request.Method
		out.Request.URI = r.scrub.text(it.Request.URI)
		if it.Request.Body != nil {
			b := r.scrub.text(*it.Request.Body)
			out.Request.Body = &b
		}
		out.Request.Headers = map[string][]string{}
		out.Response.Status.Code = it.Response.Status.Code
		out.Response.Status.Message = http.StatusText(it.Response.Status.Code)
		out.Response.Headers = map[string][]string{}
		if it.contentType != "" {
			out.Response.Headers["Content-Type"] = []string{it.contentType}
		}
		out.Response.Body.String = r.scrub.text(it.Response.Body.String)
	}
	data, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return fmt.Errorf("write cassette %s: %w", r.name, err)
	}
	path := filepath.Join(r.opts.Dir, r.name+".json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write cassette %s: %w", r.name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write cassette %s: %w", r.name, err)
	}
	return nil
}

// scrubber replaces secrets and identifying values with placeholders. The
// same value always gets the same placeholder (across cassettes of one
// Recorder), so a scrubbed request still addresses what the scrubbed
// response created and a replay still matches.
type scrubber struct {
	secrets []string
	ids     map[string]string // spreadsheet and Drive file ids
	emails  map[string]string
	keyIDs  map[string]string
}

func newScrubber(secrets []string) *scrubber {
	s := &scrubber{ids: map[string]string{}, emails: map[string]string{}, keyIDs: map[string]string{}}
	for _, v := range secrets {
		// Too short a value would scrub ordinary words out of cells.
		if len(v) >= 6 {
			s.secrets = append(s.secrets, v)
		}
	}
	return s
}

var (
	pemKeys       = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`)
	accessTokens  = regexp.MustCompile(`ya29\.[A-Za-z0-9_\-.]+`)
	jwts          = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	queryKeys     = regexp.MustCompile(`\b(key|access_token)=[A-Za-z0-9_\-.]+`)
	emails        = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	hexKeyIDs     = regexp.MustCompile(`\b[0-9a-f]{40}\b`)
	projectNums   = regexp.MustCompile(`(project_number:|projects/|project=|in project |"containerInfo":")[0-9]{3,}`)
	driveFilePath = regexp.MustCompile(`/(?:spreadsheets|files)/([A-Za-z0-9_-]{25,})`)
	fileIDField   = regexp.MustCompile(`"(?:spreadsheetId|id)":\s*"([A-Za-z0-9_-]{25,})"`)
)

// learn notes the spreadsheet and Drive file ids of one interaction: from
// its path and from spreadsheetId / id fields of either body.
func (s *scrubber) learn(it *interaction) {
	var found []string
	for _, m := range driveFilePath.FindAllStringSubmatch(it.Request.URI, -1) {
		found = append(found, m[1])
	}
	texts := []string{it.Response.Body.String}
	if it.Request.Body != nil {
		texts = append(texts, *it.Request.Body)
	}
	for _, t := range texts {
		for _, m := range fileIDField.FindAllStringSubmatch(t, -1) {
			found = append(found, m[1])
		}
	}
	for _, id := range found {
		if _, ok := s.ids[id]; !ok {
			s.ids[id] = fmt.Sprintf("SCRUBBED_SPREADSHEET_ID_%04d", len(s.ids)+1)
		}
	}
}

// text scrubs one string: given secrets, private keys, access tokens and
// JWTs, API keys in queries, key ids, e-mail addresses, project numbers
// and the learned spreadsheet ids.
func (s *scrubber) text(v string) string {
	for i, sec := range s.secrets {
		v = strings.ReplaceAll(v, sec, fmt.Sprintf("SCRUBBED_SECRET_%d", i+1))
	}
	v = pemKeys.ReplaceAllString(v, "SCRUBBED PRIVATE KEY")
	v = accessTokens.ReplaceAllString(v, "ya29.SCRUBBED")
	v = jwts.ReplaceAllString(v, "SCRUBBED.JWT.TOKEN")
	v = queryKeys.ReplaceAllString(v, "${1}=SCRUBBED")
	v = emails.ReplaceAllStringFunc(v, func(e string) string { return stable(s.emails, e, "scrubbed%04d@example.com") })
	v = hexKeyIDs.ReplaceAllStringFunc(v, func(k string) string { return stable(s.keyIDs, k, "SCRUBBED_KEY_ID_%04d") })
	v = projectNums.ReplaceAllString(v, "${1}"+DefaultProjectNumber)
	for id, ph := range s.ids {
		v = strings.ReplaceAll(v, id, ph)
	}
	return v
}

// stable returns m[v], first assigning it the next numbered placeholder.
func stable(m map[string]string, v, format string) string {
	if p, ok := m[v]; ok {
		return p
	}
	p := fmt.Sprintf(format, len(m)+1)
	m[v] = p
	return p
}

// CredentialSecrets returns the identifying fields of a service-account
// JSON file (private_key_id, client_email, client_id, project_id), for
// RecorderOptions.Secrets.
func CredentialSecrets(raw []byte) ([]string, error) {
	var c serviceAccountFile
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("credential secrets: %w", err)
	}
	return []string{c.PrivateKeyID, c.ClientEmail, c.ClientID, c.ProjectID}, nil
}
