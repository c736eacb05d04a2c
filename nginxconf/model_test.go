package nginxconf

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func TestListenForms(t *testing.T) {
	cases := []struct {
		arg  string
		want Listen
		err  string
	}{
		{arg: "80", want: Listen{Port: 80}},
		{arg: "*:80", want: Listen{Port: 80}},
		{arg: "127.0.0.1", want: Listen{Addr: "127.0.0.1", Port: 80}},
		{arg: "127.0.0.1:8080", want: Listen{Addr: "127.0.0.1", Port: 8080}},
		{arg: "0.0.0.0:80", want: Listen{Port: 80}},
		{arg: "[::]:443", want: Listen{Port: 443, IPv6: true}},
		{arg: "[::1]", want: Listen{Addr: "::1", Port: 80, IPv6: true}},
		{arg: "[::ffff:127.0.0.1]:8080", want: Listen{Addr: "::ffff:127.0.0.1", Port: 8080, IPv6: true}},
		{arg: "localhost:8080", want: Listen{Addr: "localhost", Port: 8080, Hostname: true}},
		{arg: "unix:/run/n.sock", want: Listen{Addr: "unix:/run/n.sock", Unix: true}},
		{arg: "99999", err: `invalid port in "99999"`},
		{arg: "[::1", err: "invalid IPv6 address"},
	}
	for _, c := range cases {
		got, err := parseListen(&Directive{Name: "listen", Args: []string{c.arg}})
		if c.err != "" {
			if !strings.Contains(err, c.err) {
				t.Errorf("%s: error %q, want %q", c.arg, err, c.err)
			}
			continue
		}
		got.Raw, got.Pos = "", trustmodel.Pos{}
		if err != "" || got != c.want {
			t.Errorf("%s: %+v %q, want %+v", c.arg, got, err, c.want)
		}
	}
	l, _ := parseListen(&Directive{Args: []string{"443", "ssl", "http2", "default_server", "proxy_protocol", "quic"}})
	if !l.SSL || !l.HTTP2 || !l.DefaultServer || !l.ProxyProtocol || !l.QUIC {
		t.Errorf("flags %+v", l)
	}
	for arg, sock := range map[string]string{"80": "*:80", "[::]:80": "[::]:80", "127.0.0.1:81": "127.0.0.1:81", "unix:/x": "unix:/x", "[::1]:82": "[::1]:82"} {
		l, _ := parseListen(&Directive{Args: []string{arg}})
		if l.Socket() != sock {
			t.Errorf("%s: socket %s, want %s", arg, l.Socket(), sock)
		}
	}
}

func TestServersNamesAndDefaults(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("listen.conf"))
	first := serverNamed(t, cfg, "first.example")
	under := serverNamed(t, cfg, "_")
	regex := cfg.Servers[2]
	org := cfg.Servers[3]

	// first.example is the first on *:80 but "_" has default_server there;
	// first.example stays the default of [::]:80.
	if !slices.Equal(first.DefaultFor(), []string{"[::]:80"}) || !first.AcceptsAnyHost() {
		t.Errorf("first.example default for %v", first.DefaultFor())
	}
	if !slices.Equal(under.DefaultFor(), []string{"*:80"}) || under.CatchAllName() {
		t.Errorf(`"_" default for %v, catch-all name %v`, under.DefaultFor(), under.CatchAllName())
	}
	if !regex.CatchAllName() || !regex.AcceptsAnyHost() {
		t.Errorf("regex server_name not seen as catch-all: %v", regex.Names)
	}
	if got := regex.Names; !slices.Equal(got, []string{`~^(www\.)?(?<domain>.+)$`, ""}) {
		t.Errorf("names %q", got)
	}
	if l := regex.Listens[0]; !l.SSL || !l.HTTP2 || !l.ProxyProtocol || l.Addr != "127.0.0.1" || l.Port != 8443 {
		t.Errorf("listen %+v", l)
	}
	if len(regex.Listens) != 4 || !regex.Listens[1].Unix || !regex.Listens[2].Hostname {
		t.Errorf("listens %+v", regex.Listens)
	}
	if !slices.Equal(org.Names, []string{".example.org", "www.example.*"}) || org.ServerName() != "example.org" {
		t.Errorf("names %q, $server_name %q", org.Names, org.ServerName())
	}
	if org.SSLOn == nil || org.SSLProtocols == nil || !slices.Equal(org.SSLProtocols.Args, []string{"TLSv1", "TLSv1.2"}) {
		t.Errorf("ssl %+v %+v", org.SSLOn, org.SSLProtocols)
	}
	if !org.SSL() || org.Plain() {
		t.Error("ssl on; makes every listen TLS")
	}
	if !warningsContain(cfg, `the "ssl" directive was removed in nginx 1.25.1`) {
		t.Errorf("no warning for ssl on: %v", cfg.Warnings)
	}
	old := mustLoad(t, LoadOptions{NginxVersion: "1.22.1"}, fixture("listen.conf"))
	if warningsContain(old, `"ssl" directive was removed`) {
		t.Error("ssl on; warned for 1.22.1")
	}

	implicit := mustLoadString(t, "http { server { server_name x; } }", LoadOptions{})
	if ls := implicit.Servers[0].Listens; len(ls) != 1 || !ls[0].Implicit || ls[0].Port != 80 {
		t.Errorf("implicit listen %+v", ls)
	}
}

func TestTargets(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("targets.conf"))
	s := serverNamed(t, cfg, "targets.example")
	cases := []struct {
		uri        string
		module     string
		addrs      []string
		unresolved []string
		from       []string
		kind       ConnectKind
		host       string
		upstream   string
		tls        bool
		dynamic    bool
	}{
		{uri: "/upstream/", module: "proxy", addrs: []string{"127.0.0.1:3000", "unix:/run/app.sock"}, unresolved: []string{"app.internal"}, from: []string{"127.0.0.1", ""}, kind: ConnectMixed, host: "backend", upstream: "backend"},
		{uri: "/upstream-port/", module: "proxy", unresolved: []string{"backend"}, kind: ConnectUnknown, host: "backend:8080"},
		{uri: "/v4/", module: "proxy", addrs: []string{"127.0.0.1:3000"}, from: []string{"127.0.0.1"}, kind: ConnectLoopback, host: "127.0.0.1:3000"},
		{uri: "/v6/", module: "proxy", addrs: []string{"[::1]:3000"}, from: []string{"::1"}, kind: ConnectLoopback, host: "[::1]:3000"},
		{uri: "/localhost/", module: "proxy", addrs: []string{"127.0.0.1:3000", "[::1]:3000"}, from: []string{"127.0.0.1", "::1"}, kind: ConnectLoopback, host: "localhost:3000"},
		{uri: "/local-up/", module: "proxy", addrs: []string{"127.0.0.1:4000", "[::1]:4000"}, from: []string{"127.0.0.1", "::1"}, kind: ConnectLoopback, host: "local", upstream: "local"},
		{uri: "/unix/", module: "proxy", addrs: []string{"unix:/run/app.sock"}, from: []string{""}, kind: ConnectUnix, host: "localhost"},
		{uri: "/tls/", module: "proxy", unresolved: []string{"app.internal"}, kind: ConnectUnknown, host: "app.internal", tls: true},
		{uri: "/remote/", module: "proxy", addrs: []string{"10.0.0.5:8080"}, kind: ConnectUnknown, host: "10.0.0.5:8080"},
		{uri: "/bind/", module: "proxy", addrs: []string{"10.0.0.5:8080"}, from: []string{"127.0.0.2"}, kind: ConnectBind, host: "10.0.0.5:8080"},
		{uri: "/transparent/", module: "proxy", addrs: []string{"10.0.0.5:8080"}, kind: ConnectTransparent, host: "10.0.0.5:8080"},
		{uri: "/const-vars/", module: "proxy", addrs: []string{"127.0.0.1:3000"}, from: []string{"127.0.0.1"}, kind: ConnectLoopback, host: "127.0.0.1:3000"},
		{uri: "/dynamic/", module: "proxy", kind: ConnectUnknown, dynamic: true},
		{uri: "/index.php", module: "fastcgi", addrs: []string{"unix:/run/php-fpm.sock"}, from: []string{""}, kind: ConnectUnix, host: "localhost"},
		{uri: "/uwsgi/", module: "uwsgi", addrs: []string{"127.0.0.1:8001"}, from: []string{"127.0.0.1"}, kind: ConnectLoopback, host: "127.0.0.1:8001"},
		{uri: "/grpc/", module: "grpc", addrs: []string{"127.0.0.1:50051"}, from: []string{"127.0.0.1"}, kind: ConnectLoopback, host: "127.0.0.1:50051"},
		{uri: "/scgi/", module: "scgi", addrs: []string{"127.0.0.1:4000"}, from: []string{"127.0.0.1"}, kind: ConnectLoopback, host: "127.0.0.1:4000"},
		{uri: "/ruby/", module: "passenger", kind: ConnectUnknown},
	}
	for _, c := range cases {
		p := proxyAt(t, s, c.uri)
		tg := p.Target
		if p.Module != c.module || !slices.Equal(tg.Addrs, c.addrs) || !slices.Equal(tg.Unresolved, c.unresolved) ||
			!slices.Equal(p.ConnectFrom, c.from) || p.FromKind != c.kind || tg.HostHeader != c.host ||
			tg.TLS != c.tls || tg.Dynamic != c.dynamic || p.Hop.TLSToNext != c.tls {
			t.Errorf("%s: module %s target %+v from %q (%v)", c.uri, p.Module, tg, p.ConnectFrom, p.FromKind)
		}
		if (tg.Upstream == nil) != (c.upstream == "") || tg.Upstream != nil && tg.Upstream.Name != c.upstream {
			t.Errorf("%s: upstream %+v", c.uri, tg.Upstream)
		}
		want := ""
		if len(c.from) > 0 {
			want = c.from[0]
		}
		if p.Hop.Addr != want {
			t.Errorf("%s: Hop.Addr %q, want %q", c.uri, p.Hop.Addr, want)
		}
	}
	if p := proxyAt(t, s, "/localhost/"); p.HopFrom("::1").Addr != "::1" {
		t.Error("HopFrom")
	}
	ups := cfg.Upstreams()
	if len(ups) != 2 || len(ups[0].Servers) != 3 || !ups[0].Servers[1].Backup || !ups[0].Servers[2].Down {
		t.Errorf("upstreams %+v", ups)
	}
	// every pass directive is a Proxy, in file order
	var lines []int
	for _, p := range cfg.Proxies() {
		lines = append(lines, p.Pos.Line)
	}
	if len(lines) != 18 || !slices.IsSorted(lines) {
		t.Errorf("proxies at lines %v", lines)
	}
	// fastcgi: HTTP_* params replace the client's headers
	p := proxyAt(t, s, "/x.php")
	if r, ok := p.Hop.Rule("X-Forwarded-For"); !ok || r.Value.String() != "$proxy_add_x_forwarded_for" {
		t.Errorf("fastcgi X-Forwarded-For rule %+v", r)
	}
	if r, ok := p.Hop.Rule("Proxy"); !ok || !r.Remove {
		t.Errorf(`fastcgi_param HTTP_PROXY "" rule %+v`, r)
	}
	if len(p.Params) != 3 || p.Params[0].Name != "REMOTE_ADDR" {
		t.Errorf("params %+v", p.Params)
	}
}

func TestPassenger(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("targets.conf"))
	p := proxyAt(t, serverNamed(t, cfg, "targets.example"), "/ruby/")
	out := p.Hop.Forward(trustmodel.Request{Peer: "203.0.113.9", TLS: true, Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: "6.6.6.6"}, {Name: "X-Forwarded-Proto", Value: "http"},
	}})
	if v, _ := out.Headers.NodeValue("X-Forwarded-For"); v != "6.6.6.6, 203.0.113.9" {
		t.Errorf("X-Forwarded-For %q", v)
	}
	if v, _ := out.Headers.NodeValue("X-Forwarded-Proto"); v != "http, https" {
		t.Errorf("X-Forwarded-Proto %q", v)
	}
	srv := mustLoadString(t, "http { passenger_enabled on; server { listen 80; location /static/ { passenger_enabled off; } } }", LoadOptions{})
	var kinds []string
	for _, p := range srv.Proxies() {
		kinds = append(kinds, p.Module)
		if p.Location != nil {
			t.Errorf("server-level passenger has location %v", p.Location)
		}
	}
	if !slices.Equal(kinds, []string{"passenger"}) {
		t.Errorf("proxies %v", kinds)
	}
}

func TestAccessAndLimitZones(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("vars.conf"))
	s := serverNamed(t, cfg, "vars.example")
	acc := s.LocationFor("/").Access()
	if len(acc) != 2 || !acc[0].Allow || acc[0].Addr != "10.0.0.0/8" || acc[1].Allow || acc[1].Addr != "all" {
		t.Errorf("access %+v", acc)
	}
	if len(s.Access()) != 0 {
		t.Errorf("server access %+v", s.Access())
	}
	zones := cfg.LimitZones()
	if len(zones) != 3 {
		t.Fatalf("zones %+v", zones)
	}
	kinds := func(e trustmodel.Expr) []trustmodel.SourceKind {
		var k []trustmodel.SourceKind
		for _, s := range e.Sources() {
			k = append(k, s.Kind)
		}
		return k
	}
	if z := zones[0]; z.Zone != "by_addr" || !slices.Equal(kinds(z.Key), []trustmodel.SourceKind{trustmodel.SourceClientAddr}) {
		t.Errorf("zone %+v %v", z, z.Key.Sources())
	}
	if z := zones[1]; z.Zone != "by_xff" || z.KeyText != "$http_x_forwarded_for" || !slices.Equal(kinds(z.Key), []trustmodel.SourceKind{trustmodel.SourceHeader}) {
		t.Errorf("zone %+v %v", z, z.Key.Sources())
	}
	if z := zones[2]; z.Kind != "limit_conn_zone" || z.Zone != "per_server" {
		t.Errorf("zone %+v", z)
	}
}

func TestLocationTreeAndIfs(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("inherit.conf"))
	s := serverNamed(t, cfg, "inherit2.example")
	own := s.LocationFor("/own/")
	if own == nil || len(own.Locations) != 2 || len(own.Ifs) != 1 {
		t.Fatalf("/own/ %+v", own)
	}
	iff := own.Ifs[0]
	if !iff.IsIf() || iff.Parent != own || !slices.Equal(iff.Condition, []string{"$http_x_debug"}) || iff.Proxy == nil {
		t.Errorf("if block %+v", iff)
	}
	if own.Locations[0].Parent != own || own.Locations[0].Server != s {
		t.Error("nested location links")
	}
	if iff.String() != "if ($http_x_debug)" || own.String() != "location /own/" {
		t.Errorf("strings %q %q", iff.String(), own.String())
	}
}

func TestIfBlockUsesLocationProxy(t *testing.T) {
	cfg := mustLoadString(t, `server { listen 80;
		location / { if ($http_x) { set $a 1; } proxy_pass http://127.0.0.1:1; }
		if ($http_y) { return 403; } }`, LoadOptions{})
	s := cfg.Servers[0]
	l := s.LocationFor("/")
	if l.Ifs[0].Proxy != l.Proxy || l.Proxy == nil || s.Ifs[0].Proxy != nil {
		t.Errorf("if proxies: %v %v %v", l.Ifs[0].Proxy, l.Proxy, s.Ifs[0].Proxy)
	}
	if len(cfg.Proxies()) != 1 {
		t.Errorf("proxies %d", len(cfg.Proxies()))
	}
}

// A level with many directives is looked up through an index; it must
// answer as the scan does, in file order across names.
func TestLargeLevelLookupsKeepFileOrder(t *testing.T) {
	var conf strings.Builder
	conf.WriteString("http {\n")
	for i := range 3 * indexedLevel {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&conf, "    proxy_set_header X-H%d a;\n", i)
		case 1:
			fmt.Fprintf(&conf, "    set_real_ip_from 10.0.0.%d;\n", i)
		default:
			fmt.Fprintf(&conf, "    upstream u%d { server 127.0.0.1:%d; }\n", i, 3000+i)
		}
	}
	conf.WriteString("    real_ip_header X-Forwarded-For;\n    server { listen 80; location / { proxy_pass http://u2; } }\n}\n")
	cfg := mustLoadString(t, conf.String(), LoadOptions{})
	h := cfg.HTTP[0]
	if len(h.sc.dirs) <= indexedLevel {
		t.Fatalf("%d http directives; the test needs more than %d", len(h.sc.dirs), indexedLevel)
	}
	scan := func(names ...string) []*Directive {
		var out []*Directive
		for _, d := range h.sc.dirs {
			if slices.Contains(names, d.Name) {
				out = append(out, d)
			}
		}
		return out
	}
	for _, names := range [][]string{{"proxy_set_header"}, {"set_real_ip_from", "proxy_set_header"}, {"upstream", "real_ip_header"}, {"absent"}} {
		if got, want := h.sc.own(names...), scan(names...); !slices.Equal(got, want) {
			t.Errorf("own(%q): %d directives, want %d in file order", names, len(got), len(want))
		}
	}
	if d := h.sc.ownFirst("real_ip_header"); d == nil || d.Arg(0) != "X-Forwarded-For" {
		t.Errorf("ownFirst(real_ip_header) = %v", d)
	}
	loc := cfg.Servers[0].Locations[0]
	if got := loc.Effective("proxy_set_header"); len(got) != indexedLevel || got[0].Arg(0) != "X-H0" || got[len(got)-1].Arg(0) != fmt.Sprintf("X-H%d", 3*indexedLevel-3) {
		t.Errorf("Effective(proxy_set_header) = %d directives", len(got))
	}
	if px := cfg.Proxies()[0]; len(px.Headers) != indexedLevel {
		t.Errorf("the proxy sends %d headers, want %d", len(px.Headers), indexedLevel)
	}
}

func TestAdmits(t *testing.T) {
	rules := []AccessRule{{Allow: false, Addr: "10.0.0.0/24"}, {Allow: true, Addr: "10.0.0.0/8"}, {Allow: true, Addr: "fd00::/8"}, {Addr: "all"}}
	for addr, want := range map[string]bool{
		"10.0.0.5": false, "10.1.0.5": true, "::ffff:10.1.0.5": true, "203.0.113.7": false, "fd00::1": true, "not an address": true,
	} {
		if got := Admits(rules, addr); got != want {
			t.Errorf("Admits(%s) = %v, want %v", addr, got, want)
		}
	}
	if got := AdmittedAddr(rules); got != "fd00::5" {
		t.Errorf("AdmittedAddr = %q, want fd00::5 (10.0.0.5 is denied by the first rule)", got)
	}
	if got := AdmittedAddr([]AccessRule{{Addr: "all"}}); got != "" {
		t.Errorf("deny all: AdmittedAddr = %q", got)
	}
}
