package goweb

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// FuzzEvaluate feeds arbitrary peers and header values to every evaluator:
// no panic, and each ip is one the framework can answer — the peer (as
// given or normalised, or all of r.RemoteAddr when it does not split), a
// header entry's text, or "" / "<nil>" / "@".
func FuzzEvaluate(f *testing.F) {
	f.Add("127.0.0.1", "6.6.6.6, 10.0.0.1", "7.7.7.7", "a.example:80")
	f.Add("fe80::1%eth0", "[::1]:80,,", "[2001:db8::1]", "[::1]")
	f.Add("", " ::FFFF:9.9.9.9 ", "", "")
	f.Add("::ffff:10.0.0.1", "01.2.3.4,1.1.1", "0x7f.0.0.1", "a:b:c")
	evs := []trustmodel.Evaluator{}
	for _, app := range []trustmodel.App{
		{Framework: "gin"}, {Framework: "gin", Version: "1.11", TrustProxy: []any{"127.0.0.1", "10.0.0.0/8"}, TrustProxySet: true},
		{Framework: "chi", Middleware: []map[string]any{{"name": "real_ip"}}}, {Framework: "chi", Version: "5.0.7", Middleware: []map[string]any{{"name": "real_ip"}}},
		{Framework: "echo"}, {Framework: "echo", Version: "4.16.1"}, {Framework: "echo", Options: map[string]any{"extractor": "x-forwarded-for"}},
		{Framework: "echo", Options: map[string]any{"extractor": "x-real-ip"}},
	} {
		ev, err := New(app)
		if err != nil {
			f.Fatal(err)
		}
		evs = append(evs, ev)
	}
	f.Fuzz(func(t *testing.T, peer, xff, realIP, host string) {
		r := trustmodel.Request{Peer: peer, Headers: trustmodel.Header{
			{Name: "X-Forwarded-For", Value: xff}, {Name: "X-Real-IP", Value: realIP}, {Name: "Host", Value: host},
		}}
		for _, ev := range evs {
			res := ev.Evaluate(r)
			if res.IP == nil || res.Host == nil || *res.Host != host || res.Hostname == nil {
				t.Fatalf("%s: ip %v host %v hostname %v", ev.Name(), res.IP, res.Host, res.Hostname)
			}
			ip := *res.IP
			if ip == "" || ip == "<nil>" || ip == "@" || ip == remoteAddr(r) || strings.Contains(peer, ip) || strings.Contains(xff, ip) || strings.Contains(realIP, ip) {
				continue
			}
			// A normalised form of a parsed address (gin's peer, echo's XFF walk).
			if net.ParseIP(ip) == nil {
				t.Fatalf("%s: ip %q comes from nowhere (peer %q xff %q real-ip %q)", ev.Name(), ip, peer, xff, realIP)
			}
		}
	})
}

// FuzzConfig: any JSON as trust_proxy, options or one middleware entry
// configures gin, echo or chi or fails with an error, never a panic, and a
// configured evaluator evaluates, explains, advises and its advice builds.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		`["127.0.0.1", "10.0.0.0/8"]`, `null`, `[]`, `["bogus"]`, `"127.0.0.1"`, `{"TrustedPlatform": "X"}`,
		`{"extractor": "x-forwarded-for", "TrustIPRange": ["10.0.0.0/8"]}`, `{"name": "client_ip_from_xff", "prefixes": ["127.0.0.1/32"]}`,
		`{"name": "client_ip_from_xff_trusted_proxies", "count": 1.5}`, `{"RemoteIPHeaders": [1]}`,
	} {
		f.Add([]byte(s), uint8(0), "")
	}
	f.Add([]byte(`{"name": "real_ip"}`), uint8(2), "5.0.7")
	f.Fuzz(func(t *testing.T, data []byte, which uint8, version string) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		app := trustmodel.App{Framework: [...]string{"gin", "echo", "chi"}[which%3], Version: version, Explain: which&4 != 0}
		switch which / 3 % 3 {
		case 0:
			app.TrustProxy, app.TrustProxySet = v, true
		case 1:
			app.Options, _ = v.(map[string]any)
		case 2:
			m, _ := v.(map[string]any)
			app.Middleware = []map[string]any{m}
		}
		ev, err := New(app)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		_ = ev.Evaluate(trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{{Name: "X-Forwarded-For", Value: "6.6.6.6, 10.0.0.1"}}})
		_ = ev.Trust().String()
		if s, ok := ev.Advise(trustmodel.Advice{Proxies: []string{"127.0.0.1"}, Hops: 1}); ok {
			if _, err := New(s.App); err != nil {
				t.Fatalf("%s: advice %q does not build: %v", ev.Name(), s.Code, err)
			}
		}
	})
}
