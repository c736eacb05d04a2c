package ruby

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func eval(t *testing.T, app trustmodel.App, req trustmodel.Request) trustmodel.Result {
	t.Helper()
	app.Framework = "rails"
	ev, err := New(app)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Evaluate(req)
}

func req(peer string, tls bool, lines ...string) trustmodel.Request {
	r := trustmodel.Request{Peer: peer, TLS: tls}
	for i := 0; i < len(lines); i += 2 {
		r.Headers = append(r.Headers, trustmodel.HeaderLine{Name: lines[i], Value: lines[i+1]})
	}
	return r
}

// The expectations were run through actionpack 6.1.7, rack 2.2.22 and Puma 5.6.5.
func TestRailsRemoteIP(t *testing.T) {
	for _, tc := range []struct {
		trust any
		r     trustmodel.Request
		want  string
	}{
		// The peer need not be trusted.
		{nil, req("8.8.8.8", false, "X-Forwarded-For", "1.1.1.1"), "1.1.1.1"},
		// Whitespace separates entries too; invalid ones are skipped.
		{nil, req("127.0.0.1", false, "X-Forwarded-For", "1.1.1.1 9.9.9.9"), "9.9.9.9"},
		{nil, req("127.0.0.1", false, "X-Forwarded-For", "6.6.6.6, garbage, 1.2.3.4:80"), "6.6.6.6"},
		// An entry with a prefix that is one address stays as written.
		{nil, req("127.0.0.1", false, "X-Forwarded-For", "1.2.3.4/32"), "1.2.3.4/32"},
		// Everything trusted: the leftmost entry.
		{nil, req("127.0.0.1", false, "X-Forwarded-For", "10.0.0.2, 10.0.0.3"), "10.0.0.2"},
		// Puma joins repeated lines with ", ".
		{nil, req("127.0.0.1", false, "X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "10.0.0.9"), "6.6.6.6"},
		// IPv4 ranges do not contain mapped IPv6 addresses.
		{nil, req("127.0.0.1", false, "X-Forwarded-For", "::ffff:10.0.0.1"), "::ffff:10.0.0.1"},
		// Strings match only identical text.
		{[]any{"10.0.0.0/8"}, req("127.0.0.1", false, "X-Forwarded-For", "1.1.1.1, 10.0.0.2"), "10.0.0.2"},
		{[]any{`IPAddr.new("10.0.0.0/8")`}, req("10.0.0.1", false, "X-Forwarded-For", "1.1.1.1, 10.0.0.2"), "1.1.1.1"},
		// A list replaces the defaults: 127.0.0.1 is no longer trusted.
		{[]any{`IPAddr.new("10.0.0.0/8")`}, req("127.0.0.1", false, "X-Forwarded-For", "10.0.0.2"), "127.0.0.1"},
		// A single value (6.1) is added to the defaults.
		{`IPAddr.new("1.1.1.0/24")`, req("127.0.0.1", false, "X-Forwarded-For", "6.6.6.6, 1.1.1.1"), "6.6.6.6"},
		{[]any{`/\A10\./`}, req("10.0.0.1", false, "X-Forwarded-For", "1.1.1.1, 10.9.9.9"), "1.1.1.1"},
	} {
		r := eval(t, trustmodel.App{Version: "6.1", TrustProxy: tc.trust, TrustProxySet: tc.trust != nil}, tc.r)
		if str(r.IP) != tc.want {
			t.Errorf("trust %v, %v: remote_ip %s, want %s", tc.trust, tc.r.Headers, str(r.IP), tc.want)
		}
	}
}

func TestRailsSpoofCheck(t *testing.T) {
	r := eval(t, trustmodel.App{Version: "6.1"}, req("127.0.0.1", false, "Client-Ip", "6.6.6.6", "X-Forwarded-For", "1.1.1.1"))
	if r.IP != nil || r.Raised["ip"] != "IpSpoofAttackError" {
		t.Errorf("got %s %v", str(r.IP), r.Raised)
	}
	r = eval(t, trustmodel.App{Version: "6.1", Options: map[string]any{"ip_spoofing_check": false}}, req("127.0.0.1", false, "Client-Ip", "6.6.6.6", "X-Forwarded-For", "1.1.1.1"))
	if str(r.IP) != "1.1.1.1" {
		t.Errorf("without the check: %s, want the X-Forwarded-For entry", str(r.IP))
	}
}

func TestRailsSchemeAndHost(t *testing.T) {
	for _, tc := range []struct {
		r                      trustmodel.Request
		scheme, host, hostname string
	}{
		// Over TLS, X-Forwarded-Proto: http wins (Puma sets HTTPS=https, not on).
		{req("127.0.0.1", true, "X-Forwarded-Proto", "http", "Host", "a.example"), "http", "a.example", "a.example"},
		// Rack takes "https " before the comma verbatim (rejected), Puma's url_scheme sees the prefix "https".
		{req("127.0.0.1", false, "X-Forwarded-Proto", "https , http", "Host", "a.example"), "https", "a.example", "a.example"},
		{req("127.0.0.1", false, "X-Forwarded-Proto", "HTTPS", "Host", "a.example"), "http", "a.example", "a.example"},
		{req("127.0.0.1", false, "X-Forwarded-Proto", "http", "X-Forwarded-Scheme", "https", "Host", "a.example"), "https", "a.example", "a.example"},
		// The last X-Forwarded-Host item, from any peer.
		{req("8.8.8.8", false, "X-Forwarded-Host", "evil.example, a.example:8443", "Host", "a.example"), "http", "a.example:8443", "a.example"},
		{req("127.0.0.1", true, "Host", "a.example:443"), "https", "a.example", "a.example"},
		{req("127.0.0.1", false, "Host", "b.example:0443"), "http", "b.example:443", "b.example"},
		{req("127.0.0.1", false), "http", "localhost", "localhost"},
	} {
		r := eval(t, trustmodel.App{Version: "6.1"}, tc.r)
		if str(r.Protocol) != tc.scheme || str(r.Host) != tc.host || str(r.Hostname) != tc.hostname {
			t.Errorf("%v tls=%v: scheme %s host %s hostname %s; want %s %s %s", tc.r.Headers, tc.r.TLS, str(r.Protocol), str(r.Host), str(r.Hostname), tc.scheme, tc.host, tc.hostname)
		}
	}
	r := eval(t, trustmodel.App{Version: "6.1"}, req("127.0.0.1", false, "X-Forwarded-Host", ",", "Host", "a.example"))
	if r.Raised["host"] != "NoMethodError" || r.Raised["hostname"] != "NoMethodError" {
		t.Errorf("X-Forwarded-Host \",\": raised %v", r.Raised)
	}
}

func TestRailsConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		app  trustmodel.App
		want string
	}{
		{trustmodel.App{Version: "5.2"}, `unsupported rails version "5.2"`},
		{trustmodel.App{Version: "6.1", Options: map[string]any{"hosts": 1}}, `unknown option "hosts" for rails`},
		{trustmodel.App{Version: "6.1", TrustProxy: []any{`IPAddr.new("10.0.0.0/33")`}, TrustProxySet: true}, "invalid length: 167772160"},
		{trustmodel.App{Version: "6.1", TrustProxy: []any{`IPAddr.new("bad")`}, TrustProxySet: true}, "invalid address: "},
		{trustmodel.App{Version: "8", TrustProxy: `IPAddr.new("10.0.0.0/8")`, TrustProxySet: true}, "single value"},
	} {
		tc.app.Framework = "rails"
		_, err := New(tc.app)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.app, err, tc.want)
		}
	}
}

func TestRailsAdvice(t *testing.T) {
	ev, _ := New(trustmodel.App{Framework: "rails", Version: "6.1"})
	s, ok := ev.Advise(trustmodel.Advice{Proxies: []string{"127.0.0.1", "10.0.0.0/16"}, Hops: 1})
	if want := `config.action_dispatch.trusted_proxies = [IPAddr.new("127.0.0.1"), IPAddr.new("10.0.0.0/16")]`; !ok || s.Code != want {
		t.Errorf("advice %q, want %q", s.Code, want)
	}
	fixed, err := New(s.App)
	if err != nil {
		t.Fatal(err)
	}
	r := fixed.Evaluate(req("127.0.0.1", false, "X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.3.4", "Host", "a.example"))
	if str(r.IP) != "203.0.113.7" {
		t.Errorf("advised setting resolves %s", str(r.IP))
	}
	if _, ok := ev.Advise(trustmodel.Advice{}); ok {
		t.Error("Rails cannot trust nothing; want no advice")
	}
}

func TestRailsWalk(t *testing.T) {
	ev, _ := New(trustmodel.App{Framework: "rails", Version: "6.1", Explain: true})
	r := ev.Evaluate(req("8.8.8.8", false, "X-Forwarded-For", "6.6.6.6, garbage, 10.0.0.2"))
	var got []string
	for _, s := range r.Steps {
		got = append(got, fmt.Sprintf("%d %s %v %v", s.Hop, s.Addr, s.Trusted, s.Tested))
	}
	if want := "0 8.8.8.8 false true|1 10.0.0.2 true true|2 6.6.6.6 false true"; strings.Join(got, "|") != want {
		t.Errorf("walk %q, want %q", strings.Join(got, "|"), want)
	}
}

// FuzzRailsEvaluate runs arbitrary trust entries and header values through
// every accessor and version: never a panic.
func FuzzRailsEvaluate(f *testing.F) {
	f.Add(`IPAddr.new("10.0.0.0/8")`, "1.1.1.1 [::1], 1.2.3.4/32", "6.6.6.6", "for=\"[::1]:80\";proto=https", "a, ,", "https , http", "127.0.0.1")
	f.Add("", "", "", "secret=1", ",", "", "")
	f.Fuzz(func(t *testing.T, trust, xff, clientIP, fwd, xfh, xfp, peer string) {
		for v := range railsVersions {
			ev, err := New(trustmodel.App{Framework: "rails", Version: v, TrustProxy: []any{trust}, TrustProxySet: true, Explain: true})
			if err != nil {
				continue // IPAddr.new raised at boot
			}
			ev.Evaluate(req(peer, false, "X-Forwarded-For", xff, "Client-Ip", clientIP, "Forwarded", fwd,
				"X-Forwarded-Host", xfh, "X-Forwarded-Proto", xfp, "Host", xfh))
			ev.Trust().Trusts(peer, 0)
		}
	})
}

// Rack 3's process-wide priorities (rack v3.2.7 lib/rack/request.rb):
// Rack::Request.forwarded_priority = [:x_forwarded] makes Rails 8.1 ignore
// Forwarded; x_forwarded_proto_priority = [:scheme] reads X-Forwarded-Scheme only.
func TestRailsRackPriorities(t *testing.T) {
	r := eval(t, trustmodel.App{Version: "8", Options: map[string]any{"forwarded_priority": []any{"x_forwarded"}, "x_forwarded_proto_priority": []any{":scheme"}}},
		req("127.0.0.1", false, "Forwarded", "for=6.6.6.6;proto=https", "X-Forwarded-For", "1.1.1.1", "X-Forwarded-Proto", "https", "X-Forwarded-Scheme", "http"))
	if str(r.IP) != "1.1.1.1" || str(r.Protocol) != "http" {
		t.Errorf("ip %s scheme %s; want 1.1.1.1 http", str(r.IP), str(r.Protocol))
	}
	if _, err := New(trustmodel.App{Framework: "rails", Version: "6.1", Options: map[string]any{"forwarded_priority": []any{"x_forwarded"}}}); err == nil {
		t.Error("Rack 2.2 has no forwarded_priority; want an error")
	}
}
