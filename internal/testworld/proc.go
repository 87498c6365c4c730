package testworld

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/pgtest"
)

var (
	mainRan   atomic.Bool
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// Main runs the package's tests (through pgtest.Main, which stops the
// shared PostgreSQL afterwards) and then removes the syncd binary built by
// SyncdBinary. Use it from TestMain: os.Exit(testworld.Main(m)).
func Main(m *testing.M) int {
	mainRan.Store(true)
	code := pgtest.Main(m)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// SyncdBinary returns the path of cmd/syncd built once per test binary (the
// first call builds it; later calls, from any test, reuse it). It is built
// without -race: the daemons are the system under test, not code under the
// race detector, and a kill -9 must hit a real process. It fails t when the
// build fails, or when TestMain does not call Main (which removes the
// build, so that no temporary directory is left behind).
func SyncdBinary(t testing.TB) string {
	t.Helper()
	if !mainRan.Load() {
		t.Fatal("testworld.SyncdBinary: TestMain must call testworld.Main, which removes the build")
	}
	buildOnce.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command is not in PATH: %w", err)
			return
		}
		if buildDir, err = os.MkdirTemp("", "syncd-testworld-"); err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(buildDir, "syncd")
		// By import path: the test's working directory (its package's
		// directory) is inside the module, wherever that is.
		out, err := exec.Command(gobin, "build", "-o", buildBin, "github.com/syncd/syncd/cmd/syncd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build ./cmd/syncd: %v", buildErr)
	}
	return buildBin
}

// RunSyncd runs the syncd binary with args to completion and returns its
// exit code and combined output. It fails t only when the binary cannot be
// run at all; a non-zero exit is the caller's to judge.
func RunSyncd(t testing.TB, args ...string) (code int, output string) {
	t.Helper()
	out, err := exec.Command(SyncdBinary(t), args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	case err != nil:
		t.Fatalf("syncd %v: %v", args, err)
	}
	return 0, string(out)
}

// LogBuffer collects a process's output. It is safe to write from one
// goroutine while others read it.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p; it never fails.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail is the last n bytes written so far, prefixed with "..." when that
// is not all of it.
func (b *LogBuffer) Tail(n int) string {
	s := b.String()
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// ErrStopTimeout is what Stop returns (wrapped) when the process outlived
// its timeout after SIGTERM.
var ErrStopTimeout = errors.New("did not exit after SIGTERM")

// Proc is a started child process.
type Proc struct {
	// Name identifies the process in messages (an instance name, "naive").
	Name string
	// Cmd is the command; the Proc owns Wait.
	Cmd *exec.Cmd
	// Log receives the process's stdout and stderr, unless the caller
	// set them before Start.
	Log  *LogBuffer
	done chan struct{} // closed once the process has exited
	err  error         // the result of Cmd.Wait, once done
}

// Start starts cmd as a Proc called name. Stdout and Stderr left nil go to
// the Proc's Log. When the test ends, a process still running is killed
// with SIGKILL and waited for (cleanups registered later, such as a
// graceful stop, run before that). It fails t when cmd cannot start.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Name: name, Cmd: cmd, Log: &LogBuffer{}, done: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.Log
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.Log
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Kill9)
	return p
}

// StartSyncd starts the syncd binary (SyncdBinary) with args as a Proc
// called name; see Start.
func StartSyncd(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	return Start(t, name, exec.Command(SyncdBinary(t), args...))
}

// Pid is the process ID.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is the process's exit status as Cmd.Wait reported it (nil for exit
// 0); valid only once Done is closed.
func (p *Proc) Err() error {
	<-p.done
	return p.err
}

// Kill9 sends SIGKILL (no clean-up of any kind) and waits for the exit. It
// does nothing to a process that has exited already.
func (p *Proc) Kill9() {
	p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and waits up to timeout for the exit; it returns the
// exit status (nil for exit 0), also of a process that had exited before.
// A process still running after timeout is killed with SIGKILL and Stop
// returns an error wrapping ErrStopTimeout.
func (p *Proc) Stop(timeout time.Duration) error {
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill9()
		return fmt.Errorf("%s %w within %v", p.Name, ErrStopTimeout, timeout)
	}
}
