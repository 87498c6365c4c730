// Command sheets-emulator serves the Google Sheets API v4 emulator from
// package sheetsemu, or replays recorded real API traffic against it
// (-replay) to measure conformance.
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

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sheets-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8787", "listen address")
	var loads multiFlag
	fs.Var(&loads, "load", "spreadsheets.get JSON file to load (repeatable)")
	state := fs.String("state", "", "persist spreadsheets to this file across restarts")
	latency := fs.Duration("latency", 0, "latency added to every API request")
	writeQuota := fs.Int("write-quota", 0, "write requests per minute per user (0 = unlimited)")
	readQuota := fs.Int("read-quota", 0, "read requests per minute per user (0 = unlimited)")
	failRate := fs.Float64("fail-rate", 0, "probability (0..1) of answering 503")
	replay := fs.String("replay", "", "replay every cassette in DIR and report conformance")
	saFile := fs.String("service-account", "", "service-account JSON: registered if it exists, generated (with token_uri at this server) otherwise; enables authentication")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *replay != "" {
		return runReplay(*replay, stdout, stderr)
	}
	logger := zap.NewNop()
	if *verbose {
		l, err := zap.NewDevelopment()
		if err == nil {
			logger = l
		}
	}
	opts := sheetsemu.Options{Logger: logger, Latency: *latency, FailRate: *failRate,
		ReadQuota: *readQuota, WriteQuota: *writeQuota, StatePath: *state}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "sheets-emulator: listen %s: %v\n", *addr, err)
		return 1
	}
	if *saFile != "" {
		sa, err := serviceAccount(*saFile, "http://"+ln.Addr().String()+"/token")
		if err != nil {
			fmt.Fprintf(stderr, "sheets-emulator: %v\n", err)
			return 1
		}
		opts.ServiceAccounts = []sheetsemu.ServiceAccount{sa}
	}
	srv := sheetsemu.New(opts)
	for _, f := range loads {
		id, err := loadFile(srv, f)
		if err != nil {
			fmt.Fprintf(stderr, "sheets-emulator: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "loaded %s as spreadsheet %s\n", f, id)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	fmt.Fprintf(stdout, "sheets-emulator listening on http://%s/\n", ln.Addr())
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "sheets-emulator: serve: %v\n", err)
		return 1
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "sheets-emulator: %v\n", err)
		return 1
	}
	return 0
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

func runReplay(dir string, stdout, stderr io.Writer) int {
	results, err := sheetsemu.ReplayDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "sheets-emulator: %v\n", err)
		return 1
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
		return 1
	}
	return 0
}
