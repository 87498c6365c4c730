package sheetsemu

import (
	"encoding/base64"

	"strings"
)

const folderMime = "application/vnd.google-apps.folder"

// driveFolder is a Drive folder. The emulator keeps folders only so that
// clients which look up "My Drive" and list folders (gspread-pandas) can
// run; spreadsheets all live in the root.
type driveFolder struct {
	ID      string
	Name    string
	Parents []string
}

// driveRootID is the id of "My Drive", made on first use; Google's look
// like "0AI8ZQ4p-M3IOUk9PVA" ("0A" and 17 more characters).
func (s *Server) driveRootID() string {
	if s.rootID == "" {
		b := make([]byte, 13)
		for i := range b {
			b[i] = byte(s.rng.Uint32())
		}
		s.rootID = "0A" + base64.RawURLEncoding.EncodeToString(b)[:17]
	}
	return s.rootID
}

func (s *Server) folderByID(id string) *driveFolder {
	for _, f := range s.folders {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// folderFile renders a folder (or the root, when f is nil) as a Drive
// file, trimmed to fields like driveFile.
func (s *Server) folderFile(f *driveFolder, fields string) map[string]any {
	out := map[string]any{"kind": "drive#file", "mimeType": folderMime}
	if f == nil {
		out["id"], out["name"] = s.driveRootID(), "My Drive"
	} else {
		out["id"], out["name"] = f.ID, f.Name
		parents := make([]any, len(f.Parents))
		for i, p := range f.Parents {
			parents[i] = p
		}
		out["parents"] = parents
	}
	if fields == "" {
		delete(out, "parents")
		return out
	}
	mask, err := parseFieldMask(fields)
	if err != nil || mask == nil {
		return out
	}
	m, _ := mask.apply(out).(map[string]any)
	return m
}

// handleFolderGet answers files.get for the root ("root" or its id) and
// for folders; ok is false when id names neither.
func (s *Server) handleFolderGet(q *apiRequest) (any, bool) {
	if q.id == "root" || q.id == s.driveRootID() {
		return s.folderFile(nil, q.query.Get("fields")), true
	}
	if f := s.folderByID(q.id); f != nil {
		return s.folderFile(f, q.query.Get("fields")), true
	}
	return nil, false
}

// createFolder serves files.create with the folder MIME type.
func (s *Server) createFolder(q *apiRequest, name string, parents []string) (any, error) {
	for i, p := range parents {
		if p == "root" {
			parents[i] = s.driveRootID()
		} else if p != s.driveRootID() && s.folderByID(p) == nil {
			return nil, driveFileNotFound(p)
		}
	}
	if len(parents) == 0 {
		parents = []string{s.driveRootID()}
	}
	if name == "" {
		name = "Untitled folder"
	}
	f := &driveFolder{ID: newDriveID(), Name: name, Parents: parents}
	// Newest first, like the spreadsheets in files.list.
	s.folders = append([]*driveFolder{f}, s.folders...)
	s.changed()
	return s.folderFile(f, q.query.Get("fields")), nil
}

// newDriveID makes a 33-character Drive file id like Google's folder ids.
func newDriveID() string {
	id := newSpreadsheetID()
	return id[:33]
}

// SeedDriveFolder adds a folder under a given id, for replays of
// recordings that start in an existing Drive (see replay.go).
func (s *Server) seedDriveFolder(id, name string, parents []string) {
	s.folders = append(s.folders, &driveFolder{ID: id, Name: name, Parents: parents})
}

// driveQueryMime returns the MIME type a files.list query restricts to
// (`mimeType = '…'`), or "".
func driveQueryMime(q string) string {
	i := strings.Index(q, "mimeType")
	if i < 0 {
		return ""
	}
	rest := strings.TrimSpace(q[i+len("mimeType"):])
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimSpace(rest[1:])
	if rest == "" || rest[0] != '\'' && rest[0] != '"' {
		return ""
	}
	v, _ := unquoteDrive(rest[1:], rest[0])
	return v
}

// folderListFiles are the folders a files.list query selects.
func (s *Server) folderListFiles(query string) []any {
	var out []any
	for _, f := range s.folders {
		if driveQueryMatches(query, f.Name) {
			out = append(out, s.folderFile(f, "kind,id,name,mimeType,parents"))
		}
	}
	return out
}
