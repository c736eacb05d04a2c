package lint

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// writePathsMermaid writes every path as a Markdown heading and a Mermaid
// sequence diagram, which GitHub renders in issues, pull requests and job
// summaries: the output pastes into a comment as it is.
func writePathsMermaid(w io.Writer, views []pathView) error {
	b := bufio.NewWriter(w)
	for i := range views {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "#### path %d: %s\n\n", views[i].Number, markdownText(views[i].Entry))
		writeMermaid(b, &views[i])
	}
	if len(views) == 0 {
		b.WriteString("no path reaches the app\n")
	}
	return b.Flush()
}

// writeMermaid writes one path's fenced sequence diagram.
func writeMermaid(b *bufio.Writer, v *pathView) {
	b.WriteString("```mermaid\nsequenceDiagram\n")
	for _, p := range v.Participants {
		fmt.Fprintf(b, "    participant %s as %s\n", p.ID, mermaidLabel(p.Name, p.Detail))
	}
	first, last := v.Participants[0].ID, v.Participants[len(v.Participants)-1].ID
	for _, p := range v.Participants {
		for _, m := range p.Marks {
			lines := append([]string{m.line()}, wrap(m.Message, 60)...)
			fmt.Fprintf(b, "    Note over %s: %s\n", p.ID, mermaidLines(lines))
		}
	}
	for _, r := range v.Replays {
		if r.Hostile {
			b.WriteString("    rect rgb(255, 236, 236)\n")
		}
		fmt.Fprintf(b, "    Note over %s,%s: %s\n", first, last, mermaidText(r.Label))
		for i, s := range r.Steps {
			lines := s.lines(i > 0)
			if i == 0 {
				lines = append([]string{v.URL}, lines...)
			}
			fmt.Fprintf(b, "    %s->>%s: %s\n", v.Participants[i].ID, v.Participants[i+1].ID, mermaidLines(lines))
		}
		fmt.Fprintf(b, "    Note over %s: %s\n", last, mermaidLines(r.resultLines()))
		if r.Hostile {
			b.WriteString("    end\n")
		}
	}
	b.WriteString("```\n")
}

func mermaidLabel(name, detail string) string {
	if detail == "" {
		return mermaidText(name)
	}
	return mermaidText(name) + "<br/>" + mermaidText(detail)
}

func mermaidLines(lines []string) string {
	for i, l := range lines {
		lines[i] = mermaidText(l)
	}
	return strings.Join(lines, "<br/>")
}

// mermaidText escapes what Mermaid would read as syntax: ";" ends a
// statement, "#" starts an entity, "<" and ">" would be markup.
var mermaidText = strings.NewReplacer("#", "#35;", ";", "#59;", "<", "#lt;", ">", "#gt;", "\n", " ", "\r", " ").Replace

// markdownText escapes what Markdown would read as markup inside a heading
// or a table cell ("<" could open HTML; ">" only quotes at a line's start).
var markdownText = strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "|", "\\|", "<", "&lt;", "[", "\\[", "]", "\\]", "\n", " ").Replace

// wrap breaks s into lines of at most width bytes at spaces.
func wrap(s string, width int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}
