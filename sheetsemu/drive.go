package sheetsemu

import (
	"net/http"
	"net/url"
	"strings"
)

const spreadsheetMime = "application/vnd.google-apps.spreadsheet"

// routeDrive maps the Drive v3 file calls used to create, inspect, list
// and delete spreadsheets.
func (s *Server) routeDrive(q *apiRequest, path string) (handlerFunc, error) {
	rest := strings.TrimPrefix(strings.TrimPrefix(path, "/drive/v3/files"), "/")
	m := q.r.Method
	q.isWrite = m != http.MethodGet
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
	}
	if fields == "" {
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
