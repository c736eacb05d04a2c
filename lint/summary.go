package lint

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/rules"
)

// GitHub shows at most 1 MiB of a step's summary: a fleet's summary lists
// its first findings and draws its first paths with an error.
const (
	maxSummaryFindings = 100
	maxSummaryDiagrams = 10
)

// summaryView is the Markdown job summary, computed from a report.
type summaryView struct {
	Headline     string // "2 errors, 1 warning in 3 files checked"
	BySeverity   []severityCount
	ByRule       []ruleCount
	Findings     []findingRow
	MoreFindings int
	Diagrams     []pathView
	MoreDiagrams bool // more paths with an error than are drawn
	Notes        []string
}

type severityCount struct {
	Severity string
	Count    int
}

type ruleCount struct {
	Rule, Name, Severity, Docs string
	Count                      int
}

// findingRow is one finding as a table row: At is file:line, Link the URL
// of that line.
type findingRow struct {
	Severity, Rule, Docs, At, Link, Message string
}

func newSummaryView(rep *Report, linkBase string) summaryView {
	v := summaryView{Notes: rep.Notes}
	counts := map[rules.Severity]int{}
	byRule := map[string]*ruleCount{}
	for i, f := range rep.Findings.All() {
		counts[f.Severity]++
		rc := byRule[f.Rule]
		if rc == nil {
			rc = &ruleCount{Rule: f.Rule, Severity: f.Severity.String()}
			if r := rules.ByID(f.Rule); r != nil {
				rc.Name, rc.Docs = r.Name, r.DocsURL()
			}
			byRule[f.Rule] = rc
		}
		rc.Count++
		if i >= maxSummaryFindings {
			v.MoreFindings++
			continue
		}
		v.Findings = append(v.Findings, findingRow{
			Severity: f.Severity.String(), Rule: f.Rule, Docs: rc.Docs,
			At: posString(f.Pos), Link: lineLink(linkBase, f.Pos.File, f.Pos.Line), Message: f.Message,
		})
	}
	v.Headline = summary(counts) + " in " + plural(rep.Files, "file") + " checked"
	for _, s := range []rules.Severity{rules.Error, rules.Warning, rules.Info} {
		if counts[s] > 0 {
			v.BySeverity = append(v.BySeverity, severityCount{s.String(), counts[s]})
		}
	}
	for _, rc := range byRule {
		v.ByRule = append(v.ByRule, *rc)
	}
	slices.SortFunc(v.ByRule, func(a, b ruleCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		if a.Rule < b.Rule {
			return -1
		}
		return 1
	})
	for _, d := range rep.diagrams {
		if d.Worst != rules.Error {
			continue
		}
		if len(v.Diagrams) == maxSummaryDiagrams {
			v.MoreDiagrams = true
			break
		}
		v.Diagrams = append(v.Diagrams, d)
	}
	return v
}

// lineLink is the link to a file's line: under linkBase (a repository's
// blob URL at a commit) when given, else relative to the working directory.
func lineLink(linkBase, file string, line int) string {
	if file == "" {
		return ""
	}
	l := linkBase + reportPath(file)
	if line > 0 {
		l += "#L" + strconv.Itoa(line)
	}
	return l
}

// writeSummary renders v as GitHub-flavoured Markdown.
func writeSummary(w io.Writer, v summaryView) error {
	b := bufio.NewWriter(w)
	b.WriteString("## trustcheck\n\n")
	fmt.Fprintf(b, "**%s**\n", markdownText(v.Headline))
	if len(v.BySeverity) > 0 {
		b.WriteString("\n| severity | findings |\n|---|---:|\n")
		for _, s := range v.BySeverity {
			fmt.Fprintf(b, "| %s | %d |\n", s.Severity, s.Count)
		}
		b.WriteString("\n| rule | severity | findings |\n|---|---|---:|\n")
		for _, r := range v.ByRule {
			fmt.Fprintf(b, "| %s | %s | %d |\n", markdownLink(r.Rule+" "+r.Name, r.Docs), r.Severity, r.Count)
		}
		b.WriteString("\n### Findings\n\n| severity | rule | where | message |\n|---|---|---|---|\n")
		for _, f := range v.Findings {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", f.Severity, markdownLink(f.Rule, f.Docs), markdownLink(f.At, f.Link), markdownText(f.Message))
		}
		if v.MoreFindings > 0 {
			fmt.Fprintf(b, "\n%s more not listed here: the annotations and `trustcheck lint --format html` show every one.\n", plural(v.MoreFindings, "finding"))
		}
	}
	if len(v.Diagrams) > 0 {
		b.WriteString("\n### Paths with an error\n")
		for i := range v.Diagrams {
			fmt.Fprintf(b, "\n#### path %d: %s\n\n", v.Diagrams[i].Number, markdownText(v.Diagrams[i].Entry))
			writeMermaid(b, &v.Diagrams[i])
		}
		if v.MoreDiagrams {
			fmt.Fprintf(b, "\nOnly the first %d paths with an error are drawn here: `trustcheck paths --format mermaid` draws every one.\n", len(v.Diagrams))
		}
	}
	if len(v.Notes) > 0 {
		b.WriteString("\n<details><summary>notes</summary>\n\n")
		for _, n := range v.Notes {
			fmt.Fprintf(b, "- %s\n", markdownText(n))
		}
		b.WriteString("\n</details>\n")
	}
	return b.Flush()
}

// markdownLink is text linked to url, or the text alone without a url.
func markdownLink(text, url string) string {
	if url == "" {
		return markdownText(text)
	}
	return "[" + markdownText(text) + "](" + markdownURL(url) + ")"
}

// markdownURL keeps a link's destination inside its parentheses.
func markdownURL(u string) string {
	return "<" + escapeURL.Replace(u) + ">"
}

var escapeURL = strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20", "\n", "%0A")

// writeSummaryFile writes the job summary o asks for, if any.
func writeSummaryFile(rep *Report, o Options) error {
	if o.Summary == "" {
		return nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if o.SummaryAppend {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(o.Summary, flags, 0o644)
	if err != nil {
		return fmt.Errorf("--summary %s: %v", o.Summary, unwrapPathError(err))
	}
	if err := writeSummary(f, newSummaryView(rep, o.LinkBase)); err != nil {
		f.Close()
		return fmt.Errorf("--summary %s: %v", o.Summary, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--summary %s: %v", o.Summary, err)
	}
	return nil
}
