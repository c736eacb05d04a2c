package goweb

import (
	"fmt"
	"net"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// gin evaluates gin 1.8–1.12's Context.ClientIP (context.go) with the
// engine's TrustedPlatform, RemoteIPHeaders, ForwardedByClientIP and
// SetTrustedProxies (gin.go). gin has no scheme accessor (Scheme() exists
// only on unreleased HEAD), so protocol and secure are nil.
type gin struct {
	minor       int
	cidrs       []*net.IPNet // engine.trustedCIDRs; nil trusts nothing
	proxies     []string     // SetTrustedProxies' argument as given
	proxiesSet  bool
	platform    string
	appEngine   bool // the deprecated Engine.AppEngine
	headers     []string
	forwardedBy bool
	explainer
}

// ginDefaultCIDRs is gin.go's defaultTrustedCIDRs: 0.0.0.0/0 and ::/0,
// what an engine trusts until SetTrustedProxies is called.
var ginDefaultCIDRs = func() []*net.IPNet {
	_, v4, _ := net.ParseCIDR("0.0.0.0/0")
	_, v6, _ := net.ParseCIDR("::/0")
	return []*net.IPNet{v4, v6}
}()

func newGin(app trustmodel.App) (trustmodel.Evaluator, error) {
	minor, _, ok := minorVersion(app.Version, "1", 12)
	if !ok || minor < 8 || minor > 12 {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported gin version %q (want 1, or 1.8 to 1.12)", app.Version)}
	}
	if err := checkOptions("gin", app.Options, "AppEngine", "ForwardedByClientIP", "RemoteIPHeaders", "TrustedPlatform"); err != nil {
		return nil, err
	}
	// gin.New(): ForwardedByClientIP true, RemoteIPHeaders
	// X-Forwarded-For then X-Real-IP, TrustedPlatform "" (defaultPlatform
	// outside the appengine build tag), trustedCIDRs defaultTrustedCIDRs.
	g := &gin{minor: minor, cidrs: ginDefaultCIDRs, headers: []string{"X-Forwarded-For", "X-Real-IP"}, forwardedBy: true, explainer: explainer{app.Explain}}
	if v, ok := app.Options["TrustedPlatform"]; ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, &trustmodel.UnsupportedError{Msg: "app.options.TrustedPlatform: want a header name, got " + describe(v)}
		}
		g.platform = s
	}
	if v, ok := app.Options["RemoteIPHeaders"]; ok {
		list, err := stringList("app.options.RemoteIPHeaders", v)
		if err != nil {
			return nil, err
		}
		if v != nil && list == nil {
			list = []string{}
		}
		g.headers = list
	}
	for _, o := range []struct {
		name string
		to   *bool
	}{{"ForwardedByClientIP", &g.forwardedBy}, {"AppEngine", &g.appEngine}} {
		if v, ok := app.Options[o.name]; ok {
			b, isBool := v.(bool)
			if !isBool {
				return nil, &trustmodel.UnsupportedError{Msg: "app.options." + o.name + ": want true or false, got " + describe(v)}
			}
			*o.to = b
		}
	}
	if app.TrustProxySet {
		list, err := stringList("gin trust_proxy (SetTrustedProxies' argument: a list of addresses and CIDRs, or null)", app.TrustProxy)
		if err != nil {
			return nil, err
		}
		if app.TrustProxy != nil && list == nil {
			list = []string{}
		}
		g.proxies, g.proxiesSet = list, true
		// SetTrustedProxies returns prepareTrustedCIDRs' error; the app
		// that checks it refuses to start.
		if g.cidrs, err = ginTrustedCIDRs(list); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// ginTrustedCIDRs is gin.go's prepareTrustedCIDRs: a bare address gets /32
// or /128 by the length of gin's parseIP (To4 when possible, so a bare
// IPv4-mapped address becomes "::ffff:a.b.c.d/32", which is ::/32), then
// net.ParseCIDR (host bits allowed).
func ginTrustedCIDRs(proxies []string) ([]*net.IPNet, error) {
	if proxies == nil {
		return nil, nil
	}
	cidrs := make([]*net.IPNet, 0, len(proxies))
	for _, p := range proxies {
		if !strings.Contains(p, "/") {
			ip := net.ParseIP(p)
			if ip == nil {
				return cidrs, &net.ParseError{Type: "IP address", Text: p}
			}
			if ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return cidrs, err
		}
		cidrs = append(cidrs, n)
	}
	return cidrs, nil
}

// trusted is engine.isTrustedProxy, with the range that matched.
func (g *gin) trusted(ip net.IP) (bool, *net.IPNet) {
	for _, n := range g.cidrs {
		if n.Contains(ip) {
			return true, n
		}
	}
	return false, nil
}

func (g *gin) Name() string { return fmt.Sprintf("gin 1.%d", g.minor) }

func (g *gin) AddressHeader() string {
	if g.forwardedBy && len(g.headers) > 0 {
		return g.headers[0]
	}
	return "X-Forwarded-For"
}

func (g *gin) Evaluate(req trustmodel.Request) trustmodel.Result {
	var r trustmodel.Result
	r.Host, r.Hostname = hostFields(req)
	ip := g.clientIP(req, &r)
	r.IP = &ip
	return r
}

// clientIP is Context.ClientIP.
func (g *gin) clientIP(req trustmodel.Request, r *trustmodel.Result) string {
	if g.platform != "" {
		if v := headerGet(req.Headers, g.platform); v != "" {
			g.step(r, trustmodel.Step{Addr: v, Why: "TrustedPlatform " + g.platform + ": the header's first line, verbatim, from any peer"})
			return v
		}
	}
	if g.appEngine {
		if v := headerGet(req.Headers, "X-Appengine-Remote-Addr"); v != "" {
			g.step(r, trustmodel.Step{Addr: v, Why: "AppEngine (deprecated): X-Appengine-Remote-Addr's first line, verbatim, from any peer"})
			return v
		}
	}
	var remoteIP net.IP
	trusted := false
	if g.minor >= 12 && unixPeer(req) {
		// 1.12: "If gin is listening a unix socket, always trust it."
		trusted = true
		g.step(r, trustmodel.Step{Trusted: true, Tested: true, Why: "a UNIX socket peer: gin 1.12 always trusts it"})
	} else {
		// RemoteIP(): net.SplitHostPort(strings.TrimSpace(RemoteAddr)).
		host, _, err := net.SplitHostPort(strings.TrimSpace(remoteAddr(req)))
		if err == nil {
			remoteIP = net.ParseIP(host)
		}
		if remoteIP == nil {
			g.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "not an address for net.ParseIP: ClientIP() is \"\""})
			return ""
		}
		var n *net.IPNet
		trusted, n = g.trusted(remoteIP)
		g.step(r, trustmodel.Step{Addr: req.Peer, Trusted: trusted, Tested: true, Why: g.why(trusted, n)})
	}
	if trusted && g.forwardedBy && g.headers != nil {
		for _, name := range g.headers {
			var value string
			if g.minor >= 12 {
				value = strings.Join(req.Headers.Lines(name), ",")
			} else {
				value = headerGet(req.Headers, name) // ≤1.11: c.requestHeader, the first line
			}
			if ip, ok := g.validateHeader(name, value, r); ok {
				return ip
			}
		}
	}
	return remoteIP.String() // "<nil>" for a UNIX socket peer
}

// validateHeader is engine.validateHeader: right to left, the first entry
// that is untrusted (or the leftmost), as its trimmed text; an entry
// net.ParseIP rejects makes the whole header unusable.
func (g *gin) validateHeader(name, header string, r *trustmodel.Result) (string, bool) {
	if header == "" {
		return "", false
	}
	items := strings.Split(header, ",")
	for i := len(items) - 1; i >= 0; i-- {
		hop := len(items) - i
		ipStr := strings.TrimSpace(items[i])
		ip := net.ParseIP(ipStr)
		if ip == nil {
			g.step(r, trustmodel.Step{Hop: hop, Addr: ipStr, Tested: true, Why: "not an address for net.ParseIP: " + name + " is skipped"})
			break
		}
		if i == 0 {
			g.step(r, trustmodel.Step{Hop: hop, Addr: ipStr, Why: "the leftmost " + name + " entry is the client"})
			return ipStr, true
		}
		ok, n := g.trusted(ip)
		g.step(r, trustmodel.Step{Hop: hop, Addr: ipStr, Trusted: ok, Tested: true, Why: g.why(ok, n)})
		if !ok {
			return ipStr, true
		}
	}
	return "", false
}

func (g *gin) why(ok bool, n *net.IPNet) string {
	switch {
	case ok && !g.proxiesSet:
		return "gin trusts every address until SetTrustedProxies is called"
	case ok:
		return "in trusted proxy " + n.String()
	case g.cidrs == nil:
		return "SetTrustedProxies(nil): nothing is trusted"
	}
	return "in no trusted proxy range"
}

func (g *gin) Trust() trustmodel.Trust { return ginTrust{g} }

// ginTrust is trust(addr) = isTrustedProxy(net.ParseIP(addr)); the empty
// address is a UNIX socket peer, which gin 1.12 trusts.
type ginTrust struct{ g *gin }

func (t ginTrust) Trusts(addr string, _ int) (bool, string) {
	if addr == "" {
		if t.g.minor >= 12 {
			return true, "a UNIX socket peer: gin 1.12 always trusts it"
		}
		return false, "a UNIX socket peer has no address before gin 1.12"
	}
	ip := net.ParseIP(addr)
	if ip == nil {
		return false, "not an address for net.ParseIP"
	}
	ok, n := t.g.trusted(ip)
	return ok, t.g.why(ok, n)
}

func (t ginTrust) String() string {
	if !t.g.proxiesSet {
		return "every address (SetTrustedProxies not called)"
	}
	if t.g.cidrs == nil {
		return "nothing (SetTrustedProxies(nil))"
	}
	if len(t.g.cidrs) == 0 {
		return "nothing (SetTrustedProxies with an empty list)"
	}
	parts := make([]string, len(t.g.cidrs))
	for i, n := range t.g.cidrs {
		parts[i] = n.String()
	}
	return "SetTrustedProxies: " + strings.Join(parts, ", ")
}

// TrustsEveryone reports whether every IPv4 and IPv6 address is trusted
// (gin's default, or 0.0.0.0/0 with ::/0).
func (t ginTrust) TrustsEveryone() bool {
	all := func(lo, hi string) bool {
		for _, n := range t.g.cidrs {
			if n.Contains(net.ParseIP(lo)) && n.Contains(net.ParseIP(hi)) {
				return true
			}
		}
		return false
	}
	return all("0.0.0.0", "255.255.255.255") && all("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
}

// Advise writes SetTrustedProxies with the proxies (nil: trust nothing),
// keeping the engine's other settings.
func (g *gin) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	app := trustmodel.App{Framework: "gin", Version: g.versionText(), TrustProxySet: true, Options: g.options()}
	var list []string
	if len(a.Proxies) > 0 {
		list = a.Proxies
		app.TrustProxy = anyList(list)
	}
	if _, err := ginTrustedCIDRs(list); err != nil {
		return trustmodel.Setting{}, false
	}
	return trustmodel.Setting{Code: "r.SetTrustedProxies(" + goList(list) + ")", App: app}, true
}

func (g *gin) versionText() string { return fmt.Sprintf("1.%d", g.minor) }

// options are the engine's settings that differ from gin.New()'s.
func (g *gin) options() map[string]any {
	o := map[string]any{}
	if g.platform != "" {
		o["TrustedPlatform"] = g.platform
	}
	if !g.forwardedBy {
		o["ForwardedByClientIP"] = false
	}
	if g.appEngine {
		o["AppEngine"] = true
	}
	if g.headers == nil || len(g.headers) != 2 || g.headers[0] != "X-Forwarded-For" || g.headers[1] != "X-Real-IP" {
		if g.headers == nil {
			o["RemoteIPHeaders"] = nil
		} else {
			o["RemoteIPHeaders"] = anyList(g.headers)
		}
	}
	if len(o) == 0 {
		return nil
	}
	return o
}
