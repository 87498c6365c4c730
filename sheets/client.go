package sheets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
)

// Options configure a Client. The first five mirror the config keys
// sheets.spreadsheet_id, sheets.endpoint, sheets.credentials_file,
// sheets.write_requests_per_minute and sheets.read_requests_per_minute.
type Options struct {
	// SpreadsheetID is the spreadsheet the Client reads and writes. Required.
	SpreadsheetID string
	// Endpoint, when non-empty, is the Sheets API base URL to use instead
	// of Google's (the sheets-emulator). Requests carry no credentials
	// unless CredentialsFile is set too.
	Endpoint string
	// CredentialsFile is a service account key (JSON). Tokens are fetched
	// from the key's token_uri. Empty with an empty Endpoint means
	// Application Default Credentials.
	CredentialsFile string
	// WriteRequestsPerMinute and ReadRequestsPerMinute are the quota;
	// zero means DefaultRequestsPerMinute.
	WriteRequestsPerMinute, ReadRequestsPerMinute int
	// Logger receives retries and warnings; nil means no logging.
	Logger *zap.Logger
	// HTTPClient, if set, carries every request (token requests included);
	// its Transport gets the OAuth2 layer on top. Nil means a default one.
	HTTPClient *http.Client

	// Quota, if set, is used instead of the process-wide quota that New
	// otherwise shares between all Clients of the same service account
	// (or, without credentials, the same endpoint). See SharedQuota.
	Quota *Quota
	// Clock drives backoff waits; nil means SystemClock. For tests, which
	// also pass a Quota built on the same clock to drive quota waits.
	Clock Clock
	// MaxRequestBytes caps a batchUpdate body; zero means
	// DefaultMaxRequestBytes.
	MaxRequestBytes int
	// RequestTimeout bounds one attempt; zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// Client is one spreadsheet, reached through the Sheets API. It implements
// syncer.Spreadsheet and is safe for concurrent use.
type Client struct {
	id              string
	email           string // the service account, for error messages
	credentialsFile string
	svc             *sheets.Service
	drive           *drive.Service // files.get for Version only
	quota           *Quota
	clock           Clock
	log             *zap.Logger
	maxBytes        int
	requestTimeout  time.Duration
	stats           counters
}

var (
	_ syncd.Spreadsheet  = (*Client)(nil)
	_ syncd.QuotaAwaiter = (*Client)(nil)
)

// New returns a Client for opts.SpreadsheetID. It reads and checks the
// credentials file but makes no request: call Info to check access. ctx is
// used only while constructing; token refreshes later run on their own.
func New(ctx context.Context, opts Options) (*Client, error) {
	if opts.SpreadsheetID == "" {
		return nil, errors.New("new sheets client: sheets.spreadsheet_id is empty")
	}
	c := &Client{
		id:              opts.SpreadsheetID,
		credentialsFile: opts.CredentialsFile,
		clock:           opts.Clock,
		log:             opts.Logger,
		maxBytes:        opts.MaxRequestBytes,
		requestTimeout:  opts.RequestTimeout,
	}
	if c.clock == nil {
		c.clock = SystemClock
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	c.log = c.log.Named("sheets").With(zap.String("spreadsheet", c.id))
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxRequestBytes
	}
	if c.requestTimeout <= 0 {
		c.requestTimeout = DefaultRequestTimeout
	}
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	httpClient, err := c.authorize(opts, base)
	if err != nil {
		return nil, fmt.Errorf("new sheets client for %s: %w", c.id, err)
	}
	clientOpts := []option.ClientOption{option.WithHTTPClient(httpClient)}
	if opts.Endpoint != "" {
		clientOpts = append(clientOpts, option.WithEndpoint(opts.Endpoint))
	}
	if c.svc, err = sheets.NewService(ctx, clientOpts...); err != nil {
		return nil, fmt.Errorf("new sheets client for %s: %w", c.id, err)
	}
	if c.drive, err = newDrive(ctx, []option.ClientOption{option.WithHTTPClient(httpClient)}, opts.Endpoint); err != nil {
		return nil, fmt.Errorf("new drive client for %s: %w", c.id, err)
	}
	c.quota = opts.Quota
	if c.quota == nil {
		key := "endpoint " + opts.Endpoint
		if c.email != "" {
			key = "account " + c.email
		}
		q, created := SharedQuota(key, opts.ReadRequestsPerMinute, opts.WriteRequestsPerMinute)
		if !created && (q.Read.Limit() != orDefault(opts.ReadRequestsPerMinute) || q.Write.Limit() != orDefault(opts.WriteRequestsPerMinute)) {
			c.log.Warn("another client already set this credential's quota; keeping it",
				zap.Int("reads_per_minute", q.Read.Limit()), zap.Int("writes_per_minute", q.Write.Limit()))
		}
		c.quota = q
	}
	if c.quota.Drive == nil { // a Quota built by hand without a Drive budget
		c.quota = &Quota{Read: c.quota.Read, Write: c.quota.Write, Drive: NewLimiter(DefaultDriveRequestsPerMinute, c.clock)}
	}
	return c, nil
}

func orDefault(perMinute int) int {
	if perMinute <= 0 {
		return DefaultRequestsPerMinute
	}
	return perMinute
}

// authorize returns the HTTP client that carries API requests: base as it
// is for an emulator without credentials, else base with OAuth2 tokens.
func (c *Client) authorize(opts Options, base *http.Client) (*http.Client, error) {
	// Token requests go through base too, but never on New's ctx: it may
	// be cancelled long before the Client's last token refresh.
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient, base)
	var ts oauth2.TokenSource
	switch {
	case opts.CredentialsFile != "":
		key, data, err := ReadServiceAccountKey(opts.CredentialsFile)
		if err != nil {
			return nil, err
		}
		conf, err := google.JWTConfigFromJSON(data, sheets.SpreadsheetsScope, driveScope)
		if err != nil {
			return nil, &credentialsError{file: opts.CredentialsFile, what: "is not usable", err: err}
		}
		c.email = key.ClientEmail
		ts = conf.TokenSource(tokenCtx)
	case opts.Endpoint != "":
		return base, nil
	default:
		creds, err := google.FindDefaultCredentials(tokenCtx, sheets.SpreadsheetsScope, driveScope)
		if err != nil {
			return nil, fmt.Errorf("no sheets.credentials_file and no application default credentials: %w", err)
		}
		var key ServiceAccountKey
		if json.Unmarshal(creds.JSON, &key) == nil {
			c.email = key.ClientEmail
		}
		ts = creds.TokenSource
	}
	transport := base.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &http.Client{
		Transport:     &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, ts), Base: transport},
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}, nil
}

// SpreadsheetID returns the id of the Client's spreadsheet.
func (c *Client) SpreadsheetID() string { return c.id }

// ServiceAccount returns the email of the service account the Client acts
// as, or "" without one. Operators must share the spreadsheet with it.
func (c *Client) ServiceAccount() string { return c.email }

// Stats returns the Client's request counters so far.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// Info returns the spreadsheet's title, time zone and tabs with one
// spreadsheets.get. If the time zone is not one this binary knows, the
// returned info is complete, uses UTC, and the error wraps
// ErrUnknownTimeZone.
func (c *Client) Info(ctx context.Context) (syncd.SpreadsheetInfo, error) {
	var ss *sheets.Spreadsheet
	_, err := c.call(ctx, kindRead, "spreadsheets.get", func(ctx context.Context) error {
		var err error
		ss, err = c.svc.Spreadsheets.Get(c.id).
			Fields("properties.title,properties.timeZone,sheets.properties,sheets.protectedRanges(protectedRangeId,description,warningOnly,range)").
			Context(ctx).Do()
		return err
	})
	if err != nil {
		return syncd.SpreadsheetInfo{}, fmt.Errorf("get info of spreadsheet %s: %w", c.id, err)
	}
	info := syncd.SpreadsheetInfo{TimeZone: time.UTC}
	var tzErr error
	if p := ss.Properties; p != nil {
		info.Title = p.Title
		if p.TimeZone != "" {
			loc, err := loadZone(p.TimeZone)
			if err != nil {
				tzErr = fmt.Errorf("spreadsheet %s: time zone %q: %w (using UTC)", c.id, p.TimeZone, ErrUnknownTimeZone)
			} else {
				info.TimeZone = loc
			}
		}
	}
	for _, s := range ss.Sheets {
		if s == nil || s.Properties == nil {
			continue
		}
		p := s.Properties
		t := syncd.TabInfo{SheetID: p.SheetId, Title: p.Title, Index: int(p.Index), Hidden: p.Hidden}
		if g := p.GridProperties; g != nil {
			t.RowCount, t.ColCount, t.FrozenRows = int(g.RowCount), int(g.ColumnCount), int(g.FrozenRowCount)
		}
		t.Protected = protectedRanges(s.ProtectedRanges)
		info.Tabs = append(info.Tabs, t)
	}
	return info, tzErr
}

// loadZone loads a tz database zone, or a fixed offset in the "GMT+03:00"
// form that older spreadsheets carry.
func loadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err == nil {
		return loc, nil
	}
	for _, prefix := range []string{"GMT", "UTC"} {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" {
			continue
		}
		t := stamp{}
		if t.parseOffset(rest) == nil && t.hasOffset {
			return time.FixedZone(name, t.offset), nil
		}
	}
	return nil, err
}

// Read returns the cells of each range with one values.batchGet
// (UNFORMATTED_VALUE, SERIAL_NUMBER), in the order of ranges. Rows and
// cells are relative to each range's top-left corner; trailing empty rows
// and cells are trimmed. Every valid Range can be read, including those
// FormatRange cannot express (they are read wider and cropped).
//
// When any range is addressed by sheet id (Range.ByID) the call is one
// values.batchGetByDataFilter, the ranges by id as gridRange filters and
// the others as a1Range filters: a title names whichever tab holds it at
// the moment of the call, a sheet id only the tab it was given to.
func (c *Client) Read(ctx context.Context, ranges []syncd.Range) ([][][]syncd.Cell, error) {
	if len(ranges) == 0 {
		return nil, nil
	}
	for _, r := range ranges {
		if r.ByID {
			return c.readByFilter(ctx, ranges)
		}
	}
	a1 := make([]string, len(ranges))
	crops := make([]crop, len(ranges))
	for i, r := range ranges {
		s, cr, err := readRange(r)
		if err != nil {
			return nil, fmt.Errorf("read %d ranges of %s: %w", len(ranges), c.id, err)
		}
		a1[i], crops[i] = s, cr
	}
	var resp *sheets.BatchGetValuesResponse
	_, err := c.call(ctx, kindRead, "values.batchGet", func(ctx context.Context) error {
		var err error
		resp, err = c.svc.Spreadsheets.Values.BatchGet(c.id).Ranges(a1...).
			MajorDimension("ROWS").ValueRenderOption("UNFORMATTED_VALUE").DateTimeRenderOption("SERIAL_NUMBER").
			Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", strings.Join(a1, ", "), c.id, err)
	}
	if len(resp.ValueRanges) != len(ranges) {
		return nil, fmt.Errorf("read %d ranges of %s: the API returned %d", len(ranges), c.id, len(resp.ValueRanges))
	}
	out := make([][][]syncd.Cell, len(ranges))
	for i, vr := range resp.ValueRanges {
		if vr == nil {
			continue
		}
		out[i] = crops[i].apply(decodeRows(vr.Values))
	}
	return out, nil
}

// readByFilter is Read through values.batchGetByDataFilter.
func (c *Client) readByFilter(ctx context.Context, ranges []syncd.Range) ([][][]syncd.Cell, error) {
	filters := make([]*sheets.DataFilter, len(ranges))
	crops := make([]crop, len(ranges))
	names := make([]string, len(ranges))
	for i, r := range ranges {
		if !r.ByID {
			s, cr, err := readRange(r)
			if err != nil {
				return nil, fmt.Errorf("read %d ranges of %s: %w", len(ranges), c.id, err)
			}
			filters[i], crops[i], names[i] = &sheets.DataFilter{A1Range: s}, cr, s
			continue
		}
		if r.StartRow < 0 || r.StartCol < 0 || (r.EndRow != 0 && r.EndRow < r.StartRow) || (r.EndCol != 0 && r.EndCol < r.StartCol) {
			return nil, fmt.Errorf("read %d ranges of %s: invalid range %+v", len(ranges), c.id, r)
		}
		g := &sheets.GridRange{SheetId: r.SheetID, StartRowIndex: int64(r.StartRow), StartColumnIndex: int64(r.StartCol),
			EndRowIndex: int64(r.EndRow), EndColumnIndex: int64(r.EndCol), ForceSendFields: []string{"SheetId"}}
		filters[i] = &sheets.DataFilter{GridRange: g}
		names[i] = fmt.Sprintf("tab %q (sheet id %d) rows %d-%s", r.Tab, r.SheetID, r.StartRow, openEnd(r.EndRow))
	}
	var resp *sheets.BatchGetValuesByDataFilterResponse
	_, err := c.call(ctx, kindRead, "values.batchGetByDataFilter", func(ctx context.Context) error {
		var err error
		resp, err = c.svc.Spreadsheets.Values.BatchGetByDataFilter(c.id, &sheets.BatchGetValuesByDataFilterRequest{
			DataFilters: filters, MajorDimension: "ROWS", ValueRenderOption: "UNFORMATTED_VALUE", DateTimeRenderOption: "SERIAL_NUMBER",
		}).Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", strings.Join(names, ", "), c.id, err)
	}
	matched := make([]*sheets.ValueRange, len(ranges))
	if len(resp.ValueRanges) == len(ranges) {
		// One match per filter, in the order of the filters.
		for i, m := range resp.ValueRanges {
			if m != nil {
				matched[i] = m.ValueRange
			}
		}
	} else {
		// Identical filters may share one matched range: place each by
		// the filters it names.
		for _, m := range resp.ValueRanges {
			if m == nil {
				continue
			}
			for _, f := range m.DataFilters {
				for i := range filters {
					if matched[i] == nil && sameFilter(f, filters[i]) {
						matched[i] = m.ValueRange
					}
				}
			}
		}
	}
	out := make([][][]syncd.Cell, len(ranges))
	for i, vr := range matched {
		if vr == nil {
			return nil, fmt.Errorf("read %s of %s: the API returned no values for it", names[i], c.id)
		}
		out[i] = crops[i].apply(decodeRows(vr.Values))
	}
	return out, nil
}

func openEnd(n int) string {
	if n == 0 {
		return "end"
	}
	return fmt.Sprint(n)
}

// sameFilter reports whether an echoed data filter is the one sent.
func sameFilter(a, b *sheets.DataFilter) bool {
	if a == nil || b == nil {
		return false
	}
	if a.GridRange == nil || b.GridRange == nil {
		return a.GridRange == nil && b.GridRange == nil && a.A1Range == b.A1Range && a.A1Range != ""
	}
	x, y := a.GridRange, b.GridRange
	return x.SheetId == y.SheetId && x.StartRowIndex == y.StartRowIndex && x.EndRowIndex == y.EndRowIndex &&
		x.StartColumnIndex == y.StartColumnIndex && x.EndColumnIndex == y.EndColumnIndex
}

// crop is what Read cuts off the top and left of a wider range it had to
// request because A1 cannot express the one asked for.
type crop struct{ rows, cols int }

// readRange returns the A1 text to request for r. For the shapes A1 has no
// form for (an open column end starting after column A, or after row 1
// with an open row end, e.g. "every column from row 2 on") it requests the
// whole rows or the whole tab and says how much to cut off.
func readRange(r syncd.Range) (string, crop, error) {
	s, err := FormatRange(r)
	if !errors.Is(err, ErrUnrepresentable) {
		return s, crop{}, err
	}
	wide := r
	wide.StartCol = 0
	if r.EndRow == 0 {
		wide.StartRow = 0
	}
	s, err = FormatRange(wide)
	return s, crop{rows: r.StartRow - wide.StartRow, cols: r.StartCol}, err
}

func (cr crop) apply(rows [][]syncd.Cell) [][]syncd.Cell {
	if cr.rows == 0 && cr.cols == 0 {
		return rows
	}
	if cr.rows >= len(rows) {
		return nil
	}
	rows = rows[cr.rows:]
	for i, row := range rows {
		if cr.cols >= len(row) {
			rows[i] = nil
		} else {
			rows[i] = row[cr.cols:]
		}
	}
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	return rows
}

// formulaErrors are the error literals Sheets shows; UNFORMATTED_VALUE
// delivers them as plain strings.
var formulaErrors = map[string]bool{
	"#NULL!": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true,
	"#NUM!": true, "#N/A": true, "#ERROR!": true, "#SPILL!": true, "#CALC!": true,
}

func decodeRows(values [][]any) [][]syncd.Cell {
	rows := make([][]syncd.Cell, len(values))
	for i, vs := range values {
		row := make([]syncd.Cell, len(vs))
		for j, v := range vs {
			row[j] = decodeValue(v)
		}
		for len(row) > 0 && row[len(row)-1].Type == syncd.CellEmpty {
			row = row[:len(row)-1]
		}
		rows[i] = row
	}
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	return rows
}

func decodeValue(v any) syncd.Cell {
	switch v := v.(type) {
	case string:
		if v == "" {
			return syncd.Cell{}
		}
		if formulaErrors[v] {
			return syncd.Cell{Type: syncd.CellError, String: v}
		}
		return syncd.StringCell(v)
	case float64:
		return syncd.NumberCell(v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return syncd.StringCell(v.String())
		}
		return syncd.NumberCell(f)
	case bool:
		return syncd.BoolCell(v)
	case nil:
		return syncd.Cell{}
	}
	return syncd.StringCell(fmt.Sprint(v))
}

// AwaitQuota blocks until both a read and a write could be sent at once
// under the client's quota, or ctx is done. It implements
// syncer.QuotaAwaiter.
func (c *Client) AwaitQuota(ctx context.Context) error {
	if err := c.quota.Read.Ready(ctx); err != nil {
		return err
	}
	return c.quota.Write.Ready(ctx)
}

// Apply performs ops in order as one spreadsheets.batchUpdate, or as
// several when the body would exceed MaxRequestBytes (only then are they
// not atomic as a whole). It returns the number of requests sent,
// retries included. If a later batch fails, the earlier ones stay applied
// and the error says how many.
func (c *Client) Apply(ctx context.Context, ops []syncd.Op) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	batches, err := planBatches(ops, c.maxBytes)
	if err != nil {
		return 0, fmt.Errorf("apply %d ops to %s: %w", len(ops), c.id, err)
	}
	total := 0
	for i, b := range batches {
		kind := kindWrite
		if b.once {
			kind = kindWriteOnce
		}
		what := fmt.Sprintf("batchUpdate %d/%d (%d requests)", i+1, len(batches), len(b.reqs))
		req := &sheets.BatchUpdateSpreadsheetRequest{Requests: b.requests()}
		calls, err := c.call(ctx, kind, what, func(ctx context.Context) error {
			_, err := c.svc.Spreadsheets.BatchUpdate(c.id, req).Fields(googleapi.Field("spreadsheetId")).Context(ctx).Do()
			return err
		})
		total += calls
		if err != nil {
			if i > 0 {
				return total, fmt.Errorf("apply %d ops to %s: %s failed after %d of %d batches were applied: %w", len(ops), c.id, what, i, len(batches), err)
			}
			return total, fmt.Errorf("apply %d ops to %s: %w", len(ops), c.id, err)
		}
	}
	return total, nil
}
