package goweb

import (
	"fmt"
	"net"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// chi evaluates chi 5's middleware.RealIP (middleware/realip.go) in front
// of a handler that reads r.RemoteAddr (its host when it is host:port).
// RealIP believes True-Client-IP, then X-Real-IP, then X-Forwarded-For's
// first entry, from any peer. chi has no scheme accessor.
type chi struct {
	version string // "5.5" (5.0.8 and later) or "5.0.7" (5.0.0–5.0.7)
	legacy  bool   // ≤5.0.7: XFF cut at ", ", and no net.ParseIP check
	realIP  bool
	explain bool
}

func newChi(app trustmodel.App) (trustmodel.Evaluator, error) {
	minor, patch, ok := minorVersion(app.Version, "5", 5)
	if !ok || minor > 5 {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported chi version %q (want 5, 5.N or 5.0.N)", app.Version)}
	}
	c := &chi{version: "5.5", explain: app.Explain}
	if minor == 0 {
		if patch < 0 {
			return nil, &trustmodel.UnsupportedError{Msg: "chi version \"5.0\": give the patch version (5.0.N): middleware.RealIP changed in 5.0.8"}
		}
		if patch <= 7 {
			c.version, c.legacy = fmt.Sprintf("5.0.%d", patch), true
		}
	}
	if err := checkOptions("chi", app.Options); err != nil {
		return nil, err
	}
	if app.TrustProxySet {
		return nil, &trustmodel.UnsupportedError{Msg: "chi has no trust setting: middleware.RealIP believes every peer (describe it under app.middleware: [{name: real_ip}])"}
	}
	for _, m := range app.Middleware {
		switch m["name"] {
		case "real_ip":
			for k := range m {
				if k != "name" {
					return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.middleware: real_ip takes no options (got %q)", k)}
				}
			}
			c.realIP = true
		default:
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.middleware: unknown middleware %s for chi (known: real_ip)", describe(m["name"]))}
		}
	}
	return c, nil
}

func (c *chi) Name() string { return "chi " + c.version }

// AddressHeader is the one header nginx appends to; RealIP prefers
// True-Client-IP and X-Real-IP when they are present.
func (c *chi) AddressHeader() string { return "X-Forwarded-For" }

// realIPOf is realIP(r): "" leaves RemoteAddr alone.
func (c *chi) realIPOf(h trustmodel.Header) (ip, from string) {
	switch {
	case headerGet(h, "True-Client-IP") != "":
		ip, from = headerGet(h, "True-Client-IP"), "True-Client-IP"
	case headerGet(h, "X-Real-IP") != "":
		ip, from = headerGet(h, "X-Real-IP"), "X-Real-IP"
	case headerGet(h, "X-Forwarded-For") != "":
		xff := headerGet(h, "X-Forwarded-For")
		sep := "," // 5.0.8 (#684); strings.Cut since 5.2.2
		if c.legacy {
			sep = ", "
		}
		ip, _, _ = strings.Cut(xff, sep)
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

func (c *chi) Evaluate(req trustmodel.Request) trustmodel.Result {
	var r trustmodel.Result
	r.Host, r.Hostname = hostFields(req)
	addr := remoteAddr(req)
	if c.realIP {
		if ip, from := c.realIPOf(req.Headers); ip != "" {
			addr = ip
			if c.explain {
				r.Steps = append(r.Steps, trustmodel.Step{Addr: req.Peer, Trusted: true, Tested: true, Why: "middleware.RealIP believes every peer"},
					trustmodel.Step{Hop: 1, Addr: ip, Why: "RealIP replaced r.RemoteAddr with " + from})
			}
		} else if c.explain {
			why := "middleware.RealIP found no usable header"
			if from != "" {
				why = "middleware.RealIP: " + from + " is not an address for net.ParseIP"
			}
			r.Steps = append(r.Steps, trustmodel.Step{Addr: req.Peer, Tested: true, Why: why})
		}
	} else if c.explain {
		r.Steps = append(r.Steps, trustmodel.Step{Addr: req.Peer, Tested: true, Why: "no middleware.RealIP: r.RemoteAddr is the peer"})
	}
	ip := hostOnly(addr)
	r.IP = &ip
	return r
}

func (c *chi) Trust() trustmodel.Trust { return chiTrust{c.realIP} }

// chiTrust: RealIP believes its headers from every peer; without it no
// header is read at all.
type chiTrust struct{ realIP bool }

func (t chiTrust) Trusts(string, int) (bool, string) {
	if t.realIP {
		return true, "middleware.RealIP believes every peer"
	}
	return false, "no middleware.RealIP: no header is read"
}

func (t chiTrust) String() string {
	if t.realIP {
		return "every peer (middleware.RealIP)"
	}
	return "nothing (r.RemoteAddr)"
}

func (t chiTrust) TrustsEveryone() bool { return t.realIP }

// Advise: RealIP cannot be limited to some peers, so the only trust it can
// express is none: take r.Use(middleware.RealIP) out, and r.RemoteAddr is
// the proxy's address. Trusting given proxies needs chi's ClientIPFrom*
// middleware, which this evaluator does not model.
func (c *chi) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	if len(a.Proxies) > 0 {
		return trustmodel.Setting{}, false
	}
	return trustmodel.Setting{
		Code: "// remove r.Use(middleware.RealIP): r.RemoteAddr stays the connecting proxy's address",
		App:  trustmodel.App{Framework: "chi", Version: c.version},
	}, true
}
