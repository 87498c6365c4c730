package syncer

// nonEditable returns the mirrored columns that are neither key nor
// editable, in column order.
func (m *mirror) nonEditable() []int {
	var out []int
	for c := range m.Columns {
		if !m.isEditable(c) && !m.isKeyCol(c) {
			out = append(out, c)
		}
	}
	return out
}

func (m *mirror) isKeyCol(c int) bool {
	for _, k := range m.Key {
		if k == c {
			return true
		}
	}
	return false
}
