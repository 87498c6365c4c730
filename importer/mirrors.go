package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// Decoder reads a cell back into a column's canonical Postgres text under
// the cell type contract (CONTRACT.md §2); sheets.Codec implements it.
type Decoder interface {
	Decode(col syncd.Column, c syncd.Cell, loc *time.Location) (syncd.Value, error)
}

// codecParser reads a mirror tab's cells with the codec that wrote them, so
// no parse rules are needed: money comes back to the cent, dates from their
// serials, NULL from empty cells, "=..." text as text.
type codecParser struct {
	dec  Decoder
	col  syncd.Column
	plan *Plan
}

// Parse implements Parser.
func (p *codecParser) Parse(c syncd.GridCell) (syncd.Value, error) {
	v, err := p.dec.Decode(p.col, c.Value, p.plan.loc)
	if err != nil {
		return syncd.Null, &ParseError{Kind: KindBadValue, Msg: err.Error(), Formula: c.Value.Type == syncd.CellError}
	}
	return v, nil
}

// MirrorPlan builds the plan that restores the config's table mirrors from
// their own tabs (`syncd import -from-mirrors`): one table per mirror
// (report mirrors are skipped), the mirrored columns under their own names
// as the header (matched exactly, by name, never by position), the
// mirror's key, single-column foreign keys between the mirrored tables
// checked as references, and tables ordered so that every table loads
// after the tables it references. Cells are read with dec.
func MirrorPlan(ctx context.Context, q catalog.Querier, mirrors []syncd.Mirror, dec Decoder) (*Plan, error) {
	p := &Plan{Path: "mirrors", exactHeaders: true}
	byTable := map[string]*TablePlan{}
	var names []string
	for _, m := range mirrors {
		if m.IsQuery() {
			continue
		}
		t := &TablePlan{Tab: m.Sheet, Table: m.Table, Key: m.KeyNames()}
		for _, c := range m.Columns {
			t.Columns = append(t.Columns, &ColumnPlan{Column: c.Name, From: c.Name,
				parser: &codecParser{dec: dec, col: c, plan: p}})
		}
		info, err := catalog.LookupTableDetail(ctx, q, m.Table)
		if err != nil {
			if errors.Is(err, catalog.ErrNoTable) {
				return nil, fmt.Errorf("mirror %q: table %s does not exist in the database", m.Name, m.Table)
			}
			return nil, fmt.Errorf("mirror %q: %w", m.Name, err)
		}
		t.Table = info.Name
		byTable[info.Name] = t
		names = append(names, info.Name)
	}
	if len(names) == 0 {
		return nil, errors.New("the config mirrors no tables")
	}
	fks, err := catalog.ForeignKeys(ctx, q, names)
	if err != nil {
		return nil, err
	}
	for from, refs := range fks {
		t := byTable[from]
		for _, r := range refs {
			if len(r.From) != 1 {
				continue // composite keys: left to the database's own check
			}
			for _, c := range t.Columns {
				if c.Column == r.From[0] {
					c.References = r.Table + "." + r.To[0]
				}
			}
		}
	}
	order, err := loadOrder(names, fks)
	if err != nil {
		return nil, err
	}
	for _, n := range order {
		p.Tables = append(p.Tables, byTable[n])
	}
	return p, nil
}

// loadOrder sorts tables so that each comes after the tables it references
// (a stable topological sort: the config's order where foreign keys allow).
func loadOrder(names []string, fks map[string][]catalog.ForeignKey) ([]string, error) {
	done := map[string]bool{}
	var out []string
	for len(out) < len(names) {
		progressed := false
		for _, n := range names {
			if done[n] {
				continue
			}
			ready := true
			for _, r := range fks[n] {
				if !done[r.Table] {
					ready = false
				}
			}
			if ready {
				done[n], progressed = true, true
				out = append(out, n)
			}
		}
		if !progressed {
			return nil, fmt.Errorf("the mirrored tables reference each other in a cycle; import them with a plan instead")
		}
	}
	return out, nil
}
