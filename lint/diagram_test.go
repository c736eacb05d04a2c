package lint

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// diagramGoldens are the fixtures whose path diagrams are kept in
// testdata/diagrams, as Mermaid (NAME.mermaid.md.golden) and DOT
// (NAME.dot.golden). Run `go test ./lint -update` to rewrite them, and
// review the diff.
var diagramGoldens = []struct {
	name  string // golden file stem
	dir   string // the fixture, from the repository root
	trust string // --trust-proxy, for fixtures without trustcheck.yaml
}{
	{"two-layer", "testdata/diagrams/two-layer", ""},
	{"tc103-cdn-trust-one", "testdata/rules/TC103/cdn-trust-one", ""},
	{"tc401-websocket-location", "testdata/rules/TC401/websocket-location", "loopback"},
	{"tc106-wildcard-hop-count", "testdata/rules/TC106/wildcard-hop-count", ""},
	{"odd-names", "testdata/diagrams/odd-names", ""},
}

// diagramFormats maps a paths format to its golden file's extension.
var diagramFormats = map[string]string{"mermaid": ".mermaid.md.golden", "dot": ".dot.golden"}

func diagramOptions(dir, trust, format string) Options {
	o := Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: format}
	if trust != "" {
		o.TrustProxy, o.TrustProxySet = trust, true
	}
	return o
}

// checkGolden compares got with file, or rewrites file with -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./lint -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s is stale (run go test ./lint -update and review the diff)\n--- got:\n%s", file, got)
	}
}

func TestDiagramGolden(t *testing.T) {
	t.Chdir("..")
	for _, g := range diagramGoldens {
		for format, ext := range diagramFormats {
			t.Run(g.name+"/"+format, func(t *testing.T) {
				got, _ := runPaths(t, diagramOptions(g.dir, g.trust, format))
				again, _ := runPaths(t, diagramOptions(g.dir, g.trust, format))
				if got != again {
					t.Fatalf("output differs between two runs")
				}
				checkGolden(t, filepath.Join("testdata", "diagrams", g.name+ext), got)
			})
		}
	}
}

// TestDiagramMarks checks that each finding is drawn on the hop that
// causes it: in the two-layer fixture, TC101 (nginx appends to the
// client's X-Forwarded-For) and TC301 (nginx passes X-Forwarded-Host) on
// nginx, none on the CDN or the app (nor TC404, a TLS setting, anywhere),
// and the hostile client is the one TC101's attack names.
func TestDiagramMarks(t *testing.T) {
	t.Chdir("..")
	o := diagramOptions("testdata/diagrams/two-layer", "", "mermaid")
	pr, err := prepare(o)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Lint(o)
	if err != nil {
		t.Fatal(err)
	}
	views := pathViews(pr, rep.Findings.Slice())
	if len(views) != 1 {
		t.Fatalf("%d paths, want 1", len(views))
	}
	v := views[0]
	var got []string
	for _, p := range v.Participants {
		for _, m := range p.Marks {
			got = append(got, p.Kind+" "+m.Rule+" "+m.At)
		}
	}
	want := []string{"nginx TC301 testdata/diagrams/two-layer/nginx.conf:11", "nginx TC302 testdata/diagrams/two-layer/nginx.conf:12", "nginx TC101 testdata/diagrams/two-layer/nginx.conf:13"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("marks %q, want %q", got, want)
	}
	if len(v.Replays) != 2 || v.Replays[1].Label != "hostile client sends X-Forwarded-For: 6.6.6.6" {
		t.Fatalf("replays %+v", v.Replays)
	}
	ip := v.Replays[1].Result[0]
	if ip.Name != "req.ip" || ip.Value != "6.6.6.6" || !ip.Injected {
		t.Errorf("hostile result %+v, want req.ip = 6.6.6.6 injected", ip)
	}
	// What the app receives from the hostile client: the injected entry first.
	last := v.Replays[1].Steps[len(v.Replays[1].Steps)-1]
	if last.Headers[0].Value != "6.6.6.6, 203.0.113.7, 173.245.48.1" || !last.Headers[0].Changed {
		t.Errorf("app receives %+v", last.Headers[0])
	}
}

// TestDOTRenders draws every DOT golden with Graphviz: dot must accept it
// without a warning.
func TestDOTRenders(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz dot not installed")
	}
	t.Chdir("..")
	for _, g := range diagramGoldens {
		got, _ := runPaths(t, diagramOptions(g.dir, g.trust, "dot"))
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(got)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("%s: dot -Tsvg: %v %s", g.name, err, stderr.String())
			continue
		}
		if !strings.Contains(out.String(), "<svg") || !strings.Contains(out.String(), "cluster_p1") {
			t.Errorf("%s: dot wrote no path cluster", g.name)
		}
	}
}
