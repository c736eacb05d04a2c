package trustmodel

import (
	"errors"
	"fmt"
	"strings"
)

// Trust is a compiled trust setting: the function the framework calls as
// trust(addr, i), i being the hop distance (0 = the socket peer).
type Trust interface {
	// Trusts reports whether addr at hop distance i is trusted, and why
	// (the range that matched, or the rule that decided).
	Trusts(addr string, i int) (bool, string)
	String() string
}

// trustAll is `trust proxy: true`.
type trustAll struct{}

func (trustAll) Trusts(string, int) (bool, string) {
	return true, "trust proxy is true: every address is trusted"
}
func (trustAll) String() string { return "true (trust every address)" }

// TrustsEveryone reports whether t trusts every address at every hop
// (Express and Fastify `true`, Koa with app.proxy on); another package's
// Trust says so itself with a TrustsEveryone method (gin's default).
func TrustsEveryone(t Trust) bool {
	if e, ok := t.(interface{ TrustsEveryone() bool }); ok {
		return e.TrustsEveryone()
	}
	_, ok := t.(trustAll)
	return ok
}

// everyPeer is a request from a public peer behind a long chain of public
// entries: an evaluator that resolves its leftmost entry believes every
// peer and every entry, however it is configured.
var everyPeer = Request{Peer: "198.51.100.9", Headers: Header{
	{Name: "Host", Value: "app.example"},
	{Name: "X-Forwarded-For", Value: "6.6.6.6, 198.51.100.1, 198.51.100.2, 198.51.100.3, 198.51.100.4, 198.51.100.5, 198.51.100.6, 198.51.100.7"},
}}

// BelievesEveryPeer reports whether ev takes the client address from the
// leftmost X-Forwarded-For entry whoever sends it: a compiled trust-all
// (TrustsEveryone), or a framework that ignores the peer (Spring's
// ForwardedHeaderFilter, Gin without SetTrustedProxies).
func BelievesEveryPeer(ev Evaluator) bool {
	if TrustsEveryone(ev.Trust()) {
		return true
	}
	ip := ev.Evaluate(everyPeer).IP
	return ip != nil && *ip == "6.6.6.6"
}

// trustHops is a numeric hop count: trust(a, i) = i < n.
type trustHops float64

func (n trustHops) Trusts(_ string, i int) (bool, string) {
	if float64(i) < float64(n) {
		return true, fmt.Sprintf("hop %d < %s", i, jsNumberString(float64(n)))
	}
	return false, fmt.Sprintf("hop %d >= %s", i, jsNumberString(float64(n)))
}
func (n trustHops) String() string { return fmt.Sprintf("%s hop(s)", jsNumberString(float64(n))) }

// trustNever is Fastify ≥ 5.12.1's fail-closed answer to a hop count.
type trustNever struct{}

func (trustNever) Trusts(string, int) (bool, string) {
	return false, "numeric trustProxy trusts nothing since fastify 5.12.1"
}
func (trustNever) String() string {
	return "nothing (numeric trustProxy is disabled in fastify ≥ 5.12.1)"
}

// trustRanges is a compiled proxy-addr list. matches holds each subnet's
// reason, built once: lint asks about tens of thousands of addresses.
type trustRanges struct {
	t       *CompiledTrust
	matches []string
}

func newTrustRanges(t *CompiledTrust) trustRanges {
	r := trustRanges{t: t, matches: make([]string, len(t.Subnets))}
	for i, s := range t.Subnets {
		r.matches[i] = "matches " + describeSubnet(s)
	}
	return r
}

func (r trustRanges) Trusts(addr string, _ int) (bool, string) {
	if i, ok := r.t.match(addr); ok {
		return true, r.matches[i]
	}
	if len(r.t.Subnets) == 0 {
		return false, "nothing is trusted"
	}
	return false, "matches no trusted range"
}

// String lists the ranges as compiled, each with what the user wrote where
// that differs: `"1"` shows as 0.0.0.1/32 (from "1").
func (r trustRanges) String() string {
	if len(r.t.Subnets) == 0 {
		return "nothing"
	}
	parts := make([]string, len(r.t.Subnets))
	for i, s := range r.t.Subnets {
		parts[i] = describeSubnet(s)
	}
	return strings.Join(parts, ", ")
}

func describeSubnet(s Subnet) string {
	canon := fmt.Sprintf("%s/%d", s.IP.WithZone(""), s.Bits)
	if s.From != canon {
		return fmt.Sprintf("%s (from %q)", canon, s.From)
	}
	return canon
}

// compileList is proxyaddr.compile(val) for a JS string or array value. JS
// expands range names over the whole list first and then parses the entries
// in order, so an element that is not a string fails only after every string
// before it parsed.
func compileList(v ProxyAddrVersion, val any) (Trust, error) {
	var elems []any
	switch x := val.(type) {
	case string:
		elems = []any{x}
	case []any:
		elems = x
	default:
		return nil, errors.New("unsupported trust argument")
	}
	list := make([]string, 0, len(elems))
	for _, e := range elems {
		var elemErr error
		switch el := e.(type) {
		case string:
			list = append(list, el)
			continue
		case []any:
			// hasOwnProperty(IP_RANGES, arr) coerces the array to its string,
			// and an array has lastIndexOf but ipaddr.js rejects it.
			s := jsString(el)
			if isRangeName(s) {
				list = append(list, s)
				continue
			}
			elemErr = errors.New("invalid IP address: " + s)
		case nil:
			elemErr = errors.New("Cannot read properties of null (reading 'lastIndexOf')")
		default:
			elemErr = errors.New("note.lastIndexOf is not a function")
		}
		if _, err := CompileProxyAddr(v, list); err != nil {
			return nil, err
		}
		return nil, elemErr
	}
	t, err := CompileProxyAddr(v, list)
	if err != nil {
		return nil, err
	}
	return newTrustRanges(t), nil
}

func isRangeName(s string) bool {
	return s == "loopback" || s == "linklocal" || s == "uniquelocal"
}

// splitTrim is val.split(',').map(v => v.trim()).
func splitTrim(s string) []any {
	var out []any
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, jsTrim(s[start:i]))
			start = i + 1
		}
	}
	return out
}

// CompileExpressTrust is Express's compileTrust (lib/utils.js, identical in
// 4.22.3 and 5.3.0), run when the app calls app.set('trust proxy', val). The
// error carries the message app.set throws.
func CompileExpressTrust(val any) (Trust, error) {
	if b, ok := val.(bool); ok && b {
		return trustAll{}, nil
	}
	if n, ok := jsNumber(val); ok {
		return trustHops(n), nil
	}
	if s, ok := val.(string); ok {
		return compileList(ProxyAddr208, splitTrim(s))
	}
	if !jsTruthy(val) {
		return newTrustRanges(&CompiledTrust{Version: ProxyAddr208}), nil
	}
	return compileList(ProxyAddr208, val)
}
