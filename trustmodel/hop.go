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
	Value  Expr // when !Remove; an empty result sends no header
	Pos    Pos
}

// Hop is one proxy between the client and the app.
type Hop struct {
	Name string
	Pos  Pos
	// Addr is the address the next hop sees this hop connect from.
	Addr string
	// TLSToNext: the connection to the next hop is TLS.
	TLSToNext bool
	// ClientAddr resolves the hop's view of the client; nil = the peer.
	ClientAddr AddrResolver
	// Rules are emitted first, in order; every incoming line whose name no rule
	// names then passes through unless DropClientHeaders.
	Rules             []HeaderRule
	DropClientHeaders bool
	// Context is what the hop's values read besides the request, opaque
	// here (for nginx, the server handling it: $host falls back to its
	// name). It lets hops of different places share their Rules.
	Context any
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
		if v := r.Value.Eval(hin); v != "" {
			lines = append(lines, HeaderLine{Name: r.Name, Value: v})
		}
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
