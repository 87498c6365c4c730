package sheets

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones exist on every machine the fuzzer runs on
	"unicode/utf8"

	"github.com/syncd/syncd"
)

// FuzzA1Format checks that every Range FormatRange accepts parses back to
// itself, that only the documented shapes are unrepresentable, and that
// ParseRange never panics on the formatted text or on the raw title.
func FuzzA1Format(f *testing.F) {
	f.Add("Shifts", 0, 0, 0, 0)
	f.Add("Jon's Data", 1, 10, 0, 3)
	f.Add("A1", 0, 5, 0, 0)
	f.Add("'", 2, 0, 1, 2)
	f.Add("R1C1", 0, 0, 0, 18278)
	f.Fuzz(func(t *testing.T, tab string, sr, er, sc, ec int) {
		_, _ = ParseRange(tab) // must not panic
		r := syncd.Range{Tab: tab, StartRow: sr, EndRow: er, StartCol: sc, EndCol: ec}
		s, err := FormatRange(r)
		if err != nil {
			if errors.Is(err, ErrUnrepresentable) && !(r.EndCol == 0 && (r.StartCol > 0 || r.StartRow > 0 && r.EndRow == 0 || tab == "")) {
				t.Fatalf("FormatRange(%+v): unexpected ErrUnrepresentable", r)
			}
			return
		}
		got, err := ParseRange(s)
		if err != nil {
			t.Fatalf("ParseRange(FormatRange(%+v) = %q): %v", r, s, err)
		}
		if got != r {
			t.Fatalf("ParseRange(%q) = %+v, want %+v", s, got, r)
		}
	})
}

var fuzzLocs = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"}

// FuzzCodecRoundTrip builds a valid canonical Postgres value of each kind
// from the fuzzer's input, checks that Decode(Encode(v)) gives it back, and
// that Decode never panics on arbitrary cells.
func FuzzCodecRoundTrip(f *testing.F) {
	f.Add(uint8(0), int64(0), int64(0), "hello")
	f.Add(uint8(1), int64(math.MaxInt64), int64(3), "")
	f.Add(uint8(2), int64(-1250), int64(2), "")
	f.Add(uint8(3), int64(math.Float64bits(0.1)), int64(0), "")
	f.Add(uint8(6), int64(45688*microsInDay+1), int64(1), "")
	f.Add(uint8(7), int64(45956*microsInDay+microsInDay/24*3/2), int64(1), "")
	f.Add(uint8(8), int64(0), int64(0), `{"a": [1, 2.5, "x"]}`)
	f.Fuzz(func(t *testing.T, kind uint8, a, b int64, s string) {
		locName := fuzzLocs[uint64(b)%uint64(len(fuzzLocs))]
		loc, err := time.LoadLocation(locName)
		if err != nil {
			t.Fatal(err) // time/tzdata is linked in: every zone loads
		}
		// Decode must never panic, whatever the cell.
		for k := syncd.KindText; k <= syncd.KindOther; k++ {
			col := syncd.Column{Kind: k, Scale: int(b % 40)}
			for _, c := range []syncd.Cell{syncd.StringCell(s), syncd.NumberCell(math.Float64frombits(uint64(a))), syncd.BoolCell(a&1 == 1), {Type: syncd.CellError, String: s}} {
				_, _ = Codec{}.Decode(col, c, loc)
			}
			_, _ = Codec{}.Encode(col, syncd.Text(s), loc)
		}
		col, v, ok := fuzzValue(kind, a, b, s)
		if !ok {
			return
		}
		c, truncated := Codec{}.Encode(col, v, loc)
		got, err := Codec{}.Decode(col, c, loc)
		if truncated {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("truncated %s cell decoded: %v", col.Kind, err)
			}
			return
		}
		if formulaErrors[v.Text] { // documented: reads back as the error it spells
			if !errors.Is(err, ErrFormulaError) {
				t.Fatalf("%q decoded: %v", v.Text, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s %q in %s: Decode(%+v): %v", col.Kind, v.Text, locName, c, err)
		}
		if !sameValue(col, v.Text, got.Text) {
			t.Fatalf("%s %q in %s: round trip via %+v gave %q", col.Kind, v.Text, locName, c, got.Text)
		}
	})
}

// fuzzValue returns a column and one of its canonical values.
func fuzzValue(kind uint8, a, b int64, s string) (syncd.Column, syncd.Value, bool) {
	k := syncd.ColumnKind(kind % 10)
	col := syncd.Column{Kind: k, Scale: -1}
	switch k {
	case syncd.KindText, syncd.KindOther:
		if s == "" || !utf8.ValidString(s) { // documented: "" is NULL; bad bytes become U+FFFD
			return col, syncd.Null, false
		}
		return col, syncd.Text(s), true
	case syncd.KindInt:
		return col, syncd.Text(strconv.FormatInt(a, 10)), true
	case syncd.KindNumeric:
		scale := int(uint64(b) % 25)
		digits := strconv.FormatUint(uint64(a>>1)%1e18, 10)
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		text := digits[:len(digits)-scale]
		if scale > 0 {
			text += "." + digits[len(digits)-scale:]
		}
		if a&1 == 1 && strings.Trim(digits, "0") != "" {
			text = "-" + text
		}
		if b&1 == 0 {
			col.Scale = scale
		}
		return col, syncd.Text(text), true
	case syncd.KindFloat:
		if b&1 == 1 {
			col.Type = "real"
			return col, syncd.Text(pgFloat(float64(math.Float32frombits(uint32(a))), 32)), true
		}
		return col, syncd.Text(pgFloat(math.Float64frombits(uint64(a)), 64)), true
	case syncd.KindBool:
		return col, syncd.Text(pgBool(a&1 == 1)), true
	case syncd.KindDate:
		days := a % 106_000_000
		return col, syncd.Text(formatStamp(wallTime{days: days}.time(), false, false)), true
	case syncd.KindTimestamp, syncd.KindTimestampTZ:
		days := (a / microsInDay) % 100_000_000
		us := a % microsInDay
		if us < 0 {
			us += microsInDay
		}
		w := wallTime{days, us}.time()
		return col, syncd.Text(formatStamp(w, true, k == syncd.KindTimestampTZ)), true
	case syncd.KindJSON:
		if !json.Valid([]byte(s)) {
			raw, _ := json.Marshal(s)
			s = string(raw)
		}
		return col, syncd.Text(s), true
	}
	return col, syncd.Null, false
}

func sameValue(col syncd.Column, want, got string) bool {
	switch col.Kind {
	case syncd.KindNumeric:
		w, ok1 := parseDecimal(want, false)
		g, ok2 := parseDecimal(got, false)
		if !ok1 || !ok2 {
			return want == got
		}
		if col.Scale >= 0 {
			return got == w.Round(col.Scale).String()
		}
		return w.Equal(g)
	case syncd.KindJSON:
		var bw, bg bytes.Buffer
		return json.Compact(&bw, []byte(want)) == nil && json.Compact(&bg, []byte(got)) == nil && bw.String() == bg.String()
	}
	return want == got
}
