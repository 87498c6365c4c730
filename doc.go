// Package syncd is the vocabulary every part of syncd speaks: Postgres
// values and columns, sheet cells and number formats, the operations a
// batch applies to a spreadsheet, a resolved mirror, and the ports the
// engine needs from a spreadsheet (Spreadsheet, Codec, GridReader).
//
// It is a leaf: it imports no other syncd package, no database driver and
// no YAML, so the Sheets client, the config and the engine can all depend
// on it without depending on each other. Package sheets implements its
// ports; package syncer drives them.
package syncd
