package lint

import (
	"fmt"
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

// BenchmarkFindingSet makes a report's findings of 20,000 shaped like a
// fleet's (a TC401 at each server's nested location and the TC105 it
// causes, its consequence, both with fixes): adding, folding, sorting and
// writing them out encoded, edits left unresolved.
func BenchmarkFindingSet(b *testing.B) {
	var fs []rules.Finding
	for i := range 10000 {
		file := fmt.Sprintf("vhosts/site%06d.conf", 9999-i)
		drop := trustmodel.Pos{File: file, Line: 19}
		pass := trustmodel.Pos{File: file, Line: 24}
		fs = append(fs, rules.Finding{Rule: "TC401", Severity: rules.Error, Pos: drop, Directive: "proxy_set_header Host $host;",
			Message: "this location's proxy_set_header replaces every proxy_set_header of the outer levels",
			Attack:  fmt.Sprintf("a client sending \"X-Forwarded-For: 6.6.6.6\" to http://site%d.example/ws/ reaches the app with \"X-Forwarded-For: 6.6.6.6\"", i),
			Fix:     rules.Fix("repeat the dropped headers in this location", rules.InsertAfter(drop, "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")),
			Related: []trustmodel.Pos{{File: file, Line: 9}, {File: file, Line: 10}, pass}})
		fs = append(fs, rules.Finding{Rule: "TC105", Severity: rules.Error, Pos: pass, Directive: "proxy_pass http://pool1;", CausedBy: drop,
			Message: "the app trusts nginx (127.0.0.1), but nginx passes the client's X-Forwarded-For through unchanged",
			Path:    fmt.Sprintf("client -> nginx (server site%d.example:8000, location /ws/) -> app", i),
			Attack:  fmt.Sprintf("a client sending \"X-Forwarded-For: 6.6.6.6\" to http://site%d.example/ws/ gets req.ip = 6.6.6.6", i),
			Fix:     rules.Fix("add `proxy_set_header X-Forwarded-For $remote_addr;` next to this proxy_pass", rules.InsertAfter(pass, "proxy_set_header X-Forwarded-For $remote_addr;")),
			Related: []trustmodel.Pos{{File: "trustcheck.yaml", Line: 6}}})
	}
	b.ReportAllocs()
	for b.Loop() {
		var s findingSet
		for _, f := range fs {
			s.add(f)
		}
		s.foldConsequences()
		s.sort()
		if out, _ := s.findings(nil); out.Len() != 10000 {
			b.Fatalf("%d findings", out.Len())
		}
	}
}
