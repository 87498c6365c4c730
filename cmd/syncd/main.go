// Command syncd keeps a Google Sheet in step with a PostgreSQL database.
// This package only wires the pieces together; see docs/ARCHITECTURE.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	// A spreadsheet's time zone must load even on a machine without the
	// tzdata package (timestamps are written in that zone).
	_ "time/tzdata"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT
// is set: on a Raspberry Pi the daemon should stay small, and a reconcile of
// 100,000 rows peaks near 170 MB with the default GC pacing but stays under
// 130 MB with this limit, for a little more GC work. It is soft: a larger
// live heap is never refused.
const defaultMemoryLimit = 100 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := NewMain(os.Stdout, os.Stderr).Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main dispatches the subcommands. Each command returns an error and Run
// alone prints it, so tests can run commands in-process; only main calls
// os.Exit.
type Main struct {
	// Stdout receives a command's report; Stderr its error, usage and flag
	// messages.
	Stdout, Stderr io.Writer
}

// NewMain returns a Main writing to the given streams.
func NewMain(stdout, stderr io.Writer) *Main { return &Main{Stdout: stdout, Stderr: stderr} }

// command is one subcommand: run parses args (without the command name)
// and does the work. Its error is printed once by Run; an error carrying an
// ExitCode (exitError, usageError) chooses the exit code, any other means 1.
type command struct {
	name, summary string
	run           func(m *Main, ctx context.Context, args []string) error
}

var commands = []command{
	{"run", "the daemon: mirror changes, reconcile on schedule, serve /healthz /readyz /metrics", (*Main).run},
	{"reconcile", "one reconciliation pass, then exit (for a systemd timer)", (*Main).reconcile},
	{"status", "operator view from the database alone; exit 0 healthy, 1 degraded, 2 down", (*Main).status},
	{"conflicts", "list the open conflicts; -resolve ID -use sheet|database settles one", (*Main).conflicts},
	{"migrate", "apply syncd's schema and install capture triggers on every mirrored table", (*Main).migrate},
	{"import", "migrate the legacy sheet into Postgres (-dry-run | -execute | -verify | -rollback ID)", (*Main).importCmd},
	{"doctor", "check config, privileges, triggers and spreadsheet access, and say how to fix each", (*Main).doctor},
	{"demo", demoSummary, (*Main).demo},
	{"version", "print version and build info", (*Main).version},
}

// Run runs the command named by args[0], prints its error (if any) to
// Stderr once, and returns the process exit code: 0 on success, after -h
// and when ctx was cancelled (a clean shutdown); otherwise the code the
// error carries (see exit.go).
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		m.usage()
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return m.report(ctx, c.name, c.run(m, ctx, args[1:]))
		}
	}
	fmt.Fprintf(m.Stderr, "syncd: unknown command %q\n\n", args[0])
	m.usage()
	return exitUsage
}

func (m *Main) usage() {
	fmt.Fprintln(m.Stderr, "usage: syncd <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(m.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(m.Stderr, "\nEvery command takes -h. Config: -config FILE, else $SYNCD_CONFIG, else /etc/syncd/syncd.yml.")
}

// flags returns a FlagSet whose -h prints the command's usage line.
func (m *Main) flags(name, argsUsage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("syncd "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "usage: syncd %s [flags] %s\n\n%s\n\nflags:\n", name, argsUsage, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs. It returns flag.ErrHelp after -h (exit 0), a
// silent exit 2 after bad flags (the flag package has printed why and the
// usage), and a usageError for arguments left over.
func (m *Main) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitCode(exitUsage)
	}
	if fs.NArg() > 0 {
		return &usageError{fs: fs, msg: fmt.Sprintf("unexpected arguments: %v", fs.Args())}
	}
	return nil
}
