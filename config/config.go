// Package config loads and validates syncd's YAML configuration (CONTRACT.md §4).
// Every error names the file and line it is about, so an operator can jump
// straight to the mistake.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/syncd/syncd"
)

// DefaultPath is where syncd looks for its config when neither -config nor
// SYNCD_CONFIG is given.
const DefaultPath = "/etc/syncd/syncd.yml"

// Defaults applied to keys the file leaves out.
const (
	DefaultSchedule        = "@every 5m"
	DefaultListen          = "127.0.0.1:9187"
	DefaultRequestsPerMin  = 60
	DefaultPollInterval    = "10s"
	DefaultMaxBatchChanges = 10000
	// Round 2 (CONTRACT.md §4 "Added in round 2").
	DefaultPollChanges     = "10s"
	DefaultConflictsTab    = "syncd conflicts"
	DefaultMaxSheetDeletes = 10
)

// Config is a loaded, statically validated configuration. Checks that need
// the database (tables, columns, keys) are done by [Config.Resolve].
type Config struct {
	// Path is the file the config was read from.
	Path string `yaml:"-"`

	Postgres  Postgres  `yaml:"postgres"`
	Sheets    Sheets    `yaml:"sheets"`
	Reconcile Reconcile `yaml:"reconcile"`
	HTTP      HTTP      `yaml:"http"`
	Log       Log       `yaml:"log"`
	Mirrors   []Mirror  `yaml:"mirrors"`

	root *yaml.Node
}

// Postgres holds the database connection settings.
type Postgres struct {
	// URL is a libpq URL or key=value DSN.
	URL string `yaml:"url"`
}

// Sheets holds the Google Sheets settings.
type Sheets struct {
	SpreadsheetID   string `yaml:"spreadsheet_id"`
	CredentialsFile string `yaml:"credentials_file"`
	// Endpoint, when non-empty, is the Sheets API base URL (the emulator);
	// no authentication is used unless CredentialsFile is set.
	Endpoint               string `yaml:"endpoint"`
	WriteRequestsPerMinute int    `yaml:"write_requests_per_minute"`
	ReadRequestsPerMinute  int    `yaml:"read_requests_per_minute"`
	// PollChanges is how often syncd asks Drive for each spreadsheet's
	// version (a Go duration, default 10s; "0" turns the poll off). See
	// Config.PollChangesEvery.
	PollChanges string `yaml:"poll_changes"`
	// ConflictsTab is the title of the tab that lists open conflicts; nil
	// means DefaultConflictsTab and "" turns the tab off. See
	// Config.ConflictsTabTitle.
	ConflictsTab *string `yaml:"conflicts_tab"`
}

// Reconcile holds the reconciliation schedule.
type Reconcile struct {
	// Schedule is a robfig/cron spec ("@every 5m", "0 3 * * *").
	Schedule string `yaml:"schedule"`
	// PollInterval is how often the outbox is drained even without a
	// NOTIFY (a Go duration, default 10s).
	PollInterval string `yaml:"poll_interval"`
}

// HTTP holds the health and metrics listener.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// Log selects the log format: "json" (default, for journald) or "console".
type Log struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// Mirror is one table (or query) mirrored into one tab.
type Mirror struct {
	Name      string   `yaml:"name"`
	Table     string   `yaml:"table"`
	Query     string   `yaml:"query"`
	Sheet     string   `yaml:"sheet"`
	Key       []string `yaml:"key"`
	Columns   []string `yaml:"columns"`
	Editable  []string `yaml:"editable"`
	DependsOn []string `yaml:"depends_on"`
	// OrderBy, when set, makes reconcile keep the tab sorted by these
	// columns; otherwise rows stay where people put them.
	OrderBy []string `yaml:"order_by"`

	// SpreadsheetID and CredentialsFile override sheets.spreadsheet_id and
	// sheets.credentials_file for this mirror's tab.
	SpreadsheetID   string `yaml:"spreadsheet_id"`
	CredentialsFile string `yaml:"credentials_file"`
	// SheetInserts makes rows typed into the tab INSERTs; SheetDeletes
	// makes rows deleted from it DELETEs, at most MaxSheetDeletes per pass
	// (nil means DefaultMaxSheetDeletes).
	SheetInserts    bool `yaml:"sheet_inserts"`
	SheetDeletes    bool `yaml:"sheet_deletes"`
	MaxSheetDeletes *int `yaml:"max_sheet_deletes"`
	// Protect is "warn" (the default: warning-only protected ranges on
	// the columns people may not edit) or "off".
	Protect string `yaml:"protect"`
}

// DefaultEnvFile is where the deployment keeps the variables the config
// refers to as ${NAME}: syncd.service and syncd-reconcile.service read it
// (EnvironmentFile=), a shell does not (see deploy/).
const DefaultEnvFile = "/etc/syncd/syncd.env"

// ErrEnvUnset is wrapped by the error about a ${NAME} in the config whose
// variable is not set and has no default.
var ErrEnvUnset = errors.New("environment variable not set")

// Error is a config problem at a place in the file.
type Error struct {
	File string
	Line int
	Msg  string
	// Err, when set, classifies the problem (ErrEnvUnset) for errors.Is.
	Err error
}

// Error is "file:line: message" (without the line when it is unknown).
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// EnvHint says, for an error wrapping ErrEnvUnset, where the variables are
// normally set and how to run command (e.g. "doctor") by hand with them.
func EnvHint(command string) string {
	return fmt.Sprintf("the service reads these variables from %s (EnvironmentFile= in syncd.service), a shell does not;\n"+
		"load it first: sudo -u syncd sh -c 'set -a; . %s; exec syncd %s'", DefaultEnvFile, DefaultEnvFile, command)
}

// ResolvePath picks the config file: the flag value, then $SYNCD_CONFIG,
// then DefaultPath.
func ResolvePath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := os.Getenv("SYNCD_CONFIG"); p != "" {
		return p
	}
	return DefaultPath
}

// Load reads, expands and validates the config at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Open loads the config ResolvePath picks. When the file does not exist,
// the error says where the path came from and how to give another, so a
// newcomer who ran `syncd run` without one learns of -config and
// SYNCD_CONFIG.
func Open(flagValue string) (*Config, error) {
	path := ResolvePath(flagValue)
	cfg, err := Load(path)
	if err != nil && errors.Is(err, os.ErrNotExist) {
		var from string
		switch {
		case flagValue != "":
			from = "given by -config"
		case os.Getenv("SYNCD_CONFIG") != "":
			from = "named by $SYNCD_CONFIG"
		default:
			from = "the default: neither -config FILE nor $SYNCD_CONFIG was given"
		}
		return nil, fmt.Errorf("no config file at %s (%s; deploy/syncd.yml.example is a start): %w", path, from, err)
	}
	return cfg, err
}

// Parse expands ${ENV} references in data, decodes it strictly (unknown keys
// are errors) and validates it. path is only used in error messages.
func Parse(path string, data []byte) (*Config, error) {
	expanded, err := expandEnv(path, data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{Path: path}
	var root yaml.Node
	if err := yaml.Unmarshal(expanded, &root); err != nil {
		return nil, yamlError(path, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: path, Msg: "config is empty"}
	}
	cfg.root = root.Content[0]
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		return nil, yamlError(path, err)
	}
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${NAME} and ${NAME:-default}. An unset variable without
// a default is an error naming its line: silently expanding it to "" would
// turn a forgotten DATABASE_URL into a confusing connection error later.
func expandEnv(path string, data []byte) ([]byte, error) {
	return ExpandEnv(data, func(line int, name string) error {
		return &Error{File: path, Line: line, Msg: fmt.Sprintf("environment variable %s is not set", name), Err: ErrEnvUnset}
	})
}

// ExpandEnv replaces ${NAME} and ${NAME:-default} in YAML text, leaving
// comment lines alone. For each unset variable without a default it calls
// unset with the 1-based line and the name, and returns all those errors
// joined (with the text expanded as far as it could be). The import plan
// uses it too, so both files expand alike.
func ExpandEnv(data []byte, unset func(line int, name string) error) ([]byte, error) {
	var errs []error
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			continue
		}
		lines[i] = envRef.ReplaceAllFunc(line, func(m []byte) []byte {
			sub := envRef.FindSubmatch(m)
			if v, ok := os.LookupEnv(string(sub[1])); ok {
				return []byte(v)
			}
			if sub[2] != nil {
				return sub[3]
			}
			errs = append(errs, unset(i+1, string(sub[1])))
			return m
		})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return bytes.Join(lines, []byte("\n")), nil
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)
var unknownField = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)

// yamlError turns yaml.v3's messages into file:line errors.
func yamlError(path string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, m := range te.Errors {
			errs = append(errs, yamlMsg(path, m))
		}
		return errors.Join(errs...)
	}
	return yamlMsg(path, strings.TrimPrefix(err.Error(), "yaml: "))
}

func yamlMsg(path, m string) error {
	sub := yamlLine.FindStringSubmatch(m)
	if sub == nil {
		return &Error{File: path, Msg: m}
	}
	line, _ := strconv.Atoi(sub[1])
	msg := sub[2]
	if u := unknownField.FindStringSubmatch(msg); u != nil {
		msg = fmt.Sprintf("unknown key %q in %s", u[1], sectionName(u[2]))
		if near := nearestKey(u[1], u[2]); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
	}
	return &Error{File: path, Line: line, Msg: msg}
}

func sectionName(goType string) string {
	switch goType {
	case "Config":
		return "the top level"
	case "Mirror":
		return "a mirror"
	}
	return strings.ToLower(goType)
}

func (c *Config) applyDefaults() {
	if c.Reconcile.Schedule == "" {
		c.Reconcile.Schedule = DefaultSchedule
	}
	if c.Reconcile.PollInterval == "" {
		c.Reconcile.PollInterval = DefaultPollInterval
	}
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = DefaultListen
	}
	if c.Sheets.WriteRequestsPerMinute == 0 {
		c.Sheets.WriteRequestsPerMinute = DefaultRequestsPerMin
	}
	if c.Sheets.ReadRequestsPerMinute == 0 {
		c.Sheets.ReadRequestsPerMinute = DefaultRequestsPerMin
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Sheets.PollChanges == "" {
		c.Sheets.PollChanges = DefaultPollChanges
	}
	if c.Sheets.ConflictsTab == nil {
		title := DefaultConflictsTab
		c.Sheets.ConflictsTab = &title
	}
	for i := range c.Mirrors {
		m := &c.Mirrors[i]
		if m.MaxSheetDeletes == nil {
			n := DefaultMaxSheetDeletes
			m.MaxSheetDeletes = &n
		}
		if m.Protect == "" {
			m.Protect = string(syncd.ProtectWarn)
		}
	}
}

// Line returns the line of the value at a path of mapping keys and sequence
// indexes (e.g. "mirrors", 0, "columns", 2), or of the deepest node found.
func (c *Config) Line(path ...any) int {
	n := c.root
	line := 0
	if n != nil {
		line = n.Line
	}
	for _, p := range path {
		if n == nil {
			break
		}
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		n = next
		if n.Kind == yaml.ScalarNode || n.Kind == yaml.SequenceNode && n.Style&yaml.FlowStyle != 0 {
			line = n.Line
		}
	}
	return line
}

// hasKey reports whether the top level of the file has key (with any
// value, null and [] included).
func (c *Config) hasKey(key string) bool {
	if c.root == nil || c.root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(c.root.Content); i += 2 {
		if c.root.Content[i].Value == key {
			return true
		}
	}
	return false
}

// errAt builds an Error at the line of path.
func (c *Config) errAt(msg string, path ...any) *Error {
	return &Error{File: c.Path, Line: c.Line(path...), Msg: msg}
}

var mirrorName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

func (c *Config) validate() error {
	var errs []error
	add := func(e *Error) { errs = append(errs, e) }
	if strings.TrimSpace(c.Postgres.URL) == "" {
		add(c.errAt("postgres.url is required (a libpq URL, e.g. ${DATABASE_URL})", "postgres"))
	}
	if strings.TrimSpace(c.Sheets.SpreadsheetID) == "" {
		add(c.errAt("sheets.spreadsheet_id is required (the id in the sheet's URL)", "sheets"))
	}
	if c.Sheets.WriteRequestsPerMinute < 0 {
		add(c.errAt("sheets.write_requests_per_minute must be positive", "sheets", "write_requests_per_minute"))
	}
	if c.Sheets.ReadRequestsPerMinute < 0 {
		add(c.errAt("sheets.read_requests_per_minute must be positive", "sheets", "read_requests_per_minute"))
	}
	if _, err := cron.ParseStandard(c.Reconcile.Schedule); err != nil {
		add(c.errAt(fmt.Sprintf("reconcile.schedule %q is not a cron spec: %v", c.Reconcile.Schedule, err), "reconcile", "schedule"))
	}
	if d, err := parseDuration(c.Reconcile.PollInterval); err != nil || d <= 0 {
		add(c.errAt(fmt.Sprintf("reconcile.poll_interval %q is not a positive duration like 10s", c.Reconcile.PollInterval), "reconcile", "poll_interval"))
	}
	if d, err := parseDuration(c.Sheets.PollChanges); err != nil || d < 0 {
		add(c.errAt(fmt.Sprintf("sheets.poll_changes %q is not a duration like 10s (0 turns the Drive poll off)", c.Sheets.PollChanges), "sheets", "poll_changes"))
	}
	if ct := c.ConflictsTabTitle(); len([]rune(ct)) > 100 {
		add(c.errAt("sheets.conflicts_tab is longer than 100 characters (a tab title's limit)", "sheets", "conflicts_tab"))
	} else if ct != strings.TrimSpace(ct) {
		add(c.errAt(fmt.Sprintf("sheets.conflicts_tab %q starts or ends with a space", ct), "sheets", "conflicts_tab"))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add(c.errAt(fmt.Sprintf("http.listen %q is not host:port", c.HTTP.Listen), "http", "listen"))
	}
	if f := c.Log.Format; f != "json" && f != "console" {
		add(c.errAt(fmt.Sprintf("log.format %q must be json or console", f), "log", "format"))
	}
	// mirrors: [] is a valid start: migrate, import, status and doctor
	// work before the first mirror is written, and run idles. A config
	// without the key at all is more likely a mistake, so it must say so.
	if !c.hasKey("mirrors") {
		add(c.errAt("no mirrors: section; list the tables to mirror under mirrors:, or write `mirrors: []` to start without any", "mirrors"))
	}
	names := map[string]int{}
	sheets := map[string]int{}
	for i, m := range c.Mirrors {
		at := func(msg string, path ...any) {
			add(c.errAt(fmt.Sprintf("mirror %q: %s", m.Name, msg), append([]any{"mirrors", i}, path...)...))
		}
		if m.Name == "" {
			add(c.errAt("a mirror needs a name", "mirrors", i))
		} else if !mirrorName.MatchString(m.Name) {
			at("name may use only letters, digits, '_', '-' and '.'", "name")
		} else if j, dup := names[m.Name]; dup {
			at(fmt.Sprintf("duplicate mirror name (also at line %d)", c.Line("mirrors", j, "name")), "name")
		}
		names[m.Name] = i
		switch {
		case m.Sheet == "":
			at("sheet: is required (the tab's title)")
		case len([]rune(m.Sheet)) > 100:
			at("sheet title is longer than 100 characters", "sheet")
		default:
			// Two mirrors may use one title in different spreadsheets.
			tab := c.spreadsheetOf(m) + "\x00" + m.Sheet
			if j, dup := sheets[tab]; dup {
				at(fmt.Sprintf("sheet %q is already used by mirror %q (line %d)", m.Sheet, c.Mirrors[j].Name, c.Line("mirrors", j, "sheet")), "sheet")
			}
			sheets[tab] = i
			if ct := c.ConflictsTabTitle(); ct != "" && m.Sheet == ct {
				at(fmt.Sprintf("sheet %q is sheets.conflicts_tab, the tab syncd lists conflicts in; rename one of them", m.Sheet), "sheet")
			}
		}
		c.validateRound2(m, at)
		switch {
		case m.Table == "" && m.Query == "":
			at("needs table: or query:")
		case m.Table != "" && m.Query != "":
			at("has both table: and query:; use one", "query")
		case m.Query != "" && len(m.Key) == 0:
			at("a query: mirror needs key: (the columns that identify a row)", "query")
		case m.Query != "" && len(m.Editable) > 0:
			at("a query: mirror is read-only; editable: needs table:", "editable")
		case m.Table != "" && len(m.DependsOn) > 0:
			at("depends_on: is for query: mirrors; a table mirror follows its own table", "depends_on")
		}
		for _, list := range []struct {
			key   string
			names []string
		}{{"key", m.Key}, {"columns", m.Columns}, {"editable", m.Editable}, {"order_by", m.OrderBy}} {
			seen := map[string]bool{}
			for j, n := range list.names {
				if seen[n] {
					at(fmt.Sprintf("%s: %q is listed twice", list.key, n), list.key, j)
				}
				seen[n] = true
			}
		}
		for j, e := range m.Editable {
			for _, k := range m.Key {
				if e == k {
					at(fmt.Sprintf("editable: %q is a key column; keys cannot be edited in the sheet", e), "editable", j)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// validateRound2 checks a mirror's keys of CONTRACT.md §4 "Added in round 2".
func (c *Config) validateRound2(m Mirror, at func(msg string, path ...any)) {
	if m.Query != "" {
		for _, k := range []struct {
			key string
			set bool
		}{{"sheet_inserts", m.SheetInserts}, {"sheet_deletes", m.SheetDeletes}} {
			if k.set {
				at(fmt.Sprintf("a query: mirror is read-only; %s: needs table:", k.key), k.key)
			}
		}
	}
	if m.MaxSheetDeletes != nil && *m.MaxSheetDeletes < 0 {
		at(fmt.Sprintf("max_sheet_deletes: %d is negative; it is how many rows one pass may delete (0 holds back every deletion)", *m.MaxSheetDeletes), "max_sheet_deletes")
	}
	if p := syncd.Protect(m.Protect); p != syncd.ProtectWarn && p != syncd.ProtectOff {
		at(fmt.Sprintf("protect: %q must be warn or off", m.Protect), "protect")
	}
	if m.SpreadsheetID != "" && strings.TrimSpace(m.SpreadsheetID) != m.SpreadsheetID {
		at(fmt.Sprintf("spreadsheet_id %q has spaces around it", m.SpreadsheetID), "spreadsheet_id")
	}
}

// spreadsheetOf is the spreadsheet a mirror's tab is in.
func (c *Config) spreadsheetOf(m Mirror) string {
	if m.SpreadsheetID != "" {
		return m.SpreadsheetID
	}
	return c.Sheets.SpreadsheetID
}

// credentialsOf is the service-account key a mirror's spreadsheet is
// reached with.
func (c *Config) credentialsOf(m Mirror) string {
	if m.CredentialsFile != "" {
		return m.CredentialsFile
	}
	return c.Sheets.CredentialsFile
}

// PollChangesEvery returns sheets.poll_changes as a duration (validated at
// load); 0 means syncd does not poll Drive for changes.
func (c *Config) PollChangesEvery() time.Duration {
	d, _ := parseDuration(c.Sheets.PollChanges)
	return d
}

// ConflictsTabTitle returns sheets.conflicts_tab: the title of the tab
// listing open conflicts, or "" when that tab is off.
func (c *Config) ConflictsTabTitle() string {
	if c.Sheets.ConflictsTab == nil {
		return DefaultConflictsTab
	}
	return *c.Sheets.ConflictsTab
}
