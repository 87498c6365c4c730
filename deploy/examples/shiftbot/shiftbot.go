// Package shiftbot embeds the example domain (the legacy shift bot's data
// model) so that `syncd demo` and the tests use exactly the files an operator
// reads here.
package shiftbot

import _ "embed"

// Schema creates the example tables (and inserts no rows).
//
//go:embed schema.sql
var Schema string

// Config is the example syncd.yml (with ${ENV} references).
//
//go:embed syncd.yml
var Config string
