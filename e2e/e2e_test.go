//go:build e2e && linux

package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustcheck/trustcheck/internal/nginxtest"

	"gopkg.in/yaml.v3"

	"github.com/trustcheck/trustcheck/lint"
)

// The addresses of the namespace, matching what trustcheck simulates: the
// honest client is 203.0.113.7, nginx is reached at 10.9.0.1, a stand-in CDN
// or load balancer (a second nginx server) at 10.9.0.2 (proxy_bind). Every
// other peer a replay names (an edge's address, ::1) is added to lo as needed.
var nsAddrs = []string{"203.0.113.7/32", "10.9.0.1/32", "10.9.0.2/32"}

const (
	nginxAddr    = "10.9.0.1"
	cdnAddr      = "10.9.0.2"
	envNetns     = "TC_E2E_NETNS"
	nginxVersion = "1.22.1"
)

// fixtureRoots hold DIR/nginx.conf + DIR/trustcheck.yaml topologies.
var fixtureRoots = []string{"../testdata/rules", "../testdata/e2e/topologies"}

// majors is which app servers run for a Node fixture's framework: run i of
// a fixture runs each of its apps at the i'th major of its framework.
var majors = map[string][]string{"express": {"4", "5"}, "fastify": {"4", "5"}, "koa": {"2", "3"}}

// serverVersions are what the app servers of Ruby, PHP and the JVM run
// (appServer): the versions Debian packages, whatever the YAML names;
// Laravel's TrustProxies as 10 and then 11.
var serverVersions = map[string][]string{"rails": {"6.1"}, "symfony": {"5.4"}, "laravel": {"10", "11"}, "spring-boot": {"3"}}

// versions are the versions the suite runs framework at ("" when it runs
// no app of that framework). Run i of a fixture runs each app at the i'th,
// or its framework's last.
func versions(framework string) []string {
	for _, m := range []map[string][]string{majors, pythonVersions, goVersions, serverVersions} {
		if v, ok := m[framework]; ok {
			return v
		}
	}
	return nil
}

// versionFor is the version run i of a fixture runs framework at.
func versionFor(framework string, run int) string {
	v := versions(framework)
	return v[min(run, len(v)-1)]
}

// ownClientIP are the client_ip_from readings app.js runs a real package
// for ("" is the framework's).
var ownClientIP = []string{"", "framework", "request-ip"}

// TestE2E creates the namespace and re-runs this test binary inside it.
func TestE2E(t *testing.T) {
	if os.Getenv(envNetns) != "" {
		runInside(t)
		return
	}
	if testing.Short() {
		t.Skip("e2e: starts nginx and node; skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("e2e: skipped: needs root for a private network namespace (ip netns)")
	}
	for _, bin := range []string{"ip", "node"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("e2e: skipped: no %s on PATH", bin)
		}
	}
	if _, err := os.Stat(nginxBin()); err != nil {
		t.Skip("e2e: skipped: no nginx (apt-get install nginx-light)")
	}
	if _, err := os.Stat("../testdata/vectors/gen/node_modules/express5"); err != nil {
		t.Skip("e2e: skipped: run `npm ci` in testdata/vectors/gen first")
	}
	checkPython(t)
	goServers := t.TempDir()
	buildGoServers(t, goServers)
	ns := fmt.Sprintf("tc-e2e-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("e2e: skipped: ip netns unavailable: %v %s", err, out)
	}
	defer func() {
		// Anything still running in the namespace was started by this test.
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v %s", ns, err, out)
		}
	}()
	setup := [][]string{{"link", "set", "lo", "up"}}
	for _, a := range nsAddrs {
		setup = append(setup, []string{"addr", "add", a, "dev", "lo"})
	}
	for _, args := range setup {
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip -n %s %s: %v %s", ns, strings.Join(args, " "), err, out)
		}
	}
	// Minutes on an idle machine; more when it is shared.
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	args := []string{"netns", "exec", ns, os.Args[0], "-test.run=^TestE2E$", "-test.count=1", "-test.v"}
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = append(os.Environ(), envNetns+"="+ns, envGoServers+"="+goServers)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		t.Fatalf("the suite inside namespace %s failed: %v", ns, err)
	}
}

func nginxBin() string {
	p, _ := nginxtest.Binary()
	return p
}

// ---- trustcheck paths --format json (lint.PathsDoc, decoded from its JSON) ----

type pathsDoc struct {
	App   appDoc   `json:"app"`
	Apps  []appDoc `json:"apps"` // every app, when trustcheck.yaml lists several
	Paths []struct {
		Entry   string   `json:"entry"`
		App     string   `json:"app"` // the name of the app the path reaches
		Kind    string   `json:"kind"`
		URL     string   `json:"url"`
		Listen  []string `json:"listen"`
		Honest  replay   `json:"honest"`
		Hostile []replay `json:"hostile"`
	} `json:"paths"`
}

type appDoc struct {
	Name         string          `json:"name"`
	Framework    string          `json:"framework"`
	Version      string          `json:"version"`
	TrustProxy   json.RawMessage `json:"trust_proxy"`
	Options      json.RawMessage `json:"options"`
	Server       map[string]any  `json:"server"`
	Middleware   json.RawMessage `json:"middleware"`
	TrustError   string          `json:"trust_error"`
	Listen       string          `json:"listen"`
	ClientIPFrom string          `json:"client_ip_from"`
}

// apps are the doc's apps: the one app, or each of several.
func (d *pathsDoc) apps() []appDoc {
	if len(d.Apps) > 0 {
		return d.Apps
	}
	return []appDoc{d.App}
}

// appNamed is the app a path reaches.
func (d *pathsDoc) appNamed(name string) (appDoc, bool) {
	for _, a := range d.apps() {
		if a.Name == name || len(d.Apps) == 0 {
			return a, true
		}
	}
	return appDoc{}, false
}

type replay struct {
	Inject  string                     `json:"inject"`
	Value   string                     `json:"value"`
	Request request                    `json:"request"`
	AtNginx *request                   `json:"at_nginx"`
	AtApp   request                    `json:"at_app"`
	Result  map[string]json.RawMessage `json:"result"`
}

type request struct {
	Peer    string      `json:"peer"`
	TLS     bool        `json:"tls"`
	Headers [][2]string `json:"headers"`
}

// pathsFor runs `trustcheck paths --format json` on the fixture with each
// app's framework_version set to the run'th of its framework's versions
// (and a Python app server's to Debian's; run -1: as the fixture says).
func pathsFor(fx fixture, run int, tmp string) (*pathsDoc, error) {
	app := fx.yaml
	if run >= 0 {
		var root yaml.Node
		if err := yaml.Unmarshal(fx.yaml, &root); err != nil {
			return nil, err
		}
		setAppVersions(&root, run)
		out, err := yaml.Marshal(&root)
		if err != nil {
			return nil, err
		}
		app = out
	}
	appFile := filepath.Join(tmp, fmt.Sprintf("trustcheck-%d.yaml", run))
	if err := os.WriteFile(appFile, app, 0o600); err != nil {
		return nil, err
	}
	var out, errb bytes.Buffer
	err := lint.RunPaths(lint.Options{Inputs: []string{fx.conf}, AppFile: appFile, Format: "json", Quiet: true, NginxVersion: nginxVersion}, &out, &errb)
	if err != nil {
		return nil, fmt.Errorf("trustcheck paths: %v %s", err, errb.String())
	}
	var doc pathsDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// setAppVersions sets the framework_version of `app:` or of each of `apps:`
// to the run'th version of its framework (express when it names none).
func setAppVersions(root *yaml.Node, run int) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch v := m.Content[i+1]; {
		case m.Content[i].Value == "app" && v.Kind == yaml.MappingNode:
			setAppVersion(v, run)
		case m.Content[i].Value == "apps" && v.Kind == yaml.SequenceNode:
			for _, app := range v.Content {
				if app.Kind == yaml.MappingNode {
					setAppVersion(app, run)
				}
			}
		}
	}
}

func setAppVersion(app *yaml.Node, run int) {
	framework := "express"
	for j := 0; j+1 < len(app.Content); j += 2 {
		if app.Content[j].Value == "framework" {
			framework = app.Content[j+1].Value
		}
	}
	if versions(framework) == nil {
		return
	}
	setScalar(app, "framework_version", versionFor(framework, run))
	if pythonVersions[framework] != nil {
		pinPythonServer(app)
	}
}

// setScalar sets key to the string value in mapping m.
func setScalar(m *yaml.Node, key, value string) {
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			m.Content[j+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// ---- fixtures ----

type fixture struct {
	name, dir, conf string
	yaml            []byte
}

func loadFixtures(t *testing.T) []fixture {
	var out []fixture
	for _, root := range fixtureRoots {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "trustcheck.yaml" {
				return nil
			}
			dir := filepath.Dir(p)
			conf := filepath.Join(dir, "nginx.conf")
			if _, err := os.Stat(conf); err != nil {
				return nil
			}
			y, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			name, _ := filepath.Rel(filepath.Dir(root), dir)
			out = append(out, fixture{name: filepath.ToSlash(name), dir: dir, conf: conf, yaml: y})
			return nil
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// ---- the run inside the namespace ----

type suite struct {
	t                  *testing.T
	cert, key          []byte
	appDir             string // testdata/e2e: app.js, app.py
	appJS              string
	checks, failures   map[string]int // requests compared, and mismatches, per framework
	addrs              map[string]bool
	passed, failed     int
	topologies         int
	rejections         int
	skipped            []string
	nginxRuns, appRuns int
	// servers run the apps of Ruby, PHP and the JVM (apps_ruby.go,
	// apps_php.go, apps_jvm.go); Node, Python and Go apps are commands
	// (appCommand).
	servers map[string]appServer
}

// appServer runs the real apps of one ecosystem (apps_ruby.go, apps_php.go,
// apps_jvm.go).
type appServer interface {
	// cannotRun says why app cannot run here ("" when it can).
	cannotRun(app appDoc) string
	// start runs app on listen (comma-separated) until stop; the error of
	// an app that does not start carries the framework's own message.
	start(t *testing.T, app appDoc, listen string) (stop func(), err error)
	close()
}

// newAppServers are the app servers of the frameworks beyond Node.
func newAppServers(t *testing.T) map[string]appServer {
	php := &phpServer{}
	return map[string]appServer{"rails": &rubyServer{}, "symfony": php, "laravel": php, "spring-boot": &jvmServer{t: t}}
}

// notRun says why a framework's apps are not run at all.
func notRun(framework string) string {
	if framework == "aspnetcore" {
		return "ASP.NET Core cannot run here (Debian 12 packages no .NET runtime)"
	}
	return "no app server for it in the e2e suite"
}

// batchCase is app as a simulate --batch case without its request: what the
// app servers beyond Node are configured from.
func (a appDoc) batchCase() map[string]any {
	c := map[string]any{"framework": a.Framework, "version": a.Version}
	if len(a.TrustProxy) > 0 {
		c["trust_proxy"] = a.TrustProxy
	}
	if len(a.Options) > 0 && string(a.Options) != "null" {
		c["options"] = a.Options
	}
	if a.Server != nil {
		c["server"] = a.Server
	}
	return c
}

func runInside(t *testing.T) {
	start := time.Now()
	appDir, err := filepath.Abs("../testdata/e2e")
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{t: t, appDir: appDir, appJS: filepath.Join(appDir, "app.js"), checks: map[string]int{}, failures: map[string]int{}, addrs: map[string]bool{}}
	s.servers = newAppServers(t)
	defer func() {
		for _, srv := range s.servers {
			srv.close()
		}
	}()
	s.cert, s.key, _, err = nginxtest.SelfSignedCert("app.example", "*.example")
	if err != nil {
		t.Fatal(err)
	}
	only := os.Getenv("TC_E2E_ONLY") // comma-separated substrings of fixture names, for debugging
	for _, fx := range loadFixtures(t) {
		if !slices.ContainsFunc(strings.Split(only, ","), func(o string) bool { return strings.Contains(fx.name, o) }) {
			continue
		}
		t.Run(fx.name, func(t *testing.T) { s.fixture(t, fx) })
	}
	for _, sk := range s.skipped {
		fmt.Println("skipped:", sk)
	}
	fmt.Printf("e2e: %d topologies reaching an app, %d nginx runs, %d app servers, %d rejected trust settings checked, %v\n",
		s.topologies, s.nginxRuns, s.appRuns, s.rejections, time.Since(start).Round(time.Millisecond))
	fmt.Println("e2e: checks per framework:", s.checksPerFramework())
	fmt.Printf("%d passed, %d failed\n", s.passed, s.failed)
	if only == "" && s.topologies < 25 {
		t.Errorf("only %d topologies reached an app, want at least 25", s.topologies)
	}
	for _, m := range []map[string][]string{pythonVersions, goVersions, serverVersions} {
		for _, fw := range slices.Sorted(maps.Keys(m)) {
			if only == "" && s.checks[fw] == 0 {
				t.Errorf("no %s app was checked (see the skipped lines)", fw)
			}
		}
	}
}

// checksPerFramework is "express 120, flask 36 (2 failed), ...".
func (s *suite) checksPerFramework() string {
	var out []string
	for _, f := range slices.Sorted(maps.Keys(s.checks)) {
		c := fmt.Sprintf("%s %d", f, s.checks[f])
		if n := s.failures[f]; n > 0 {
			c += fmt.Sprintf(" (%d failed)", n)
		}
		out = append(out, c)
	}
	return strings.Join(out, ", ")
}

func (s *suite) fixture(t *testing.T, fx fixture) {
	tmp := t.TempDir()
	probe, err := pathsFor(fx, -1, tmp)
	if err != nil {
		t.Fatal(err)
	}
	runCount := 1
	for _, a := range probe.apps() {
		if versions(a.Framework) == nil {
			s.skipped = append(s.skipped, fx.name+": framework "+a.Framework+": "+notRun(a.Framework))
			return
		}
		if srv := s.servers[a.Framework]; srv != nil {
			if why := srv.cannotRun(a); why != "" {
				s.skipped = append(s.skipped, fx.name+": "+a.Framework+": "+why)
				return
			}
		}
		if !slices.Contains(ownClientIP, a.ClientIPFrom) {
			s.skipped = append(s.skipped, fx.name+": client_ip_from "+a.ClientIPFrom+" is the app's own code, not a package to run")
			return
		}
		runCount = max(runCount, len(versions(a.Framework)))
	}
	type run struct {
		major string // the majors of the apps, "express 4, fastify 4"
		doc   *pathsDoc
	}
	var runs []run
	for i := range runCount {
		doc, err := pathsFor(fx, i, tmp)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range doc.apps() {
			v := a.Version
			if v == "" { // an app section without framework_version to set
				v = versionFor(a.Framework, i)
			}
			names = append(names, a.Framework+" "+v)
			if a.TrustError != "" && a.Listen != "" {
				// trustcheck says the framework rejects this trust setting:
				// the real app must refuse to start with the same message.
				s.expectRejected(t, a)
			}
		}
		major := strings.Join(names, ", ")
		if why := unusable(doc); why != "" {
			s.skipped = append(s.skipped, fmt.Sprintf("%s (%s): %s", fx.name, major, why))
			continue
		}
		runs = append(runs, run{major, doc})
	}
	if len(runs) == 0 {
		return
	}
	s.topologies++

	dir := filepath.Join(tmp, "nginx")
	conf, sock, upstreams := s.render(t, fx, fx.conf, dir)
	s.startNginx(t, dir, conf, listenAddrs(runs[0].doc))
	// A cdn.conf beside the fixture is a second nginx standing in for the
	// edge that trustcheck.yaml declares, listening on 10.9.0.2:8080 and
	// 10.9.0.2:8443 ssl: edge paths then go through it.
	var cdn *cdnInfo
	if _, err := os.Stat(filepath.Join(fx.dir, "cdn.conf")); err == nil {
		cdir := filepath.Join(tmp, "cdn")
		cconf, _, _ := s.render(t, fx, filepath.Join(fx.dir, "cdn.conf"), cdir)
		text, _ := os.ReadFile(cconf)
		var addrs []string
		for _, m := range listenRE.FindAllStringSubmatch(string(text), -1) {
			host, port := listenHostPort(m[1])
			addrs = append(addrs, net.JoinHostPort(dialHost(host, "127.0.0.1"), port))
		}
		s.startNginx(t, cdir, cconf, addrs)
		cdn = &cdnInfo{tls: strings.Contains(string(text), "proxy_pass https://")}
	}

	for _, r := range runs {
		var stops []func()
		for _, a := range r.doc.apps() {
			listen := a.Listen
			if strings.HasPrefix(listen, "unix:") {
				listen = "unix:" + sock
			}
			if len(r.doc.Apps) == 0 {
				// One app without upstreams is every proxy_pass target: serve
				// the other loopback upstreams of the config with the same app.
				_, appPort := listenHostPort(listen)
				for _, up := range upstreams {
					if _, port := listenHostPort(up); port != appPort && !strings.Contains(listen, up) {
						listen += "," + up
					}
				}
			}
			stops = append(stops, s.startApp(t, a, listen))
		}
		shown := 0
		for _, p := range r.doc.Paths {
			app, ok := r.doc.appNamed(p.App)
			for _, rp := range append([]replay{p.Honest}, p.Hostile...) {
				what := "honest"
				if rp.Inject != "" {
					what = fmt.Sprintf("hostile %s: %q", rp.Inject, rp.Value)
				}
				msg := fmt.Sprintf("  the path names app %q, which trustcheck paths does not list", p.App)
				if ok {
					msg = s.check(app, p.Kind, p.URL, p.Listen, rp, cdn)
				}
				framework := cmp.Or(app.Framework, "?")
				s.checks[framework]++
				if msg == "" {
					s.passed++
					continue
				}
				s.failed++
				s.failures[framework]++
				if shown++; shown <= 8 {
					t.Errorf("%s, path %s, %s:\n%s", r.major, p.Entry, what, msg)
				}
			}
		}
		for _, stop := range stops {
			stop()
		}
	}
}

// expectRejected starts the app with a trust setting trustcheck predicts
// the framework rejects, and wants it to fail with trustcheck's message.
func (s *suite) expectRejected(t *testing.T, app appDoc) {
	s.rejections++
	if srv := s.servers[app.Framework]; srv != nil {
		s.checks[app.Framework]++
		stop, err := srv.start(t, app, "127.0.0.1:0")
		if err != nil && strings.Contains(err.Error(), app.TrustError) {
			s.passed++
			return
		}
		if err == nil {
			stop()
		}
		s.failed++
		s.failures[app.Framework]++
		t.Errorf("%s %s with trust proxy %s: trustcheck predicts the framework rejects it (%q); the app: %v",
			app.Framework, app.Version, app.TrustProxy, app.TrustError, err)
		return
	}
	cmd := s.appCommand(app, "127.0.0.1:0")
	// Its own process group, so that an app server that starts after all
	// (workers included) is stopped after 15s.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Start()
	if err == nil {
		timer := time.AfterFunc(15*time.Second, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
		err = cmd.Wait()
		timer.Stop()
	}
	s.checks[app.Framework]++
	if err != nil && strings.Contains(out.String(), app.TrustError) {
		s.passed++
		return
	}
	s.failed++
	s.failures[app.Framework]++
	t.Errorf("%s %s with trust proxy %s: trustcheck predicts the framework rejects it (%q); the app: err %v, output %.300s",
		app.Framework, app.Version, app.TrustProxy, app.TrustError, err, out.String())
}

// cdnInfo is a running stand-in CDN: whether it connects to nginx over TLS.
type cdnInfo struct{ tls bool }

// unusable says why a doc cannot be compared ("" when it can).
func unusable(doc *pathsDoc) string {
	for _, a := range doc.apps() {
		if a.TrustError != "" {
			return "trust setting rejected: " + a.TrustError
		}
		if a.Listen == "" {
			return "no app listen address"
		}
	}
	if len(doc.Paths) == 0 {
		return "no path reaches the app"
	}
	for _, p := range doc.Paths {
		if p.Honest.Result == nil {
			return "no predicted result (trust setting unknown)"
		}
	}
	return ""
}

var (
	httpBlockRE = regexp.MustCompile(`(?m)^\s*http\s*\{`)
	sslCertRE   = regexp.MustCompile(`(?m)^(\s*)ssl_certificate(_key)?\s+[^;]*;`)
	unixRE      = regexp.MustCompile(`unix:/[^;\s]*`)
	listenRE    = regexp.MustCompile(`(?m)^\s*listen\s+([^;\s]+)`)
	upstreamRE  = regexp.MustCompile(`proxy_pass\s+https?://((?:127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+)`)
)

// render copies the fixture's directory to dir and adapts nginx.conf: the
// test's certificate, temp paths and no access log, and a UNIX upstream in
// dir. It returns the config, the UNIX socket path and the loopback
// host:port upstreams the config proxies to.
func (s *suite) render(t *testing.T, fx fixture, src, dir string) (string, string, []string) {
	if err := os.CopyFS(dir, os.DirFS(fx.dir)); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"e2e-cert.pem": s.cert, "e2e-key.pem": s.key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "app.sock")
	out := sslCertRE.ReplaceAllStringFunc(string(text), func(m string) string {
		if strings.Contains(m, "ssl_certificate_key") {
			return " ssl_certificate_key e2e-key.pem;"
		}
		return " ssl_certificate e2e-cert.pem;"
	})
	out = unixRE.ReplaceAllString(out, "unix:"+sock)
	loc := httpBlockRE.FindStringIndex(out)
	if loc == nil {
		t.Fatalf("%s: no http block", src)
	}
	common := "\n    access_log off;\n    client_body_temp_path client_body_temp;\n    proxy_temp_path proxy_temp;\n" +
		"    fastcgi_temp_path fastcgi_temp;\n    uwsgi_temp_path uwsgi_temp;\n    scgi_temp_path scgi_temp;\n"
	if !sslCertRE.MatchString(string(text)) {
		common += "    ssl_certificate e2e-cert.pem;\n    ssl_certificate_key e2e-key.pem;\n"
	}
	out = out[:loc[1]] + common + out[loc[1]:]
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	var ups []string
	for _, m := range upstreamRE.FindAllStringSubmatch(out, -1) {
		if !slices.Contains(ups, m[1]) {
			ups = append(ups, m[1])
		}
	}
	return conf, sock, ups
}

// listenAddrs is where to dial to see nginx listening on doc's paths.
func listenAddrs(doc *pathsDoc) []string {
	var addrs []string
	for _, p := range doc.Paths {
		for _, l := range p.Listen {
			host, port := listenHostPort(l)
			addrs = append(addrs, net.JoinHostPort(dialHost(host, "127.0.0.1"), port))
		}
	}
	return addrs
}

func (s *suite) startNginx(t *testing.T, dir, conf string, addrs []string) {
	s.nginxRuns++
	errorLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(nginxBin(), "-p", dir+"/", "-c", conf, "-e", errorLog,
		"-g", "daemon off; master_process off; pid "+filepath.Join(dir, "nginx.pid")+";")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if err := <-exited; err != nil && !strings.Contains(err.Error(), "killed") {
			log, _ := os.ReadFile(errorLog)
			t.Errorf("nginx %s exited early: %v\n%s\n%s", conf, err, stderr.String(), log)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case err := <-exited:
				exited <- err
				log, _ := os.ReadFile(errorLog)
				t.Fatalf("nginx exited: %v\n%s\n%s", err, stderr.String(), log)
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(errorLog)
				t.Fatalf("nginx not listening on %s: %v\n%s", a, err, log)
			}
		}
	}
}

// startApp runs app's server on listen (a comma list) — testdata/e2e/app.js,
// app.py, a Go server, or the app server of its ecosystem — and waits
// until it is ready.
func (s *suite) startApp(t *testing.T, app appDoc, listen string) (stop func()) {
	s.appRuns++
	if srv := s.servers[app.Framework]; srv != nil {
		stop, err := srv.start(t, app, listen)
		if err != nil {
			t.Fatalf("app %s %s did not start: %v", app.Framework, app.Version, err)
		}
		return stop
	}
	stop, err := startReady(t, s.appCommand(app, listen), 15*time.Second)
	if err != nil {
		t.Fatalf("app %s %s did not start: %v", app.Framework, app.Version, err)
	}
	return stop
}

// startReady starts an app server that prints "ready" on stdout once
// listening, and waits for that line. It runs in its own process group, so
// that an app server's workers (gunicorn's) stop with it; one that exits
// first or is not ready within wait is an error with its stderr.
func startReady(t *testing.T, cmd *exec.Cmd, wait time.Duration) (func(), error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line == "ready\n"
		_, _ = io.Copy(io.Discard, stdout)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}
	t.Cleanup(stop)
	select {
	case ok := <-ready:
		if !ok {
			stop()
			return nil, errors.New(strings.TrimSpace(stderr.String()))
		}
	case <-time.After(wait):
		stop()
		return nil, fmt.Errorf("no ready line in %v: %s", wait, stderr.String())
	}
	return stop, nil
}

// appCommand is the command that serves app on listen: each ecosystem's
// real framework behind its real server.
func (s *suite) appCommand(app appDoc, listen string) *exec.Cmd {
	switch {
	case pythonVersions[app.Framework] != nil:
		return s.pythonCommand(app, listen)
	case goVersions[app.Framework] != nil:
		return s.goCommand(app, listen)
	}
	return s.nodeCommand(app, listen)
}

// nodeCommand is testdata/e2e/app.js serving app on listen.
func (s *suite) nodeCommand(app appDoc, listen string) *exec.Cmd {
	trust := "<absent>"
	if len(app.TrustProxy) > 0 {
		trust = string(app.TrustProxy)
	}
	opts := "null"
	if len(app.Options) > 0 {
		opts = string(app.Options)
	}
	args := []string{s.appJS, app.Framework, app.Version, trust, opts, listen}
	if app.ClientIPFrom != "" {
		args = append(args, app.ClientIPFrom)
	}
	return exec.Command("node", args...)
}

// listenHostPort splits a paths listen entry ("*:443 ssl", "[::]:80").
func listenHostPort(l string) (string, string) {
	addr := strings.Fields(l)[0]
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "*", addr
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

// dialHost is where to connect to reach a socket listening on host.
func dialHost(host, wildcard string) string {
	switch host {
	case "*", "", "0.0.0.0":
		return wildcard
	case "::":
		return "::1"
	}
	return host
}

// check sends one replay along its path to app and compares the app's
// answer with the predicted result; it returns the mismatch ("" when equal).
func (s *suite) check(app appDoc, kind, rawURL string, listens []string, rp replay, cdn *cdnInfo) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err.Error()
	}
	var req request
	var dst string
	switch {
	case kind == "edge" && cdn != nil:
		// The client's own request, to the stand-in CDN, which must connect
		// the way trustcheck's edge does.
		if rp.AtNginx == nil || rp.AtNginx.Peer != cdnAddr || rp.AtNginx.TLS != cdn.tls {
			return fmt.Sprintf("  the stand-in CDN connects from %s (tls %v) but trustcheck's edge hop does not: %+v", cdnAddr, cdn.tls, rp.AtNginx)
		}
		req = rp.Request
		dst = net.JoinHostPort(cdnAddr, "8080")
		if req.TLS {
			dst = net.JoinHostPort(cdnAddr, "8443")
		}
	case kind == "nginx" || kind == "edge":
		req = rp.Request
		if kind == "edge" {
			if rp.AtNginx == nil {
				return "edge path without at_nginx"
			}
			req = *rp.AtNginx // the edge's request, from the edge's address
		}
		for _, l := range listens {
			if strings.Contains(" "+l+" ", " ssl ") != req.TLS {
				continue
			}
			host, port := listenHostPort(l)
			wild := nginxAddr
			if a, err := netip.ParseAddr(req.Peer); err == nil && a.Is6() && !a.Is4In6() {
				wild = "::1"
			}
			dst = net.JoinHostPort(dialHost(host, wild), port)
			break
		}
		if dst == "" {
			return fmt.Sprintf("no listen in %q for tls=%v", listens, req.TLS)
		}
	case kind == "app":
		req = rp.AtApp
		host, port := listenHostPort(app.Listen)
		dst = net.JoinHostPort(dialHost(host, nginxAddr), port)
	default:
		return "unknown path kind " + kind
	}
	if err := s.ensureAddr(req.Peer); err != nil {
		return err.Error()
	}
	status, body, err := send(dst, req, u)
	sent := describe(dst, req, u.RequestURI())
	if err != nil {
		return fmt.Sprintf("  sent %s\n  request failed: %v", sent, err)
	}
	var got map[string]json.RawMessage
	jsonErr := json.Unmarshal(body, &got)
	switch {
	case status != http.StatusOK && jsonErr == nil && got["raised"] != nil:
		// The framework answered the request itself and the app says which
		// exception did (Werkzeug routing's WebsocketMismatch): compare.
	case status != http.StatusOK && predictedRefusal(rp.Result):
		return "" // the server answered itself, as predicted; it names no class
	case status != http.StatusOK:
		return fmt.Sprintf("  sent %s\n  status %d: %.200s", sent, status, strings.Join(strings.Fields(string(body)), " "))
	case jsonErr != nil:
		return fmt.Sprintf("  sent %s\n  not the app's JSON: %.200s", sent, body)
	}
	var diff strings.Builder
	// raised: where an accessor raises (Django's DisallowedHost), the app
	// server answers {"raised": {"host": CLASS, ...}} as trustcheck does.
	for _, k := range []string{"ip", "ips", "protocol", "secure", "host", "hostname", "raised"} {
		want, have := norm(rp.Result[k]), norm(got[k])
		if !reflect.DeepEqual(want, have) {
			fmt.Fprintf(&diff, "\n  %s: predicted %s, observed %s", k, orNull(rp.Result[k]), orNull(got[k]))
		}
	}
	if diff.Len() == 0 {
		return ""
	}
	return "  sent " + sent + diff.String()
}

// predictedRefusal reports a result that says the server or framework
// answers the request itself ({"raised": {"request": CLASS}}).
func predictedRefusal(result map[string]json.RawMessage) bool {
	var raised map[string]string
	return json.Unmarshal(result["raised"], &raised) == nil && raised["request"] != ""
}

func norm(r json.RawMessage) any {
	if len(r) == 0 {
		return nil
	}
	var v any
	_ = json.Unmarshal(r, &v)
	return v
}

func orNull(r json.RawMessage) string {
	if len(r) == 0 {
		return "null"
	}
	return string(r)
}

func describe(dst string, req request, target string) string {
	var h []string
	for _, kv := range req.Headers {
		h = append(h, kv[0]+": "+kv[1])
	}
	scheme := "http"
	if req.TLS {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s%s from %s [%s]", scheme, dst, target, req.Peer, strings.Join(h, " | "))
}

// ensureAddr puts a replay's peer address on lo (inside the namespace).
func (s *suite) ensureAddr(peer string) error {
	a, err := netip.ParseAddr(peer)
	if err != nil {
		return fmt.Errorf("peer %q: %v", peer, err)
	}
	if a.IsLoopback() || s.addrs[peer] {
		return nil
	}
	for _, p := range nsAddrs {
		if strings.TrimSuffix(p, "/32") == peer {
			return nil
		}
	}
	prefix := peer + "/32"
	if a.Is6() {
		prefix = peer + "/128"
	}
	if out, err := exec.Command("ip", "addr", "add", prefix, "dev", "lo", "nodad").CombinedOutput(); err != nil && !strings.Contains(string(out), "File exists") {
		if out2, err2 := exec.Command("ip", "addr", "add", prefix, "dev", "lo").CombinedOutput(); err2 != nil && !strings.Contains(string(out2), "File exists") {
			return fmt.Errorf("ip addr add %s: %v %s", prefix, err2, out2)
		}
	}
	s.addrs[peer] = true
	return nil
}

// send writes the request's exact header lines over a fresh connection from
// its peer address and returns the response.
func send(dst string, req request, u *url.URL) (int, []byte, error) {
	src := netip.MustParseAddr(req.Peer)
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", dst)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, nil, err
	}
	if req.TLS {
		// SNI names the path's server (the one the honest client asks for);
		// a hostile Host header does not change it.
		sni := u.Hostname()
		if net.ParseIP(sni) != nil {
			sni = ""
		}
		tc := tls.Client(conn, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			return 0, nil, err
		}
		conn = tc
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\n", u.RequestURI())
	for _, kv := range req.Headers {
		b.WriteString(kv[0] + ": " + kv[1] + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	if _, err := conn.Write(b.Bytes()); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}
