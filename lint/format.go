package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

type renderFunc func(io.Writer, *Report, Options) error

func formatter(name string) (renderFunc, error) {
	switch name {
	case "", "text":
		return renderText, nil
	case "json":
		return renderJSON, nil
	case "sarif":
		return renderSARIF, nil
	case "github":
		return renderGitHub, nil
	case "html":
		return renderHTML, nil
	}
	return nil, fmt.Errorf("--format %q: want text, json, sarif, github or html", name)
}

func posString(p trustmodel.Pos) string {
	if p.File == "" {
		return "(command line)"
	}
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// renderText writes findings grouped by file, each with its directive,
// attack, fix and docs link.
func renderText(w io.Writer, rep *Report, o Options) error {
	paint := func(attrs ...color.Attribute) func(string) string {
		if !o.Color {
			return func(s string) string { return s }
		}
		c := color.New(attrs...)
		c.EnableColor()
		sprint := c.SprintFunc()
		return func(s string) string { return sprint(s) }
	}
	sevColor := map[rules.Severity]func(string) string{
		rules.Error:   paint(color.FgRed, color.Bold),
		rules.Warning: paint(color.FgYellow, color.Bold),
		rules.Info:    paint(color.FgCyan),
	}
	bold, dim := paint(color.Bold), paint(color.Faint)
	// Written as it is rendered, without fmt: a fleet's report runs to tens
	// of megabytes.
	b := bufio.NewWriter(w)
	field := func(label, val string) {
		if val == "" {
			return
		}
		b.WriteString("    ")
		b.WriteString(label)
		b.WriteString(":")
		b.WriteString("       "[min(len(label)+1, 7):]) // %-7s
		b.WriteString(" ")
		b.WriteString(strings.ReplaceAll(val, "\n", "\n            "))
		b.WriteString("\n")
	}
	docs := map[string]string{}
	lastFile := ""
	counts := map[rules.Severity]int{}
	for i, f := range rep.Findings.All() {
		counts[f.Severity]++
		if i > 0 && f.Pos.File != lastFile {
			b.WriteByte('\n')
		}
		lastFile = f.Pos.File
		b.WriteString(bold(posString(f.Pos)))
		b.WriteString(": ")
		b.WriteString(sevColor[f.Severity](f.Severity.String()))
		b.WriteString(" " + f.Rule + " ")
		b.WriteString(f.Message)
		b.WriteString("\n")
		if f.Directive != "" {
			b.WriteString("    " + dim(f.Directive) + "\n")
		}
		field("path", f.Path)
		field(f.AttackLabel(), f.Attack)
		field("fix", f.Fix.Message)
		if len(f.Related) > 0 {
			rel := make([]string, len(f.Related))
			for i, p := range f.Related {
				rel[i] = posString(p)
			}
			field("also", strings.Join(rel, ", "))
		}
		url, ok := docs[f.Rule]
		if !ok {
			if r := rules.ByID(f.Rule); r != nil {
				url = r.DocsURL()
			}
			docs[f.Rule] = url
		}
		field("docs", url)
		for _, c := range f.Consequences {
			field("then", c.Rule+" "+c.Message+" ("+posString(c.Pos)+")")
			if c.Attack != "" {
				field("  "+c.AttackLabel(), c.Attack)
			}
		}
	}
	if rep.Findings.Len() > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(summary(counts) + " in " + plural(rep.Files, "file") + " checked\n")
	return b.Flush()
}

func summary(counts map[rules.Severity]int) string {
	if len(counts) == 0 {
		return "no findings"
	}
	var parts []string
	for _, s := range []rules.Severity{rules.Error, rules.Warning, rules.Info} {
		if counts[s] > 0 {
			parts = append(parts, plural(counts[s], s.String()))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

type jsonFinding struct {
	Rule      string `json:"rule"`
	Severity  string `json:"severity"`
	File      string `json:"file"`
	Line      int    `json:"line"`
	Directive string `json:"directive,omitempty"`
	Message   string `json:"message"`
	Path      string `json:"path,omitempty"`
	Attack    string `json:"attack,omitempty"`
	Honest    bool   `json:"honest,omitempty"`
	Fix       string `json:"fix,omitempty"`
	// Edits carry out the fix, machine-applicable (rules.Edit).
	Edits   []rules.Edit `json:"edits,omitempty"`
	Related []jsonPos    `json:"related"`
	// Consequences are findings this one causes (SPEC: one finding per
	// root cause), each with what it breaks.
	Consequences []jsonFinding `json:"consequences,omitempty"`
	// App is the app the finding judges, when several are described.
	App string `json:"app,omitempty"`
}

// toJSONFinding is a finding as the JSON report writes it.
func toJSONFinding(f rules.Finding) jsonFinding {
	jf := jsonFinding{
		Rule: f.Rule, Severity: f.Severity.String(), File: f.Pos.File, Line: f.Pos.Line,
		Directive: f.Directive, Message: f.Message, Path: f.Path, Attack: f.Attack, Honest: f.Honest, Fix: f.Fix.Message, Edits: f.Fix.Edits,
		Related: make([]jsonPos, 0, len(f.Related)), App: f.App,
	}
	for _, p := range f.Related {
		jf.Related = append(jf.Related, jsonPos{File: p.File, Line: p.Line})
	}
	for _, c := range f.Consequences {
		jf.Consequences = append(jf.Consequences, toJSONFinding(c))
	}
	return jf
}

type jsonPos struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

type jsonSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	Files    int `json:"files"`
}

func renderJSON(w io.Writer, rep *Report, _ Options) error {
	// {"version", "findings", "notes", "summary"}, written finding by
	// finding (a fleet's report runs to tens of megabytes) with the bytes
	// encoding/json gives the whole object at a two-space indent.
	b := bufio.NewWriter(w)
	value := func(v any, prefix string) error {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	sum := jsonSummary{Files: rep.Files}
	b.WriteString("{\n  \"version\": 1,\n  \"findings\": [")
	for i, f := range rep.Findings.All() {
		jf := toJSONFinding(f)
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		if err := value(jf, "    "); err != nil {
			return err
		}
		switch f.Severity {
		case rules.Error:
			sum.Errors++
		case rules.Warning:
			sum.Warnings++
		case rules.Info:
			sum.Infos++
		}
	}
	if rep.Findings.Len() > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("],\n  \"notes\": ")
	notes := rep.Notes
	if notes == nil {
		notes = []string{}
	}
	if err := value(notes, "  "); err != nil {
		return err
	}
	b.WriteString(",\n  \"summary\": ")
	if err := value(sum, "  "); err != nil {
		return err
	}
	b.WriteString("\n}\n")
	return b.Flush()
}

// maxErrorLine bounds an error's line: a message quoting its input must not
// carry a whole file into a terminal or a CI log.
const maxErrorLine = 200

// quotedRE matches a Go-quoted string, escapes included.
var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// ErrorLine is err's message on one line of at most about maxErrorLine
// characters: line breaks escaped, each quoted excerpt longer than 40
// characters cut to its start, and the whole cut if still too long.
func ErrorLine(err error) string {
	msg := strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(err.Error())
	if len(msg) <= maxErrorLine {
		return msg
	}
	msg = quotedRE.ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) <= 42 {
			return q
		}
		return strings.TrimRight(cutUTF8(q[:len(q)-1], 40), `\\`) + `..."`
	})
	if len(msg) > maxErrorLine {
		msg = cutUTF8(msg, maxErrorLine-3) + "..."
	}
	return msg
}

// cutUTF8 is s's first n bytes, less a rune they would split.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
