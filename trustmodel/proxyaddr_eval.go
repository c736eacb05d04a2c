package trustmodel

import "errors"

// proxyAddrEval is proxy-addr used directly: ip = proxyaddr(req, trust),
// ips = proxyaddr.all(req, trust), with the value handed to compile as is.
type proxyAddrEval struct {
	version string
	trust   Trust
	explain bool
}

func newProxyAddr(app App) (Evaluator, error) {
	v := ProxyAddr208
	switch app.Version {
	case "", "2.0.8":
	case "2.0.7":
		v = ProxyAddr207
	default:
		return nil, errUnsupportedVersion("proxy-addr", app.Version, "2.0.7 or 2.0.8")
	}
	if !jsTruthy(app.TrustProxy) {
		return nil, errTrustRequired
	}
	t, err := compileList(v, app.TrustProxy)
	if err != nil {
		return nil, err
	}
	name := app.Version
	if name == "" {
		name = "2.0.8"
	}
	return &proxyAddrEval{version: name, trust: t, explain: app.Explain}, nil
}

// errTrustRequired is compile's own TypeError for a falsy argument.
var errTrustRequired = errors.New("argument is required")

func (p *proxyAddrEval) Trust() Trust          { return p.trust }
func (p *proxyAddrEval) Name() string          { return "proxy-addr " + p.version }
func (p *proxyAddrEval) AddressHeader() string { return "X-Forwarded-For" }

func (p *proxyAddrEval) Evaluate(req Request) Result {
	var r Result
	r.IPs = closestFirst(walk(p.trust, req, ParseXFF, &r, p.explain), req.Peer == "")
	return r
}
