package sheetsemu

import (
	"sync"
	"testing"
)

// TestConcurrentGetsOfTwoEmulatorsShareNoDefaults: spreadsheets.get
// renders Google's default spreadsheet properties into every answer and
// then edits the rendering (colour channels, zero indexes). The defaults
// are one package variable, shared by every Server, whose lock does not
// cover another Server's requests: each rendering must copy them. Without
// the copy, two emulators in one process (parallel tests) wrote into one
// map and crashed with "concurrent map iteration and map write" (seen by
// the gestures suite). Run with -race.
func TestConcurrentGetsOfTwoEmulatorsShareNoDefaults(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		emu, svc, _ := newClient(t, Options{})
		id := emu.CreateSpreadsheet("concurrent") // as testworld makes them
		wg.Go(func() {
			for range 20 {
				if _, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
