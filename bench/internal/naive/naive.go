// Package naive is the comparison mirror of the benchmarks: PostgreSQL to a
// Google Sheet the way the legacy bot and typical integrations do it. A
// row-level trigger sends the whole row as the NOTIFY payload, and every
// changed row costs its own Sheets API call (values.append for an insert,
// a key lookup plus values.update for an update), through the real Go
// sheets client. There is no outbox, no batching and no quota pacing: a 429
// is retried with truncated exponential backoff, as Google's guide advises.
// It exists only to be measured against syncd; nothing else uses it.
package naive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/internal/sheettest"
)

// Channel is the NOTIFY channel of the naive trigger.
const Channel = "naive"

// TriggerSQL installs the naive capture on table: one NOTIFY per row with
// the row as JSON, the pattern of most hand-written integrations.
func TriggerSQL(table string) string {
	return fmt.Sprintf(`CREATE OR REPLACE FUNCTION naive_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('%s', json_build_object('op', TG_OP, 'row', row_to_json(NEW))::text);
	RETURN NEW;
END $$;
CREATE TRIGGER naive_notify AFTER INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION naive_notify();`, Channel, table)
}

// Mirror copies one table into one tab, row by row.
type Mirror struct {
	// Svc is the Sheets client; SpreadsheetID and Tab say where rows go.
	Svc           *sheets.Service
	SpreadsheetID string
	Tab           string
	// Table is the mirrored table; Columns its columns in tab order, the
	// key first.
	Table   string
	Columns []string
}

// NewService returns a real Sheets client on endpoint without credentials
// (the emulator). A non-empty quotaUser makes its calls count as another
// user's, for set-up work that must not eat the measured quota.
func NewService(ctx context.Context, endpoint, quotaUser string) (*sheets.Service, error) {
	hc := &http.Client{Transport: http.DefaultTransport}
	if quotaUser != "" {
		hc.Transport = sheettest.QuotaUser(quotaUser, nil)
	}
	return sheets.NewService(ctx, option.WithEndpoint(endpoint), option.WithoutAuthentication(), option.WithHTTPClient(hc))
}

// Run LISTENs on conn, calls ready, and mirrors every notified row until
// ctx ends.
func (m *Mirror) Run(ctx context.Context, conn *pgx.Conn, ready func()) error {
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		var ev struct {
			Op  string          `json:"op"`
			Row json.RawMessage `json:"row"`
		}
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		row, err := m.values(ev.Row)
		if err != nil {
			return err
		}
		if ev.Op == "UPDATE" {
			err = m.update(ctx, row)
		} else {
			err = retry(ctx, func() error {
				_, err := m.Svc.Spreadsheets.Values.Append(m.SpreadsheetID, m.Tab+"!A1", &sheets.ValueRange{Values: [][]any{row}}).
					ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Context(ctx).Do()
				return err
			})
		}
		if err != nil {
			return err
		}
	}
}

// update finds the row's key in column A (one read) and overwrites it.
func (m *Mirror) update(ctx context.Context, row []any) error {
	var keys *sheets.ValueRange
	if err := retry(ctx, func() (err error) {
		keys, err = m.Svc.Spreadsheets.Values.Get(m.SpreadsheetID, m.Tab+"!A:A").ValueRenderOption("UNFORMATTED_VALUE").Context(ctx).Do()
		return err
	}); err != nil {
		return err
	}
	for i, k := range keys.Values {
		if len(k) > 0 && same(k[0], row[0]) {
			return m.write(ctx, i+1, row)
		}
	}
	return nil
}

func (m *Mirror) write(ctx context.Context, sheetRow int, row []any) error {
	rng := fmt.Sprintf("%s!A%d", m.Tab, sheetRow)
	return retry(ctx, func() error {
		_, err := m.Svc.Spreadsheets.Values.Update(m.SpreadsheetID, rng, &sheets.ValueRange{Values: [][]any{row}}).
			ValueInputOption("RAW").Context(ctx).Do()
		return err
	})
}

// values turns a row_to_json object into cells in column order.
func (m *Mirror) values(raw json.RawMessage) ([]any, error) {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	row := make([]any, len(m.Columns))
	for i, c := range m.Columns {
		v := obj[c]
		if v == nil {
			v = ""
		}
		row[i] = v
	}
	return row, nil
}

// Rows reads the whole table as tab rows (header first), the way Reconcile
// and the benchmarks' set-up see it.
func (m *Mirror) Rows(ctx context.Context, conn *pgx.Conn) ([][]any, error) {
	rs, err := conn.Query(ctx, fmt.Sprintf("SELECT row_to_json(t)::text FROM %s t ORDER BY 1", m.Table))
	if err != nil {
		return nil, err
	}
	header := make([]any, len(m.Columns))
	for i, c := range m.Columns {
		header[i] = c
	}
	out := [][]any{header}
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			return nil, err
		}
		row, err := m.values(json.RawMessage(s))
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// Report is what Reconcile did.
type Report struct {
	Rows, Drift, Written int
	// CompareSeconds is the time to read tab and table and find the drift.
	CompareSeconds float64
}

// Reconcile reads the whole tab (one call) and the whole table, and
// rewrites each differing row with its own values.update call. It stops
// when ctx ends, reporting how many rows it had written by then.
func (m *Mirror) Reconcile(ctx context.Context, conn *pgx.Conn) (Report, error) {
	start := time.Now()
	var rep Report
	var tab *sheets.ValueRange
	if err := retry(ctx, func() (err error) {
		tab, err = m.Svc.Spreadsheets.Values.Get(m.SpreadsheetID, m.Tab).ValueRenderOption("UNFORMATTED_VALUE").Context(ctx).Do()
		return err
	}); err != nil {
		return rep, err
	}
	rows, err := m.Rows(ctx, conn)
	if err != nil {
		return rep, err
	}
	rep.Rows = len(rows) - 1
	var todo []int
	for i, r := range rows {
		if i >= len(tab.Values) || !sameRow(tab.Values[i], r) {
			todo = append(todo, i)
		}
	}
	rep.Drift = len(todo)
	rep.CompareSeconds = time.Since(start).Seconds()
	for _, i := range todo {
		if err := m.write(ctx, i+1, rows[i]); err != nil {
			if ctx.Err() != nil {
				return rep, nil
			}
			return rep, err
		}
		rep.Written++
	}
	return rep, nil
}

func sameRow(a, b []any) bool {
	for i := range max(len(a), len(b)) {
		var x, y any = "", ""
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if !same(x, y) {
			return false
		}
	}
	return true
}

func same(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// retry runs call until it succeeds, backing off 1 s, 2 s, … 32 s after a
// 429 or 5xx; other errors are returned.
func retry(ctx context.Context, call func() error) error {
	wait := time.Second
	for {
		err := call()
		var ge *googleapi.Error
		if err == nil || !errors.As(err, &ge) || (ge.Code != 429 && ge.Code < 500) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait): // the backoff the integration is built with
		}
		wait = min(2*wait, 32*time.Second)
	}
}

// ColumnList parses a comma-separated column list.
func ColumnList(s string) []string { return strings.Split(s, ",") }
