// Package conformance runs syncd's end-to-end scenarios against a real
// spreadsheet, through the recording proxy of package sheetsemu, and
// leaves the recorded cassettes for the emulator's replay. Its tests are
// behind the build tag "conformance" and need SYNCD_GOOGLE_CREDENTIALS and
// SYNCD_GOOGLE_SPREADSHEET; run them with `make conformance`
// (scripts/conformance), which says what to set when they are missing.
// See docs/CONFORMANCE-RUN.md.
package conformance
