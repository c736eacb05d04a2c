package php

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// The expectations below were run through PHP 8.2 and Symfony 5.4.53.
func TestFilterValidateIP(t *testing.T) {
	for s, want := range map[string]bool{
		"1.2.3.4": true, "01.2.3.4": false, "1.2.3.4 ": false, "1.2.3": false, "0.0.0.0": true,
		"255.255.255.255": true, "256.1.1.1": false, "::ffff:1.2.3.4": true, "::ffff:01.2.3.4": false,
		"1::": true, "::": true, "fe80::1%eth0": false, "[::1]": false, "1:2:3:4:5:6:7:8": true,
		"1:2:3:4:5:6:7::": true, "::1:2:3:4:5:6:7": true, "1:2:3:4:5:6:1.2.3.4": true,
		"1:2:3:4:5:6:7:1.2.3.4": false, "0:0:0:0:0:0:0:0:0": false, "00001::": false, "ABCD::": true,
		"1::2:3:4:5:6:7:8": false, "::2:3:4:5:6:7:8": true, ":1::": false, "1.2.3.4\n": false, "": false,
	} {
		if got := filterValidateIP(s, anyFamily); got != want {
			t.Errorf("filter_var(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckIP(t *testing.T) {
	for _, tc := range []struct {
		ip, entry string
		want      bool
		err       bool
	}{
		{"10.0.0.1", "10.0.0.0/8", true, false},
		{"10.0.0.1", "10.0.0.0/ 8", true, false},
		{"10.0.0.1", "10.0.0.0/1x", false, true},
		{"10.0.0.1", "10.0.0.0/abc", false, false},
		{"10.0.0.1", "10.0.0.0/", false, false},
		{"10.0.0.1", "10.0.0.0/1e1", true, false},
		{"10.0.0.1", "10.0.0.0/8.5", true, false},
		{"10.0.0.1", "10.0.0.0/-0", true, false},
		{"10.0.0.1", "10.0.0.0/33", false, false},
		{"10.0.0.1", "1.2.3.4/0", true, false},
		{"10.0.0.1", "x/0", false, false},
		{"10.0.0.1", "10.0.0.0/8/9", false, false},
		{"10.0.0.1", "10.0.0.1 ", false, false},
		{"::1", "::/0", true, false},
		{"::1", "::/ 0", false, false},
		{"::1", "::1/10x", true, false},
		{"::1", "::1/1e2", true, false},
		{"::1", "::1/abc", false, false},
		{"::ffff:10.0.0.1", "10.0.0.0/8", false, false},
		{"10.0.0.1", "::ffff:10.0.0.1", false, false},
		{"10.0.0.1", "*", false, false},
	} {
		got, err := checkIP(tc.ip, []proxy{{text: tc.entry}})
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("checkIp(%q, %q) = %v, %v; want %v, error %v", tc.ip, tc.entry, got, err, tc.want, tc.err)
		}
	}
}

func TestForwardedElements(t *testing.T) {
	els := forwardedElements(`for="[2001:db8::1]:80", For=unknown;proto ; host = "a\"b" ,, for=1.1.1.1=x`)
	if len(els) != 3 {
		t.Fatalf("got %d elements: %v", len(els), els)
	}
	if got := els[0]["for"].value; got != "[2001:db8::1]:80" {
		t.Errorf("element 0 for = %q", got)
	}
	if p := els[1]["proto"]; !p.isTrue {
		t.Errorf("a parameter without '=' is PHP's true, got %+v", p)
	}
	if got := els[1]["host"].value; got != `a"b` {
		t.Errorf("element 1 host = %q", got)
	}
	if got := els[2]["for"].value; got != "1.1.1.1=x" {
		t.Errorf("element 2 for = %q", got)
	}
}

func eval(t *testing.T, app trustmodel.App, req trustmodel.Request) trustmodel.Result {
	t.Helper()
	ev, err := New(app)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Evaluate(req)
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestSymfonyAccessors(t *testing.T) {
	req := trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: "6.6.6.6, 1.1.1.1, garbage"},
		{Name: "X-Forwarded-Proto", Value: "HTTPS, http"},
		{Name: "X-Forwarded-Port", Value: "8443"},
		{Name: "X-Forwarded-Host", Value: "Evil.Example:9000, a.example"},
		{Name: "Host", Value: "a.example"},
	}}
	r := eval(t, trustmodel.App{Framework: "symfony", Version: "5.4", TrustProxy: []any{"127.0.0.1"}, TrustProxySet: true,
		Options: map[string]any{"trusted_headers": []any{"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-host"}}}, req)
	if str(r.IP) != "1.1.1.1" || str(r.Protocol) != "https" || !*r.Secure || str(r.Host) != "evil.example:8443" || str(r.Hostname) != "evil.example" {
		t.Errorf("got ip %s protocol %s host %s hostname %s", str(r.IP), str(r.Protocol), str(r.Host), str(r.Hostname))
	}
	// Without trust: the peer, Host and HTTPS.
	r = eval(t, trustmodel.App{Framework: "symfony", Version: "5.4"}, req)
	if str(r.IP) != "127.0.0.1" || str(r.Protocol) != "http" || str(r.Host) != "a.example" {
		t.Errorf("untrusted: got ip %s protocol %s host %s", str(r.IP), str(r.Protocol), str(r.Host))
	}
}

func TestSymfonyRaises(t *testing.T) {
	app := trustmodel.App{Framework: "symfony", Version: "5.4", TrustProxy: "127.0.0.1", TrustProxySet: true,
		Options: map[string]any{"trusted_headers": []any{"forwarded", "x-forwarded-for"}}}
	r := eval(t, app, trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{
		{Name: "Forwarded", Value: "for=6.6.6.6"}, {Name: "X-Forwarded-For", Value: "1.1.1.1"}, {Name: "Host", Value: "bad host"}}})
	if r.IP != nil || r.Raised["ip"] != "ConflictingHeadersException" || r.Raised["hostname"] != "SuspiciousOperationException" {
		t.Errorf("got ip %s raised %v", str(r.IP), r.Raised)
	}
}

func TestLaravelStar(t *testing.T) {
	req := trustmodel.Request{Peer: "10.0.0.2", Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: "6.6.6.6, 203.0.113.7"}, {Name: "X-Forwarded-Host", Value: "evil.example"}, {Name: "Host", Value: "a.example"}}}
	for _, v := range []string{"10", "11", "12"} {
		r := eval(t, trustmodel.App{Framework: "laravel", Version: v, TrustProxy: "*", TrustProxySet: true}, req)
		if str(r.IP) != "203.0.113.7" || str(r.Hostname) != "evil.example" {
			t.Errorf("laravel %s '*': ip %s hostname %s; want the rightmost entry and the forwarded host", v, str(r.IP), str(r.Hostname))
		}
	}
	// ['*'] is not the keyword: Symfony compares the literal "*".
	r := eval(t, trustmodel.App{Framework: "laravel", Version: "11", TrustProxy: []any{"*"}, TrustProxySet: true}, req)
	if str(r.IP) != "10.0.0.2" {
		t.Errorf("['*']: ip %s, want the peer", str(r.IP))
	}
}

func TestPHPConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		app  trustmodel.App
		want string
	}{
		{trustmodel.App{Framework: "symfony", Version: "4.4"}, `unsupported symfony version "4.4"`},
		{trustmodel.App{Framework: "symfony", Options: map[string]any{"x_four": 1}}, `unknown option "x_four" for symfony`},
		{trustmodel.App{Framework: "symfony", Options: map[string]any{"trusted_headers": []any{"x-real-ip"}}}, `unknown header "x-real-ip"`},
		{trustmodel.App{Framework: "laravel", Version: "11", Options: map[string]any{"trusted_headers": "HEADER_FORWARDED"}}, "must be of type int"},
		{trustmodel.App{Framework: "laravel", Version: "12", TrustProxy: true, TrustProxySet: true}, "trust_proxy: want a list"},
		{trustmodel.App{Framework: "symfony", Server: map[string]any{"name": "apache2"}}, `unknown PHP server "apache2"`},
	} {
		_, err := New(tc.app)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.app, err, tc.want)
		}
	}
}

func TestPHPServersJoinLines(t *testing.T) {
	req := trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: "6.6.6.6"}, {Name: "X-Forwarded-For", Value: "1.1.1.1, 127.0.0.1"}, {Name: "Host", Value: "a.example"}}}
	app := trustmodel.App{Framework: "symfony", TrustProxy: []any{"127.0.0.1"}, TrustProxySet: true}
	if r := eval(t, app, req); str(r.IP) != "1.1.1.1" {
		t.Errorf("php-fpm keeps the last line: ip %s", str(r.IP))
	}
	app.Server = map[string]any{"name": "php-cli-server"}
	app.TrustProxy = []any{"127.0.0.1", "1.1.1.1"}
	if r := eval(t, app, req); str(r.IP) != "6.6.6.6" {
		t.Errorf("php -S joins the lines: ip %s", str(r.IP))
	}
}

func TestPHPAdvice(t *testing.T) {
	req := trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: "6.6.6.6, 203.0.113.7"}, {Name: "Host", Value: "a.example"}}}
	for _, tc := range []struct {
		app  trustmodel.App
		code string
	}{
		{trustmodel.App{Framework: "symfony", Version: "7"}, "Request::setTrustedProxies(['127.0.0.1'], Request::HEADER_X_FORWARDED_FOR | Request::HEADER_X_FORWARDED_PROTO | Request::HEADER_X_FORWARDED_PORT)"},
		{trustmodel.App{Framework: "laravel", Version: "12", TrustProxy: "**", TrustProxySet: true}, "$middleware->trustProxies(at: ['127.0.0.1'])"},
		{trustmodel.App{Framework: "laravel", Version: "10"}, "protected $proxies = ['127.0.0.1'];"},
	} {
		ev, err := New(tc.app)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := ev.Advise(trustmodel.Advice{Proxies: []string{"127.0.0.1"}, Hops: 1})
		if !ok || s.Code != tc.code {
			t.Errorf("%s: advice %q, want %q", tc.app.Framework, s.Code, tc.code)
			continue
		}
		fixed, err := New(s.App)
		if err != nil {
			t.Fatal(err)
		}
		if r := fixed.Evaluate(req); str(r.IP) != "203.0.113.7" {
			t.Errorf("%s: advised setting resolves %s", tc.app.Framework, str(r.IP))
		}
	}
}

func TestPHPTrust(t *testing.T) {
	ev, _ := New(trustmodel.App{Framework: "laravel", Version: "11", TrustProxy: "REMOTE_ADDR, 10.0.0.0/8", TrustProxySet: true})
	for _, tc := range []struct {
		addr string
		hop  int
		want bool
	}{{"8.8.8.8", 0, true}, {"8.8.8.8", 1, false}, {"10.1.2.3", 2, true}, {"::ffff:10.1.2.3", 1, false}} {
		if got, why := ev.Trust().Trusts(tc.addr, tc.hop); got != tc.want {
			t.Errorf("Trusts(%s, %d) = %v (%s)", tc.addr, tc.hop, got, why)
		}
	}
}

// FuzzFilterVar checks PHP's filter_var(FILTER_VALIDATE_IP) transcription
// against Go's parser: PHP accepts no zone and no IPv4 with leading zeros,
// and otherwise the same texts, with the same bytes.
func FuzzFilterVar(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::", "1::2:3:4:5:6:7:8", "fe80::1%eth0", "01.2.3.4", "::", "1:2:3:4:5:6:1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := filterValidateIP(s, anyFamily)
		a, err := netip.ParseAddr(s)
		goOK := err == nil && a.Zone() == ""
		if ok != goOK {
			t.Fatalf("filter_var(%q) = %v, netip %v (%v)", s, ok, goOK, err)
		}
		if ok && a.Is6() {
			b, _ := parseIPv6(s)
			if b != a.As16() {
				t.Fatalf("%q: bytes %x, netip %x", s, b, a.As16())
			}
		}
		_, _ = checkIP(s, []proxy{{text: s + "/64"}, {text: s}})
	})
}

// FuzzHeaderUtilsSplit feeds arbitrary Forwarded values to the tokenizer:
// it must not panic, and every element's names are lowercase.
func FuzzHeaderUtilsSplit(f *testing.F) {
	for _, s := range []string{`for="[::1]:80";proto=https`, `a=b, c`, `"unterminated`, `\`, ` ; = , `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, el := range forwardedElements(s) {
			for name := range el {
				if name != strings.ToLower(name) {
					t.Fatalf("%q: name %q not lowercased", s, name)
				}
			}
		}
	})
}

func TestSymfonyWalk(t *testing.T) {
	ev, _ := New(trustmodel.App{Framework: "symfony", TrustProxy: []any{"127.0.0.1", "10.0.0.0/8"}, TrustProxySet: true, Explain: true})
	r := ev.Evaluate(trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{{Name: "X-Forwarded-For", Value: "6.6.6.6, garbage, 10.0.0.2:8080"}}})
	var got []string
	for _, s := range r.Steps {
		got = append(got, fmt.Sprintf("%d %s %v %v", s.Hop, s.Addr, s.Trusted, s.Tested))
	}
	if want := "0 127.0.0.1 true true|1 10.0.0.2 true true|3 6.6.6.6 false true"; strings.Join(got, "|") != want {
		t.Errorf("walk %q, want %q", strings.Join(got, "|"), want)
	}
}

// FuzzSymfonyEvaluate runs arbitrary trust entries and header values
// through every accessor: an exception is a raised field, never a panic.
func FuzzSymfonyEvaluate(f *testing.F) {
	f.Add("127.0.0.1,10.0.0.0/1x", "1.1.1.1, [::1", "for=\"[::1]:80\";proto", "evil.example:80, a", "https", "80, x", "127.0.0.1")
	f.Add("::/0", "", ",,;=", "[", "", "", "::1")
	f.Fuzz(func(t *testing.T, trust, xff, fwd, xfh, xfp, xfport, peer string) {
		for _, fw := range []string{"symfony", "laravel"} {
			ev, err := New(trustmodel.App{Framework: fw, Version: "", TrustProxy: trust, TrustProxySet: true, Explain: true,
				Options: map[string]any{"trusted_headers": 63}})
			if err != nil {
				t.Fatal(err)
			}
			ev.Evaluate(trustmodel.Request{Peer: peer, Headers: trustmodel.Header{
				{Name: "X-Forwarded-For", Value: xff}, {Name: "Forwarded", Value: fwd}, {Name: "X-Forwarded-Host", Value: xfh},
				{Name: "X-Forwarded-Proto", Value: xfp}, {Name: "X-Forwarded-Port", Value: xfport}, {Name: "Host", Value: xfh}}})
			ev.Trust().Trusts(peer, 0)
		}
	})
}
