package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
)

// knownFixFailures are findings whose edits, applied, do not remove them
// cleanly: "FIXTURE: TCxxx file:line" with the reason. Each is a rule bug
// to fix; an entry that no longer fails fails the test, so the list only
// shrinks.
var knownFixFailures = map[string]string{}

// fixCase is one configuration linted as a fixture or real-world set is.
type fixCase struct {
	name string // TC105/no-xff, realworld/ghost
	dir  string
	opts func(dir string) Options
}

func fixCases(t *testing.T) []fixCase {
	var cases []fixCase
	for id, dirs := range fixtureDirs(t) {
		for _, dir := range dirs {
			cases = append(cases, fixCase{id + "/" + filepath.Base(dir), dir, func(d string) Options {
				return Options{Inputs: []string{filepath.Join(d, "nginx.conf")}, WorkDir: d}
			}})
		}
	}
	sets, _ := filepath.Glob("../testdata/realworld/*/trustcheck.yaml")
	for _, yaml := range sets {
		dir := filepath.Dir(yaml)
		conf := realWorldConfig(t, dir)
		cases = append(cases, fixCase{"realworld/" + filepath.Base(dir), dir, func(d string) Options {
			return realWorldOptions(d, conf)
		}})
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	return cases
}

// TestFixEditsRemoveTheirFinding applies each finding's edits to a copy of
// its fixture (nginx configuration and trustcheck.yaml) and lints the copy:
// the finding must be gone and no finding may appear that was not there.
// Findings whose fix is a message only are counted per rule.
func TestFixEditsRemoveTheirFinding(t *testing.T) {
	if testing.Short() {
		t.Skip("lints every fixture once per finding")
	}
	var clean, withEdits int
	messageOnly, edited := map[string]int{}, map[string]int{}
	failed := map[string]bool{}
	for _, c := range fixCases(t) {
		rep, err := Lint(c.opts(c.dir))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, n := range rep.Notes {
			if strings.Contains(n, "only its message") || strings.Contains(n, "only their message") {
				t.Errorf("%s: %s", c.name, n) // a rule's edit that does not match the text it is about
			}
		}
		before := fixKeys(t, c.dir, flatFindings(rep.Findings.Slice()))
		for _, f := range flatFindings(rep.Findings.Slice()) {
			if len(f.Fix.Edits) == 0 {
				messageOnly[f.Rule]++
				continue
			}
			withEdits++
			edited[f.Rule]++
			key := fmt.Sprintf("%s: %s %s:%d", c.name, f.Rule, relTo(c.dir, f.Pos.File), f.Pos.Line)
			problem := fixProblem(t, c, f, before)
			reason, known := knownFixFailures[key]
			switch {
			case problem == "" && known:
				t.Errorf("%s: fixed now; remove it from knownFixFailures (%s)", key, reason)
			case problem == "":
				clean++
			case known:
				failed[key] = true
			default:
				t.Errorf("%s: %s\n  fix: %s\n  edits: %+v", key, problem, f.Fix.Message, f.Fix.Edits)
			}
		}
	}
	for key := range knownFixFailures {
		if !failed[key] && !t.Failed() {
			t.Errorf("knownFixFailures names %s, which no fixture reports with edits", key)
		}
	}
	perRule := func(n map[string]int) string {
		var out []string
		for _, id := range slices.Sorted(maps.Keys(n)) {
			out = append(out, fmt.Sprintf("%s %d", id, n[id]))
		}
		return strings.Join(out, ", ")
	}
	t.Logf("%d findings with edits (%s): %d removed cleanly, %d known failures; message-only: %s",
		withEdits, perRule(edited), clean, len(knownFixFailures), perRule(messageOnly))
	if withEdits == 0 {
		t.Error("no finding has edits")
	}
}

// fixProblem applies f's edits to a copy of c and lints it: "" when f is
// gone and nothing new appeared, else what went wrong.
func fixProblem(t *testing.T, c fixCase, f rules.Finding, before []string) string {
	t.Helper()
	tmp := t.TempDir()
	if err := copyTree(c.dir, tmp); err != nil {
		t.Fatal(err)
	}
	byFile := map[string][]rules.Edit{}
	for _, e := range f.Fix.Edits {
		rel := relTo(c.dir, e.File)
		byFile[rel] = append(byFile[rel], e)
	}
	for rel, es := range byFile {
		if filepath.IsAbs(rel) {
			// A file split from an nginx -T dump in the fixture.
			if err := applyInDump(tmp, rel, es); err != nil {
				return err.Error()
			}
			continue
		}
		if strings.HasPrefix(rel, "..") {
			return "an edit outside the fixture: " + rel
		}
		name := filepath.Join(tmp, rel)
		data, err := os.ReadFile(name)
		var lines []string
		if err == nil {
			lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		}
		out, err := rules.ApplyEdits(lines, es)
		if err != nil {
			return "the edits do not apply: " + err.Error()
		}
		if err := os.WriteFile(name, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Lint(c.opts(tmp))
	if err != nil {
		return "the edited configuration does not lint: " + err.Error()
	}
	// The findings before, at the lines the edits moved them to, less f.
	shifted := make([]string, len(before))
	for i, k := range before {
		shifted[i] = shiftKey(k, byFile)
	}
	target := shiftKey(fixKey(c.dir, f), byFile)
	if i := slices.Index(shifted, target); i >= 0 {
		shifted = slices.Delete(shifted, i, i+1)
	}
	after := fixKeys(t, tmp, flatFindings(rep.Findings.Slice()))
	var problems []string
	for _, k := range after {
		if i := slices.Index(shifted, k); i >= 0 {
			shifted = slices.Delete(shifted, i, i+1)
			continue
		}
		if k == target {
			problems = append(problems, "the finding is still reported")
		} else {
			problems = append(problems, "new finding "+k)
		}
	}
	if len(problems) > 0 {
		for _, g := range rep.Findings.All() {
			if fixKey(tmp, g) != target {
				problems = append(problems, fmt.Sprintf("  after: %s %s", fixKey(tmp, g), g.Message))
			}
		}
	}
	return strings.Join(problems, "\n")
}

// fixKey names a finding by rule, file (relative to dir) and line.
func fixKey(dir string, f rules.Finding) string {
	return fmt.Sprintf("%s %s:%d", f.Rule, relTo(dir, f.Pos.File), f.Pos.Line)
}

func fixKeys(t *testing.T, dir string, fs []rules.Finding) []string {
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = fixKey(dir, f)
	}
	return keys
}

// shiftKey moves a key's line past the lines the edits insert before it.
func shiftKey(key string, byFile map[string][]rules.Edit) string {
	rule, pos, _ := strings.Cut(key, " ")
	i := strings.LastIndex(pos, ":")
	file := pos[:i]
	var line int
	fmt.Sscan(pos[i+1:], &line)
	moved := line
	for _, e := range byFile[file] {
		added := strings.Count(e.New, "\n")
		if e.Old == "" {
			added++
		}
		if e.Line < line {
			moved += added
		}
	}
	return fmt.Sprintf("%s %s:%d", rule, file, moved)
}

// relTo is file relative to dir; a path recorded in an nginx -T dump
// stays as it is.
func relTo(dir, file string) string {
	rel, err := filepath.Rel(dir, file)
	if err != nil || strings.HasPrefix(rel, "..") && filepath.IsAbs(file) {
		return file
	}
	return filepath.ToSlash(rel)
}

// applyInDump applies edits to file's part of the nginx -T dump in dir
// that holds it.
func applyInDump(dir, file string, es []rules.Edit) error {
	marker := "# configuration file " + file + ":"
	var names []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil || !strings.Contains(string(data), marker) {
			continue
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		start := slices.Index(lines, marker) + 1
		end := start
		for end < len(lines) && !strings.HasPrefix(lines[end], "# configuration file ") {
			end++
		}
		part, err := rules.ApplyEdits(lines[start:end], es)
		if err != nil {
			return fmt.Errorf("the edits do not apply: %v", err)
		}
		out := slices.Concat(lines[:start], part, lines[end:])
		return os.WriteFile(name, []byte(strings.Join(out, "\n")+"\n"), 0o644)
	}
	return fmt.Errorf("an edit outside the fixture: %s", file)
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
}

// TestFixEditsRendered: JSON carries a finding's edits beside its fix, and
// SARIF as a fix whose replacements, applied, are the same change; the
// log stays valid against the official schema.
func TestFixEditsRendered(t *testing.T) {
	dir := "../testdata/rules/TC105/http-xff"
	_, rep := lintFixture(t, dir)
	if rep.Findings.Len() != 1 {
		t.Fatalf("findings: %+v", rep.Findings.Slice())
	}
	conf := filepath.Join(dir, "nginx.conf")
	want := rules.Edit{File: conf, Line: 16, Column: 13,
		Old: "proxy_set_header X-Forwarded-For $http_x_forwarded_for;", New: "proxy_set_header X-Forwarded-For $remote_addr;"}
	if f := rep.Findings.Slice()[0]; len(f.Fix.Edits) != 1 || f.Fix.Edits[0] != want {
		t.Fatalf("edits %+v, want %+v", f.Fix.Edits, want)
	}

	var js bytes.Buffer
	if err := renderJSON(&js, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			Fix   string
			Edits []map[string]any
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	wantJSON := map[string]any{"file": conf, "line": 16.0, "column": 13.0, "old": want.Old, "new": want.New}
	if f := doc.Findings[0]; !strings.HasPrefix(f.Fix, "set it from the address nginx saw") || len(f.Edits) != 1 || !maps.Equal(f.Edits[0], wantJSON) {
		t.Errorf("JSON fix %q edits %v, want %v", f.Fix, f.Edits, wantJSON)
	}

	out := renderSARIFBytes(t, rep)
	if err := validateSARIF(t, sarifSchema(t), out); err != nil {
		t.Fatalf("SARIF with fixes is invalid: %v", err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Fixes []struct {
					Description     struct{ Text string }
					ArtifactChanges []struct {
						ArtifactLocation struct{ URI string }
						Replacements     []struct {
							DeletedRegion   struct{ StartLine, StartColumn, EndColumn int }
							InsertedContent struct{ Text string }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	fixes := log.Runs[0].Results[0].Fixes
	if len(fixes) != 1 || len(fixes[0].ArtifactChanges) != 1 || len(fixes[0].ArtifactChanges[0].Replacements) != 1 {
		t.Fatalf("SARIF fixes: %+v", fixes)
	}
	ch := fixes[0].ArtifactChanges[0]
	r := ch.Replacements[0]
	if ch.ArtifactLocation.URI != "../testdata/rules/TC105/http-xff/nginx.conf" || r.DeletedRegion.StartLine != 16 ||
		r.DeletedRegion.StartColumn != 13 || r.DeletedRegion.EndColumn != 13+len(want.Old) || r.InsertedContent.Text != want.New {
		t.Errorf("SARIF replacement %+v in %s", r, ch.ArtifactLocation.URI)
	}

	// An insertion: new lines at the start of the line after.
	_, rep = lintFixture(t, "../testdata/rules/TC105/no-xff")
	out = renderSARIFBytes(t, rep)
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	r = log.Runs[0].Results[0].Fixes[0].ArtifactChanges[0].Replacements[0]
	if r.DeletedRegion.StartLine != 15 || r.DeletedRegion.StartColumn != 1 || r.DeletedRegion.EndColumn != 1 ||
		r.InsertedContent.Text != "            proxy_set_header X-Forwarded-For $remote_addr;\n" {
		t.Errorf("SARIF insertion %+v", r)
	}
}
