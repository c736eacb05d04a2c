package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

const ignoreMarker = "trustcheck:ignore"

// suppression is one `# trustcheck:ignore TC101[,TC102] reason` comment. It
// covers findings on its own line and on the line below.
type suppression struct {
	pos    trustmodel.Pos
	ids    []string
	reason string
	used   bool
	// comment is the comment as written, from its "#".
	comment string
}

func parseSuppression(pos trustmodel.Pos, raw string) (*suppression, bool) {
	text := strings.TrimSpace(raw)
	rest, ok := strings.CutPrefix(text, ignoreMarker)
	rest, _, _ = strings.Cut(rest, "#") // a further comment is not part of the reason
	if !ok {
		return nil, false
	}
	fields := strings.Fields(rest)
	s := &suppression{pos: pos, comment: "#" + raw}
	if len(fields) > 0 {
		for _, id := range strings.Split(fields[0], ",") {
			if id != "" {
				s.ids = append(s.ids, strings.ToUpper(id))
			}
		}
		s.reason = strings.Join(fields[1:], " ")
	}
	return s, true
}

func (s *suppression) covers(rule string, pos trustmodel.Pos) bool {
	if pos.File != s.pos.File || (pos.Line != s.pos.Line && pos.Line != s.pos.Line+1) {
		return false
	}
	for _, id := range s.ids {
		if id == rule {
			return true
		}
	}
	return false
}

// collectSuppressions reads ignore comments from the nginx files and trustcheck.yaml.
func collectSuppressions(ng *nginxconf.Config, cfg *trustmodel.Config) []*suppression {
	var out []*suppression
	for _, f := range ng.Files {
		for _, c := range f.Comments {
			if s, ok := parseSuppression(c.Pos, c.Text); ok {
				out = append(out, s)
			}
		}
	}
	if cfg != nil {
		if data, err := os.ReadFile(cfg.File); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(data))
			for line := 1; sc.Scan(); line++ {
				if _, c, ok := strings.Cut(sc.Text(), "#"); ok {
					if s, ok := parseSuppression(trustmodel.Pos{File: cfg.File, Line: line}, c); ok {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

// suppressions are a run's ignore comments, by line.
type suppressions struct {
	all []*suppression
	at  map[suppressionLine][]*suppression
}

type suppressionLine struct {
	file string
	n    int
}

func newSuppressions(ng *nginxconf.Config, cfg *trustmodel.Config) *suppressions {
	ss := &suppressions{all: collectSuppressions(ng, cfg), at: map[suppressionLine][]*suppression{}}
	for _, s := range ss.all {
		k := suppressionLine{s.pos.File, s.pos.Line}
		ss.at[k] = append(ss.at[k], s)
	}
	return ss
}

// suppresses reports whether an ignore comment covers a finding of rule at
// pos, and marks the comments that do as used.
func (ss *suppressions) suppresses(rule string, pos trustmodel.Pos) bool {
	suppressed := false
	for _, n := range [...]int{pos.Line, pos.Line - 1} { // a comment covers its line and the next
		for _, s := range ss.at[suppressionLine{pos.File, n}] {
			if s.reason != "" && s.covers(rule, pos) {
				s.used, suppressed = true, true
			}
		}
	}
	return suppressed
}

// unused reports, as TC001 when enabled, every ignore that is malformed or
// has suppressed nothing.
func (ss *suppressions) unused(enabled map[string]bool) []rules.Finding {
	if !enabled["TC001"] {
		return nil
	}
	var out []rules.Finding
	tc001 := rules.ByID("TC001")
	for _, s := range ss.all {
		var msg string
		switch {
		case len(s.ids) == 0:
			msg = "trustcheck:ignore names no rule; write `# trustcheck:ignore TC101 <reason>`"
		case s.reason == "":
			msg = fmt.Sprintf("trustcheck:ignore %s has no reason, so it suppresses nothing; say why the finding does not apply", strings.Join(s.ids, ","))
		case s.used:
			continue
		default:
			var unknown, disabled []string
			for _, id := range s.ids {
				switch {
				case rules.ByID(id) == nil:
					unknown = append(unknown, id)
				case !enabled[id]:
					disabled = append(disabled, id)
				}
			}
			if len(unknown) > 0 {
				msg = fmt.Sprintf("trustcheck:ignore names unknown rule %s", strings.Join(unknown, ", "))
			} else if len(disabled) == len(s.ids) {
				continue // the rule did not run, so the ignore cannot be judged
			} else {
				msg = fmt.Sprintf("trustcheck:ignore %s suppresses nothing: no such finding on this line or the next", strings.Join(s.ids, ","))
			}
		}
		out = append(out, rules.Finding{
			Rule: tc001.ID, Severity: tc001.Severity, Pos: s.pos, Message: msg,
			Fix: rules.Fix("remove the comment, or move it onto the line of the finding it is meant for",
				rules.ReplaceText(s.pos, s.comment, "")),
		})
	}
	return out
}
