package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/syncd/syncd/config"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailed  = 1 // the command ran and found a problem (or failed)
	exitUsage   = 2 // bad flags, or a command not available
	exitUnready = 2 // status: daemon down or database unreachable
)

// exitError ends syncd with a chosen exit code. err is what went wrong and
// is printed; nil means the command's own output has already said it (the
// status verdict, doctor's report, the flag package's message), so nothing
// more is printed.
type exitError struct {
	code int
	err  error
}

// withCode returns err, which is printed, with exit code code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// exitCode returns an error that only sets the exit code.
func exitCode(code int) error { return &exitError{code: code} }

// Error is err's message, or "exit status N" when there is no err.
func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Unwrap returns err (nil when the error only sets the exit code).
func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the process exit code the error asks for.
func (e *exitError) ExitCode() int { return e.code }

// usageError is a wrong flag combination or argument: it is printed
// followed by the command's usage, and exits 2.
type usageError struct {
	fs  *flag.FlagSet
	msg string
}

// Error is the message, without the usage.
func (e *usageError) Error() string { return e.msg }

// ExitCode is exitUsage.
func (e *usageError) ExitCode() int { return exitUsage }

// configError is a config that did not load. Its message names the file
// and line, so when it reaches Main as it is it is printed as
// "syncd: ...", whichever command loaded it.
type configError struct{ err error }

// Error is the config package's message (it names the file and line).
func (e *configError) Error() string { return e.err.Error() }

// Unwrap returns the config package's error.
func (e *configError) Unwrap() error { return e.err }

// isConfigError says whether err is a configError that nothing has added
// context to (other than putting it on one line).
func isConfigError(err error) bool {
	if ol, ok := err.(oneLineError); ok {
		err = ol.err
	}
	_, ok := err.(*configError)
	return ok
}

// oneLineError prints its error on one line (joined errors become
// "; "-separated), for commands whose callers are scripts that read stderr
// line by line.
type oneLineError struct{ err error }

// Error is err's message with its line breaks turned into "; ".
func (e oneLineError) Error() string { return errLine(e.err) }

// Unwrap returns err.
func (e oneLineError) Unwrap() error { return e.err }

// errLine keeps an error on one line (joined errors become "; "-separated),
// so a script or a person sees exactly what is wrong.
func errLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// exitCoder is an error that chooses the process exit code.
type exitCoder interface {
	error
	ExitCode() int
}

// report is the one place a command's error is printed, once, as
// "syncd NAME: error" on Stderr, and turned into the exit code: 1 unless
// the error carries another (exitCoder).
func (m *Main) report(ctx context.Context, name string, err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return exitOK // Ctrl-C or SIGTERM: a clean shutdown
	}
	code := exitFailed
	if coded, ok := errors.AsType[exitCoder](err); ok {
		code = coded.ExitCode()
	}
	if e, ok := err.(*exitError); ok && e.err == nil {
		return code // the command's output has said it
	}
	prefix := "syncd " + name
	if isConfigError(err) {
		prefix = "syncd"
	}
	fmt.Fprintf(m.Stderr, "%s: %v\n", prefix, err)
	if errors.Is(err, config.ErrEnvUnset) {
		fmt.Fprintf(m.Stderr, "syncd: %s\n", config.EnvHint(name))
	}
	if usage, ok := errors.AsType[*usageError](err); ok && usage.fs != nil {
		usage.fs.Usage()
	}
	return code
}
