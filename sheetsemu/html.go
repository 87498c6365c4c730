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

// htmlCell is one rendered cell of the browser view. Raw is what a person
// edits (the entered value, not the formatted text) and Kind its type, so
// an edited number stays a number.
type htmlCell struct {
	Text  string
	Style template.CSS
	Note  string
	Raw   string
	Kind  string // "n" number, "b" bool, "s" text or formula, "" empty
}

// htmlRow is one shown row; Index is its 0-based row in the grid, which
// the page's edits address.
type htmlRow struct {
	Index  int
	Frozen bool
	Cells  []htmlCell
}

type htmlSheet struct {
	Title  string
	ID     int64
	Header []string
	Rows   []htmlRow
	// Hidden rows sit between the header rows and the newest ones when
	// the tab has more than maxHTMLRows: HiddenFrom..HiddenTo (1-based).
	HiddenFrom, HiddenTo int
	Hidden               bool
}

type htmlBook struct {
	ID, Title, Locale, TimeZone string
	Sheets                      []htmlSheet
}

// maxHTMLRows bounds the rows shown per tab so the page stays usable for
// big mirrors. A longer tab shows its header (frozen) rows and its newest
// rows, since the newest rows are the live ones.
const maxHTMLRows = 500

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sheets emulator</title>
<style>
body{font-family:Arial,sans-serif;font-size:13px;margin:1em}
table{border-collapse:collapse;margin-bottom:.4em}
td,th{border:1px solid #ccc;padding:2px 6px;white-space:pre;vertical-align:bottom}
th{background:#f1f3f4;color:#555;font-weight:normal}
tr.frozen td{border-bottom:2px solid #999;background:#fafafa}
tr.gap th,tr.gap td{color:#777;font-style:italic;background:#fff}
td.num{text-align:right}
td.cell{cursor:cell} td.cell:hover{outline:1px solid #1a73e8}
td input{font:inherit;width:8em;padding:0;border:1px solid #1a73e8}
tr.new td{padding:1px} tr.new input{border-color:#ccc}
button.del{border:none;background:none;color:#b00;cursor:pointer;padding:0 2px}
h2{margin-bottom:.2em} .meta{color:#777}
#status{position:sticky;top:0;min-height:1.2em;color:#b00;background:#fff}
#status.ok{color:#188038}
</style></head><body>
<h1>Sheets emulator</h1>
<div id="status" role="status"></div>
<p class="meta">Double-click a cell to edit it (Enter saves, Escape cancels); type a row into the last line and press Add row; ✕ deletes a row. Every change goes through the API (values.update, values.append, batchUpdate deleteDimension) under quotaUser=browser.</p>
{{if not .}}<p>No spreadsheets yet.</p>{{end}}
{{range $b := .}}<h2>{{.Title}}</h2><div class="meta">{{.ID}} · {{.Locale}} · {{.TimeZone}}</div>
{{range $s := .Sheets}}<h3>{{.Title}} <span class="meta">(sheetId {{.ID}}{{if .Hidden}}, hidden{{end}})</span></h3>
<table class="tab" data-spreadsheet="{{$b.ID}}" data-sheet-id="{{.ID}}" data-title="{{.Title}}"><tr><th></th>{{range .Header}}<th>{{.}}</th>{{end}}<th></th></tr>
{{range $r := .Rows}}{{if and $s.HiddenFrom (eq .Index $s.HiddenTo)}}<tr class="gap"><th>…</th><td colspan="{{len $s.Header}}">rows {{$s.HiddenFrom}}–{{$s.HiddenTo}} not shown; the newest rows follow</td><td></td></tr>
{{end}}<tr data-row="{{.Index}}"{{if .Frozen}} class="frozen"{{end}}><th>{{inc .Index}}</th>{{range $c, $cell := .Cells}}<td class="cell" data-col="{{$c}}" data-raw="{{.Raw}}" data-kind="{{.Kind}}" style="{{.Style}}"{{if .Note}} title="{{.Note}}"{{end}}>{{.Text}}</td>{{end}}<td><button class="del" title="Delete row {{inc .Index}}">✕</button></td></tr>
{{end}}<tr class="new"><th>+</th>{{range .Header}}<td><input aria-label="new {{.}}"></td>{{end}}<td><button class="add">Add row</button></td></tr>
</table>
{{end}}{{end}}
<script>
const status=document.getElementById('status');
let busy=false; // an edit in progress or a request in flight: no reload
function say(msg,ok){status.textContent=msg;status.className=ok?'ok':''}
function colName(c){let s='';for(c++;c>0;c=Math.floor((c-1)/26))s=String.fromCharCode(65+(c-1)%26)+s;return s}
function a1(title,row,col){return "'"+title.replace(/'/g,"''")+"'!"+colName(col)+(row+1)}
// typed turns what a person typed into a RAW value: a number stays a
// number where one was (or nothing was), TRUE/FALSE where a bool was;
// everything else is text, verbatim (a leading = stays text under RAW).
function typed(text,kind){
  const t=text.trim();
  if((kind==='n'||kind==='')&&/^-?\d+(\.\d+)?$/.test(t))return Number(t);
  if(kind==='b'&&/^(true|false)$/i.test(t))return t.toLowerCase()==='true';
  return text;
}
async function api(method,path,body){
  busy=true;
  try{
    const sep=path.includes('?')?'&':'?';
    const r=await fetch(path+sep+'quotaUser=browser',{method,headers:{'Content-Type':'application/json'},body:JSON.stringify(body)});
    const j=await r.json().catch(()=>({}));
    if(!r.ok){say('Refused: '+((j.error&&j.error.message)||r.status));return null}
    return j;
  }catch(e){say('Failed: '+e);return null}
  finally{busy=false}
}
function tabOf(el){const t=el.closest('table.tab');return{id:t.dataset.spreadsheet,sheetId:Number(t.dataset.sheetId),title:t.dataset.title}}
async function saveCell(td,text){
  const tab=tabOf(td),row=Number(td.parentElement.dataset.row),col=Number(td.dataset.col);
  const range=a1(tab.title,row,col);
  const j=await api('PUT','/v4/spreadsheets/'+encodeURIComponent(tab.id)+'/values/'+encodeURIComponent(range)+'?valueInputOption=RAW',
    {range,majorDimension:'ROWS',values:[[typed(text,td.dataset.kind)]]});
  if(j){say('Saved '+range,true);location.reload()}
}
document.addEventListener('dblclick',e=>{
  const td=e.target.closest('td.cell');
  if(!td||td.querySelector('input'))return;
  busy=true;
  const old=td.innerHTML,input=document.createElement('input');
  input.value=td.dataset.raw;td.textContent='';td.appendChild(input);input.focus();input.select();
  let done=false;
  const finish=save=>{if(done)return;done=true;if(save&&input.value!==td.dataset.raw){saveCell(td,input.value)}else{td.innerHTML=old;busy=false}};
  input.addEventListener('keydown',k=>{if(k.key==='Enter')finish(true);if(k.key==='Escape')finish(false)});
  input.addEventListener('blur',()=>finish(true));
});
document.addEventListener('click',async e=>{
  const b=e.target.closest('button');
  if(!b)return;
  const tab=tabOf(b);
  if(b.classList.contains('del')){
    const row=Number(b.closest('tr').dataset.row);
    const j=await api('POST','/v4/spreadsheets/'+encodeURIComponent(tab.id)+':batchUpdate',
      {requests:[{deleteDimension:{range:{sheetId:tab.sheetId,dimension:'ROWS',startIndex:row,endIndex:row+1}}}]});
    if(j){say('Deleted row '+(row+1),true);location.reload()}
  }else if(b.classList.contains('add')){
    const inputs=[...b.closest('tr').querySelectorAll('input')];
    const values=inputs.map(i=>i.value===''?null:typed(i.value,''));
    while(values.length&&values[values.length-1]===null)values.pop();
    if(!values.length){say('Type a value into the last line first');return}
    const range="'"+tab.title.replace(/'/g,"''")+"'!A1";
    const j=await api('POST','/v4/spreadsheets/'+encodeURIComponent(tab.id)+'/values/'+encodeURIComponent(range)+':append?valueInputOption=RAW&insertDataOption=INSERT_ROWS',
      {range,majorDimension:'ROWS',values:[values]});
    if(j){say('Added '+(j.updates&&j.updates.updatedRange||'a row'),true);location.reload()}
  }
});
document.addEventListener('focusin',e=>{if(e.target.closest('tr.new'))busy=true});
document.addEventListener('focusout',e=>{if(e.target.closest('tr.new'))busy=false});
let v=null;setInterval(async()=>{if(busy)return;try{const r=await fetch('/_emulator/version');const j=await r.json();if(v!==null&&j.version!==v&&!busy)location.reload();v=j.version}catch(e){}},1000);
</script>
</body></html>`))

// serveHTML renders every spreadsheet and tab as tables with number
// formats, bold and frozen header rows applied; the page reloads itself
// when anything changes and lets a person edit cells, add and delete rows
// through the API.
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
		frozen := int(s.grid().FrozenRowCount)
		hs := htmlSheet{Title: s.Props.Title, ID: s.Props.SheetId, Hidden: s.Props.Hidden}
		cols := min(max(s.usedCols(), 1), s.colCount())
		for c := 0; c < cols; c++ {
			hs.Header = append(hs.Header, ColumnName(c))
		}
		// Rows below the last value (formatted blanks, e.g. number formats
		// set to the end of the grid) are not "newest rows" to show.
		rows := min(max(lastValueRow(s)+1, 1), s.rowCount())
		shown := shownRows(rows, frozen)
		if len(shown) < rows {
			head := max(frozen, 1)
			hs.HiddenFrom, hs.HiddenTo = head+1, rows-(len(shown)-head)
		}
		for _, r := range shown {
			row := htmlRow{Index: r, Frozen: r < frozen}
			for c := 0; c < cols; c++ {
				row.Cells = append(row.Cells, htmlCellOf(b, s, s.at(r, c)))
			}
			hs.Rows = append(hs.Rows, row)
		}
		hb.Sheets = append(hb.Sheets, hs)
	}
	return hb
}

// shownRows picks the rows of a tab the page shows: all of them up to
// maxHTMLRows, else the header rows (the frozen ones, at least the first)
// and the newest rows after a gap.
func shownRows(rows, frozen int) []int {
	out := make([]int, 0, min(rows, maxHTMLRows))
	if rows <= maxHTMLRows {
		for r := 0; r < rows; r++ {
			out = append(out, r)
		}
		return out
	}
	head := min(max(frozen, 1), maxHTMLRows/2)
	for r := 0; r < head; r++ {
		out = append(out, r)
	}
	for r := rows - (maxHTMLRows - head); r < rows; r++ {
		out = append(out, r)
	}
	return out
}

func htmlCellOf(b *book, s *sheet, c cell) htmlCell {
	if c.empty() {
		return htmlCell{}
	}
	rest := c.restOf()
	hc := htmlCell{Text: cellText(b, s, c), Note: rest.note}
	if uv := c.value(); uv != nil {
		switch {
		case uv.FormulaValue != nil:
			hc.Raw, hc.Kind = *uv.FormulaValue, "s"
		case uv.NumberValue != nil:
			hc.Raw, hc.Kind = strconv.FormatFloat(*uv.NumberValue, 'f', -1, 64), "n"
		case uv.BoolValue != nil:
			hc.Raw, hc.Kind = strings.ToUpper(strconv.FormatBool(*uv.BoolValue)), "b"
		case uv.StringValue != nil:
			hc.Raw, hc.Kind = *uv.StringValue, "s"
		}
	}
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

// lastValueRow is the index of the last row holding a value, or -1.
func lastValueRow(s *sheet) int {
	for r := len(s.Rows) - 1; r >= 0; r-- {
		for _, c := range s.Rows[r] {
			if c.hasValue() {
				return r
			}
		}
	}
	return -1
}
