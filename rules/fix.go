package rules

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// SuggestedFix is a finding's fix as data, like go/analysis' SuggestedFix:
// the message for people and the edits that carry it out. The text `fix:`
// line, JSON, SARIF and `suggest` render it; a fix that no edit can express
// (bind the app elsewhere, put a load balancer in front) has no edits.
type SuggestedFix struct {
	Message string
	Edits   []Edit
}

// Fix is a fix with its message and edits.
func Fix(msg string, edits ...Edit) SuggestedFix {
	return SuggestedFix{Message: msg, Edits: edits}
}

// Edit is one machine-applicable change to a file the finding is about: the
// nginx configuration or trustcheck.yaml. At line Line of File, the text Old
// (starting at byte Column, 1-based) becomes New. With Old empty, New is
// inserted as whole lines after line Line (0: before the first line);
// several insertions at one line go in their order.
//
// Rules make edits with InsertAfter, InsertInside, InsertBefore,
// ReplaceText, SetYAML and RemoveYAML, which know the directive but not the
// file's text; ResolveEdits then matches them to the lines: the exact old
// text, its column, the indentation of inserted lines.
type Edit struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
	Old    string `json:"old"`
	New    string `json:"new"`

	// inside: an insertion at a block's opening line, one level deeper;
	// before: an insertion before line Line+1, indented as that line.
	inside, before bool
	// yamlKey: set this key of the YAML mapping at Line; with Line 0, of
	// the mapping that starts at line at.
	yamlKey    string
	at         int
	yamlDelete bool
	// unresolved: made by a rule, its text not yet matched to the file.
	unresolved bool
}

// InsertAfter inserts the line text after the line at pos, indented as that line.
func InsertAfter(pos trustmodel.Pos, text string) Edit {
	return Edit{File: pos.File, Line: pos.Line, New: text, unresolved: true}
}

// InsertInside inserts the line text as the first line of the block whose
// opening line is at pos, indented as the block's lines.
func InsertInside(pos trustmodel.Pos, text string) Edit {
	return Edit{File: pos.File, Line: pos.Line, New: text, inside: true, unresolved: true}
}

// InsertBefore inserts the line text before the line at pos, indented as
// that line.
func InsertBefore(pos trustmodel.Pos, text string) Edit {
	return Edit{File: pos.File, Line: pos.Line - 1, New: text, before: true, unresolved: true}
}

// ReplaceText makes the text old at the line at pos new; old may differ
// from the file's in white space. new "" deletes it.
func ReplaceText(pos trustmodel.Pos, old, new string) Edit {
	return Edit{File: pos.File, Line: pos.Line, Old: old, New: new, unresolved: true}
}

// SetYAML sets key to value (YAML flow style) in the mapping of an app in a
// trustcheck.yaml: at the line at, where the key is, or when it is not
// written (at.Line 0) as a new key of the mapping that starts at mapping.
func SetYAML(at, mapping trustmodel.Pos, key, value string) Edit {
	e := Edit{File: at.File, Line: at.Line, New: key + ": " + value, yamlKey: key, unresolved: true}
	if at.Line == 0 {
		e.File, e.at = mapping.File, mapping.Line
	}
	return e
}

// RemoveYAML removes key from the YAML mapping that starts at mapping
// (block or flow style).
func RemoveYAML(mapping trustmodel.Pos, key string) Edit {
	return Edit{File: mapping.File, Line: mapping.Line, yamlKey: key, yamlDelete: true, unresolved: true}
}

// Lines gives a file's lines, false when the file's text is unknown
// (standard input).
type Lines func(file string) (Text, bool)

// Text is a file's lines, without their line ends.
type Text interface {
	Len() int          // how many lines the file has
	Line(n int) string // line n, 1 <= n <= Len()
}

// LineSlice is a Text held in memory.
type LineSlice []string

func (s LineSlice) Len() int          { return len(s) }
func (s LineSlice) Line(n int) string { return s[n-1] }

// ResolveEdits matches every unresolved edit of the findings (and their
// consequences) to the file's text. A fix whose edits do not all match
// keeps its message and drops its edits (an edit is applied only as made);
// it returns how many did.
func ResolveEdits(fs []Finding, lines Lines) (dropped int) {
	texts := map[string]string{} // a fleet's thousands of edits share their lines
	var resolve func(fs []Finding)
	resolve = func(fs []Finding) {
		for i := range fs {
			fix := fs[i].Fix
			if slices.ContainsFunc(fix.Edits, func(e Edit) bool { return e.unresolved }) {
				edits, ok := resolveInPlace(fix.Edits, lines)
				if !ok {
					dropped++
				}
				for j := range edits {
					e := &edits[j]
					for _, s := range []*string{&e.Old, &e.New} {
						if t, ok := texts[*s]; ok {
							*s = t
						} else {
							texts[*s] = *s
						}
					}
				}
				fs[i].Fix = SuggestedFix{Message: fix.Message, Edits: edits}
			}
			resolve(fs[i].Consequences)
		}
	}
	resolve(fs)
	return dropped
}

// Resolve matches edits to the files' text; nil and false when one does
// not match.
func Resolve(edits []Edit, lines Lines) ([]Edit, bool) {
	return resolveInPlace(slices.Clone(edits), lines)
}

// resolveInPlace is Resolve writing into edits itself (a fleet has
// hundreds of thousands), which it leaves as they were when one does not
// match. Resolving a resolved edit changes nothing, so edits a rule shares
// between its findings may be resolved again.
func resolveInPlace(edits []Edit, lines Lines) ([]Edit, bool) {
	var buf [4]Edit
	out := buf[:0]
	if len(edits) > len(buf) {
		out = make([]Edit, 0, len(edits))
	}
	for _, e := range edits {
		r, ok := resolveEdit(e, lines)
		if !ok {
			return nil, false
		}
		out = append(out, r)
	}
	copy(edits, out)
	return edits, true
}

func resolveEdit(e Edit, lines Lines) (Edit, bool) {
	if !e.unresolved {
		return e, true
	}
	if e.Old == "" && e.yamlKey == "" && e.Line == 0 && !e.before && !e.inside {
		// The top of a file, which need not exist yet.
		return Edit{File: e.File, New: e.New}, true
	}
	ls, ok := lines(e.File)
	if !ok {
		return e, false
	}
	line := func(n int) (string, bool) {
		if n < 1 || n > ls.Len() {
			return "", false
		}
		return ls.Line(n), true
	}
	r := Edit{File: e.File, Line: e.Line}
	switch {
	case e.yamlDelete:
		return resolveYAMLDelete(e, ls)
	case e.yamlKey != "" && e.Line > 0:
		l, ok := line(e.Line)
		k := strings.Index(l, e.yamlKey+":")
		if !ok || k < 0 || strings.TrimSpace(l[:k]) != "" && strings.TrimSpace(l[:k]) != "-" {
			return e, false // the value is not on the key's line (a block list)
		}
		end := len(l)
		if c := strings.Index(l[k:], " #"); c >= 0 {
			end = k + c
		}
		r.Column, r.Old, r.New = k+1, strings.Clone(strings.TrimRight(l[k:end], " \t")), e.New
	case e.yamlKey != "":
		// A new key: before the mapping's first, at its column; after it when
		// the mapping starts a list item ("- name: web").
		l, ok := line(e.at)
		if !ok {
			return e, false
		}
		ind := indentOf(l)
		rest := l[len(ind):]
		r.Line = e.at - 1
		if strings.HasPrefix(rest, "- ") {
			if strings.HasSuffix(strings.TrimSpace(rest), ":") {
				return e, false // the item's first key opens a block
			}
			ind = strings.Repeat(" ", len(l)-len(strings.TrimLeft(rest[1:], " ")))
			r.Line = e.at
		}
		r.New = ind + e.New
	case e.Old == "":
		var ind string
		switch {
		case e.before:
			next, ok := line(e.Line + 1)
			if !ok {
				return e, false
			}
			ind = indentOf(next)
		case e.inside:
			if _, ok := line(e.Line); !ok {
				return e, false
			}
			ind = innerIndent(ls, e.Line)
		default:
			l, ok := line(e.Line)
			if !ok {
				return e, false
			}
			ind = indentOf(l)
		}
		parts := strings.Split(e.New, "\n")
		for i, p := range parts {
			if p != "" {
				parts[i] = ind + p
			}
		}
		r.New = strings.Join(parts, "\n")
	default:
		l, ok := line(e.Line)
		if !ok {
			return e, false
		}
		loc := oldPattern(e.Old).FindStringIndex(l)
		if loc == nil {
			return e, false
		}
		r.Column, r.Old, r.New = loc[0]+1, strings.Clone(l[loc[0]:loc[1]]), e.New
	}
	return r, true
}

// resolveYAMLDelete finds the key of the mapping at line e.Line: in its
// braces, or on a line of the block at the mapping's indentation.
func resolveYAMLDelete(e Edit, ls Text) (Edit, bool) {
	if e.Line < 1 || e.Line > ls.Len() {
		return e, false
	}
	key := regexp.QuoteMeta(e.yamlKey)
	if l := ls.Line(e.Line); strings.Contains(l, "{") {
		for _, re := range []string{`,\s*` + key + `:\s*[^,}]*[^,}\s]`, `\b` + key + `:\s*[^,}]*,\s*`} {
			if loc := regexp.MustCompile(re).FindStringIndex(l); loc != nil {
				return Edit{File: e.File, Line: e.Line, Column: loc[0] + 1, Old: strings.Clone(l[loc[0]:loc[1]])}, true
			}
		}
		return e, false
	}
	first := ls.Line(e.Line)
	col := len(first) - len(strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(first, " "), "- "), " "))
	at := regexp.MustCompile(`^` + key + `:(\s[^#]*[^#\s]|)`)
	for n := e.Line; n <= ls.Len(); n++ {
		l := ls.Line(n)
		t := strings.TrimSpace(l)
		if n > e.Line && t != "" && !strings.HasPrefix(t, "#") && len(indentOf(l)) < col {
			break // the mapping ended
		}
		if len(l) < col || n > e.Line && len(indentOf(l)) != col {
			continue
		}
		if m := at.FindStringIndex(l[col:]); m != nil {
			return Edit{File: e.File, Line: n, Column: col + 1, Old: strings.Clone(l[col : col+m[1]])}, true
		}
	}
	return e, false
}

// editSet gathers edits, each once, in the order first added: the edits
// of one fix over every path (a fleet's thousands).
type editSet struct {
	list []Edit
	seen map[Edit]bool
}

func (s *editSet) add(es ...Edit) {
	for _, e := range es {
		if s.seen[e] {
			continue
		}
		if s.seen == nil {
			s.seen = map[Edit]bool{}
		}
		s.seen[e] = true
		s.list = append(s.list, e)
	}
}

// prefixFix is fix with its message after prefix.
func prefixFix(prefix string, fix SuggestedFix) SuggestedFix {
	fix.Message = prefix + fix.Message
	return fix
}

// suffixFix continues a fix's message.
func suffixFix(fix SuggestedFix, suffix string) SuggestedFix {
	fix.Message += suffix
	return fix
}

// oldPattern matches text with any white space where it has some.
func oldPattern(old string) *regexp.Regexp {
	fields := strings.Fields(old)
	for i, f := range fields {
		fields[i] = regexp.QuoteMeta(f)
	}
	return regexp.MustCompile(strings.Join(fields, `[ \t]+`))
}

func indentOf(l string) string { return l[:len(l)-len(strings.TrimLeft(l, " \t"))] }

// innerIndent is the indentation of the lines inside the block opened at
// line n (1-based): the next statement's, or four spaces deeper.
func innerIndent(ls Text, n int) string {
	outer := indentOf(ls.Line(n))
	for i := n + 1; i <= ls.Len(); i++ {
		l := ls.Line(i)
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if in := indentOf(l); len(in) > len(outer) && t != "}" {
			return in
		}
		break
	}
	return outer + "    "
}

// ApplyEdits applies resolved edits to one file's lines (line numbers as
// before any edit). It fails when an edit's old text is not where it says.
func ApplyEdits(lines []string, edits []Edit) ([]string, error) {
	lines = slices.Clone(lines)
	// Replacements in one line from the right, so columns stay right.
	byCol := slices.Clone(edits)
	slices.SortStableFunc(byCol, func(a, b Edit) int { return b.Column - a.Column })
	for _, e := range byCol {
		if e.Old == "" {
			continue
		}
		if e.Line < 1 || e.Line > len(lines) {
			return nil, fmt.Errorf("%s:%d: no such line", e.File, e.Line)
		}
		l := lines[e.Line-1]
		c := e.Column - 1
		if c < 0 || c+len(e.Old) > len(l) || l[c:c+len(e.Old)] != e.Old {
			return nil, fmt.Errorf("%s:%d: %q is not at column %d", e.File, e.Line, e.Old, e.Column)
		}
		lines[e.Line-1] = l[:c] + e.New + l[c+len(e.Old):]
	}
	// Insertions keep the order they were listed in.
	after := map[int][]string{}
	for _, e := range edits {
		if e.Old == "" {
			after[e.Line] = append(after[e.Line], strings.Split(e.New, "\n")...)
		}
	}
	out := append([]string(nil), after[0]...)
	for i, l := range lines {
		out = append(out, strings.Split(l, "\n")...)
		out = append(out, after[i+1]...)
	}
	return out, nil
}

var plainYAML = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]*$`)

// YAMLFlow renders a value as one line of YAML: 'loopback' as loopback,
// a list as [loopback, 10.0.0.0/8], a mapping as {name: proxy_fix, x_for: 1}
// (keys sorted).
func YAMLFlow(v any) string {
	switch x := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, YAMLFlow(k)+": "+YAMLFlow(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []map[string]any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = YAMLFlow(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		var back any
		if plainYAML.MatchString(x) && yaml.Unmarshal([]byte(x), &back) == nil && back == x {
			return x
		}
		b, _ := json.Marshal(x)
		return string(b)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = YAMLFlow(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// proxyInsert puts a new directive for px where addHeaderFix says: after
// the proxy_pass, or into the outer proxy_set_header list it inherits.
func proxyInsert(px *nginxconf.Proxy, directive string) Edit {
	if px.HeadersLevel == "" || px.HeadersLevel == "location" || len(px.Headers) == 0 {
		return InsertAfter(px.Pos, directive)
	}
	return InsertAfter(px.Headers[0].Pos, directive)
}
