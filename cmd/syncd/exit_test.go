package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
)

// TestReportPrintsOnceWithTheExitCode: Run's printer is the only place an
// error is printed; the error chooses the exit code.
func TestReportPrintsOnceWithTheExitCode(t *testing.T) {
	fs := flag.NewFlagSet("syncd x", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), "usage: syncd x\n") }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		err    error
		code   int
		stderr string
	}{
		{"success", context.Background(), nil, 0, ""},
		{"help", context.Background(), flag.ErrHelp, 0, ""},
		{"plain error", context.Background(), errors.New("boom"), 1, "syncd x: boom\n"},
		{"wrapped exit code", context.Background(), fmt.Errorf("outer: %w", withCode(2, errors.New("inner"))), 2, "syncd x: outer: inner\n"},
		{"silent exit code", context.Background(), exitCode(1), 1, ""},
		{"usage", context.Background(), &usageError{fs: fs, msg: "give -a or -b"}, 2, "syncd x: give -a or -b\nusage: syncd x\n"},
		{"config", context.Background(), oneLineError{&configError{errors.New("f.yml:3: bad\nkey")}}, 1, "syncd: f.yml:3: bad; key\n"},
		{"config, given context", context.Background(), fmt.Errorf("migrate: %w", &configError{errors.New("f.yml:3: bad")}), 1, "syncd x: migrate: f.yml:3: bad\n"},
		{"shutdown", cancelled, fmt.Errorf("stopped: %w", context.Canceled), 0, ""},
		{"cancelled, not shut down", context.Background(), context.Canceled, 1, "syncd x: context canceled\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			fs.SetOutput(&stderr)
			m := NewMain(&bytes.Buffer{}, &stderr)
			if code := m.report(tc.ctx, "x", tc.err); code != tc.code || stderr.String() != tc.stderr {
				t.Fatalf("report(%v) = %d, %q; want %d, %q", tc.err, code, stderr.String(), tc.code, tc.stderr)
			}
		})
	}
}

// TestCommandErrorsArePrintedOnce runs commands that fail before touching
// a server and checks the exit code and that stderr says it once.
func TestCommandErrorsArePrintedOnce(t *testing.T) {
	missing := t.TempDir() + "/missing.yml"
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrate", "-config", missing}, 1, "syncd: no config file at " + missing + " (given by -config"},
		{[]string{"reconcile", "-config", missing}, 1, "syncd: no config file at " + missing + " (given by -config"},
		{[]string{"run", "-config", missing}, 1, "syncd: no config file at " + missing + " (given by -config"},
		{[]string{"import", "-config", missing, "-plan", "p.yml", "-dry-run"}, 1, "syncd: no config file at " + missing + " (given by -config"},
		{[]string{"version", "extra"}, 2, "syncd version: unexpected arguments: [extra]"},
		{[]string{"status", "-no-such-flag"}, 2, "flag provided but not defined: -no-such-flag"},
		{[]string{"import", "-dry-run"}, 2, "syncd import: give -plan FILE or -from-mirrors"},
	} {
		code, _, stderr := runCmd(t, tc.args...)
		if code != tc.code || strings.Count(stderr, tc.want) != 1 {
			t.Errorf("syncd %v: exit %d, want %d; stderr should say %q once:\n%s", tc.args, code, tc.code, tc.want, stderr)
		}
	}
}
