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

func (s *suppression) covers(f rules.Finding) bool {
	if f.Pos.File != s.pos.File || (f.Pos.Line != s.pos.Line && f.Pos.Line != s.pos.Line+1) {
		return false
	}
	for _, id := range s.ids {
		if id == f.Rule {
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

// applySuppressions drops the findings an ignore comment covers and reports
// (as TC001) every ignore that is malformed or suppresses nothing.
func applySuppressions(fs []rules.Finding, ng *nginxconf.Config, cfg *trustmodel.Config, enabled map[string]bool) []rules.Finding {
	sups := collectSuppressions(ng, cfg)
	type line struct {
		file string
		n    int
	}
	at := map[line][]*suppression{}
	for _, s := range sups {
		k := line{s.pos.File, s.pos.Line}
		at[k] = append(at[k], s)
	}
	kept := fs[:0] // in fs's own array: a fleet's findings run to hundreds of megabytes
	for _, f := range fs {
		suppressed := false
		for _, n := range [...]int{f.Pos.Line, f.Pos.Line - 1} { // a comment covers its line and the next
			for _, s := range at[line{f.Pos.File, n}] {
				if s.reason != "" && s.covers(f) {
					s.used, suppressed = true, true
				}
			}
		}
		if !suppressed {
			kept = append(kept, f)
		}
	}
	clear(fs[len(kept):])
	if !enabled["TC001"] {
		return kept
	}
	tc001 := rules.ByID("TC001")
	for _, s := range sups {
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
		kept = append(kept, rules.Finding{
			Rule: tc001.ID, Severity: tc001.Severity, Pos: s.pos, Message: msg,
			Fix: rules.Fix("remove the comment, or move it onto the line of the finding it is meant for",
				rules.ReplaceText(s.pos, s.comment, "")),
		})
	}
	return kept
}
