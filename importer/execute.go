package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// ErrRefused means execute or rollback changed nothing on purpose: the
// import would reject rows (without AllowRejects), or rows changed since.
var ErrRefused = errors.New("refused")

// ExecuteOptions tune Execute.
type ExecuteOptions struct {
	// AllowRejects imports the valid rows even when some are rejected;
	// every rejected row is kept in syncd.import_rejects.
	AllowRejects bool
	// PlanName is recorded with the import (the plan file, or "mirrors").
	PlanName string
	// Log receives a line per table; nil means none.
	Log *zap.Logger
}

// Execute loads res into the database in ONE transaction and returns the
// report with the import id (the sync_log row's id). Rows are upserted by
// key: new keys are inserted, rows whose imported columns differ are
// updated (their before-images kept for Rollback), equal rows are not
// touched, so a second Execute of the same sheet changes nothing. When res
// has rejections and AllowRejects is false it writes nothing and fails
// with ErrRefused.
func Execute(ctx context.Context, conn *pgx.Conn, res *Result, opts ExecuteOptions) (*Report, error) {
	rep := res.Report("execute")
	if len(res.Rejections) > 0 && !opts.AllowRejects {
		rep.Refused = fmt.Sprintf("%d row(s) would be rejected; fix the sheet or the plan, or pass -allow-rejects to import the valid rows and keep the rejected ones in syncd.import_rejects", len(res.Rejections))
		return rep, ErrRefused
	}
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := store.LockImports(ctx, tx); err != nil {
			return err
		}
		id, err := startLog(ctx, tx, res, opts.PlanName)
		if err != nil {
			return err
		}
		rep.ImportID = id
		written := 0
		for _, t := range res.Tables {
			ins, upd, err := upsertTable(ctx, tx, id, t)
			if err != nil {
				return fmt.Errorf("import tab %q into %s: %w", t.Plan.Tab, t.Plan.info.Name, err)
			}
			unch := len(t.Valid) - ins - upd
			t.Report.Inserted, t.Report.Updated, t.Report.Unchanged = &ins, &upd, &unch
			written += ins + upd
			log.Info("imported tab", zap.String("tab", t.Plan.Tab), zap.String("table", t.Plan.info.Name),
				zap.Int("inserted", ins), zap.Int("updated", upd), zap.Int("unchanged", unch))
		}
		if err := storeRejects(ctx, tx, id, res.Rejections); err != nil {
			return err
		}
		return finishLog(ctx, tx, id, written, 0, rep)
	})
	if err != nil {
		rep.ImportID = 0
		for _, t := range rep.Tabs {
			t.Inserted, t.Updated, t.Unchanged = nil, nil, nil
		}
		return rep, err
	}
	return rep, nil
}

// startLog inserts the import's sync_log and syncd.imports rows and returns
// the import id.
func startLog(ctx context.Context, tx pgx.Tx, res *Result, planName string) (int64, error) {
	// Open: finishLog completes the row with the figures at the end of the
	// same transaction.
	id, err := store.InsertLog(ctx, tx, store.LogEntry{Mirror: "import", Direction: store.FromSheet, Kind: store.KindImport,
		Status: store.StatusOK, APICalls: res.APICalls, Open: true})
	if err != nil {
		return 0, err
	}
	tables := make([]string, len(res.Tables))
	for i, t := range res.Tables {
		tables[i] = t.Plan.info.Name
	}
	if _, err := tx.Exec(ctx, `INSERT INTO syncd.imports (id, plan, spreadsheet_id, tables) VALUES ($1, $2, $3, $4)`,
		id, planName, res.SpreadsheetID, tables); err != nil {
		return 0, fmt.Errorf("record import: %w", err)
	}
	return id, nil
}

// finishLog completes the sync_log row with the figures and the report.
func finishLog(ctx context.Context, tx pgx.Tx, id int64, written, deleted int, rep *Report) error {
	details, err := json.Marshal(struct {
		Mode     string       `json:"mode"`
		Tabs     []*TabReport `json:"tabs"`
		Rejected int          `json:"rejected"`
		Warnings int          `json:"warnings"`
	}{rep.Mode, rep.Tabs, len(rep.Rejections), len(rep.Warnings)})
	if err != nil {
		return fmt.Errorf("encode import details: %w", err)
	}
	return store.FinishLog(ctx, tx, id, written, deleted, len(rep.Warnings), details)
}

// tableSQL spells one table's imported columns for generated SQL.
type tableSQL struct {
	name          string
	cols, keys    []string
	nonKey        []string
	stage         string
	keyJoin       string // t.k = s.k AND ...
	keyObj        string // jsonb_build_object('k', s.k, ...)
	afterObj      string // jsonb_build_object('c', s.c, ...)
	beforeObj     string // jsonb_build_object('c', t.c, ...)
	tCols, sCols  string // (t.c1, t.c2), (s.c1, s.c2)
	colList       string // c1, c2
	sNonKey, tSet string
}

func newTableSQL(t *TablePlan, stage string) tableSQL {
	q := tableSQL{name: t.info.Name, keys: t.Key, stage: stage}
	for _, c := range t.Columns {
		q.cols = append(q.cols, c.Column)
	}
	isKey := map[string]bool{}
	for _, k := range t.Key {
		isKey[k] = true
	}
	for _, c := range q.cols {
		if !isKey[c] {
			q.nonKey = append(q.nonKey, c)
		}
	}
	q.keyJoin = joinEach(t.Key, " AND ", func(c string) string { return "t." + c + " = s." + c })
	q.keyObj = jsonObj(t.Key, "s.")
	q.afterObj = jsonObj(q.cols, "s.")
	q.beforeObj = jsonObj(q.cols, "t.")
	q.tCols, q.sCols = compareRow(t, "t."), compareRow(t, "s.")
	q.colList = catalog.QuoteIdents(q.cols, ", ")
	q.tSet = catalog.QuoteIdents(q.nonKey, ", ")
	q.sNonKey = joinEach(q.nonKey, ", ", func(c string) string { return "s." + c })
	return q
}

// compareRow is the row of imported columns as IS DISTINCT FROM compares
// it. Types without an equality operator (json, xml, point, ...) are
// compared by their text, which Postgres prints canonically per type.
func compareRow(t *TablePlan, prefix string) string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = prefix + catalog.QuoteIdent(c.Column)
		if c.dbCol.Type == "json" || c.dbCol.Kind == syncd.KindOther {
			parts[i] += "::text"
		}
	}
	return "ROW(" + strings.Join(parts, ", ") + ")"
}

func joinEach(names []string, sep string, f func(quoted string) string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = f(catalog.QuoteIdent(n))
	}
	return strings.Join(parts, sep)
}

func jsonObj(names []string, prefix string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("'%s', %s%s", strings.ReplaceAll(n, "'", "''"), prefix, catalog.QuoteIdent(n))
	}
	return "jsonb_build_object(" + strings.Join(parts, ", ") + ")"
}

// rowsJSON encodes the valid rows as a JSON array of {column: text|null},
// which jsonb_populate_recordset casts into the table's column types.
func rowsJSON(t *TableResult) (string, error) {
	out := make([]map[string]any, len(t.Valid))
	for i, r := range t.Valid {
		m := make(map[string]any, len(r.Values)+1)
		for j, c := range t.Plan.Columns {
			switch {
			case r.Values[j].Valid && c.dbCol.Kind == syncd.KindJSON && json.Valid([]byte(r.Values[j].Text)):
				// Embedded as JSON, not as a string: jsonb_populate_recordset
				// would otherwise store the text as one jsonb string.
				m[c.Column] = json.RawMessage(r.Values[j].Text)
			case r.Values[j].Valid:
				m[c.Column] = r.Values[j].Text
			default:
				m[c.Column] = nil
			}
		}
		out[i] = m
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// stageRows loads a table's valid rows into a temporary table shaped like
// the target's imported columns (typed by Postgres itself).
func stageRows(ctx context.Context, tx pgx.Tx, t *TableResult, stage string) (tableSQL, error) {
	q := newTableSQL(t.Plan, stage)
	data, err := rowsJSON(t)
	if err != nil {
		return q, fmt.Errorf("encode rows: %w", err)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS
		SELECT %s FROM jsonb_populate_recordset(NULL::%s, $1::jsonb)`, stage, q.colList, q.name), data); err != nil {
		return q, fmt.Errorf("stage rows: %w", err)
	}
	return q, nil
}

// upsertTable applies one table's rows and records what it changed.
func upsertTable(ctx context.Context, tx pgx.Tx, id int64, t *TableResult) (inserted, updated int, err error) {
	const stage = "syncd_import_stage"
	if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+stage); err != nil {
		return 0, 0, fmt.Errorf("drop stage: %w", err)
	}
	q, err := stageRows(ctx, tx, t, stage)
	if err != nil {
		return 0, 0, err
	}
	// Before-images first, while the rows still hold them.
	_, err = tx.Exec(ctx, fmt.Sprintf(`
		INSERT INTO syncd.import_rows (import_id, tbl, key, action, before, after)
		SELECT $1, $2, %s, 'updated', %s, %s
		FROM %s s JOIN %s t ON %s
		WHERE %s IS DISTINCT FROM %s`,
		q.keyObj, q.beforeObj, q.afterObj, stage, q.name, q.keyJoin, q.tCols, q.sCols), id, q.name)
	if err != nil {
		return 0, 0, fmt.Errorf("record before-images: %w", err)
	}
	_, err = tx.Exec(ctx, fmt.Sprintf(`
		INSERT INTO syncd.import_rows (import_id, tbl, key, action, after)
		SELECT $1, $2, %s, 'inserted', %s
		FROM %s s WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE %s)`,
		q.keyObj, q.afterObj, stage, q.name, q.keyJoin), id, q.name)
	if err != nil {
		return 0, 0, fmt.Errorf("record inserted keys: %w", err)
	}
	if len(q.nonKey) > 0 {
		tag, err := tx.Exec(ctx, fmt.Sprintf(`
			UPDATE %s t SET (%s) = ROW(%s) FROM %s s
			WHERE %s AND %s IS DISTINCT FROM %s`,
			q.name, q.tSet, q.sNonKey, stage, q.keyJoin, q.tCols, q.sCols))
		if err != nil {
			return 0, 0, fmt.Errorf("update changed rows: %w", err)
		}
		updated = int(tag.RowsAffected())
	}
	tag, err := tx.Exec(ctx, fmt.Sprintf(`
		INSERT INTO %s (%s) SELECT %s FROM %s s
		WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE %s)`,
		q.name, q.colList, q.colList, stage, q.name, q.keyJoin))
	if err != nil {
		return 0, 0, fmt.Errorf("insert new rows: %w", err)
	}
	inserted = int(tag.RowsAffected())
	if _, err := tx.Exec(ctx, "DROP TABLE "+stage); err != nil {
		return 0, 0, fmt.Errorf("drop stage: %w", err)
	}
	return inserted, updated, nil
}

// storeRejects keeps every rejected row verbatim.
func storeRejects(ctx context.Context, tx pgx.Tx, id int64, rejects []Rejection) error {
	if len(rejects) == 0 {
		return nil
	}
	type rec struct {
		Tab     string            `json:"tab"`
		Row     int               `json:"row_number"`
		Column  string            `json:"column_name"`
		Kind    string            `json:"kind"`
		Value   string            `json:"value"`
		Message string            `json:"message"`
		Data    map[string]string `json:"row_data"`
	}
	recs := make([]rec, len(rejects))
	for i, r := range rejects {
		cells := r.Cells
		if cells == nil {
			cells = map[string]string{}
		}
		recs[i] = rec{r.Tab, r.Row, r.Column, r.Kind, r.Value, r.Message, cells}
	}
	data, err := json.Marshal(recs)
	if err != nil {
		return fmt.Errorf("encode rejected rows: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO syncd.import_rejects (import_id, tab, row_number, column_name, kind, value, message, row_data)
		SELECT $1, tab, row_number, column_name, kind, value, message, row_data
		FROM jsonb_to_recordset($2::jsonb) AS r(tab text, row_number int, column_name text, kind text,
		                                        value text, message text, row_data jsonb)`, id, string(data))
	if err != nil {
		return fmt.Errorf("store rejected rows: %w", err)
	}
	return nil
}
