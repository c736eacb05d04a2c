package php

import (
	"errors"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Request::HEADER_* bits (symfony/http-foundation Request.php).
const (
	headerForwarded       = 0b000001
	headerXForwardedFor   = 0b000010
	headerXForwardedHost  = 0b000100
	headerXForwardedProto = 0b001000
	headerXForwardedPort  = 0b010000
	headerXForwardedPrefx = 0b100000
	headerXForwardedAWS   = 0b0011010
	headerXForwardedTrfk  = 0b0111110
)

// trustedHeaders is Request::TRUSTED_HEADERS: the HeaderBag key each bit reads.
var trustedHeaders = map[int]string{
	headerForwarded:       "FORWARDED",
	headerXForwardedFor:   "X_FORWARDED_FOR",
	headerXForwardedHost:  "X_FORWARDED_HOST",
	headerXForwardedProto: "X_FORWARDED_PROTO",
	headerXForwardedPort:  "X_FORWARDED_PORT",
}

// forwardedParams is Request::FORWARDED_PARAMS.
var forwardedParams = map[int]string{
	headerXForwardedFor:   "for",
	headerXForwardedHost:  "host",
	headerXForwardedProto: "proto",
	headerXForwardedPort:  "host",
}

// The exceptions the accessors raise, by short class name (SPEC §3.1).
var (
	errConflictingHeaders = errors.New("ConflictingHeadersException")
	errSuspiciousHost     = errors.New("SuspiciousOperationException")
)

// serverVars is what the SAPI put in $_SERVER for the request.
type serverVars struct {
	remoteAddr    string
	hasRemoteAddr bool
	https         bool
	tls           bool
	// headers are the HTTP_* entries without the prefix (X_FORWARDED_FOR).
	headers map[string]string
}

// Fixed $_SERVER entries: fastcgi_params' SERVER_NAME and SERVER_PORT as an
// nginx server named localhost on ports 80 and 443 passes them (testdata/vectors/php/README.md).
const serverName = "localhost"

func (s *serverVars) serverPort() string {
	if s.tls {
		return "443"
	}
	return "80"
}

// newServerVars builds $_SERVER as the server hands it to PHP: php-fpm keeps
// the last FastCGI param of a name (nginx sends one per header line);
// php -S joins repeated lines with ", ".
func newServerVars(req trustmodel.Request, join bool) *serverVars {
	s := &serverVars{remoteAddr: req.Peer, hasRemoteAddr: req.Peer != "", https: req.TLS, tls: req.TLS, headers: map[string]string{}}
	for _, h := range req.Headers {
		key := strings.ToUpper(strings.ReplaceAll(h.Name, "-", "_"))
		if old, ok := s.headers[key]; ok && join {
			s.headers[key] = old + ", " + h.Value
			continue
		}
		s.headers[key] = h.Value
	}
	return s
}

// request is one Symfony Request object with its trust settings
// (Request::$trustedProxies and $trustedHeaderSet, static in PHP).
type request struct {
	server    *serverVars
	proxies   []proxy
	headerSet int
}

// value is an element of getTrustedValues' result: a string, or PHP's true
// (a Forwarded parameter without "=").
type value struct {
	s      string
	isTrue bool
}

// str is the value in a string context: true is "1".
func (v value) str() string {
	if v.isTrue {
		return "1"
	}
	return v.s
}

func (r *request) remoteAddr() (string, bool) { return r.server.remoteAddr, r.server.hasRemoteAddr }

// isFromTrustedProxy is Request::isFromTrustedProxy.
func (r *request) isFromTrustedProxy() (bool, error) {
	if len(r.proxies) == 0 {
		return false, nil
	}
	return checkIP(r.server.remoteAddr, r.proxies)
}

// getTrustedValues is Request::getTrustedValues. ip is nil except for the
// client address (then the values are normalised and filtered).
func (r *request) getTrustedValues(typ int, ip *string) ([]value, error) {
	var client, fwd []value
	if r.headerSet&typ != 0 {
		if h, ok := r.server.headers[trustedHeaders[typ]]; ok {
			for _, v := range strings.Split(h, ",") {
				v = phpTrim(v)
				if typ == headerXForwardedPort {
					v = "0.0.0.0:" + v
				}
				client = append(client, value{s: v})
			}
		}
	}
	if param, ok := forwardedParams[typ]; ok && r.headerSet&headerForwarded != 0 {
		if h, ok := r.server.headers["FORWARDED"]; ok {
			for _, el := range forwardedElements(h) {
				p, ok := el[param]
				if !ok {
					continue
				}
				v := value{s: p.value, isTrue: p.isTrue}
				if typ == headerXForwardedPort {
					s := v.str()
					if i := strings.LastIndexByte(s, ':'); strings.HasSuffix(s, "]") || i < 0 {
						secure, err := r.isSecure()
						if err != nil {
							return nil, err
						}
						s = ":80"
						if secure {
							s = ":443"
						}
					} else {
						s = s[i:]
					}
					v = value{s: "0.0.0.0" + s}
				}
				fwd = append(fwd, v)
			}
		}
	}
	if ip != nil {
		var err error
		if client, err = r.normalizeAndFilterClientIps(client, *ip); err != nil {
			return nil, err
		}
		if fwd, err = r.normalizeAndFilterClientIps(fwd, *ip); err != nil {
			return nil, err
		}
	}
	if identical(fwd, client) || len(client) == 0 {
		return fwd, nil
	}
	if len(fwd) == 0 {
		return client, nil
	}
	return nil, errConflictingHeaders
}

// identical is PHP's === on two lists.
func identical(a, b []value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// normalizeAndFilterClientIps is Request::normalizeAndFilterClientIps: the
// peer appended, ports and brackets stripped, invalid entries and trusted
// ones dropped; what is left, nearest first, or else the first trusted one.
func (r *request) normalizeAndFilterClientIps(ips []value, ip string) ([]value, error) {
	if len(ips) == 0 {
		return nil, nil
	}
	ips = append(ips, value{s: ip})
	var kept []value
	var firstTrusted *value
	for _, v := range ips {
		s := v.str()
		if n := normalizeEntry(s); n != s {
			s, v = n, value{s: n}
		}
		if !filterValidateIP(s, anyFamily) {
			continue
		}
		trusted, err := checkIP(s, r.proxies)
		if err != nil {
			return nil, err
		}
		if trusted {
			if firstTrusted == nil {
				firstTrusted = &value{s: s}
			}
			continue
		}
		kept = append(kept, v)
	}
	if len(kept) == 0 {
		if firstTrusted == nil {
			return nil, nil // unreachable: the trusted peer itself is kept or trusted
		}
		return []value{*firstTrusted}, nil
	}
	for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
		kept[i], kept[j] = kept[j], kept[i]
	}
	return kept, nil
}

// normalizeEntry strips what normalizeAndFilterClientIps strips: the port of
// "v4:port" (from the first ":" when a "." follows the first byte) and the
// brackets and port of "[v6]:port" (without "]", all but the last byte).
func normalizeEntry(s string) string {
	if strings.IndexByte(s, '.') > 0 {
		if i := strings.IndexByte(s, ':'); i > 0 {
			return s[:i]
		}
		return s
	}
	if !strings.HasPrefix(s, "[") {
		return s
	}
	// substr($ip, 1, strpos($ip, ']', 1) - 1): without "]" the length is
	// false - 1 = -1, everything but the last byte.
	if i := strings.IndexByte(s[1:], ']'); i >= 0 {
		return s[1 : 1+i]
	}
	if len(s) > 1 {
		return s[1 : len(s)-1]
	}
	return ""
}

// getClientIp is Request::getClientIp: the first of getClientIps.
func (r *request) getClientIp() (*string, error) {
	ip, ok := r.remoteAddr()
	var peer *string
	if ok {
		peer = &ip
	}
	trusted, err := r.isFromTrustedProxy()
	if err != nil || !trusted {
		return peer, err
	}
	vals, err := r.getTrustedValues(headerXForwardedFor, &ip)
	if err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return peer, nil
	}
	s := vals[0].str()
	return &s, nil
}

// isSecure is Request::isSecure: the leftmost X-Forwarded-Proto item from a
// trusted peer, else $_SERVER['HTTPS'].
func (r *request) isSecure() (bool, error) {
	trusted, err := r.isFromTrustedProxy()
	if err != nil {
		return false, err
	}
	if trusted {
		proto, err := r.getTrustedValues(headerXForwardedProto, nil)
		if err != nil {
			return false, err
		}
		if len(proto) > 0 {
			switch strings.ToLower(proto[0].str()) {
			case "https", "on", "ssl", "1":
				return true, nil
			}
			return false, nil
		}
	}
	return r.server.https, nil
}

func (r *request) getScheme() (string, error) {
	secure, err := r.isSecure()
	if secure {
		return "https", err
	}
	return "http", err
}

// trustedFirst is `$this->isFromTrustedProxy() && $v = $this->getTrustedValues(typ)`
// followed by `$v[0]`.
func (r *request) trustedFirst(typ int) (string, bool, error) {
	trusted, err := r.isFromTrustedProxy()
	if err != nil || !trusted {
		return "", false, err
	}
	vals, err := r.getTrustedValues(typ, nil)
	if err != nil || len(vals) == 0 {
		return "", false, err
	}
	return vals[0].str(), true, nil
}

// getPort is Request::getPort, as the text getHttpHost appends.
func (r *request) getPort() (string, error) {
	host, ok, err := r.trustedFirst(headerXForwardedPort)
	if err != nil {
		return "", err
	}
	if !ok {
		if host, ok, err = r.trustedFirst(headerXForwardedHost); err != nil {
			return "", err
		}
	}
	if !ok {
		host = r.server.headers["HOST"]
		if !truthy(host) {
			return r.server.serverPort(), nil
		}
	}
	pos := -1
	if strings.HasPrefix(host, "[") {
		from := strings.LastIndexByte(host, ']')
		if from < 0 {
			from = 0
		}
		if i := strings.IndexByte(host[from:], ':'); i >= 0 {
			pos = from + i
		}
	} else {
		pos = strings.LastIndexByte(host, ':')
	}
	if pos >= 0 {
		if port := host[pos+1:]; truthy(port) {
			return strconv.FormatInt(castInt(port), 10), nil
		}
	}
	if secure, err := r.isSecure(); err != nil {
		return "", err
	} else if secure {
		return "443", nil
	}
	return "80", nil
}

// truthy is PHP's boolean conversion of a string.
func truthy(s string) bool { return s != "" && s != "0" }

// getHost is Request::getHost: the leftmost X-Forwarded-Host item from a
// trusted peer, else Host, else SERVER_NAME; trimmed, its :port cut,
// lowercased, and refused when characters outside hostnames remain.
func (r *request) getHost() (string, error) {
	host, ok, err := r.trustedFirst(headerXForwardedHost)
	if err != nil {
		return "", err
	}
	if !ok {
		host = r.server.headers["HOST"]
		if !truthy(host) {
			host = serverName
		}
	}
	host = strings.ToLower(cutPort(phpTrim(host)))
	if truthy(host) && !validHost(host) {
		return "", errSuspiciousHost
	}
	return host, nil
}

// cutPort is preg_replace('/:\d+$/', ”, $host).
func cutPort(host string) string {
	end := len(host)
	if strings.HasSuffix(host, "\n") {
		end-- // "$" also matches before a final newline
	}
	i := end
	for i > 0 && host[i-1] >= '0' && host[i-1] <= '9' {
		i--
	}
	if i < end && i > 0 && host[i-1] == ':' {
		return host[:i-1] + host[end:]
	}
	return host
}

func hostChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == ':' || c == ']' || c == '_'
}

// validHost reports whether preg_replace('/(?:^\[)?[a-zA-Z0-9-:\]_]+\.?/',
// ”, $host) leaves nothing: runs of host characters, each followed by at
// most one dot, and "[" only first and before a host character.
func validHost(host string) bool {
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case hostChar(c):
		case c == '.' && i > 0 && hostChar(host[i-1]):
		case c == '[' && i == 0 && len(host) > 1 && hostChar(host[1]):
		default:
			return false
		}
	}
	return true
}

// getHttpHost is Request::getHttpHost: the host, with the port unless it
// is the scheme's default.
func (r *request) getHttpHost() (string, error) {
	scheme, err := r.getScheme()
	if err != nil {
		return "", err
	}
	port, err := r.getPort()
	if err != nil {
		return "", err
	}
	host, err := r.getHost()
	if err != nil {
		return "", err
	}
	// 'http' == $scheme && 80 == $port: the port is an int or SERVER_PORT's text.
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		return host, nil
	}
	return host + ":" + port, nil
}

// walk explains getClientIp for simulate: the peer, then (when it is a
// trusted proxy) the X-Forwarded-For entries right to left, as
// normalizeAndFilterClientIps tests them, up to the first untrusted one;
// entries filter_var rejects are skipped and left out.
func (r *request) walk() []trustmodel.Step {
	peer, ok := r.remoteAddr()
	if !ok {
		return nil
	}
	trusted, err := r.isFromTrustedProxy()
	why := "matches no trusted proxy"
	switch {
	case err != nil:
		return nil
	case len(r.proxies) == 0:
		why = "no proxy is trusted"
	case trusted:
		why = "a trusted proxy: its forwarded headers count"
	}
	steps := []trustmodel.Step{{Hop: 0, Addr: peer, Trusted: trusted, Tested: true, Why: why}}
	h, present := r.server.headers[trustedHeaders[headerXForwardedFor]]
	if !trusted || r.headerSet&headerXForwardedFor == 0 || !present {
		return steps
	}
	items := strings.Split(h, ",")
	for i := len(items) - 1; i >= 0; i-- {
		entry := normalizeEntry(phpTrim(items[i]))
		if !filterValidateIP(entry, anyFamily) {
			continue // normalizeAndFilterClientIps drops it
		}
		ok, err := checkIP(entry, r.proxies)
		if err != nil {
			return steps
		}
		s := trustmodel.Step{Hop: len(items) - i, Addr: entry, Trusted: ok, Tested: true, Why: "matches a trusted proxy"}
		if !ok {
			s.Why = "matches no trusted proxy"
			return append(steps, s)
		}
		steps = append(steps, s)
	}
	if n := len(steps); n > 1 {
		steps[n-1].Tested = false
		steps[n-1].Why = "every entry is trusted: Symfony returns the leftmost"
	}
	return steps
}
