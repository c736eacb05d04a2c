package trustmodel

import (
	"net/netip"
	"strings"
)

// IPAddrJS selects the ipaddr.js major version whose parser is reproduced.
type IPAddrJS int

const (
	IPAddrJS1 IPAddrJS = iota // ipaddr.js 1.9.1, used by proxy-addr 2.0.x
	IPAddrJS2                 // ipaddr.js 2.5.0, used by @fastify/proxy-addr 5.x
)

// ParseJSAddr returns the address exactly as ipaddr.js isValid+parse would
// (IPv6 tried first), ok=false when isValid is false. IPv4-mapped IPv6 stays
// IPv6 (netip Is4In6), zone ids are kept in the netip.Addr zone.
//
// s is taken byte by byte, as Node's latin1 header strings are: every class
// ipaddr.js's regexps accept is ASCII, so a non-ASCII byte never validates.
func ParseJSAddr(v IPAddrJS, s string) (netip.Addr, bool) {
	// IPv6.isValid rejects anything without a colon, and no IPv4 form has one.
	if strings.IndexByte(s, ':') < 0 {
		return parseJSv4(v, s)
	}
	return parseJSv6(v, s)
}

// parseJSv4 is IPv4.parser plus the constructor's 0-255 octet check.
// 1.9.1 knows the 4-part and 1-part forms; 2.x adds a.b (24-bit tail) and
// a.b.c (16-bit tail).
func parseJSv4(v IPAddrJS, s string) (netip.Addr, bool) {
	n := strings.Count(s, ".") + 1
	if n > 4 {
		return netip.Addr{}, false
	}
	var x [4]uint64
	for i := range n {
		p, rest, _ := strings.Cut(s, ".")
		if !isJSv4Part(p) {
			return netip.Addr{}, false
		}
		var ok bool
		if x[i], ok = parseIntAuto(v, p); !ok {
			return netip.Addr{}, false
		}
		s = rest
	}
	// tail is the last part, spread over the octets the earlier parts leave.
	var lead []uint64
	var tailMax uint64
	switch {
	case n == 4:
		lead, tailMax = x[:3], 0xff
	case n == 1:
		lead, tailMax = nil, 0xffffffff
	case v == IPAddrJS1:
		return netip.Addr{}, false
	case n == 2:
		lead, tailMax = x[:1], 0xffffff
	default:
		lead, tailMax = x[:2], 0xffff
	}
	tail := x[n-1]
	if tail > tailMax {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, o := range lead {
		if o > 0xff {
			return netip.Addr{}, false
		}
		b[i] = byte(o)
	}
	for i := 3; i >= len(lead); i-- {
		b[i] = byte(tail)
		tail >>= 8
	}
	return netip.AddrFrom4(b), true
}

// isJSv4Part matches ipaddr.js's ipv4Part, (0?\d+|0x[a-f0-9]+) with the i flag.
func isJSv4Part(p string) bool {
	if len(p) > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
		return allBytes(p[2:], isHex)
	}
	return p != "" && allBytes(p, isDigit)
}

// parseIntAuto is each version's parseIntAuto on a string isJSv4Part accepted.
func parseIntAuto(v IPAddrJS, p string) (uint64, bool) {
	hex := len(p) > 1 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')
	if v == IPAddrJS1 {
		switch {
		case p[0] == '0' && (len(p) == 1 || p[1] != 'x'):
			// parseInt(p, 8) stops at the first non-octal byte: "08" is 0,
			// "0X7f" is 0.
			return jsParseUint(p, 8), true
		case hex:
			return jsParseUint(p[2:], 16), true
		}
		return jsParseUint(p, 10), true
	}
	switch {
	case hex:
		return jsParseUint(p[2:], 16), true
	case len(p) > 1 && p[0] == '0':
		// A leading 0 followed by a digit must be all octal, else it throws.
		if !allBytes(p, isOctal) {
			return 0, false
		}
		return jsParseUint(p, 8), true
	}
	return jsParseUint(p, 10), true
}

// jsParseUint is parseInt(s, base) for s starting with a digit of base: it
// reads digits up to the first one outside base and saturates above 32 bits,
// where every caller rejects the value anyway.
func jsParseUint(s string, base uint64) uint64 {
	const limit = 1 << 40
	var n uint64
	for i := 0; i < len(s); i++ {
		d, ok := hexVal(s[i])
		if !ok || d >= base {
			break
		}
		if n = n*base + d; n > limit {
			n = limit
		}
	}
	return n
}

// parseJSv6 is IPv6.parser plus the constructor's checks: exactly 8 parts of
// at most 0xffff each.
func parseJSv6(v IPAddrJS, s string) (netip.Addr, bool) {
	addr, zone, hasZone := strings.Cut(s, "%")
	if hasZone && (zone == "" || !allBytes(zone, isAlnum)) {
		return netip.Addr{}, false
	}
	var g [8]uint16
	if strings.IndexByte(addr, '.') < 0 {
		if !isJSv6Native(addr) || !expandIPv6(v, addr, g[:]) {
			return netip.Addr{}, false
		}
		return addr16(g, zone), true
	}
	// The transitional form: hex groups up to the last colon, then a dotted quad.
	i := strings.LastIndexByte(addr, ':')
	prefix, quad := addr[:i+1], addr[i+1:]
	if v == IPAddrJS2 && prefix == "::" {
		// 2.x parses "::a.b.c.d" as "::ffff:a.b.c.d" (deprecatedTransitional).
		prefix = "::ffff:"
	}
	var o [4]uint64
	if !isJSv6Prefix(prefix) || !parseQuad(quad, &o) {
		return netip.Addr{}, false
	}
	// 1.9.1 always drops the prefix's last colon, so "64:ff9b::1.2.3.4"
	// loses its "::"; 2.x keeps a trailing "::".
	if v == IPAddrJS1 || !strings.HasSuffix(prefix, "::") {
		prefix = prefix[:len(prefix)-1]
	}
	if !expandIPv6(v, prefix, g[:6]) {
		return netip.Addr{}, false
	}
	for _, x := range o {
		if x > 0xff {
			return netip.Addr{}, false
		}
	}
	g[6] = uint16(o[0]<<8 | o[1])
	g[7] = uint16(o[2]<<8 | o[3])
	return addr16(g, zone), true
}

// isJSv6Native reports whether addr (zone removed) matches the native regexp
// ^(::)?((?:[0-9a-f]+::?)+)?([0-9a-f]+)?(::)?$ in every case expandIPv6
// accepts: hex digits and colons, not opening with a lone colon. Colon runs
// longer than 2 match sometimes, but expandIPv6 rejects them all.
func isJSv6Native(addr string) bool {
	if strings.HasPrefix(addr, ":") && !strings.HasPrefix(addr, "::") {
		return false
	}
	return allBytes(addr, func(c byte) bool { return c == ':' || isHex(c) })
}

// isJSv6Prefix matches the transitional regexp's first group,
// ((?:[0-9a-f]+::?)+|::(?:[0-9a-f]+::?)*): hex groups each followed by one or
// two colons, optionally opened by "::".
func isJSv6Prefix(p string) bool {
	if strings.HasPrefix(p, "::") {
		p = p[2:]
	} else if p == "" {
		return false
	}
	for p != "" {
		h := 0
		for h < len(p) && isHex(p[h]) {
			h++
		}
		if h == 0 || h == len(p) || p[h] != ':' {
			return false
		}
		p = p[h+1:]
		if strings.HasPrefix(p, ":") {
			p = p[1:]
		}
	}
	return true
}

// parseQuad parses the transitional form's a.b.c.d. Unlike the IPv4 parser it
// uses plain parseInt, so "010" is decimal 10 while "0x10" is hex.
func parseQuad(s string, o *[4]uint64) bool {
	for i := range o {
		p := s
		if i < 3 {
			var ok bool
			if p, s, ok = strings.Cut(s, "."); !ok {
				return false
			}
		}
		if !isJSv4Part(p) {
			return false
		}
		if len(p) > 1 && (p[1] == 'x' || p[1] == 'X') {
			o[i] = jsParseUint(p[2:], 16)
		} else {
			o[i] = jsParseUint(p, 10)
		}
	}
	return true
}

// expandIPv6 is ipaddr.js's expandIPv6(addr, len(g)) followed by the
// constructor's check that the result has the wanted number of groups, each
// at most 0xffff. addr holds only hex digits and colons.
func expandIPv6(v IPAddrJS, addr string, g []uint16) bool {
	dbl := strings.Index(addr, "::")
	if dbl != strings.LastIndex(addr, "::") {
		return false
	}
	colons := strings.Count(addr, ":")
	if strings.HasPrefix(addr, "::") {
		colons--
	}
	if strings.HasSuffix(addr, "::") {
		colons--
	}
	// 1.9.1 lets "::" stand for no group at all ("1:2:3:4::5:6:7:8").
	if colons > len(g) || v == IPAddrJS2 && colons == len(g) {
		return false
	}
	// Replace "::" by ":0:...:0:" and trim one colon from each edge, as the
	// source does; the edge trim is what lets 1.9.1 accept a trailing single
	// colon in "1:2:3:4:5:6:7:8:".
	var buf [64]byte
	b := buf[:0]
	if dbl < 0 {
		b = append(b, addr...)
	} else {
		b = append(b, addr[:dbl]...)
		b = append(b, ':')
		for range len(g) - colons {
			b = append(b, "0:"...)
		}
		b = append(b, addr[dbl+2:]...)
	}
	if len(b) > 0 && b[0] == ':' {
		b = b[1:]
	}
	if len(b) > 0 && b[len(b)-1] == ':' {
		b = b[:len(b)-1]
	}
	n := 0
	for {
		i := 0
		for i < len(b) && b[i] != ':' {
			i++
		}
		x, ok := parseGroup(v, b[:i])
		b = b[i:]
		if !ok || n == len(g) {
			return false
		}
		g[n] = x
		n++
		if len(b) == 0 {
			break
		}
		b = b[1:]
	}
	return n == len(g)
}

// parseGroup is parseInt(part, 16) (1.9.1 allows any number of leading zeros)
// or 2.x's NaN for parts longer than 4, then the 16-bit check.
func parseGroup(v IPAddrJS, part []byte) (uint16, bool) {
	if len(part) == 0 || v == IPAddrJS2 && len(part) > 4 {
		return 0, false
	}
	for len(part) > 1 && part[0] == '0' {
		part = part[1:]
	}
	if len(part) > 4 {
		return 0, false
	}
	var x uint16
	for _, c := range part {
		d, _ := hexVal(c)
		x = x<<4 | uint16(d)
	}
	return x, true
}

func addr16(g [8]uint16, zone string) netip.Addr {
	var b [16]byte
	for i, x := range g {
		b[2*i], b[2*i+1] = byte(x>>8), byte(x)
	}
	return netip.AddrFrom16(b).WithZone(zone)
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isOctal(c byte) bool { return '0' <= c && c <= '7' }
func isHex(c byte) bool   { _, ok := hexVal(c); return ok }
func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func hexVal(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}
