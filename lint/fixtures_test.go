package lint

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
)

// wantRE matches an expectation written in a fixture: `# want: TC101` or
// `# want: TC101, TC105` on the line where the findings are reported; a
// severity after an ID (`# want: TC301 info`) is expected too.
var wantRE = regexp.MustCompile(`#\s*want:\s*(TC\d{3}(?:\s+(?:error|warning|info))?(?:\s*,\s*TC\d{3}(?:\s+(?:error|warning|info))?)*)`)

// fixtureWants reads every `# want:` in the fixture directory's files, as
// "file:line: TCxxx" strings relative to dir.
func fixtureWants(t *testing.T, dir string) []string {
	t.Helper()
	var wants []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(dir, p)
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			if m := wantRE.FindStringSubmatch(sc.Text()); m != nil {
				for _, id := range strings.Split(m[1], ",") {
					wants = append(wants, fmt.Sprintf("%s:%d: %s", rel, line, strings.Join(strings.Fields(id), " ")))
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(wants)
	return wants
}

// fixtureDirs lists testdata/rules/TCxxx/NAME directories.
func fixtureDirs(t *testing.T) map[string][]string {
	t.Helper()
	dirs := map[string][]string{}
	matches, err := filepath.Glob("../testdata/rules/TC*/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.IsDir() {
			id := filepath.Base(filepath.Dir(m))
			dirs[id] = append(dirs[id], m)
		}
	}
	return dirs
}

// lintFixture lints dir/nginx.conf with dir/trustcheck.yaml (if any) and
// returns the findings as "file:line: TCxxx" relative to dir.
func lintFixture(t *testing.T, dir string) ([]string, *Report) {
	t.Helper()
	rep, err := Lint(Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir})
	if err != nil {
		t.Fatalf("%s: lint failed: %v", dir, err)
	}
	var got []string
	for _, f := range flatFindings(rep.Findings.Slice()) {
		rel, err := filepath.Rel(dir, f.Pos.File)
		if err != nil || f.Pos.File == "" {
			rel = f.Pos.File
		}
		got = append(got, fmt.Sprintf("%s:%d: %s", rel, f.Pos.Line, f.Rule))
	}
	sort.Strings(got)
	return got, rep
}

// TestRuleFixtures lints every fixture and requires exactly the findings its
// `# want:` comments name: none missing, none extra.
func TestRuleFixtures(t *testing.T) {
	for id, dirs := range fixtureDirs(t) {
		for _, dir := range dirs {
			t.Run(id+"/"+filepath.Base(dir), func(t *testing.T) {
				want := fixtureWants(t, dir)
				got, rep := lintFixture(t, dir)
				got = withWantedSeverity(got, want, rep)
				if !slices.Equal(got, want) {
					t.Errorf("findings differ from the fixture's `# want:` comments\n got: %q\nwant: %q", got, want)
					for _, f := range rep.Findings.All() {
						t.Logf("%s:%d %s %s\n  attack: %s", f.Pos.File, f.Pos.Line, f.Rule, f.Message, f.Attack)
					}
				}
				for _, f := range rep.Findings.All() {
					if f.Pos.File == "" || f.Pos.Line == 0 {
						t.Errorf("%s finding without file and line: %s", f.Rule, f.Message)
					}
				}
			})
		}
	}
}

// findingsOf is fs as a report's findings.
func findingsOf(fs []rules.Finding) Findings {
	var out Findings
	for i := range fs {
		out.log.Add(&fs[i])
	}
	return out
}

// flatFindings lists findings and, after each, the consequences shown
// under it: a fixture's expectations name both.
func flatFindings(fs []rules.Finding) []rules.Finding {
	var out []rules.Finding
	for _, f := range fs {
		out = append(out, f)
		out = append(out, f.Consequences...)
	}
	return out
}

// withWantedSeverity adds the severity to each finding whose expectation
// names one.
func withWantedSeverity(got, want []string, rep *Report) []string {
	wantSev := map[string]bool{}
	for _, w := range want {
		if f := strings.Fields(w); len(f) == 3 {
			wantSev[f[0]+" "+f[1]] = true
		}
	}
	out := make([]string, 0, len(got))
	for _, g := range got {
		if !wantSev[g] {
			out = append(out, g)
			continue
		}
		for _, f := range flatFindings(rep.Findings.Slice()) {
			if strings.HasSuffix(g, fmt.Sprintf(":%d: %s", f.Pos.Line, f.Rule)) && strings.HasSuffix(filepath.ToSlash(f.Pos.File), strings.SplitN(g, ":", 2)[0]) {
				g += " " + f.Severity.String()
				break
			}
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// TestEveryRuleHasFixturesAndDocs fails when a rule lacks a firing fixture,
// a clean fixture, or any part of its documentation.
func TestEveryRuleHasFixturesAndDocs(t *testing.T) {
	dirs := fixtureDirs(t)
	for _, r := range rules.All() {
		firing, clean := 0, 0
		for _, dir := range dirs[r.ID] {
			fires := false
			for _, w := range fixtureWants(t, dir) {
				if strings.Contains(w, ": "+r.ID) {
					fires = true
				}
			}
			if fires {
				firing++
			} else {
				clean++
			}
		}
		if firing == 0 || clean == 0 {
			t.Errorf("%s: %d firing and %d clean fixtures under testdata/rules/%s; want at least one of each", r.ID, firing, clean, r.ID)
		}
		d := r.Doc
		if r.Name == "" || d.Title == "" || d.Rationale == "" || d.Bad == "" || d.Good == "" || d.Fix == "" || r.Severity == 0 || r.Check == nil && r.Finish == nil {
			t.Errorf("%s: incomplete rule (name, severity, check or finish, title, rationale, bad, good and fix are required)", r.ID)
		}
	}
}
