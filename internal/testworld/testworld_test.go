package testworld

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/sheets"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	n := 0
	Eventually(t, time.Minute, "three polls", func() (bool, string) {
		n++
		return n == 3, fmt.Sprint(n)
	})
	if n != 3 {
		t.Fatalf("cond evaluated %d times, want 3", n)
	}
}

func TestEventuallyFailsWithTheLastExplanation(t *testing.T) {
	f := &fatalRecorder{TB: t}
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		Eventually(f, 200*time.Millisecond, "never", func() (bool, string) {
			n++
			return false, fmt.Sprintf("poll %d", n)
		})
	}()
	<-done
	if want := fmt.Sprintf("never: not reached within 200ms: poll %d", n); f.msg != want || n < 2 {
		t.Fatalf("Fatalf(%q) after %d polls, want %q", f.msg, n, want)
	}
}

// shell starts sh -c script as a Proc and waits until it printed ready.
func shell(t *testing.T, script string) *Proc {
	t.Helper()
	p := Start(t, "sh", exec.Command("sh", "-c", script))
	Eventually(t, 10*time.Second, "sh ready", func() (bool, string) {
		return strings.Contains(p.Log.String(), "ready"), p.Log.String()
	})
	return p
}

func TestProcStopIsGracefulAndReportsTheExit(t *testing.T) {
	p := shell(t, `trap 'echo bye; exit 3' TERM; echo ready; while :; do sleep 0.05; done`)
	if p.Exited() || p.Pid() <= 0 {
		t.Fatalf("Exited %v, Pid %d before Stop", p.Exited(), p.Pid())
	}
	err := p.Stop(10 * time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !p.Exited() || p.Err() != err {
		t.Fatalf("Stop = %v, Exited %v, Err %v; want exit status 3", err, p.Exited(), p.Err())
	}
	if !strings.Contains(p.Log.String(), "bye") {
		t.Fatalf("log %q lacks the TERM handler's output", p.Log.String())
	}
	if err := p.Stop(time.Second); err != p.Err() {
		t.Fatalf("Stop of an exited process = %v, want its exit status %v", err, p.Err())
	}
}

func TestProcStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	p := shell(t, `trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	if err := p.Stop(300 * time.Millisecond); !errors.Is(err, ErrStopTimeout) || !p.Exited() {
		t.Fatalf("Stop = %v, Exited %v; want ErrStopTimeout and a killed process", err, p.Exited())
	}
}

func TestProcKill9(t *testing.T) {
	p := shell(t, `trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done`)
	p.Kill9()
	var exit *exec.ExitError
	if !errors.As(p.Err(), &exit) || exit.ExitCode() != -1 || !p.Exited() {
		t.Fatalf("after Kill9: Err %v, Exited %v; want death by signal", p.Err(), p.Exited())
	}
	p.Kill9() // a second kill of an exited process does nothing
}

func TestLogBufferTail(t *testing.T) {
	var b LogBuffer
	fmt.Fprint(&b, "hello world")
	if got := b.Tail(5); got != "...world" {
		t.Fatalf("Tail(5) = %q", got)
	}
	if got := b.Tail(50); got != "hello world" {
		t.Fatalf("Tail(50) = %q", got)
	}
}

// TestWorldMirrorsThroughTheRealDaemon is the harness end to end: a world,
// its config, the in-process migration, the syncd binary, and the checks.
func TestWorldMirrorsThroughTheRealDaemon(t *testing.T) {
	w := New(t, Options{Schema: `CREATE TABLE items (id integer PRIMARY KEY, name text);
		INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5) g`})
	cfg := w.WriteConfig("syncd", Config{Sheets: "write_requests_per_minute: 600\n", Body: `http:
  listen: 127.0.0.1:0
mirrors:
  - name: items
    table: public.items
    sheet: Items
`})
	ms := w.Mirrors(cfg)
	w.Migrate(ms...)
	if diff, err := w.Diff(ms[0]); err != nil || !strings.Contains(diff, "does not exist") {
		t.Fatalf("before the daemon ran: Diff = %q, %v; want a missing tab", diff, err)
	}
	if code, out := RunSyncd(t, "check", "-config", cfg); code == 0 {
		t.Fatalf("syncd check (no such command) exited 0:\n%s", out)
	}
	p := StartSyncd(t, "syncd", "run", "-config", cfg)
	if _, err := w.Pool.Exec(w.Ctx, "INSERT INTO items VALUES (6, 'six')"); err != nil {
		t.Fatal(err)
	}
	w.Mirrored(2*time.Minute, ms...)
	if tab := w.Tab("Items"); len(tab) != 7 || tab[0][1] != syncd.StringCell("name") {
		t.Fatalf("tab Items = %v, want the header and 6 rows", tab)
	}
	if err := p.Stop(30 * time.Second); err != nil {
		t.Fatalf("syncd run after SIGTERM: %v\n%s", err, p.Log.Tail(4000))
	}
}

func TestWorldWithServiceAccountAuthenticates(t *testing.T) {
	w := New(t, Options{ServiceAccount: "syncd@test.iam.gserviceaccount.com", Title: "auth"})
	if w.CredentialsFile == "" {
		t.Fatal("no CredentialsFile")
	}
	if info, err := w.Checker().Info(w.Ctx); err != nil || info.Title != "auth" {
		t.Fatalf("Info with the service account: %+v, %v", info, err)
	}
	anon, err := sheets.New(context.Background(), sheets.Options{SpreadsheetID: w.ID, Endpoint: w.Endpoint, Quota: sheets.NewQuota(1e6, 1e6, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.Info(w.Ctx); err == nil {
		t.Fatal("an unauthenticated client read the spreadsheet: authentication is off")
	}
	if text, _ := os.ReadFile(w.WriteConfig("auth", Config{})); !strings.Contains(string(text), "credentials_file: "+w.CredentialsFile) {
		t.Fatalf("config without credentials_file:\n%s", text)
	}
}

// TestImportedOnlyByTests keeps the harness out of the product: no non-test
// file of the module may import this package.
func TestImportedOnlyByTests(t *testing.T) {
	const self = "github.com/syncd/syncd/internal/testworld"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{range .Imports}} {{.}}{{end}}`, "github.com/syncd/syncd/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(l, ":")
		for _, imp := range strings.Fields(imports) {
			if imp == self {
				t.Errorf("%s imports %s outside its tests", pkg, self)
			}
		}
	}
}
