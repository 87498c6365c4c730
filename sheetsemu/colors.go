package sheetsemu

import (
	"math"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// Google stores colours with 8 bits per channel and answers them as
// float32: 0.5 is stored as 128/255 and read back as 0.49803922
// (WorksheetTest.test_set_tab_color). Every colour also has a ColorStyle
// twin (backgroundColor / backgroundColorStyle, textFormat.foregroundColor /
// foregroundColorStyle, tabColor / tabColorStyle, borders' color /
// colorStyle): setting either form answers both, and when a request sets
// both the Style form wins (its reference text: "If backgroundColor is
// also set, this field takes precedence").

// quantChannel is a channel as Google stores it: the nearest of the 256
// levels n/255, held as float32. A tie goes down: 0.5 (127.5/255) answers
// 0.49803922 = 127/255 (issue 12), and 127/255 itself stays 0.49803922
// (WorksheetTest.test_set_tab_color), which plain truncation would break
// (0.4980392156862745*255 is 126.99999999999999).
func quantChannel(x float64) float64 {
	return float64(float32(math.Ceil(x*255-0.5) / 255))
}

func quantColor(c *sheets.Color) *sheets.Color {
	if c == nil {
		return nil
	}
	q := *c
	q.Red, q.Green, q.Blue = quantChannel(c.Red), quantChannel(c.Green), quantChannel(c.Blue)
	q.ForceSendFields, q.NullFields = nil, nil
	return &q
}

// colorPair fills the twin of a colour: an RGB Style gives the plain form
// too, a plain colour gives the Style. A Style naming a theme colour is
// kept as is and leaves the plain form alone (no recording shows what
// Google derives from it). A Style without a colour ({rgbColor: null})
// counts as unset.
func colorPair(plain *sheets.Color, style *sheets.ColorStyle) (*sheets.Color, *sheets.ColorStyle) {
	if style != nil && style.ThemeColor != "" {
		return quantColor(plain), &sheets.ColorStyle{ThemeColor: style.ThemeColor}
	}
	if style != nil && style.RgbColor != nil {
		plain = style.RgbColor
	}
	if plain == nil {
		return nil, nil
	}
	q := quantColor(plain)
	twin := *q
	return q, &sheets.ColorStyle{RgbColor: &twin}
}

// hasColor reports whether a format carries any colour to normalise.
func hasColor(f *sheets.CellFormat) bool {
	if f.BackgroundColor != nil || f.BackgroundColorStyle != nil {
		return true
	}
	if t := f.TextFormat; t != nil && (t.ForegroundColor != nil || t.ForegroundColorStyle != nil) {
		return true
	}
	if b := f.Borders; b != nil {
		for _, x := range []*sheets.Border{b.Top, b.Bottom, b.Left, b.Right} {
			if x != nil && (x.Color != nil || x.ColorStyle != nil) {
				return true
			}
		}
	}
	return false
}

// normFormat returns f with every colour quantised and twinned; f itself
// when it has no colour (so shared formats stay shared).
func normFormat(f *sheets.CellFormat) *sheets.CellFormat {
	if f == nil || !hasColor(f) {
		return f
	}
	n := *f
	n.BackgroundColor, n.BackgroundColorStyle = colorPair(f.BackgroundColor, f.BackgroundColorStyle)
	if f.TextFormat != nil {
		t := *f.TextFormat
		t.ForegroundColor, t.ForegroundColorStyle = colorPair(t.ForegroundColor, t.ForegroundColorStyle)
		n.TextFormat = &t
	}
	if f.Borders != nil {
		b := *f.Borders
		for _, x := range []**sheets.Border{&b.Top, &b.Bottom, &b.Left, &b.Right} {
			if *x == nil {
				continue
			}
			bc := **x
			bc.Color, bc.ColorStyle = colorPair(bc.Color, bc.ColorStyle)
			*x = &bc
		}
		n.Borders = &b
	}
	return &n
}

// normSheetColors twins and quantises a sheet's tab colour.
func normSheetColors(p *sheets.SheetProperties) {
	if p == nil {
		return
	}
	if p.TabColorStyle != nil && isZero(*p.TabColorStyle) {
		p.TabColorStyle = nil
	}
	if p.TabColorStyle == nil && p.TabColor == nil {
		return
	}
	p.TabColor, p.TabColorStyle = colorPair(p.TabColor, p.TabColorStyle)
}

// colorTwins pairs the names of colour fields with their Style twins.
var colorTwins = map[string]string{
	"backgroundColor": "backgroundColorStyle", "backgroundColorStyle": "backgroundColor",
	"foregroundColor": "foregroundColorStyle", "foregroundColorStyle": "foregroundColor",
	"tabColor": "tabColorStyle", "tabColorStyle": "tabColor",
	"color": "colorStyle", "colorStyle": "color",
}

// twinMask adds to a field mask the twin of every colour path in it, so
// that writing (or clearing) one form writes the other too.
func twinMask(mask string) string {
	paths, err := splitMask(mask)
	if err != nil {
		return mask
	}
	seen := map[string]bool{}
	for _, p := range paths {
		seen[strings.ReplaceAll(p, "/", ".")] = true
	}
	out := append([]string(nil), paths...)
	for _, p := range paths {
		p = strings.ReplaceAll(p, "/", ".")
		dir, last := "", p
		if i := strings.LastIndexByte(p, '.'); i >= 0 {
			dir, last = p[:i+1], p[i+1:]
		}
		twin, ok := colorTwins[last]
		if !ok {
			continue
		}
		if !seen[dir+twin] {
			seen[dir+twin] = true
			out = append(out, dir+twin)
		}
	}
	return strings.Join(out, ",")
}
