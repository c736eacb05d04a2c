package trustmodel

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParseConfigFull(t *testing.T) {
	src := `version: 1
app:
  framework: express
  framework_version: 5
  trust_proxy: [loopback, 10.0.0.0/8]
  listen: 127.0.0.1:3000
  reachable_directly: false
  session: {cookie_secure: auto, proxy: null}
  uses: [client_ip, protocol]
  options: {proxyIpHeader: X-Real-IP}
edge:
  - name: cdn
    preset: cloudflare
  - name: lb
    addresses: [10.0.0.0/16, 10.1.2.3]
    x_forwarded_for: overwrite
    tls: terminate
nginx:
  connects_from: 127.0.0.1
  reachable_directly: true
`
	c, err := ParseConfig("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Apps[0]
	if a.Framework != "express" || a.FrameworkVersion != "5" || !a.TrustProxySet ||
		!reflect.DeepEqual(a.TrustProxy, []any{"loopback", "10.0.0.0/8"}) || a.TrustProxyPos != (Pos{"t.yaml", 5}) {
		t.Errorf("app = %+v", a)
	}
	if a.Session == nil || a.Session.CookieSecure != "auto" || a.Session.Proxy != nil {
		t.Errorf("session = %+v", a.Session)
	}
	if *a.ReachableDirectly || a.Options["proxyIpHeader"] != "X-Real-IP" || !reflect.DeepEqual(a.Uses, []string{"client_ip", "protocol"}) {
		t.Errorf("app = %+v", a)
	}
	if len(c.Edge) != 2 {
		t.Fatalf("edge = %+v", c.Edge)
	}
	cdn, lb := c.Edge[0], c.Edge[1]
	if cdn.XForwardedFor != "append" || cdn.XForwardedProto != "set" || !cdn.Covers(netip.MustParseAddr("173.245.48.9")) || cdn.Covers(netip.MustParseAddr("10.0.0.1")) {
		t.Errorf("cloudflare preset = %+v", cdn)
	}
	if lb.XForwardedFor != "overwrite" || lb.XForwardedProto != "set" || lb.ConnectAddr() != "10.0.0.1" ||
		!reflect.DeepEqual(lb.Addresses, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("10.1.2.3/32")}) {
		t.Errorf("lb = %+v", lb)
	}
	if c.Nginx.ConnectsFrom != "127.0.0.1" || !*c.Nginx.ReachableDirectly {
		t.Errorf("nginx = %+v", c.Nginx)
	}
}

func TestParseConfigTrustProxyKeepsYAMLTypes(t *testing.T) {
	for src, want := range map[string]any{
		"app: {trust_proxy: 1}":        1,
		`app: {trust_proxy: "1"}`:      "1",
		"app: {trust_proxy: true}":     true,
		`app: {trust_proxy: "true"}`:   "true",
		"app: {trust_proxy: loopback}": "loopback",
		"app: {trust_proxy: null}":     nil,
		"app: {trust_proxy: 1.5}":      1.5,
	} {
		c, err := ParseConfig("t.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !reflect.DeepEqual(c.Apps[0].TrustProxy, want) || !c.Apps[0].TrustProxySet {
			t.Errorf("%s: trust_proxy = %#v, want %#v", src, c.Apps[0].TrustProxy, want)
		}
	}
}

func TestParseConfigErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"version: 1\napp:\n  framwork: express\n", `t.yaml:3: unknown key "framwork" in app (known: client_ip_from, framework, framework_version, listen, middleware, name, options, reachable_directly, server, session, trust_proxy, upstreams, uses)`},
		{"app:\n  framework: cakephp\n", `t.yaml:2: app.framework: "cakephp" is not one of express, fastify, koa, rails, laravel, symfony, spring-boot, aspnetcore, flask, django, fastapi, gin, echo, chi`},
		{"app:\n  reachable_directly: yes please\n", `t.yaml:2: app.reachable_directly: want true or false, got the string "yes please"`},
		{"app:\n  listen: [1]\n", "t.yaml:2: app.listen: want a string, got a list"},
		{"app:\n  listen: 127.0.0.1:99999\n", `t.yaml:2: app.listen: "127.0.0.1:99999": want ADDRESS:PORT with a port from 1 to 65535`},
		{"app:\n  session: {cookie_secure: maybe}\n", `t.yaml:2: app.session.cookie_secure: want true, false or auto, got the string "maybe"`},
		{"edge:\n  - preset: akamai\n", `t.yaml:2: edge[0].preset: unknown preset "akamai" (known: aws-alb, cloudflare, fastly, gcp-lb, generic)`},
		{"edge:\n  - name: lb\n    addresses: [10.0.0.0/33]\n", `t.yaml:3: edge[0].addresses: "10.0.0.0/33" is not a CIDR range`},
		{"edge:\n  - name: lb\n", "t.yaml:2: edge[0].addresses: say where this hop connects from (a preset or a list of ranges)"},
		{"edge:\n  - preset: aws-alb\n", "t.yaml:2: edge[0].aws-alb: list the subnets the load balancer connects from in addresses"},
		{"edge:\n  - name: lb\n    addresses: [10.0.0.0/8]\n    x_forwarded_for: prepend\n", `t.yaml:4: edge[0].x_forwarded_for: "prepend" is not one of append, overwrite, preserve, remove`},
		{"nginx:\n  connects_from: localhost\n", `t.yaml:2: nginx.connects_from: "localhost" is not an IP address`},
		{"version: 2\n", "t.yaml:1: version: 2 is not supported (want 1)"},
		{"app: [1, 2]\n", "t.yaml:1: app: want a mapping, got a list"},
		{"http { server {} }\n", `t.yaml:1: want a mapping of version, app (or apps), edge and nginx at the top level, got the string "http { server {} }"`},
		{"app:\n  framework: express\n  framework: koa\n", `t.yaml:3: duplicate key "app.framework"`},
		{"app:\n  trust_proxy: &a [loopback]\n  options: *a\n", "t.yaml:3: app.options: aliases are not supported"},
		{"app:\n  options:\n    A: 1\n    A: 2\n", `t.yaml:4: app.options: mapping key "A" already defined at line 3`},
		{"app: {trust_proxy: [loopback\n", "t.yaml:1: invalid YAML: did not find expected ',' or ']'"},
		{"\tapp: 1\n", "t.yaml: invalid YAML: found character that cannot start any token"}, // yaml.v3 gives no line here,
		{"app: {}\napps: [{name: a}]\n", "t.yaml:2: app and apps: give one app under app, or several under apps"},
		{"apps: []\n", "t.yaml:1: apps: an empty list describes no app"},
		{"apps:\n  - framework: express\n", "t.yaml:2: apps[0].name: each of several apps needs a name"},
		{"apps:\n  - {name: a, upstreams: [x]}\n  - {name: a, upstreams: [y]}\n", `t.yaml:3: apps[1].name: "a" names two apps`},
		{"apps:\n  - {name: a, upstreams: [x]}\n  - {name: b}\n", "t.yaml:3: apps[1].upstreams: with several apps, each lists the proxy_pass targets that reach it"},
		{"apps:\n  - {name: a, upstreams: [x]}\n  - {name: b, upstreams: [x]}\n", `t.yaml:3: apps: upstream "x" is claimed by both "a" and "b"`},
		{"app:\n  upstreams: backend\n", `t.yaml:2: app.upstreams: want a list of proxy_pass targets, got the string "backend"`},
		{"app:\n  client_ip_from: x-real-ip\n", `t.yaml:2: app.client_ip_from: want framework, request-ip, leftmost-xff or header:NAME, got "x-real-ip"`},
		{"app:\n  client_ip_from: \"header:X Real\"\n", `t.yaml:2: app.client_ip_from: want framework, request-ip, leftmost-xff or header:NAME, got "header:X Real"`},
		{"apps:\n  - {name: a, uses: [ip]}\n", `t.yaml:2: apps[0].uses: "ip" is not one of client_ip, protocol, hostname`},
	} {
		_, err := ParseConfig("t.yaml", []byte(tc.src))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

func TestParseConfigEmpty(t *testing.T) {
	c, err := ParseConfig("t.yaml", nil)
	if err != nil || len(c.Apps) != 0 || len(c.Edge) != 0 {
		t.Errorf("empty file: %+v, %v", c, err)
	}
}

func TestParseListen(t *testing.T) {
	for in, want := range map[string]bool{ // public?
		"127.0.0.1:3000": false, "[::1]:3000": false, "localhost:3000": false, "unix:/run/app.sock": false,
		"0.0.0.0:3000": true, ":3000": true, "3000": true, "[::]:3000": true, "10.0.0.5:3000": true,
	} {
		l, err := ParseListen(in)
		if err != nil || l.Public() != want {
			t.Errorf("ParseListen(%q) = %+v, %v; public want %v", in, l, err, want)
		}
	}
	for _, bad := range []string{"::1:3000", "127.0.0.1:", "host.example:80", "[::1]3000", "127.0.0.1:0"} {
		if _, err := ParseListen(bad); err == nil {
			t.Errorf("ParseListen(%q) succeeded", bad)
		}
	}
}

func TestParseConfigApps(t *testing.T) {
	src := "apps:\n  - name: web\n    framework: express\n    trust_proxy: loopback\n    upstreams: [web, \"unix:/run/web.sock\"]\n    uses: []\n" +
		"  - name: api\n    framework: fastify\n    upstreams: [127.0.0.1:4000]\n    client_ip_from: \"header:X-Real-IP\"\n"
	c, err := ParseConfig("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Apps) != 2 {
		t.Fatalf("%d apps", len(c.Apps))
	}
	web, api := c.Apps[0], c.Apps[1]
	if web.Name != "web" || !reflect.DeepEqual(web.Upstreams, []string{"web", "unix:/run/web.sock"}) || !web.UsesSet || len(web.Uses) != 0 || web.UpstreamsPos.Line != 5 {
		t.Errorf("web: %+v", web)
	}
	if api.Name != "api" || api.ClientIPFrom != "header:X-Real-IP" || api.ClientIPFromPos.Line != 10 || api.UsesSet || api.TrustProxySet {
		t.Errorf("api: %+v", api)
	}
	if got := api.EvaluatorApp().ClientIPFrom; got != "header:X-Real-IP" {
		t.Errorf("EvaluatorApp().ClientIPFrom = %q", got)
	}
}
