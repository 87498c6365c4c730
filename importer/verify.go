package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/syncd/syncd/catalog"
)

// ErrDifferences means Verify found the database unlike the sheet.
var ErrDifferences = errors.New("database differs from the sheet")

// rowSum is one row's checksum and column texts, keyed by its key text.
type rowSum struct {
	row  int // sheet row (0 on the database side)
	sum  string
	cols []*string
}

// Verify compares the database with the sheet as res reads it: per table,
// the count of rows against the valid rows, and per row (by key) an md5
// checksum of the imported columns, both computed by Postgres from typed
// values so that "10" and "10.00" agree. Differences name the tab row, the
// key and the columns; any difference fails with ErrDifferences.
func Verify(ctx context.Context, q catalog.Querier, res *Result) (*Report, error) {
	rep := res.Report("verify")
	for _, t := range res.Tables {
		diffs, err := verifyTable(ctx, q, t)
		if err != nil {
			return rep, fmt.Errorf("verify tab %q against %s: %w", t.Plan.Tab, t.Plan.info.Name, err)
		}
		rep.Differences = append(rep.Differences, diffs...)
	}
	if len(rep.Differences) > 0 {
		return rep, ErrDifferences
	}
	return rep, nil
}

func verifyTable(ctx context.Context, q catalog.Querier, t *TableResult) ([]Difference, error) {
	s := newTableSQL(t.Plan, "")
	data, err := rowsJSON(t)
	if err != nil {
		return nil, fmt.Errorf("encode rows: %w", err)
	}
	keyText := "concat_ws(', ', " + joinEach(t.Plan.Key, ", ", func(c string) string { return "r." + c + "::text" }) + ")"
	colTexts := "ARRAY[" + joinEach(s.cols, ", ", func(c string) string { return "r." + c + "::text" }) + "]"
	sum := "md5(ROW(" + joinEach(s.cols, ", ", func(c string) string { return "r." + c }) + ")::text)"
	sheet, err := collectSums(ctx, q, fmt.Sprintf(`
		SELECT e.ord::int, %s, %s, %s
		FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, ord),
		     LATERAL jsonb_populate_record(NULL::%s, e.v) AS r`, keyText, sum, colTexts, s.name), data)
	if err != nil {
		return nil, fmt.Errorf("checksum sheet rows: %w", err)
	}
	for _, rs := range sheet {
		rs.row = t.Valid[rs.row-1].SheetRow
	}
	db, err := collectSums(ctx, q, fmt.Sprintf(`SELECT 0, %s, %s, %s FROM %s r`, keyText, sum, colTexts, s.name))
	if err != nil {
		return nil, fmt.Errorf("checksum table rows: %w", err)
	}
	var diffs []Difference
	d := func(row int, key, what string, cols []string) {
		diffs = append(diffs, Difference{Table: s.name, Tab: t.Plan.Tab, Row: row, Key: key, What: what, Columns: cols})
	}
	if len(sheet) != len(db) {
		d(0, "-", fmt.Sprintf("count differs: %d valid row(s) in the tab, %d in the table", len(sheet), len(db)), nil)
	}
	for _, k := range sortedKeys(sheet) {
		sr := sheet[k]
		dr, ok := db[k]
		switch {
		case !ok:
			d(sr.row, k, "missing from the table", nil)
		case dr.sum != sr.sum:
			var cols []string
			for i, c := range s.cols {
				if !equalPtr(sr.cols[i], dr.cols[i]) {
					cols = append(cols, c)
				}
			}
			d(sr.row, k, "differs (checksum)", cols)
		}
	}
	for _, k := range sortedKeys(db) {
		if _, ok := sheet[k]; !ok {
			d(0, k, "only in the table, not in the tab", nil)
		}
	}
	slices.SortStableFunc(diffs, func(a, b Difference) int { return a.Row - b.Row })
	return diffs, nil
}

func collectSums(ctx context.Context, q catalog.Querier, sql string, args ...any) (map[string]*rowSum, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*rowSum{}
	for rows.Next() {
		var rs rowSum
		var key string
		if err := rows.Scan(&rs.row, &key, &rs.sum, &rs.cols); err != nil {
			return nil, err
		}
		out[key] = &rs
	}
	return out, rows.Err()
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
