package lint

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/trustcheck/trustcheck/rules"
)

// writePathsDOT writes every path as a cluster of one Graphviz digraph:
// the participants left to right, the honest client's request on black
// edges and the hostile client's on red dashed ones, what the app resolves
// in the app's box, and each finding in the box of the participant that
// causes it, coloured by severity. `dot -Tsvg` draws it.
func writePathsDOT(w io.Writer, views []pathView) error {
	b := bufio.NewWriter(w)
	b.WriteString("digraph trustcheck_paths {\n")
	b.WriteString("  rankdir=LR;\n  newrank=true;\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [fontname=\"Courier\", fontsize=9];\n")
	for i := range views {
		writeDOTPath(b, &views[i])
	}
	b.WriteString("}\n")
	return b.Flush()
}

func writeDOTPath(b *bufio.Writer, v *pathView) {
	id := func(p participantView) string { return fmt.Sprintf("p%d_%s", v.Number, p.ID) }
	fmt.Fprintf(b, "  subgraph cluster_p%d {\n", v.Number)
	fmt.Fprintf(b, "    label=%s;\n    labeljust=l;\n    fontname=\"Helvetica\";\n    fontsize=11;\n", dotString(fmt.Sprintf("path %d: %s", v.Number, v.Entry)))
	last := len(v.Participants) - 1
	for i, p := range v.Participants {
		lines := []string{p.Name}
		if p.Detail != "" {
			lines = append(lines, p.Detail)
		}
		if i == last {
			for _, r := range v.Replays {
				lines = append(lines, "", r.Label+":")
				lines = append(lines, r.resultLines()...)
			}
		}
		for _, m := range p.Marks {
			lines = append(lines, "", m.line())
			lines = append(lines, wrap(m.Message, 50)...)
		}
		attrs := ""
		if worst := worstMark(p.Marks); worst != 0 {
			attrs = fmt.Sprintf(", color=%q, fillcolor=%q, penwidth=2", dotSeverityColor[worst][0], dotSeverityColor[worst][1])
		}
		fmt.Fprintf(b, "    %s [label=%s%s];\n", id(p), dotLines(lines), attrs)
	}
	for _, r := range v.Replays {
		style := "color=\"#333333\""
		if r.Hostile {
			style = "color=\"#c62828\", fontcolor=\"#c62828\", style=dashed"
		}
		for i, s := range r.Steps {
			lines := []string{r.Label}
			if i == 0 {
				lines = append(lines, v.URL)
			}
			lines = append(lines, s.lines(i > 0)...)
			fmt.Fprintf(b, "    %s -> %s [label=%s, %s];\n", id(v.Participants[i]), id(v.Participants[i+1]), dotLines(lines), style)
		}
	}
	b.WriteString("  }\n")
}

// dotSeverityColor is a marked box's border and fill.
var dotSeverityColor = map[rules.Severity][2]string{
	rules.Error:   {"#c62828", "#ffebee"},
	rules.Warning: {"#ef6c00", "#fff3e0"},
	rules.Info:    {"#1565c0", "#e3f2fd"},
}

func worstMark(ms []markView) rules.Severity {
	var worst rules.Severity
	for _, m := range ms {
		worst = max(worst, m.Severity)
	}
	return worst
}

// dotString quotes s as a DOT string.
func dotString(s string) string {
	return `"` + dotEscape(s) + `"`
}

// dotLines quotes lines as a DOT label of left-justified lines.
func dotLines(lines []string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, l := range lines {
		b.WriteString(dotEscape(l))
		b.WriteString(`\l`)
	}
	b.WriteByte('"')
	return b.String()
}

// dotEscape escapes a DOT string's quote and backslash (so no escape
// sequence of Graphviz's, such as \N or \G, can appear) and line breaks.
var dotEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ", "\r", " ").Replace
