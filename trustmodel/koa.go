package trustmodel

import (
	"net/netip"
	"strconv"
	"strings"
)

// koa evaluates Koa 2.16.4 and 3.3.0 (lib/request.js). Koa has no trusted
// address check: with app.proxy set, the headers are believed from any peer.
type koa struct {
	major         string // "2" or "3"
	proxy         bool
	proxyIPHeader string
	maxIPsCount   int
	explain       bool
}

func newKoa(app App) (Evaluator, error) {
	// new Koa(options) sets this.proxy = options.proxy || false; the app's
	// trust setting, when given, is what it then assigns to app.proxy.
	k := &koa{major: app.Version, proxy: jsTruthy(app.Options["proxy"]), proxyIPHeader: "X-Forwarded-For", explain: app.Explain}
	if app.TrustProxySet {
		k.proxy = jsTruthy(app.TrustProxy)
	}
	switch {
	case k.major == "":
		k.major = "3"
	case k.major == "2" || strings.HasPrefix(k.major, "2."):
		k.major = "2"
	case k.major == "3" || strings.HasPrefix(k.major, "3."):
		k.major = "3"
	default:
		return nil, errUnsupportedVersion("koa", app.Version, "2 or 3")
	}
	// this.proxyIpHeader = options.proxyIpHeader || 'X-Forwarded-For'
	if v, ok := app.Options["proxyIpHeader"]; ok && jsTruthy(v) {
		k.proxyIPHeader = jsString(v)
	}
	// this.maxIpsCount = options.maxIpsCount || 0; ips.slice(-n) when n > 0
	if n, ok := jsNumber(app.Options["maxIpsCount"]); ok && n >= 1 {
		k.maxIPsCount = int(n)
	}
	return k, nil
}

func (k *koa) Trust() Trust {
	if k.proxy {
		return trustAll{}
	}
	return newTrustRanges(&CompiledTrust{})
}
func (k *koa) Name() string          { return "koa " + k.major }
func (k *koa) AddressHeader() string { return k.proxyIPHeader }

// get is Koa's request.get: the Node header value or "".
func koaGet(h Header, name string) string {
	v, _ := h.NodeValue(name)
	return v
}

// splitTrimStrings is value.split(',').map(v => v.trim()).
func splitTrimStrings(v string) []string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = jsTrim(parts[i])
	}
	return parts
}

func (k *koa) Evaluate(req Request) Result {
	var r Result
	r.IPs = []*string{}
	var ips []string
	if val := koaGet(req.Headers, k.proxyIPHeader); k.proxy && val != "" {
		ips = splitTrimStrings(val)
	}
	if k.maxIPsCount > 0 && len(ips) > k.maxIPsCount {
		ips = ips[len(ips)-k.maxIPsCount:]
	}
	for _, ip := range ips {
		r.IPs = append(r.IPs, str(ip))
	}
	// ip = ips[0] || socket.remoteAddress || ''
	switch {
	case len(ips) > 0 && ips[0] != "":
		r.IP = str(ips[0])
		if k.explain {
			r.Steps = []Step{{Hop: len(ips), Addr: ips[0], Why: "app.proxy is on: the leftmost kept " + k.proxyIPHeader + " entry, from any peer"}}
		}
	default:
		r.IP = str(req.Peer)
		if k.explain {
			r.Steps = []Step{{Addr: req.Peer, Why: "the socket address"}}
		}
	}

	proto := "http"
	switch {
	case req.TLS:
		proto = "https"
	case k.proxy:
		if xfp := koaGet(req.Headers, "X-Forwarded-Proto"); xfp != "" {
			proto, _, _ = strings.Cut(xfp, ",")
			proto = jsTrim(proto)
			if k.major == "3" {
				proto = strings.ToLower(proto)
			}
		}
	}
	r.Protocol = str(proto)
	r.Secure = BoolPtr(proto == "https")

	host := ""
	if k.proxy {
		host = koaGet(req.Headers, "X-Forwarded-Host")
	}
	if host == "" {
		host = koaGet(req.Headers, "Host")
	}
	if host != "" {
		host, _, _ = strings.Cut(host, ",")
		host = jsTrim(host)
		if strings.Contains(host, "@") {
			if h, ok := whatwgHost(host); ok {
				host = h
			} else {
				host = ""
			}
		}
	}
	r.Host = str(host)
	r.Hostname = str(k.hostname(host, proto))
	return r
}

func (k *koa) hostname(host, proto string) string {
	if host == "" {
		return ""
	}
	if host[0] != '[' {
		h, _, _ := strings.Cut(host, ":")
		return h
	}
	if k.major == "3" && strings.ContainsAny(host, "/?#\\ \t\n\v\f\r") {
		return ""
	}
	if k.major == "2" {
		// this.URL parses `${protocol}://${host}${originalUrl}`: the
		// authority ends at the first delimiter.
		if !isURLScheme(proto) {
			return ""
		}
		if i := strings.IndexAny(host, "/?#\\"); i != -1 {
			host = host[:i]
		}
	}
	h, ok := whatwgHostname(host)
	if !ok {
		return ""
	}
	return h
}

func isURLScheme(s string) bool {
	if s == "" || !isASCIIAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isASCIIAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isASCIIAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// whatwgHost is new URL('http://' + s).host for the hosts Koa meets:
// userinfo dropped, the port kept unless it is 80. Non-ASCII hosts (IDNA) are
// not modelled and fail.
func whatwgHost(s string) (string, bool) {
	if i := strings.LastIndexByte(s, '@'); i != -1 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, "/?#\\"); i != -1 {
		s = s[:i]
	}
	host, port, ok := splitWhatwgPort(s)
	if !ok {
		return "", false
	}
	hn, ok := whatwgHostname(host)
	if !ok {
		return "", false
	}
	if port != "" && port != "80" {
		return hn + ":" + port, true
	}
	return hn, true
}

// splitWhatwgPort splits host[:port]; the port must be decimal and ≤ 65535
// and is normalised (leading zeros dropped).
func splitWhatwgPort(s string) (host, port string, ok bool) {
	end := len(s)
	if strings.HasPrefix(s, "[") {
		end = strings.IndexByte(s, ']') + 1
		if end == 0 {
			return "", "", false
		}
	} else if i := strings.IndexByte(s, ':'); i != -1 {
		end = i
	}
	host, rest := s[:end], s[end:]
	if rest == "" || rest == ":" {
		return host, "", true
	}
	if rest[0] != ':' {
		return "", "", false
	}
	n, err := strconv.ParseUint(rest[1:], 10, 32)
	if err != nil || n > 65535 {
		return "", "", false
	}
	return host, strconv.FormatUint(n, 10), true
}

// whatwgHostname parses a host (without port) the way the WHATWG URL parser
// does for http: IPv6 literals serialised canonically, ASCII names lowercased.
func whatwgHostname(host string) (string, bool) {
	if strings.HasPrefix(host, "[") {
		if strings.IndexByte(host, ']') != len(host)-1 {
			// "[::1]x": whatever follows the literal must be a port
			h, _, ok := splitWhatwgPort(host)
			if !ok {
				return "", false
			}
			host = h
		}
		inner := host[1 : len(host)-1]
		if strings.ContainsAny(inner, "%") {
			return "", false
		}
		a, err := netip.ParseAddr(inner)
		if err != nil || !a.Is6() {
			return "", false
		}
		return "[" + whatwgIPv6(a) + "]", true
	}
	if host == "" {
		return "", false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c >= 0x80 || c <= 0x20 || strings.IndexByte("#%/:<>?@[\\]^|", c) != -1 || c == 0x7f {
			return "", false
		}
	}
	return strings.ToLower(host), true
}

// whatwgIPv6 serialises an IPv6 address as the URL standard does: lowercase
// hex pieces, the first longest run of two or more zero pieces compressed,
// and never a dotted IPv4 tail.
func whatwgIPv6(a netip.Addr) string {
	b := a.As16()
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestStart, bestLen := -1, 1
	for i := 0; i < 8; {
		if pieces[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if i == bestStart {
			sb.WriteString("::")
			i += bestLen - 1
			continue
		}
		if i > 0 && i != bestStart+bestLen {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
	}
	return sb.String()
}
