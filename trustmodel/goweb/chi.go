package goweb

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// chi evaluates chi 5's request-address middleware (middleware/realip.go,
// middleware/client_ip.go) in front of a handler that reads the address:
// r.RemoteAddr (its host when it is host:port) after middleware.RealIP,
// or middleware.GetClientIP(r.Context()) when a ClientIPFrom* middleware
// is used. chi has no scheme accessor.
type chi struct {
	version    string // "5.5" (5.3 and later), "5.2" (5.0.8–5.2.x), "5.0.7" (≤5.0.7)
	legacy     bool   // ≤5.0.7: RealIP cuts XFF at ", " and stores any text
	middleware []chiMiddleware
	clientIP   bool // a ClientIPFrom* middleware is used: the app reads GetClientIP
	explainer
}

// chiMiddleware is one r.Use entry, outermost first.
type chiMiddleware struct {
	name     string         // real_ip, client_ip_from_xff, client_ip_from_header, client_ip_from_xff_trusted_proxies, client_ip_from_remote_addr
	prefixes []netip.Prefix // trustedIPPrefixes (netip.MustParsePrefix)
	header   string         // ClientIPFromHeader's trustedHeader
	count    int            // ClientIPFromXFFTrustedProxies' numTrustedProxies
}

// chiClientIPOptions are the option names of each ClientIPFrom* middleware
// (client_ip.go's parameters).
var chiClientIPOptions = map[string][]string{
	"client_ip_from_xff":                 {"prefixes"},
	"client_ip_from_header":              {"header", "prefixes"},
	"client_ip_from_xff_trusted_proxies": {"count"},
	"client_ip_from_remote_addr":         nil,
}

func newChi(app trustmodel.App) (trustmodel.Evaluator, error) {
	minor, patch, ok := minorVersion(app.Version, "5", 5)
	if !ok || minor > 5 {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported chi version %q (want 5, 5.N or 5.0.N)", app.Version)}
	}
	c := &chi{version: "5.5", explainer: explainer{app.Explain}}
	switch {
	case minor == 0 && patch < 0:
		return nil, &trustmodel.UnsupportedError{Msg: "chi version \"5.0\": give the patch version (5.0.N): middleware.RealIP changed in 5.0.8"}
	case minor == 0 && patch <= 7:
		c.version, c.legacy = fmt.Sprintf("5.0.%d", patch), true
	case minor < 3:
		c.version = fmt.Sprintf("5.%d", minor)
	}
	if err := checkOptions("chi", app.Options); err != nil {
		return nil, err
	}
	if app.TrustProxySet {
		return nil, &trustmodel.UnsupportedError{Msg: "chi has no trust setting: describe its middleware under app.middleware ([{name: real_ip}], [{name: client_ip_from_xff, prefixes: [127.0.0.1/32]}])"}
	}
	for _, m := range app.Middleware {
		mw, err := c.parseMiddleware(m)
		if err != nil {
			return nil, err
		}
		c.middleware = append(c.middleware, mw)
		c.clientIP = c.clientIP || mw.name != "real_ip"
	}
	return c, nil
}

func (c *chi) parseMiddleware(m map[string]any) (chiMiddleware, error) {
	name, _ := m["name"].(string)
	mw := chiMiddleware{name: name}
	known, isClientIP := chiClientIPOptions[name]
	switch {
	case name == "real_ip":
	case isClientIP && c.version != "5.5":
		return mw, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.middleware: %s needs chi 5.3.0 or later (the app has chi %s)", name, c.version)}
	case !isClientIP:
		return mw, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.middleware: unknown middleware %s for chi (known: real_ip, client_ip_from_header, client_ip_from_remote_addr, client_ip_from_xff, client_ip_from_xff_trusted_proxies)", describe(m["name"]))}
	}
	for k := range m {
		found := k == "name"
		for _, n := range known {
			found = found || k == n
		}
		if !found {
			return mw, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.middleware: unknown option %q for %s (known: %s)", k, name, strings.Join(known, ", "))}
		}
	}
	prefixes, err := stringList("app.middleware: "+name+".prefixes", m["prefixes"])
	if err != nil {
		return mw, err
	}
	// The constructors run at start-up and panic on a bad argument; the
	// panic is the framework's own refusal.
	if name == "client_ip_from_xff" && len(prefixes) == 0 {
		return mw, fmt.Errorf("middleware.ClientIPFromXFF: at least one trusted IP prefix is required; use ClientIPFromXFFTrustedProxies(1) to trust any peer")
	}
	for _, p := range prefixes {
		pfx, err := netip.ParsePrefix(p) // mustParsePrefixes: netip.MustParsePrefix
		if err != nil {
			return mw, err
		}
		mw.prefixes = append(mw.prefixes, pfx)
	}
	switch name {
	case "client_ip_from_header":
		h, isStr := m["header"].(string)
		if !isStr {
			return mw, &trustmodel.UnsupportedError{Msg: "app.middleware: client_ip_from_header.header: want a header name, got " + describe(m["header"])}
		}
		mw.header = h
	case "client_ip_from_xff_trusted_proxies":
		n, ok := intValue(m["count"])
		if !ok {
			return mw, &trustmodel.UnsupportedError{Msg: "app.middleware: client_ip_from_xff_trusted_proxies.count: want an integer, got " + describe(m["count"])}
		}
		if n < 1 {
			return mw, fmt.Errorf("middleware.ClientIPFromXFFTrustedProxies: numTrustedProxies must be >= 1")
		}
		mw.count = n
	}
	return mw, nil
}

// intValue reads an integer as YAML (int) or JSON (float64) decodes it.
func intValue(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	}
	return 0, false
}

func (c *chi) Name() string { return "chi " + c.version }

// AddressHeader is the header the address middleware reads that nginx
// appends to (RealIP prefers True-Client-IP and X-Real-IP when present).
func (c *chi) AddressHeader() string {
	for _, m := range c.middleware {
		if m.name == "client_ip_from_header" {
			return m.header
		}
	}
	return "X-Forwarded-For"
}

// realIPOf is realip.go's realIP(r): "" leaves RemoteAddr alone.
func (c *chi) realIPOf(h trustmodel.Header) (ip, from string) {
	switch {
	case headerGet(h, "True-Client-IP") != "":
		ip, from = headerGet(h, "True-Client-IP"), "True-Client-IP"
	case headerGet(h, "X-Real-IP") != "":
		ip, from = headerGet(h, "X-Real-IP"), "X-Real-IP"
	case headerGet(h, "X-Forwarded-For") != "":
		sep := "," // 5.0.8 (#684); strings.Cut since 5.2.2
		if c.legacy {
			sep = ", "
		}
		ip, _, _ = strings.Cut(headerGet(h, "X-Forwarded-For"), sep)
		from = "X-Forwarded-For"
	}
	if c.legacy { // ≤5.0.7 stores any text (net.ParseIP came in 5.0.8, #665)
		return ip, from
	}
	if ip == "" || net.ParseIP(ip) == nil {
		return "", from
	}
	return ip, from
}

// chiRemoteAddr is client_ip.go's parseRemoteAddr: RemoteAddr's host (all
// of it when it does not split), netip.ParseAddr (zones kept), Unmap.
func chiRemoteAddr(ra string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(ra)
	if err != nil {
		host = ra
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// chiHeaderAddr is parseHeaderAddr: netip.ParseAddr, Unmap, zone dropped.
func chiHeaderAddr(s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}

func inPrefixes(ip netip.Addr, prefixes []netip.Prefix) (bool, string) {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true, "in trusted prefix " + p.String()
		}
	}
	return false, "in no trusted prefix"
}

// untrustedPeer: with no prefixes every peer is trusted; an unparsable
// peer is untrusted with no address; the zone is dropped for the check.
func (m chiMiddleware) untrustedPeer(ra string) (netip.Addr, bool, string) {
	if len(m.prefixes) == 0 {
		return netip.Addr{}, false, "no trusted prefixes: every peer is trusted"
	}
	peer, ok := chiRemoteAddr(ra)
	if !ok {
		return netip.Addr{}, true, "r.RemoteAddr is not an address for netip.ParseAddr"
	}
	in, why := inPrefixes(peer.WithZone(""), m.prefixes)
	return peer, !in, why
}

// walkXFF visits the X-Forwarded-For entries right to left, last line
// first, trimmed, empty ones skipped, until visit returns true.
func walkXFF(lines []string, visit func(entry string) bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		h := lines[i]
		for h != "" {
			var v string
			if j := strings.LastIndexByte(h, ','); j >= 0 {
				v, h = h[j+1:], h[:j]
			} else {
				v, h = h, ""
			}
			if v = strings.TrimSpace(v); v != "" && visit(v) {
				return
			}
		}
	}
}

func (c *chi) Evaluate(req trustmodel.Request) trustmodel.Result {
	var r trustmodel.Result
	r.Host, r.Hostname = hostFields(req)
	ra := remoteAddr(req)
	var client netip.Addr // the context's clientIP
	if len(c.middleware) == 0 {
		c.step(&r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "no address middleware: r.RemoteAddr is the peer"})
	}
	for _, m := range c.middleware {
		if found := c.apply(m, req, &ra, &r); found.IsValid() {
			client = found
		}
	}
	ip := hostOnly(ra)
	if c.clientIP {
		ip = ""
		if client.IsValid() {
			ip = client.String() // GetClientIP
		}
	}
	r.IP = &ip
	return r
}

// apply runs one middleware: RealIP rewrites *ra; a ClientIPFrom*
// middleware returns the address it stores in the context (invalid: none).
func (c *chi) apply(m chiMiddleware, req trustmodel.Request, ra *string, r *trustmodel.Result) netip.Addr {
	h := req.Headers
	switch m.name {
	case "real_ip":
		if ip, from := c.realIPOf(h); ip != "" {
			c.step(r, trustmodel.Step{Addr: req.Peer, Trusted: true, Tested: true, Why: "middleware.RealIP believes every peer"})
			c.step(r, trustmodel.Step{Hop: 1, Addr: ip, Why: "RealIP replaced r.RemoteAddr with " + from})
			*ra = ip
		} else if from != "" {
			c.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "middleware.RealIP: " + from + " is not an address for net.ParseIP"})
		} else {
			c.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "middleware.RealIP found no header"})
		}
		return netip.Addr{}
	case "client_ip_from_remote_addr":
		ip, _ := chiRemoteAddr(*ra)
		c.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "ClientIPFromRemoteAddr: the peer"})
		return ip
	case "client_ip_from_xff_trusted_proxies":
		n, entry, hop := m.count, "", 0
		walkXFF(h.Lines("X-Forwarded-For"), func(v string) bool {
			hop++
			if n--; n == 0 {
				entry = v
				return true
			}
			return false
		})
		if entry == "" {
			c.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: fmt.Sprintf("ClientIPFromXFFTrustedProxies(%d): fewer X-Forwarded-For entries: no client IP", m.count)})
			return netip.Addr{}
		}
		ip, ok := chiHeaderAddr(entry)
		why := fmt.Sprintf("ClientIPFromXFFTrustedProxies(%d): the entry %d from the right, whoever connected", m.count, m.count)
		if !ok {
			why += "; not an address for netip.ParseAddr: no client IP"
		}
		c.step(r, trustmodel.Step{Hop: hop, Addr: entry, Why: why})
		return ip
	}
	peer, untrusted, why := m.untrustedPeer(*ra)
	c.step(r, trustmodel.Step{Addr: req.Peer, Trusted: !untrusted, Tested: true, Why: why})
	if untrusted {
		return peer // the peer itself (invalid when it does not parse)
	}
	if m.name == "client_ip_from_header" {
		lines := h.Lines(m.header)
		if len(lines) == 0 {
			return netip.Addr{}
		}
		ip, ok := chiHeaderAddr(lines[len(lines)-1])
		why := "ClientIPFromHeader: the last " + m.header + " line from a trusted peer"
		if !ok {
			why = "not an address for netip.ParseAddr: no client IP"
		}
		c.step(r, trustmodel.Step{Hop: 1, Addr: lines[len(lines)-1], Why: why})
		return ip
	}
	var found netip.Addr
	hop := 0
	walkXFF(h.Lines("X-Forwarded-For"), func(v string) bool {
		hop++
		ip, ok := chiHeaderAddr(v)
		if !ok {
			c.step(r, trustmodel.Step{Hop: hop, Addr: v, Tested: true, Why: "not an address for netip.ParseAddr: no client IP (fail-closed)"})
			return true
		}
		in, why := inPrefixes(ip, m.prefixes)
		c.step(r, trustmodel.Step{Hop: hop, Addr: v, Trusted: in, Tested: true, Why: why})
		if in {
			return false
		}
		found = ip
		return true
	})
	return found
}

func (c *chi) Trust() trustmodel.Trust { return chiTrust{c} }

// chiTrust is whose address headers the app's address middleware
// believes: RealIP and a ClientIPFromHeader without prefixes every peer's,
// ClientIPFromXFF and ClientIPFromHeader the prefixes',
// ClientIPFromXFFTrustedProxies(n) the n closest hops' whoever they are;
// with none of them, or ClientIPFromRemoteAddr, nobody's. The innermost
// middleware that sets the address decides.
type chiTrust struct{ c *chi }

func (t chiTrust) deciding() (chiMiddleware, bool) {
	ms := t.c.middleware
	for i := len(ms) - 1; i >= 0; i-- {
		if t.c.clientIP == (ms[i].name != "real_ip") {
			return ms[i], true
		}
	}
	return chiMiddleware{}, false
}

func (t chiTrust) Trusts(addr string, i int) (bool, string) {
	m, ok := t.deciding()
	switch {
	case !ok:
		return false, "no address middleware: no header is read"
	case m.name == "real_ip":
		return true, "middleware.RealIP believes every peer"
	case m.name == "client_ip_from_remote_addr":
		return false, "ClientIPFromRemoteAddr reads no header"
	case m.name == "client_ip_from_xff_trusted_proxies":
		if i < m.count {
			return true, fmt.Sprintf("hop %d < %d trusted proxies", i, m.count)
		}
		return false, fmt.Sprintf("hop %d >= %d trusted proxies", i, m.count)
	case len(m.prefixes) == 0:
		return true, "no trusted prefixes: every peer is trusted"
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false, "not an address for netip.ParseAddr"
	}
	return inPrefixes(ip.Unmap().WithZone(""), m.prefixes)
}

func (t chiTrust) String() string {
	m, ok := t.deciding()
	switch {
	case !ok:
		return "nothing (r.RemoteAddr)"
	case m.name == "real_ip":
		return "every peer (middleware.RealIP)"
	case m.name == "client_ip_from_remote_addr":
		return "nothing (ClientIPFromRemoteAddr)"
	case m.name == "client_ip_from_xff_trusted_proxies":
		return strconv.Itoa(m.count) + " hop(s) (ClientIPFromXFFTrustedProxies)"
	case len(m.prefixes) == 0:
		return "every peer (ClientIPFromHeader without prefixes)"
	}
	parts := make([]string, len(m.prefixes))
	for i, p := range m.prefixes {
		parts[i] = p.String()
	}
	return strings.Join(parts, ", ")
}

func (t chiTrust) TrustsEveryone() bool {
	m, ok := t.deciding()
	return ok && (m.name == "real_ip" || m.name == "client_ip_from_header" && len(m.prefixes) == 0)
}

// Advise replaces the address middleware: ClientIPFromXFF with the
// proxies' prefixes (chi ≥5.3), read with middleware.GetClientIP; or none
// at all when nothing is to be trusted, so r.RemoteAddr stays the peer.
func (c *chi) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	if len(a.Proxies) == 0 {
		return trustmodel.Setting{
			Code: "// remove r.Use(middleware.RealIP): r.RemoteAddr stays the connecting proxy's address",
			App:  trustmodel.App{Framework: "chi", Version: c.version},
		}, true
	}
	prefixes := make([]string, 0, len(a.Proxies))
	quoted := make([]string, 0, len(a.Proxies))
	for _, p := range a.Proxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil || addr.Zone() != "" {
				return trustmodel.Setting{}, false
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		prefixes = append(prefixes, pfx.String())
		quoted = append(quoted, strconv.Quote(pfx.String()))
	}
	version := c.version
	code := "r.Use(middleware.ClientIPFromXFF(" + strings.Join(quoted, ", ") + ")) // instead of middleware.RealIP; read the address with middleware.GetClientIP(r.Context())"
	if version != "5.5" {
		version = "5.5"
		code += " (chi 5.3.0 or later)"
	}
	return trustmodel.Setting{
		Code: code,
		App:  trustmodel.App{Framework: "chi", Version: version, Middleware: []map[string]any{{"name": "client_ip_from_xff", "prefixes": anyList(prefixes)}}},
	}, true
}
