//go:build linux

// The ground-truth test for the nginx model: every fixture under
// testdata/nginx/truth runs under the real nginx binary in front of an echo
// upstream, and the header lines the upstream receives must equal what
// Location.Proxy.Hop.Forward predicts for the same request.
//
// Linux only: clients bind to 127.0.0.x source addresses (the whole of
// 127.0.0.0/8 is local on Linux, not on macOS or BSD), and nginx is tied to
// the test's lifetime with Pdeathsig.

package nginxconf_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trustcheck/trustcheck/internal/nginxtest"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

const (
	truthDir  = "../testdata/nginx/truth"
	truthHost = "app.example" // the honest Host, and the certificate's name
)

// Every request is sent once from each source: in the realip fixtures
// 127.0.0.2 is the trusted load balancer and 127.0.0.9 an untrusted client.
var truthSources = []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.9")}

// Always compared; a fixture adds every name it proxy_set_headers.
var truthCompared = []string{"Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP", "Forwarded"}

// truthRequest is one request as raw header lines, so spacing, case and
// repeated lines reach nginx exactly as written. The harness adds
// "Host: app.example" unless the request has a Host line or noHost is set,
// and always ends with "Connection: close".
type truthRequest struct {
	name   string
	proto  string // "HTTP/1.1" when empty
	noHost bool
	lines  []string
	// rejected is the status nginx answers without proxying (the model has
	// no say: the request never reaches a location).
	rejected int
}

// truthRequests is sent to every URI of every fixture: one honest request
// and hostile ones that inject forwarding headers in the shapes that split
// nginx's, the model's and the frameworks' parsers.
var truthRequests = []truthRequest{
	{name: "honest"},
	{name: "xff", lines: []string{"X-Forwarded-For: 6.6.6.6"}},
	{name: "xff-chain", lines: []string{"X-Forwarded-For: 6.6.6.6, 10.0.0.7, 127.0.0.2"}},
	{name: "xff-lines", lines: []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 10.0.0.7"}},
	{name: "xff-spacing", lines: []string{"X-Forwarded-For:    6.6.6.6 ,,10.0.0.7 ,   "}},
	{name: "xff-unknown-last", lines: []string{"X-Forwarded-For: 6.6.6.6, unknown"}},
	{name: "xff-unknown-first", lines: []string{"X-Forwarded-For: unknown, 10.0.0.7"}},
	{name: "xff-ports", lines: []string{"X-Forwarded-For: 6.6.6.6:4444, 10.0.0.7:80"}},
	{name: "xff-ipv6", lines: []string{"X-Forwarded-For: 2001:db8::6, [::1]:8080"}},
	{name: "xff-mapped", lines: []string{"X-Forwarded-For: ::ffff:6.6.6.6"}},
	{name: "xff-empty-line", lines: []string{"X-Forwarded-For:", "X-Forwarded-For: 6.6.6.6"}},
	{name: "xff-odd-ipv4", lines: []string{"X-Forwarded-For: 6.6..6, 010.000.0.7"}}, // 6.6.0.6, 10.0.0.7 to nginx
	{name: "xff-trailing-dot", lines: []string{"X-Forwarded-For: 6.6.6."}},
	{name: "xff-octet-256", lines: []string{"X-Forwarded-For: 6.6.6.256, 10.0.0.7"}},
	{name: "xff-ipv6-spelling", lines: []string{"X-Forwarded-For: 2001:DB8:0:0::6"}},
	{name: "xff-ipv6-brackets", lines: []string{"X-Forwarded-For: [2001:db8::6]"}},
	{name: "xff-ipv6-zone", lines: []string{"X-Forwarded-For: fe80::1%eth0"}},
	{name: "xff-v4-compat", lines: []string{"X-Forwarded-For: ::6.6.6.6"}},
	{name: "xff-mapped-trusted", lines: []string{"X-Forwarded-For: 6.6.6.6, ::ffff:10.0.0.7"}},
	{name: "xff-port-zero", lines: []string{"X-Forwarded-For: 6.6.6.6:0"}},
	{name: "xff-port-too-big", lines: []string{"X-Forwarded-For: 6.6.6.6:65536"}},
	{name: "xff-many-lines", lines: []string{
		"X-Forwarded-For: 1.1.1.1", "X-Forwarded-For: 2.2.2.2", "X-Forwarded-For: 10.0.0.1",
		"X-Forwarded-For: 3.3.3.3, 10.0.0.2", "X-Forwarded-For: 127.0.0.2",
	}},
	{name: "xff-tab", lines: []string{"X-Forwarded-For: 6.6.6.6\t"}},
	{name: "xff-case", lines: []string{"X-FORWARDED-FOR: 6.6.6.6", "x-forwarded-for: 10.0.0.7"}},
	{name: "xff-underscore", lines: []string{"X_Forwarded_For: 6.6.6.6"}},
	{name: "xfp", lines: []string{"X-Forwarded-Proto: https"}},
	{name: "xfp-lines", lines: []string{"X-Forwarded-Proto: https", "X-Forwarded-Proto: http"}},
	{name: "xfh", lines: []string{"X-Forwarded-Host: evil.example"}},
	{name: "forwarded", lines: []string{"Forwarded: for=6.6.6.6;proto=https;host=evil.example"}},
	{name: "x-real-ip", lines: []string{"X-Real-IP: 6.6.6.6"}},
	{name: "x-real-ip-bracketed", lines: []string{"X-Real-IP: [2001:db8::6]:80"}},
	{name: "x-real-ip-lines", lines: []string{"X-Real-IP: 6.6.6.6, 10.0.0.7", "X-Real-IP: 7.7.7.7"}},
	{name: "everything", lines: []string{
		"Host: evil.example", "x-forwarded-for: 6.6.6.6", "X-FORWARDED-PROTO: https",
		"x-forwarded-host: evil.example", "FORWARDED: for=6.6.6.6", "x-real-ip: 6.6.6.6",
		"X-Forwarded-For: 10.0.0.7",
	}},
	{name: "host-port", lines: []string{"Host: evil.example:8443"}},
	{name: "host-case-dot", lines: []string{"Host: EVIL.Example."}},
	{name: "host-ipv6", lines: []string{"Host: [::1]:8080"}},
	{name: "host-odd-port", lines: []string{"Host: Evil.Example:xyz"}},
	{name: "http10-no-host", proto: "HTTP/1.0", noHost: true},
	{name: "duplicate-host", lines: []string{"Host: a.example", "Host: b.example"}, rejected: http.StatusBadRequest},
	{name: "invalid-host", lines: []string{"Host: evil..example"}, rejected: http.StatusBadRequest},
	{name: "http11-no-host", noHost: true, rejected: http.StatusBadRequest},
	{name: "space-before-colon", lines: []string{"X-Forwarded-For : 6.6.6.6"}, rejected: http.StatusBadRequest},
}

// parseHeaderLine splits a raw line the way nginx's
// ngx_http_parse_header_line does: spaces (not tabs) before the value are
// skipped and trailing spaces dropped, so a trailing tab is part of the value.
func parseHeaderLine(raw string) trustmodel.HeaderLine {
	name, value, _ := strings.Cut(raw, ":")
	return trustmodel.HeaderLine{Name: name, Value: strings.Trim(value, " ")}
}

// truthFixture is one testdata/nginx/truth/NAME/nginx.conf with the
// directives the harness reads from its comments (see the README there).
type truthFixture struct {
	name     string
	text     string
	uris     []string
	extra    []truthRequest
	compared []string
	sources  []netip.Addr
	v4Mapped bool
}

var (
	directiveRE   = regexp.MustCompile(`(?m)^#\s*truth-([a-z0-9-]+):?[ \t]*(.*)$`)
	setHeaderRE   = regexp.MustCompile(`(?m)^\s*proxy_set_header\s+"?([^\s";]+)`)
	placeholderRE = regexp.MustCompile(`@(TLS)?PORT\d*@`)
)

func loadTruthFixtures(t *testing.T) []truthFixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(truthDir, "*", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var out []truthFixture
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fx := truthFixture{
			name:     filepath.Base(filepath.Dir(p)),
			text:     string(text),
			compared: slices.Clone(truthCompared),
			sources:  slices.Clone(truthSources),
		}
		for _, m := range directiveRE.FindAllStringSubmatch(fx.text, -1) {
			arg := strings.TrimSpace(m[2])
			switch m[1] {
			case "uri":
				fx.uris = append(fx.uris, strings.Fields(arg)...)
			case "send":
				req := truthRequest{name: "send: " + arg}
				for l := range strings.SplitSeq(arg, "|") {
					req.lines = append(req.lines, strings.TrimSpace(l))
				}
				fx.extra = append(fx.extra, req)
			case "compare":
				fx.compared = append(fx.compared, strings.Fields(arg)...)
			case "source":
				a, err := netip.ParseAddr(arg)
				if err != nil {
					t.Fatalf("%s: truth-source: %v", p, err)
				}
				fx.sources = append(fx.sources, a)
			case "peer-v4-mapped":
				fx.v4Mapped = true
			default:
				t.Fatalf("%s: unknown directive truth-%s", p, m[1])
			}
		}
		for _, m := range setHeaderRE.FindAllStringSubmatch(fx.text, -1) {
			fx.compared = append(fx.compared, m[1])
		}
		fx.compared = dedupFold(fx.compared)
		if len(fx.uris) == 0 {
			t.Fatalf("%s: no # truth-uri", p)
		}
		out = append(out, fx)
	}
	return out
}

func dedupFold(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	return out
}

// truthStats counts over the whole run, for the summary line.
type truthStats struct {
	requests, passed, failed, rejected int
}

func TestNginxTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real nginx; skipped in -short mode")
	}
	bin := nginxBinary(t)
	version := nginxVersion(t, bin)
	fixtures := loadTruthFixtures(t)
	if len(fixtures) < 30 {
		t.Fatalf("found %d truth fixtures, want at least 24", len(fixtures))
	}
	common, err := os.ReadFile(filepath.Join(truthDir, "truth-common.conf"))
	if err != nil {
		t.Fatal(err)
	}
	env := &truthEnv{
		bin:     bin,
		version: version,
		common:  common,
		echo:    startEcho(t),
		gateways: map[string]*gatewayUpstream{
			"fastcgi": startGateway(t, "fastcgi"), "uwsgi": startGateway(t, "uwsgi"), "scgi": startGateway(t, "scgi"),
		},
	}
	env.cert, env.key, env.roots, err = nginxtest.SelfSignedCert(truthHost)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) { env.run(t, fx) })
	}
	s := env.stats
	t.Logf("nginx %s: %d fixtures, %d requests compared: %d passed, %d failed; %d rejected by nginx as expected; %v",
		version, len(fixtures), s.requests, s.passed, s.failed, s.rejected, time.Since(start).Round(time.Millisecond))
}

// nginxBinary finds nginx at Debian's path or on PATH, or skips.
func nginxBinary(t *testing.T) string {
	t.Helper()
	p, ok := nginxtest.Binary()
	if !ok {
		t.Skip("no nginx binary at /usr/sbin/nginx or on PATH (apt-get install nginx-light)")
	}
	return p
}

// nginxVersion reads "nginx version: nginx/1.22.1" from `nginx -v` (stderr).
func nginxVersion(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -v: %v\n%s", bin, err, out)
	}
	m := regexp.MustCompile(`nginx/(\d+\.\d+\.\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s -v: no version in %q", bin, out)
	}
	return string(m[1])
}

type truthEnv struct {
	bin, version string
	common       []byte
	cert, key    []byte
	roots        *x509.CertPool
	echo         *echoUpstream
	gateways     map[string]*gatewayUpstream // by protocol
	stats        truthStats
	nextID       atomic.Int64
}

// listener is one rendered @PORT@/@TLSPORT@ placeholder.
type listener struct {
	placeholder string
	port        int
	tls         bool
}

// maxMismatchesShown bounds one fixture's output when the model is
// systematically off; the counts still cover every request.
const maxMismatchesShown = 12

func (env *truthEnv) run(t *testing.T, fx truthFixture) {
	dir := t.TempDir()
	conf, listeners := env.startNginx(t, fx, dir)

	cfg, err := nginxconf.Load(nginxconf.LoadOptions{Prefix: dir, NginxVersion: env.version}, conf)
	if err != nil {
		t.Fatalf("nginxconf.Load(%s): %v", conf, err)
	}

	shown, before := 0, env.stats
	requests := append(slices.Clone(truthRequests), fx.extra...)
	for _, ln := range listeners {
		srv := serverForPort(cfg, ln.port)
		for _, uri := range fx.uris {
			var proxy *nginxconf.Proxy
			if srv == nil {
				t.Errorf("%s: the model has no server listening on %s (%d)", fx.name, ln.placeholder, ln.port)
			} else if loc := srv.LocationFor(uri); loc == nil || loc.Proxy == nil {
				t.Errorf("%s: the model finds no proxying location for %s on %s (got %+v)", fx.name, uri, ln.placeholder, loc)
			} else {
				proxy = loc.Proxy
			}
			for _, src := range fx.sources {
				for _, req := range requests {
					msg := env.check(fx, ln, uri, src, req, proxy)
					if msg == "" {
						continue
					}
					if shown++; shown <= maxMismatchesShown {
						t.Error(msg)
					}
				}
			}
		}
	}
	if shown > maxMismatchesShown {
		t.Errorf("%s: %d more mismatching requests not shown", fx.name, shown-maxMismatchesShown)
	}
	t.Logf("%d requests compared, %d mismatched", env.stats.requests-before.requests, env.stats.failed-before.failed)
}

// check sends one request and compares what the upstream received with the
// model's prediction; it returns a description of any difference.
func (env *truthEnv) check(fx truthFixture, ln listener, uri string, src netip.Addr, req truthRequest, proxy *nginxconf.Proxy) string {
	lines := slices.Clone(req.lines)
	if !req.noHost && !slices.ContainsFunc(lines, func(l string) bool { return strings.EqualFold(parseHeaderLine(l).Name, "Host") }) {
		lines = append([]string{"Host: " + truthHost}, lines...)
	}
	lines = append(lines, "Connection: close")
	sent := make(trustmodel.Header, len(lines))
	for i, l := range lines {
		sent[i] = parseHeaderLine(l)
	}

	id := strconv.FormatInt(env.nextID.Add(1), 10)
	status, err := env.send(ln, uri+"?truth="+id, src, cmpOr(req.proto, "HTTP/1.1"), lines)
	got, reached := env.echo.take(id)
	var gotParams [][2]string
	if !reached {
		for _, g := range env.gateways {
			if gotParams, reached = g.take(id); reached {
				break
			}
		}
	}

	scheme := "http"
	if ln.tls {
		scheme = "https"
	}
	where := fmt.Sprintf("%s: %s %s://127.0.0.1:%d%s (%s) from %s, request %q\n  sent: %s",
		fx.name, cmpOr(req.proto, "HTTP/1.1"), scheme, ln.port, uri, ln.placeholder, src, req.name, strings.Join(lines, " | "))
	if err != nil {
		env.stats.failed++
		return fmt.Sprintf("%s\n  request failed: %v", where, err)
	}
	if req.rejected != 0 {
		env.stats.rejected++
		if status != req.rejected || reached {
			return fmt.Sprintf("%s\n  want nginx to answer %d without proxying; got %d, reached upstream: %v", where, req.rejected, status, reached)
		}
		return ""
	}
	env.stats.requests++
	if !reached {
		env.stats.failed++
		return fmt.Sprintf("%s\n  nothing reached the upstream (nginx answered %d)", where, status)
	}
	if proxy == nil {
		env.stats.failed++
		return "" // reported once per URI by run
	}

	peer := src.String()
	if fx.v4Mapped && src.Is4() {
		peer = netip.AddrFrom16(src.As16()).String() // "::ffff:127.0.0.2", as nginx prints it
	}
	predicted := proxy.Hop.Forward(trustmodel.Request{Peer: peer, TLS: ln.tls, Headers: sent})

	var diff strings.Builder
	compared := fx.compared
	if proxy.Hop.Gateway != nil {
		// Everything the app reads: the peer, TLS, and every HTTP_* param.
		observed := gatewayRequest(proxy.Hop.Gateway, gotParams)
		got = observed.Headers
		if predicted.Peer != observed.Peer || predicted.TLS != observed.TLS {
			fmt.Fprintf(&diff, "\n  REMOTE_ADDR/HTTPS: predicted %q/%v, observed %q/%v", predicted.Peer, predicted.TLS, observed.Peer, observed.TLS)
		}
		compared = nil
		for _, l := range append(slices.Clone(predicted.Headers), got...) {
			compared = append(compared, l.Name)
		}
		compared = dedupFold(compared)
		if gotParams == nil {
			fmt.Fprintf(&diff, "\n  the request reached a %s upstream, not the gateway", "HTTP")
		}
	}
	for _, name := range compared {
		want, have := predicted.Headers.Lines(name), got.Lines(name)
		if !slices.Equal(want, have) {
			fmt.Fprintf(&diff, "\n  %s: predicted %s, observed %s", name, quoteLines(want), quoteLines(have))
		}
	}
	if diff.Len() == 0 {
		env.stats.passed++
		return ""
	}
	env.stats.failed++
	return fmt.Sprintf("%s\n  model peer %s, tls %v (%s:%d)%s", where, peer, ln.tls, proxy.Pos.File, proxy.Pos.Line, diff.String())
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func quoteLines(ls []string) string {
	if len(ls) == 0 {
		return "(none)"
	}
	q := make([]string, len(ls))
	for i, l := range ls {
		q[i] = strconv.Quote(l)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// send writes one request over a fresh connection from src and returns the
// response status. Raw TCP rather than net/http: net/http canonicalises and
// merges header lines and refuses some of the hostile shapes.
func (env *truthEnv) send(ln listener, target string, src netip.Addr, proto string, lines []string) (int, error) {
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(ln.port))
	if src.Is6() && !src.Is4In6() {
		dst = netip.AddrPortFrom(netip.IPv6Loopback(), uint16(ln.port))
	}
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", dst.String())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if ln.tls {
		tc := tls.Client(conn, &tls.Config{ServerName: truthHost, RootCAs: env.roots})
		if err := tc.Handshake(); err != nil {
			return 0, err
		}
		conn = tc
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s %s\r\n", target, proto)
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := conn.Write(b.Bytes()); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// startNginx renders fx into dir with free ports and starts nginx on it,
// retrying with new ports if one was taken in between. It returns the
// rendered nginx.conf and its listeners.
func (env *truthEnv) startNginx(t *testing.T, fx truthFixture, dir string) (string, []listener) {
	t.Helper()
	conf := filepath.Join(dir, "nginx.conf")
	for _, f := range []struct {
		name string
		data []byte
	}{{"truth-common.conf", env.common}, {"cert.pem", env.cert}, {"key.pem", env.key}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for attempt := 1; ; attempt++ {
		listeners := render(t, fx.text, env.echo.addr, env.gateways, conf)
		err := env.launch(t, dir, conf, listeners)
		if err == nil {
			return conf, listeners
		}
		if attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			t.Fatalf("%s: %v", fx.name, err)
		}
	}
}

// render replaces the placeholders and writes the config.
func render(t *testing.T, text, upstream string, gateways map[string]*gatewayUpstream, conf string) []listener {
	t.Helper()
	var listeners []listener
	var held []net.Listener // until every port is chosen: the kernel hands a closed port out again
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for _, ph := range placeholderRE.FindAllString(text, -1) {
		if slices.ContainsFunc(listeners, func(l listener) bool { return l.placeholder == ph }) {
			continue
		}
		l := freePort(t)
		held = append(held, l)
		listeners = append(listeners, listener{placeholder: ph, port: l.Addr().(*net.TCPAddr).Port, tls: strings.HasPrefix(ph, "@TLS")})
	}
	out := strings.ReplaceAll(text, "@UPSTREAM@", upstream)
	for protocol, g := range gateways {
		out = strings.ReplaceAll(out, "@"+strings.ToUpper(protocol)+"@", g.addr)
	}
	for _, l := range listeners {
		out = strings.ReplaceAll(out, l.placeholder, strconv.Itoa(l.port))
	}
	if err := os.WriteFile(conf, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return listeners
}

// freePort asks the kernel for an unused loopback port, held by the
// returned listener until the caller closes it. nginx binds it a moment
// later; startNginx retries if someone else took it meanwhile.
func freePort(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// launch starts nginx in the foreground as a single process (no master, so
// no privilege drop to a "user" and a single pid to kill), with its pid file
// and error log in dir, and waits until every listener accepts connections.
// t.Cleanup stops it.
func (env *truthEnv) launch(t *testing.T, dir, conf string, listeners []listener) error {
	errorLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(env.bin, "-p", dir+"/", "-c", conf, "-e", errorLog,
		"-g", "daemon off; master_process off; pid "+filepath.Join(dir, "nginx.pid")+";")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	// Should the test binary die without running cleanups, nginx dies too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	failure := func(what string, err error) error {
		logText, _ := os.ReadFile(errorLog)
		return fmt.Errorf("nginx %s: %v\nstderr: %s\nerror.log: %s", what, err, stderr.String(), logText)
	}

	deadline := time.Now().Add(10 * time.Second)
	for _, l := range listeners {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(l.port))
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				stop()
				return failure("did not accept connections on "+addr, err)
			}
			select {
			case err := <-exited:
				return failure("exited during start-up", err)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	t.Cleanup(stop)
	return nil
}

// serverForPort is the model's server with a listen on port.
func serverForPort(cfg *nginxconf.Config, port int) *nginxconf.Server {
	for _, s := range cfg.Servers {
		for _, l := range s.Listens {
			if l.Port == port {
				return s
			}
		}
	}
	return nil
}

// echoUpstream is the app nginx proxies to. It reads the raw request head
// from TCP rather than using net/http so the exact header names, their order
// and repeated lines are kept, and values are exactly what nginx wrote
// ("Name: value"). Requests are keyed by the truth=ID query parameter.
type echoUpstream struct {
	addr string
	mu   sync.Mutex
	got  map[string]trustmodel.Header
}

func startEcho(t *testing.T) *echoUpstream {
	e := &echoUpstream{got: map[string]trustmodel.Header{}}
	e.addr = serveLoopback(t, e.serve)
	return e
}

// serveLoopback listens on a loopback port for the test's duration and
// serves each connection with serve; it returns the address.
func serveLoopback(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serve(c) })
		}
	})
	return l.Addr().String()
}

func (e *echoUpstream) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	requestLine, err := readLine(r)
	if err != nil {
		return
	}
	var h trustmodel.Header
	for {
		l, err := readLine(r)
		if err != nil {
			return
		}
		if l == "" {
			break
		}
		name, value, _ := strings.Cut(l, ":")
		h = append(h, trustmodel.HeaderLine{Name: name, Value: strings.TrimPrefix(value, " ")})
	}
	// Record before answering: nginx only answers the client after this
	// response, so the client's take always finds it.
	if f := strings.Fields(requestLine); len(f) == 3 {
		if u, err := url.ParseRequestURI(f[1]); err == nil {
			e.mu.Lock()
			e.got[u.Query().Get("truth")] = h
			e.mu.Unlock()
		}
	}
	_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
}

func readLine(r *bufio.Reader) (string, error) {
	l, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(l, "\r\n") {
		return "", errors.New("bare LF from nginx")
	}
	return strings.TrimSuffix(l, "\r\n"), nil
}

// take returns and forgets what the upstream received for id.
func (e *echoUpstream) take(id string) (trustmodel.Header, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h, ok := e.got[id]
	delete(e.got, id)
	return h, ok
}
