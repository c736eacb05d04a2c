package trustmodel

import (
	"fmt"
	"strings"
)

// Step is one address of the forwarded chain as the evaluator walked it.
type Step struct {
	Hop     int    // 0 = the socket peer, 1 = the rightmost X-Forwarded-For entry, ...
	Addr    string // verbatim; "" with Undefined for a missing socket address
	Trusted bool
	Why     string // the range that matched, or why nothing did
	Tested  bool   // false for the last entry, which proxy-addr never tests
}

// Result is what the app's framework computes for one request, field by
// field the accessors of SPEC §3.1 (ip, ips, protocol, secure, host,
// hostname). A nil field is an accessor that returns nothing (JavaScript's
// undefined, Python's None, Go's zero value where the framework has no
// answer), that the framework does not have, or that raised (see Raised).
type Result struct {
	IP       *string
	IPs      []*string // nil = no such list; non-nil empty = []
	Protocol *string
	Secure   *bool
	Host     *string
	Hostname *string
	// Raised maps an accessor field ("ip", "host", ...) to the short class
	// name of the exception it raises (Django's DisallowedHost).
	Raised map[string]string
	// SessionCookie is express-session's decision for a Secure-capable
	// session cookie: "secure", "insecure" or "withheld"; "" when no session is modelled.
	SessionCookie string
	// Steps is the walk, recorded when the evaluator explains (App.Explain).
	Steps []Step
}

// Evaluator computes what one framework, configured one way, derives from a request.
type Evaluator interface {
	Evaluate(req Request) Result
	// Trust is the compiled trust setting (for explanations and rules).
	Trust() Trust
	// Name is the framework and version, e.g. "express 5".
	Name() string
	// AddressHeader is the header req.ip reads addresses from besides the
	// socket's: X-Forwarded-For, or Koa's proxyIpHeader.
	AddressHeader() string
	// Advise writes a recommended trust setting in the framework's own
	// syntax, keeping the app's other options; false when the framework
	// cannot express it.
	Advise(Advice) (Setting, bool)
}

// Session is express-session's relevant configuration.
type Session struct {
	CookieSecure any   // true, false or "auto"
	Proxy        *bool // nil: the option is not set
}

// App is the app's configuration as trustcheck.yaml or simulate gives it.
type App struct {
	Framework string // express (default), fastify, koa, proxy-addr
	Version   string
	// TrustProxy is exactly what the app passes, decoded from YAML or JSON;
	// TrustProxySet is false when the app does not set it at all.
	TrustProxy    any
	TrustProxySet bool
	Options       map[string]any // framework-specific options by their own names
	// Server is the app server that rewrites the request before the
	// framework sees it (gunicorn, uvicorn), by its own option names, with
	// "name" and "version"; nil when none is described.
	Server map[string]any
	// Middleware is the request-rewriting middleware, outermost first, each
	// with "name" and its own option names (Werkzeug's proxy_fix, ...).
	Middleware []map[string]any
	Session    *Session
	// Explain records in Result.Steps why each address was or was not
	// trusted (simulate prints it). Without it the evaluator only decides,
	// which is what lint's tens of thousands of replays need.
	Explain bool
}

// NewEvaluator configures the framework the way the app does. The error is
// the framework's own message where it would throw (Express at app.set).
func NewEvaluator(app App) (Evaluator, error) {
	switch strings.ToLower(app.Framework) {
	case "", "express":
		return newExpress(app)
	case "fastify":
		return newFastify(app)
	case "koa":
		return newKoa(app)
	case "proxy-addr":
		return newProxyAddr(app)
	}
	return nil, &UnsupportedError{fmt.Sprintf("unknown framework %q (want express, fastify, koa, proxy-addr, gin, echo or chi)", app.Framework)}
}

func str(s string) *string { return &s }

var trueValue, falseValue = true, false

// BoolPtr returns a shared pointer to b: results are made by the hundred
// thousand in a fleet's lint, and a bool needs no allocation of its own.
func BoolPtr(b bool) *bool {
	if b {
		return &trueValue
	}
	return &falseValue
}

// walk is proxy-addr's alladdrs over the request's X-Forwarded-For as parse
// splits it: the socket then the tokens right to left, truncated after the
// first untrusted one; the last entry is never tested. It fills r.IP
// (proxyaddr's answer), and r.Steps when explain, and returns the kept
// addresses, closest first.
func walk(t Trust, req Request, parse func(string) []string, r *Result, explain bool) []string {
	xff, _ := req.Headers.NodeValue("x-forwarded-for")
	tokens := parse(xff)
	addrs := append(make([]string, 0, len(tokens)+1), req.Peer)
	addrs = append(addrs, tokens...)
	for i := 0; i < len(addrs); i++ {
		if i == len(addrs)-1 {
			if explain {
				r.Steps = append(r.Steps, Step{Hop: i, Addr: addrs[i], Why: "the farthest address is the client; it is never tested"})
			}
			break
		}
		ok, why := t.Trusts(addrs[i], i)
		if explain {
			r.Steps = append(r.Steps, Step{Hop: i, Addr: addrs[i], Trusted: ok, Why: why, Tested: true})
		}
		if !ok {
			addrs = addrs[:i+1]
			break
		}
	}
	r.IP = addrPtr(addrs, len(addrs)-1, req.Peer == "")
	return addrs
}

// closestFirst is proxyaddr.all's list as Fastify and proxy-addr return it:
// the socket first (undefined for an unknown peer).
func closestFirst(addrs []string, peerUndefined bool) []*string {
	out := make([]*string, len(addrs))
	for i := range addrs {
		out[i] = addrPtr(addrs, i, peerUndefined)
	}
	return out
}

// addrPtr turns a walked address into a result value: the socket entry of an
// unknown peer is undefined. It points into addrs, which each evaluation
// makes anew, rather than copying the address.
func addrPtr(addrs []string, i int, peerUndefined bool) *string {
	if i == 0 && peerUndefined {
		return nil
	}
	return &addrs[i]
}

// stripPort is Express's and Fastify 5's hostname: the port after the host,
// an IPv6 literal kept with its brackets.
func stripPort(host string) string {
	offset := 0
	if strings.HasPrefix(host, "[") {
		offset = strings.IndexByte(host, ']') + 1
	}
	if i := strings.IndexByte(host[offset:], ':'); i != -1 {
		return host[:offset+i]
	}
	return host
}
