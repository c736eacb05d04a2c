package lint

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/trustcheck/trustcheck/rules"
)

// The SVG sequence diagram is laid out on a grid of monospace characters,
// so its geometry follows from the text alone: no font metrics, no
// library, the same bytes on every run.
const (
	svgFont      = 11 // px
	svgCharW     = 7  // px, at least a monospace glyph's advance at svgFont
	svgLineH     = 14 // px
	svgPad       = 8  // px inside boxes
	svgGap       = 24 // px between neighbouring boxes
	svgArrowHead = 7  // px
)

// svgColor is a severity's border and fill, as in the DOT output.
var svgColor = dotSeverityColor

// writeSVGDiagram draws v as a sequence diagram: a box per participant with
// its findings, a lifeline under each, each replay's requests as labelled
// arrows (the hostile one on a red band, the values it changed in red) and
// what the app resolves beside the app's lifeline.
func writeSVGDiagram(b *strings.Builder, v *pathView) {
	n := len(v.Participants)
	// Box contents and widths.
	boxLines := make([][]string, n)
	boxW := make([]int, n)
	boxH := 0
	for i, p := range v.Participants {
		lines := []string{p.Name}
		if p.Detail != "" {
			lines = append(lines, p.Detail)
		}
		for _, m := range p.Marks {
			lines = append(lines, m.Severity.String()+" "+m.Rule+" "+m.Name)
		}
		boxLines[i] = lines
		boxW[i] = textW(lines) + 2*svgPad
		boxH = max(boxH, len(lines)*svgLineH+2*svgPad)
	}
	// Message labels: gap i is between participant i and i+1.
	gapW := make([]int, n-1)
	for _, r := range v.Replays {
		for i, s := range r.Steps {
			gapW[i] = max(gapW[i], textW(stepLabel(v, i, s))+2*svgPad)
		}
	}
	// Lifeline x positions.
	x := make([]int, n)
	x[0] = svgGap + boxW[0]/2
	for i := 1; i < n; i++ {
		x[i] = x[i-1] + max(boxW[i-1]/2+svgGap+boxW[i]/2, gapW[i-1])
	}
	// What the app resolves is a note under the last arrow, ending at the
	// app's lifeline.
	resultW := 0
	for _, r := range v.Replays {
		resultW = max(resultW, textW(r.resultLines())+2*svgPad)
	}
	if shift := resultW + svgGap - x[n-1]; shift > 0 {
		for i := range x {
			x[i] += shift
		}
	}
	noteX := x[n-1] - resultW
	width := x[n-1] + boxW[n-1]/2 + svgGap

	var body strings.Builder
	y := svgGap + boxH + svgGap/2
	for _, r := range v.Replays {
		top := y
		y += svgLineH + svgPad // the replay's label
		var rows strings.Builder
		for i, s := range r.Steps {
			lines := stepLabel(v, i, s)
			for j, l := range lines {
				cls := ""
				if r.Hostile && strings.HasSuffix(l, " (!)") {
					cls = ` class="bad"`
				}
				fmt.Fprintf(&rows, `<text x="%d" y="%d"%s>%s</text>`, x[i]+svgPad, y+svgLineH*(j+1)-3, cls, html.EscapeString(l))
			}
			y += len(lines)*svgLineH + 4
			fmt.Fprintf(&rows, `<path class="msg%s" d="M%d %dH%d"/><path class="head%s" d="M%d %dl-%d -4v8z"/>`,
				hostileClass(r.Hostile), x[i], y, x[i+1]-1, hostileClass(r.Hostile), x[i+1]-1, y, svgArrowHead)
			y += svgPad + 4
		}
		res := r.resultLines()
		fmt.Fprintf(&rows, `<rect class="note" x="%d" y="%d" width="%d" height="%d"/>`, noteX, y, resultW, len(res)*svgLineH+svgPad)
		for j, l := range res {
			cls := ""
			if r.Result != nil && (r.Result[j].Injected || r.Result[j].Changed) {
				cls = ` class="bad"`
			}
			fmt.Fprintf(&rows, `<text x="%d" y="%d"%s>%s</text>`, noteX+svgPad, y+svgLineH*(j+1), cls, html.EscapeString(l))
		}
		y += len(res)*svgLineH + svgPad + svgGap/2
		if r.Hostile {
			fmt.Fprintf(&body, `<rect class="band" x="4" y="%d" width="%d" height="%d"/>`, top, width-8, y-top-svgGap/4)
		}
		fmt.Fprintf(&body, `<text x="%d" y="%d" class="label%s">%s</text>`, svgPad+4, top+svgLineH, hostileClass(r.Hostile), html.EscapeString(r.Label))
		body.WriteString(rows.String())
	}
	height := y + svgPad

	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="seq" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		width, height, width, height, html.EscapeString(fmt.Sprintf("path %d: %s", v.Number, v.Entry)))
	for i := range v.Participants {
		fmt.Fprintf(b, `<path class="life" d="M%d %dV%d"/>`, x[i], svgGap+boxH, height-svgPad)
	}
	for i, p := range v.Participants {
		cls := "box"
		if w := worstMark(p.Marks); w != 0 {
			cls += " " + strings.ToLower(w.String())
		}
		fmt.Fprintf(b, `<rect class="%s" x="%d" y="%d" width="%d" height="%d" rx="4"/>`, cls, x[i]-boxW[i]/2, svgGap, boxW[i], boxH)
		for j, l := range boxLines[i] {
			tcls := ""
			switch {
			case j == 0:
				tcls = ` class="name"`
			case j >= len(boxLines[i])-len(p.Marks):
				tcls = ` class="` + strings.ToLower(p.Marks[j-(len(boxLines[i])-len(p.Marks))].Severity.String()) + `"`
			}
			fmt.Fprintf(b, `<text x="%d" y="%d"%s>%s</text>`, x[i]-boxW[i]/2+svgPad, svgGap+svgPad+svgLineH*(j+1)-3, tcls, html.EscapeString(l))
		}
	}
	b.WriteString(body.String())
	b.WriteString("</svg>")
}

// stepLabel is the text over the arrow of step i: the replay's request as
// participant i+1 receives it.
func stepLabel(v *pathView, i int, s stepView) []string {
	var lines []string
	if i == 0 {
		lines = append(lines, v.URL)
	}
	return append(lines, s.lines(i > 0)...)
}

func hostileClass(hostile bool) string {
	if hostile {
		return " hostile"
	}
	return ""
}

// textW is the width of the widest line.
func textW(lines []string) int {
	w := 0
	for _, l := range lines {
		w = max(w, utf8.RuneCountInString(l)*svgCharW)
	}
	return w
}

// svgStyle is the diagrams' stylesheet, once per page.
func svgStyle() string {
	var b strings.Builder
	fmt.Fprintf(&b, `svg.seq{font:%dpx/1 "DejaVu Sans Mono",Menlo,Consolas,monospace;background:#fff}`, svgFont)
	b.WriteString(`svg.seq text{fill:#222;white-space:pre}svg.seq .name{font-weight:bold}svg.seq .dim{fill:#777}`)
	b.WriteString(`svg.seq .bad,svg.seq .label.hostile{fill:#c62828;font-weight:bold}svg.seq .label{font-weight:bold}`)
	b.WriteString(`svg.seq .box{fill:#f5f7fa;stroke:#455a64}svg.seq .life{stroke:#b0bec5;stroke-dasharray:4 3}`)
	b.WriteString(`svg.seq .msg{stroke:#333;fill:none}svg.seq .head{fill:#333}svg.seq .msg.hostile{stroke:#c62828}svg.seq .head.hostile{fill:#c62828}`)
	b.WriteString(`svg.seq .note{fill:#fffde7;stroke:#bdb76b}svg.seq .band{fill:#ffebee;stroke:none}`)
	for _, s := range []rules.Severity{rules.Error, rules.Warning, rules.Info} {
		c := svgColor[s]
		name := strings.ToLower(s.String())
		fmt.Fprintf(&b, `svg.seq .box.%s{fill:%s;stroke:%s;stroke-width:2}svg.seq text.%s{fill:%s;font-weight:bold}`, name, c[1], c[0], name, c[0])
	}
	return b.String()
}
