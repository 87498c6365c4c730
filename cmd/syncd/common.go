package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/sheets"
)

// configFlag registers -config on fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "config file (default $SYNCD_CONFIG, else "+config.DefaultPath+")")
}

// loadConfig loads the config named by -config, else $SYNCD_CONFIG, else
// the default path. Its error is a *configError.
func loadConfig(flagValue string) (*config.Config, error) {
	cfg, err := config.Open(flagValue)
	if err != nil {
		return nil, &configError{err}
	}
	return cfg, nil
}

// loadConfigAndLogger is the set-up of every command that logs: the config
// and the logger its log section asks for. The caller syncs the logger.
func loadConfigAndLogger(flagValue string) (*config.Config, *zap.Logger, error) {
	cfg, err := loadConfig(flagValue)
	if err != nil {
		return nil, nil, err
	}
	log, err := newLogger(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, log, nil
}

// connConfig parses a Postgres URL and pins the session settings syncd's
// text forms rely on (see syncer.Value).
func connConfig(url string) (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres.url: %w", err)
	}
	setSessionParams(cc.RuntimeParams)
	return cc, nil
}

func setSessionParams(p map[string]string) {
	p["timezone"] = "UTC"
	p["datestyle"] = "ISO, YMD"
	p["intervalstyle"] = "postgres"
	p["extra_float_digits"] = "1"
	p["application_name"] = "syncd"
}

// openPool opens a connection pool with syncd's session settings. It does
// not wait for a connection: the first query (or a Ping) does.
func openPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres.url: %w", err)
	}
	setSessionParams(pc.ConnConfig.RuntimeParams)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return pool, nil
}

// connect opens a single connection for one-shot commands.
func connect(ctx context.Context, url string) (*pgx.Conn, error) {
	cc, err := connConfig(url)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, connectError{err}
	}
	return conn, nil
}

// connectError is a failed connection to Postgres: "connect to postgres: "
// and pgx's message, each line once (see uniqueLines).
type connectError struct{ err error }

// Error is "connect to postgres: " and pgx's message without repeated lines.
func (e connectError) Error() string { return "connect to postgres: " + uniqueLines(e.err) }

// Unwrap returns pgx's error.
func (e connectError) Unwrap() error { return e.err }

// oneEach is err with each distinct line of its message once (uniqueLines);
// errors.Is and As see err.
type oneEach struct{ err error }

// Error is err's message without repeated lines.
func (e oneEach) Error() string { return uniqueLines(e.err) }

// Unwrap returns err.
func (e oneEach) Unwrap() error { return e.err }

// uniqueLines is err's message with each distinct line kept once. pgx lists
// every connection attempt on a line of its own, and with sslmode=prefer
// (libpq's default) it tries each address twice, with TLS and without, so
// the same dial error came out twice.
func uniqueLines(err error) string {
	seen := map[string]bool{}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		key := strings.TrimSpace(l)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// newLogger builds the process logger from the config's log section:
// JSON for journald by default, console for people.
func newLogger(cfg *config.Config) (*zap.Logger, error) {
	var zc zap.Config
	if cfg != nil && cfg.Log.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	} else {
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	}
	if cfg != nil {
		if err := zc.Level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
			return nil, fmt.Errorf("log.level %q: %w", cfg.Log.Level, err)
		}
	}
	// Errors carry their context in the message (wrapped once per layer);
	// stack traces would only bury it in journald.
	zc.DisableStacktrace = true
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	if os.Getenv("SYNCD_LOG_FORMAT") == "console" {
		zc.Encoding = "console"
	}
	return zc.Build()
}

// sheetsOptions is the one place the config's sheets section becomes
// sheets.Options, so every command reaches the spreadsheet the same way
// (endpoint, credentials, quota). log may be nil (no client logging).
func sheetsOptions(cfg *config.Config, log *zap.Logger) sheets.Options {
	return sheets.Options{
		SpreadsheetID:          cfg.Sheets.SpreadsheetID,
		Endpoint:               cfg.Sheets.Endpoint,
		CredentialsFile:        cfg.Sheets.CredentialsFile,
		WriteRequestsPerMinute: cfg.Sheets.WriteRequestsPerMinute,
		ReadRequestsPerMinute:  cfg.Sheets.ReadRequestsPerMinute,
		Logger:                 log,
	}
}

// writeJSON writes v as indented JSON, with <, > and & as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
