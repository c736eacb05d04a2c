package nginxconf

import (
	"fmt"
	"sort"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Diagnostic is a warning or error tied to a place in the configuration.
type Diagnostic struct {
	Pos     trustmodel.Pos
	Message string
}

// String is "file:line: message" ("file: message" without a line, the bare
// message without a file). It is always one line.
func (d Diagnostic) String() string {
	msg, file := oneLine(d.Message), oneLine(d.Pos.File) // a file name may hold a line break too
	switch {
	case file == "":
		return msg
	case d.Pos.Line <= 0:
		return file + ": " + msg
	default:
		return fmt.Sprintf("%s:%d: %s", file, d.Pos.Line, msg)
	}
}

// LoadError is what Load returns when the configuration cannot be modelled
// (nginx would refuse it, or a file cannot be read). Error() is the first
// diagnostic on one line, followed by a count of the others.
type LoadError struct {
	Diagnostics []Diagnostic // at least one, sorted by file and line
}

func (e *LoadError) Error() string {
	if len(e.Diagnostics) == 0 {
		return "nginx configuration could not be loaded"
	}
	s := e.Diagnostics[0].String()
	if n := len(e.Diagnostics) - 1; n == 1 {
		s += " (and 1 more error)"
	} else if n > 1 {
		s += fmt.Sprintf(" (and %d more errors)", n)
	}
	return s
}

func newLoadError(diags []Diagnostic) *LoadError {
	d := append([]Diagnostic(nil), diags...)
	sortDiagnostics(d)
	return &LoadError{Diagnostics: dedupeDiagnostics(d)}
}

// sortDiagnostics orders by position, then message: the order in which
// concurrent workers found them must not show.
func sortDiagnostics(d []Diagnostic) {
	sort.SliceStable(d, func(i, j int) bool {
		if d[i].Pos.File != d[j].Pos.File {
			return d[i].Pos.File < d[j].Pos.File
		}
		if d[i].Pos.Line != d[j].Pos.Line {
			return d[i].Pos.Line < d[j].Pos.Line
		}
		return d[i].Message < d[j].Message
	})
}

func dedupeDiagnostics(d []Diagnostic) []Diagnostic {
	out := d[:0]
	seen := map[string]bool{}
	for _, x := range d {
		k := x.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, x)
	}
	return out
}

// oneLine makes a message safe for a single output line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r", `\r`)
	return strings.ReplaceAll(s, "\n", `\n`)
}
