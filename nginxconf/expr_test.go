package nginxconf

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func evalIn(e trustmodel.Expr, peer string, tls bool, h trustmodel.Header) string {
	return e.Eval(trustmodel.HopInput{In: trustmodel.Request{Peer: peer, TLS: tls, Headers: h}, ClientAddr: peer})
}

func kindsOf(e trustmodel.Expr) []trustmodel.SourceKind {
	var out []trustmodel.SourceKind
	for _, s := range e.Sources() {
		if !slices.Contains(out, s.Kind) {
			out = append(out, s.Kind)
		}
	}
	slices.Sort(out)
	return out
}

func TestSplitValue(t *testing.T) {
	cases := map[string][]string{
		"$scheme://$host":  {"$scheme", "://", "$host"},
		"${host}x":         {"${host}", "x"},
		"for=$remote_addr": {"for=", "$remote_addr"},
		"a$":               {"a$"},
		"$1-$2":            {"$1", "-", "$2"},
		"$ x":              {"$ x"},
		"${bad-name}":      {"${bad-name}"},
		"$HTTP_X_Y":        {"$HTTP_X_Y"},
	}
	for in, want := range cases {
		var got []string
		for _, s := range splitValue(in) {
			if s.name != "" || s.digit > 0 {
				got = append(got, s.text)
			} else {
				got = append(got, s.lit)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestHostVar(t *testing.T) {
	h := HostVar{Text: "$host"}
	cases := map[string]string{
		"EVIL.Example.":   "evil.example",
		"evil.example:81": "evil.example",
		"[::1]:8080":      "[::1]",
		"a..b":            "", // 400
		"a/b":             "", // 400
		"":                "", // 400
	}
	for host, want := range cases {
		if got := evalIn(h, "1.2.3.4", false, hdr("Host", host)); got != want {
			t.Errorf("Host %q: %q, want %q", host, got, want)
		}
	}
	// Without a Host line: the name of the server handling the request.
	srv := &Server{Names: []string{"app.example", "www.app.example"}}
	if got := h.Eval(trustmodel.HopInput{In: trustmodel.Request{Peer: "1.2.3.4"}, ClientAddr: "1.2.3.4", Context: srv}); got != "app.example" {
		t.Errorf("no Host: %q", got)
	}
	if got := evalIn(h, "1.2.3.4", false, nil); got != "" {
		t.Errorf("no Host and no server: %q", got)
	}
	if slices.Contains(kindsOf(h), trustmodel.SourceClient) {
		t.Error("a named server's $host counted as client-chosen")
	}
	h.AnyHost = true
	if !slices.Contains(kindsOf(h), trustmodel.SourceClient) {
		t.Error("a catch-all server's $host not client-chosen")
	}
}

func TestHeaderVarsByVersion(t *testing.T) {
	lines := hdr("X-Forwarded-Proto", "https", "X-Forwarded-Proto", "http", "X-Forwarded-For", "1.1.1.1",
		"X-Forwarded-For", "2.2.2.2", "Cookie", "a=1", "Cookie", "b=2", "X_Client_IP", "6.6.6.6", "X-Client-IP", "7.7.7.7")
	cases := []struct {
		version, expr, want string
		underscores         bool
	}{
		{"1.22.1", "$http_x_forwarded_proto", "https", false},
		{"1.23.0", "$http_x_forwarded_proto", "https, http", false},
		{"1.22.1", "$http_x_forwarded_for", "1.1.1.1, 2.2.2.2", false},
		{"1.22.1", "$http_cookie", "a=1; b=2", false},
		{"1.22.1", "$cookie_B", "2", false},
		{"1.31.5", "$http_x_client_ip", "7.7.7.7", false},
		{"1.31.5", "$http_x_client_ip", "6.6.6.6, 7.7.7.7", true},
		{"1.22.1", "$http_x_client_ip", "6.6.6.6", true},
		{"1.31.5", "$HTTP_X_FORWARDED_PROTO", "https, http", false},
		{"1.31.5", "${http_x_forwarded_proto}!", "https, http!", false},
	}
	for _, c := range cases {
		u := "off"
		if c.underscores {
			u = "on"
		}
		cfg := mustLoadString(t, "http { underscores_in_headers "+u+"; server { listen 80; location / { proxy_pass http://127.0.0.1:1; } } }", LoadOptions{NginxVersion: c.version})
		e := cfg.Expr(cfg.Servers[0], nil, c.expr)
		if got := evalIn(e, "9.9.9.9", false, lines); got != c.want {
			t.Errorf("%s %s (underscores %v): %q, want %q", c.version, c.expr, c.underscores, got, c.want)
		}
	}
}

func TestMapEvaluation(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("vars.conf"))
	s := serverNamed(t, cfg, "vars.example")
	proto := cfg.Expr(s, nil, "$fwd_proto")
	for _, c := range []struct {
		tls  bool
		h    trustmodel.Header
		want string
	}{
		{false, nil, "http"},
		{true, nil, "https"},
		{false, hdr("X-Forwarded-Proto", "HTTPS"), "https"}, // exact keys are case-insensitive
		{true, hdr("X-Forwarded-Proto", "Http"), "http"},    // ~* regex
		{true, hdr("X-Forwarded-Proto", "gopher"), "https"}, // default $scheme
	} {
		if got := evalIn(proto, "1.2.3.4", c.tls, c.h); got != c.want {
			t.Errorf("$fwd_proto tls=%v %v: %q, want %q", c.tls, c.h, got, c.want)
		}
	}
	if k := kindsOf(proto); !slices.Equal(k, []trustmodel.SourceKind{trustmodel.SourceLiteral, trustmodel.SourceHeader, trustmodel.SourceScheme}) {
		t.Errorf("$fwd_proto sources %v", proto.Sources())
	}
	// constant outputs: the source does not matter
	if v, ok := IsConstant(cfg.Expr(s, nil, "$constant")); !ok || v != "same" {
		t.Errorf("$constant: %q %v", v, ok)
	}
	// $connection_upgrade: chosen by the client among constants
	cu := cfg.Expr(s, nil, "$connection_upgrade")
	if _, ok := IsConstant(cu); ok || evalIn(cu, "", false, nil) != "close" || evalIn(cu, "", false, hdr("Upgrade", "websocket")) != "upgrade" {
		t.Errorf("$connection_upgrade %v", cu.Sources())
	}
	tenant := cfg.Expr(s, nil, "$tenant")
	for host, want := range map[string]string{
		"example.com": "example", "a.b.example.com": "example", "www.test.org": "test",
		"shop.apps.io": "app-shop", "other.org": "none", "EXAMPLE.COM.": "example",
	} {
		if got := evalIn(tenant, "", false, hdr("Host", host)); got != want {
			t.Errorf("$tenant for %s: %q, want %q", host, got, want)
		}
	}
}

func TestGeoEvaluation(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("vars.conf"))
	s := serverNamed(t, cfg, "vars.example")
	g := cfg.Expr(s, nil, "$trusted_net")
	for addr, want := range map[string]string{"10.9.9.9": "1", "10.1.2.3": "2", "192.0.2.1": "0", "::ffff:10.1.0.1": "2", "::1": "0"} {
		if got := evalIn(g, addr, false, nil); got != want {
			t.Errorf("$trusted_net for %s: %q, want %q", addr, got, want)
		}
	}
	if k := kindsOf(g); !slices.Contains(k, trustmodel.SourceClientAddr) {
		t.Errorf("geo sources %v", g.Sources())
	}
	x := cfg.Expr(s, nil, "$xff_net")
	if got := evalIn(x, "203.0.113.1", false, hdr("X-Forwarded-For", "10.0.0.1")); got != "inside" {
		t.Errorf("$xff_net: %q", got)
	}
	if k := kindsOf(x); !slices.Contains(k, trustmodel.SourceHeader) {
		t.Errorf("geo over $http_x_forwarded_for sources %v", x.Sources())
	}
}

func TestSetAndIfFlow(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("vars.conf"))
	p := proxyAt(t, serverNamed(t, cfg, "vars.example"), "/")
	client, _ := p.Hop.Rule("X-Client")
	if got := evalIn(client.Value, "203.0.113.5", false, nil); got != "203.0.113.5" {
		t.Errorf("X-Client without the header: %q", got)
	}
	if got := evalIn(client.Value, "203.0.113.5", false, hdr("X-Client", "6.6.6.6")); got != "6.6.6.6" {
		t.Errorf("X-Client with the header: %q", got)
	}
	if k := kindsOf(client.Value); !slices.Contains(k, trustmodel.SourceHeader) || !slices.Contains(k, trustmodel.SourceClientAddr) {
		t.Errorf("X-Client sources %v", client.Value.Sources())
	}
	edge, _ := p.Hop.Rule("X-Edge")
	if edge.Value.String() != "$edge" || evalIn(edge.Value, "", true, nil) != "https" {
		t.Errorf("server-level set: %v", edge.Value)
	}

	cfg = mustLoadString(t, `server { listen 80;
		location /a/ { set $v a; proxy_set_header X-V $v; proxy_pass http://127.0.0.1:1;
			location /a/b/ { proxy_set_header X-V "$v"; proxy_pass http://127.0.0.1:2; } }
		location /c/ { set $v $v-c; if ($http_x = on) { set $v on; } if ($http_y ~* ^y) { set $v y; } set $w $v!;
			proxy_set_header X-W $w; proxy_pass http://127.0.0.1:3; }
		location /d/ { proxy_set_header X-V $v; proxy_pass http://127.0.0.1:4; }
	}`, LoadOptions{})
	s := cfg.Servers[0]
	get := func(uri, name string, h trustmodel.Header) string {
		r, _ := proxyAt(t, s, uri).Hop.Rule(name)
		return evalIn(r.Value, "1.1.1.1", false, h)
	}
	if got := get("/a/", "X-V", nil); got != "a" {
		t.Errorf("/a/: %q", got)
	}
	if got := get("/a/b/", "X-V", nil); got != "" {
		t.Errorf("a parent location's set ran for the nested location: %q", got)
	}
	if got := get("/d/", "X-V", nil); got != "" {
		t.Errorf("uninitialized: %q", got)
	}
	for _, c := range []struct {
		h    trustmodel.Header
		want string
	}{{nil, "-c!"}, {hdr("X", "on"), "on!"}, {hdr("X", "on", "Y", "Yes"), "y!"}, {hdr("X", "off"), "-c!"}} {
		if got := get("/c/", "X-W", c.h); got != c.want {
			t.Errorf("/c/ %v: %q, want %q", c.h, got, c.want)
		}
	}
}

func TestVarFacts(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range VarFacts {
		if !strings.HasPrefix(f.Doc, "https://nginx.org/en/docs/") {
			t.Errorf("%s: doc %q", f.Name, f.Doc)
		}
		if f.Prefix != strings.HasSuffix(f.Name, "_") {
			t.Errorf("%s: prefix flag %v", f.Name, f.Prefix)
		}
		if seen[f.Name] {
			t.Errorf("%s twice", f.Name)
		}
		seen[f.Name] = true
	}
	for name, want := range map[string]VarOrigin{
		"$http_x_forwarded_for": OriginClient, "request_uri": OriginClient, "arg_next": OriginClient,
		"host": OriginHost, "remote_addr": OriginClientAddr, "scheme": OriginConnection,
		"ssl_client_s_dn": OriginClient, "ssl_protocol": OriginConnection, "server_name": OriginConfig,
		"upstream_addr": OriginUpstream, "request_id": OriginInternal,
	} {
		if f, ok := LookupVar(name); !ok || f.Origin != want {
			t.Errorf("%s: %+v, want %v", name, f, want)
		}
	}
	if _, ok := LookupVar("no_such_variable"); ok {
		t.Error("unknown variable found")
	}
	// the table drives the sources of variables the model does not compute
	cfg := mustLoadString(t, "server { listen 80; }", LoadOptions{})
	for expr, want := range map[string]trustmodel.SourceKind{
		"$request_uri": trustmodel.SourceClient, "$arg_x": trustmodel.SourceClient, "$request_id": trustmodel.SourceOpaque,
		"$remote_port": trustmodel.SourceClientAddr, "$whatever": trustmodel.SourceOpaque,
		"$realip_remote_addr": trustmodel.SourceOpaque, "$https": trustmodel.SourceScheme,
	} {
		if k := kindsOf(cfg.Expr(cfg.Servers[0], nil, expr)); !slices.Equal(k, []trustmodel.SourceKind{want}) {
			t.Errorf("%s: sources %v, want %v", expr, k, want)
		}
	}
	if HeaderName("x_real_ip") != "X-Real-IP" || HeaderName("x_custom_thing") != "X-Custom-Thing" {
		t.Error("HeaderName")
	}
}

func TestServerPortAndHTTPS(t *testing.T) {
	cfg := mustLoadString(t, "server { listen 8080; listen 8443 ssl; server_name p.example; }", LoadOptions{})
	s := cfg.Servers[0]
	sp := cfg.Expr(s, nil, "$server_port")
	if evalIn(sp, "", false, nil) != "8080" || evalIn(sp, "", true, nil) != "8443" {
		t.Errorf("$server_port %v", sp)
	}
	hs := cfg.Expr(s, nil, "$https")
	if evalIn(hs, "", false, nil) != "" || evalIn(hs, "", true, nil) != "on" {
		t.Error("$https")
	}
	if v, ok := IsConstant(cfg.Expr(s, nil, "$server_name")); !ok || v != "p.example" {
		t.Errorf("$server_name %q", v)
	}
}

// TestExplodingValuesStayBounded: set/map/if chains that double a value
// ("set $x $x$x") would take exponential time to evaluate; the model caps
// them (the value turns opaque, its sources kept).
func TestExplodingValuesStayBounded(t *testing.T) {
	var maps strings.Builder
	for i := 0; i < 90; i++ {
		maps.WriteString("map $m" + itoa(i) + " $m" + itoa(i+1) + " { default $m" + itoa(i) + "$m" + itoa(i) + "; }\n")
	}
	cases := map[string]string{
		"sets": "server { location / {" + strings.Repeat("set $x $x$x; ", 60) + "proxy_set_header X $x$http_a; proxy_pass http://a; } }",
		"ifs":  "server { location / {" + strings.Repeat("if ($a) { set $x $x$x; } ", 500) + "proxy_set_header X $x; proxy_pass http://a; } }",
		"maps": "http { " + maps.String() + " map $http_a $m0 { default a; b b; } server { location / { proxy_set_header X $m90; proxy_pass http://a; } } }",
		"deep": "server {" + strings.Repeat("location / {", 2000) + "proxy_pass http://a;" + strings.Repeat("}", 2000) + "}",
	}
	for name, conf := range cases {
		done := make(chan struct{})
		go func() {
			defer close(done)
			cfg := mustLoadString(t, conf, LoadOptions{})
			for _, p := range cfg.Proxies() {
				p.Hop.Forward(trustmodel.Request{Peer: "1.2.3.4", Headers: hdr("A", "b")})
				if r, ok := p.Hop.Rule("X"); ok && name != "deep" {
					if !slices.Contains(kindsOf(r.Value), trustmodel.SourceHeader) && name != "ifs" {
						t.Errorf("%s: sources lost: %v", name, r.Value.Sources())
					}
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: still loading after 20s", name)
		}
	}
}
