package syncer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncd/syncd"
)

// mirrors[].protect: the columns a person may not edit (every mirrored
// column not in editable, the key included) carry warning-only protected
// ranges, so Google asks before the edit instead of syncd reverting it
// after. Reconcile keeps them in step in the same batchUpdate as its other
// repairs; syncd's own ranges are those whose description starts with
// protectPrefix.

// protectPrefix starts the description of the mirror's protected ranges.
func protectPrefix(m *mirror) string { return fmt.Sprintf("syncd mirror %q:", m.Name) }

func protectDescription(m *mirror) string {
	return protectPrefix(m) + " these columns come from Postgres; syncd reverts edits here (edit only the mirror's editable columns)"
}

// protectedRuns returns the runs [start, end) of the mirror's columns a
// person may not edit, in tab order (after the structure repair, mirrored
// column i is the tab's column i). None with protect: off.
func protectedRuns(m *mirror) [][2]int {
	if m.Protect == syncd.ProtectOff {
		return nil
	}
	var runs [][2]int
	for c := range m.Columns {
		if slices.Contains(m.Editable, c) && !slices.Contains(m.Key, c) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1] == c {
			runs[n-1][1] = c + 1
		} else {
			runs = append(runs, [2]int{c, c + 1})
		}
	}
	return runs
}

// protectOps returns the ops that make the tab's syncd ranges of the
// mirror equal protectedRuns, given the ops planned before them: when
// those move columns, every existing range is rewritten, since it moved
// with its columns.
func protectOps(m *mirror, d *mirrorDiff, tab syncd.TabInfo, planned []syncd.Op) []syncd.Op {
	var own []syncd.ProtectedRange
	for _, p := range tab.Protected {
		if strings.HasPrefix(p.Description, protectPrefix(m)) {
			own = append(own, p)
		}
	}
	slices.SortFunc(own, func(a, b syncd.ProtectedRange) int { return a.StartCol - b.StartCol })
	moved := slices.ContainsFunc(planned, func(op syncd.Op) bool {
		switch op.(type) {
		case syncd.InsertColumns, syncd.MoveColumn, syncd.DeleteColumns:
			return true
		}
		return false
	})
	runs := protectedRuns(m)
	desc := protectDescription(m)
	var ops []syncd.Op
	for i := 0; i < max(len(own), len(runs)); i++ {
		switch {
		case i >= len(runs):
			ops = append(ops, syncd.ProtectColumns{SheetID: tab.SheetID, ID: own[i].ID, Remove: true})
		case i >= len(own):
			ops = append(ops, syncd.ProtectColumns{SheetID: tab.SheetID, Start: runs[i][0], End: runs[i][1], Description: desc})
		default:
			p := own[i]
			if moved || !p.WarningOnly || p.Description != desc || p.StartRow != 0 || p.EndRow != 0 ||
				p.StartCol != runs[i][0] || p.EndCol != runs[i][1] {
				ops = append(ops, syncd.ProtectColumns{SheetID: tab.SheetID, ID: p.ID, Start: runs[i][0], End: runs[i][1], Description: desc})
			}
		}
	}
	if len(ops) > 0 {
		d.line("keep %d warning-only protected range(s) over the columns people may not edit in step (protect: %s)", len(ops), m.Protect)
	}
	return ops
}
