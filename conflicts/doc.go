// Package conflicts is the conflicts room: the tab that lists the open
// rows of syncd.conflicts (CONTRACT.md §4 sheets.conflicts_tab) and the
// resolution of a conflict, "use sheet" or "keep database", typed into
// that tab or given to `syncd conflicts -resolve`.
//
// It is one more writer of a spreadsheet and one more caller of the
// guarded door, and takes what it needs as ports, never the engine: the
// tab writer a syncd.Spreadsheet and its SpreadsheetInfo, the resolver
// the resolved mirrors, the codec, a mirror's time zone and whether a
// mirror is its table's only follower. The engine (syncer) calls it from
// its sheet pass and hands it those ports; a test of it needs nothing of
// syncer (deps_test.go).
package conflicts
