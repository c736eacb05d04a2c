package lint

import (
	"bufio"
	"encoding/json"
	"html"
	"io"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// htmlView is the HTML report's data, computed from a report: every string
// once in a table (a fleet repeats its messages and fixes tens of thousands
// of times), each finding as indexes into it, and the SVG of each drawn
// path. The page's script renders one page of findings at a time from it,
// so a fleet's report opens as fast as a small one.
type htmlView struct {
	Title    string         `json:"title"`
	Headline string         `json:"headline"`
	Strings  []string       `json:"strings"`
	Rules    []htmlRule     `json:"rules"`
	Findings []htmlRow      `json:"findings"`
	Diagrams []string       `json:"diagrams"`
	Omitted  int            `json:"omitted"` // paths left undrawn past the limit
	Notes    []string       `json:"notes"`
	Counts   map[string]int `json:"counts"`
}

// htmlRule is a rule that has findings.
type htmlRule struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Docs     string `json:"docs"`
	Count    int    `json:"count"`
}

// htmlRow is one finding, one per root cause (rule and place), as
// [severity, rule index, file, line, message, directive, path, attack, fix,
// app, diagram (-1: none), related file, related line, ...]; every text is
// an index into Strings.
type htmlRow []int

// htmlSeverities index a row's severity.
var htmlSeverities = []rules.Severity{rules.Error, rules.Warning, rules.Info}

func newHTMLView(rep *Report) htmlView {
	v := htmlView{Title: "trustcheck report", Counts: map[string]int{}, Notes: rep.Notes, Diagrams: []string{}, Findings: []htmlRow{}}
	if v.Notes == nil {
		v.Notes = []string{}
	}
	index := map[string]int{}
	str := func(s string) int {
		i, ok := index[s]
		if !ok {
			i = len(v.Strings)
			index[s] = i
			v.Strings = append(v.Strings, s)
		}
		return i
	}
	str("")
	// Each drawn path once; a finding shows the path it was observed on,
	// else the first drawn path it is marked on.
	byEntry := map[string]int{}
	byMark := map[string]int{}
	var svg strings.Builder
	for i := range rep.diagrams {
		d := &rep.diagrams[i]
		svg.Reset()
		writeSVGDiagram(&svg, d)
		v.Diagrams = append(v.Diagrams, svg.String())
		if _, ok := byEntry[d.Entry]; !ok {
			byEntry[d.Entry] = i
		}
		for _, p := range d.Participants {
			for _, m := range p.Marks {
				if _, ok := byMark[m.Rule+" "+m.At]; !ok {
					byMark[m.Rule+" "+m.At] = i
				}
			}
		}
	}
	v.Omitted = rep.omittedDiagrams
	// A fleet's findings name each file many times; reportPath asks the OS.
	files := map[string]int{}
	file := func(p trustmodel.Pos) int {
		i, ok := files[p.File]
		if !ok {
			i = str(reportFile(p))
			files[p.File] = i
		}
		return i
	}
	ruleIdx := map[string]int{}
	counts := map[rules.Severity]int{}
	app := str(rep.app)
	// findingApp is the app a finding judges: its own when several apps
	// are described, else the one the report is about.
	findingApp := func(f rules.Finding) int {
		if f.App != "" {
			return str(f.App)
		}
		return app
	}
	for _, f := range rep.Findings.All() {
		counts[f.Severity]++
		ri, ok := ruleIdx[f.Rule]
		if !ok {
			ri = len(v.Rules)
			ruleIdx[f.Rule] = ri
			hr := htmlRule{ID: f.Rule, Severity: f.Severity.String()}
			if r := rules.ByID(f.Rule); r != nil {
				hr.Name, hr.Docs = r.Name, r.DocsURL()
			}
			v.Rules = append(v.Rules, hr)
		}
		v.Rules[ri].Count++
		diagram := -1
		if i, ok := byEntry[f.Path]; ok && f.Path != "" {
			diagram = i
		} else if i, ok := byMark[f.Rule+" "+fileLine(f.Pos.File, f.Pos.Line)]; ok {
			diagram = i
		}
		row := htmlRow{slices.Index(htmlSeverities, f.Severity), ri, file(f.Pos), f.Pos.Line,
			str(f.Message), str(f.Directive), str(f.Path), str(f.Attack), str(f.Fix.Message), findingApp(f), diagram}
		for _, r := range f.Related {
			row = append(row, file(r), r.Line)
		}
		v.Findings = append(v.Findings, row)
	}
	for _, s := range htmlSeverities {
		v.Counts[s.String()] = counts[s]
	}
	v.Headline = summary(counts) + " in " + plural(rep.Files, "file") + " checked"
	return v
}

// reportFile is a position's file as the report names it.
func reportFile(p trustmodel.Pos) string {
	if p.File == "" {
		return "(command line)"
	}
	return reportPath(p.File)
}

// renderHTML writes one self-contained page: inline style, script and
// data, no request to anywhere.
func renderHTML(w io.Writer, rep *Report, _ Options) error {
	v := newHTMLView(rep)
	b := bufio.NewWriter(w)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<title>" + html.EscapeString(v.Title+": "+v.Headline) + "</title>\n<style>\n")
	b.WriteString(htmlStyle)
	b.WriteString(svgStyle())
	b.WriteString("\n</style>\n</head>\n<body>\n")
	b.WriteString(htmlBody)
	b.WriteString("<script type=\"application/json\" id=\"report-data\">")
	if err := writeHTMLData(b, &v); err != nil {
		return err
	}
	b.WriteString("</script>\n<script>\n")
	b.WriteString(htmlScript)
	b.WriteString("</script>\n</body>\n</html>\n")
	return b.Flush()
}

// writeHTMLData writes v as JSON, element by element: a fleet's data runs
// to megabytes, which encoding the whole value at once would hold twice.
// json.Marshal escapes <, > and &, so the data cannot end its script element.
func writeHTMLData(b *bufio.Writer, v *htmlView) error {
	var err error
	value := func(x any) {
		if err != nil {
			return
		}
		var buf []byte
		if buf, err = json.Marshal(x); err == nil {
			b.Write(buf)
		}
	}
	array := func(n int, elem func(int) any) {
		b.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			value(elem(i))
		}
		b.WriteByte(']')
	}
	b.WriteString(`{"title":`)
	value(v.Title)
	b.WriteString(`,"headline":`)
	value(v.Headline)
	b.WriteString(`,"strings":`)
	array(len(v.Strings), func(i int) any { return v.Strings[i] })
	b.WriteString(`,"rules":`)
	value(v.Rules)
	b.WriteString(`,"findings":`)
	array(len(v.Findings), func(i int) any { return []int(v.Findings[i]) })
	b.WriteString(`,"diagrams":`)
	array(len(v.Diagrams), func(i int) any { return v.Diagrams[i] })
	b.WriteString(`,"omitted":`)
	value(v.Omitted)
	b.WriteString(`,"notes":`)
	value(v.Notes)
	b.WriteString(`,"counts":`)
	value(v.Counts)
	b.WriteString("}\n")
	return err
}

const htmlStyle = `*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#d0d7de}
main{padding:16px 24px;max-width:1400px}
#filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;margin-bottom:12px}
#filters label{display:flex;flex-direction:column;font-size:12px;color:#57606a}
#filters select,#filters input{font:inherit;padding:4px 6px;min-width:160px}
#stats{margin:6px 0 12px;color:#57606a}
.pager{display:flex;gap:8px;align-items:center;margin:8px 0}
.pager button{font:inherit;padding:3px 10px}
.card{background:#fff;border:1px solid #d0d7de;border-left:5px solid #8c959f;border-radius:6px;padding:10px 14px;margin:0 0 10px}
.card.error{border-left-color:#c62828}.card.warning{border-left-color:#ef6c00}.card.info{border-left-color:#1565c0}
.card h2{font-size:15px;margin:0 0 4px;display:flex;gap:10px;flex-wrap:wrap;align-items:baseline}
.sev{font-size:12px;font-weight:bold;text-transform:uppercase;padding:1px 6px;border-radius:10px;color:#fff;background:#8c959f}
.sev.error{background:#c62828}.sev.warning{background:#ef6c00}.sev.info{background:#1565c0}
.at{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:13px;color:#0550ae}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0 0}
.card dt{color:#57606a}.card dd{margin:0;white-space:pre-wrap;word-break:break-word}
code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:13px;background:#f6f8fa;padding:1px 4px;border-radius:4px}
details.diagram{margin-top:8px}details.diagram summary{cursor:pointer;color:#0969da}
.diagram-box{overflow-x:auto;border:1px solid #d0d7de;border-radius:6px;margin-top:6px}
.muted{color:#57606a}
#notes{margin-top:16px}
`

const htmlBody = `<header><h1>trustcheck report</h1><p id="headline"></p></header>
<main>
<form id="filters" onsubmit="return false">
<label>severity<select id="f-severity"><option value="">all</option></select></label>
<label>rule<select id="f-rule"><option value="">all</option></select></label>
<label>app<select id="f-app"><option value="">all</option></select></label>
<label>file<input id="f-file" list="files" placeholder="any file" autocomplete="off"><datalist id="files"></datalist></label>
<label>text<input id="f-text" placeholder="message, attack, fix" autocomplete="off"></label>
</form>
<div id="stats"></div>
<div class="pager" id="pager-top"></div>
<div id="findings"></div>
<div class="pager" id="pager-bottom"></div>
<section id="notes"></section>
</main>
`

// htmlScript renders the findings that pass the filters, a page at a time;
// a path's SVG is put into the page only when its diagram is opened.
const htmlScript = `(function () {
"use strict";
var D = JSON.parse(document.getElementById("report-data").textContent);
var S = D.strings, SEV = ["error", "warning", "info"], PAGE = 50;
var F = D.findings, page = 0, shown = F;
function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function at(f, l) { return l ? f + ":" + l : f; }
$("headline").textContent = D.headline;
function options(sel, items) {
  items.forEach(function (it) { var o = el("option", "", it[1]); o.value = it[0]; sel.appendChild(o); });
}
options($("f-severity"), SEV.filter(function (s) { return D.counts[s] > 0; }).map(function (s) { return [s, s + " (" + D.counts[s] + ")"]; }));
options($("f-rule"), D.rules.map(function (r, i) { return [String(i), r.id + " " + r.name + " (" + r.count + ")"]; }));
var apps = {}, files = {};
F.forEach(function (r) { apps[r[9]] = (apps[r[9]] || 0) + 1; files[r[2]] = 1; });
options($("f-app"), Object.keys(apps).sort(function (a, b) { return S[a] < S[b] ? -1 : 1; }).map(function (a) { return [a, (S[a] || "app") + " (" + apps[a] + ")"]; }));
var dl = $("files");
Object.keys(files).map(function (k) { return S[k]; }).sort().forEach(function (f) { var o = el("option"); o.value = f; dl.appendChild(o); });
function matches(r, sev, rule, app, file, text) {
  if (sev !== "" && SEV[r[0]] !== sev) return false;
  if (rule !== "" && r[1] !== +rule) return false;
  if (app !== "" && r[9] !== +app) return false;
  if (file !== "" && S[r[2]].toLowerCase().indexOf(file) < 0) return false;
  if (text !== "") {
    var t = (S[r[4]] + "\n" + S[r[7]] + "\n" + S[r[8]] + "\n" + S[r[6]] + "\n" + S[r[5]]).toLowerCase();
    if (t.indexOf(text) < 0) return false;
  }
  return true;
}
function apply() {
  var sev = $("f-severity").value, rule = $("f-rule").value, app = $("f-app").value;
  var file = $("f-file").value.trim().toLowerCase(), text = $("f-text").value.trim().toLowerCase();
  shown = F.filter(function (r) { return matches(r, sev, rule, app, file, text); });
  page = 0;
  render();
}
function pager(box) {
  box.textContent = "";
  var pages = Math.max(1, Math.ceil(shown.length / PAGE));
  var prev = el("button", "", "previous"), next = el("button", "", "next");
  prev.type = next.type = "button";
  prev.disabled = page === 0; next.disabled = page >= pages - 1;
  prev.onclick = function () { page--; render(); };
  next.onclick = function () { page++; render(); };
  box.appendChild(prev);
  box.appendChild(el("span", "muted", "page " + (page + 1) + " of " + pages));
  box.appendChild(next);
}
function field(dl, name, value, code) {
  if (!value) return;
  dl.appendChild(el("dt", "", name));
  var dd = el("dd");
  if (code) dd.appendChild(el("code", "", value)); else dd.textContent = value;
  dl.appendChild(dd);
}
function card(r) {
  var rule = D.rules[r[1]], sev = SEV[r[0]];
  var c = el("article", "card " + sev);
  var h = el("h2");
  h.appendChild(el("span", "sev " + sev, sev));
  var a = el("a", "", rule.id + " " + rule.name);
  a.href = rule.docs;
  h.appendChild(a);
  h.appendChild(el("span", "at", at(S[r[2]], r[3])));
  c.appendChild(h);
  c.appendChild(el("div", "", S[r[4]]));
  var d = el("dl");
  field(d, "directive", S[r[5]], true);
  field(d, "path", S[r[6]]);
  field(d, "attack", S[r[7]]);
  field(d, "fix", S[r[8]]);
  field(d, "app", S[r[9]]);
  var rel = [];
  for (var i = 11; i < r.length; i += 2) rel.push(at(S[r[i]], r[i + 1]));
  if (rel.length) {
    var more = rel.length > 10 ? " … and " + (rel.length - 10) + " more" : "";
    field(d, "also (" + rel.length + ")", rel.slice(0, 10).join(", ") + more);
  }
  c.appendChild(d);
  if (r[10] >= 0) {
    var det = el("details", "diagram");
    det.appendChild(el("summary", "", "path diagram"));
    det.addEventListener("toggle", function () {
      if (det.open && !det.dataset.drawn) {
        var box = el("div", "diagram-box");
        box.innerHTML = D.diagrams[r[10]]; // trustcheck's own SVG, its text escaped
        det.appendChild(box);
        det.dataset.drawn = "1";
      }
    });
    c.appendChild(det);
  } else if (S[r[6]] && D.omitted > 0) {
    c.appendChild(el("div", "muted", "no diagram here: the report draws the first " + D.diagrams.length + " paths with a problem; trustcheck paths --format mermaid draws every one"));
  }
  return c;
}
function render() {
  var list = $("findings");
  list.textContent = "";
  var start = page * PAGE, end = Math.min(shown.length, start + PAGE);
  $("stats").textContent = shown.length === F.length
    ? F.length + " findings, one per root cause (rule and place)" + (shown.length ? "; showing " + (start + 1) + "–" + end : "")
    : shown.length + " of " + F.length + " findings match" + (shown.length ? "; showing " + (start + 1) + "–" + end : "");
  for (var i = start; i < end; i++) list.appendChild(card(shown[i]));
  pager($("pager-top"));
  pager($("pager-bottom"));
}
["f-severity", "f-rule", "f-app"].forEach(function (id) { $(id).addEventListener("change", apply); });
["f-file", "f-text"].forEach(function (id) { $(id).addEventListener("input", apply); });
if (D.notes.length) {
  var n = $("notes");
  n.appendChild(el("h2", "", "Notes"));
  var ul = el("ul");
  D.notes.forEach(function (t) { ul.appendChild(el("li", "", t)); });
  n.appendChild(ul);
}
render();
})();
`
