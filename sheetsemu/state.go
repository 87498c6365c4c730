package sheetsemu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/api/sheets/v4"
)

// stateFile is the on-disk form of -state: every spreadsheet as a
// spreadsheets.get response with grid data, plus emulator bookkeeping.
type stateFile struct {
	Version      int          `json:"version"`
	Spreadsheets []stateEntry `json:"spreadsheets"`
}

type stateEntry struct {
	Spreadsheet json.RawMessage `json:"spreadsheet"`
	Created     time.Time       `json:"created"`
	Modified    time.Time       `json:"modified"`
	SharedWith  []string        `json:"sharedWith,omitempty"`
	// DriveVersion keeps Drive's version monotonic across restarts.
	DriveVersion int64 `json:"driveVersion,omitempty"`
}

// stateWriter persists the server's spreadsheets after changes, at most
// once per debounce interval, via a temp file and rename so a crash never
// leaves a torn file.
type stateWriter struct {
	srv      *Server
	path     string
	debounce time.Duration
	mu       sync.Mutex // guards timer and serialises file writes
	timer    *time.Timer
}

func newStateWriter(srv *Server, path string, debounce time.Duration) *stateWriter {
	if debounce <= 0 {
		debounce = 200 * time.Millisecond
	}
	return &stateWriter{srv: srv, path: path, debounce: debounce}
}

// schedule arms the debounce timer; callers hold srv.mu.
func (w *stateWriter) schedule() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		return
	}
	w.timer = time.AfterFunc(w.debounce, func() {
		w.mu.Lock()
		w.timer = nil
		w.mu.Unlock()
		if err := w.write(); err != nil {
			w.srv.log.Error("state write failed", zap.String("path", w.path), zap.Error(err))
		}
	})
}

// flush writes now, cancelling a pending debounced write.
func (w *stateWriter) flush() error {
	w.mu.Lock()
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.mu.Unlock()
	return w.write()
}

func (w *stateWriter) write() error {
	data, err := w.srv.encodeState()
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	dir := filepath.Dir(w.path)
	tmp, err := os.CreateTemp(dir, ".sheets-emulator-state-*")
	if err != nil {
		return fmt.Errorf("write state %q: %w", w.path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write state %q: %w", w.path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write state %q: sync: %w", w.path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write state %q: close: %w", w.path, err)
	}
	if err := os.Rename(tmp.Name(), w.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write state %q: rename: %w", w.path, err)
	}
	return nil
}

func (s *Server) encodeState() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := stateFile{Version: 1}
	for _, id := range s.order {
		b := s.books[id]
		sp, err := renderBook(b, getOpts{gridData: true})
		if err != nil {
			return nil, fmt.Errorf("encode state %q: %w", id, err)
		}
		raw, err := json.Marshal(sp)
		if err != nil {
			return nil, fmt.Errorf("encode state %q: %w", id, err)
		}
		st.Spreadsheets = append(st.Spreadsheets, stateEntry{Spreadsheet: raw, Created: b.Created, Modified: b.Modified, SharedWith: b.SharedWith,
			DriveVersion: s.currentFileVersion(id)})
	}
	return json.Marshal(st)
}

// restoreState loads a state file written by a previous run. A missing
// file is not an error.
func (s *Server) restoreState(path string) error {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore state %q: %w", path, err)
	}
	var st stateFile
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("restore state %q: %w", path, err)
	}
	for i, e := range st.Spreadsheets {
		var sp sheets.Spreadsheet
		if err := json.Unmarshal(e.Spreadsheet, &sp); err != nil {
			return fmt.Errorf("restore state %q: spreadsheet %d: %w", path, i, err)
		}
		b, err := bookFromSpreadsheet(&sp, e.Created)
		if err != nil {
			return fmt.Errorf("restore state %q: spreadsheet %d: %w", path, i, err)
		}
		b.Modified, b.SharedWith = e.Modified, e.SharedWith
		if b.ID == "" {
			b.ID = newSpreadsheetID()
		}
		s.books[b.ID] = b
		s.setFileVersion(b.ID, e.DriveVersion)
		s.order = append(s.order, b.ID)
	}
	return nil
}
