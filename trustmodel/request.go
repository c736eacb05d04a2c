// Package trustmodel is the pure domain of trustcheck: addresses and trust
// ranges, the frameworks' evaluators, and the hops a request crosses on its way
// to the app. It does no I/O and knows nothing of nginx.
package trustmodel

import "strings"

// HeaderLine is one header line as received, name as sent.
type HeaderLine struct {
	Name  string
	Value string
}

// Header is an ordered list of header lines; repeated names stay separate lines.
type Header []HeaderLine

// Lines returns the values of every line named name (case-insensitive), in order.
func (h Header) Lines(name string) []string {
	var out []string
	for _, l := range h {
		if strings.EqualFold(l.Name, name) {
			out = append(out, l.Value)
		}
	}
	return out
}

// Without returns a copy of h without lines named name (case-insensitive).
func (h Header) Without(name string) Header {
	out := make(Header, 0, len(h))
	for _, l := range h {
		if !strings.EqualFold(l.Name, name) {
			out = append(out, l)
		}
	}
	return out
}

// nodeFirstWins lists the headers Node's IncomingMessage keeps only the first
// line of (lib/_http_incoming.js matchKnownFields, Node 20).
var nodeFirstWins = map[string]bool{
	"content-type": true, "content-length": true, "user-agent": true, "referer": true,
	"host": true, "authorization": true, "proxy-authorization": true,
	"if-modified-since": true, "if-unmodified-since": true, "from": true,
	"location": true, "max-forwards": true, "retry-after": true, "etag": true,
	"last-modified": true, "server": true, "age": true, "expires": true,
}

// NodeValue returns req.headers[name] as Node computes it: repeated lines
// joined with ", " ("; " for cookie), or only the first line for the headers
// Node drops duplicates of. ok is false when no line carries the name.
func (h Header) NodeValue(name string) (value string, ok bool) {
	lc := strings.ToLower(name)
	sep := ", "
	if lc == "cookie" {
		sep = "; "
	}
	for _, l := range h {
		if !strings.EqualFold(l.Name, lc) {
			continue
		}
		if !ok {
			value, ok = l.Value, true
			if nodeFirstWins[lc] {
				return value, true
			}
			continue
		}
		value += sep + l.Value
	}
	return value, ok
}

// Request is what one receiver sees: the peer that connected to it, whether
// that connection is TLS, and the header lines.
type Request struct {
	// Peer is the socket's remote address as the receiver reports it
	// (Node reports "::ffff:127.0.0.1" on a dual-stack listener). Empty means
	// the address is unknown (a destroyed socket: Node's undefined).
	Peer    string
	TLS     bool
	Headers Header
}
