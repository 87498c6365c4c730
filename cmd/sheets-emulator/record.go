package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"

	"go.uber.org/zap"

	"github.com/syncd/syncd/sheetsemu"
)

// record runs the recording proxy on f.addr until ctx ends: every request
// goes to f.record with the caller's own Authorization, and every answer
// is written, scrubbed, to a cassette under f.cassettes.
func record(ctx context.Context, f flags, stdout io.Writer) error {
	logger := zap.NewNop()
	if f.verbose {
		if l, err := zap.NewDevelopment(); err == nil {
			logger = l
		}
	}
	upstream := f.record
	if upstream == "google" {
		upstream = sheetsemu.GoogleSheetsUpstream
	}
	secrets, err := credentialSecrets(f.scrubCreds)
	if err != nil {
		return err
	}
	rec, err := sheetsemu.NewRecorder(sheetsemu.RecorderOptions{Upstream: upstream, Dir: f.cassettes, Secrets: secrets, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", f.addr, err)
	}
	defer ln.Close()
	fmt.Fprintf(stdout, "sheets-emulator recording %s into %s on http://%s/ (POST /_recorder/cassette?name=NAME starts a cassette)\n", upstream, f.cassettes, ln.Addr())
	return serveHTTP(ctx, ln, rec)
}

// credentialSecrets reads the identifying fields of a service-account
// file, to be scrubbed; "" reads nothing.
func credentialSecrets(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scrub credentials: %w", err)
	}
	secrets, err := sheetsemu.CredentialSecrets(raw)
	if err != nil {
		return nil, fmt.Errorf("scrub credentials %s: %w", path, err)
	}
	return secrets, nil
}
