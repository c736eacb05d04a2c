package lint

import (
	"reflect"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// TestFindingSet: findings of one root cause become one, its related
// positions those of all, sorted, without repeats, its own position or
// positions without a file; a consequence goes under its cause, whose
// severity becomes the highest; findings sort by position, rule and
// message.
func TestFindingSet(t *testing.T) {
	pos := func(file string, line int) trustmodel.Pos { return trustmodel.Pos{File: file, Line: line} }
	var s findingSet
	s.add(rules.Finding{Rule: "TC301", Severity: rules.Warning, Pos: pos("shared.conf", 1), Message: "host",
		Related: []trustmodel.Pos{pos("b.conf", 3), pos("a.conf", 2)}})
	s.add(rules.Finding{Rule: "TC201", Severity: rules.Error, Pos: pos("a.conf", 9), Message: "proto", CausedBy: pos("a.conf", 5)})
	s.add(rules.Finding{Rule: "TC301", Severity: rules.Error, Pos: pos("shared.conf", 1), Message: "host, again",
		Related: []trustmodel.Pos{pos("a.conf", 2), pos("shared.conf", 1), {}, pos("c.conf", 1)}})
	s.add(rules.Finding{Rule: "TC401", Severity: rules.Warning, Pos: pos("a.conf", 5), Message: "drop"})
	s.add(rules.Finding{Rule: "TC105", Severity: rules.Warning, Pos: pos("a.conf", 9), Message: "xff", CausedBy: pos("a.conf", 5)})
	s.add(rules.Finding{Rule: "TC104", Severity: rules.Info, Pos: pos("a.conf", 9), Message: "untrusted", CausedBy: pos("z.conf", 1)})
	s.addOwn(rules.Finding{Rule: "TC001", Severity: rules.Warning, Pos: pos("a.conf", 1), Message: "z"})
	s.addOwn(rules.Finding{Rule: "TC001", Severity: rules.Warning, Pos: pos("a.conf", 1), Message: "y"})
	s.foldConsequences()
	s.sort()
	out, dropped := s.findings(nil)
	got := out.Slice()
	want := []rules.Finding{
		{Rule: "TC001", Severity: rules.Warning, Pos: pos("a.conf", 1), Message: "y"},
		{Rule: "TC001", Severity: rules.Warning, Pos: pos("a.conf", 1), Message: "z"},
		{Rule: "TC401", Severity: rules.Error, Pos: pos("a.conf", 5), Message: "drop", Consequences: []rules.Finding{
			{Rule: "TC105", Severity: rules.Warning, Pos: pos("a.conf", 9), Message: "xff", CausedBy: pos("a.conf", 5)},
			{Rule: "TC201", Severity: rules.Error, Pos: pos("a.conf", 9), Message: "proto", CausedBy: pos("a.conf", 5)},
		}},
		{Rule: "TC104", Severity: rules.Info, Pos: pos("a.conf", 9), Message: "untrusted", CausedBy: pos("z.conf", 1)},
		{Rule: "TC301", Severity: rules.Warning, Pos: pos("shared.conf", 1), Message: "host",
			Related: []trustmodel.Pos{pos("a.conf", 2), pos("b.conf", 3), pos("c.conf", 1)}},
	}
	if dropped != 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("findings (%d dropped):\n got %+v\nwant %+v", dropped, got, want)
	}
}
