// Package python models how Python web stacks resolve the client behind
// proxies: Werkzeug's ProxyFix under Flask, Django's settings, Starlette
// under uvicorn, and the app servers gunicorn and uvicorn that build the
// request first. Each evaluator replays the real request path: the server's
// environ or scope, its middleware, then the framework's accessors.
//
// Addresses are parsed the way Python's ipaddress module parses them
// (CPython 3.11 Lib/ipaddress.py), because gunicorn ≥ 23 and uvicorn ≥ 0.31
// decide trust with it and urllib.parse uses it to vet bracketed hosts.
package python

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// pyAddr is an ipaddress.IPv4Address or IPv6Address. Zone is IPv6's scope id
// ("eth0" in "fe80::1%eth0"); Python compares and hashes it with the address.
type pyAddr struct {
	ip   netip.Addr // never zoned; Is4 for IPv4Address
	zone string
}

func (a pyAddr) is4() bool { return a.ip.Is4() }

// The errors of ip_address and ip_network; ValueError's message is
// "'TEXT' does not appear to be an IPv4 or IPv6 address" (network), or
// "TEXT has host bits set" for a strict network.
var (
	errAddr     = errors.New("does not appear to be an IPv4 or IPv6 address")
	errNetwork  = errors.New("does not appear to be an IPv4 or IPv6 network")
	errHostBits = errors.New("has host bits set")
)

// pyValueError is the message of the ValueError ipaddress raises for text.
func pyValueError(text string, err error) string {
	if err == errHostBits {
		return text + " has host bits set"
	}
	return pyRepr(text) + " " + err.Error()
}

// parseIPAddress is ipaddress.ip_address(text): IPv4Address, else
// IPv6Address. No whitespace, brackets, ports, leading zeros in IPv4 octets
// (rejected since CPython 3.9.5), or short IPv4 forms; zones are allowed.
func parseIPAddress(s string) (pyAddr, error) {
	if a, ok := parseIPv4(s); ok {
		return pyAddr{ip: a}, nil
	}
	return parseIPv6(s)
}

// parseIPv4 is IPv4Address._ip_int_from_string: four dot-separated decimal
// octets of 1–3 ASCII digits, no leading zero, each ≤ 255.
func parseIPv4(s string) (netip.Addr, bool) {
	if s == "" || strings.Contains(s, "/") {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		if p == "" || len(p) > 3 || !allASCIIDigits(p) {
			return netip.Addr{}, false
		}
		if p != "0" && p[0] == '0' {
			return netip.Addr{}, false
		}
		n, _ := strconv.Atoi(p)
		if n > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseIPv6 is IPv6Address(text): _split_scope_id then _ip_int_from_string.
func parseIPv6(s string) (pyAddr, error) {
	if strings.Contains(s, "/") {
		return pyAddr{}, errAddr
	}
	addr, zone, hasZone := strings.Cut(s, "%")
	if hasZone && (zone == "" || strings.Contains(zone, "%")) {
		return pyAddr{}, errAddr
	}
	if addr == "" {
		return pyAddr{}, errAddr
	}
	parts := strings.Split(addr, ":")
	if len(parts) < 3 {
		return pyAddr{}, errAddr
	}
	if last := parts[len(parts)-1]; strings.Contains(last, ".") {
		v4, ok := parseIPv4(last)
		if !ok {
			return pyAddr{}, errAddr
		}
		b := v4.As4()
		parts = append(parts[:len(parts)-1],
			strconv.FormatUint(uint64(b[0])<<8|uint64(b[1]), 16),
			strconv.FormatUint(uint64(b[2])<<8|uint64(b[3]), 16))
	}
	const hextets = 8
	if len(parts) > hextets+1 {
		return pyAddr{}, errAddr
	}
	skip := -1
	for i := 1; i < len(parts)-1; i++ {
		if parts[i] == "" {
			if skip >= 0 {
				return pyAddr{}, errAddr // more than one "::"
			}
			skip = i
		}
	}
	var hi, lo, skipped int
	if skip >= 0 {
		hi, lo = skip, len(parts)-skip-1
		if parts[0] == "" {
			if hi--; hi != 0 {
				return pyAddr{}, errAddr // ":" at the start without "::"
			}
		}
		if parts[len(parts)-1] == "" {
			if lo--; lo != 0 {
				return pyAddr{}, errAddr
			}
		}
		skipped = hextets - (hi + lo)
		if skipped < 1 {
			return pyAddr{}, errAddr
		}
	} else {
		if len(parts) != hextets || parts[0] == "" || parts[len(parts)-1] == "" {
			return pyAddr{}, errAddr
		}
		hi, lo = len(parts), 0
	}
	var b [16]byte
	put := func(at int, h string) bool {
		if h == "" || len(h) > 4 {
			return false
		}
		n, err := strconv.ParseUint(h, 16, 16) // base 16: no sign, prefix or "_"
		if err != nil {
			return false
		}
		b[2*at], b[2*at+1] = byte(n>>8), byte(n)
		return true
	}
	for i := 0; i < hi; i++ {
		if !put(i, parts[i]) {
			return pyAddr{}, errAddr
		}
	}
	for i := lo; i > 0; i-- {
		if !put(hextets-i, parts[len(parts)-i]) {
			return pyAddr{}, errAddr
		}
	}
	return pyAddr{ip: netip.AddrFrom16(b), zone: zone}, nil
}

// pyNetwork is an ipaddress.IPv4Network or IPv6Network.
type pyNetwork struct {
	addr netip.Addr // the network address, host bits clear
	bits int
	zone string // kept from the text unless masking changed the address; only printed
}

// parseIPNetwork is ipaddress.ip_network(text, strict): an address with an
// optional "/prefix" (IPv4 also takes a netmask or hostmask); strict refuses
// host bits.
func parseIPNetwork(s string, strict bool) (pyNetwork, error) {
	addrText, mask, hasMask := strings.Cut(s, "/")
	bad := errNetwork
	if strings.Contains(mask, "/") {
		return pyNetwork{}, bad
	}
	if v4, ok := parseIPv4(addrText); ok {
		bits := 32
		if hasMask {
			var ok bool
			if bits, ok = prefixLen(mask, 32); !ok {
				if bits, ok = ipv4MaskBits(mask); !ok {
					return pyNetwork{}, bad
				}
			}
		}
		return makeNetwork(pyAddr{ip: v4}, bits, strict)
	}
	a, err := parseIPv6(addrText)
	if err != nil {
		return pyNetwork{}, bad
	}
	bits := 128
	if hasMask {
		var ok bool
		if bits, ok = prefixLen(mask, 128); !ok {
			return pyNetwork{}, bad
		}
	}
	return makeNetwork(a, bits, strict)
}

// makeNetwork is the network constructor's host-bit check: strict refuses
// them, otherwise they are masked off (and the zone with them).
func makeNetwork(a pyAddr, bits int, strict bool) (pyNetwork, error) {
	p := netip.PrefixFrom(a.ip, bits).Masked()
	if p.Addr() != a.ip {
		if strict {
			return pyNetwork{}, errHostBits
		}
		return pyNetwork{addr: p.Addr(), bits: bits}, nil
	}
	return pyNetwork{addr: p.Addr(), bits: bits, zone: a.zone}, nil
}

// prefixLen is _prefix_from_prefix_string: ASCII digits (leading zeros
// allowed), 0..max.
func prefixLen(s string, max int) (int, bool) {
	if !allASCIIDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n <= max
}

// ipv4MaskBits is _prefix_from_ip_string: a netmask (255.255.0.0) or a
// hostmask (0.0.255.255).
func ipv4MaskBits(s string) (int, bool) {
	m, ok := parseIPv4(s)
	if !ok {
		return 0, false
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	if n, ok := maskOnes(v); ok {
		return n, true
	}
	if n, ok := maskOnes(^v); ok {
		return n, true
	}
	return 0, false
}

// maskOnes returns the prefix length of a contiguous leading-ones mask.
func maskOnes(v uint32) (int, bool) {
	n := 0
	for n < 32 && v&(1<<(31-n)) != 0 {
		n++
	}
	if n < 32 && v<<n != 0 {
		return 0, false
	}
	return n, true
}

// contains is `address in network`: false across families (an IPv4-mapped
// IPv6 address never matches an IPv4 network); the zone is ignored.
func (n pyNetwork) contains(a pyAddr) bool {
	if n.addr.Is4() != a.ip.Is4() {
		return false
	}
	return netip.PrefixFrom(a.ip, n.bits).Masked().Addr() == n.addr
}
