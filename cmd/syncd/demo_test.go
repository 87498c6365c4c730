//go:build demo

package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoShowsMirroredShiftsWithin30s starts `syncd demo` as a new user
// would (no config, nothing prepared) and checks that its sheet view shows
// the mirrored shifts within 30 seconds, and that Ctrl-C stops it cleanly.
func TestDemoShowsMirroredShiftsWithin30s(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		done <- NewMain(&out, &errOut).Run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-every", "1s"})
	}()
	urlRe := regexp.MustCompile(`Watch the sheet:\s+(http://\S+/)`)
	shiftRow := regexp.MustCompile(`<td[^>]*>1299</td>`) // the last seeded shift
	var page string
	eventually(t, 30*time.Second, "the demo page shows the shifts", func() (bool, string) {
		m := urlRe.FindStringSubmatch(out.String())
		if m == nil {
			return false, "no URL printed yet:\n" + out.String() + errOut.String()
		}
		resp, err := http.Get(m[1])
		if err != nil {
			return false, err.Error()
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page = string(body)
		return strings.Contains(page, "Shifts") && strings.Contains(page, "shift_date") && shiftRow.MatchString(page), "page has no shifts yet"
	})
	t.Logf("shifts visible after %s", time.Since(start).Round(100*time.Millisecond))
	if !strings.Contains(out.String(), "syncd status -config") {
		t.Errorf("the demo does not say how to run syncd status:\n%s", out.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d after Ctrl-C\n%s", code, errOut.String())
	}
}
