package trustmodel

import "strings"

// express evaluates Express 4.22.3 and 5.3.0 (lib/request.js): req.ip, ips,
// protocol, secure, host and hostname.
type express struct {
	major   string // "4" or "5"
	trust   Trust
	session *Session
	explain bool
}

func newExpress(app App) (Evaluator, error) {
	major := app.Version
	switch major {
	case "":
		major = "5"
	case "4", "5":
	default:
		if strings.HasPrefix(major, "4.") || strings.HasPrefix(major, "5.") {
			major = major[:1]
		} else {
			return nil, errUnsupportedVersion("express", app.Version, "4 or 5")
		}
	}
	t, err := CompileExpressTrust(app.TrustProxy)
	if err != nil {
		return nil, err
	}
	return &express{major: major, trust: t, session: app.Session, explain: app.Explain}, nil
}

func (e *express) Trust() Trust          { return e.trust }
func (e *express) Name() string          { return "express " + e.major }
func (e *express) AddressHeader() string { return "X-Forwarded-For" }

func (e *express) Evaluate(req Request) Result {
	var r Result
	addrs := walk(e.trust, req, ParseXFF, &r, e.explain)
	// req.ips: farthest first, the socket removed.
	r.IPs = make([]*string, 0, len(addrs)-1)
	for i := len(addrs) - 1; i >= 1; i-- {
		r.IPs = append(r.IPs, &addrs[i])
	}
	// protocol, hostname and host share one allocation: lint evaluates a
	// fleet's requests by the hundred thousand.
	vals := new([3]string)

	peerTrusted, _ := e.trust.Trusts(req.Peer, 0)
	proto := "http"
	if req.TLS {
		proto = "https"
	}
	if peerTrusted {
		h, _ := req.Headers.NodeValue("x-forwarded-proto")
		if h == "" {
			h = proto
		}
		if i := strings.IndexByte(h, ','); i != -1 {
			h = h[:i]
		}
		proto = jsTrim(h)
	}
	vals[0] = proto
	r.Protocol = &vals[0]
	r.Secure = BoolPtr(proto == "https")

	host, _ := req.Headers.NodeValue("x-forwarded-host")
	if host == "" || !peerTrusted {
		host, _ = req.Headers.NodeValue("host")
	} else if i := strings.IndexByte(host, ','); i != -1 {
		host = jsTrimEnd(host[:i])
	}
	if host != "" {
		vals[1], vals[2] = stripPort(host), host
		r.Hostname = &vals[1]
		if e.major == "5" {
			r.Host = &vals[2]
		} else {
			r.Host = r.Hostname // Express 4: req.host is a deprecated alias of hostname
		}
	}
	if e.session != nil {
		r.SessionCookie = e.session.cookie(req.TLS, *r.Secure, req.Headers)
	}
	return r
}
