// Package sheets is syncd's Google Sheets client. It implements
// syncer.Codec (Codec) and syncer.Spreadsheet (Client) on the real
// google.golang.org/api/sheets/v4 client, for Google or sheets-emulator.
//
// # Cell codec
//
// Codec is the cell type contract of CONTRACT.md §2. Values are written as typed
// ExtendedValues through updateCells/appendCells, never USER_ENTERED, so
// "=IMPORTDATA(...)" stays text. Whenever a number, bool or date serial
// could not carry a value exactly (int8 beyond 2^53, numerics over 15
// significant digits, NaN and infinities, BC and infinite dates, timestamps
// whose microseconds a double cannot hold, an instant in the repeated hour
// of a daylight-saving change) the cell gets the Postgres text instead, so
// Decode(Encode(v)) == v for every value. Text over 50,000 UTF-16 units is
// cut and ends with TruncationMarker; Decode refuses such cells.
//
// # Requests
//
// Client.Apply sends one spreadsheets.batchUpdate per call to it, split
// only when the body would pass Options.MaxRequestBytes (2 MB); op order is
// kept and an AddTab stays with what follows. Cells carry values only;
// number formats live on whole columns (set by AddTab and FormatColumns,
// re-applied after each AppendRows), which keeps a row of short values
// near 40 bytes a cell. Client.Read is one
// values.batchGet (UNFORMATTED_VALUE, SERIAL_NUMBER), or, when a range is
// addressed by sheet id, one values.batchGetByDataFilter with gridRange
// filters (a title can pass to another tab between two looks, an id
// cannot); Client.Info is one spreadsheets.get with a fields mask.
//
// # Quota
//
// Google's quota is per user (service account) per minute, separately for
// reads and writes, so New shares one Quota between every Client of the
// same service account in the process (SharedQuota, keyed by the account's
// email, or by the endpoint when there are no credentials); Options.Quota
// overrides that. A Limiter counts a request until a minute after its
// response, which keeps Google's count at or under the configured rate
// whatever the latency, so syncd's own pacing never draws a 429.
//
// # Retries
//
// 429s, 5xx and transport errors are retried with jittered exponential
// backoff as Google prescribes it (min(2^n s + up to 1 s of jitter, 64 s):
// 1 s, 2 s, 4 s … 64 s; a Retry-After header, if ever sent, is waited out
// instead) until the call succeeds or ctx is done: a mirror is never
// given up. Overwrites are idempotent and always retried. Batches that
// append or delete rows or add a tab are repeated only when Google cannot
// have applied them (a 429, or no connection was made); otherwise they fail
// with ErrOutcomeUnknown so the caller re-reads instead of appending twice
// or deleting the wrong rows. Other 4xx are not retried and come back as
// *Error with an operator-facing hint (ErrNotShared names the service
// account to share the spreadsheet with). Stats counts calls, 429s and
// retries for metrics.
package sheets
