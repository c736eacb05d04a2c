package lint

import (
	"iter"
	"runtime"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/internal/parallel"
	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// Findings are a report's findings in order, kept encoded: a fleet's run
// to hundreds of thousands, and the formatters read them one at a time.
type Findings struct{ log rules.FindingLog }

// Len is how many findings there are.
func (fs *Findings) Len() int { return fs.log.Len() }

// All yields the findings in order with their index, each decoded as it
// comes.
func (fs *Findings) All() iter.Seq2[int, rules.Finding] {
	return func(yield func(int, rules.Finding) bool) {
		i := 0
		for f := range fs.log.All() {
			if !yield(i, f) {
				return
			}
			i++
		}
	}
}

// Slice is the findings decoded at once, for what reads them all together
// (the diagrams of reports).
func (fs *Findings) Slice() []rules.Finding {
	out := make([]rules.Finding, 0, fs.Len())
	for _, f := range fs.All() {
		out = append(out, f)
	}
	return out
}

// MaxSeverity is the highest severity of the findings (0 with none).
func (fs *Findings) MaxSeverity() rules.Severity { return fs.log.MaxSeverity() }

// findingSet makes a report's findings of those the passes yield: each
// root cause once (findings of one rule at one place, a directive in a
// shared snippet many servers include, become one whose related positions
// name every affected place), the suppressed left out, a consequence
// under the finding of its cause, in order, their edits resolved. The
// findings are held encoded (rules.FindingTable), each with what those
// steps read beside it.
type findingSet struct {
	table rules.FindingTable
	refs  []findingRef
	index map[rootKey]int // refs by root cause, while findings are added
	// top are the refs reported, in order (suppressed and folded ones
	// left out).
	top []int
}

type rootKey struct {
	rule string
	pos  trustmodel.Pos
}

// findingRef is what the steps before rendering read or change of the
// table's finding of the same index.
type findingRef struct {
	rule     string
	pos      trustmodel.Pos
	causedBy trustmodel.Pos
	severity rules.Severity
	// merged: findings of the same root cause came after it; related are
	// their related positions.
	merged  bool
	related []trustmodel.Pos
	// consequences are the refs of the findings folded under it.
	consequences []int
}

// add adds f, or its related positions to the finding of its root cause.
func (s *findingSet) add(f rules.Finding) {
	k := rootKey{f.Rule, f.Pos}
	if i, seen := s.index[k]; seen {
		r := &s.refs[i]
		r.merged = true
		r.related = append(r.related, f.Related...)
		return
	}
	if s.index == nil {
		s.index = map[rootKey]int{}
	}
	s.index[k] = len(s.refs)
	s.addOwn(f)
}

// addOwn adds f as a finding of its own, reported.
func (s *findingSet) addOwn(f rules.Finding) {
	s.top = append(s.top, s.table.Add(&f))
	s.refs = append(s.refs, findingRef{rule: f.Rule, pos: f.Pos, causedBy: f.CausedBy, severity: f.Severity})
}

// suppress leaves out the findings an ignore comment covers and adds
// TC001's findings of the comments; every finding is in.
func (s *findingSet) suppress(ng *nginxconf.Config, cfg *trustmodel.Config, enabled map[string]bool) {
	s.index = nil
	sups := newSuppressions(ng, cfg)
	s.top = slices.DeleteFunc(s.top, func(i int) bool { return sups.suppresses(s.refs[i].rule, s.refs[i].pos) })
	for _, f := range sups.unused(enabled) {
		s.addOwn(f)
	}
}

// foldConsequences shows a finding whose cause another finding reports
// (a header a TC401 drop left unset) under that finding, whose severity
// becomes the highest of them; a consequence whose cause is not reported
// (disabled, suppressed) stays on its own.
func (s *findingSet) foldConsequences() {
	roots := map[trustmodel.Pos]int{}
	for _, i := range s.top {
		if s.refs[i].rule == "TC401" {
			roots[s.refs[i].pos] = i
		}
	}
	if len(roots) == 0 {
		return
	}
	s.top = slices.DeleteFunc(s.top, func(i int) bool {
		c := &s.refs[i]
		r, ok := roots[c.causedBy]
		if !ok || c.causedBy.File == "" || r == i {
			return false
		}
		root := &s.refs[r]
		root.consequences = append(root.consequences, i)
		root.severity = max(root.severity, c.severity)
		return true
	})
}

// sort orders the findings, and each one's consequences, by position,
// rule and message.
func (s *findingSet) sort() {
	s.sortRefs(s.top)
	for _, i := range s.top {
		s.sortRefs(s.refs[i].consequences)
	}
}

func (s *findingSet) sortRefs(refs []int) {
	slices.SortStableFunc(refs, func(i, j int) int {
		a, b := &s.refs[i], &s.refs[j]
		if c := comparePos(a.pos, b.pos); c != 0 {
			return c
		}
		if c := strings.Compare(a.rule, b.rule); c != 0 {
			return c
		}
		// Rarely reached: one rule's findings at one place are one.
		return strings.Compare(s.table.At(i).Message, s.table.At(j).Message)
	})
}

// findings are the findings reported, in order, with their edits resolved
// to the files' lines when lines is set; dropped counts the fixes whose
// edits do not match the lines, which keep only their message. A batch of
// findings is decoded and resolved on every CPU, each worker a contiguous
// share.
func (s *findingSet) findings(lines rules.Lines) (out Findings, dropped int) {
	const batch = 1024
	workers := runtime.GOMAXPROCS(0)
	drops := make([]int, workers)
	buf := make([]rules.Finding, min(batch, len(s.top)))
	for start := 0; start < len(s.top); start += batch {
		n := min(batch, len(s.top)-start)
		parallel.Do(workers, func(w int) {
			for k := n * w / workers; k < n*(w+1)/workers; k++ {
				buf[k] = s.finding(s.top[start+k])
				if lines != nil {
					drops[w] += rules.ResolveEdits(buf[k:k+1], lines)
				}
			}
		})
		for k := range n {
			out.log.Add(&buf[k])
			buf[k] = rules.Finding{}
		}
	}
	for _, d := range drops {
		dropped += d
	}
	return out, dropped
}

// finding decodes ref i's finding as reported: its severity, its related
// positions sorted, without repeats or its own position, its consequences.
func (s *findingSet) finding(i int) rules.Finding {
	r := &s.refs[i]
	f := s.table.At(i)
	f.Severity = r.severity
	if r.merged || !tidyRelated(f.Related, f.Pos) {
		rel := append(f.Related, r.related...)
		slices.SortFunc(rel, comparePos)
		rel = slices.Compact(rel)
		f.Related = slices.DeleteFunc(rel, func(p trustmodel.Pos) bool { return p == f.Pos || p.File == "" })
	}
	for _, c := range r.consequences {
		f.Consequences = append(f.Consequences, s.finding(c))
	}
	return f
}

// mergedAndSorted is fs with each root cause once, in order (findingSet).
func mergedAndSorted(fs []rules.Finding) []rules.Finding {
	var s findingSet
	for _, f := range fs {
		s.add(f)
	}
	s.sort()
	out := make([]rules.Finding, len(s.top))
	for k, i := range s.top {
		out[k] = s.finding(i)
	}
	return out
}

// tidyRelated reports whether rel is already what findingSet makes of it:
// sorted, without repeats, pos or positions without a file.
func tidyRelated(rel []trustmodel.Pos, pos trustmodel.Pos) bool {
	for i, p := range rel {
		if p == pos || p.File == "" || i > 0 && comparePos(rel[i-1], p) >= 0 {
			return false
		}
	}
	return true
}

func comparePos(a, b trustmodel.Pos) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	return a.Line - b.Line
}
