package sheetsemu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const spreadsheetMime = "application/vnd.google-apps.spreadsheet"

// routeDrive maps the Drive v3 file calls used to create, inspect, list
// and delete spreadsheets.
func (s *Server) routeDrive(q *apiRequest, path string) (handlerFunc, error) {
	rest := strings.TrimPrefix(strings.TrimPrefix(path, "/drive/v3/files"), "/")
	m := q.r.Method
	q.isWrite = m != http.MethodGet
	q.drive = true
	if rest == "" {
		switch m {
		case http.MethodPost:
			return s.handleDriveCreate, nil
		case http.MethodGet:
			return s.handleDriveList, nil
		}
		return nil, notFound()
	}
	id, verb, _ := strings.Cut(rest, "/")
	id, err := url.PathUnescape(id)
	if err != nil {
		return nil, notFound()
	}
	q.id = id
	switch {
	case verb == "" && m == http.MethodGet:
		return s.handleDriveGet, nil
	case verb == "" && m == http.MethodDelete:
		return s.handleDriveDelete, nil
	case verb == "" && m == http.MethodPatch:
		return s.handleDrivePatch, nil
	case verb == "copy" && m == http.MethodPost:
		return s.handleDriveCopy, nil
	case verb == "comments" && m == http.MethodGet:
		return s.handleDriveComments, nil
	case verb == "export" && m == http.MethodGet:
		q.isWrite = false
		return s.handleDriveExport, nil
	}
	return nil, notFound()
}

// driveError is Drive v3's error body, which differs from the Sheets one:
// {"error":{"code","message","errors":[{"domain":"global","reason",
// "message","locationType":"parameter","location"}]}} and no "status"
// (developers.google.com/drive/api/guides/handle-errors).
func driveError(code int, reason, location, msg string) *apiError {
	item := map[string]any{"domain": "global", "reason": reason, "message": msg}
	if location != "" {
		item["locationType"], item["location"] = "parameter", location
	}
	return &apiError{Code: code, Message: msg, Errors: []any{item}}
}

func driveFileNotFound(id string) *apiError {
	return driveError(http.StatusNotFound, "notFound", "fileId", "File not found: "+id+".")
}

func (s *Server) driveFile(b *book, fields string) map[string]any {
	f := map[string]any{
		"kind":         "drive#file",
		"id":           b.ID,
		"name":         b.Props.Title,
		"mimeType":     spreadsheetMime,
		"createdTime":  b.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
		"modifiedTime": b.Modified.UTC().Format("2006-01-02T15:04:05.000Z"),
		"parents":      []any{s.driveRootID()},
		// Drive v3 File.version is an int64, sent as a JSON string.
		"version": strconv.FormatInt(s.fileVersionOf(b.ID), 10),
	}
	if fields == "" {
		delete(f, "version")
		delete(f, "createdTime")
		delete(f, "modifiedTime")
		delete(f, "parents")
		return f
	}
	mask, err := parseFieldMask(fields)
	if err != nil || mask == nil {
		return f
	}
	out, _ := mask.apply(f).(map[string]any)
	return out
}

func (s *Server) handleDriveCreate(q *apiRequest) (any, error) {
	var in struct {
		Name     string   `json:"name"`
		MimeType string   `json:"mimeType"`
		Parents  []string `json:"parents"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.MimeType == folderMime {
		return s.createFolder(q, in.Name, in.Parents)
	}
	if in.MimeType != "" && in.MimeType != spreadsheetMime {
		return nil, badRequest("The emulator only creates spreadsheets (mimeType %s).", spreadsheetMime)
	}
	name := in.Name
	if name == "" {
		name = "Untitled spreadsheet"
	}
	b := s.newBook(name)
	if q.user != "" && q.user != anonymousUser {
		b.SharedWith = []string{q.user}
	}
	s.addBook(b)
	q.id = b.ID
	return s.driveFile(b, q.query.Get("fields")), nil
}

func (s *Server) handleDriveGet(q *apiRequest) (any, error) {
	if f, ok := s.handleFolderGet(q); ok {
		return f, nil
	}
	b, err := s.lookup(q)
	if err != nil {
		return nil, driveFileNotFound(q.id)
	}
	return s.driveFile(b, q.query.Get("fields")), nil
}

func (s *Server) handleDrivePatch(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, driveFileNotFound(q.id)
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	nb := b.clone()
	if in.Name != "" {
		nb.Props.Title = in.Name
	}
	s.commit(nb)
	return s.driveFile(nb, q.query.Get("fields")), nil
}

func (s *Server) handleDriveDelete(q *apiRequest) (any, error) {
	if _, err := s.lookup(q); err != nil {
		return nil, driveFileNotFound(q.id)
	}
	s.deleteBook(q.id)
	return noContent{}, nil
}

// handleDriveList lists spreadsheets newest first; a `name = '...'` or
// `name contains '...'` clause in q filters by title.
func (s *Server) handleDriveList(q *apiRequest) (any, error) {
	query := q.query.Get("q")
	mime := driveQueryMime(query)
	var files []any
	ids := s.sortedIDs()
	for i := len(ids) - 1; i >= 0 && (mime == "" || mime == spreadsheetMime); i-- {
		b := s.books[ids[i]]
		if !s.auth.canAccess(q.user, b) || !driveQueryMatches(query, b.Props.Title) {
			continue
		}
		files = append(files, s.driveFile(b, "id,name,createdTime,modifiedTime,kind,mimeType,parents"))
	}
	if mime == "" || mime == folderMime {
		files = append(files, s.folderListFiles(query)...)
	}
	if q.query.Get("fields") == "" {
		for _, f := range files { // parents only on request, as in Drive
			delete(f.(map[string]any), "parents")
		}
	}
	out := map[string]any{"kind": "drive#fileList", "files": files}
	if files == nil {
		out["files"] = []any{}
	}
	mask, err := parseFieldMask(q.query.Get("fields"))
	if err != nil {
		return nil, err
	}
	return mask.apply(out), nil
}

func driveQueryMatches(q, title string) bool {
	for _, op := range []string{"name = ", "name contains "} {
		i := strings.Index(q, op)
		if i < 0 || i+len(op) >= len(q) {
			continue
		}
		rest := q[i+len(op):]
		quote := rest[0]
		if quote != '\'' && quote != '"' {
			continue
		}
		want, ok := unquoteDrive(rest[1:], quote)
		if !ok {
			return true
		}
		if strings.HasPrefix(op, "name =") {
			return title == want
		}
		return strings.Contains(title, want)
	}
	return true
}

// unquoteDrive reads a Drive query string literal up to its closing
// quote, honouring backslash escapes.
func unquoteDrive(s string, quote byte) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case quote:
			return b.String(), true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", false
}

// handleDriveCopy serves POST files/{id}/copy: a full copy of the
// spreadsheet under a new id, named "Copy of …" unless a name is given.
func (s *Server) handleDriveCopy(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, driveFileNotFound(q.id)
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	nb := b.clone()
	nb.ID = newSpreadsheetID()
	nb.Props.Title = in.Name
	if nb.Props.Title == "" {
		nb.Props.Title = "Copy of " + b.Props.Title
	}
	nb.Created, nb.Modified = s.now(), s.now()
	if q.user != "" && q.user != anonymousUser {
		nb.SharedWith = []string{q.user}
	}
	s.addBook(nb)
	return s.driveFile(nb, q.query.Get("fields")), nil
}

// handleDriveComments serves GET files/{id}/comments; the emulator keeps
// no comments.
func (s *Server) handleDriveComments(q *apiRequest) (any, error) {
	if _, err := s.lookup(q); err != nil {
		return nil, driveFileNotFound(q.id)
	}
	return map[string]any{"comments": []any{}}, nil
}

// fileVersion is a spreadsheet's Drive v3 File.version: "a monotonically
// increasing version number for the file; reflects every change made to the
// file on the server". Every committed change bumps it (Server.commit and
// addBook), syncd's own writes included; reads never do.
type fileVersion struct {
	current int64            // the newest version
	shown   int64            // the newest version files.get reports
	pending []pendingVersion // versions files.get does not report yet, oldest first
}

// pendingVersion is a version that files.get reports from at on.
type pendingVersion struct {
	v  int64
	at time.Time
}

// bumpFileVersion records a change of spreadsheet id; callers hold s.mu.
// With Options.DriveVersionDelay the new version is reported only that
// long after the change (a new spreadsheet's first version at once).
func (s *Server) bumpFileVersion(id string) {
	fv := s.fileVersions[id]
	if fv == nil {
		fv = &fileVersion{}
		s.fileVersions[id] = fv
	}
	fv.current++
	delay := s.opts.DriveVersionDelay
	if delay <= 0 || fv.current == 1 {
		fv.shown, fv.pending = fv.current, nil
		return
	}
	at := s.now().Add(delay)
	if n := len(fv.pending); n > 0 && !fv.pending[n-1].at.Before(at) {
		fv.pending[n-1].v = fv.current // same instant: one entry, newest version
		return
	}
	fv.pending = append(fv.pending, pendingVersion{v: fv.current, at: at})
}

// fileVersionOf is the version files.get reports now: the newest one whose
// delay has passed. It never goes down. Callers hold s.mu.
func (s *Server) fileVersionOf(id string) int64 {
	fv := s.fileVersions[id]
	if fv == nil {
		fv = &fileVersion{current: 1, shown: 1}
		s.fileVersions[id] = fv
	}
	now := s.now()
	n := 0
	for n < len(fv.pending) && (s.opts.DriveVersionDelay <= 0 || !fv.pending[n].at.After(now)) {
		fv.shown = fv.pending[n].v
		n++
	}
	fv.pending = fv.pending[n:]
	return fv.shown
}

// setFileVersion restores a persisted version (state.go); callers hold s.mu.
func (s *Server) setFileVersion(id string, v int64) {
	if v > 0 {
		s.fileVersions[id] = &fileVersion{current: v, shown: v}
	}
}

// FileVersion returns the Drive version of spreadsheet id as files.get
// would report it now (0 for an unknown id).
func (s *Server) FileVersion(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.books[id] == nil {
		return 0
	}
	return s.fileVersionOf(id)
}

// currentFileVersion is the newest version, reported or not (state.go).
func (s *Server) currentFileVersion(id string) int64 {
	if fv := s.fileVersions[id]; fv != nil {
		return fv.current
	}
	return 0
}
