package trustmodel

import (
	"strings"

	"github.com/dlclark/regexp2"
)

// requestIP is the npm package request-ip 3.3.0 (lib/index.js): the first
// header of a fixed list whose value passes its is.ip check, else the
// socket address. It trusts every header from every peer.
type requestIP struct{}

func newRequestIP(app App) (Evaluator, error) {
	if app.Version != "" && app.Version != "3.3.0" && app.Version != "3" {
		return nil, errUnsupportedVersion("request-ip", app.Version, "3.3.0")
	}
	return requestIP{}, nil
}

func (requestIP) Trust() Trust          { return trustAll{} }
func (requestIP) Name() string          { return "request-ip 3.3.0" }
func (requestIP) AddressHeader() string { return "X-Forwarded-For" }

// Advise: request-ip has no trust setting to write.
func (requestIP) Advise(Advice) (Setting, bool) { return Setting{}, false }

func (requestIP) Evaluate(req Request) Result {
	return Result{IP: RequestIP(req)}
}

// requestIPHeaders are the headers getClientIp reads after X-Client-IP and
// X-Forwarded-For, in its order. Its last one, req.headers['Cf-Pseudo-IPv4'],
// never matches: Node's header keys are lower case.
var requestIPHeaders = []string{"cf-connecting-ip", "fastly-client-ip", "true-client-ip", "x-real-ip",
	"x-cluster-client-ip", "x-forwarded", "forwarded-for", "forwarded", "x-appengine-user-ip"}

// RequestIP is request-ip's getClientIp(req) over the headers as Node joins
// them; nil for its null.
func RequestIP(req Request) *string {
	h := req.Headers
	if v, ok := h.NodeValue("x-client-ip"); ok && isIP(v) {
		return &v
	}
	if v, ok := h.NodeValue("x-forwarded-for"); ok {
		if ip, ok := requestIPFromXFF(v); ok {
			return &ip
		}
	}
	for _, name := range requestIPHeaders {
		if v, ok := h.NodeValue(name); ok && isIP(v) {
			return &v
		}
	}
	// req.connection.remoteAddress, then the same socket's again.
	if req.Peer != "" && isIP(req.Peer) {
		p := req.Peer
		return &p
	}
	return nil
}

// requestIPFromXFF is getClientIpFromXForwardedFor: the first entry, trimmed,
// that is an IP once a single ":port" is cut off.
func requestIPFromXFF(v string) (string, bool) {
	for _, e := range strings.Split(v, ",") {
		ip := jsTrim(e)
		if strings.Contains(ip, ":") {
			if parts := strings.Split(ip, ":"); len(parts) == 2 {
				ip = parts[0]
			}
		}
		if isIP(ip) {
			return ip, true
		}
	}
	return "", false
}

// request-ip's is.js regexes, run with JavaScript's semantics: the IPv6 one
// needs lookaheads and backreferences, which Go's regexp does not have.
var (
	requestIPv4 = regexp2.MustCompile(`^(?:(?:\d|[1-9]\d|1\d{2}|2[0-4]\d|25[0-5])\.){3}(?:\d|[1-9]\d|1\d{2}|2[0-4]\d|25[0-5])$`, regexp2.ECMAScript)
	requestIPv6 = regexp2.MustCompile(`^((?=.*::)(?!.*::.+::)(::)?([\dA-F]{1,4}:(:|\b)|){5}|([\dA-F]{1,4}:){6})((([\dA-F]{1,4}((?!\3)::|:\b|$))|(?!\2\3)){2}|(((2[0-4]|1\d|[1-9])?\d|25[0-5])\.?\b){4})$`, regexp2.ECMAScript|regexp2.IgnoreCase)
)

// isIP is is.ip for a present value.
func isIP(v string) bool {
	ok, err := requestIPv4.MatchString(v)
	if err == nil && ok {
		return true
	}
	ok, err = requestIPv6.MatchString(v)
	return err == nil && ok
}
