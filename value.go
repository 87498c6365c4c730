package syncd

// ColumnKind classifies a Postgres column type for the cell type contract
// (CONTRACT.md §2). The codec decides how a value of each kind is written to and
// read back from a sheet cell.
type ColumnKind int

// The column kinds. KindOther covers every type without a better mapping
// (arrays, interval, ranges, ...): it is written as compact text.
const (
	KindText        ColumnKind = iota // text, varchar, char, uuid, enum, citext
	KindInt                           // int2, int4, int8
	KindNumeric                       // numeric, money
	KindFloat                         // float4, float8
	KindBool                          // bool
	KindDate                          // date
	KindTimestamp                     // timestamp without time zone
	KindTimestampTZ                   // timestamp with time zone
	KindJSON                          // json, jsonb
	KindOther                         // anything else: compact text
)

var kindNames = [...]string{"text", "int", "numeric", "float", "bool", "date", "timestamp", "timestamptz", "json", "other"}

// String returns the kind's short lowercase name.
func (k ColumnKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Column is one mirrored column: its name, its Postgres type and the kind
// the codec uses for it.
type Column struct {
	// Name is the column name as Postgres spells it (unquoted).
	Name string
	// Type is the type as format_type() prints it, e.g. "numeric(12,2)".
	// It is used to cast text back into the column (value::Type).
	Type string
	// Kind is the codec's classification of Type.
	Kind ColumnKind
	// Scale is the declared scale of a numeric column, or -1 when the type
	// has no declared scale (plain numeric, money is 2).
	Scale int
}

// Value is one Postgres value in its canonical text form, as Postgres prints
// it in a session with TimeZone=UTC, DateStyle=ISO and IntervalStyle=postgres.
// Carrying text keeps every type exact (numeric, int8, timestamps to the
// microsecond) and lets Postgres itself parse values written back.
type Value struct {
	// Text is the value's text form; meaningless when Valid is false.
	Text string
	// Valid is false for SQL NULL.
	Valid bool
}

// Null is the SQL NULL value.
var Null = Value{}

// Text returns a non-NULL value with the given text form.
func Text(s string) Value { return Value{Text: s, Valid: true} }
