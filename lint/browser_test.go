package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The browser tests render trustcheck's output in Debian's Chromium with
// the npm packages of testdata/render (mermaid, puppeteer-core; `npm ci`
// there, with PUPPETEER_SKIP_DOWNLOAD=1). They skip when node, Chromium or
// those packages are absent, unless TRUSTCHECK_REQUIRE_BROWSER is set (as
// .ci/run sets it). TRUSTCHECK_SCREENSHOTS=DIR keeps their screenshots in
// DIR (docs/ holds the README's).

// renderer is the command that runs testdata/render/render.mjs.
func renderer(t *testing.T) (node, script string) {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("TRUSTCHECK_REQUIRE_BROWSER") != "" {
		skip = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node not installed")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		skip("Chromium not installed (apt-get install chromium)")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "render"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"mermaid", "puppeteer-core"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg)); err != nil {
			skip("testdata/render: %s not installed (npm ci there)", pkg)
		}
	}
	return node, filepath.Join(dir, "render.mjs")
}

// render runs render.mjs with args and decodes what it prints.
func render(t *testing.T, out any, args ...string) {
	t.Helper()
	node, script := renderer(t)
	cmd := exec.Command(node, append([]string{script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("render.mjs %s: %v\n%s", args[0], err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("render.mjs %s printed %q: %v", args[0], stdout.String(), err)
	}
}

// screenshot is where a test keeps a screenshot named name.
func screenshot(t *testing.T, name string) string {
	if dir := os.Getenv("TRUSTCHECK_SCREENSHOTS"); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Join(abs, name)
	}
	return filepath.Join(t.TempDir(), name)
}

func checkPNG(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 10<<10 {
		t.Errorf("%s: not a screenshot (%d bytes)", file, len(b))
	}
}

type mermaidResult struct {
	Diagrams      int      `json:"diagrams"`
	Errors        []string `json:"errors"`
	ConsoleErrors []string `json:"consoleErrors"`
	Requests      []string `json:"requests"`
}

// TestBrowserMermaid renders every Mermaid golden (the paths diagrams and
// the job summaries) with the real mermaid package: each diagram must
// parse and draw. A broken diagram beside them proves the check can fail.
func TestBrowserMermaid(t *testing.T) {
	t.Chdir("..")
	renderer(t)
	files := []string{}
	want := 0
	for _, g := range diagramGoldens {
		files = append(files, filepath.Join("testdata", "diagrams", g.name+".mermaid.md.golden"))
	}
	for _, g := range summaryGoldens {
		files = append(files, filepath.Join("testdata", "summary", g.name+".md.golden"))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want += strings.Count(string(b), "```mermaid\n")
	}
	var got mermaidResult
	shot := screenshot(t, "mermaid-two-layer.png")
	render(t, &got, append([]string{"mermaid", shot}, files...)...)
	if got.Diagrams != want || len(got.Errors) > 0 || len(got.ConsoleErrors) > 0 || len(got.Requests) > 0 {
		t.Errorf("rendered %d of %d diagrams; errors %q; console %q; requests %q", got.Diagrams, want, got.Errors, got.ConsoleErrors, got.Requests)
	}
	checkPNG(t, shot)

	broken := filepath.Join(t.TempDir(), "broken.md")
	if err := os.WriteFile(broken, []byte("```mermaid\nsequenceDiagram\n    participant C as client\n    C->>: no receiver\n    end\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	render(t, &got, "mermaid", "-", broken)
	if len(got.Errors) != 1 {
		t.Errorf("a broken diagram gave errors %q", got.Errors)
	}
}

type reportSeen struct {
	Cards int    `json:"cards"`
	Stats string `json:"stats"`
}

type reportResult struct {
	Seen          map[string]json.RawMessage `json:"seen"`
	ConsoleErrors []string                   `json:"consoleErrors"`
	Requests      []string                   `json:"requests"`
}

func (r reportResult) get(t *testing.T, key string, v any) {
	t.Helper()
	raw, ok := r.Seen[key]
	if !ok {
		t.Fatalf("the page gave no %q (saw %v)", key, r.Seen)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserHTMLReport opens the two-layer fixture's report in Chromium:
// no console error, no request besides the file, the diagram drawn only
// when opened, and each filter changes what is shown.
func TestBrowserHTMLReport(t *testing.T) {
	t.Chdir("..")
	renderer(t)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, []byte(runHTML(t, "testdata/diagrams/two-layer", "")), 0o644); err != nil {
		t.Fatal(err)
	}
	shot, diagram := screenshot(t, "report-small.png"), screenshot(t, "report-small-diagram.png")
	var got reportResult
	render(t, &got, "report", page, shot, diagram)
	if len(got.ConsoleErrors) > 0 || len(got.Requests) > 0 {
		t.Errorf("console errors %q, requests %q", got.ConsoleErrors, got.Requests)
	}
	var before, after int
	got.get(t, "svgBefore", &before)
	got.get(t, "svgAfter", &after)
	if before != 0 || after != 1 {
		t.Errorf("diagrams in the page: %d before opening one, %d after", before, after)
	}
	for key, want := range map[string]reportSeen{
		"all":                        {4, "4 findings, one per root cause (rule and place); showing 1–4"},
		"severity=warning":           {3, "3 of 4 findings match; showing 1–3"},
		"rule=1":                     {1, "1 of 4 findings match; showing 1–1"},
		"file=no-such-file-anywhere": {0, "0 of 4 findings match"},
	} {
		var s reportSeen
		got.get(t, key, &s)
		if s != want {
			t.Errorf("%s: %+v, want %+v", key, s, want)
		}
	}
	checkPNG(t, shot)
	checkPNG(t, diagram)
}

// TestBrowserHTMLPaging opens a generated fleet's report: 160 servers, 163
// findings (one per server for the header its locations' shared list
// lacks), shown 50 at a time.
func TestBrowserHTMLPaging(t *testing.T) {
	t.Chdir("..")
	renderer(t)
	dir := t.TempDir()
	gen := exec.Command("go", "run", "./scripts/fleetgen", "-n", "160", "-out", filepath.Join(dir, "fleet"))
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("fleetgen: %v\n%s", err, out)
	}
	var out bytes.Buffer
	if _, err := Run(Options{Inputs: []string{filepath.Join(dir, "fleet", "nginx.conf")}, Format: "html"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var got reportResult
	render(t, &got, "report", page, screenshot(t, "report-paging.png"))
	if len(got.ConsoleErrors) > 0 || len(got.Requests) > 0 {
		t.Errorf("console errors %q, requests %q", got.ConsoleErrors, got.Requests)
	}
	var all reportSeen
	var pager, page2 string
	got.get(t, "all", &all)
	got.get(t, "pager", &pager)
	got.get(t, "page2", &page2)
	if all.Cards != 50 || all.Stats != "163 findings, one per root cause (rule and place); showing 1–50" || pager != "page 1 of 4" || page2 != "163 findings, one per root cause (rule and place); showing 51–100" {
		t.Errorf("first page %+v, %q; second %q", all, pager, page2)
	}
}
