//go:build demo

package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd/internal/testworld"
)

// TestDemoBrowserCommentReachesPostgres is the demo's browser test: in
// `syncd demo`, a person edits a shift's comment in the page (headless
// Debian chromium driven by puppeteer-core) and the value is in Postgres
// within poll_changes and one batch. Without node, chromium or the npm
// packages it fails, never skips (scripts/ensure-tools installs them).
func TestDemoBrowserCommentReachesPostgres(t *testing.T) {
	node, chromium, dir := demoBrowserTools(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	// The workload sleeps (-every 1h): a shift it deleted or a row it
	// appended while the page was open would move the row the person
	// edits, which is the page's affair, not the way back's.
	go func() {
		done <- NewMain(&out, &errOut).Run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-every", "1h"})
	}()
	urlRe := regexp.MustCompile(`Watch the sheet:\s+(http://\S+)/`)
	dbRe := regexp.MustCompile(`(?m)^\s*Postgres:\s+(\S+)$`)
	var base, dbURL string
	testworld.Eventually(t, 60*time.Second, "the demo prints its URLs", func() (bool, string) {
		u, d := urlRe.FindStringSubmatch(out.String()), dbRe.FindStringSubmatch(out.String())
		if u == nil || d == nil {
			return false, out.String() + errOut.String()
		}
		base, dbURL = u[1], d[1]
		return true, ""
	})
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The newest seeded shift, once syncd has mirrored it (the page shows
	// the newest rows; the start-up reconcile fills the tab).
	const key = "1299"
	testworld.Eventually(t, 60*time.Second, "the Shifts tab shows shift "+key, func() (bool, string) {
		resp, err := httpGet(base + "/")
		if err != nil {
			return false, err.Error()
		}
		return regexp.MustCompile(`<td class="cell" data-col="0" data-raw="` + key + `"`).MatchString(resp), "not yet shown"
	})

	value := "checked in the browser " + time.Now().Format("150405.000")
	cmd := exec.CommandContext(ctx, node, "comment.mjs", base, demoFirstTab, "comment", key, value)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	started := time.Now()
	got, err := cmd.CombinedOutput()
	typed := time.Now()
	t.Logf("node comment.mjs (%v):\n%s", typed.Sub(started).Round(time.Millisecond), got)
	if err != nil {
		t.Fatalf("browser script failed: %v", err)
	}

	poll, err := time.ParseDuration(demoPollChanges)
	if err != nil {
		t.Fatal(err)
	}
	// poll_changes, one batch, and slack for two loaded cores.
	within := poll + 8*time.Second
	testworld.Eventually(t, within, "the comment typed in the page is in Postgres", func() (bool, string) {
		var c *string
		if err := conn.QueryRow(ctx, `SELECT comment FROM shifts WHERE shift_id = `+key).Scan(&c); err != nil {
			return false, err.Error()
		}
		if c == nil || *c != value {
			return false, "comment is " + strings.TrimSpace(ptrText(c))
		}
		return true, ""
	})
	t.Logf("page edit -> Postgres in %v (poll_changes %s)", time.Since(typed).Round(10*time.Millisecond), demoPollChanges)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d after Ctrl-C\n%s", code, errOut.String())
	}
}

func ptrText(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// demoBrowserTools finds node, Debian's chromium and the npm packages of
// the emulator's browser test (sheetsemu/testdata/browser), failing the
// test when one is missing.
func demoBrowserTools(t *testing.T) (node, chromium, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: run scripts/ensure-tools (or: apt-get install nodejs npm)")
	}
	chromium = os.Getenv("CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser"} {
		if chromium != "" {
			break
		}
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
		}
	}
	if chromium == "" {
		t.Fatal("chromium not found: run scripts/ensure-tools (or: apt-get install chromium)")
	}
	dir, err = filepath.Abs(filepath.Join("..", "..", "sheetsemu", "testdata", "browser"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "puppeteer-core", "package.json")); err != nil {
		t.Fatalf("puppeteer-core is not installed in %s: run scripts/ensure-tools (npm ci there)", dir)
	}
	return node, chromium, dir
}

func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
