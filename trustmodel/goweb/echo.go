package goweb

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// echo evaluates echo 4's Context.RealIP under Echo#IPExtractor (ip.go),
// Context.Scheme (scheme.go; before 4.16.0 context.go) and Context.IsTLS.
//
// Version differences (labstack/echo v4, read from each tag):
//   - ≤4.16.2: RealIP without an extractor is the legacy one: the first
//     X-Forwarded-For line cut at its first ",", else X-Real-IP, else the
//     peer, from any peer. 4.16.3 made it the peer (extractIP).
//   - ≤4.16.3: extractIP keeps an IPv6 zone; 4.16.4 added stripIPv6Zone.
//   - ≤4.15: Scheme() believes X-Forwarded-Proto (first line, verbatim if
//     http/https/ws/wss in any case) and the others from any peer; 4.16.0
//     added the default peer check (loopback, link-local, private, UNIX).
type echo struct {
	minor, patch int
	extractor    string // "", "direct", "x-forwarded-for", "x-real-ip"
	checker      echoChecker
	// scheme is Echo#SchemeExtractor: "" (unset: the default checker),
	// "direct", "legacy" or "headers" (ExtractSchemeFromHeaders with
	// schemeChecker).
	scheme        string
	schemeChecker echoChecker
	options       map[string]any
	explainer
}

// echoChecker is ip.go's ipChecker.
type echoChecker struct {
	loopback, linkLocal, private bool
	extra                        []*net.IPNet
}

// trust is ipChecker.trust, with what decided.
func (c echoChecker) trust(ip net.IP) (bool, string) {
	switch {
	case c.loopback && ip.IsLoopback():
		return true, "loopback (TrustLoopback)"
	case c.linkLocal && ip.IsLinkLocalUnicast():
		return true, "link-local unicast (TrustLinkLocal)"
	case c.private && ip.IsPrivate():
		return true, "private network (TrustPrivateNet)"
	}
	for _, n := range c.extra {
		if n.Contains(ip) {
			return true, "in TrustIPRange " + n.String()
		}
	}
	return false, "not trusted by the extractor's TrustOptions"
}

// echoDefaultChecker is newIPChecker(nil): what Scheme() checks the peer with.
var echoDefaultChecker = echoChecker{loopback: true, linkLocal: true, private: true}

func newEcho(app trustmodel.App) (trustmodel.Evaluator, error) {
	minor, patch, ok := minorVersion(app.Version, "4", 16)
	if !ok || minor < 15 || minor > 16 {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported echo version %q (want 4, 4.15 or 4.16, optionally with the patch version)", app.Version)}
	}
	if patch < 0 { // the newest patch release of the minor version
		patch = map[int]int{15: 4, 16: 5}[minor]
	}
	if err := checkOptions("echo", app.Options, "extractor", "SchemeExtractor", "TrustIPRange", "TrustLinkLocal", "TrustLoopback", "TrustPrivateNet"); err != nil {
		return nil, err
	}
	if app.TrustProxySet {
		return nil, &trustmodel.UnsupportedError{Msg: "echo has no trust_proxy: its trust is the IP extractor's TrustOptions (app.options)"}
	}
	e := &echo{minor: minor, patch: patch, schemeChecker: echoDefaultChecker, options: app.Options, explainer: explainer{app.Explain}}
	switch x := app.Options["extractor"]; x {
	case nil, "direct", "x-forwarded-for", "x-real-ip":
		e.extractor, _ = x.(string)
	default:
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.extractor: %s is not one of direct, x-forwarded-for, x-real-ip (absent: the version's default)", describe(x))}
	}
	var err error
	if e.checker, err = echoTrustOptions("app.options.", app.Options); err != nil {
		return nil, err
	}
	if v, ok := app.Options["SchemeExtractor"]; ok {
		if minor < 16 {
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.SchemeExtractor: echo 4.%d has none (Echo#SchemeExtractor came in 4.16.0)", minor)}
		}
		if err := e.parseSchemeExtractor(v); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// echoTrustOptions reads TrustLoopback, TrustLinkLocal, TrustPrivateNet
// and TrustIPRange (each range made with net.ParseCIDR, whose error stops
// the app) into a checker, newIPChecker's defaults otherwise.
func echoTrustOptions(where string, o map[string]any) (echoChecker, error) {
	c := echoDefaultChecker
	for _, t := range []struct {
		name string
		to   *bool
	}{{"TrustLoopback", &c.loopback}, {"TrustLinkLocal", &c.linkLocal}, {"TrustPrivateNet", &c.private}} {
		if v, ok := o[t.name]; ok {
			b, isBool := v.(bool)
			if !isBool {
				return c, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("%s%s: want true or false, got %s", where, t.name, describe(v))}
			}
			*t.to = b
		}
	}
	if v, ok := o["TrustIPRange"]; ok {
		list, err := stringList(where+"TrustIPRange", v)
		if err != nil {
			return c, err
		}
		for _, s := range list {
			_, n, err := net.ParseCIDR(s)
			if err != nil {
				return c, err
			}
			c.extra = append(c.extra, n)
		}
	}
	return c, nil
}

// parseSchemeExtractor reads "direct" (ExtractSchemeDirect), "legacy"
// (LegacySchemeExtractor), "headers" (ExtractSchemeFromHeaders()) or
// {name: headers, TrustOptions...} (ExtractSchemeFromHeaders(opts...)).
func (e *echo) parseSchemeExtractor(v any) error {
	const where = "app.options.SchemeExtractor"
	switch x := v.(type) {
	case string:
		switch x {
		case "direct", "legacy", "headers":
			e.scheme = x
			return nil
		}
	case map[string]any:
		if x["name"] != "headers" {
			break
		}
		for k := range x {
			switch k {
			case "name", "TrustIPRange", "TrustLinkLocal", "TrustLoopback", "TrustPrivateNet":
			default:
				return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("%s: unknown option %q for headers (known: TrustIPRange, TrustLinkLocal, TrustLoopback, TrustPrivateNet)", where, k)}
			}
		}
		c, err := echoTrustOptions(where+".", x)
		if err != nil {
			return err
		}
		e.scheme, e.schemeChecker = "headers", c
		return nil
	}
	return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("%s: %s is not one of direct, legacy, headers or {name: headers, Trust...}", where, describe(v))}
}

func (e *echo) Name() string { return fmt.Sprintf("echo 4.%d.%d", e.minor, e.patch) }

func (e *echo) AddressHeader() string {
	if e.extractor == "x-real-ip" {
		return "X-Real-IP"
	}
	return "X-Forwarded-For"
}

func (e *echo) legacyRealIP() bool { return e.minor < 16 || e.patch < 3 }

// extractIP is ip.go's extractIP: RemoteAddr's host; a RemoteAddr that is
// not host:port counts only if it is an IP. 4.16.4 strips an IPv6 zone.
func (e *echo) extractIP(ra string) string {
	host, _, err := net.SplitHostPort(ra)
	if e.minor < 16 || e.patch < 4 {
		if err != nil {
			if net.ParseIP(ra) != nil {
				return ra
			}
			return ""
		}
		return host
	}
	if err != nil {
		host = ra
	}
	if strings.Contains(host, ":") { // stripIPv6Zone
		host, _, _ = strings.Cut(host, "%")
	}
	if err != nil && net.ParseIP(host) == nil {
		return ""
	}
	return host
}

func (e *echo) Evaluate(req trustmodel.Request) trustmodel.Result {
	var r trustmodel.Result
	r.Host, r.Hostname = hostFields(req)
	ra := remoteAddr(req)
	ip := e.realIP(req, ra, &r)
	r.IP = &ip
	scheme := e.schemeOf(req, ra)
	r.Protocol = &scheme
	r.Secure = trustmodel.BoolPtr(req.TLS) // IsTLS(): r.TLS != nil
	return r
}

// realIP is Context.RealIP.
func (e *echo) realIP(req trustmodel.Request, ra string, r *trustmodel.Result) string {
	h := req.Headers
	switch e.extractor {
	case "direct":
		e.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "ExtractIPDirect: the peer, headers ignored"})
		return e.extractIP(ra)
	case "x-real-ip": // ExtractIPFromRealIPHeader
		direct := e.extractIP(ra)
		realIP := headerGet(h, "X-Real-IP")
		if realIP == "" {
			e.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "no X-Real-IP: the peer"})
			return direct
		}
		ok, why := false, "not an address for net.ParseIP"
		if pip := net.ParseIP(direct); pip != nil {
			ok, why = e.checker.trust(pip)
		}
		e.step(r, trustmodel.Step{Addr: req.Peer, Trusted: ok, Tested: true, Why: why})
		if ok {
			v := strings.TrimSuffix(strings.TrimPrefix(realIP, "["), "]")
			if net.ParseIP(v) != nil {
				e.step(r, trustmodel.Step{Hop: 1, Addr: v, Why: "X-Real-IP (first line) from a trusted peer"})
				return v
			}
		}
		return direct
	case "x-forwarded-for": // ExtractIPFromXFFHeader
		direct := e.extractIP(ra)
		xffs := h.Lines("X-Forwarded-For")
		if len(xffs) == 0 {
			e.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "no X-Forwarded-For: the peer"})
			return direct
		}
		ips := append(strings.Split(strings.Join(xffs, ","), ","), direct)
		for i := len(ips) - 1; i >= 0; i-- {
			hop := len(ips) - 1 - i
			ips[i] = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(ips[i]), "["), "]")
			ip := net.ParseIP(ips[i])
			if ip == nil {
				e.step(r, trustmodel.Step{Hop: hop, Addr: ips[i], Tested: true, Why: "not an address for net.ParseIP: RealIP() falls back to the peer"})
				return direct
			}
			ok, why := e.checker.trust(ip)
			e.step(r, trustmodel.Step{Hop: hop, Addr: ips[i], Trusted: ok, Tested: true, Why: why})
			if !ok {
				return ip.String()
			}
		}
		return strings.TrimSpace(ips[0])
	}
	if !e.legacyRealIP() {
		e.step(r, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "no IPExtractor: echo ≥4.16.3 uses the peer, headers ignored"})
		return e.extractIP(ra)
	}
	// context.go's legacy RealIP (≤4.16.2), from any peer.
	if ip := headerGet(h, "X-Forwarded-For"); ip != "" {
		e.step(r, trustmodel.Step{Hop: 1, Addr: ip, Why: "no IPExtractor: echo ≤4.16.2 believes the first X-Forwarded-For line from any peer"})
		if i := strings.IndexAny(ip, ","); i > 0 {
			return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(ip[:i]), "["), "]")
		}
		return ip
	}
	if ip := headerGet(h, "X-Real-IP"); ip != "" {
		e.step(r, trustmodel.Step{Hop: 1, Addr: ip, Why: "no IPExtractor: echo ≤4.16.2 believes X-Real-IP from any peer"})
		return strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
	}
	ra2, _, _ := net.SplitHostPort(ra)
	return ra2
}

// scheme is Context.Scheme: Echo#SchemeExtractor, or without one the
// default (extractScheme with newIPChecker(nil)); before 4.16 the headers
// from any peer.
func (e *echo) schemeOf(req trustmodel.Request, ra string) string {
	if req.TLS {
		return "https" // every extractor, and 4.15's Scheme(), check r.TLS first
	}
	h := req.Headers
	if e.minor < 16 {
		// 4.15 context.go: isValidProto returns the header's own text.
		for _, name := range []string{"X-Forwarded-Proto", "X-Forwarded-Protocol"} {
			if v := headerGet(h, name); echoProto(v) != "" {
				return v
			}
		}
		if headerGet(h, "X-Forwarded-Ssl") == "on" {
			return "https"
		}
		if v := headerGet(h, "X-Url-Scheme"); echoProto(v) != "" {
			return v
		}
		return "http"
	}
	switch e.scheme {
	case "direct":
		return "http"
	case "legacy":
		return echoSchemeFromHeaders(h)
	}
	if !echoTrustedPeer(ra, e.schemeChecker) {
		return "http"
	}
	return echoSchemeFromHeaders(h)
}

// echoSchemeFromHeaders is scheme.go's schemeFromHeaders: the last
// X-Forwarded-Proto line's last item decides when that line is not empty.
func echoSchemeFromHeaders(h trustmodel.Header) string {
	if lines := h.Lines("X-Forwarded-Proto"); len(lines) > 0 && lines[len(lines)-1] != "" {
		last := lines[len(lines)-1]
		if i := strings.LastIndexByte(last, ','); i != -1 {
			last = last[i+1:]
		}
		if p := echoProto(strings.TrimSpace(last)); p != "" {
			return p
		}
		return "http"
	}
	if p := echoProto(headerGet(h, "X-Forwarded-Protocol")); p != "" {
		return p
	}
	if headerGet(h, "X-Forwarded-Ssl") == "on" {
		return "https"
	}
	if p := echoProto(headerGet(h, "X-Url-Scheme")); p != "" {
		return p
	}
	return "http"
}

// echoProto is canonicalProto: http, https, ws or wss in any case,
// lowercased; "" for anything else.
func echoProto(p string) string {
	for _, c := range [...]string{"http", "https", "ws", "wss"} {
		if strings.EqualFold(p, c) {
			return c
		}
	}
	return ""
}

// echoTrustedPeer is scheme.go's isTrustedPeer: a UNIX socket peer counts
// as loopback; an IPv6 zone is cut.
func echoTrustedPeer(ra string, checker echoChecker) bool {
	if ra == "" || ra[0] == '@' || ra[0] == '/' {
		return checker.loopback
	}
	host, _, err := net.SplitHostPort(ra)
	if err != nil {
		host = ra
	}
	if i := strings.IndexByte(host, '%'); i != -1 {
		host = host[:i]
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	ok, _ := checker.trust(ip)
	return ok
}

func (e *echo) Trust() trustmodel.Trust { return echoTrust{e} }

// echoTrust is whether RealIP believes a header from addr: the
// extractor's checker; nothing for ExtractIPDirect and ≥4.16.3's default;
// everyone for the legacy default. (Scheme() checks the peer apart, with
// the default checker.)
type echoTrust struct{ e *echo }

func (t echoTrust) Trusts(addr string, _ int) (bool, string) {
	switch t.e.extractor {
	case "x-forwarded-for", "x-real-ip":
		ip := net.ParseIP(addr) // a UNIX socket peer ("") is no address
		if ip == nil {
			return false, "not an address for net.ParseIP"
		}
		return t.e.checker.trust(ip)
	case "direct":
		return false, "ExtractIPDirect reads no header"
	}
	if t.e.legacyRealIP() {
		return true, "echo ≤4.16.2 without an IPExtractor believes the headers from any peer"
	}
	return false, "echo ≥4.16.3 without an IPExtractor reads no header"
}

func (t echoTrust) String() string {
	switch t.e.extractor {
	case "x-forwarded-for", "x-real-ip":
		var parts []string
		for _, o := range []struct {
			on   bool
			name string
		}{{t.e.checker.loopback, "loopback"}, {t.e.checker.linkLocal, "link-local"}, {t.e.checker.private, "private networks"}} {
			if o.on {
				parts = append(parts, o.name)
			}
		}
		for _, n := range t.e.checker.extra {
			parts = append(parts, n.String())
		}
		if len(parts) == 0 {
			return t.e.extractor + " extractor trusting nothing"
		}
		return t.e.extractor + " extractor trusting " + strings.Join(parts, ", ")
	case "direct":
		return "nothing (ExtractIPDirect)"
	}
	if t.e.legacyRealIP() {
		return "every peer (legacy RealIP without an IPExtractor)"
	}
	return "nothing (RealIP without an IPExtractor is the peer)"
}

func (t echoTrust) TrustsEveryone() bool { return t.e.extractor == "" && t.e.legacyRealIP() }

// Advise writes an X-Forwarded-For extractor that trusts exactly the
// proxies (loopback alone when they are all loopback), or ExtractIPDirect
// when nothing is to be trusted.
func (e *echo) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	app := trustmodel.App{Framework: "echo", Version: fmt.Sprintf("4.%d.%d", e.minor, e.patch), Options: map[string]any{}}
	if v, ok := e.options["SchemeExtractor"]; ok {
		app.Options["SchemeExtractor"] = v // the scheme is not what this advice is about
	}
	if len(a.Proxies) == 0 {
		app.Options["extractor"] = "direct"
		return trustmodel.Setting{Code: "e.IPExtractor = echo.ExtractIPDirect()", App: app}, true
	}
	app.Options["extractor"] = "x-forwarded-for"
	app.Options["TrustLinkLocal"] = false
	app.Options["TrustPrivateNet"] = false
	opts := []string{"echo.TrustLinkLocal(false)", "echo.TrustPrivateNet(false)"}
	var decls, ranges []string
	loopbackOnly := true
	for _, p := range a.Proxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil || addr.Zone() != "" {
				return trustmodel.Setting{}, false
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		ranges = append(ranges, pfx.String())
		lo := pfx.Addr().Unmap()
		loopbackOnly = loopbackOnly && lo.IsLoopback() && (lo.Is6() && pfx.Bits() == 128 || lo.Is4() && pfx.Bits()-(pfx.Addr().BitLen()-32) >= 8)
	}
	if !loopbackOnly {
		app.Options["TrustLoopback"] = false
		app.Options["TrustIPRange"] = anyList(ranges)
		opts = append([]string{"echo.TrustLoopback(false)"}, opts...)
		for i, s := range ranges {
			decls = append(decls, fmt.Sprintf("_, proxy%d, _ := net.ParseCIDR(%q)", i+1, s))
			opts = append(opts, fmt.Sprintf("echo.TrustIPRange(proxy%d)", i+1))
		}
	}
	code := strings.Join(append(decls, "e.IPExtractor = echo.ExtractIPFromXFFHeader("+strings.Join(opts, ", ")+")"), "\n")
	return trustmodel.Setting{Code: code, App: app}, true
}
