package nginxconf

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// ruleTable renders a hop's rules as "Name=value" ("Name-" when removed).
func ruleTable(h trustmodel.Hop) []string {
	var out []string
	for _, r := range h.Rules {
		if r.Remove {
			out = append(out, r.Name+"-")
			continue
		}
		out = append(out, r.Name+"="+r.Value.String())
	}
	return out
}

var defaults122 = []string{"Host=$proxy_host", "Connection=close", "Content-Length=$proxy_internal_body_length",
	"Transfer-Encoding=$proxy_internal_chunked", "TE-", "Keep-Alive-", "Expect-", "Upgrade-"}

func TestProxySetHeaderInheritance(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{NginxVersion: "1.22.1"}, fixture("inherit.conf"))
	s1 := serverNamed(t, cfg, "inherit.example")
	s2 := serverNamed(t, cfg, "inherit2.example")
	own := s2.LocationFor("/own/")
	cases := []struct {
		name   string
		proxy  *Proxy
		level  string
		rules  []string
		shadow []string
	}{
		{"http level inherited", proxyAt(t, s1, "/from-http/"), "http",
			append([]string{"X-Http-Level=yes", "X-Forwarded-For=$proxy_add_x_forwarded_for"}, defaults122...), nil},
		{"server level replaces http", proxyAt(t, s2, "/from-server/"), "server",
			append([]string{"X-Server-Level=yes", "X-Forwarded-Proto=$scheme"}, defaults122...),
			[]string{"X-Http-Level", "X-Forwarded-For"}},
		{"location replaces server", proxyAt(t, s2, "/own/"), "location",
			[]string{"Upgrade=$http_upgrade", "Connection=upgrade", "Host=$proxy_host", "Content-Length=$proxy_internal_body_length",
				"Transfer-Encoding=$proxy_internal_chunked", "TE-", "Keep-Alive-", "Expect-"},
			[]string{"X-Server-Level", "X-Forwarded-Proto", "X-Http-Level", "X-Forwarded-For"}},
		{"nested location inherits its parent location", proxyAt(t, s2, "/own/nested/"), "location",
			[]string{"Upgrade=$http_upgrade", "Connection=upgrade", "Host=$proxy_host", "Content-Length=$proxy_internal_body_length",
				"Transfer-Encoding=$proxy_internal_chunked", "TE-", "Keep-Alive-", "Expect-"}, nil},
		{"nested location with its own list", proxyAt(t, s2, "/own/nested-own/"), "location",
			append([]string{"X-Nested=yes"}, defaults122...),
			[]string{"Upgrade", "Connection", "X-Server-Level", "X-Forwarded-Proto", "X-Http-Level", "X-Forwarded-For"}},
		{"if inherits the location", own.Ifs[0].Proxy, "location",
			[]string{"Upgrade=$http_upgrade", "Connection=upgrade", "Host=$proxy_host", "Content-Length=$proxy_internal_body_length",
				"Transfer-Encoding=$proxy_internal_chunked", "TE-", "Keep-Alive-", "Expect-"}, nil},
		{`"" removes, Host included`, proxyAt(t, s2, "/removed/"), "location",
			[]string{"X-Forwarded-For-", "Host-", "Connection=close", "Content-Length=$proxy_internal_body_length",
				"Transfer-Encoding=$proxy_internal_chunked", "TE-", "Keep-Alive-", "Expect-", "Upgrade-"}, nil},
	}
	for _, c := range cases {
		if got := ruleTable(c.proxy.Hop); !slices.Equal(got, c.rules) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.rules)
		}
		if c.proxy.HeadersLevel != c.level {
			t.Errorf("%s: level %q, want %q", c.name, c.proxy.HeadersLevel, c.level)
		}
		var sh []string
		for _, h := range c.proxy.Shadowed {
			sh = append(sh, h.Name)
		}
		if c.shadow != nil && !slices.Equal(sh, c.shadow) {
			t.Errorf("%s: shadowed %q, want %q", c.name, sh, c.shadow)
		}
	}
	if p := proxyAt(t, s2, "/off/"); p.PassRequestHeaders || !p.Hop.DropClientHeaders {
		t.Error("proxy_pass_request_headers off not modelled")
	}
	if p := proxyAt(t, s2, "/from-server/"); !p.PassRequestHeaders || p.Hop.DropClientHeaders {
		t.Error("client headers dropped by default")
	}
}

func TestDefaultHeadersByVersion(t *testing.T) {
	conf := `server { listen 80; location / { proxy_pass http://127.0.0.1:3000; }
	              location /h/ { proxy_set_header Host ""; proxy_pass http://127.0.0.1:3000; }
	              location /v/ { proxy_set_header Host $http_x_nothing; proxy_pass http://127.0.0.1:3000; }
	              location /c/ { proxy_cache one; proxy_pass http://127.0.0.1:3000; } }`
	req := trustmodel.Request{Peer: "203.0.113.1", Headers: trustmodel.Header{
		{Name: "Host", Value: "app.example"}, {Name: "Connection", Value: "keep-alive"}, {Name: "Proxy-Connection", Value: "x"},
	}}
	cases := []struct {
		version, uri string
		want         []string // header lines sent, in order
	}{
		{"1.22.1", "/", []string{"Host: 127.0.0.1:3000", "Connection: close", "Proxy-Connection: x"}},
		{"1.29.6", "/", []string{"Host: 127.0.0.1:3000", "Connection: close", "Proxy-Connection: x"}},
		{"1.29.7", "/", []string{"Host: 127.0.0.1:3000", "Proxy-Connection: x"}},
		{"1.31.0", "/", []string{"Host: 127.0.0.1:3000"}},
		{"1.22.1", "/h/", []string{"Connection: close", "Proxy-Connection: x"}},
		{"1.31.3", "/h/", nil},
		{"1.31.4", "/h/", []string{"Host: 127.0.0.1:3000"}},
		{"1.31.3", "/v/", nil},
		{"1.31.5", "/v/", []string{"Host: 127.0.0.1:3000"}},
		{"1.22.1", "/c/", []string{"Host: 127.0.0.1:3000", "Connection: close", "Proxy-Connection: x"}},
	}
	for _, c := range cases {
		cfg := mustLoadString(t, conf, LoadOptions{NginxVersion: c.version})
		p := proxyAt(t, cfg.Servers[0], c.uri)
		var got []string
		for _, l := range p.Hop.Forward(req).Headers {
			got = append(got, l.Name+": "+l.Value)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %s: sent %q, want %q", c.version, c.uri, got, c.want)
		}
		if c.uri == "/c/" {
			if _, ok := p.Hop.Rule("If-None-Match"); !ok {
				t.Errorf("proxy_cache headers missing: %q", ruleTable(p.Hop))
			}
		}
	}
}

func TestRealIPInheritance(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("realip.conf"))
	s := serverNamed(t, cfg, "realip.example")
	root := proxyAt(t, s, "/")
	if r := root.RealIP; len(r.From) != 1 || r.From[0].Prefix != "10.0.0.0/8" || r.Mode != RealIPXForwardedFor || !r.Recursive {
		t.Errorf("server-level realip %+v", r)
	}
	if root.RealIP.HeaderPos.Line != 10 || root.RealIP.RecursivePos.Line != 5 || root.RealIP.From[0].Pos.Line != 4 {
		t.Errorf("positions %+v %+v %+v", root.RealIP.HeaderPos, root.RealIP.RecursivePos, root.RealIP.From)
	}
	loc := proxyAt(t, s, "/loc/")
	// the location's list replaces the server's; header inherited; recursive set here
	if r := loc.LocationRealIP; len(r.From) != 1 || r.From[0].Prefix != "192.168.0.0/16" || r.Mode != RealIPXForwardedFor || r.Recursive {
		t.Errorf("location realip %+v", r)
	}
	// POST_READ (server list 10/8) changes the address first; PREACCESS
	// (location list) applies only when that did not.
	h := loc.Hop
	for _, c := range []struct {
		peer, xff, want string
	}{
		{"10.0.0.1", "6.6.6.6, 10.0.0.2", "6.6.6.6"},                    // server level, recursive on
		{"192.168.1.1", "6.6.6.6, 192.168.1.2", "192.168.1.2"},          // location level, recursive off
		{"203.0.113.7", "6.6.6.6", "203.0.113.7"},                       // neither
		{"10.0.0.1", "unknown", "10.0.0.1"},                             // server level declines, location list does not cover 10/8
		{"192.168.1.1", "6.6.6.6:1234, [2001:db8::1]:8", "2001:db8::1"}, // last token, port dropped
	} {
		got := h.ClientAddr.Resolve(trustmodel.Request{Peer: c.peer, Headers: trustmodel.Header{{Name: "X-Forwarded-For", Value: c.xff}}})
		if got != c.want {
			t.Errorf("peer %s xff %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}

	low := serverNamed(t, cfg, "lower.example")
	p := proxyAt(t, low, "/")
	r := p.RealIP
	if r.Mode != RealIPCustom || r.Header != "x-forwarded-for" {
		t.Errorf("lowercase keyword mode %v %q", r.Mode, r.Header)
	}
	if len(r.From) != 4 || !r.From[1].Unix || r.From[2].Prefix != "10.0.0.0/8" || !r.From[3].Hostname {
		t.Errorf("from %+v", r.From)
	}
	for _, w := range []string{"low address bits of 10.1.2.3/8 are meaningless", `set_real_ip_from "lb.internal" is a host name`} {
		if !warningsContain(cfg, w) {
			t.Errorf("no warning %q in %v", w, cfg.Warnings)
		}
	}
	// custom-header mode reads only the first X-Forwarded-For line
	got := p.Hop.ClientAddr.Resolve(trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: "6.6.6.6"}, {Name: "X-Forwarded-For", Value: "7.7.7.7"},
	}})
	if got != "6.6.6.6" {
		t.Errorf("custom mode: %s", got)
	}
	if s := p.Hop.ClientAddr.String(); !strings.Contains(s, "realip from 127.0.0.1 unix: 10.1.2.3/8 lb.internal") {
		t.Errorf("resolver string %q", s)
	}
	if p.Hop.Addr != "::1" {
		t.Errorf("Addr %q", p.Hop.Addr)
	}
}

// nginx refuses proxy_set_header and set_real_ip_from in an if block
// (neither is NGX_HTTP_LIF_CONF); so does Load, naming the first.
func TestRealIPNotInIf(t *testing.T) {
	_, err := loadString(t, `server { listen 80;
		location / {
			if ($http_x) { proxy_set_header X-Bad 1; set_real_ip_from 0.0.0.0/0; proxy_pass http://127.0.0.1:1; }
			proxy_pass http://127.0.0.1:2;
		} }`, LoadOptions{})
	if want := `nginx.conf:3: "proxy_set_header" directive is not allowed here (and 1 more error)`; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Load: %v, want ...%s", err, want)
	}
}

// Servers that include one proxy_set_header snippet share its compiled
// table, and each still answers for itself: $host falls back to the name
// of the server handling the request (the hop's Context). A table that
// takes in a server's own facts ($server_name) is that server's alone,
// and a catch-all server's $host is client-chosen where a named one's is
// not.
func TestHeaderTablesSharedAcrossServers(t *testing.T) {
	dir := t.TempDir()
	snippet := "proxy_set_header Host $host;\nproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
	conf := `http {
    server { listen 80 default_server; return 444; }
    server { listen 80; server_name a.example; include headers.conf; location / { proxy_pass http://127.0.0.1:3000; } }
    server { listen 80; server_name b.example; include headers.conf; location / { proxy_pass http://127.0.0.1:3000; } }
    server { listen 81 default_server; server_name c.example; include headers.conf; location / { proxy_pass http://127.0.0.1:3000; } }
    server { listen 82; server_name d.example; include named.conf; location / { proxy_pass http://127.0.0.1:3000; } }
    server { listen 83; server_name e.example; include named.conf; location / { proxy_pass http://127.0.0.1:3000; } }
    server { listen 82; server_name f.example; include port.conf; location / { proxy_pass http://127.0.0.1:3000; } }
    server { listen 83; server_name g.example; include port.conf; location / { proxy_pass http://127.0.0.1:3000; } }
}
`
	named := snippet + "proxy_set_header X-Name $server_name;\n"
	port := snippet + "proxy_set_header X-Port $server_port;\n"
	for name, body := range map[string]string{"nginx.conf": conf, "headers.conf": snippet, "named.conf": named, "port.conf": port} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := mustLoad(t, LoadOptions{}, filepath.Join(dir, "nginx.conf"))
	px := cfg.Proxies()
	if len(px) != 7 {
		t.Fatalf("%d proxies, want 7", len(px))
	}
	same := func(i, j int) bool { return &px[i].Hop.Rules[0] == &px[j].Hop.Rules[0] }
	if !same(0, 1) {
		t.Error("a.example and b.example compile the same snippet twice")
	}
	if same(0, 2) {
		t.Error("the default server (any Host) shares the named servers' table")
	}
	if same(3, 4) || same(5, 6) {
		t.Error("tables that read $server_name or $server_port are shared between servers")
	}
	noHost := trustmodel.Request{Peer: "203.0.113.7"}
	for i, want := range map[int]string{0: "a.example", 1: "b.example", 2: "c.example", 3: "d.example", 4: "e.example"} {
		out := px[i].Hop.Forward(noHost)
		if got, _ := out.Headers.NodeValue("host"); got != want {
			t.Errorf("%s: a request without Host goes on with Host %q, want %q", want, got, want)
		}
		if i == 3 || i == 4 {
			if got, _ := out.Headers.NodeValue("x-name"); got != want {
				t.Errorf("%s: X-Name %q", want, got)
			}
		}
	}
	for i, want := range map[int]string{5: "82", 6: "83"} {
		if got, _ := px[i].Hop.Forward(noHost).Headers.NodeValue("x-port"); got != want {
			t.Errorf("server on port %s: X-Port %q", want, got)
		}
	}
}

// Every proxy of the model and rule fixtures and of the shared corpus has
// the same header lists and forwards the same requests the same way
// whether its table is shared or compiled for it alone: a value that takes
// a server fact in without saying so (env.serverBound) would differ.
func TestSharedHeaderTablesMatchPerPlace(t *testing.T) {
	var confs []string
	for _, pattern := range []string{modelDir + "/*.conf", modelDir + "/*/nginx.conf", "../testdata/rules/*/*/nginx.conf", corpusDir + "/*/*", corpusDir + "/*/*/*"} {
		m, _ := filepath.Glob(pattern)
		confs = append(confs, m...)
	}
	if len(confs) < 100 {
		t.Fatalf("%d configurations found", len(confs))
	}
	requests := []trustmodel.Request{
		{Peer: "203.0.113.7"},
		{Peer: "203.0.113.7", TLS: true, Headers: trustmodel.Header{{Name: "Host", Value: "app.example"}}},
		{Peer: "127.0.0.1", Headers: trustmodel.Header{
			{Name: "X-Forwarded-For", Value: "6.6.6.6"}, {Name: "X-Forwarded-Proto", Value: "https"},
			{Name: "X-Forwarded-Host", Value: "evil.example"}, {Name: "Forwarded", Value: "for=6.6.6.6"},
			{Name: "X-Real-IP", Value: "6.6.6.6"}, {Name: "Upgrade", Value: "websocket"}, {Name: "Host", Value: "Evil.Example:81"},
		}},
	}
	settings := func(hs []HeaderSetting) string {
		var b strings.Builder
		for _, h := range hs {
			fmt.Fprintf(&b, "%v %s=%s [%v] %s %v;", h.Pos, h.Name, h.Value, h.Expr, h.Level, h.IfNotEmpty)
		}
		return b.String()
	}
	compared := 0
	for _, conf := range confs {
		if st, err := os.Stat(conf); err != nil || st.IsDir() {
			continue
		}
		opts := LoadOptions{AllowMissingIncludes: true}
		shared, err := Load(opts, conf)
		if err != nil {
			continue
		}
		opts.headersPerPlace = true
		alone, err := Load(opts, conf)
		if err != nil {
			t.Fatalf("%s: loads with shared tables, not without: %v", conf, err)
		}
		a, b := shared.Proxies(), alone.Proxies()
		if len(a) != len(b) {
			t.Fatalf("%s: %d proxies, %d without sharing", conf, len(a), len(b))
		}
		for i := range a {
			if a[i].HeadersLevel != b[i].HeadersLevel || settings(a[i].Headers) != settings(b[i].Headers) || settings(a[i].Shadowed) != settings(b[i].Shadowed) {
				t.Errorf("%s: %v: header lists differ from the place's own", conf, a[i].Pos)
				continue
			}
			for _, req := range requests {
				if x, y := a[i].Hop.Forward(req), b[i].Hop.Forward(req); !reflect.DeepEqual(x, y) {
					t.Errorf("%s: %v forwards %v as %v, on its own as %v", conf, a[i].Pos, req, x, y)
				}
			}
			compared++
		}
	}
	t.Logf("%d proxies in %d configurations compared", compared, len(confs))
}

// TestDeferredProxiesMatchLoad builds every configuration's proxies one
// server at a time (LoadOptions.DeferProxies, as lint does), releasing
// each server before the next, and compares them with Load's: the same
// proxies, header lists and forwarded requests, the same warnings, and
// the same error where building them fails.
func TestDeferredProxiesMatchLoad(t *testing.T) {
	var confs []string
	for _, pattern := range []string{modelDir + "/*.conf", modelDir + "/*/nginx.conf", "../testdata/rules/*/*/nginx.conf", "../testdata/parts/*.conf", corpusDir + "/*/*", corpusDir + "/*/*/*"} {
		m, _ := filepath.Glob(pattern)
		confs = append(confs, m...)
	}
	// What only building the places and proxies finds:
	// more_set_input_headers and a set in a server-level if (warnings); a
	// bad URL (an error); and a loose proxy_pass with a set variable.
	dir := t.TempDir()
	for name, conf := range map[string]string{
		"warns.conf": "http { server { location / { proxy_pass http://127.0.0.1:3000; }\n if ($x) { return 403; } } server { more_set_input_headers 'X-A: b'; if ($http_x) { set $flag 1; } location /a/ { limit_except GET { deny all; } location /a/b/ { proxy_pass http://127.0.0.1:3000; } } } }",
		"errs.conf":  "http { server { location / { proxy_pass 127.0.0.1:3000; } } }",
		"loose.conf": "set $up http://127.0.0.1:3000;\nproxy_pass $up;\nproxy_set_header X-Forwarded-For $remote_addr;\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		confs = append(confs, p)
	}
	compared, failed := 0, 0
	for _, conf := range confs {
		if st, err := os.Stat(conf); err != nil || st.IsDir() {
			continue
		}
		opts := LoadOptions{AllowMissingIncludes: true}
		whole, werr := Load(opts, conf)
		opts.DeferProxies = true
		parts, err := Load(opts, conf)
		if err != nil {
			if werr == nil || err.Error() != werr.Error() {
				t.Errorf("%s: deferred, Load fails with %v; without, with %v", conf, err, werr)
			}
			continue
		}
		if parts.Proxies() != nil {
			t.Errorf("%s: deferred, Load built the proxies", conf)
		}
		var got []*Proxy
		for _, s := range parts.Servers {
			got = append(got, parts.BuildProxies([]*Server{s})...)
			parts.ReleaseServers([]*Server{s})
		}
		err = parts.ProxiesBuilt()
		if werr != nil || err != nil {
			if fmt.Sprint(werr) != fmt.Sprint(err) {
				t.Errorf("%s: built a server at a time the error is %v; by Load, %v", conf, err, werr)
			}
			failed++
			continue
		}
		if !maps.Equal(parts.setNames, whole.setNames) {
			t.Errorf("%s: deferred, the set variables are %v; by Load, %v", conf, parts.setNames, whole.setNames)
		}
		if fmt.Sprint(parts.Warnings) != fmt.Sprint(whole.Warnings) {
			t.Errorf("%s: built a server at a time the warnings are\n%v\nby Load\n%v", conf, parts.Warnings, whole.Warnings)
		}
		want := whole.Proxies()
		if len(got) != len(want) {
			t.Errorf("%s: %d proxies built a server at a time, %d by Load", conf, len(got), len(want))
			continue
		}
		for i := range got {
			a, b := got[i], want[i]
			if a.Pos != b.Pos || a.Module != b.Module || a.URL != b.URL || a.FromKind != b.FromKind || fmt.Sprint(a.ConnectFrom) != fmt.Sprint(b.ConnectFrom) ||
				fmt.Sprint(a.Headers) != fmt.Sprint(b.Headers) || fmt.Sprint(a.Shadowed) != fmt.Sprint(b.Shadowed) {
				t.Errorf("%s: proxy %d differs: %v / %v", conf, i, a.Pos, b.Pos)
				continue
			}
			req := trustmodel.Request{Peer: "203.0.113.7", Headers: trustmodel.Header{{Name: "Host", Value: "app.example"}, {Name: "X-Forwarded-For", Value: "6.6.6.6"}}}
			if x, y := a.Hop.Forward(req), b.Hop.Forward(req); !reflect.DeepEqual(x, y) {
				t.Errorf("%s: %v forwards %v as %v, built by Load as %v", conf, a.Pos, req, x, y)
			}
			compared++
		}
		for _, s := range parts.Servers {
			if s.Locations != nil || s.Ifs != nil || s.Directives != nil || s.sc != nil {
				t.Errorf("%s: server %v still holds its places", conf, s.Pos)
			}
		}
	}
	if compared < 300 || failed < 1 {
		t.Fatalf("%d proxies compared, %d configurations failing", compared, failed)
	}
	t.Logf("%d proxies in %d configurations compared, %d failing alike", compared, len(confs), failed)
}
