package trustmodel

import (
	"slices"
	"strings"
)

// Pos is a place in a configuration file; the zero Pos means "not from a file".
type Pos struct {
	File string
	Line int
}

// HopInput is what a hop knows when it computes the headers it sends on.
type HopInput struct {
	In Request
	// ClientAddr is the hop's view of the client address: the peer, or what
	// the hop's AddrResolver derived from the headers (nginx $remote_addr after realip).
	ClientAddr string
	// Context is the hop's Context.
	Context any
}

// SourceKind says where a forwarded value comes from.
type SourceKind int

const (
	SourceLiteral    SourceKind = iota // a fixed text from the configuration
	SourceClientAddr                   // the hop's view of the client address
	SourceHeader                       // an incoming header (Name): client-controlled unless a prior hop set it
	SourceScheme                       // http or https of the incoming connection
	SourceHost                         // the incoming Host header (normalised) or a configured fallback
	SourceClient                       // something else the client chooses (query, cookie, URI)
	SourceOpaque                       // a value trustcheck cannot evaluate and the client does not choose
)

// Source is one input a forwarded value depends on.
type Source struct {
	Kind SourceKind
	Name string // header name for SourceHeader; variable or description otherwise
}

// Expr computes a header value at a hop. Implementations outside this package
// (nginx's map, $host) plug in through this interface.
type Expr interface {
	Eval(in HopInput) string
	Sources() []Source
	String() string // as written in the configuration, for explanations
}

// AddrResolver derives a hop's view of the client address from its peer and
// headers (nginx realip). Nil means the peer address itself.
type AddrResolver interface {
	Resolve(in Request) string
	String() string
}

// HeaderRule is one header a hop sets or removes on the request it sends on.
type HeaderRule struct {
	Name   string
	Remove bool // the hop removes the client's header and sends none
	// SendEmpty: an empty result is sent as an empty value (a gateway
	// param without if_not_empty), not left out. Beside Remove, it takes
	// no room of its own.
	SendEmpty bool
	Value     Expr // when !Remove; an empty result sends no header (see SendEmpty)
	Pos       Pos
}

// Hop is one proxy between the client and the app.
type Hop struct {
	Name string
	Pos  Pos
	// Addr is the address the next hop sees this hop connect from.
	Addr string
	// TLSToNext: the connection to the next hop is TLS.
	TLSToNext bool
	// DropClientHeaders: no incoming line passes through (see Rules).
	// Beside TLSToNext, so that Gateway costs a hop no room.
	DropClientHeaders bool
	// ClientAddr resolves the hop's view of the client; nil = the peer.
	ClientAddr AddrResolver
	// Rules are emitted first, in order; every incoming line whose name no rule
	// names then passes through unless DropClientHeaders.
	Rules []HeaderRule
	// Context is what the hop's values read besides the request, opaque
	// here (for nginx, the server handling it: $host falls back to its
	// name). It lets hops of different places share their Rules.
	Context any
	// Gateway is set when the hop hands the request to the app over a
	// gateway protocol (FastCGI, uwsgi, SCGI) rather than HTTP.
	Gateway *Gateway
}

// Gateway is how a gateway hop (FastCGI, uwsgi, SCGI) builds the CGI
// environment the app reads. The app sees no connection of its own: its
// peer is the REMOTE_ADDR param and its TLS the HTTPS param. Header lines
// travel as HTTP_* params; the request the hop forwards writes each one
// back as the header it stands for (HTTP_X_FORWARDED_FOR as
// X-Forwarded-For), which is also what a client's X_Forwarded_For line
// becomes, as in the environment.
type Gateway struct {
	// Protocol is "fastcgi", "uwsgi" or "scgi".
	Protocol string
	// RemoteAddr and HTTPS are those params' values (nil: not sent; an
	// empty value and none mean the same to the app: no peer, not secure).
	// Scheme is uwsgi's UWSGI_SCHEME, which uWSGI prefers to HTTPS.
	RemoteAddr, HTTPS, Scheme Expr
	// JoinLines: the client's repeated header lines of one name travel as
	// one param, joined with ", " ("; " for Cookie), where the first was.
	JoinLines bool
	// DropUnderscoreNames: client header names with "_" are ignored
	// (nginx's underscores_in_headers off), so X_Forwarded_For never
	// becomes HTTP_X_FORWARDED_FOR.
	DropUnderscoreNames bool
}

// HTTPSOn is whether an HTTPS param value marks the request secure: set,
// non-empty and not "off" (any case), the Apache convention nginx's
// fastcgi_params follows and PHP's frameworks test (Symfony isSecure;
// PHP's empty() also counts "0" as unset).
func HTTPSOn(v string) bool { return v != "" && v != "0" && !strings.EqualFold(v, "off") }

// UwsgiHTTPSOn is uWSGI's test of the HTTPS var for wsgi.url_scheme (and
// Rack's and PSGI's): it starts with "on" in any case, or with "1"
// (plugins/python/wsgi_subhandler.c: strncasecmp(https, "on", 2) ||
// https[0] == '1').
func UwsgiHTTPSOn(v string) bool {
	return len(v) >= 2 && strings.EqualFold(v[:2], "on") || strings.HasPrefix(v, "1")
}

// Secure is whether the app takes the request as https, from the HTTPS
// and (uwsgi) UWSGI_SCHEME values it was handed; hasScheme: UWSGI_SCHEME
// was sent non-empty, and then alone decides.
func (g *Gateway) Secure(https, scheme string, hasScheme bool) bool {
	if g.Protocol == "uwsgi" {
		if hasScheme {
			return scheme == "https"
		}
		return UwsgiHTTPSOn(https)
	}
	return HTTPSOn(https)
}

// CGIHeaderName is the header an HTTP_* param name (without the prefix) or
// a client header name stands for in the CGI environment: uppercase with
// "-" as "_" there, written back here as X-Forwarded-For.
func CGIHeaderName(name string) string {
	b := []byte(name)
	up := true
	for i, c := range b {
		switch {
		case c == '_' || c == '-':
			b[i], up = '-', true
			continue
		case up && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !up && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		up = false
	}
	return string(b)
}

// Rule returns the rule for name (case-insensitive), if the hop has one.
func (h *Hop) Rule(name string) (HeaderRule, bool) {
	for _, r := range h.Rules {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return HeaderRule{}, false
}

// Forward returns the request the next hop receives from h.
func (h *Hop) Forward(in Request) Request {
	hin := HopInput{In: in, ClientAddr: in.Peer, Context: h.Context}
	if h.ClientAddr != nil {
		hin.ClientAddr = h.ClientAddr.Resolve(in)
	}
	// The lines are gathered on the stack and kept at their exact size: a
	// fleet's lint replays hundreds of thousands of requests.
	var buf [16]HeaderLine
	lines := buf[:0]
	for _, r := range h.Rules {
		if r.Remove || r.Value == nil {
			continue
		}
		if v := r.Value.Eval(hin); v != "" || r.SendEmpty {
			lines = append(lines, HeaderLine{Name: r.Name, Value: v})
		}
	}
	if h.Gateway != nil {
		return h.Gateway.forward(h, hin, lines)
	}
	if !h.DropClientHeaders {
		for _, l := range in.Headers {
			if !h.sets(l.Name) {
				lines = append(lines, l)
			}
		}
	}
	out := Request{Peer: h.Addr, TLS: h.TLSToNext}
	if len(lines) > 0 {
		out.Headers = slices.Clone(lines)
	}
	return out
}

// forward builds what the app reads from a gateway hop: the params' lines,
// then the client's lines as nginx passes them (each as its HTTP_* name,
// repeated ones joined when JoinLines, those a param names left out).
func (g *Gateway) forward(h *Hop, hin HopInput, lines []HeaderLine) Request {
	out := Request{}
	if g.RemoteAddr != nil {
		out.Peer = g.RemoteAddr.Eval(hin)
	}
	https, scheme := "", ""
	if g.HTTPS != nil {
		https = g.HTTPS.Eval(hin)
	}
	if g.Scheme != nil {
		scheme = g.Scheme.Eval(hin)
	}
	out.TLS = g.Secure(https, scheme, scheme != "")
	if !h.DropClientHeaders {
		in := hin.In.Headers
		for i, l := range in {
			if g.JoinLines && slices.ContainsFunc(in[:i], func(p HeaderLine) bool { return strings.EqualFold(p.Name, l.Name) }) {
				continue // joined into the first line of its name
			}
			if g.DropUnderscoreNames && strings.Contains(l.Name, "_") {
				continue
			}
			name := CGIHeaderName(l.Name)
			if h.sets(name) {
				continue
			}
			v := l.Value
			if g.JoinLines {
				sep := ", "
				if strings.EqualFold(l.Name, "Cookie") {
					sep = "; "
				}
				for _, n := range in[i+1:] {
					if strings.EqualFold(n.Name, l.Name) {
						v += sep + n.Value
					}
				}
			}
			lines = append(lines, HeaderLine{Name: name, Value: v})
		}
	}
	if len(lines) > 0 {
		out.Headers = slices.Clone(lines)
	}
	return out
}

// sets reports whether the hop has a rule for name (case-insensitive).
func (h *Hop) sets(name string) bool {
	for i := range h.Rules {
		if strings.EqualFold(h.Rules[i].Name, name) {
			return true
		}
	}
	return false
}

// Path is the sequence of hops from a public entry point to the app.
type Path struct {
	Entry string // "client -> cdn", "client -> nginx", "client -> app"
	Hops  []Hop
}

// Replay sends client through every hop and returns what the app receives.
func (p Path) Replay(client Request) Request {
	req := client
	for i := range p.Hops {
		req = p.Hops[i].Forward(req)
	}
	return req
}
