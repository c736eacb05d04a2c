package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// TestFindingLogRoundTrip: every field of a finding, its edits and its
// consequences comes back from the log as it went in, nil and empty slices
// told apart. A field the log does not carry fails the test: each field of
// the sample must be set.
func TestFindingLogRoundTrip(t *testing.T) {
	pos := func(line int) trustmodel.Pos { return trustmodel.Pos{File: "nginx.conf", Line: line} }
	edit := Edit{File: "trustcheck.yaml", Line: 3, Column: 5, Old: "a", New: "b",
		inside: true, before: true, yamlKey: "trust_proxy", at: 2, yamlDelete: true, unresolved: true}
	consequence := Finding{Rule: "TC105", Severity: Error, Pos: pos(9), Related: []trustmodel.Pos{}, Fix: Fix("f")}
	full := Finding{
		Rule: "TC401", Severity: Warning, Pos: pos(7), Directive: "proxy_set_header Host $host;",
		Message: "m", Path: "client -> nginx -> app", Attack: "a client sending ...", Honest: true,
		Fix: Fix("fix", edit, InsertAfter(pos(7), "x")), Related: []trustmodel.Pos{pos(1), pos(2)},
		CausedBy: pos(3), Consequences: []Finding{consequence}, App: "api",
	}
	checkAllSet(t, reflect.ValueOf(full), "Finding")
	checkAllSet(t, reflect.ValueOf(edit), "Edit")
	in := []Finding{full, {Rule: "TC302", Severity: Info}, full, consequence}
	var l findingLog
	for i := range in {
		l.add(&in[i])
	}
	out := slices.Collect(l.all())
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", out, in)
	}
}

// TestFindingTable: findings come back by index in any order, one larger
// than a block among them; the exported log keeps the highest severity.
func TestFindingTable(t *testing.T) {
	var in []Finding
	for i := range 3000 {
		in = append(in, Finding{Rule: "TC105", Severity: Warning, Pos: trustmodel.Pos{File: "site.conf", Line: i},
			Attack: fmt.Sprintf("a client sending \"X-Forwarded-For: 6.6.6.6\" to http://site%d.example/ gets req.ip = 6.6.6.6", i)})
	}
	huge := Finding{Rule: "TC301", Severity: Error, Pos: trustmodel.Pos{File: "shared.conf", Line: 1}}
	for i := range tableBlock / 2 {
		huge.Related = append(huge.Related, trustmodel.Pos{File: "vhosts/all.conf", Line: 8 + i*20})
	}
	in = slices.Insert(in, 1500, huge)
	var tab FindingTable
	var log FindingLog
	for i := range in {
		if got := tab.Add(&in[i]); got != i {
			t.Fatalf("finding %d added as %d", i, got)
		}
		log.Add(&in[i])
	}
	if len(tab.blocks) < 3 {
		t.Fatalf("%d blocks: the test wants findings in several, one larger than a block", len(tab.blocks))
	}
	for _, i := range []int{1500, 0, len(in) - 1, 1499, 1501, 42} {
		if got := tab.At(i); !reflect.DeepEqual(got, in[i]) {
			t.Fatalf("finding %d: got %+v", i, got.Pos)
		}
	}
	if log.Len() != len(in) || log.MaxSeverity() != Error {
		t.Fatalf("log: %d findings, highest severity %v", log.Len(), log.MaxSeverity())
	}
}

func checkAllSet(t *testing.T, v reflect.Value, name string) {
	t.Helper()
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("the sample %s leaves %s unset", name, v.Type().Field(i).Name)
		}
	}
}

// TestFindingLogChunks: a log longer than a chunk comes back whole, in order.
func TestFindingLogChunks(t *testing.T) {
	var l findingLog
	var in []Finding
	for i := range 3 * logChunk / 100 {
		f := Finding{Rule: "TC105", Pos: trustmodel.Pos{File: "site.conf", Line: i},
			Attack: fmt.Sprintf("a client sending \"X-Forwarded-For: 6.6.6.6\" to http://site%d.example/ gets req.ip = 6.6.6.6", i)}
		in = append(in, f)
		l.add(&f)
	}
	if len(l.chunks) < 2 {
		t.Fatalf("%d findings made %d chunks, want several", len(in), len(l.chunks))
	}
	if out := slices.Collect(l.all()); !reflect.DeepEqual(out, in) {
		t.Fatalf("%d findings came back as %d, or changed", len(in), len(out))
	}
}

// BenchmarkFindingLog writes and reads back 10,000 findings shaped like a
// fleet's (a TC105 at each server's proxy_pass, with its fix and trust
// setting): the cost of keeping findings encoded until Finish.
func BenchmarkFindingLog(b *testing.B) {
	fs := make([]Finding, 10000)
	for i := range fs {
		file := fmt.Sprintf("vhosts/site%06d.conf", i)
		at := trustmodel.Pos{File: file, Line: 20}
		fs[i] = Finding{
			Rule: "TC105", Severity: Error, Pos: at, Directive: "proxy_pass http://pool1;",
			Message: "the app trusts nginx (127.0.0.1), but nginx passes the client's X-Forwarded-For through unchanged: req.ip is whatever the client writes",
			Path:    fmt.Sprintf("client -> nginx (server site%d.example:8000, location /ws/) -> app", i),
			Attack:  fmt.Sprintf("a client sending \"X-Forwarded-For: 6.6.6.6\" to http://site%d.example/ws/ gets req.ip = 6.6.6.6", i),
			Fix:     Fix("add `proxy_set_header X-Forwarded-For $remote_addr;` next to this proxy_pass", InsertAfter(at, "proxy_set_header X-Forwarded-For $remote_addr;")),
			Related: []trustmodel.Pos{at, {File: "trustcheck.yaml", Line: 6}},
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		var l findingLog
		for i := range fs {
			l.add(&fs[i])
		}
		n := 0
		for range l.all() {
			n++
		}
		if n != len(fs) {
			b.Fatalf("read %d of %d", n, len(fs))
		}
	}
}

// FuzzFindingLog: findings made of arbitrary texts and numbers, enough of
// them to fill several chunks, come back from the log as they went in, and
// from a table by index.
func FuzzFindingLog(f *testing.F) {
	f.Add("TC105", "nginx.conf", 20, "proxy_pass http://a;", "m", "client -> nginx -> app", "attack", "fix", -1, 3, true)
	f.Add("", "", 0, "", "", "", "", "", 0, 0, false)
	f.Add("TC401", "vhosts/\x00ü.conf", 1<<40, "\xff", "\n", "p", "", "", 1<<62, -1<<62, false)
	f.Fuzz(func(t *testing.T, rule, file string, line int, directive, message, path, attack, fix string, col, related int, honest bool) {
		var l findingLog
		var in []Finding
		for i := 0; len(l.chunks) < 2 && i < 2000; i++ {
			at := trustmodel.Pos{File: file, Line: line + i}
			f := Finding{Rule: rule, Severity: Severity(i % 4), Pos: at, Directive: directive, Message: message,
				Path: path, Attack: attack + strings.Repeat(attack, i%3), Honest: honest,
				Fix: Fix(fix, Edit{File: file, Line: line, Column: col, Old: directive, New: fix, yamlKey: message, at: related}),
				App: path}
			for j := range related & 7 {
				f.Related = append(f.Related, trustmodel.Pos{File: file, Line: related + j})
			}
			if i%5 == 0 {
				f.Consequences = []Finding{{Rule: rule, CausedBy: at, Attack: attack}}
			}
			in = append(in, f)
			l.add(&in[len(in)-1])
		}
		if out := slices.Collect(l.all()); !reflect.DeepEqual(out, in) {
			t.Fatalf("%d findings came back as %d, or changed", len(in), len(out))
		}
		var tab FindingTable
		for i := range in {
			tab.Add(&in[i])
		}
		for i := len(in) - 1; i >= 0; i-- {
			if got := tab.At(i); !reflect.DeepEqual(got, in[i]) {
				t.Fatalf("finding %d of the table changed", i)
			}
		}
	})
}
