package syncer

import (
	"strconv"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/decimal"
	"github.com/syncd/syncd/store"
)

// mergePass says who asks for a merge: the two passes see different
// evidence, so they resolve some cases differently.
type mergePass int

const (
	// byReconcile: the pass read the whole tab and every base; it is the
	// one that imports edits and records every conflict.
	byReconcile mergePass = iota
	// byStream: a batch writing rows Postgres changed. It never imports:
	// a cell Postgres did not change is left for reconcile to look at.
	byStream
)

// mergeInput is one cell of a keyed row seen from three sides.
type mergeInput struct {
	editable bool
	// base is what syncd last wrote to the cell; known is false when no
	// base is recorded (new row state, or a column that became editable).
	base  syncd.Value
	known bool
	sheet syncd.Cell  // what the tab shows
	db    syncd.Value // what Postgres holds
}

// mergeResult is what to do with the cell.
type mergeResult int

const (
	// mergeSame: nothing to write (reconcile: the sheet shows the database
	// value). The base becomes the database value.
	mergeSame mergeResult = iota
	// mergeWrite: only Postgres changed: the sheet gets the database
	// value, which becomes the base.
	mergeWrite
	// mergeImport: only the sheet changed: its decoded value goes to
	// Postgres. The base moves only once the edit is applied.
	mergeImport
	// mergeConflict: Postgres wins (the sheet gets the database value,
	// which becomes the base) and the sheet's value is kept in
	// syncd.conflicts with reason.
	mergeConflict
	// mergeUnimported: the change stream leaves the cell alone because
	// Postgres has not changed it since syncd wrote it: whatever the sheet
	// shows may be an edit reconcile has yet to import. The stored base
	// stays.
	mergeUnimported
)

// mergeOutcome is merge's decision for one cell.
type mergeOutcome struct {
	result mergeResult
	// want is the database value as a cell.
	want syncd.Cell
	// reason is the conflict's reason (store.Reason*) for mergeConflict.
	reason string
	// noBase marks a both_changed conflict decided without a base: nobody
	// can tell which side changed.
	noBase bool
	// value is the decoded sheet value for mergeImport.
	value syncd.Value
	// err is why the codec rejected the sheet value (reason bad_value).
	err error
}

// merge is the three-way merge of one cell (sheet vs base vs database). It
// does no I/O, so every rule is testable on its own:
//
//   - the sheet already shows the database value, or a value equal to it
//     under the column type's own equality once decoded (a 20-digit
//     numeric typed as a number, a formula whose value is the database's):
//     same, so a settled sheet is never imported again;
//   - a column that is not editable: the sheet gets the database value; a
//     value people typed there is a not_editable conflict;
//   - no base: nobody knows which side changed, so Postgres wins and the
//     sheet's value is a both_changed conflict;
//   - only Postgres changed (the sheet still shows the base): write;
//   - only the sheet changed: import its value, or a bad_value conflict
//     when the codec rejects it;
//   - both changed: Postgres wins, both_changed conflict.
//
// The change stream (byStream) only ever writes or leaves a cell: where
// Postgres equals the base it leaves the cell (mergeUnimported, or
// mergeSame when the sheet shows that value), and otherwise writes,
// recording both_changed only when the sheet shows a value that is neither
// the base nor the new one. An empty cell is no evidence of an edit there:
// the stream reads editable columns as separate ranges, which come back
// without their trailing empty cells.
func merge(col syncd.Column, in mergeInput, codec syncd.Codec, loc *time.Location, by mergePass) mergeOutcome {
	want, _ := codec.Encode(col, in.db, loc)
	out := mergeOutcome{want: want}
	if by == byStream {
		return mergeStream(col, in, codec, loc, out)
	}
	if in.sheet == want || sameValue(col, in.sheet, in.db, codec, loc) {
		return out // mergeSame
	}
	if !in.editable {
		out.result = mergeWrite
		if in.sheet.Type != syncd.CellEmpty {
			out.result, out.reason = mergeConflict, store.ReasonNotEditable
		}
		return out
	}
	if !in.known {
		out.result, out.reason, out.noBase = mergeConflict, store.ReasonBothChanged, true
		return out
	}
	baseCell, _ := codec.Encode(col, in.base, loc)
	switch {
	case in.sheet == baseCell:
		out.result = mergeWrite // Postgres changed and the tab has not caught up
	case in.db == in.base:
		v, err := codec.Decode(col, in.sheet, loc)
		if err != nil {
			out.result, out.reason, out.err = mergeConflict, store.ReasonBadValue, err
			return out
		}
		out.result, out.value = mergeImport, v
	default:
		out.result, out.reason = mergeConflict, store.ReasonBothChanged
	}
	return out
}

// sameValue reports whether a sheet cell decodes to a value equal to v under
// the column type's equality: numerics and floats by value (not by their
// text, nor by double), everything else by canonical text. A cell the
// codec rejects equals nothing.
func sameValue(col syncd.Column, c syncd.Cell, v syncd.Value, codec syncd.Codec, loc *time.Location) bool {
	got, err := codec.Decode(col, c, loc)
	if err != nil || got.Valid != v.Valid {
		return false
	}
	if got.Text == v.Text || !v.Valid {
		return true
	}
	switch col.Kind {
	case syncd.KindNumeric:
		a, okA := decimal.Parse(got.Text)
		b, okB := decimal.Parse(v.Text)
		return okA && okB && a.Equal(b)
	case syncd.KindFloat:
		a, errA := strconv.ParseFloat(got.Text, 64)
		b, errB := strconv.ParseFloat(v.Text, 64)
		return errA == nil && errB == nil && a == b
	}
	return false
}

// mergeStream is merge for the change stream (see merge).
func mergeStream(col syncd.Column, in mergeInput, codec syncd.Codec, loc *time.Location, out mergeOutcome) mergeOutcome {
	if !in.editable {
		out.result = mergeWrite
		return out
	}
	if in.known && in.base == in.db {
		if in.sheet != out.want {
			out.result = mergeUnimported
		}
		return out // mergeSame: nothing to write either way
	}
	out.result = mergeWrite
	if in.sheet.Type == syncd.CellEmpty || in.sheet == out.want {
		return out
	}
	if in.known {
		if baseCell, _ := codec.Encode(col, in.base, loc); in.sheet == baseCell {
			return out // the sheet still shows what syncd wrote
		}
	}
	out.result, out.reason = mergeConflict, store.ReasonBothChanged
	return out
}
