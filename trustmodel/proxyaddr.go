package trustmodel

import (
	"math/bits"
	"net/netip"
	"strings"
)

// ProxyAddrVersion selects the proxy-addr whose compile and trust are reproduced.
type ProxyAddrVersion int

const (
	ProxyAddr207     ProxyAddrVersion = iota // proxy-addr 2.0.7
	ProxyAddr208                             // proxy-addr 2.0.8 (Express 4.22.x and 5.x fresh installs)
	FastifyProxyAddr                         // @fastify/proxy-addr 5.1.3 (ipaddr.js 2.5.0, zone check)
)

func (v ProxyAddrVersion) ipaddr() IPAddrJS {
	if v == FastifyProxyAddr {
		return IPAddrJS2
	}
	return IPAddrJS1
}

// Subnet is one compiled trust entry.
type Subnet struct {
	IP   netip.Addr
	Bits int
	Note string // the entry as compiled, e.g. "127.0.0.1/8" (after name expansion)
	From string // the element the user wrote, e.g. "loopback" or "10.0.0.0/8"
}

// CompiledTrust is the trust function compile returns; no subnets trusts nothing.
type CompiledTrust struct {
	Version ProxyAddrVersion
	Subnets []Subnet
}

// CompileError is the TypeError compile throws for one entry.
type CompileError struct {
	From string // the element the user wrote
	Msg  string // the package's message, e.g. "invalid IP address: 10.0.0.1/32"
}

func (e *CompileError) Error() string { return e.Msg }

// ipRanges is IP_RANGES. Lookups are own-property only (hasOwnProperty in
// 2.0.x, Object.hasOwn in the fork), so "constructor" or "__proto__" are not
// names and fail as invalid IP addresses, like any other unknown word.
var ipRanges = map[string][]string{
	"linklocal":   {"169.254.0.0/16", "fe80::/10"},
	"loopback":    {"127.0.0.1/8", "::1/128"},
	"uniquelocal": {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"},
}

// CompileProxyAddr is proxyaddr.compile(list) for a list of strings (callers do the comma splitting
// Express/Fastify do). Errors carry the package's own message text exactly: "invalid IP address: X",
// "invalid range on address: X".
func CompileProxyAddr(v ProxyAddrVersion, list []string) (*CompiledTrust, error) {
	t := &CompiledTrust{Version: v}
	for _, from := range list {
		notes, ok := ipRanges[from]
		if !ok {
			notes = []string{from}
		}
		for _, note := range notes {
			ip, prefix, err := parseNotation(v.ipaddr(), note)
			if err != nil {
				err.From = from
				return nil, err
			}
			t.Subnets = append(t.Subnets, Subnet{IP: ip, Bits: prefix, Note: note, From: from})
		}
	}
	return t, nil
}

// parseNotation is parseipNotation: the address before the last '/', then a
// decimal prefix or (IPv4 only) a netmask. Host bits are kept, as ipaddr.js
// match ignores them.
func parseNotation(v IPAddrJS, note string) (netip.Addr, int, *CompileError) {
	str, rng, hasRange := note, "", false
	if i := strings.LastIndexByte(note, '/'); i >= 0 {
		str, rng, hasRange = note[:i], note[i+1:], true
	}
	ip, ok := ParseJSAddr(v, str)
	if !ok {
		return netip.Addr{}, 0, &CompileError{Msg: "invalid IP address: " + str}
	}
	if !hasRange && ip.Is4In6() {
		// Only a bare mapped address is stored as IPv4; with a prefix it
		// stays an IPv6 subnet.
		ip = ip.Unmap()
	}
	prefix := ip.BitLen()
	switch {
	case !hasRange:
	case rng != "" && allBytes(rng, isDigit):
		// parseInt(rng, 10): "08" is 8; saturating keeps huge values too big.
		prefix = int(min(jsParseUint(rng, 10), 1<<10))
	case ip.Is4():
		prefix = -1 // null unless rng is a contiguous IPv4 netmask
		if m, ok := ParseJSAddr(v, rng); ok && m.Is4() {
			prefix = maskBits(m)
		}
	default:
		prefix = -1
	}
	// JS range <= 0 also catches null: /0 and a 0.0.0.0 netmask are rejected.
	if prefix <= 0 || prefix > ip.BitLen() {
		return netip.Addr{}, 0, &CompileError{Msg: "invalid range on address: " + note}
	}
	return ip, prefix, nil
}

// maskBits is prefixLengthFromSubnetMask: the number of leading ones, or -1
// (null) when the mask is not contiguous.
func maskBits(m netip.Addr) int {
	b := m.As4()
	x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := bits.LeadingZeros32(^x)
	if x<<ones != 0 {
		return -1
	}
	return ones
}

// Match is trust(addr) for a raw address string from a socket or header; it returns the first subnet that matched.
func (t *CompiledTrust) Match(addr string) (Subnet, bool) {
	if i, ok := t.match(addr); ok {
		return t.Subnets[i], true
	}
	return Subnet{}, false
}

// match is Match returning the subnet's index.
func (t *CompiledTrust) match(addr string) (int, bool) {
	if len(t.Subnets) == 0 {
		return 0, false
	}
	ip, ok := ParseJSAddr(t.Version.ipaddr(), addr)
	if !ok {
		return 0, false
	}
	if t.Version != ProxyAddr207 && ip.Is4In6() {
		// 2.0.8 and the fork canonicalise mapped candidates to IPv4 first.
		ip = ip.Unmap()
	}
	for i, s := range t.Subnets {
		if cand, ok := t.candidate(ip, s); ok && prefixMatch(cand, s) {
			return i, true
		}
	}
	return 0, false
}

// candidate converts ip to s's family the way trust does, or reports that s
// cannot match ip at all.
func (t *CompiledTrust) candidate(ip netip.Addr, s Subnet) (netip.Addr, bool) {
	cand := ip
	switch {
	case ip.Is4() != s.IP.Is4():
		if s.IP.Is4() {
			// Only a mapped candidate converts to IPv4 (2.0.7; later
			// versions have unmapped it already).
			if !ip.Is4In6() {
				return netip.Addr{}, false
			}
			cand = ip.Unmap()
		} else {
			// 2.0.7 maps any IPv4 candidate, so "::ffff:10.0.0.0/8" or
			// "::/1" trusts every IPv4 address. 2.0.8 requires a mapped
			// subnet whose prefix covers the ::ffff: marker.
			if t.Version != ProxyAddr207 && !(s.Bits >= 96 && s.IP.Is4In6()) {
				return netip.Addr{}, false
			}
			cand = netip.AddrFrom16(ip.As16())
		}
	case t.Version != ProxyAddr207 && ip.Is6() && s.IP.Is4In6():
		// 2.0.8: a native IPv6 candidate never matches a mapped subnet.
		return netip.Addr{}, false
	}
	// The fork: a subnet with a zone only matches the same zone; mapped and
	// IPv4 candidates have none.
	if t.Version == FastifyProxyAddr && s.IP.Zone() != "" && s.IP.Zone() != cand.Zone() {
		return netip.Addr{}, false
	}
	return cand, true
}

// prefixMatch is ipaddr.js match: the first s.Bits bits agree, zones ignored.
func prefixMatch(ip netip.Addr, s Subnet) bool {
	return netip.PrefixFrom(s.IP.WithZone(""), s.Bits).Contains(ip.WithZone(""))
}
