package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// pathsGoldens are the fixtures whose `trustcheck paths` output is kept in
// testdata/paths, as text and as JSON. Run `go test ./lint -update` to
// rewrite them, and review the diff.
var pathsGoldens = []struct {
	name    string // golden file stem
	fixture string // under testdata/rules
	trust   string // --trust-proxy, for fixtures without trustcheck.yaml
}{
	{"tc101-trust-true-append", "TC101/trust-true-append", ""},
	{"tc103-cdn-trust-one", "TC103/cdn-trust-one", ""},
	{"tc401-websocket-location", "TC401/websocket-location", "loopback"},
	{"tc106-wildcard-hop-count", "TC106/wildcard-hop-count", ""},
}

// pathsOptions runs from the repository root, so file names in the output
// read testdata/rules/....
func pathsOptions(t *testing.T, fixture, trust, format string) Options {
	t.Helper()
	dir := filepath.Join("testdata", "rules", fixture)
	o := Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: format}
	if trust != "" {
		o.TrustProxy, o.TrustProxySet = trust, true
	}
	return o
}

func runPaths(t *testing.T, o Options) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := RunPaths(o, &out, &errOut); err != nil {
		t.Fatalf("paths: %v", err)
	}
	return out.String(), errOut.String()
}

func TestPathsGolden(t *testing.T) {
	t.Chdir("..")
	for _, g := range pathsGoldens {
		for _, format := range []string{"text", "json"} {
			t.Run(g.name+"/"+format, func(t *testing.T) {
				got, _ := runPaths(t, pathsOptions(t, g.fixture, g.trust, format))
				again, _ := runPaths(t, pathsOptions(t, g.fixture, g.trust, format))
				if got != again {
					t.Fatalf("output differs between two runs")
				}
				file := filepath.Join("testdata", "paths", g.name+"."+format+".golden")
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
			})
		}
	}
}

// TestPathsJSONReproduces replays every request the JSON lists through
// `simulate --batch`'s code: the app section plus a replay's at_app must
// give exactly the result the JSON predicts. This is what the end-to-end
// suite relies on.
func TestPathsJSONReproduces(t *testing.T) {
	t.Chdir("..")
	type input struct {
		name string
		o    Options
	}
	var inputs []input
	for _, g := range pathsGoldens {
		inputs = append(inputs, input{g.name, pathsOptions(t, g.fixture, g.trust, "json")})
	}
	// An app that reads its address with request-ip, and two apps behind
	// one nginx: each path's results are the app it reaches.
	inputs = append(inputs, input{"request-ip-append", pathsOptions(t, "TC114/request-ip-append", "", "json")})
	twoApps := filepath.Join("testdata", "e2e", "topologies", "two-apps")
	inputs = append(inputs, input{"two-apps", Options{Inputs: []string{filepath.Join(twoApps, "nginx.conf")}, WorkDir: twoApps, Format: "json"}})
	for _, g := range inputs {
		out, _ := runPaths(t, g.o)
		var doc PathsDoc
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if doc.Version != 1 || len(doc.Paths) == 0 {
			t.Fatalf("%s: version %d, %d paths", g.name, doc.Version, len(doc.Paths))
		}
		for _, p := range doc.Paths {
			// Every injection, in order; only Host may be missing, where nginx
			// hands a foreign Host to another server. request-ip reads
			// X-Client-IP first: its client sends that too.
			a := pathApp(t, doc, p)
			var injected []string
			for _, h := range p.Hostile {
				injected = append(injected, h.Inject)
			}
			var want []string
			for _, inj := range hostileInjections {
				if inj.header != "Host" || slices.Contains(injected, "Host") {
					want = append(want, inj.header)
				}
			}
			if a.ClientIPFrom == "request-ip" {
				want = append(want, "X-Client-IP")
			}
			if !slices.Equal(injected, want) {
				t.Errorf("%s %s: hostile replays %v, want %v", g.name, p.Entry, injected, want)
			}
			for _, r := range append([]ReplayJSON{p.Honest}, p.Hostile...) {
				if r.Result == nil {
					t.Fatalf("%s %s: no result", g.name, p.Entry)
				}
				peer := r.AtApp.Peer
				c := SimCase{Framework: a.Framework, Version: a.Version, TrustProxy: a.TrustProxy, ClientIPFrom: a.ClientIPFrom,
					Peer: &peer, TLS: r.AtApp.TLS, Headers: r.AtApp.Headers, Options: a.Options, Session: a.Session}
				app, err := c.App()
				if err != nil {
					t.Fatal(err)
				}
				res, _, _ := Simulate(app, c.Request())
				want, _ := json.Marshal(res)
				got, _ := json.Marshal(r.Result)
				if string(got) != string(want) {
					t.Errorf("%s %s inject %q: paths predicts %s, simulate computes %s", g.name, p.Entry, r.Inject, got, want)
				}
			}
		}
	}
}

// pathApp is the app p reaches: the one it names, or the only one.
func pathApp(t *testing.T, doc PathsDoc, p PathJSON) PathsApp {
	t.Helper()
	if len(doc.Apps) == 0 {
		return doc.App
	}
	for _, a := range doc.Apps {
		if a.Name == p.App {
			return a
		}
	}
	t.Fatalf("path %s names app %q, which is not among the apps", p.Entry, p.App)
	return PathsApp{}
}

func findHeader(t *testing.T, h HopJSON, name string) HeaderJSON {
	t.Helper()
	for _, x := range h.Headers {
		if x.Name == name {
			return x
		}
	}
	t.Fatalf("hop %s has no %s entry", h.Name, name)
	return HeaderJSON{}
}

func pathsDocFor(t *testing.T, fixture, trust string) PathsDoc {
	t.Helper()
	out, _ := runPaths(t, pathsOptions(t, fixture, trust, "json"))
	var doc PathsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestPathsHeaderActions(t *testing.T) {
	t.Chdir("..")
	type want struct {
		action   string
		value    string
		line     int
		chosen   bool
		shadowed int
	}
	check := func(t *testing.T, h HopJSON, name string, w want) {
		t.Helper()
		got := findHeader(t, h, name)
		if got.Action != w.action || got.Value != w.value || got.Line != w.line || got.ClientControlled != w.chosen || len(got.Shadowed) != w.shadowed {
			t.Errorf("%s at %s: got %+v, want %+v", name, h.Name, got, w)
		}
	}

	// nginx appends to the client's X-Forwarded-For: client-controlled.
	doc := pathsDocFor(t, "TC101/trust-true-append", "")
	hop := doc.Paths[0].Hops[0]
	check(t, hop, "X-Forwarded-For", want{"append", "$proxy_add_x_forwarded_for", 16, true, 0})
	check(t, hop, "X-Forwarded-Proto", want{"set", "$scheme", 17, false, 0})
	check(t, hop, "X-Real-IP", want{"pass", "", 0, true, 0})
	if got := findHeader(t, hop, "X-Forwarded-Proto").From; len(got) != 1 || got[0] != "scheme" {
		t.Errorf("X-Forwarded-Proto from %q, want [scheme]", got)
	}
	hostile := doc.Paths[0].Hostile[0]
	if hostile.Inject != "X-Forwarded-For" || hostile.Result.IP == nil || *hostile.Result.IP != "6.6.6.6" {
		t.Errorf("hostile X-Forwarded-For: got %+v", hostile)
	}

	// The WebSocket location's own list drops the server-level headers:
	// each passes through from the client, and the output says what was lost.
	doc = pathsDocFor(t, "TC401/websocket-location", "loopback")
	ws := doc.Paths[1]
	if !strings.Contains(ws.Entry, "/ws/") {
		t.Fatalf("second path is %s", ws.Entry)
	}
	check(t, ws.Hops[0], "X-Forwarded-For", want{"pass", "", 0, true, 1})
	check(t, ws.Hops[0], "Host", want{"set", "$proxy_host", 0, false, 1})
	if s := findHeader(t, ws.Hops[0], "X-Forwarded-For").Shadowed[0]; s.Line != 15 || s.Level != "server" || s.Value != "$proxy_add_x_forwarded_for" {
		t.Errorf("shadowed X-Forwarded-For: %+v", s)
	}

	// Behind the CDN, what nginx passes on is only as good as the CDN: it
	// sets X-Forwarded-Proto, so nginx's copy is not client-controlled, and
	// the request nginx receives is in the replay.
	doc = pathsDocFor(t, "TC103/cdn-trust-one", "")
	p := doc.Paths[0]
	if p.Kind != "edge" || len(p.Hops) != 2 || p.Honest.AtNginx == nil {
		t.Fatalf("cdn path: kind %s, %d hops, at_nginx %v", p.Kind, len(p.Hops), p.Honest.AtNginx)
	}
	check(t, p.Hops[0], "X-Forwarded-For", want{"append", "x_forwarded_for: append", 7, true, 0})
	check(t, p.Hops[0], "X-Forwarded-Proto", want{"set", "x_forwarded_proto: set", 7, false, 0})
	if p.Honest.AtNginx.Peer != p.Hops[0].Addr || !p.Honest.AtNginx.TLS {
		t.Errorf("at_nginx: %+v", p.Honest.AtNginx)
	}

	// A wildcard bind: the direct path has no hops and the client's
	// headers arrive as sent.
	doc = pathsDocFor(t, "TC106/wildcard-hop-count", "")
	last := doc.Paths[len(doc.Paths)-1]
	if last.Kind != "app" || len(last.Hops) != 0 || !reflect.DeepEqual(last.Honest.Request.Headers, last.Honest.AtApp.Headers) {
		t.Errorf("direct path: %+v", last)
	}
}

func TestPathsRealIPMakesClientAddressChosen(t *testing.T) {
	dir := t.TempDir()
	conf := `events {}
http {
    server {
        listen 80;
        server_name app.example;
        set_real_ip_from 0.0.0.0/0;
        real_ip_header X-Forwarded-For;
        location / {
            proxy_pass http://127.0.0.1:3000;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $remote_addr;
        }
    }
}
`
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	o := Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: "json", TrustProxy: "loopback", TrustProxySet: true}
	if err := RunPaths(o, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var doc PathsDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	hop := doc.Paths[0].Hops[0]
	if hop.ClientAddr == "" {
		t.Errorf("hop has no client_addr despite realip")
	}
	for _, name := range []string{"X-Real-IP", "X-Forwarded-For"} {
		h := findHeader(t, hop, name)
		if h.Action != "set" || !h.ClientControlled {
			t.Errorf("%s: %+v; want set from a client-chosen $remote_addr", name, h)
		}
	}
}

func TestPathsErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := RunPaths(Options{}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "trustcheck paths") {
		t.Errorf("no input: %v", err)
	}
	o := fixture("TC101/trust-true-append")
	o.Format = "sarif"
	if err := RunPaths(o, &out, &errOut); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("--format sarif: %v", err)
	}
	o = fixture("TC101/trust-true-append")
	o.Inputs = []string{filepath.Join(t.TempDir(), "missing.conf")}
	if err := RunPaths(o, &out, &errOut); err == nil {
		t.Errorf("missing file: no error")
	}
}

func TestPathsWithoutTrustSettingHasNullResults(t *testing.T) {
	o := fixture("TC401/websocket-location")
	o.Format = "json"
	var out, errOut bytes.Buffer
	if err := RunPaths(o, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var doc PathsDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.App.TrustProxy != nil || doc.App.Evaluator != "" {
		t.Errorf("app: %+v", doc.App)
	}
	if !strings.Contains(out.String(), `"result": null`) {
		t.Errorf("results are not null without a trust setting")
	}
	// The requests are still modelled.
	if got := doc.Paths[0].Honest.AtApp.Peer; got != "127.0.0.1" {
		t.Errorf("at_app peer %q", got)
	}
}

// TestPathsSeveralApps: with apps:, each path names the app it reaches and
// its results are that app's; a target no app claims has no path.
func TestPathsSeveralApps(t *testing.T) {
	t.Chdir("..")
	dir := filepath.Join("testdata", "e2e", "topologies", "two-apps")
	out, _ := runPaths(t, Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: "json"})
	var doc PathsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var apps, reached []string
	for _, a := range doc.Apps {
		apps = append(apps, a.Name+" "+a.Evaluator)
	}
	for _, p := range doc.Paths {
		reached = append(reached, p.App+" "+p.URL)
	}
	if want := []string{"web express 5", "stream fastify 5"}; !slices.Equal(apps, want) {
		t.Errorf("apps %q, want %q", apps, want)
	}
	if want := []string{"web http://app.example/", "stream http://app.example/stream/"}; !slices.Equal(reached, want) {
		t.Errorf("paths reach %q, want %q", reached, want)
	}
	if doc.App.Name != "web" {
		t.Errorf("app is %q, want the first, web", doc.App.Name)
	}
	// Fastify trusting 127.0.0.1 lists nginx's address in request.ips.
	if ips := doc.Paths[1].Honest.Result.IPs; len(ips) != 2 || *ips[0] != "127.0.0.1" || *ips[1] != "203.0.113.7" {
		t.Errorf("stream's honest ips: %+v", doc.Paths[1].Honest.Result)
	}
	text, _ := runPaths(t, Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}, WorkDir: dir, Format: "text"})
	for _, want := range []string{"app stream: fastify 5, trust proxy \"127.0.0.1\"", "reaches app stream\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
}
