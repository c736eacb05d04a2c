package trustmodel

import (
	"fmt"
	"net/netip"
	"strings"
)

// Advice is a trust setting a rule recommends, in terms every framework
// shares; each evaluator writes it in its own syntax (Evaluator.Advise).
type Advice struct {
	// Proxies are the addresses or ranges the app should trust, as text
	// ("127.0.0.1", "10.0.0.0/16"): nginx's, then the edge's. Empty: trust
	// nothing.
	Proxies []string
	// Hops is how many proxies stand between the client and the app: what
	// a framework that counts rather than matches addresses is told.
	Hops int
}

// Setting is advice as the app writes it: the code, and the configuration
// that code gives, so that a fix can be replayed before it is offered.
type Setting struct {
	Code string
	App  App
}

// allLoopback reports whether every proxy is a loopback address or range.
func allLoopback(proxies []string) bool {
	for _, p := range proxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return false
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		a := pfx.Addr().Unmap()
		if !a.IsLoopback() || a.Is4() && pfx.Bits() < 8 || a.Is6() && pfx.Bits() < 128 && pfx.Addr().Is6() && !pfx.Addr().Is4In6() {
			return false
		}
	}
	return len(proxies) > 0
}

// proxyAddrValue is the narrowest proxy-addr value that trusts the proxies:
// "loopback" for loopback addresses, else the list.
func proxyAddrValue(proxies []string) any {
	var out []any
	loopback := false
	for _, p := range proxies {
		if allLoopback([]string{p}) {
			if !loopback {
				out = append(out, "loopback")
			}
			loopback = true
			continue
		}
		out = append(out, p)
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

// jsCode renders a trust value as JavaScript source.
func jsCode(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + x + "'"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = jsCode(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func (e *express) Advise(a Advice) (Setting, bool) {
	var v any = false
	if len(a.Proxies) > 0 {
		v = proxyAddrValue(a.Proxies)
	}
	return Setting{
		Code: fmt.Sprintf("app.set('trust proxy', %s)", jsCode(v)),
		App:  App{Framework: "express", Version: e.major, TrustProxy: v, TrustProxySet: true, Session: e.session},
	}, true
}

func (f *fastify) Advise(a Advice) (Setting, bool) {
	var v any = false
	if len(a.Proxies) > 0 {
		v = proxyAddrValue(a.Proxies)
		if list, ok := v.([]any); ok {
			// trustProxy takes a comma-separated string as well as an array.
			parts := make([]string, len(list))
			for i, p := range list {
				parts[i] = p.(string)
			}
			v = strings.Join(parts, ",")
		}
	}
	return Setting{
		Code: fmt.Sprintf("fastify({ trustProxy: %s })", jsCode(v)),
		App:  App{Framework: "fastify", Version: f.version, TrustProxy: v, TrustProxySet: true},
	}, true
}

// Advise for Koa: app.proxy trusts every peer or none, so only "trust
// nothing" and a hop count (app.proxy with maxIpsCount, which keeps that
// many X-Forwarded-For entries from the right) can be written.
func (k *koa) Advise(a Advice) (Setting, bool) {
	app := App{Framework: "koa", Version: k.major, TrustProxySet: true, Options: map[string]any{}}
	if k.proxyIPHeader != "X-Forwarded-For" {
		app.Options["proxyIpHeader"] = k.proxyIPHeader
	}
	if a.Hops < 1 {
		if len(a.Proxies) > 0 {
			return Setting{}, false // Koa cannot trust addresses
		}
		app.TrustProxy = false
		return Setting{Code: "app.proxy = false", App: app}, true
	}
	app.TrustProxy = true
	app.Options["maxIpsCount"] = a.Hops
	return Setting{Code: fmt.Sprintf("app.proxy = true; app.maxIpsCount = %d", a.Hops), App: app}, true
}

// Advise for proxy-addr on its own: compile(val).
func (p *proxyAddrEval) Advise(a Advice) (Setting, bool) {
	if len(a.Proxies) == 0 {
		return Setting{}, false // compile refuses an empty value
	}
	v := proxyAddrValue(a.Proxies)
	return Setting{Code: fmt.Sprintf("proxyaddr.compile(%s)", jsCode(v)), App: App{Framework: "proxy-addr", Version: p.version, TrustProxy: v, TrustProxySet: true}}, true
}
