package catalog_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// schema has a column of every kind the codec knows, and the catalog
// oddities lookups must survive: a mixed-case schema, table and column
// names, an enum, a domain, money, a view and foreign keys.
const schema = `
	CREATE TYPE status AS ENUM ('open', 'closed', 'cancelled');
	CREATE DOMAIN positive AS int CHECK (VALUE > 0);
	CREATE TABLE everything (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		small smallint NOT NULL,
		medium int DEFAULT 7,
		price numeric(12,2),
		ratio numeric,
		cash money,
		f4 real,
		f8 double precision,
		flag boolean,
		day date,
		at timestamp,
		attz timestamptz,
		doc json,
		docb jsonb,
		name text,
		code varchar(8),
		letter char(1),
		uid uuid,
		st status,
		qty positive,
		pos point,
		dropped int,
		doubled int GENERATED ALWAYS AS (medium * 2) STORED
	);
	ALTER TABLE everything DROP COLUMN dropped;
	CREATE SCHEMA "Sales";
	CREATE TABLE "Sales"."Shift Log" ("Shift ID" int, "Day" date, note text, PRIMARY KEY ("Day", "Shift ID"));
	CREATE VIEW recent AS SELECT id, name FROM everything;
	CREATE TABLE parent (a int, b int, PRIMARY KEY (a, b));
	CREATE TABLE child (id int PRIMARY KEY, pa int, pb int, up int REFERENCES child,
		other bigint REFERENCES everything, FOREIGN KEY (pa, pb) REFERENCES parent);`

func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	url := pgtest.NewDB(t)
	pgtest.Exec(t, url, schema)
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestCatalog(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()

	t.Run("every kind of column", func(t *testing.T) {
		info, err := catalog.LookupTable(ctx, conn, "everything")
		if err != nil {
			t.Fatal(err)
		}
		if info.Name != "public.everything" || !slices.Equal(info.PrimaryKey, []string{"id"}) {
			t.Errorf("name %s key %v, want public.everything [id]", info.Name, info.PrimaryKey)
		}
		want := []syncd.Column{
			{Name: "id", Type: "bigint", Kind: syncd.KindInt, Scale: -1},
			{Name: "small", Type: "smallint", Kind: syncd.KindInt, Scale: -1},
			{Name: "medium", Type: "integer", Kind: syncd.KindInt, Scale: -1},
			{Name: "price", Type: "numeric(12,2)", Kind: syncd.KindNumeric, Scale: 2},
			{Name: "ratio", Type: "numeric", Kind: syncd.KindNumeric, Scale: -1},
			{Name: "cash", Type: "money", Kind: syncd.KindNumeric, Scale: 2},
			{Name: "f4", Type: "real", Kind: syncd.KindFloat, Scale: -1},
			{Name: "f8", Type: "double precision", Kind: syncd.KindFloat, Scale: -1},
			{Name: "flag", Type: "boolean", Kind: syncd.KindBool, Scale: -1},
			{Name: "day", Type: "date", Kind: syncd.KindDate, Scale: -1},
			{Name: "at", Type: "timestamp without time zone", Kind: syncd.KindTimestamp, Scale: -1},
			{Name: "attz", Type: "timestamp with time zone", Kind: syncd.KindTimestampTZ, Scale: -1},
			{Name: "doc", Type: "json", Kind: syncd.KindJSON, Scale: -1},
			{Name: "docb", Type: "jsonb", Kind: syncd.KindJSON, Scale: -1},
			{Name: "name", Type: "text", Kind: syncd.KindText, Scale: -1},
			{Name: "code", Type: "character varying(8)", Kind: syncd.KindText, Scale: -1},
			{Name: "letter", Type: "character(1)", Kind: syncd.KindText, Scale: -1},
			{Name: "uid", Type: "uuid", Kind: syncd.KindText, Scale: -1},
			{Name: "st", Type: "status", Kind: syncd.KindText, Scale: -1},
			{Name: "qty", Type: "positive", Kind: syncd.KindOther, Scale: -1},
			{Name: "pos", Type: "point", Kind: syncd.KindOther, Scale: -1},
			{Name: "doubled", Type: "integer", Kind: syncd.KindInt, Scale: -1},
		}
		if !slices.Equal(info.Columns, want) {
			t.Errorf("columns:\n got %+v\nwant %+v", info.Columns, want)
		}
		if c, ok := info.Column("price"); !ok || c.Scale != 2 {
			t.Errorf("Column(price) = %+v, %v", c, ok)
		}
		if _, ok := info.Column("dropped"); ok {
			t.Error("a dropped column is still listed")
		}
	})

	t.Run("detail", func(t *testing.T) {
		d, err := catalog.LookupTableDetail(ctx, conn, "public.everything")
		if err != nil {
			t.Fatal(err)
		}
		info, err := catalog.LookupTable(ctx, conn, "public.everything")
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Info(); got.Name != info.Name || !slices.Equal(got.Columns, info.Columns) ||
			!slices.Equal(got.PrimaryKey, info.PrimaryKey) {
			t.Errorf("LookupTableDetail(...).Info() = %+v, LookupTable = %+v", got, info)
		}
		for _, tc := range []struct {
			col        string
			notNull    bool
			hasDefault bool
			precision  int
			intBits    int
			enum       []string
		}{
			{"id", true, true, 0, 64, nil},
			{"small", true, false, 0, 16, nil},
			{"medium", false, true, 0, 32, nil},
			{"price", false, false, 12, 0, nil},
			{"ratio", false, false, 0, 0, nil},
			{"cash", false, false, 0, 0, nil},
			{"st", false, false, 0, 0, []string{"open", "closed", "cancelled"}},
			{"qty", false, false, 0, 0, nil},
			{"doubled", false, true, 0, 32, nil},
		} {
			c, ok := d.Column(tc.col)
			if !ok {
				t.Errorf("no column %s", tc.col)
				continue
			}
			if c.NotNull != tc.notNull || c.HasDefault != tc.hasDefault || c.Precision != tc.precision ||
				c.IntBits != tc.intBits || !slices.Equal(c.Enum, tc.enum) && len(c.Enum)+len(tc.enum) > 0 {
				t.Errorf("%s: not null %v default %v precision %d bits %d enum %v; want %v %v %d %d %v", tc.col,
					c.NotNull, c.HasDefault, c.Precision, c.IntBits, c.Enum,
					tc.notNull, tc.hasDefault, tc.precision, tc.intBits, tc.enum)
			}
		}
	})

	t.Run("quoted mixed-case names", func(t *testing.T) {
		info, err := catalog.LookupTable(ctx, conn, `"Sales"."Shift Log"`)
		if err != nil {
			t.Fatal(err)
		}
		if info.Name != `"Sales"."Shift Log"` {
			t.Errorf("name %s", info.Name)
		}
		if !slices.Equal(info.PrimaryKey, []string{"Day", "Shift ID"}) {
			t.Errorf("key %v, want [Day Shift ID] in index order", info.PrimaryKey)
		}
		if c, ok := info.Column("Shift ID"); !ok || c.Kind != syncd.KindInt {
			t.Errorf(`Column("Shift ID") = %+v, %v`, c, ok)
		}
		// Unquoted, the name folds to lower case and names nothing.
		if _, err := catalog.LookupTable(ctx, conn, "Sales.ShiftLog"); !errors.Is(err, catalog.ErrNoTable) {
			t.Errorf("unquoted mixed-case name: %v, want ErrNoTable", err)
		}
	})

	t.Run("missing table", func(t *testing.T) {
		for _, lookup := range []func(string) error{
			func(n string) error { _, err := catalog.LookupTable(ctx, conn, n); return err },
			func(n string) error { _, err := catalog.LookupTableDetail(ctx, conn, n); return err },
		} {
			if err := lookup("nosuch"); !errors.Is(err, catalog.ErrNoTable) {
				t.Errorf("missing table: %v, want ErrNoTable", err)
			}
			if err := lookup("nosuchschema.t"); !errors.Is(err, catalog.ErrNoTable) {
				t.Errorf("missing schema: %v, want ErrNoTable", err)
			}
			if err := lookup("recent"); !errors.Is(err, catalog.ErrNoTable) {
				t.Errorf("view: %v, want ErrNoTable", err)
			}
		}
	})

	t.Run("foreign keys", func(t *testing.T) {
		fks, err := catalog.ForeignKeys(ctx, conn, []string{"public.child", "public.parent", "public.everything"})
		if err != nil {
			t.Fatal(err)
		}
		want := []catalog.ForeignKey{
			{Table: "public.everything", From: []string{"other"}, To: []string{"id"}},
			{Table: "public.parent", From: []string{"pa", "pb"}, To: []string{"a", "b"}},
		}
		got := fks["public.child"]
		slices.SortFunc(got, func(a, b catalog.ForeignKey) int {
			if a.Table < b.Table {
				return -1
			}
			return 1
		})
		if len(fks) != 1 || len(got) != len(want) {
			t.Fatalf("foreign keys %+v, want child's two (no self-reference)", fks)
		}
		for i := range want {
			if got[i].Table != want[i].Table || !slices.Equal(got[i].From, want[i].From) || !slices.Equal(got[i].To, want[i].To) {
				t.Errorf("key %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		// A key to a table outside the set is left out.
		fks, err = catalog.ForeignKeys(ctx, conn, []string{"public.child", "public.parent"})
		if err != nil {
			t.Fatal(err)
		}
		if got := fks["public.child"]; len(got) != 1 || got[0].Table != "public.parent" {
			t.Errorf("foreign keys within child and parent: %+v", fks)
		}
	})

	t.Run("query columns", func(t *testing.T) {
		cols, err := catalog.DescribeQuery(ctx, conn, `
			SELECT id, price, cash, price * 2 AS doubled, st, qty, name::varchar(3) AS short, now() AS at
			FROM everything`)
		if err != nil {
			t.Fatal(err)
		}
		want := []syncd.Column{
			{Name: "id", Type: "bigint", Kind: syncd.KindInt, Scale: -1},
			{Name: "price", Type: "numeric(12,2)", Kind: syncd.KindNumeric, Scale: 2},
			{Name: "cash", Type: "money", Kind: syncd.KindNumeric, Scale: 2},
			{Name: "doubled", Type: "numeric", Kind: syncd.KindNumeric, Scale: -1},
			{Name: "st", Type: "status", Kind: syncd.KindText, Scale: -1},
			{Name: "qty", Type: "integer", Kind: syncd.KindInt, Scale: -1},
			{Name: "short", Type: "character varying(3)", Kind: syncd.KindText, Scale: -1},
			{Name: "at", Type: "timestamp with time zone", Kind: syncd.KindTimestampTZ, Scale: -1},
		}
		if !slices.Equal(cols, want) {
			t.Errorf("columns:\n got %+v\nwant %+v", cols, want)
		}
		if _, err := catalog.DescribeQuery(ctx, conn, "SELECT nosuch FROM everything"); err == nil {
			t.Error("a query naming a missing column described without error")
		}
	})
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"shifts":     `"shifts"`,
		"Shift ID":   `"Shift ID"`,
		`say "hi"`:   `"say ""hi"""`,
		"public.t":   `"public.t"`,
		"итого":      `"итого"`,
		"select":     `"select"`,
		"a\x00b":     `"ab"`,
		"":           `""`,
		"Mixed_Case": `"Mixed_Case"`,
	} {
		if got := catalog.QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
	if got := catalog.QuoteIdents([]string{"a", "B c"}, ", "); got != `"a", "B c"` {
		t.Errorf("QuoteIdents = %s", got)
	}
}

func TestClassifyType(t *testing.T) {
	for _, tc := range []struct {
		typname, typtype, category string
		want                       syncd.ColumnKind
	}{
		{"int8", "b", "N", syncd.KindInt},
		{"money", "b", "N", syncd.KindNumeric},
		{"float4", "b", "N", syncd.KindFloat},
		{"mood", "e", "E", syncd.KindText},
		{"ltree", "b", "S", syncd.KindText},
		{"positive", "d", "N", syncd.KindOther},
		{"point", "b", "G", syncd.KindOther},
	} {
		if got := catalog.ClassifyType(tc.typname, tc.typtype, tc.category); got != tc.want {
			t.Errorf("ClassifyType(%s, %s, %s) = %v, want %v", tc.typname, tc.typtype, tc.category, got, tc.want)
		}
	}
}
