package lint

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// htmlGoldens are the fixtures whose HTML report is kept in testdata/report
// (go test ./lint -update rewrites them).
var htmlGoldens = []struct{ name, dir, trust string }{
	{"two-layer", "testdata/diagrams/two-layer", ""},
	{"tc106-wildcard-hop-count", "testdata/rules/TC106/wildcard-hop-count", ""},
	{"odd-names", "testdata/diagrams/odd-names", ""},
}

func runHTML(t *testing.T, dir, trust string) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := Run(diagramOptions(dir, trust, "html"), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestHTMLGolden(t *testing.T) {
	t.Chdir("..")
	for _, g := range htmlGoldens {
		t.Run(g.name, func(t *testing.T) {
			got := runHTML(t, g.dir, g.trust)
			if again := runHTML(t, g.dir, g.trust); got != again {
				t.Fatal("report differs between two runs")
			}
			checkGolden(t, filepath.Join("testdata", "report", g.name+".html.golden"), got)
		})
	}
}

// reportData is the report's embedded data.
func reportData(t *testing.T, page string) htmlView {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no report data")
	}
	var v htmlView
	if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHTMLSelfContained: the page loads nothing: no element that fetches
// (src, link, CSS url() or @import), and a policy that forbids it anyway.
func TestHTMLSelfContained(t *testing.T) {
	t.Chdir("..")
	page := runHTML(t, "testdata/diagrams/two-layer", "")
	for _, bad := range []string{" src=", "<link", "url(", "@import", "<iframe", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if !strings.Contains(page, `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`) {
		t.Error("report lacks its Content-Security-Policy")
	}
	if len(page) > 64<<10 {
		t.Errorf("a one-file report is %d bytes", len(page))
	}
}

// TestHTMLData checks the two-layer fixture's report data: three root
// causes, each with its place, attack and fix, the two on the path sharing
// its diagram, which marks both on nginx.
func TestHTMLData(t *testing.T) {
	t.Chdir("..")
	v := reportData(t, runHTML(t, "testdata/diagrams/two-layer", ""))
	if v.Headline != "1 error, 3 warnings in 1 file checked" || len(v.Findings) != 4 || len(v.Diagrams) != 1 {
		t.Fatalf("headline %q, %d findings, %d diagrams", v.Headline, len(v.Findings), len(v.Diagrams))
	}
	var got []string
	for _, r := range v.Findings {
		got = append(got, strings.Join([]string{htmlSeverities[r[0]].String(), v.Rules[r[1]].ID, v.Strings[r[2]], v.Strings[r[9]]}, " "))
		wantDiagram := 0 // the path's
		if v.Rules[r[1]].ID == "TC404" {
			wantDiagram = -1 // a TLS setting, on no path
		}
		if v.Strings[r[7]] == "" || v.Strings[r[8]] == "" || r[10] != wantDiagram {
			t.Errorf("%s: attack %q, fix %q, diagram %d", v.Rules[r[1]].ID, v.Strings[r[7]], v.Strings[r[8]], r[10])
		}
	}
	want := []string{
		"warning TC404 testdata/diagrams/two-layer/nginx.conf express 5, trust proxy true",
		"warning TC301 testdata/diagrams/two-layer/nginx.conf express 5, trust proxy true",
		"warning TC302 testdata/diagrams/two-layer/nginx.conf express 5, trust proxy true",
		"error TC101 testdata/diagrams/two-layer/nginx.conf express 5, trust proxy true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	svg := v.Diagrams[0]
	for _, s := range []string{`class="box error"`, "error TC101 trust-all-unstripped", "req.ip = 6.6.6.6 (injected)", "X-Forwarded-For: 6.6.6.6, 203.0.113.7, 173.245.48.1 (!)"} {
		if !strings.Contains(svg, s) {
			t.Errorf("diagram lacks %q", s)
		}
	}
}
