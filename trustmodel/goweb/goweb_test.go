package goweb

import (
	"errors"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func req(peer string, tls bool, lines ...string) trustmodel.Request {
	r := trustmodel.Request{Peer: peer, TLS: tls}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ": ")
		r.Headers = append(r.Headers, trustmodel.HeaderLine{Name: name, Value: value})
	}
	return r
}

func deref(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func mustNew(t *testing.T, app trustmodel.App) trustmodel.Evaluator {
	t.Helper()
	ev, err := New(app)
	if err != nil {
		t.Fatalf("%+v: %v", app, err)
	}
	return ev
}

func TestGinClientIP(t *testing.T) {
	loopback := []any{"127.0.0.1"}
	for _, c := range []struct {
		name    string
		version string
		trust   any
		set     bool
		options map[string]any
		req     trustmodel.Request
		want    string
	}{
		{"default trusts every peer: leftmost", "", nil, false, nil, req("1.1.1.1", false, "X-Forwarded-For: 6.6.6.6, 10.0.0.1"), "6.6.6.6"},
		{"trusted nginx: first untrusted from the right", "1.12", loopback, true, nil, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6, 9.9.9.9"), "9.9.9.9"},
		{"untrusted peer: the peer", "1.12", loopback, true, nil, req("10.0.0.2", false, "X-Forwarded-For: 6.6.6.6"), "10.0.0.2"},
		{"SetTrustedProxies(nil): the peer", "1.12", nil, true, nil, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6"), "127.0.0.1"},
		{"1.12 joins lines", "1.12.0", loopback, true, nil, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 9.9.9.9"), "9.9.9.9"},
		{"1.11 reads the first line", "1.11", loopback, true, nil, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 9.9.9.9"), "6.6.6.6"},
		{"an invalid entry skips the header", "1.12", loopback, true, nil, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6, 9.9.9.9:80", "X-Real-IP: 7.7.7.7"), "7.7.7.7"},
		{"raw text is kept", "1.12", loopback, true, nil, req("127.0.0.1", false, "X-Forwarded-For:  ::FFFF:9.9.9.9 "), "::FFFF:9.9.9.9"},
		{"peer text is normalised", "1.12", []any{}, true, nil, req("::ffff:10.0.0.1", false), "10.0.0.1"},
		{"zoned peer: empty", "1.12", nil, false, nil, req("fe80::1%eth0", false, "X-Forwarded-For: 6.6.6.6"), ""},
		{"unix socket, 1.12: trusted", "1.12", []any{}, true, nil, req("", false, "X-Forwarded-For: 6.6.6.6"), "6.6.6.6"},
		{"unix socket, 1.12, no header: <nil>", "1.12", nil, false, nil, req("", false), "<nil>"},
		{"unix socket, 1.11: empty", "1.11", nil, false, nil, req("", false, "X-Forwarded-For: 6.6.6.6"), ""},
		{"bare v4-mapped proxy is ::/32", "1.12", []any{"::ffff:10.0.0.1"}, true, nil, req("::1", false, "X-Forwarded-For: 6.6.6.6"), "6.6.6.6"},
		{"bare v4-mapped proxy does not trust its IPv4", "1.12", []any{"::ffff:10.0.0.1"}, true, nil, req("10.0.0.1", false, "X-Forwarded-For: 6.6.6.6"), "10.0.0.1"},
		{"TrustedPlatform from any peer", "1.12", []any{}, true, map[string]any{"TrustedPlatform": "CF-Connecting-IP"}, req("1.1.1.1", false, "CF-Connecting-IP: not an ip"), "not an ip"},
		{"ForwardedByClientIP false", "1.12", nil, false, map[string]any{"ForwardedByClientIP": false}, req("1.1.1.1", false, "X-Forwarded-For: 6.6.6.6"), "1.1.1.1"},
		{"RemoteIPHeaders", "1.12", nil, false, map[string]any{"RemoteIPHeaders": []any{"X-Real-IP"}}, req("1.1.1.1", false, "X-Forwarded-For: 6.6.6.6", "X-Real-IP: 7.7.7.7"), "7.7.7.7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := mustNew(t, trustmodel.App{Framework: "gin", Version: c.version, TrustProxy: c.trust, TrustProxySet: c.set, Options: c.options})
			r := ev.Evaluate(c.req)
			if got := deref(r.IP); got != c.want {
				t.Errorf("ip = %q, want %q", got, c.want)
			}
			if r.Protocol != nil || r.Secure != nil {
				t.Errorf("gin has no scheme accessor: protocol %v secure %v", r.Protocol, r.Secure)
			}
		})
	}
}

func TestGinRejects(t *testing.T) {
	for _, c := range []struct {
		app         trustmodel.App
		want        string
		unsupported bool
	}{
		{trustmodel.App{Framework: "gin", TrustProxy: []any{"10.0.0.1", "bogus"}, TrustProxySet: true}, "invalid IP address: bogus", false},
		{trustmodel.App{Framework: "gin", TrustProxy: []any{"1.2.3.4/33"}, TrustProxySet: true}, "invalid CIDR address: 1.2.3.4/33", false},
		{trustmodel.App{Framework: "gin", TrustProxy: "127.0.0.1", TrustProxySet: true}, `want a list of strings, got "127.0.0.1"`, true},
		{trustmodel.App{Framework: "gin", Options: map[string]any{"TrustedProxies": []any{}}}, `app.options: unknown option "TrustedProxies" for gin (known: AppEngine, ForwardedByClientIP, RemoteIPHeaders, TrustedPlatform)`, true},
		{trustmodel.App{Framework: "gin", Version: "2"}, `unsupported gin version "2"`, true},
	} {
		_, err := New(c.app)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.app, err, c.want)
			continue
		}
		var u *trustmodel.UnsupportedError
		if errors.As(err, &u) != c.unsupported {
			t.Errorf("%+v: %v: configuration error %v, want %v", c.app, err, !c.unsupported, c.unsupported)
		}
	}
}

func TestChiRealIP(t *testing.T) {
	realIP := []map[string]any{{"name": "real_ip"}}
	for _, c := range []struct {
		version string
		mw      []map[string]any
		req     trustmodel.Request
		want    string
	}{
		{"5", realIP, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6, 10.0.0.1"), "6.6.6.6"},
		{"5", nil, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6"), "127.0.0.1"},
		{"5", nil, req("", false), "@"},
		{"5", realIP, req("1.1.1.1", false, "True-Client-IP: 8.8.8.8", "X-Real-IP: 7.7.7.7"), "8.8.8.8"},
		{"5", realIP, req("1.1.1.1", false, "X-Real-IP: bogus", "X-Forwarded-For: 6.6.6.6"), "1.1.1.1"},
		{"5.5.0", realIP, req("1.1.1.1", false, "X-Forwarded-For: 6.6.6.6 ,1.1.1.1"), "1.1.1.1"},
		{"5.0.8", realIP, req("::1", false, "X-Forwarded-For: 6.6.6.6,9.9.9.9"), "6.6.6.6"},
		{"5.0.7", realIP, req("::1", false, "X-Forwarded-For: 6.6.6.6,9.9.9.9"), "6.6.6.6,9.9.9.9"},
		{"5.0.7", realIP, req("::1", false, "X-Real-IP: anything"), "anything"},
	} {
		ev := mustNew(t, trustmodel.App{Framework: "chi", Version: c.version, Middleware: c.mw})
		r := ev.Evaluate(c.req)
		if got := deref(r.IP); got != c.want {
			t.Errorf("chi %s %v %+v: ip = %q, want %q", c.version, c.mw, c.req, got, c.want)
		}
	}
	xff := func(prefixes ...any) []map[string]any {
		return []map[string]any{{"name": "client_ip_from_xff", "prefixes": prefixes}}
	}
	for _, c := range []struct {
		mw   []map[string]any
		req  trustmodel.Request
		want string
	}{
		{xff("127.0.0.1/32"), req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6, 9.9.9.9"), "9.9.9.9"},
		{xff("127.0.0.1/32"), req("1.1.1.1", false, "X-Forwarded-For: 6.6.6.6"), "1.1.1.1"},
		{xff("127.0.0.1/32"), req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6, 127.0.0.1"), "6.6.6.6"},
		{xff("127.0.0.1/32"), req("127.0.0.1", false, "X-Forwarded-For: 127.0.0.1"), ""},                                    // all trusted: none
		{xff("127.0.0.1/32"), req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6, bogus"), ""},                               // fail-closed
		{xff("127.0.0.1/32"), req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 9.9.9.9,,"), "9.9.9.9"}, // last line first, empties skipped
		{xff("127.0.0.1/32"), req("::ffff:127.0.0.1", false, "X-Forwarded-For: ::ffff:9.9.9.9"), "9.9.9.9"},
		{xff("fe80::/10"), req("fe80::1%eth0", false, "X-Forwarded-For: fe80::9%eth1"), ""},
		{xff("127.0.0.1/32"), req("", false, "X-Forwarded-For: 6.6.6.6"), ""}, // a UNIX socket peer does not parse: untrusted, no address
		{[]map[string]any{{"name": "client_ip_from_header", "header": "X-Real-IP"}}, req("1.1.1.1", false, "X-Real-IP: 7.7.7.7", "X-Real-IP: 8.8.8.8"), "8.8.8.8"},
		{[]map[string]any{{"name": "client_ip_from_xff_trusted_proxies", "count": 2}}, req("1.1.1.1", false, "X-Forwarded-For: 6.6.6.6, 7.7.7.7, 8.8.8.8"), "7.7.7.7"},
		{[]map[string]any{{"name": "client_ip_from_remote_addr"}}, req("fe80::1%eth0", false), "fe80::1%eth0"},
		{[]map[string]any{{"name": "real_ip"}, {"name": "client_ip_from_remote_addr"}}, req("1.1.1.1", false, "X-Real-IP: 7.7.7.7"), "7.7.7.7"},
	} {
		ev := mustNew(t, trustmodel.App{Framework: "chi", Middleware: c.mw})
		if got := deref(ev.Evaluate(c.req).IP); got != c.want {
			t.Errorf("chi %v %+v: ip = %q, want %q", c.mw, c.req, got, c.want)
		}
	}
	for _, c := range []struct {
		mw   []map[string]any
		want string
	}{
		{[]map[string]any{{"name": "client_ip_from_xff"}}, "middleware.ClientIPFromXFF: at least one trusted IP prefix is required"},
		{xff("127.0.0.1"), `netip.ParsePrefix("127.0.0.1"): no '/'`},
		{[]map[string]any{{"name": "client_ip_from_xff_trusted_proxies", "count": 0}}, "numTrustedProxies must be >= 1"},
		{[]map[string]any{{"name": "client_ip_from_xff", "trusted": []any{}}}, `unknown option "trusted" for client_ip_from_xff`},
	} {
		if _, err := New(trustmodel.App{Framework: "chi", Middleware: c.mw}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("chi %v: err %v, want %q", c.mw, err, c.want)
		}
	}
	if _, err := New(trustmodel.App{Framework: "chi", Version: "5.2", Middleware: xff("127.0.0.1/32")}); err == nil {
		t.Error("chi 5.2 with ClientIPFromXFF: want an error (added in 5.3.0)")
	}
	if _, err := New(trustmodel.App{Framework: "chi", Version: "5.0"}); err == nil {
		t.Error("chi 5.0 without a patch version: want an error (RealIP changed in 5.0.8)")
	}
}

func TestEcho(t *testing.T) {
	xff := map[string]any{"extractor": "x-forwarded-for"}
	for _, c := range []struct {
		version   string
		options   map[string]any
		req       trustmodel.Request
		ip, proto string
		secure    bool
	}{
		{"4", nil, req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6", "X-Forwarded-Proto: https"), "127.0.0.1", "https", false},
		{"4", nil, req("1.1.1.1", false, "X-Forwarded-Proto: https"), "1.1.1.1", "http", false},
		{"4", nil, req("fe80::1%eth0", false), "fe80::1", "http", false},
		{"4.16.3", nil, req("fe80::1%eth0", false), "fe80::1%eth0", "http", false},
		{"4.16.1", nil, req("1.1.1.1", false, "X-Forwarded-For: [2001:db8::1] , 9.9.9.9"), "2001:db8::1", "http", false},
		{"4.16.1", nil, req("1.1.1.1", false, "X-Forwarded-For: ,9.9.9.9"), ",9.9.9.9", "http", false},
		{"4.15", nil, req("1.1.1.1", false, "X-Forwarded-Proto: HTTPS"), "1.1.1.1", "HTTPS", false},
		{"4", xff, req("10.0.0.2", false, "X-Forwarded-For: 6.6.6.6, ::ffff:9.9.9.9"), "9.9.9.9", "http", false},
		{"4", xff, req("10.0.0.2", false, "X-Forwarded-For: 6.6.6.6, bogus, 10.0.0.1"), "10.0.0.2", "http", false},
		{"4", xff, req("10.0.0.2", false, "X-Forwarded-For: 10.0.0.9", "X-Forwarded-For:  10.0.0.5"), "10.0.0.9", "http", false},
		{"4", xff, req("203.0.113.9", true, "X-Forwarded-For: 6.6.6.6"), "203.0.113.9", "https", true},
		{"4", xff, req("", false, "X-Forwarded-For: 6.6.6.6", "X-Forwarded-Proto: wss"), "", "wss", false},
		{"4", map[string]any{"extractor": "x-real-ip", "TrustPrivateNet": false}, req("10.0.0.2", false, "X-Real-IP: 7.7.7.7"), "10.0.0.2", "http", false},
		{"4", map[string]any{"extractor": "x-real-ip", "TrustIPRange": []any{"10.0.0.0/8"}, "TrustPrivateNet": false}, req("10.0.0.2", false, "X-Real-IP: [2001:db8::1]"), "2001:db8::1", "http", false},
		{"4", nil, req("127.0.0.1", false, "X-Forwarded-Proto: https", "X-Forwarded-Proto: ftp"), "127.0.0.1", "http", false},
		{"4", nil, req("127.0.0.1", false, "X-Forwarded-Proto: ", "X-Forwarded-Ssl: on"), "127.0.0.1", "https", false},
		{"4", map[string]any{"SchemeExtractor": "legacy"}, req("1.1.1.1", false, "X-Forwarded-Proto: HTTPS"), "1.1.1.1", "https", false},
		{"4", map[string]any{"SchemeExtractor": "direct"}, req("127.0.0.1", false, "X-Forwarded-Proto: https"), "127.0.0.1", "http", false},
		{"4", map[string]any{"SchemeExtractor": map[string]any{"name": "headers", "TrustLoopback": false}}, req("127.0.0.1", false, "X-Forwarded-Proto: https"), "127.0.0.1", "http", false},
		{"4", map[string]any{"SchemeExtractor": map[string]any{"name": "headers", "TrustLoopback": false}}, req("", false, "X-Forwarded-Proto: https"), "", "http", false},
		{"4", map[string]any{"SchemeExtractor": map[string]any{"name": "headers", "TrustIPRange": []any{"203.0.113.0/24"}}}, req("203.0.113.9", false, "X-Forwarded-Proto: wss"), "203.0.113.9", "wss", false},
	} {
		ev := mustNew(t, trustmodel.App{Framework: "echo", Version: c.version, Options: c.options})
		r := ev.Evaluate(c.req)
		if deref(r.IP) != c.ip || deref(r.Protocol) != c.proto || r.Secure == nil || *r.Secure != c.secure {
			t.Errorf("echo %s %v %+v: ip %q protocol %q secure %v, want %q %q %v", c.version, c.options, c.req, deref(r.IP), deref(r.Protocol), r.Secure, c.ip, c.proto, c.secure)
		}
	}
	if _, err := New(trustmodel.App{Framework: "echo", Version: "4.15", Options: map[string]any{"SchemeExtractor": "direct"}}); err == nil {
		t.Error("echo 4.15 with a SchemeExtractor: want an error (it came in 4.16.0)")
	}
	if _, err := New(trustmodel.App{Framework: "echo", Options: map[string]any{"TrustIPRange": []any{"10.0.0.1"}}}); err == nil || err.Error() != "invalid CIDR address: 10.0.0.1" {
		t.Errorf("TrustIPRange 10.0.0.1: err %v, want net.ParseCIDR's", err)
	}
}

func TestHostFields(t *testing.T) {
	for host, want := range map[string]string{
		"a.example:8080": "a.example", "[::1]:8080": "::1", "[::1]": "::1", "a.example:abc": "a.example:abc", "a.example:": "a.example", "": "",
	} {
		ev := mustNew(t, trustmodel.App{Framework: "gin"})
		r := req("127.0.0.1", false)
		if host != "" {
			r = req("127.0.0.1", false, "Host: "+host)
		}
		res := ev.Evaluate(r)
		if deref(res.Host) != host || deref(res.Hostname) != want {
			t.Errorf("Host %q: host %q hostname %q, want %q", host, deref(res.Host), deref(res.Hostname), want)
		}
	}
}

// TestAdvise replays each advice: its App must build, trust the proxies and
// not a client, and read the client from behind nginx.
func TestAdvise(t *testing.T) {
	for _, c := range []struct {
		app     trustmodel.App
		proxies []string
		code    string
	}{
		{trustmodel.App{Framework: "gin"}, []string{"127.0.0.1"}, `r.SetTrustedProxies([]string{"127.0.0.1"})`},
		{trustmodel.App{Framework: "gin", Options: map[string]any{"RemoteIPHeaders": []any{"X-Forwarded-For"}}}, []string{"127.0.0.1", "10.0.0.0/16"}, `r.SetTrustedProxies([]string{"127.0.0.1", "10.0.0.0/16"})`},
		{trustmodel.App{Framework: "gin"}, nil, `r.SetTrustedProxies(nil)`},
		{trustmodel.App{Framework: "echo"}, []string{"127.0.0.1"}, `e.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))`},
		{trustmodel.App{Framework: "echo"}, []string{"10.0.0.5", "10.1.0.0/16"}, "_, proxy1, _ := net.ParseCIDR(\"10.0.0.5/32\")\n_, proxy2, _ := net.ParseCIDR(\"10.1.0.0/16\")\ne.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false), echo.TrustIPRange(proxy1), echo.TrustIPRange(proxy2))"},
		{trustmodel.App{Framework: "echo"}, nil, `e.IPExtractor = echo.ExtractIPDirect()`},
		{trustmodel.App{Framework: "chi", Middleware: []map[string]any{{"name": "real_ip"}}}, nil, `// remove r.Use(middleware.RealIP): r.RemoteAddr stays the connecting proxy's address`},
		{trustmodel.App{Framework: "chi", Middleware: []map[string]any{{"name": "real_ip"}}}, []string{"127.0.0.1", "10.0.0.0/16"}, `r.Use(middleware.ClientIPFromXFF("127.0.0.1/32", "10.0.0.0/16")) // instead of middleware.RealIP; read the address with middleware.GetClientIP(r.Context())`},
		{trustmodel.App{Framework: "chi", Version: "5.2"}, []string{"::1"}, `r.Use(middleware.ClientIPFromXFF("::1/128")) // instead of middleware.RealIP; read the address with middleware.GetClientIP(r.Context()) (chi 5.3.0 or later)`},
	} {
		ev := mustNew(t, c.app)
		s, ok := ev.Advise(trustmodel.Advice{Proxies: c.proxies, Hops: len(c.proxies)})
		if !ok {
			t.Errorf("%s %v: no advice", c.app.Framework, c.proxies)
			continue
		}
		if s.Code != c.code {
			t.Errorf("%s %v: code\n%s\nwant\n%s", c.app.Framework, c.proxies, s.Code, c.code)
		}
		adv := mustNew(t, s.App)
		for _, p := range c.proxies {
			peer, _, _ := strings.Cut(p, "/")
			got := adv.Evaluate(req(peer, false, "X-Forwarded-For: 6.6.6.6, 9.9.9.9"))
			if deref(got.IP) != "9.9.9.9" {
				t.Errorf("%s: from proxy %s, ip %q, want the client 9.9.9.9", s.Code, peer, deref(got.IP))
			}
		}
		for _, client := range []string{"9.9.9.9", "192.168.7.7"} {
			got := adv.Evaluate(req(client, false, "X-Forwarded-For: 6.6.6.6"))
			if deref(got.IP) != client {
				t.Errorf("%s: from client %s, ip %q, want the client's own address", s.Code, client, deref(got.IP))
			}
		}
	}
}

func TestTrustsEveryone(t *testing.T) {
	for _, c := range []struct {
		app  trustmodel.App
		want bool
	}{
		{trustmodel.App{Framework: "gin"}, true},
		{trustmodel.App{Framework: "gin", TrustProxy: []any{"0.0.0.0/0", "::/0"}, TrustProxySet: true}, true},
		{trustmodel.App{Framework: "gin", TrustProxy: []any{"0.0.0.0/0"}, TrustProxySet: true}, false},
		{trustmodel.App{Framework: "gin", TrustProxy: []any{"127.0.0.1"}, TrustProxySet: true}, false},
		{trustmodel.App{Framework: "chi", Middleware: []map[string]any{{"name": "real_ip"}}}, true},
		{trustmodel.App{Framework: "chi"}, false},
		{trustmodel.App{Framework: "echo", Version: "4.16.1"}, true},
		{trustmodel.App{Framework: "echo"}, false},
	} {
		if got := trustmodel.TrustsEveryone(mustNew(t, c.app).Trust()); got != c.want {
			t.Errorf("%+v: TrustsEveryone %v, want %v", c.app, got, c.want)
		}
	}
}
