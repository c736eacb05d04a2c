package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// sarifSchemaFile is a copy of the official SARIF 2.1.0 schema (OASIS,
// errata 01), so validation never needs the network.
var sarifSchemaFile = filepath.Join("..", "testdata", "sarif", "sarif-schema-2.1.0.json")

// offlineLoader refuses every URL: the schema is added from the local copy
// under its id, and its draft-04 meta-schema is embedded in the validator.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: not fetched (the SARIF schema test works offline)", url)
}

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(sarifSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", sarifSchemaFile, err)
	}
	obj, _ := doc.(map[string]any)
	if id, _ := obj["id"].(string); id != sarifSchemaURI {
		t.Fatalf("%s has id %q; the SARIF output names %q as $schema", sarifSchemaFile, id, sarifSchemaURI)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	c.AssertFormat()
	if err := c.AddResource(sarifSchemaURI, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(sarifSchemaURI)
	if err != nil {
		t.Fatalf("compiling the SARIF schema: %v", err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, out []byte) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v\n%s", err, out)
	}
	return sch.Validate(doc)
}

func renderSARIFBytes(t *testing.T, rep *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := renderSARIF(&b, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// firingFixtures lists the fixture directories with a `# want:`, sorted.
func firingFixtures(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, ds := range fixtureDirs(t) {
		for _, d := range ds {
			if len(fixtureWants(t, d)) > 0 {
				dirs = append(dirs, d)
			}
		}
	}
	sort.Strings(dirs)
	if len(dirs) == 0 {
		t.Fatal("no firing fixtures under testdata/rules")
	}
	return dirs
}

// TestSARIFOfEveryFiringFixtureIsValid renders every firing fixture's
// findings as SARIF and validates it against the official schema.
func TestSARIFOfEveryFiringFixtureIsValid(t *testing.T) {
	sch := sarifSchema(t)
	for _, dir := range firingFixtures(t) {
		t.Run(strings.TrimPrefix(filepath.ToSlash(dir), "../testdata/rules/"), func(t *testing.T) {
			_, rep := lintFixture(t, dir)
			out := renderSARIFBytes(t, rep)
			if err := validateSARIF(t, sch, out); err != nil {
				t.Fatalf("SARIF is not valid against the 2.1.0 schema: %v\n%s", err, out)
			}
			var log sarifLog
			if err := json.Unmarshal(out, &log); err != nil {
				t.Fatal(err)
			}
			run := log.Runs[0]
			if len(run.Results) != rep.Findings.Len() {
				t.Fatalf("%d results for %d findings", len(run.Results), rep.Findings.Len())
			}
			fs := rep.Findings.Slice()
			for i, res := range run.Results {
				f := fs[i]
				if res.RuleIndex == nil || run.Tool.Driver.Rules[*res.RuleIndex].ID != f.Rule {
					t.Errorf("result %d: ruleIndex %v does not name %s", i, res.RuleIndex, f.Rule)
				}
				if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.Region.StartLine != f.Pos.Line {
					t.Errorf("result %d (%s): locations %+v; want line %d", i, f.Rule, res.Locations, f.Pos.Line)
				}
				if len(res.RelatedLocations) != len(f.Related) {
					t.Errorf("result %d (%s): %d related locations for %d related positions", i, f.Rule, len(res.RelatedLocations), len(f.Related))
				}
			}
			if again := renderSARIFBytes(t, rep); !bytes.Equal(again, out) {
				t.Error("SARIF differs between two renderings of one report")
			}
		})
	}
}

// TestSARIFValidatorRejectsInvalidLogs keeps the validation honest: logs
// that break the schema must fail it.
func TestSARIFValidatorRejectsInvalidLogs(t *testing.T) {
	sch := sarifSchema(t)
	_, rep := lintFixture(t, filepath.Join("..", "testdata", "rules", "TC101", "trust-true-append"))
	valid := string(renderSARIFBytes(t, rep))
	for _, tc := range []struct{ name, old, new string }{
		{"unknown level", `"level": "error"`, `"level": "fatal"`},
		{"line 0", `"startLine": 16`, `"startLine": 0`},
		{"wrong version", `"version": "2.1.0"`, `"version": "2.0.0"`},
		{"not a URI reference", `"uri": "../testdata/rules/TC101/trust-true-append/nginx.conf"`, `"uri": "a b\\c"`},
		{"unknown property", `"ruleId": "TC101"`, `"ruleId": "TC101", "rule_id": "TC101"`},
	} {
		if !strings.Contains(valid, tc.old) {
			t.Fatalf("%s: %q not in the SARIF output", tc.name, tc.old)
		}
		broken := strings.Replace(valid, tc.old, tc.new, 1)
		if err := validateSARIF(t, sch, []byte(broken)); err == nil {
			t.Errorf("%s: the validator accepts an invalid log", tc.name)
		}
	}
}

// sarifLog is the part of a SARIF log the tests read.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID                   string       `json:"id"`
					Name                 string       `json:"name"`
					ShortDescription     sarifMessage `json:"shortDescription"`
					FullDescription      sarifMessage `json:"fullDescription"`
					Help                 sarifMessage `json:"help"`
					HelpURI              string       `json:"helpUri"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level   string       `json:"level"`
				Message sarifMessage `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID           string            `json:"ruleId"`
			RuleIndex        *int              `json:"ruleIndex"`
			Level            string            `json:"level"`
			Message          sarifMessage      `json:"message"`
			Locations        []sarifLocationT  `json:"locations"`
			RelatedLocations []sarifLocationT  `json:"relatedLocations"`
			Properties       map[string]string `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifLocationT struct {
	ID               int `json:"id"`
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
			StartLine int `json:"startLine"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

func (l sarifLocationT) String() string {
	return fmt.Sprintf("%d:%s:%d", l.ID, l.PhysicalLocation.ArtifactLocation.URI, l.PhysicalLocation.Region.StartLine)
}

// TestSARIFOutput checks concrete values for one fixture, through Run and
// --format sarif.
func TestSARIFOutput(t *testing.T) {
	o := fixture("TC101/trust-true-append")
	o.Format = "sarif"
	out, stderr, code, err := runLint(t, o)
	if err != nil || code != 1 {
		t.Fatalf("exit %d, err %v; want 1\n%s", code, err, stderr)
	}
	if err := validateSARIF(t, sarifSchema(t), []byte(out)); err != nil {
		t.Fatalf("invalid SARIF: %v", err)
	}
	var log sarifLog
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || log.Schema != sarifSchemaURI || len(log.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "trustcheck" || d.Version != Version("") || d.InformationURI != "https://github.com/trustcheck/trustcheck" {
		t.Errorf("driver %q version %q informationUri %q", d.Name, d.Version, d.InformationURI)
	}
	all := rules.All()
	if len(d.Rules) != len(all) {
		t.Fatalf("%d rules in the driver; want every registered rule (%d)", len(d.Rules), len(all))
	}
	wantLevel := map[rules.Severity]string{rules.Error: "error", rules.Warning: "warning", rules.Info: "note"}
	for i, r := range all {
		got := d.Rules[i]
		if got.ID != r.ID || got.Name != r.Name || got.ShortDescription.Text != r.Doc.Title ||
			got.FullDescription.Text != r.Doc.Rationale || got.HelpURI != r.DocsURL() ||
			got.DefaultConfiguration.Level != wantLevel[r.Severity] {
			t.Errorf("rule %d: %+v\nwant %s %s, level %s", i, got, r.ID, r.Name, wantLevel[r.Severity])
		}
		for _, part := range []string{r.Doc.Fix, indent(r.Doc.Bad), indent(r.Doc.Good)} {
			if !strings.Contains(got.Help.Text, part) {
				t.Errorf("%s help text lacks %q", r.ID, part)
			}
		}
		for _, part := range []string{r.Doc.Fix, r.Doc.Bad, r.Doc.Good, r.DocsURL()} {
			if !strings.Contains(got.Help.Markdown, part) {
				t.Errorf("%s help markdown lacks %q", r.ID, part)
			}
		}
	}
	if len(run.Invocations) != 1 || !run.Invocations[0].ExecutionSuccessful || len(run.Invocations[0].ToolExecutionNotifications) != 0 {
		t.Errorf("invocations %+v; want one, successful, without notifications", run.Invocations)
	}
	if len(run.Results) != 1 {
		t.Fatalf("%d results; want 1", len(run.Results))
	}
	res := run.Results[0]
	if res.RuleID != "TC101" || res.Level != "error" || res.RuleIndex == nil || d.Rules[*res.RuleIndex].ID != "TC101" {
		t.Errorf("ruleId %q level %q ruleIndex %v", res.RuleID, res.Level, res.RuleIndex)
	}
	// The wording is the rule's; the rendering is message, attack and fix.
	_, rep := lintFixture(t, filepath.Join("..", "testdata", "rules", "TC101", "trust-true-append"))
	f := rep.Findings.Slice()[0]
	wantText := f.Message + "\nattack: " + f.Attack + "\nfix: " + f.Fix.Message
	if f.Attack == "" || f.Fix.Message == "" || !strings.Contains(wantText, `attack: a client sending "X-Forwarded-For: 6.6.6.6"`) {
		t.Fatalf("fixture finding lacks an attack or a fix: %+v", f)
	}
	if res.Message.Text != wantText {
		t.Errorf("message:\n%s\nwant:\n%s", res.Message.Text, wantText)
	}
	dir := "../testdata/rules/TC101/trust-true-append/"
	locs := func(ls []sarifLocationT) []string {
		var s []string
		for _, l := range ls {
			s = append(s, l.String())
		}
		return s
	}
	if got, want := locs(res.Locations), []string{"0:" + dir + "nginx.conf:16"}; !slices.Equal(got, want) {
		t.Errorf("locations %q; want %q", got, want)
	}
	if got, want := locs(res.RelatedLocations), []string{"1:" + dir + "nginx.conf:14", "2:" + dir + "trustcheck.yaml:4"}; !slices.Equal(got, want) {
		t.Errorf("relatedLocations %q; want %q", got, want)
	}
	if res.Properties["directive"] != "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" ||
		res.Properties["path"] != "client -> nginx (server app.example:443, location /) -> app" {
		t.Errorf("properties %q", res.Properties)
	}
	if strings.Contains(out, `\u003e`) {
		t.Error("HTML-escaped output: -> reads \\u003e")
	}

	for i := 0; i < 3; i++ {
		again, _, _, _ := runLint(t, o)
		if again != out {
			t.Fatalf("SARIF differs between runs:\n%s\n---\n%s", out, again)
		}
	}
}

// TestSARIFNotesAndEmptyRuns: notes become tool execution notifications, a
// clean run has an empty results array, and odd file names stay valid URIs.
func TestSARIFNotesAndEmptyRuns(t *testing.T) {
	sch := sarifSchema(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{
		Notes: []string{"skipped TC101: no trustcheck.yaml", "conf/a.conf:3: include \"x\" matches no file"},
		Findings: findingsOf([]rules.Finding{{
			Rule: "TC105", Severity: rules.Warning, Pos: trustmodel.Pos{File: "we ird#1/a,b:c%.conf", Line: 3},
			Message: "m", Related: []trustmodel.Pos{{File: filepath.Join(wd, "sub", "x.conf"), Line: 1}, {File: "/elsewhere/y.conf", Line: 2}},
		}, {
			Rule: "TC404", Severity: rules.Info, Pos: trustmodel.Pos{File: "<stdin>", Line: 7}, Message: "m2",
		}}),
	}
	out := renderSARIFBytes(t, rep)
	if err := validateSARIF(t, sch, out); err != nil {
		t.Fatalf("invalid SARIF: %v\n%s", err, out)
	}
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	n := run.Invocations[0].ToolExecutionNotifications
	if len(n) != 2 || n[0].Level != "note" || n[0].Message.Text != rep.Notes[0] || n[1].Message.Text != rep.Notes[1] {
		t.Errorf("toolExecutionNotifications %+v; want the notes, level note", n)
	}
	r0, r1 := run.Results[0], run.Results[1]
	if r0.Level != "warning" || r1.Level != "note" {
		t.Errorf("levels %q, %q; want warning, note", r0.Level, r1.Level)
	}
	if got, want := r0.Locations[0].String(), "0:we%20ird%231/a,b:c%25.conf:3"; got != want {
		t.Errorf("location %s; want %s", got, want)
	}
	if got, want := r0.RelatedLocations[0].String(), "1:sub/x.conf:1"; got != want {
		t.Errorf("related location inside the working directory %s; want %s", got, want)
	}
	if got, want := r0.RelatedLocations[1].String(), "2:file:///elsewhere/y.conf:2"; got != want {
		t.Errorf("related location outside the working directory %s; want %s", got, want)
	}
	if got, want := r1.Locations[0].String(), "0:%3Cstdin%3E:7"; got != want {
		t.Errorf("stdin location %s; want %s", got, want)
	}

	empty := renderSARIFBytes(t, &Report{})
	if err := validateSARIF(t, sch, empty); err != nil {
		t.Fatalf("invalid SARIF for a clean run: %v\n%s", err, empty)
	}
	if !bytes.Contains(empty, []byte(`"results": []`)) || bytes.Contains(empty, []byte("toolExecutionNotifications")) {
		t.Errorf("a clean run without notes wants \"results\": [] and no notifications:\n%s", empty)
	}
}

func TestSARIFURI(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"nginx.conf", "nginx.conf"},
		{"./conf/../nginx.conf", "nginx.conf"},
		{"../testdata/a.conf", "../testdata/a.conf"},
		{"c:d/x.conf", "./c:d/x.conf"},
		{"a?b#c d.conf", "a%3Fb%23c%20d.conf"},
		{"/etc/nginx/nginx.conf", "file:///etc/nginx/nginx.conf"},
	} {
		if got := sarifURI(tc.file); got != tc.want {
			t.Errorf("sarifURI(%q) = %q; want %q", tc.file, got, tc.want)
		}
	}
}

// A run that cannot complete still writes its SARIF log, valid against the
// schema: executionSuccessful false and the error, on one short line, as
// an error-level notification; the exit code stays 2.
func TestSARIFOfAFailedRun(t *testing.T) {
	sch := sarifSchema(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(bad, []byte("http {\n  server {\n    listen 80\n    location / { proxy_pass http://127.0.0.1:3000; }\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long.conf")
	if err := os.WriteFile(long, []byte(`http { server { listen 80; location / { proxy_set_header X-A "`+strings.Repeat("a", 1500)+`" b; } } }`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"nginx refuses the configuration", Options{Inputs: []string{bad}},
			bad + `:4: directive "listen" is not terminated by ";"`},
		{"a missing file", Options{Inputs: []string{filepath.Join(dir, "none.conf")}},
			filepath.Join(dir, "none.conf") + ": cannot open: no such file or directory"},
		{"a bad --fail-on", Options{Inputs: []string{bad}, FailOn: "bogus"},
			`--fail-on: unknown severity "bogus" (want error, warning, info or none)`},
		{"a long excerpt", Options{Inputs: []string{long}},
			long + `:1: invalid number of arguments in "proxy_set_header" directive`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Format = "sarif"
			var out, errOut bytes.Buffer
			code, err := Run(tc.o, &out, &errOut)
			if code != 2 || err == nil || ErrorLine(err) != tc.want {
				t.Fatalf("Run: %d, %v; want 2, %s", code, err, tc.want)
			}
			if verr := validateSARIF(t, sch, out.Bytes()); verr != nil {
				t.Fatalf("SARIF is not valid against the 2.1.0 schema: %v\n%s", verr, out.Bytes())
			}
			var log sarifLog
			if err := json.Unmarshal(out.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			inv := log.Runs[0].Invocations
			if len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 1 ||
				inv[0].ToolExecutionNotifications[0].Level != "error" || inv[0].ToolExecutionNotifications[0].Message.Text != tc.want {
				t.Errorf("invocations %+v; want one, failed, with the error %q", inv, tc.want)
			}
		})
	}
}

func TestErrorLineIsShort(t *testing.T) {
	long := errors.New(`f.conf:3: unknown key "` + strings.Repeat("k", 300) + `" in app (known: a, b)` + strings.Repeat(" x", 200) + "\nsecond line")
	got := ErrorLine(long)
	want := `f.conf:3: unknown key "` + strings.Repeat("k", 39) + `..." in app (known: a, b)` + strings.Repeat(" x", 200)
	want = want[:197] + "..."
	if got != want || len(got) > 200 || strings.Contains(got, "\n") {
		t.Errorf("ErrorLine:\n%q\nwant\n%q", got, want)
	}
	if short := errors.New("a:1: short \"q\"\nx"); ErrorLine(short) != `a:1: short "q"\nx` {
		t.Errorf("short: %q", ErrorLine(short))
	}
}
