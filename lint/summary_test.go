package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// summaryGoldens are the fixtures whose Markdown job summary is kept in
// testdata/summary (go test ./lint -update rewrites them).
var summaryGoldens = []struct{ name, dir, trust string }{
	{"two-layer", "testdata/diagrams/two-layer", ""},
	{"tc106-wildcard-hop-count", "testdata/rules/TC106/wildcard-hop-count", ""},
	{"clean", "testdata/rules/TC101/loopback-append", ""},
}

func runSummary(t *testing.T, dir, trust string) string {
	t.Helper()
	o := diagramOptions(dir, trust, "github")
	o.Summary = filepath.Join(t.TempDir(), "summary.md")
	o.LinkBase = "https://github.com/acme/shop/blob/0123abc/"
	if _, err := Run(o, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(o.Summary)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSummaryGolden(t *testing.T) {
	t.Chdir("..")
	for _, g := range summaryGoldens {
		t.Run(g.name, func(t *testing.T) {
			if _, err := os.Stat(g.dir); err != nil {
				t.Fatal(err)
			}
			got := runSummary(t, g.dir, g.trust)
			if again := runSummary(t, g.dir, g.trust); got != again {
				t.Fatal("summary differs between two runs")
			}
			checkGolden(t, filepath.Join("testdata", "summary", g.name+".md.golden"), got)
		})
	}
}

// TestSummaryContent checks the two-layer fixture's summary: the error and
// the warnings counted, each linked to its line at the commit, and the path's
// diagram with the hostile client whose X-Forwarded-For reaches req.ip.
func TestSummaryContent(t *testing.T) {
	t.Chdir("..")
	got := runSummary(t, "testdata/diagrams/two-layer", "")
	for _, want := range []string{
		"**1 error, 3 warnings in 1 file checked**",
		"| error | 1 |",
		"| warning | 3 |",
		"| [TC101 trust-all-unstripped](<https://github.com/trustcheck/trustcheck/blob/main/docs/rules/TC101.md>) | error | 1 |",
		"[testdata/diagrams/two-layer/nginx.conf:13](<https://github.com/acme/shop/blob/0123abc/testdata/diagrams/two-layer/nginx.conf#L13>)",
		"```mermaid\nsequenceDiagram\n",
		"Note over H2: error TC101 trust-all-unstripped",
		"Note over A: req.ip = 6.6.6.6 (injected)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q\n%s", want, got)
		}
	}
}

// TestSummaryAppends: GITHUB_STEP_SUMMARY collects every step's summary,
// so trustcheck adds to it.
func TestSummaryAppends(t *testing.T) {
	t.Chdir("..")
	o := diagramOptions("testdata/diagrams/two-layer", "", "github")
	o.Summary, o.SummaryAppend = filepath.Join(t.TempDir(), "step_summary"), true
	if err := os.WriteFile(o.Summary, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(o, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(o.Summary)
	if !strings.HasPrefix(string(b), "earlier step\n## trustcheck\n") {
		t.Errorf("summary file starts %q", string(b)[:min(len(b), 60)])
	}
}

// TestSummaryUnwritable: a summary that cannot be written is exit 2, in
// one line naming the file.
func TestSummaryUnwritable(t *testing.T) {
	t.Chdir("..")
	o := diagramOptions("testdata/diagrams/two-layer", "", "text")
	o.Summary = filepath.Join(t.TempDir(), "missing", "summary.md")
	code, err := Run(o, &bytes.Buffer{}, &bytes.Buffer{})
	if code != 2 || err == nil || err.Error() != "--summary "+o.Summary+": no such file or directory" {
		t.Errorf("exit %d, %v", code, err)
	}
}
