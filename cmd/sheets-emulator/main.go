// Command sheets-emulator serves the Google Sheets API v4 emulator from
// package sheetsemu, replays recorded real API traffic against it
// (-replay) to measure conformance, or records traffic to another server,
// Google or an emulator, as scrubbed cassettes (-record).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/syncd/syncd/sheetsemu"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

// String joins the values with commas (flag.Value).
func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set adds one value (flag.Value).
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errCassettesFailed is a replay in which some cassette failed; the
// report on stdout says which.
var errCassettesFailed = errors.New("some cassettes failed")

// run is the whole command: it prints an error once and returns the exit
// code: 0, 1 on failure (or a failed cassette), 2 for bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return 2 // the flag package has printed why
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case f.replay != "":
		err = runReplay(f.replay, stdout)
	case f.record != "":
		err = record(ctx, f, stdout)
	default:
		err = serve(ctx, f, stdout)
	}
	switch {
	case err == nil:
		return 0
	case !errors.Is(err, errCassettesFailed):
		fmt.Fprintf(stderr, "sheets-emulator: %v\n", err)
	}
	return 1
}

// flags are the parsed command line.
type flags struct {
	addr, state, replay, saFile string
	loads                       multiFlag
	latency                     time.Duration
	writeQuota, readQuota       int
	driveQuota                  int
	driveVersionDelay           time.Duration
	failRate                    float64
	verbose                     bool
	// First-hour refusals of a real project.
	disabledAPIs   multiFlag
	projectQuota   int
	projectNumber  string
	refuseAccounts multiFlag
	// Recording proxy.
	record, cassettes, scrubCreds string
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("sheets-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8787", "listen address")
	fs.Var(&f.loads, "load", "spreadsheets.get JSON file to load (repeatable)")
	fs.StringVar(&f.state, "state", "", "persist spreadsheets to this file across restarts")
	fs.DurationVar(&f.latency, "latency", 0, "latency added to every API request")
	fs.IntVar(&f.writeQuota, "write-quota", 0, "write requests per minute per user (0 = unlimited)")
	fs.IntVar(&f.readQuota, "read-quota", 0, "read requests per minute per user (0 = unlimited)")
	fs.IntVar(&f.driveQuota, "drive-quota", sheetsemu.DefaultDriveQuota, "Drive v3 requests per minute per user, apart from the Sheets quotas (0 = unlimited)")
	fs.DurationVar(&f.driveVersionDelay, "drive-version-delay", 0, "Drive files.get reports a spreadsheet's version up to this long after the change, as Google's may lag")
	fs.Float64Var(&f.failRate, "fail-rate", 0, "probability (0..1) of answering 503")
	fs.StringVar(&f.replay, "replay", "", "replay every cassette in DIR and report conformance")
	fs.StringVar(&f.saFile, "service-account", "", "service-account JSON: registered if it exists, generated (with token_uri at this server) otherwise; enables authentication")
	fs.BoolVar(&f.verbose, "v", false, "log every request")
	fs.Var(&f.disabledAPIs, "disable-api", "answer every call of this API (drive or sheets; repeatable or a comma list) with Google's 403 for an API the project has not enabled; POST /_emulator/apis?enable=NAME switches it on")
	fs.IntVar(&f.projectQuota, "project-quota", 0, fmt.Sprintf("read and write requests per minute for all users of the project together (Google's: %d; 0 = unlimited)", sheetsemu.DefaultProjectQuota))
	fs.StringVar(&f.projectNumber, "project-number", sheetsemu.DefaultProjectNumber, "Cloud project number named in quota and API-not-enabled answers")
	fs.Var(&f.refuseAccounts, "refuse-account", "EMAIL[=key|account]: the token endpoint refuses this service account as Google does for a deleted key (default) or account (repeatable)")
	fs.StringVar(&f.record, "record", "", "recording proxy: forward every request to this upstream URL (\"google\" for Google's) with the caller's own token and write scrubbed cassettes to -cassettes")
	fs.StringVar(&f.cassettes, "cassettes", "", "directory -record writes cassettes to")
	fs.StringVar(&f.scrubCreds, "scrub-credentials", "", "service-account JSON whose private_key_id, client_email and client_id -record scrubs besides what it finds itself")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if err := f.validate(); err != nil {
		fmt.Fprintf(stderr, "sheets-emulator: %v\n", err)
		fs.Usage()
		return f, err
	}
	return f, nil
}

// validate checks what the flag package cannot: API names, refusals and
// the flags -record needs.
func (f *flags) validate() error {
	var apis []string
	for _, v := range f.disabledAPIs {
		for _, name := range strings.Split(v, ",") {
			api, err := sheetsemu.ParseAPIName(name)
			if err != nil {
				return fmt.Errorf("-disable-api: %w", err)
			}
			apis = append(apis, api)
		}
	}
	f.disabledAPIs = apis
	if _, err := f.refused(); err != nil {
		return err
	}
	if (f.record == "") != (f.cassettes == "") {
		return errors.New("-record and -cassettes go together")
	}
	if f.record != "" && f.replay != "" {
		return errors.New("-record and -replay exclude each other")
	}
	return nil
}

// refused parses -refuse-account into Options.RefusedAccounts.
func (f *flags) refused() (map[string]sheetsemu.Refusal, error) {
	out := map[string]sheetsemu.Refusal{}
	for _, v := range f.refuseAccounts {
		email, why, _ := strings.Cut(v, "=")
		r, err := sheetsemu.ParseRefusal(why)
		if err != nil || email == "" {
			return nil, fmt.Errorf("-refuse-account %q: want EMAIL[=key|account]", v)
		}
		out[email] = r
	}
	return out, nil
}

// serve runs the emulator on f.addr, with the -load files loaded, until
// ctx ends.
func serve(ctx context.Context, f flags, stdout io.Writer) error {
	logger := zap.NewNop()
	if f.verbose {
		if l, err := zap.NewDevelopment(); err == nil {
			logger = l
		}
	}
	opts := sheetsemu.Options{Logger: logger, Latency: f.latency, FailRate: f.failRate,
		ReadQuota: f.readQuota, WriteQuota: f.writeQuota, StatePath: f.state,
		DriveQuota: f.driveQuota, DriveVersionDelay: f.driveVersionDelay,
		DisabledAPIs: f.disabledAPIs, ProjectQuota: f.projectQuota, ProjectNumber: f.projectNumber}
	opts.RefusedAccounts, _ = f.refused() // validated by parseFlags
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", f.addr, err)
	}
	defer ln.Close()
	if f.saFile != "" {
		sa, err := serviceAccount(f.saFile, "http://"+ln.Addr().String()+"/token")
		if err != nil {
			return err
		}
		opts.ServiceAccounts = []sheetsemu.ServiceAccount{sa}
	}
	srv := sheetsemu.New(opts)
	for _, file := range f.loads {
		id, err := loadFile(srv, file)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "loaded %s as spreadsheet %s\n", file, id)
	}
	fmt.Fprintf(stdout, "sheets-emulator listening on http://%s/\n", ln.Addr())
	if err := serveHTTP(ctx, ln, srv); err != nil {
		return err
	}
	return srv.Close()
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully
// (5 s at most).
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func loadFile(srv *sheetsemu.Server, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	id, err := srv.Load(f)
	if err != nil {
		return "", fmt.Errorf("load %s: %w", path, err)
	}
	return id, nil
}

// serviceAccount reads the service-account file, or generates one whose
// token_uri points at this server.
func serviceAccount(path, tokenURI string) (sheetsemu.ServiceAccount, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		return sheetsemu.ParseServiceAccountJSON(raw)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return sheetsemu.ServiceAccount{}, fmt.Errorf("service account %s: %w", path, err)
	}
	sa, js, err := sheetsemu.GenerateServiceAccount("syncd@sheets-emulator.iam.gserviceaccount.com", tokenURI)
	if err != nil {
		return sheetsemu.ServiceAccount{}, err
	}
	if err := os.WriteFile(path, js, 0o600); err != nil {
		return sheetsemu.ServiceAccount{}, fmt.Errorf("service account %s: %w", path, err)
	}
	return sa, nil
}

// runReplay replays every cassette in dir and prints a line per cassette
// and the conformance.
func runReplay(dir string, stdout io.Writer) error {
	results, err := sheetsemu.ReplayDir(dir)
	if err != nil {
		return err
	}
	pass := 0
	for _, r := range results {
		if r.Pass {
			pass++
			fmt.Fprintf(stdout, "PASS %s\n", r.Name)
		} else {
			fmt.Fprintf(stdout, "FAIL %s: %s\n", r.Name, r.Reason)
		}
	}
	fmt.Fprintf(stdout, "conformance: %d/%d cassettes\n", pass, len(results))
	if pass != len(results) {
		return errCassettesFailed
	}
	return nil
}
