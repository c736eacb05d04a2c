package lint

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

func renderGitHubString(t *testing.T, rep *Report, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := renderGitHub(&b, rep, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGitHubEscaping: % \r \n are escaped in messages, and : , as well in
// properties; severities map to error, warning and notice; notes follow as
// ::notice:: lines unless --quiet.
func TestGitHubEscaping(t *testing.T) {
	rep := &Report{
		Findings: findingsOf([]rules.Finding{{
			Rule: "TC105", Severity: rules.Warning, Pos: trustmodel.Pos{File: "conf/a,b:c%d.conf", Line: 3},
			Message: "100% spoofable\r\nsecond line", Attack: "a::b ::error::injected", Fix: rules.Fix("x, y: z"),
			Directive: "not rendered", Path: "not rendered",
		}, {
			Rule: "TC404", Severity: rules.Info, Pos: trustmodel.Pos{File: "n.conf", Line: 7}, Message: "m",
		}, {
			Rule: "TC999", Severity: rules.Error, Message: "no file, no line",
		}}),
		Notes: []string{"note: 50%\nsecond line"},
	}
	want := "::warning file=conf/a%2Cb%3Ac%25d.conf,line=3,title=TC105 xff-not-set::100%25 spoofable%0D%0Asecond line%0Aattack: a::b ::error::injected%0Afix: x, y: z\n" +
		"::notice file=n.conf,line=7,title=TC404 tls-legacy::m\n" +
		"::error title=TC999::no file, no line\n" +
		"::notice::note: 50%25%0Asecond line\n"
	if got := renderGitHubString(t, rep, Options{}); got != want {
		t.Errorf("github output:\n%s\nwant:\n%s", got, want)
	}
	quiet := strings.TrimSuffix(want, "::notice::note: 50%25%0Asecond line\n")
	if got := renderGitHubString(t, rep, Options{Quiet: true}); got != quiet {
		t.Errorf("github output with --quiet:\n%s\nwant:\n%s", got, quiet)
	}
	if got := renderGitHubString(t, &Report{}, Options{}); got != "" {
		t.Errorf("a clean run writes %q; want nothing", got)
	}
}

// TestGitHubOutput runs --format github on a fixture.
func TestGitHubOutput(t *testing.T) {
	o := fixture("TC101/trust-true-append")
	o.Format = "github"
	out, _, code, err := runLint(t, o)
	if err != nil || code != 1 {
		t.Fatalf("exit %d, err %v; want 1", code, err)
	}
	_, rep := lintFixture(t, filepath.Join("..", "testdata", "rules", "TC101", "trust-true-append"))
	f := rep.Findings.Slice()[0]
	want := "::error file=../testdata/rules/TC101/trust-true-append/nginx.conf,line=16,title=TC101 trust-all-unstripped::" +
		escapeGitHubData(f.Message) + "%0Aattack: " + escapeGitHubData(f.Attack) + "%0Afix: " + escapeGitHubData(f.Fix.Message) + "\n"
	if out != want {
		t.Errorf("github output:\n%s\nwant:\n%s", out, want)
	}
	for i := 0; i < 3; i++ {
		if again, _, _, _ := runLint(t, o); again != out {
			t.Fatalf("github output differs between runs:\n%s\n---\n%s", out, again)
		}
	}
}

// TestGitHubOutputOfEveryFiringFixture: one well-formed command per finding.
func TestGitHubOutputOfEveryFiringFixture(t *testing.T) {
	for _, dir := range firingFixtures(t) {
		_, rep := lintFixture(t, dir)
		out := renderGitHubString(t, rep, Options{Quiet: true})
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != rep.Findings.Len() || strings.Contains(out, "\r") {
			t.Errorf("%s: %d lines for %d findings:\n%s", dir, len(lines), rep.Findings.Len(), out)
			continue
		}
		fs := rep.Findings.Slice()
		for i, line := range lines {
			f := fs[i]
			prefix := "::" + githubCommand(f.Severity) + " file=" + escapeGitHubProperty(filepath.ToSlash(f.Pos.File)) + ","
			if !strings.HasPrefix(line, prefix) || !strings.Contains(line, ",title="+f.Rule+" ") {
				t.Errorf("%s: line %q; want it to start %q", dir, line, prefix)
			}
		}
	}
}
