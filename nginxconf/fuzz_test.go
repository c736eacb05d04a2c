package nginxconf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/internal/nginxtest"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// refInternal is the recursive form of
// ngx_http_get_forwarded_addr_internal as nginx 1.22 wrote it (the loop
// form replaced it later); the fuzzer checks both agree.
func refInternal(addr sockaddr, xff string, xfflen int, proxies []cidr, recursive, bracket bool) (sockaddr, fwdResult) {
	if !cidrMatch(addr, proxies) {
		return addr, fwdDeclined
	}
	if xfflen == 0 {
		return addr, fwdDeclined
	}
	p := xfflen - 1
	for ; p > 0; p-- {
		if xff[p] != ' ' && xff[p] != ',' {
			break
		}
		xfflen--
	}
	for ; p > 0; p-- {
		if xff[p] == ' ' || xff[p] == ',' {
			p++
			break
		}
	}
	paddr, ok := parseAddrPort(xff[p:xfflen], bracket)
	if !ok {
		return addr, fwdDeclined
	}
	if recursive && p > 0 {
		next, rc := refInternal(paddr, xff, p-1, proxies, true, bracket)
		if rc == fwdDeclined {
			return paddr, fwdDone
		}
		return next, rc
	}
	return paddr, fwdOK
}

func refForwarded(addr sockaddr, lines []string, proxies []cidr, recursive, bracket bool) (sockaddr, fwdResult) {
	rc := fwdDeclined
	found := false
	for i := len(lines) - 1; i >= 0; i-- {
		var next sockaddr
		next, rc = refInternal(addr, lines[i], len(lines[i]), proxies, recursive, bracket)
		if rc != fwdDeclined {
			addr = next
		}
		if !recursive {
			break
		}
		if rc == fwdDeclined && found {
			rc = fwdDone
			break
		}
		if rc != fwdOK {
			break
		}
		found = true
	}
	return addr, rc
}

var fuzzProxySets = [][]string{
	{"127.0.0.2"},
	{"10.0.0.0/8", "127.0.0.0/8"},
	{"0.0.0.0/0"},
	{"::1", "2001:db8::/32"},
	{"0.0.0.0/0", "::/0", "unix:"},
}

func FuzzRealIPWalk(f *testing.F) {
	for _, s := range []string{
		"6.6.6.6", "6.6.6.6, 10.0.0.7, 127.0.0.2", "   6.6.6.6 ,,10.0.0.7 ,   ", "unknown, 10.0.0.7",
		"6.6.6.6:4444, 10.0.0.7:80", "2001:db8::6, [::1]:8080", "::ffff:6.6.6.6", "1..2.3", "[::1]", ",", "",
		"6.6.6.6\n10.0.0.1", "a,b c", "1.2.3.4:0", "[1.2.3.4]:80",
	} {
		f.Add(s, "127.0.0.2", uint8(0), true)
	}
	f.Add("1.1.1.1\n2.2.2.2", "::ffff:10.0.0.1", uint8(1), false)
	f.Add("[::1]:1, [2001:db8::1]", "::1", uint8(3), true)
	f.Fuzz(func(t *testing.T, xff, peer string, set uint8, recursive bool) {
		var proxies []cidr
		for _, p := range fuzzProxySets[int(set)%len(fuzzProxySets)] {
			rf, _ := parseRealIPFrom(trustmodel.Pos{}, p)
			proxies = append(proxies, rf.c)
		}
		sa, ok := parsePeer(peer)
		if !ok {
			return
		}
		lines := strings.Split(xff, "\n")
		for _, bracket := range []bool{false, true} {
			got, rc := forwardedAddr(sa, lines, false, proxies, recursive, bracket)
			want, wrc := refForwarded(sa, lines, proxies, recursive, bracket)
			if rc != wrc || got != want {
				t.Fatalf("xff %q peer %q recursive %v: %v %v, reference %v %v", xff, peer, recursive, got.ntop(), rc, want.ntop(), wrc)
			}
			if rc != fwdDeclined {
				text := got.ntop()
				if _, err := netip.ParseAddr(text); err != nil && got.family != afUnix {
					t.Fatalf("resolved to %q, not an address", text)
				}
			}
		}
	})
}

// FuzzInet6 checks ngx_inet6_addr against net/netip where both accept: the
// same 16 bytes. nginx accepts a few spellings netip refuses (one leading
// ':'), never the other way round except for zones and 8+ groups.
func FuzzInet6(f *testing.F) {
	for _, s := range []string{"::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", ":1:2:3:4:5:6:7:8", "1::", "fe80::1%eth0", "1:2:3:4:5:6:7::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, ok := inet6Addr(s)
		a, err := netip.ParseAddr(s)
		if ok && err == nil && a.Is6() && a.As16() != ip {
			t.Fatalf("%q: nginx %v, netip %v", s, ip, a.As16())
		}
		if ok {
			// the text nginx prints parses back to the same address
			back, err := netip.ParseAddr(inet6Ntop(ip))
			if err != nil || back.As16() != ip {
				t.Fatalf("%q: ntop %q does not round-trip", s, inet6Ntop(ip))
			}
		}
	})
}

// FuzzLoad writes arbitrary bytes as nginx.conf: Load never panics, errors
// are *LoadError on one line, and a loaded model answers queries.
func FuzzLoad(f *testing.F) {
	seeds := []string{"http { server { listen 80; location / { proxy_pass http://127.0.0.1:1; } } }"}
	if ents, err := os.ReadDir(modelDir); err == nil {
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(modelDir, e.Name())); err == nil && !e.IsDir() {
				seeds = append(seeds, string(b))
			}
		}
	}
	seeds = append(seeds, "server { include fastcgi_params; location ~ \\.php$ { include snippets/fastcgi-php.conf; fastcgi_param HTTP_X_A \"\"; fastcgi_pass unix:/run/php.sock; } location / { include uwsgi_params; uwsgi_param UWSGI_SCHEME $scheme; uwsgi_pass 127.0.0.1:1; } }")
	seeds = append(seeds, "if () {}", "location ~ ( {}", "map $a $b { ~( x; default $b; }", "set_by_lua_block $x {",
		"content_by_lua_block { --[[ ", "server { listen [::1; }", "include x", "}", "{", "# configuration file /x:\nserver{}")
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if nginxtest.IncludesOutside(data) {
			return
		}
		p := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(LoadOptions{AllowMissingIncludes: true, Prefix: dir}, p)
		if len(data)%2 == 1 { // lint's load with the file streamed, lexed in segments
			defer func(n, m int64) { streamAbove, segmentBytes = n, m }(streamAbove, segmentBytes)
			streamAbove, segmentBytes = 0, 1
		}
		checkDeferredAlike(t, p, dir, cfg, err)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || strings.ContainsAny(err.Error(), "\n\r") || strings.Contains(err.Error(), "internal error") {
				t.Fatalf("bad error %T %q", err, err.Error())
			}
			return
		}
		req := trustmodel.Request{Peer: "127.0.0.2", TLS: true, Headers: trustmodel.Header{
			{Name: "Host", Value: "a.example"}, {Name: "X-Forwarded-For", Value: "6.6.6.6, 10.0.0.1"}, {Name: "X-Real-IP", Value: "7.7.7.7"},
		}}
		for _, s := range cfg.Servers {
			for _, u := range []string{"/", "/a/b.php", "/api/", "/old/x"} {
				s.LocationFor(u)
				s.ProxyFor(u)
			}
			cfg.Expr(s, nil, "$host$http_x_forwarded_for$remote_addr")
		}
		for _, p := range cfg.Proxies() {
			p.Hop.Forward(req)
			for _, r := range p.Hop.Rules {
				if r.Value != nil {
					r.Value.Sources()
					_ = r.Value.String()
				}
			}
		}
		for _, w := range cfg.Warnings {
			if strings.ContainsAny(w.String(), "\n\r") {
				t.Fatalf("warning on several lines: %q", w.String())
			}
		}
	})
}

// checkDeferredAlike loads p as lint does (DeferProxies: server blocks
// packed, built and released a server at a time) and compares it with
// Load's whole, cfg or err: the same error, or the same warnings and
// proxies.
func checkDeferredAlike(t *testing.T, p, dir string, whole *Config, werr error) {
	t.Helper()
	parts, err := Load(LoadOptions{AllowMissingIncludes: true, Prefix: dir, DeferProxies: true}, p)
	if err == nil {
		var got []*Proxy
		for _, s := range parts.Servers {
			got = append(got, parts.BuildProxies([]*Server{s})...)
			parts.ReleaseServers([]*Server{s})
		}
		if err = parts.ProxiesBuilt(); err == nil && werr == nil {
			if fmt.Sprint(parts.Warnings) != fmt.Sprint(whole.Warnings) {
				t.Fatalf("deferred, the warnings are %v; by Load, %v", parts.Warnings, whole.Warnings)
			}
			want := whole.Proxies()
			if len(got) != len(want) {
				t.Fatalf("deferred, %d proxies; by Load, %d", len(got), len(want))
			}
			for i := range got {
				if got[i].Pos != want[i].Pos || fmt.Sprint(got[i].Headers) != fmt.Sprint(want[i].Headers) {
					t.Fatalf("deferred, proxy %d is %v %v; by Load, %v %v", i, got[i].Pos, got[i].Headers, want[i].Pos, want[i].Headers)
				}
			}
		}
	}
	if fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("deferred, the error is %v; by Load, %v", err, werr)
	}
}
