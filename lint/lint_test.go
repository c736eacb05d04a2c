package lint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func runLint(t *testing.T, o Options) (string, string, int, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := Run(o, &out, &errOut)
	return out.String(), errOut.String(), code, err
}

func fixture(name string) Options {
	dir := filepath.Join("..", "testdata", "rules", name)
	return Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir}
}

func TestExitCodesFollowFailOn(t *testing.T) {
	for _, tc := range []struct {
		fixture, failOn string
		want            int
	}{
		{"TC101/trust-true-append", "", 1},
		{"TC101/trust-true-append", "error", 1},
		{"TC101/trust-true-append", "none", 0},
		{"TC101/loopback-append", "", 0},
		{"TC001/unused", "warning", 1}, // TC001 is a warning
		{"TC001/unused", "error", 0},
		{"TC001/unused", "info", 1},
	} {
		o := fixture(tc.fixture)
		o.FailOn = tc.failOn
		_, _, code, err := runLint(t, o)
		if err != nil || code != tc.want {
			t.Errorf("%s --fail-on %q: exit %d, err %v; want %d", tc.fixture, tc.failOn, code, err, tc.want)
		}
	}
	o := fixture("TC101/loopback-append")
	o.FailOn = "critical"
	if _, _, code, err := runLint(t, o); code != 2 || err == nil {
		t.Errorf("--fail-on critical: exit %d, err %v; want 2", code, err)
	}
}

func TestEnableDisable(t *testing.T) {
	o := fixture("TC101/trust-true-append")
	o.Disable = []string{"TC101"}
	if out, _, code, _ := runLint(t, o); code != 0 || strings.Contains(out, "TC101") {
		t.Errorf("--disable TC101: exit %d\n%s", code, out)
	}
	o = fixture("TC101/trust-true-append")
	o.Enable = []string{"tc105,TC001"}
	if out, _, code, _ := runLint(t, o); code != 0 || strings.Contains(out, "TC101") {
		t.Errorf("--enable TC105,TC001: exit %d\n%s", code, out)
	}
	o.Enable = []string{"TC999"}
	if _, _, code, err := runLint(t, o); code != 2 || err == nil || err.Error() != `--enable: unknown rule "TC999" (see trustcheck rules)` {
		t.Errorf("--enable TC999: exit %d, err %v", code, err)
	}
}

func TestOutputIsByteIdenticalAcrossRuns(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var first string
		for i := 0; i < 5; i++ {
			o := fixture("TC101/trust-true-append")
			o.Format = format
			out, _, _, err := runLint(t, o)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = out
			} else if out != first {
				t.Fatalf("%s output differs between runs:\n%s\n---\n%s", format, first, out)
			}
		}
	}
}

func TestTextOutput(t *testing.T) {
	out, _, _, err := runLint(t, fixture("TC101/trust-true-append"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("..", "testdata", "rules", "TC101", "trust-true-append", "nginx.conf")
	yaml := filepath.Join("..", "testdata", "rules", "TC101", "trust-true-append", "trustcheck.yaml")
	want := file + `:16: error TC101 app.set('trust proxy', true) trusts every address and nginx appends to the client's X-Forwarded-For: req.ip is whatever the client writes
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    path:   client -> nginx (server app.example:443, location /) -> app
    attack: a client sending "X-Forwarded-For: 6.6.6.6" to https://app.example/ gets req.ip = 6.6.6.6
    fix:    app.set('trust proxy', 'loopback'), so only nginx's own entry is believed; or ` + "`proxy_set_header X-Forwarded-For $remote_addr;`" + `
    also:   ` + file + `:14, ` + yaml + `:4
    docs:   https://github.com/trustcheck/trustcheck/blob/main/docs/rules/TC101.md

1 error in 1 file checked
`
	if out != want {
		t.Errorf("text output:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without a terminal")
	}
}

func TestQuickModeAndNoAppNotes(t *testing.T) {
	dir := filepath.Join("..", "testdata", "rules", "TC101", "trust-true-append")
	// No trustcheck.yaml anywhere (WorkDir elsewhere, the input copied away).
	tmp := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(tmp, "nginx.conf")
	if err := os.WriteFile(conf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code, err := runLint(t, Options{Inputs: []string{conf}, WorkDir: tmp})
	if err != nil || code != 0 || !strings.Contains(errOut, "note: skipped TC101, ") || !strings.Contains(errOut, "no trustcheck.yaml was found and no --trust-proxy was given") {
		t.Errorf("no app: exit %d, err %v\nstdout:\n%s\nstderr:\n%s", code, err, out, errOut)
	}
	out, _, code, err = runLint(t, Options{Inputs: []string{conf}, WorkDir: tmp, TrustProxy: "true", TrustProxySet: true})
	if err != nil || code != 1 || !strings.Contains(out, "nginx.conf:16: error TC101") {
		t.Errorf("quick mode --trust-proxy true: exit %d, err %v\n%s", code, err, out)
	}
}

func TestInputErrorsAreOneLine(t *testing.T) {
	for _, o := range []Options{
		{Inputs: []string{"/nonexistent/nginx.conf"}},
		{Inputs: []string{t.TempDir()}}, // a directory with no *.conf
		{Inputs: []string{filepath.Join("..", "testdata", "rules", "TC101", "trust-true-append", "nginx.conf")}, AppFile: "/nonexistent/trustcheck.yaml"},
		{},
	} {
		_, _, code, err := runLint(t, o)
		if code != 2 || err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: exit %d, err %v; want 2 and a one-line error", o, code, err)
		}
	}
}

// TestCorpus lints every file of the shared corpus without app information
// and with two trust settings (so the replay rules run too): each file lints
// or fails with a one-line error, and every finding has a file and line.
func TestCorpus(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(root); err != nil {
		t.Skip("corpus not present")
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".conf") || strings.HasSuffix(p, ".sample") || strings.HasSuffix(p, ".ejs")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, trust := range []string{"", "true", "loopback"} {
		var linted, failed, findings int
		rules := map[string]int{}
		app := ""
		if trust != "" {
			// The corpus proxies to variables ($upstream_app), whose connecting
			// address only trustcheck.yaml can say.
			app = filepath.Join(t.TempDir(), "trustcheck.yaml")
			yaml := "app:\n  trust_proxy: " + trust + "\nnginx:\n  connects_from: 127.0.0.1\n"
			if err := os.WriteFile(app, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range files {
			o := Options{Inputs: []string{p}, WorkDir: t.TempDir(), AllowMissingIncludes: true, AppFile: app}
			rep, err := Lint(o)
			if err != nil {
				failed++
				if trust == "" {
					t.Logf("%v", err)
				}
				if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, ":") {
					t.Errorf("%s: error is not one file:line line: %q", p, msg)
				}
				continue
			}
			linted++
			for _, f := range rep.Findings.All() {
				findings++
				rules[f.Rule]++
				if f.Pos.File == "" || f.Pos.Line == 0 {
					t.Errorf("%s: %s finding without file and line: %s", p, f.Rule, f.Message)
				}
			}
		}
		t.Logf("corpus, trust %q: %d files linted (%d findings %v), %d failed with a one-line error", trust, linted, findings, rules, failed)
	}
}

// On Node's dual-stack "::" an IPv4 peer shows as ::ffff:127.0.0.1: the
// findings say so whether nginx connects to 127.0.0.1 or to localhost
// (which resolves to both families).
func TestDualStackPeerIsIPv4Mapped(t *testing.T) {
	for _, target := range []string{"127.0.0.1", "localhost"} {
		for trust, want := range map[string]string{
			"false":     "trusts nothing, not ::ffff:127.0.0.1, the address nginx connects from",
			"'::1'":     "req.ip = ::ffff:127.0.0.1",
			"'1.2.3.4'": "::ffff:127.0.0.1",
		} {
			conf := "events {}\nhttp {\n  server {\n    listen 80;\n    server_name app.example;\n    location / {\n" +
				"      proxy_pass http://" + target + ":3000;\n      proxy_set_header X-Forwarded-For $remote_addr;\n    }\n  }\n}\n"
			yaml := "version: 1\napp:\n  framework: express\n  trust_proxy: " + trust + "\n  listen: '[::]:3000'\n"
			dir := writeFiles(t, map[string]string{"nginx.conf": conf, "trustcheck.yaml": yaml})
			var out, errOut strings.Builder
			if _, err := Run(Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir}, &out, &errOut); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), want) || strings.Contains(out.String(), "req.ip = 127.0.0.1") {
				t.Errorf("proxy_pass to %s, trust %s: want %q in\n%s", target, trust, want, out.String())
			}
		}
	}
}

// writeFiles writes files (name to contents) into a new temporary
// directory and returns it.
func writeFiles(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// TestAttackFromAdmittedClients: where allow/deny refuses the public
// client, the replay comes from a client nginx admits, and the attack line
// says so.
func TestAttackFromAdmittedClients(t *testing.T) {
	rep, err := Lint(fixture("TC101/allow-internal-only"))
	if err != nil || rep.Findings.Len() != 1 {
		t.Fatalf("%v, %+v", err, rep)
	}
	want := `a client at 10.0.0.5 (nginx admits only 10.0.0.0/8 here) sending "X-Forwarded-For: 6.6.6.6" to http://admin.example/ gets req.ip = 6.6.6.6`
	if got := rep.Findings.Slice()[0].Attack; got != want {
		t.Errorf("attack:\n got %s\nwant %s", got, want)
	}
}

// TestConsequencesUnderTheirCause: what a TC401 drop breaks is shown under
// it, not beside it — the shipped example's WebSocket location.
func TestConsequencesUnderTheirCause(t *testing.T) {
	rep, err := Lint(Options{Inputs: []string{"../examples/express-behind-nginx/nginx.conf"}, WorkDir: "../examples/express-behind-nginx"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings.All() {
		line := fmt.Sprintf("%d %s %s", f.Pos.Line, f.Rule, f.Severity)
		for _, c := range f.Consequences {
			line += fmt.Sprintf(" [%d %s]", c.Pos.Line, c.Rule)
		}
		got = append(got, line)
	}
	want := []string{"16 TC301 warning", "16 TC302 warning", "17 TC101 error", "24 TC301 warning", "26 TC401 error [24 TC105] [24 TC201]"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q\nwant %q", got, want)
	}
}

// TestFindingsNameTheirApp: with several apps (or a target no app claims)
// each finding says which app it judges, for the report's app filter and
// JSON's "app".
func TestFindingsNameTheirApp(t *testing.T) {
	rep, err := Lint(fixture("TC302/other-service"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings.All() {
		got = append(got, fmt.Sprintf("%d %s %q", f.Pos.Line, f.Rule, f.App))
	}
	want := []string{`15 TC302 ""`, `22 TC302 "another service"`}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
