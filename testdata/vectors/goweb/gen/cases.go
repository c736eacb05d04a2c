package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"trustcheck.example/goweb-gen/apps"
)

type generator struct {
	handPicked func() []Case
	random     func(r *rand.Rand) Case
}

var generators = map[string]generator{
	"gin":  {ginHandPicked, ginRandom},
	"chi":  {chiHandPicked, chiRandom},
	"echo": {echoHandPicked, echoRandom},
}

func sp(s string) *string { return &s }

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// peers are RemoteAddr hosts: Go's own forms (net.IP.String(), "%zone"),
// a few a custom listener could report, and nil for a UNIX socket.
var peers = []*string{
	sp("127.0.0.1"), sp("::1"), sp("10.0.0.2"), sp("192.168.1.5"), sp("172.16.0.1"), sp("172.31.255.254"),
	sp("172.32.0.1"), sp("169.254.1.1"), sp("fe80::1"), sp("fe80::1%eth0"), sp("fc00::1"), sp("fd12:3456::5"),
	sp("1.1.1.1"), sp("8.8.8.8"), sp("2001:db8::1"), sp("203.0.113.9"), sp("0.0.0.0"), sp("::"),
	sp("::ffff:10.0.0.1"), sp("::ffff:1.2.3.4"), sp("100.64.0.1"), sp("127.1.2.3"), sp("10.255.255.255"),
	sp("2001:DB8::2"), sp("fe80::2%lo"), sp("::ffff:127.0.0.1"), nil,
}

// addrs are X-Forwarded-For/X-Real-IP entries: valid, private, public and
// every spelling Go's parsers treat specially.
var addrs = []string{
	"1.1.1.1", "9.9.9.9", "8.8.4.4", "203.0.113.7", "2001:db8::7", "2606:4700::1111",
	"127.0.0.1", "::1", "10.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.4", "169.254.9.9", "fe80::9", "fd00::1",
	"100.64.1.1", "0.0.0.0", "::",
	"::ffff:9.9.9.9", "::FFFF:9.9.9.9", "::ffff:10.0.0.1", "2001:DB8::7", "[2001:db8::7]", "[1.1.1.1]", "[::1]",
	"[2001:db8::7]:443", "1.1.1.1:5555", "01.1.1.1", "1.1.1", "0x7f.0.0.1", "fe80::9%eth0", "unknown", "",
	" 1.1.1.1", "1.1.1.1 ", "1.1.1.1\t", "_hidden", "1.1.1.1.1", "::ffff:1.1.1.1%x", "[fe80::1%eth0]",
}

// commonAddrs weights random lists towards parseable entries.
var commonAddrs = []string{"1.1.1.1", "9.9.9.9", "203.0.113.7", "2001:db8::7", "127.0.0.1", "::1", "10.0.0.1", "192.168.0.1", "172.16.5.4", "fd00::1", "169.254.9.9"}

var hosts = []string{
	"a.example", "a.example:8080", "A.Example", "[::1]:8080", "[::1]", "a.example:", "a.example:abc",
	"10.0.0.1:80", "b.example:443", "xn--bcher-kva.example", "a.example:0", "[2001:db8::1]:443",
}

var protos = []string{"https", "http", "HTTPS", "Https", "wss", "ws", "ftp", "https, http", "http,https", "http, https ", "", " https", "on", "https,"}

// list makes an X-Forwarded-For value of n entries.
func list(r *rand.Rand, n int) string {
	parts := make([]string, n)
	for i := range parts {
		if r.IntN(4) == 0 {
			parts[i] = pick(r, addrs)
		} else {
			parts[i] = pick(r, commonAddrs)
		}
	}
	return strings.Join(parts, pick(r, []string{",", ", ", " , ", ",\t"}))
}

// addressHeaders adds 0–3 X-Forwarded-For lines and maybe the other
// address headers, in a random order, with random name case.
func randomHeaders(r *rand.Rand, extra []string) [][2]string {
	var h [][2]string
	for n := r.IntN(4); n > 0; n-- {
		h = append(h, [2]string{pick(r, []string{"X-Forwarded-For", "X-Forwarded-For", "x-forwarded-for", "X-FORWARDED-FOR"}), list(r, 1+r.IntN(4))})
	}
	for _, name := range extra {
		if r.IntN(3) == 0 {
			v := pick(r, commonAddrs)
			if r.IntN(3) == 0 {
				v = pick(r, addrs)
			}
			h = append(h, [2]string{name, v})
		}
	}
	r.Shuffle(len(h), func(i, j int) { h[i], h[j] = h[j], h[i] })
	if r.IntN(10) != 0 {
		h = append(h, [2]string{"Host", pick(r, hosts)})
	}
	return h
}

// ---- gin ----

var ginTrusts = []any{
	nil, // absent: gin trusts every address
	"null", []string{}, []string{"127.0.0.1"}, []string{"127.0.0.1", "::1"}, []string{"10.0.0.0/8"},
	[]string{"192.168.0.0/16", "fc00::/7"}, []string{"0.0.0.0/0"}, []string{"0.0.0.0/0", "::/0"}, []string{"10.0.0.1/8"},
	[]string{"::ffff:10.0.0.1"}, []string{"::ffff:10.0.0.0/104"}, []string{"2001:db8::/32"}, []string{"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"},
	[]string{"169.254.0.0/16", "fe80::/10"}, []string{"::/0"},
}

// ginBadTrusts are lists SetTrustedProxies returns an error for.
var ginBadTrusts = []any{
	[]string{"bogus"}, []string{"10.0.0.1", "bogus", "1.1.1.1"}, []string{"1.2.3.4/33"}, []string{"fe80::1%eth0"},
	[]string{"01.2.3.4"}, []string{" 127.0.0.1"}, []string{"[::1]"}, []string{"127.0.0.1:80"},
}

func ginCase(trust any, peer *string, tls bool, h [][2]string, opts map[string]any) Case {
	c := Case{Framework: "gin", Version: apps.Versions["gin"], Peer: peer, TLS: tls, Headers: h, Options: opts}
	switch t := trust.(type) {
	case nil:
	case string: // "null": SetTrustedProxies(nil)
		c.TrustProxy = json.RawMessage(t)
	default:
		c.TrustProxy = raw(t)
	}
	return c
}

func ginHandPicked() []Case {
	lo, pub, unix := sp("127.0.0.1"), sp("1.1.1.1"), (*string)(nil)
	xff := func(vs ...string) [][2]string {
		h := [][2]string{}
		for _, v := range vs {
			h = append(h, [2]string{"X-Forwarded-For", v})
		}
		return append(h, [2]string{"Host", "a.example"})
	}
	var cs []Case
	for _, trust := range []any{nil, "null", []string{"127.0.0.1"}, []string{"10.0.0.0/8"}} {
		for _, p := range []*string{lo, pub, sp("10.0.0.2"), sp("::1"), sp("fe80::1%eth0"), sp("::ffff:127.0.0.1"), unix} {
			cs = append(cs,
				ginCase(trust, p, false, xff("6.6.6.6, 10.0.0.1"), nil),
				ginCase(trust, p, false, xff("6.6.6.6", "10.0.0.1"), nil), // two lines: joined with "," in 1.12
				ginCase(trust, p, false, xff("9.9.9.9,,"), nil),           // empty rightmost item: header invalid
				ginCase(trust, p, false, xff("9.9.9.9:5555"), nil),        // a port: invalid
				ginCase(trust, p, false, xff("bogus, 10.0.0.1"), nil),     // invalid left of the answer
				ginCase(trust, p, false, xff(" ::FFFF:9.9.9.9 "), nil),    // raw text kept
				ginCase(trust, p, false, [][2]string{{"X-Real-IP", "7.7.7.7"}, {"Host", "a.example"}}, nil),
				ginCase(trust, p, false, [][2]string{{"X-Forwarded-For", ""}, {"X-Real-IP", "7.7.7.7"}, {"Host", "a.example:8080"}}, nil),
				ginCase(trust, p, true, [][2]string{{"X-Forwarded-Proto", "https"}}, nil), // no Host: HTTP/1.0
			)
		}
	}
	for _, trust := range append(ginTrusts[:len(ginTrusts):len(ginTrusts)], ginBadTrusts...) {
		cs = append(cs, ginCase(trust, lo, false, xff("6.6.6.6, 10.0.0.1, 127.0.0.1"), nil))
		cs = append(cs, ginCase(trust, sp("::1"), false, xff("6.6.6.6, ::ffff:10.0.0.1, 10.0.0.1"), nil))
		cs = append(cs, ginCase(trust, sp("10.0.0.1"), false, xff("6.6.6.6"), nil))
	}
	plat := func(name string) map[string]any { return map[string]any{"TrustedPlatform": name} }
	for _, o := range []map[string]any{
		plat("CF-Connecting-IP"), plat("X-Appengine-Remote-Addr"), plat("Fly-Client-IP"), plat("X-Client-IP"),
		{"RemoteIPHeaders": []string{"X-Real-IP"}}, {"RemoteIPHeaders": []string{}}, {"RemoteIPHeaders": nil},
		{"RemoteIPHeaders": []string{"True-Client-IP", "X-Forwarded-For"}}, {"ForwardedByClientIP": false},
		{"ForwardedByClientIP": false, "TrustedPlatform": "CF-Connecting-IP"},
		{"AppEngine": true}, {"AppEngine": true, "TrustedPlatform": "Fly-Client-IP"}, {"AppEngine": true, "ForwardedByClientIP": false},
	} {
		for _, p := range []*string{lo, pub, unix} {
			h := [][2]string{{"CF-Connecting-IP", "not an ip"}, {"CF-Connecting-IP", "5.5.5.5"}, {"Fly-Client-IP", " 4.4.4.4"}, {"X-Appengine-Remote-Addr", "3.3.3.3"},
				{"X-Forwarded-For", "6.6.6.6"}, {"X-Real-IP", "7.7.7.7"}, {"True-Client-IP", "8.8.8.8"}, {"Host", "[::1]:8080"}}
			cs = append(cs, ginCase(nil, p, false, h, o), ginCase([]string{"127.0.0.1"}, p, false, h, o))
		}
	}
	for _, h := range hosts {
		cs = append(cs, ginCase(nil, lo, false, [][2]string{{"Host", h}}, nil))
	}
	return cs
}

func ginRandom(r *rand.Rand) Case {
	var opts map[string]any
	if r.IntN(4) == 0 {
		opts = map[string]any{}
		if r.IntN(2) == 0 {
			opts["TrustedPlatform"] = pick(r, []string{"", "CF-Connecting-IP", "X-Appengine-Remote-Addr", "Fly-Client-IP"})
		}
		if r.IntN(2) == 0 {
			opts["RemoteIPHeaders"] = pick(r, [][]string{nil, {}, {"X-Real-IP"}, {"X-Forwarded-For"}, {"X-Real-IP", "X-Forwarded-For"}, {"True-Client-IP", "X-Forwarded-For", "X-Real-IP"}})
		}
		if r.IntN(3) == 0 {
			opts["ForwardedByClientIP"] = r.IntN(2) == 0
		}
		if r.IntN(6) == 0 {
			opts["AppEngine"] = r.IntN(2) == 0
		}
	}
	trust := pick(r, ginTrusts)
	if r.IntN(25) == 0 {
		trust = pick(r, ginBadTrusts)
	}
	return ginCase(trust, pick(r, peers), r.IntN(5) == 0, randomHeaders(r, []string{"X-Real-IP", "CF-Connecting-IP", "True-Client-IP", "Fly-Client-IP", "X-Appengine-Remote-Addr"}), opts)
}

// ---- chi ----

func chiCase(realIP bool, peer *string, tls bool, h [][2]string) Case {
	c := Case{Framework: "chi", Version: apps.Versions["chi"], Peer: peer, TLS: tls, Headers: h}
	if realIP {
		c.Middleware = []map[string]any{{"name": "real_ip"}}
	}
	return c
}

func chiHandPicked() []Case {
	var cs []Case
	for _, mw := range []bool{true, false} {
		for _, p := range []*string{sp("127.0.0.1"), sp("1.1.1.1"), sp("::1"), sp("fe80::1%eth0"), nil} {
			for _, h := range [][][2]string{
				{{"X-Forwarded-For", "6.6.6.6, 10.0.0.1"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "6.6.6.6,10.0.0.1"}},
				{{"X-Forwarded-For", "1.2.3.4 ,5.6.7.8"}, {"Host", "a.example"}}, // not trimmed: invalid
				{{"X-Forwarded-For", "bogus"}, {"X-Forwarded-For", "6.6.6.6"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "bogus"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", ",6.6.6.6"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "[::1]"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "::ffff:9.9.9.9"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "fe80::9%eth0"}, {"Host", "a.example"}},
				{{"X-Real-IP", "7.7.7.7"}, {"X-Forwarded-For", "6.6.6.6"}, {"Host", "a.example"}},
				{{"X-Real-IP", "not-ip"}, {"X-Forwarded-For", "6.6.6.6"}, {"Host", "a.example"}}, // X-Real-IP wins, then fails validation
				{{"True-Client-IP", "8.8.8.8"}, {"X-Real-IP", "7.7.7.7"}, {"Host", "a.example"}},
				{{"True-Client-IP", ""}, {"X-Real-IP", "7.7.7.7"}, {"Host", "a.example"}},
				{{"True-Client-IP", " 8.8.8.8 "}, {"Host", "[::1]:80"}},
				{{"Host", "a.example:abc"}},
			} {
				cs = append(cs, chiCase(mw, p, false, h), chiCase(mw, p, true, h))
			}
		}
	}
	if !chiHasClientIP() {
		return cs
	}
	xff := func(prefixes ...string) map[string]any {
		return map[string]any{"name": "client_ip_from_xff", "prefixes": prefixes}
	}
	for _, mw := range [][]map[string]any{
		{xff("127.0.0.1/32")}, {xff("127.0.0.0/8", "::1/128", "10.0.0.0/8")}, {xff("10.0.0.1/8")}, {xff("::ffff:127.0.0.1/128")},
		{{"name": "client_ip_from_xff"}}, {xff("127.0.0.1")},
		{{"name": "client_ip_from_header", "header": "X-Real-IP", "prefixes": []string{"127.0.0.1/32"}}},
		{{"name": "client_ip_from_header", "header": "X-Real-IP"}},
		{{"name": "client_ip_from_xff_trusted_proxies", "count": 1}}, {{"name": "client_ip_from_xff_trusted_proxies", "count": 2}},
		{{"name": "client_ip_from_xff_trusted_proxies", "count": 0}},
		{{"name": "client_ip_from_remote_addr"}},
		{{"name": "real_ip"}, xff("127.0.0.1/32")}, {xff("127.0.0.1/32"), {"name": "client_ip_from_remote_addr"}},
	} {
		for _, p := range []*string{sp("127.0.0.1"), sp("1.1.1.1"), sp("::1"), sp("fe80::1%eth0"), sp("::ffff:127.0.0.1"), nil} {
			for _, h := range [][][2]string{
				{{"X-Forwarded-For", "6.6.6.6, 10.0.0.1"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "6.6.6.6,, 127.0.0.1, "}, {"X-Forwarded-For", "9.9.9.9"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "bogus, 6.6.6.6"}, {"X-Forwarded-For", "127.0.0.1"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "fe80::9%eth0, ::ffff:9.9.9.9"}, {"Host", "a.example"}},
				{{"X-Forwarded-For", "127.0.0.1"}, {"Host", "a.example"}},
				{{"X-Real-IP", "7.7.7.7"}, {"X-Real-IP", " ::FFFF:7.7.7.8"}, {"Host", "a.example"}},
				{{"Host", "a.example"}},
			} {
				c := chiCase(false, p, false, h)
				c.Middleware = mw
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// chiHasClientIP reports whether the built chi has the ClientIPFrom*
// middleware (5.3.0 and later).
func chiHasClientIP() bool {
	var minor int
	_, _ = fmt.Sscanf(apps.Versions["chi"], "5.%d", &minor)
	return minor >= 3
}

var chiPrefixes = [][]string{
	{"127.0.0.1/32"}, {"127.0.0.0/8", "::1/128"}, {"10.0.0.0/8"}, {"10.0.0.1/8"}, {"::ffff:10.0.0.0/104"},
	{"0.0.0.0/0", "::/0"}, {"fe80::/10"}, {"192.168.0.0/16", "fc00::/7"}, {"127.0.0.1/32", "10.0.0.0/8", "172.16.0.0/12"},
}

// chiBadPrefixes make chi panic at start-up.
var chiBadPrefixes = [][]string{{"10.0.0.1"}, {"10.0.0.0/33"}, {"::1"}}

// chiClientIPMiddleware is a random ClientIPFrom* entry.
func chiClientIPMiddleware(r *rand.Rand) map[string]any {
	prefixes := pick(r, chiPrefixes)
	if r.IntN(30) == 0 {
		prefixes = pick(r, chiBadPrefixes)
	}
	switch r.IntN(5) {
	case 0, 1:
		if r.IntN(40) == 0 {
			prefixes = nil // ClientIPFromXFF() panics
		}
		return map[string]any{"name": "client_ip_from_xff", "prefixes": prefixes}
	case 2:
		m := map[string]any{"name": "client_ip_from_header", "header": pick(r, []string{"X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Forwarded-For"})}
		if r.IntN(3) != 0 {
			m["prefixes"] = prefixes
		}
		return m
	case 3:
		n := 1 + r.IntN(3)
		if r.IntN(40) == 0 {
			n = 0 // panics
		}
		return map[string]any{"name": "client_ip_from_xff_trusted_proxies", "count": n}
	}
	return map[string]any{"name": "client_ip_from_remote_addr"}
}

func chiRandom(r *rand.Rand) Case {
	c := chiCase(r.IntN(5) != 0, pick(r, peers), r.IntN(5) == 0, randomHeaders(r, []string{"X-Real-IP", "True-Client-IP", "CF-Connecting-IP"}))
	if chiHasClientIP() && r.IntN(2) == 0 {
		mw := []map[string]any{chiClientIPMiddleware(r)}
		if r.IntN(4) == 0 {
			mw = append(mw, chiClientIPMiddleware(r))
		}
		if r.IntN(4) == 0 {
			mw = append([]map[string]any{{"name": "real_ip"}}, mw...)
		}
		c.Middleware = mw
	}
	return c
}

// ---- echo ----

var echoExtractors = []any{nil, "direct", "x-forwarded-for", "x-real-ip"}

func echoCase(ext any, trust map[string]any, peer *string, tls bool, h [][2]string) Case {
	opts := map[string]any{}
	for k, v := range trust {
		opts[k] = v
	}
	if ext != nil {
		opts["extractor"] = ext
	}
	if len(opts) == 0 {
		opts = nil
	}
	return Case{Framework: "echo", Version: apps.Versions["echo"], Peer: peer, TLS: tls, Headers: h, Options: opts}
}

var echoTrusts = []map[string]any{
	nil, {"TrustLoopback": false}, {"TrustLinkLocal": false}, {"TrustPrivateNet": false},
	{"TrustLoopback": false, "TrustLinkLocal": false, "TrustPrivateNet": false},
	{"TrustLoopback": false, "TrustLinkLocal": false, "TrustPrivateNet": false, "TrustIPRange": []string{"127.0.0.1/32"}},
	{"TrustPrivateNet": false, "TrustIPRange": []string{"10.0.0.0/8", "2001:db8::/32"}},
	{"TrustIPRange": []string{"203.0.113.0/24"}}, {"TrustIPRange": []string{"1.1.1.1/32", "::ffff:9.9.9.9/128"}},
}

// echoBadTrusts have a range net.ParseCIDR refuses.
var echoBadTrusts = []map[string]any{{"TrustIPRange": []string{"10.0.0.0/33"}}, {"TrustIPRange": []string{"10.0.0.1"}}}

func echoHandPicked() []Case {
	var cs []Case
	hs := [][][2]string{
		{{"X-Forwarded-For", "6.6.6.6, 10.0.0.1"}, {"Host", "a.example"}},
		{{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "10.0.0.1"}, {"Host", "a.example"}},
		{{"X-Forwarded-For", "::ffff:9.9.9.9"}, {"Host", "a.example"}},
		{{"X-Forwarded-For", "[2001:db8::1], 10.0.0.1"}, {"Host", "a.example"}},
		{{"X-Forwarded-For", "6.6.6.6, bogus, 10.0.0.1"}, {"Host", "a.example"}},
		{{"X-Forwarded-For", " 10.0.0.5 , 10.0.0.1"}, {"Host", "a.example"}},
		{{"X-Forwarded-For", ""}, {"Host", "a.example"}},
		{{"X-Real-IP", "[2001:db8::1]"}, {"Host", "a.example"}},
		{{"X-Real-IP", "7.7.7.7"}, {"X-Real-IP", "8.8.8.8"}, {"Host", "a.example"}},
		{{"X-Real-IP", "::FFFF:7.7.7.7"}, {"Host", "a.example"}},
		{{"X-Real-IP", "7.7.7.7:80"}, {"Host", "a.example"}},
		{{"X-Forwarded-Proto", "https"}, {"Host", "a.example"}},
		{{"X-Forwarded-Proto", "http, HTTPS"}, {"Host", "a.example"}},
		{{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Proto", ""}, {"X-Forwarded-Protocol", "wss"}, {"Host", "a.example"}},
		{{"X-Forwarded-Proto", "ftp"}, {"X-Forwarded-Ssl", "on"}, {"Host", "a.example"}},
		{{"X-Forwarded-Ssl", "on"}, {"Host", "a.example"}},
		{{"X-Forwarded-Ssl", "ON"}, {"X-Url-Scheme", "WSS"}, {"Host", "a.example"}},
		{{"X-Url-Scheme", "https"}},
	}
	for _, ext := range echoExtractors {
		for _, p := range []*string{sp("127.0.0.1"), sp("1.1.1.1"), sp("10.0.0.2"), sp("::1"), sp("fe80::1%eth0"), sp("::ffff:10.0.0.1"), nil} {
			for _, h := range hs {
				cs = append(cs, echoCase(ext, nil, p, false, h))
			}
			cs = append(cs, echoCase(ext, nil, p, true, hs[0]), echoCase(ext, nil, p, true, hs[len(hs)-1]))
		}
	}
	for _, ext := range echoExtractors[2:] {
		for _, t := range append(echoTrusts[:len(echoTrusts):len(echoTrusts)], echoBadTrusts...) {
			for _, p := range []*string{sp("127.0.0.1"), sp("10.0.0.2"), sp("203.0.113.9"), sp("fe80::1")} {
				cs = append(cs, echoCase(ext, t, p, false, [][2]string{{"X-Forwarded-For", "6.6.6.6, 1.1.1.1, 10.0.0.1, 127.0.0.1"}, {"X-Real-IP", "7.7.7.7"}, {"X-Forwarded-Proto", "https"}, {"Host", "a.example"}}))
			}
		}
	}
	if !echoHasSchemeExtractor() {
		return cs
	}
	for _, se := range echoSchemeExtractors {
		for _, p := range []*string{sp("127.0.0.1"), sp("203.0.113.9"), sp("1.1.1.1"), sp("10.0.0.2"), nil} {
			for _, h := range [][][2]string{
				{{"X-Forwarded-Proto", "https"}, {"Host", "a.example"}},
				{{"X-Forwarded-Proto", "http, HTTPS"}, {"Host", "a.example"}},
				{{"X-Forwarded-Proto", "wss"}, {"X-Forwarded-Proto", "ftp"}, {"Host", "a.example"}},
				{{"X-Forwarded-Ssl", "on"}, {"Host", "a.example"}},
			} {
				c := echoCase(nil, nil, p, false, h)
				c.Options = map[string]any{"SchemeExtractor": se}
				cs = append(cs, c)
			}
			c := echoCase(nil, nil, p, true, [][2]string{{"X-Forwarded-Proto", "http"}, {"Host", "a.example"}})
			c.Options = map[string]any{"SchemeExtractor": se}
			cs = append(cs, c)
		}
	}
	cs = append(cs, echoCase(nil, nil, sp("127.0.0.1"), false, [][2]string{{"Host", "a.example"}}))
	cs[len(cs)-1].Options = map[string]any{"SchemeExtractor": map[string]any{"name": "headers", "TrustIPRange": []string{"10.0.0.0/33"}}}
	return cs
}

// echoHasSchemeExtractor reports whether the built echo has
// Echo#SchemeExtractor (4.16.0 and later).
func echoHasSchemeExtractor() bool {
	var minor int
	_, _ = fmt.Sscanf(apps.Versions["echo"], "4.%d", &minor)
	return minor >= 16
}

var echoSchemeExtractors = []any{
	"direct", "legacy", "headers", map[string]any{"name": "headers", "TrustLoopback": false},
	map[string]any{"name": "headers", "TrustPrivateNet": false, "TrustIPRange": []string{"203.0.113.0/24"}},
	map[string]any{"name": "headers", "TrustLoopback": false, "TrustLinkLocal": false, "TrustPrivateNet": false},
}

func echoRandom(r *rand.Rand) Case {
	h := randomHeaders(r, []string{"X-Real-IP", "X-Real-IP"})
	for _, name := range []string{"X-Forwarded-Proto", "X-Forwarded-Proto", "X-Forwarded-Protocol", "X-Forwarded-Ssl", "X-Url-Scheme"} {
		if r.IntN(4) == 0 {
			v := pick(r, protos)
			if name == "X-Forwarded-Ssl" {
				v = pick(r, []string{"on", "ON", "off", "", "1"})
			}
			h = append([][2]string{{pick(r, []string{name, strings.ToLower(name)}), v}}, h...)
		}
	}
	trust := pick(r, echoTrusts)
	if r.IntN(25) == 0 {
		trust = pick(r, echoBadTrusts)
	}
	c := echoCase(pick(r, echoExtractors), trust, pick(r, peers), r.IntN(5) == 0, h)
	if echoHasSchemeExtractor() && r.IntN(4) == 0 {
		if c.Options == nil {
			c.Options = map[string]any{}
		}
		c.Options["SchemeExtractor"] = pick(r, echoSchemeExtractors)
	}
	return c
}
