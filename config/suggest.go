package config

import (
	"reflect"
	"strings"
)

// sections maps the Go type names yaml.v3 puts in "field X not found in
// type config.T" to the types, for the keys each section knows.
var sections = map[string]reflect.Type{
	"Config":    reflect.TypeFor[Config](),
	"Postgres":  reflect.TypeFor[Postgres](),
	"Sheets":    reflect.TypeFor[Sheets](),
	"Reconcile": reflect.TypeFor[Reconcile](),
	"HTTP":      reflect.TypeFor[HTTP](),
	"Log":       reflect.TypeFor[Log](),
	"Mirror":    reflect.TypeFor[Mirror](),
}

// knownKeys returns the YAML keys of a section's type.
func knownKeys(goType string) []string {
	t, ok := sections[goType]
	if !ok {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// nearestKey is the known key of the section closest to an unknown one
// (a typo, a transposition, a missing or extra suffix such as
// "spreadsheet" for "spreadsheet_id"), or "" when none is close.
func nearestKey(unknown, goType string) string {
	best, bestDist := "", 0
	u := strings.ToLower(unknown)
	for _, k := range knownKeys(goType) {
		d := editDistance(u, k)
		limit := max(2, len(k)/3)
		if d > limit {
			continue
		}
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
