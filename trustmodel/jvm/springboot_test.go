package jvm

import (
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func req(peer string, tls bool, h ...string) trustmodel.Request {
	r := trustmodel.Request{Peer: peer, TLS: tls}
	for i := 0; i+1 < len(h); i += 2 {
		r.Headers = append(r.Headers, trustmodel.HeaderLine{Name: h[i], Value: h[i+1]})
	}
	return r
}

func eval(t *testing.T, app trustmodel.App, r trustmodel.Request) string {
	t.Helper()
	e, err := New(app)
	if err != nil {
		t.Fatal(err)
	}
	res := e.Evaluate(r)
	if res.IP == nil {
		return "400"
	}
	return *res.IP + " " + *res.Protocol + " " + map[bool]string{true: "secure", false: "insecure"}[*res.Secure] + " " + *res.Host + " " + *res.Hostname
}

func native(opts ...string) trustmodel.App {
	o := map[string]any{"server.forward-headers-strategy": "native"}
	for i := 0; i+1 < len(opts); i += 2 {
		o[opts[i]] = opts[i+1]
	}
	return trustmodel.App{Framework: "spring-boot", Version: "3", Options: o}
}

func TestNativeDefaults(t *testing.T) {
	cases := []struct {
		name string
		app  trustmodel.App
		r    trustmodel.Request
		want string
	}{
		{"behind loopback nginx: the rightmost non-private entry, proto, XFH and XFPort",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 10.0.0.2", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "b.example:9", "X-Forwarded-Port", "8443"),
			"6.6.6.6 https secure b.example:8443 b.example"},
		{"a public peer is not an internal proxy: nothing applies",
			native(), req("203.0.113.9", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6", "X-Forwarded-Proto", "https"),
			"203.0.113.9 http insecure a.example:80 a.example"},
		{"::1 is written 0:0:0:0:0:0:0:1 and trusted",
			native(), req("::1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"),
			"6.6.6.6 http insecure a.example:80 a.example"},
		{"every entry private: the leftmost",
			native(), req("10.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "192.168.0.1, 10.0.0.3"),
			"192.168.0.1 http insecure a.example:80 a.example"},
		{"no validation: garbage becomes the address",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "garbage"),
			"garbage http insecure a.example:80 a.example"},
		{"10.0.0.256 matches \\d{1,3}",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1, 10.0.0.256"),
			"1.1.1.1 http insecure a.example:80 a.example"},
		{"an explicit http downgrades a TLS connector",
			native(), req("127.0.0.1", true, "Host", "a.example", "X-Forwarded-Proto", "http"),
			"127.0.0.1 http insecure a.example:80 a.example"},
		{"https, http is http: every item must be https",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "https, http"),
			"127.0.0.1 http insecure a.example:80 a.example"},
		{"two protocol lines are merged with ','",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "https", "X-Forwarded-Proto", "HTTPS"),
			"127.0.0.1 https secure a.example:443 a.example"},
		{"X-Forwarded-Port counts only with a protocol header",
			native(), req("127.0.0.1", false, "Host", "a.example:81", "X-Forwarded-Port", "8443"),
			"127.0.0.1 http insecure a.example:81 a.example"},
		{"Integer.parseInt takes a sign",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "https", "X-Forwarded-Port", "-1"),
			"127.0.0.1 https secure a.example:-1 a.example"},
		{"an invalid X-Forwarded-Host is ignored",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Host", "b.example, c.example"),
			"127.0.0.1 http insecure a.example:80 a.example"},
		{"several X-Forwarded-For lines are joined",
			native(), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "10.0.0.1, 2.2.2.2"),
			"2.2.2.2 http insecure a.example:80 a.example"},
		{"relaxed enum binding: NA_TIVE is NATIVE",
			native("server.forward-headers-strategy", "NA_TIVE"), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"),
			"6.6.6.6 http insecure a.example:80 a.example"},
		{"strategy none: no valve",
			trustmodel.App{Framework: "spring-boot", Version: "3"}, req("127.0.0.1", true, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"),
			"127.0.0.1 https secure a.example:443 a.example"},
		{"protocol-header with text adds the valve under any strategy",
			trustmodel.App{Framework: "spring-boot", Version: "3", Options: map[string]any{"server.tomcat.remoteip.protocol-header": "X-Forwarded-Proto"}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"),
			"6.6.6.6 http insecure a.example:80 a.example"},
		{"trust_proxy replaces the internal proxies",
			trustmodel.App{Framework: "spring-boot", Version: "3", TrustProxy: `127\.0\.0\.1`, TrustProxySet: true, Options: map[string]any{"server.forward-headers-strategy": "native"}},
			req("10.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"),
			"10.0.0.1 http insecure a.example:80 a.example"},
		{"a repeated Host is refused by Tomcat",
			native(), req("127.0.0.1", false, "Host", "a.example", "Host", "b.example"), "400"},
		{"no Host: the default host and server.port",
			native("server.port", "9000"), req("127.0.0.1", false), "127.0.0.1 http insecure localhost:9000 localhost"},
	}
	for _, c := range cases {
		if got := eval(t, c.app, c.r); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		app  trustmodel.App
		want string
	}{
		{trustmodel.App{Framework: "spring-boot", TrustProxy: "(", TrustProxySet: true, Options: map[string]any{"server.forward-headers-strategy": "native"}}, "Unclosed group near index 1"},
		{trustmodel.App{Framework: "spring-boot", TrustProxy: "*", TrustProxySet: true, Options: map[string]any{"server.forward-headers-strategy": "native"}}, "Dangling meta character '*' near index 0"},
		{trustmodel.App{Framework: "spring-boot", Options: map[string]any{"server.tomcat.remoteip.x": "y"}}, `unknown option "server.tomcat.remoteip.x"`},
		{trustmodel.App{Framework: "spring-boot", Options: map[string]any{"server.forward-headers-strategy": "nativ"}}, "No enum constant org.springframework.boot.autoconfigure.web.ServerProperties.ForwardHeadersStrategy.nativ"},
		{trustmodel.App{Framework: "spring-boot", TrustProxy: `(?=a)`, TrustProxySet: true, Options: map[string]any{"server.forward-headers-strategy": "native"}}, "cannot model Java regex"},
		{trustmodel.App{Framework: "spring-boot", Version: "2"}, "unsupported spring-boot version"},
	} {
		_, err := New(c.app)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.app, err, c.want)
		}
	}
}

func TestJavaRegex(t *testing.T) {
	for _, c := range []struct {
		re, s string
		want  bool
	}{
		{defaultInternals, "0:0:0:0:0:0:0:1", true},
		{defaultInternals, "::ffff:127.0.0.1", false},
		{defaultInternals, "fe80:0:0:0:0:0:0:1", true},
		{defaultInternals, "fd12:3456:0:0:0:0:0:1", true},
		{defaultInternals, "fc0:0:0:0:0:0:0:1", false},
		{defaultInternals, "172.32.0.1", false},
		{defaultInternals, "100.127.3.3", true},
		{defaultInternals, "100.128.0.1", false},
		{`\Q127.0.0.1\E`, "127.0.0.1", true},
		{`\Q127.0.0.1\E`, "127a0.0.1", false},
		{`127.0.0.1`, "127a0b0c1", true},
		{`(?i)FE80:.*`, "fe80:0:0:0:0:0:0:1", true},
		{`[0-9.]+`, "10.0.0.1", true},
		{`\d{1,3}(\.\d{1,3}){3}`, "1.2.3.4", true},
		{`\s*1\.1\.1\.1`, "\v1.1.1.1", true},
		{`a.b`, "a\u0085b", false},
		{`\p{XDigit}{2}+`, "ff", true},
	} {
		p, err := compileJava(c.re)
		if err != nil {
			t.Fatalf("%q: %v", c.re, err)
		}
		if got := p.matches(c.s); got != c.want {
			t.Errorf("%q matches %q = %v, want %v", c.re, c.s, got, c.want)
		}
	}
}

func TestHostAddress(t *testing.T) {
	for in, want := range map[string]string{
		"::1": "0:0:0:0:0:0:0:1", "::ffff:10.0.0.1": "10.0.0.1", "2001:DB8::A": "2001:db8:0:0:0:0:0:a",
		"::": "0:0:0:0:0:0:0:0", "127.0.0.1": "127.0.0.1", "unix:/run/a.sock": "unix:/run/a.sock",
	} {
		if got := hostAddress(in); got != want {
			t.Errorf("hostAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseHost(t *testing.T) {
	for in, want := range map[string]int{
		"a.example": -1, "a.example:80": 9, "a.example:": 9, "[::1]": -1, "[::1]:99": 5, "10.0.0.1:8080": 8,
		"999.1.1.1": -1, "[::ffff:1.2.3.4]": -1, "b.example: 80": 9, "1.2.3": -1,
		"bad host": -2, "b_x.example": -2, "b.example:abc": -2, "b.example:99999999999": -2, "": -2,
		"[fe80::1%eth0]": -2, "-a": -2, "a-.b": -2, "a..b": -2, "[1::2::3]": -2, "[::1]x": -2,
		// Checked against Tomcat 10.1.60's Host.parse (tomcat10-coyote.jar).
		"[::1.2.3.4:5]": -2, "[1:2:3:4:5:6:7:1.2.3.4]": -2, "[::1.2.3]": -2, "01.2.3.4": -1, "1.2.3.4.": -1, "[::]": -1, "[:1]": -2,
	} {
		got, ok := parseHost(in)
		if !ok {
			got = -2
		}
		if got != want {
			t.Errorf("parseHost(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSplitCommaSeparated(t *testing.T) {
	for in, want := range map[string]string{
		"a,b,,":   "a|b",
		",":       "",
		" , ":     "|",
		"a, , b":  "a||b",
		",a":      "|a",
		"a,\x01b": "a|b",
	} {
		if got := strings.Join(splitCommaSeparated(in), "|"); got != want {
			t.Errorf("splitCommaSeparated(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAdvise(t *testing.T) {
	e, err := New(native("server.tomcat.remoteip.trusted-proxies", ".*"))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := e.Advise(trustmodel.Advice{Proxies: []string{"127.0.0.1", "::1", "10.1.0.0/16"}})
	if !ok {
		t.Fatal("no advice")
	}
	wantCode := "server.forward-headers-strategy=native\nserver.tomcat.remoteip.internal-proxies=0:0:0:0:0:0:0:1|::1|10\\\\.1\\\\.(?:25[0-5]|2[0-4]\\\\d|1\\\\d\\\\d|[1-9]?\\\\d)\\\\.(?:25[0-5]|2[0-4]\\\\d|1\\\\d\\\\d|[1-9]?\\\\d)|127\\\\.0\\\\.0\\\\.1"
	if s.Code != wantCode {
		t.Errorf("code:\n%s\nwant\n%s", s.Code, wantCode)
	}
	// Replaying the advice: nginx on loopback is trusted, a LAN neighbour outside 10.1/16 is not.
	if got := eval(t, s.App, req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6")); got != "6.6.6.6 http insecure a.example:80 a.example" {
		t.Errorf("advice replay from loopback: %s", got)
	}
	if got := eval(t, s.App, req("10.2.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6")); got != "10.2.0.1 http insecure a.example:80 a.example" {
		t.Errorf("advice replay from 10.2.0.1: %s", got)
	}
	if got := eval(t, s.App, req("10.1.3.4", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6")); got != "6.6.6.6 http insecure a.example:80 a.example" {
		t.Errorf("advice replay from 10.1.3.4: %s", got)
	}
	none, _ := e.Advise(trustmodel.Advice{})
	if none.Code != "server.forward-headers-strategy=none" {
		t.Errorf("trust nothing: %q", none.Code)
	}
}

func framework(opts ...string) trustmodel.App {
	app := native(opts...)
	app.Options["server.forward-headers-strategy"] = "framework"
	return app
}

func TestFrameworkStrategy(t *testing.T) {
	cases := []struct {
		name string
		app  trustmodel.App
		r    trustmodel.Request
		want string
	}{
		{"any client: leftmost X-Forwarded-For, X-Forwarded-Proto and -Host believed",
			framework(), req("203.0.113.9", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 10.0.0.2", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example"),
			"6.6.6.6 https secure evil.example:443 evil.example"},
		{"Forwarded wins", framework(), req("203.0.113.9", false, "Host", "a.example", "Forwarded", "for=9.9.9.9;proto=http", "X-Forwarded-For", "6.6.6.6"),
			"9.9.9.9 http insecure a.example:80 a.example"},
		{"a bad port is a 400", framework(), req("203.0.113.9", false, "Host", "a.example", "X-Forwarded-Port", "x"), "400"},
		{"the valve's rewrite of X-Forwarded-For feeds the filter",
			framework("server.tomcat.remoteip.protocol-header", "X-Forwarded-Proto"), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1, 2.2.2.2, 6.6.6.6"),
			"1.1.1.1 http insecure a.example:80 a.example"},
		{"everything consumed by the valve: the filter keeps the valve's answer",
			framework("server.tomcat.remoteip.protocol-header", "X-Forwarded-Proto"), req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6", "X-Forwarded-Proto", "https"),
			"6.6.6.6 https secure a.example:443 a.example"},
	}
	for _, c := range cases {
		if got := eval(t, c.app, c.r); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	e, _ := New(framework())
	if ok, _ := e.Trust().Trusts("203.0.113.9", 0); !ok {
		t.Error("the framework strategy trusts every sender")
	}
	s, _ := e.Advise(trustmodel.Advice{Proxies: []string{"127.0.0.1"}})
	if s.App.Options["server.forward-headers-strategy"] != "native" {
		t.Errorf("advice for a framework-strategy app must switch to native: %v", s.App.Options)
	}
}

func TestJavaURIHost(t *testing.T) {
	// Checked against OpenJDK 17: new URI("http://" + h + ":8080/").getHost() != null.
	for h, want := range map[string]bool{
		"a.example": true, "999.1.1.1": false, "1.2.3": false, "01.2.3.4": true, "a.example.": true, "[::1]": true,
		"localhost": true, "a-b.c": true, "a.1b": false, "a.b1": true, "1.2.3.4": true, "256.1.1.1": false,
		"xn--bcher-kva.example": true, "A.Example": true, "": false, "1a.example": true, "a..b": false,
	} {
		if got := javaURIHost(h); got != want {
			t.Errorf("javaURIHost(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestJavaRegexRefusals(t *testing.T) {
	for _, re := range []string{`(?i)é`, `(?=1)1`, `(a)\1`, `a*+b`, `(?>a)`, `[a[b]]`, `[a-z&&[^x]]`, `(?s).`, `\R`} {
		_, err := compileJava(re)
		if _, ok := err.(*unsupportedRegexError); !ok {
			t.Errorf("compileJava(%q) = %v, want a refusal", re, err)
		}
	}
}
