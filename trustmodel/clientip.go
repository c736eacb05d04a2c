package trustmodel

import (
	"fmt"
	"strings"
)

// WithClientIPFrom is ev for an app that takes the client address from
// somewhere other than the framework's accessor (SPEC §3 client_ip_from):
// "request-ip" (the npm package), "leftmost-xff" (the first X-Forwarded-For
// entry, trimmed; the socket address when there is none) or "header:NAME"
// (that header verbatim; nothing when absent). "" and "framework" leave ev
// as it is. Headers are read as Node joins repeated lines.
func WithClientIPFrom(ev Evaluator, from string) (Evaluator, error) {
	switch {
	case from == "" || from == "framework":
		return ev, nil
	case from == "request-ip", from == "leftmost-xff":
	case strings.HasPrefix(from, "header:") && len(from) > len("header:"):
	default:
		return nil, &UnsupportedError{fmt.Sprintf("unknown client_ip_from %q (want framework, request-ip, leftmost-xff or header:NAME)", from)}
	}
	return &ownClientIP{Evaluator: ev, from: from}, nil
}

// ownClientIP replaces the framework's ip with the app's own reading; the
// other fields stay the framework's.
type ownClientIP struct {
	Evaluator
	from string
}

// ClientIPFrom reports where an evaluator's ip comes from: "framework", or
// the app's own reading (WithClientIPFrom).
func ClientIPFrom(ev Evaluator) string {
	if o, ok := ev.(*ownClientIP); ok {
		return o.from
	}
	return "framework"
}

func (o *ownClientIP) Name() string { return o.Evaluator.Name() + ", client address from " + o.from }

// AddressHeader is the header the app reads the client address from first.
func (o *ownClientIP) AddressHeader() string {
	switch {
	case o.from == "request-ip":
		return "X-Client-IP"
	case strings.HasPrefix(o.from, "header:"):
		return o.from[len("header:"):]
	}
	return "X-Forwarded-For"
}

// Trust is every address: none of these readings asks who sent the header.
func (o *ownClientIP) Trust() Trust { return trustAll{} }

func (o *ownClientIP) Evaluate(req Request) Result {
	r := o.Evaluator.Evaluate(req)
	r.IPs, r.Steps = nil, nil
	switch {
	case o.from == "request-ip":
		r.IP = RequestIP(req)
	case o.from == "leftmost-xff":
		r.IP = nil
		if xff, ok := req.Headers.NodeValue("x-forwarded-for"); ok {
			first, _, _ := strings.Cut(xff, ",")
			if first = jsTrim(first); first != "" {
				r.IP = &first
			}
		}
		if r.IP == nil && req.Peer != "" {
			p := req.Peer
			r.IP = &p
		}
	default:
		r.IP = nil
		if v, ok := req.Headers.NodeValue(o.from[len("header:"):]); ok {
			r.IP = &v
		}
	}
	return r
}
