// Package importer moves a spreadsheet's tabs into Postgres tables once: the
// legacy sheet migration and the restore of a lost table from its mirror tab
// (issue 6). It reads cells through the small syncd.GridReader port, parses
// them by a Plan's per-column rules, reports every rejected row, and runs the
// import (dry run, execute, verify, rollback) in single transactions.
//
// It never imports package sheets: cmd/syncd injects the reader.
package importer
