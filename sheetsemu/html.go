package sheetsemu

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/api/sheets/v4"
)

// htmlCell is one rendered cell of the browser view.
type htmlCell struct {
	Text  string
	Style template.CSS
	Note  string
}

type htmlSheet struct {
	Title  string
	ID     int64
	Frozen int
	Header []string
	Rows   [][]htmlCell
	More   int
	Hidden bool
}

type htmlBook struct {
	ID, Title, Locale, TimeZone string
	Sheets                      []htmlSheet
}

// maxHTMLRows bounds the rows shown per tab so the page stays usable for
// big mirrors.
const maxHTMLRows = 500

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sheets emulator</title>
<style>
body{font-family:Arial,sans-serif;font-size:13px;margin:1em}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:2px 6px;white-space:pre;vertical-align:bottom}
th{background:#f1f3f4;color:#555;font-weight:normal}
tr.frozen td{border-bottom:2px solid #999;background:#fafafa}
td.num{text-align:right}
h2{margin-bottom:.2em} .meta{color:#777}
</style></head><body>
<h1>Sheets emulator</h1>
{{if not .}}<p>No spreadsheets yet.</p>{{end}}
{{range .}}<h2>{{.Title}}</h2><div class="meta">{{.ID}} · {{.Locale}} · {{.TimeZone}}</div>
{{range $s := .Sheets}}<h3>{{.Title}} <span class="meta">(sheetId {{.ID}}{{if .Hidden}}, hidden{{end}})</span></h3>
<table><tr><th></th>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range $i, $r := .Rows}}<tr{{if lt $i $s.Frozen}} class="frozen"{{end}}><th>{{inc $i}}</th>{{range $r}}<td style="{{.Style}}"{{if .Note}} title="{{.Note}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</table>{{if .More}}<p class="meta">… {{.More}} more rows</p>{{end}}
{{end}}{{end}}
<script>
let v=null;setInterval(async()=>{try{const r=await fetch('/_emulator/version');const j=await r.json();if(v!==null&&j.version!==v)location.reload();v=j.version}catch(e){}},1000);
</script>
</body></html>`))

// serveHTML renders every spreadsheet and tab as tables with number
// formats, bold and frozen header rows applied; the page reloads itself
// when anything changes.
func (s *Server) serveHTML(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var books []htmlBook
	for _, id := range s.order {
		books = append(books, renderHTMLBook(s.books[id]))
	}
	s.mu.Unlock()
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, books); err != nil {
		s.log.Error("render html", zap.Error(err))
		http.Error(w, "render html: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func renderHTMLBook(b *book) htmlBook {
	hb := htmlBook{ID: b.ID, Title: b.Props.Title, Locale: b.Props.Locale, TimeZone: b.Props.TimeZone}
	for _, s := range b.Sheets {
		hs := htmlSheet{Title: s.Props.Title, ID: s.Props.SheetId, Frozen: int(s.grid().FrozenRowCount), Hidden: s.Props.Hidden}
		cols := min(max(s.usedCols(), 1), s.colCount())
		for c := 0; c < cols; c++ {
			hs.Header = append(hs.Header, ColumnName(c))
		}
		rows := min(max(s.usedRows(), 1), s.rowCount())
		if rows > maxHTMLRows {
			hs.More = rows - maxHTMLRows
			rows = maxHTMLRows
		}
		for r := 0; r < rows; r++ {
			var row []htmlCell
			for c := 0; c < cols; c++ {
				row = append(row, htmlCellOf(b, s, s.at(r, c)))
			}
			hs.Rows = append(hs.Rows, row)
		}
		hb.Sheets = append(hb.Sheets, hs)
	}
	return hb
}

func htmlCellOf(b *book, s *sheet, c cell) htmlCell {
	if c.empty() {
		return htmlCell{}
	}
	rest := c.restOf()
	hc := htmlCell{Text: cellText(b, s, c), Note: rest.note}
	var st []string
	if ev := effectiveValue(b, s, c, 0); ev != nil && ev.NumberValue != nil {
		st = append(st, "text-align:right")
	}
	if f := rest.format; f != nil {
		if tf := f.TextFormat; tf != nil {
			if tf.Bold {
				st = append(st, "font-weight:bold")
			}
			if tf.Italic {
				st = append(st, "font-style:italic")
			}
		}
		if bg := f.BackgroundColor; bg != nil {
			st = append(st, "background:"+rgb(bg))
		}
		if f.HorizontalAlignment != "" {
			st = append(st, "text-align:"+strings.ToLower(f.HorizontalAlignment))
		}
	}
	hc.Style = template.CSS(strings.Join(st, ";"))
	return hc
}

func rgb(c *sheets.Color) string {
	to := func(f float64) int { return int(f*255 + 0.5) }
	return "rgb(" + strconv.Itoa(to(c.Red)) + "," + strconv.Itoa(to(c.Green)) + "," + strconv.Itoa(to(c.Blue)) + ")"
}
