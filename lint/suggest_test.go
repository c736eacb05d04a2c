package lint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// suggestUncovered are the rules whose firing fixtures the acceptance test
// leaves out, and why: they are outside what suggest changes (the trust
// value and the forwarding directives of the proxying places).
var suggestUncovered = map[string]string{
	"TC001": "suppression comments, not configuration",
	"TC106": "the app's own listen address (a direct bypass) is a deployment change",
	"TC109": "removing over-broad set_real_ip_from entries is a judgement about the network",
	"TC111": "limit_req/geo/map keys on client-controlled values",
	"TC115": "address headers besides X-Forwarded-For that only some frameworks read (True-Client-IP, ...)",
	"TC116": "headers only some frameworks check against X-Forwarded-For (Rails' Client-IP)",
	"TC203": "express-session settings",
	"TC204": "express-session settings",
	"TC302": "which server is the catch-all / default server",
	"TC303": "the RFC 7239 Forwarded header",
	"TC402": "realip without an edge declared",
	"TC403": "Passenger",
	"TC404": "TLS protocol versions",
}

// appTrustRules are the rules whose fix outside Node is the app's own code
// (ProxyFix, SetTrustedProxies, --forwarded-allow-ips, ...), which suggest
// shows in a note but does not edit: their non-Node fixtures are left out.
var appTrustRules = map[string]bool{"TC101": true, "TC102": true, "TC103": true, "TC104": true, "TC107": true, "TC108": true, "TC112": true, "TC113": true}

// nodeFixture reports whether the fixture's app is a Node app.
func nodeFixture(t *testing.T, dir string) bool {
	t.Helper()
	cfg, err := loadAppFile(Options{WorkDir: dir, Inputs: []string{filepath.Join(dir, "nginx.conf")}})
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return cfg == nil || len(cfg.Apps) == 0 || trustmodel.NodeFramework(cfg.Apps[0].Framework)
}

// suggestJSON is the JSON suggest writes, decoded the way a tool applying
// the edits would see it.
type suggestJSON struct {
	TrustProxy any `json:"trust_proxy"`
	Code       string
	Edits      []rules.Edit
	Remaining  []string
}

// TestSuggestFixesFiringFixtures is the acceptance test: for every firing
// fixture of a rule suggest is responsible for, apply suggest's JSON edits
// to a copy and lint it: none of those rules may report anything. A second
// suggest over the result must propose nothing (idempotent).
func TestSuggestFixesFiringFixtures(t *testing.T) {
	dirs := fixtureDirs(t)
	covered := 0
	for _, id := range SuggestRules {
		if _, out := suggestUncovered[id]; out {
			t.Fatalf("%s is both covered and uncovered", id)
		}
		for _, dir := range dirs[id] {
			if !firesRule(t, dir, id) || appTrustRules[id] && !nodeFixture(t, dir) {
				continue
			}
			covered++
			t.Run(id+"/"+filepath.Base(dir), func(t *testing.T) {
				tmp := copyFixture(t, dir)
				s := suggestJSONFor(t, tmp)
				if len(s.Edits) == 0 {
					t.Fatalf("a firing fixture got no edits")
				}
				if len(s.Remaining) > 0 {
					t.Errorf("suggest says findings remain: %q", s.Remaining)
				}
				applySuggestEdits(t, tmp, s)
				_, rep := lintFixture(t, tmp)
				var bad []string
				for _, f := range flatFindings(rep.Findings.Slice()) {
					if slices.Contains(SuggestRules, f.Rule) {
						bad = append(bad, fmt.Sprintf("%s:%d: %s", f.Pos.File, f.Pos.Line, f.Rule))
						t.Logf("%s:%d %s %s\n  attack: %s", f.Pos.File, f.Pos.Line, f.Rule, f.Message, f.Attack)
					}
				}
				if len(bad) > 0 {
					t.Errorf("after applying the edits, still: %q\n%s", bad, dumpDir(t, tmp))
				}
				again := suggestJSONFor(t, tmp)
				if len(again.Edits) > 0 {
					t.Errorf("suggest is not idempotent: after its edits it proposes %+v", again.Edits)
				}
			})
		}
	}
	if covered < 20 {
		t.Errorf("only %d firing fixtures covered", covered)
	}
	// Every rule is either covered or listed with a reason.
	for id := range dirs {
		if !slices.Contains(SuggestRules, id) && suggestUncovered[id] == "" {
			t.Errorf("%s: neither covered by suggest nor listed in suggestUncovered", id)
		}
	}
}

// TestSuggestKeepsCleanSetup: a correct setup gets no edits.
func TestSuggestKeepsCleanSetup(t *testing.T) {
	for _, dir := range []string{"TC101/loopback-append", "TC105/remote-addr", "TC201/edge-passes-proto", "TC301/xfh-host", "TC102/count-one"} {
		t.Run(dir, func(t *testing.T) {
			tmp := copyFixture(t, filepath.Join("../testdata/rules", dir))
			s := suggestJSONFor(t, tmp)
			var nginx []string
			for _, e := range s.Edits {
				if filepath.Base(e.File) != "trustcheck.yaml" {
					nginx = append(nginx, e.New)
				}
			}
			if len(nginx) > 0 {
				t.Errorf("edits for a correct configuration: %q", nginx)
			}
		})
	}
}

// TestSuggestDeterministic: the same input gives byte-identical JSON.
func TestSuggestDeterministic(t *testing.T) {
	dir := "../testdata/rules/TC107/cdn-and-direct"
	var outs []string
	for range 3 {
		var b strings.Builder
		if err := RunSuggest(Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: "json"}, &b, &b); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b.String())
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Errorf("output differs between runs")
	}
	for _, format := range []string{"text", "json"} {
		var b strings.Builder
		if err := RunSuggest(Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: format}, &b, &b); err != nil || !strings.Contains(b.String(), "app.set('trust proxy', 'loopback')") {
			t.Errorf("%s: %v\n%s", format, err, b.String())
		}
	}
}

func firesRule(t *testing.T, dir, id string) bool {
	for _, w := range fixtureWants(t, dir) {
		if strings.Contains(w, ": "+id) {
			return true
		}
	}
	return false
}

func copyFixture(t *testing.T, dir string) string {
	t.Helper()
	tmp := t.TempDir()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(tmp, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return tmp
}

// suggestJSONFor runs suggest --format json on dir/nginx.conf and decodes it.
func suggestJSONFor(t *testing.T, dir string) suggestJSON {
	t.Helper()
	var out, errOut strings.Builder
	err := RunSuggest(Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: "json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("suggest: %v", err)
	}
	var s suggestJSON
	if err := json.Unmarshal([]byte(out.String()), &s); err != nil {
		t.Fatalf("suggest JSON: %v\n%s", err, out.String())
	}
	return s
}

// applySuggestEdits applies the edits as a tool would: each file's edits
// by the line numbers of the file as it was, a missing file as empty.
func applySuggestEdits(t *testing.T, dir string, s suggestJSON) {
	t.Helper()
	byFile := map[string][]rules.Edit{}
	for _, e := range s.Edits {
		if !strings.HasPrefix(filepath.Clean(e.File), dir) {
			t.Fatalf("edit outside the fixture: %s", e.File)
		}
		byFile[e.File] = append(byFile[e.File], e)
	}
	for file, es := range byFile {
		var lines []string
		data, err := os.ReadFile(file)
		switch {
		case err == nil:
			lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		case !errors.Is(err, fs.ErrNotExist):
			t.Fatal(err)
		}
		out, err := rules.ApplyEdits(lines, es)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func dumpDir(t *testing.T, dir string) string {
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString("--- " + p + "\n" + string(data))
		}
		return nil
	})
	return b.String()
}

// TestSuggestCreatesNoFindings applies suggest's edits to every fixture and
// lints again: no rule may report more than it did before, so no fix
// creates another finding. TC001 is the exception: a fix that removes a
// suppressed finding leaves its ignore comment to delete.
func TestSuggestCreatesNoFindings(t *testing.T) {
	for id, dirs := range fixtureDirs(t) {
		for _, dir := range dirs {
			t.Run(id+"/"+filepath.Base(dir), func(t *testing.T) {
				_, before := lintFixture(t, dir)
				tmp := copyFixture(t, dir)
				s := suggestJSONFor(t, tmp)
				if len(s.Edits) == 0 {
					return
				}
				applySuggestEdits(t, tmp, s)
				_, after := lintFixture(t, tmp)
				count := func(rep *Report) map[string]int {
					n := map[string]int{}
					for _, f := range rep.Findings.All() {
						n[f.Rule]++
					}
					return n
				}
				was, now := count(before), count(after)
				// Outside Node the app's own trust change is left to the user
				// (a note); until it is made, what it fixes is reported, and
				// suggest lists it as remaining.
				listed := func(rule string) bool {
					return appTrustRules[rule] && !nodeFixture(t, dir) && slices.ContainsFunc(s.Remaining, func(r string) bool { return strings.Contains(r, ": "+rule+" ") })
				}
				for rule, n := range now {
					if n > was[rule] && rule != "TC001" && !listed(rule) {
						t.Errorf("after suggest's edits %s reports %d finding(s), before %d\n%s", rule, n, was[rule], dumpDir(t, tmp))
					}
				}
			})
		}
	}
}

// TestSuggestRejectsUnknownHosts: a named server that is the default of its
// socket only by coming first gets a rejecting default server before it,
// after which $host is one of its names and TC302 is gone.
func TestSuggestRejectsUnknownHosts(t *testing.T) {
	tmp := copyFixture(t, "../testdata/rules/TC302/named-server-host")
	s := suggestJSONFor(t, tmp)
	var texts []string
	for _, e := range s.Edits {
		texts = append(texts, strings.TrimSpace(e.New))
	}
	want := []string{"server {", "listen 443 ssl default_server;", "ssl_reject_handshake on;", "}"}
	if !slices.Equal(texts, want) {
		t.Fatalf("edits %q, want %q", texts, want)
	}
	applySuggestEdits(t, tmp, s)
	if got, _ := lintFixture(t, tmp); len(got) != 0 {
		t.Errorf("after the edits: %q\n%s", got, dumpDir(t, tmp))
	}
}
