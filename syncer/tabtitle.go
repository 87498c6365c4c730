package syncer

import (
	"fmt"
	"strings"

	"github.com/syncd/syncd"
)

// A tab's title is a person's to change; the sheet id is what makes a tab
// syncd's. syncd reads and writes its tabs by id, and gives its tab the
// mirror's sheet title back when a person renamed it. When a person's tab
// holds that title (they renamed syncd's tab and created one under its
// name), renaming back would fail every pass ("A sheet with the name ...
// already exists"): syncd's tab is kept under a free name instead, and
// status says so naming both, until the title is free again.

// titleChoice is the title syncd gives a mirror's tab.
type titleChoice struct {
	title string
	// clash, when set, explains why title is not the mirror's sheet: a
	// person's tab holds it. For status.
	clash string
}

// chooseTitle picks the title of a mirror's tab whose sheet id is id
// (own is false for a tab not created yet): the mirror's sheet unless
// another tab holds it, else the first of "<sheet> (syncd)", "<sheet>
// (syncd 2)", ... that no other tab holds. Google compares titles without
// case.
func chooseTitle(info syncd.SpreadsheetInfo, sheet string, id int64, own bool) titleChoice {
	holder := func(title string) (syncd.TabInfo, bool) {
		for _, t := range info.Tabs {
			if (!own || t.SheetID != id) && strings.EqualFold(t.Title, title) {
				return t, true
			}
		}
		return syncd.TabInfo{}, false
	}
	other, taken := holder(sheet)
	if !taken {
		return titleChoice{title: sheet}
	}
	for n := 1; ; n++ {
		cand := sheet + " (syncd)"
		if n > 1 {
			cand = fmt.Sprintf("%s (syncd %d)", sheet, n)
		}
		if _, taken := holder(cand); !taken {
			return titleChoice{title: cand, clash: fmt.Sprintf(
				"tab %q (sheet id %d) is not syncd's: syncd's tab (sheet id %d) is kept as %q; rename or delete tab %q and syncd renames its tab back",
				other.Title, other.SheetID, id, cand, other.Title)}
		}
	}
}

// nilIfEmpty keeps an empty text out of a sync_log detail (JSON null).
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
