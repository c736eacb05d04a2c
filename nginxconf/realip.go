package nginxconf

// ngx_http_realip_module as nginx runs it (src/http/modules/
// ngx_http_realip_module.c and ngx_http_get_forwarded_addr* in
// src/http/ngx_http_core_module.c; reference/evaluators.md §4.1).

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// RealIPMode is what real_ip_header selects.
type RealIPMode int

const (
	RealIPXRealIP       RealIPMode = iota // "X-Real-IP" (the default): the first X-Real-IP line
	RealIPXForwardedFor                   // "X-Forwarded-For": every XFF line, last first
	RealIPProxyProtocol                   // "proxy_protocol": the PROXY protocol source address
	RealIPCustom                          // any other name (compared case-sensitively with the keywords): its first line
)

func (m RealIPMode) String() string {
	switch m {
	case RealIPXForwardedFor:
		return "X-Forwarded-For"
	case RealIPProxyProtocol:
		return "proxy_protocol"
	case RealIPCustom:
		return "custom header"
	}
	return "X-Real-IP"
}

// RealIPFrom is one set_real_ip_from entry.
type RealIPFrom struct {
	Pos  trustmodel.Pos
	Text string // as written
	// Unix: "unix:" (trusts UNIX-socket clients).
	Unix bool
	// Hostname: a name nginx resolves when it loads the configuration; the
	// model cannot resolve it and lets it match nothing (a warning says so).
	Hostname bool
	// Prefix is the CIDR as nginx stores it (host bits cleared), e.g.
	// "10.0.0.0/8"; "" for unix: and hostnames.
	Prefix string
	c      cidr
}

// RealIP is the realip configuration in effect at one level. Each directive
// is inherited separately: set_real_ip_from as a whole list (a level with
// any entry replaces the parent's), real_ip_header and real_ip_recursive
// each on their own.
type RealIP struct {
	// From is the effective set_real_ip_from list; empty means the module
	// does nothing at this level.
	From []RealIPFrom
	// Header is real_ip_header's argument ("X-Real-IP" when not set) and
	// HeaderPos where it was set (zero when defaulted).
	Header    string
	HeaderPos trustmodel.Pos
	Mode      RealIPMode
	// Recursive is real_ip_recursive; RecursivePos where it was set.
	Recursive    bool
	RecursivePos trustmodel.Pos

	bracketNoPort bool // nginx >= 1.27.3 token parsing
}

// Active reports whether the module changes anything at this level.
func (r *RealIP) Active() bool { return r != nil && len(r.From) > 0 }

func (r *RealIP) cidrs() []cidr {
	var out []cidr
	for _, f := range r.From {
		if f.Hostname {
			continue
		}
		out = append(out, f.c)
	}
	return out
}

func (r *RealIP) String() string {
	if !r.Active() {
		return "realip off"
	}
	var from []string
	for _, f := range r.From {
		from = append(from, f.Text)
	}
	rec := "off"
	if r.Recursive {
		rec = "on"
	}
	return fmt.Sprintf("realip from %s, header %s, recursive %s", strings.Join(from, " "), r.Header, rec)
}

// parseRealIPFrom reads a set_real_ip_from argument as ngx_http_realip_from
// does.
func parseRealIPFrom(pos trustmodel.Pos, text string) (RealIPFrom, string) {
	f := RealIPFrom{Pos: pos, Text: text}
	if text == "unix:" {
		f.Unix = true
		f.c = cidr{family: afUnix}
		return f, ""
	}
	c, rc := ptocidr(text)
	switch rc {
	case cidrOK, cidrDone:
		f.c = c
		f.Prefix = cidrString(c)
		if rc == cidrDone {
			return f, fmt.Sprintf("low address bits of %s are meaningless", text)
		}
		return f, ""
	}
	f.Hostname = true
	return f, fmt.Sprintf("set_real_ip_from %q is a host name nginx resolves at start-up; the model cannot resolve it and trusts no address for it", text)
}

// expandRealIPFrom is parseRealIPFrom for a directive: "localhost" (and
// ip6-localhost) resolve as /etc/hosts has them on Debian and most systems
// (127.0.0.1 and ::1, one entry each, as ngx_http_realip_from adds every
// address of a name); other names match nothing.
func expandRealIPFrom(pos trustmodel.Pos, text string) ([]RealIPFrom, string) {
	var addrs []string
	switch strings.ToLower(text) {
	case "localhost":
		addrs = []string{"127.0.0.1", "::1"}
	case "ip6-localhost", "ip6-loopback":
		addrs = []string{"::1"}
	}
	if addrs == nil {
		f, w := parseRealIPFrom(pos, text)
		return []RealIPFrom{f}, w
	}
	var out []RealIPFrom
	for _, a := range addrs {
		f, _ := parseRealIPFrom(pos, a)
		f.Text = text
		out = append(out, f)
	}
	return out, fmt.Sprintf("set_real_ip_from %q: nginx resolves the name at start-up; modelled as %s (the usual /etc/hosts)", text, strings.Join(addrs, " and "))
}

func cidrString(c cidr) string {
	bits := 0
	size := 4
	if c.family == afInet6 {
		size = 16
	}
	for i := 0; i < size; i++ {
		for m := c.mask[i]; m&0x80 != 0; m <<= 1 {
			bits++
		}
	}
	sa := sockaddr{family: c.family, ip: c.addr}
	return fmt.Sprintf("%s/%d", sa.ntop(), bits)
}

// Resolve is the realip handler at one level: it returns the address nginx
// puts in $remote_addr (formatted as nginx prints it) and whether it
// changed, for a connection from peer carrying headers.
func (r *RealIP) Resolve(peer string, headers trustmodel.Header) (string, bool) {
	if !r.Active() {
		return peer, false
	}
	sa, ok := parsePeer(peer)
	if !ok {
		return peer, false
	}
	var values []string
	single := true
	switch r.Mode {
	case RealIPXRealIP:
		v, ok := firstLine(headers, "X-Real-IP")
		if !ok {
			return peer, false
		}
		values = []string{v}
	case RealIPXForwardedFor:
		values = headers.Lines("X-Forwarded-For")
		if len(values) == 0 {
			return peer, false
		}
		single = false
	case RealIPCustom:
		v, ok := firstLine(headers, r.Header)
		if !ok {
			return peer, false
		}
		values = []string{v}
	default: // proxy_protocol: not part of the modelled request
		return peer, false
	}
	res, rc := forwardedAddr(sa, values, single, r.cidrs(), r.Recursive, r.bracketNoPort)
	if rc == fwdDeclined {
		return peer, false
	}
	return res.ntop(), true
}

func firstLine(h trustmodel.Header, name string) (string, bool) {
	for _, l := range h {
		if strings.EqualFold(l.Name, name) {
			return l.Value, true
		}
	}
	return "", false
}

type fwdResult int

const (
	fwdOK fwdResult = iota
	fwdDone
	fwdDeclined
)

// forwardedAddr is ngx_http_get_forwarded_addr: a single value (X-Real-IP,
// custom header) or every X-Forwarded-For line walked from the last one
// back; non-recursive mode only ever looks at the last line.
func forwardedAddr(addr sockaddr, lines []string, single bool, proxies []cidr, recursive, bracketNoPort bool) (sockaddr, fwdResult) {
	if single {
		return forwardedAddrInternal(addr, lines[0], proxies, recursive, bracketNoPort)
	}
	rc := fwdDeclined
	found := false
	for i := len(lines) - 1; i >= 0; i-- {
		var next sockaddr
		next, rc = forwardedAddrInternal(addr, lines[i], proxies, recursive, bracketNoPort)
		if rc != fwdDeclined {
			addr = next
		}
		if !recursive {
			break
		}
		if rc == fwdDeclined && found {
			rc = fwdDone
			break
		}
		if rc != fwdOK {
			break
		}
		found = true
	}
	return addr, rc
}

// forwardedAddrInternal is ngx_http_get_forwarded_addr_internal: tokens are
// separated by ' ' and ',' only; the first byte is never examined as a
// separator; an invalid token stops the walk.
func forwardedAddrInternal(addr sockaddr, xff string, proxies []cidr, recursive, bracketNoPort bool) (sockaddr, fwdResult) {
	found := false
	xfflen := len(xff)
	for {
		if !cidrMatch(addr, proxies) {
			if found {
				return addr, fwdDone
			}
			return addr, fwdDeclined
		}
		if xfflen == 0 {
			// nginx reads the byte before the value here (a ':' or ' ' of
			// the header line), which never parses as an address.
			if found {
				return addr, fwdDone
			}
			return addr, fwdDeclined
		}
		p := xfflen - 1
		for ; p > 0; p-- {
			if xff[p] != ' ' && xff[p] != ',' {
				break
			}
			xfflen--
		}
		for ; p > 0; p-- {
			if xff[p] == ' ' || xff[p] == ',' {
				p++
				break
			}
		}
		paddr, ok := parseAddrPort(xff[p:xfflen], bracketNoPort)
		if !ok {
			if found {
				return addr, fwdDone
			}
			return addr, fwdDeclined
		}
		addr = paddr
		found = true
		if !(recursive && p > 0) {
			break
		}
		xfflen = p - 1
	}
	return addr, fwdOK
}

// realipResolver is the trustmodel.AddrResolver of one proxying place: the
// realip handler runs in POST_READ with the server-level configuration and,
// when that did not change the address, in PREACCESS with the location's.
type realipResolver struct {
	server, loc *RealIP
}

func (r *realipResolver) Resolve(in trustmodel.Request) string {
	if r.server.Active() {
		if a, ok := r.server.Resolve(in.Peer, in.Headers); ok {
			return a
		}
	}
	if r.loc != r.server && r.loc.Active() {
		if a, ok := r.loc.Resolve(in.Peer, in.Headers); ok {
			return a
		}
	}
	return in.Peer
}

func (r *realipResolver) String() string {
	switch {
	case r.loc == r.server || !r.loc.Active():
		return "nginx " + r.server.String()
	case !r.server.Active():
		return "nginx " + r.loc.String() + " (location level)"
	}
	return "nginx " + r.server.String() + "; location level: " + r.loc.String()
}
