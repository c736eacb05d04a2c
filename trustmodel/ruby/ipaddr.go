// Package ruby models Ruby apps: Rails' ActionDispatch::RemoteIp and URL
// helpers on Rack's request, served by Puma, beside Ruby's own address
// parsing (IPAddr) and string splitting.
package ruby

import (
	"math/big"
	"strconv"
	"strings"
)

// ipAddr is a parsed Ruby IPAddr: the address and mask as 128-bit values
// (IPv4 in the low 32 bits), and its family.
type ipAddr struct {
	v6   bool
	addr big.Int
	mask big.Int
}

// ipAddrError is one of IPAddr's exceptions (all ArgumentErrors), with
// Ruby's message.
type ipAddrError struct{ msg string }

func (e *ipAddrError) Error() string { return e.msg }

func invalidAddress() error { return &ipAddrError{"invalid address: "} }

var (
	in4mask = new(big.Int).SetUint64(0xFFFFFFFF)
	in6mask = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
)

func (a *ipAddr) full() *big.Int {
	if a.v6 {
		return in6mask
	}
	return in4mask
}

// single reports whether to_range is one address (the mask is full).
func (a *ipAddr) single() bool { return a.mask.Cmp(a.full()) == 0 }

// rangeBounds is to_range: addr & mask .. addr | (FULL ^ mask).
func (a *ipAddr) rangeBounds() (lo, hi *big.Int) {
	lo = new(big.Int).And(&a.addr, &a.mask)
	inv := new(big.Int).Xor(a.full(), &a.mask)
	hi = new(big.Int).Or(&a.addr, inv)
	return lo, hi
}

// includes is IPAddr#include? (alias ===): same family, and other's range
// inside a's.
func (a *ipAddr) includes(other *ipAddr) bool {
	if a.v6 != other.v6 {
		return false
	}
	lo, hi := a.rangeBounds()
	olo, ohi := other.rangeBounds()
	return lo.Cmp(olo) <= 0 && hi.Cmp(ohi) >= 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_'
}
func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseIPAddr is IPAddr.new(s) (Ruby 3.1, ipaddr 1.2.4): "address",
// "address/prefixlen" or "address/mask", IPv6 optionally in brackets or with
// a %zone; a prefix masks the address.
func parseIPAddr(s string) (*ipAddr, error) {
	prefix, prefixlen, hasLen := strings.Cut(s, "/")
	if s == "" {
		return nil, invalidAddress() // "".split('/', 2) is [], prefix nil
	}
	forceV6 := false
	if len(prefix) >= 2 && prefix[0] == '[' && prefix[len(prefix)-1] == ']' && !strings.Contains(prefix[1:len(prefix)-1], "\n") {
		prefix, forceV6 = prefix[1:len(prefix)-1], true
	}
	// /\A(.*)(%\w+)\z/: the last "%" followed by word characters to the end.
	if i := strings.LastIndexByte(prefix, '%'); i >= 0 && i < len(prefix)-1 && !strings.Contains(prefix[:i], "\n") {
		word := true
		for j := i + 1; j < len(prefix); j++ {
			word = word && isWord(prefix[j])
		}
		if word {
			prefix, forceV6 = prefix[:i], true
		}
	}
	a := &ipAddr{}
	found := false
	if !forceV6 {
		v, ok, err := inAddr(prefix)
		if err != nil {
			return nil, err
		}
		if ok {
			a.addr.SetUint64(uint64(v))
			found = true
		}
	}
	if !found {
		v, err := in6Addr(prefix)
		if err != nil {
			return nil, err
		}
		a.v6 = true
		a.addr.Set(v)
	}
	if hasLen {
		if err := a.maskBy(prefixlen); err != nil {
			return nil, err
		}
	} else {
		a.mask.Set(a.full())
	}
	return a, nil
}

// ipv4Octets matches RE_IPV4ADDRLIKE, /\A(\d+)\.(\d+)\.(\d+)\.(\d+)\z/.
func ipv4Octets(s string) ([]string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return nil, false
	}
	for _, p := range parts {
		if p == "" {
			return nil, false
		}
		for i := 0; i < len(p); i++ {
			if !isDigit(p[i]) {
				return nil, false
			}
		}
	}
	return parts, true
}

// octetsValue is in_addr's inject: each octet below 256, none zero-filled.
func octetsValue(octets []string) (uint32, error) {
	var v uint32
	for _, o := range octets {
		t := strings.TrimLeft(o, "0")
		if len(t) > 3 {
			return 0, invalidAddress()
		}
		n, _ := strconv.Atoi("0" + t)
		if n >= 256 {
			return 0, invalidAddress()
		}
		if len(o) >= 2 && o[0] == '0' {
			return 0, &ipAddrError{"zero-filled number in IPv4 address is ambiguous: "}
		}
		v = v<<8 | uint32(n)
	}
	return v, nil
}

// inAddr is IPAddr#in_addr: not IPv4-like → ok false; invalid octets raise.
func inAddr(s string) (uint32, bool, error) {
	octets, ok := ipv4Octets(s)
	if !ok {
		return 0, false, nil
	}
	v, err := octetsValue(octets)
	return v, err == nil, err
}

// hexGroups reports whether s is (?:[\da-f]{1,4}:)* followed by
// [\da-f]{1,4} when last, i.e. colon-separated groups of 1-4 hex digits.
func hexGroups(s string) bool {
	if s == "" {
		return false
	}
	for _, g := range strings.Split(s, ":") {
		if len(g) < 1 || len(g) > 4 {
			return false
		}
		for i := 0; i < len(g); i++ {
			if !isHex(g[i]) {
				return false
			}
		}
	}
	return true
}

// in6Addr is IPAddr#in6_addr: RE_IPV6ADDRLIKE_FULL or _COMPRESSED, with
// their colon-count checks.
func in6Addr(s string) (*big.Int, error) {
	var left, right string
	v4 := uint32(0)
	hasV4 := false
	if dbl := strings.Index(s, "::"); dbl < 0 {
		// FULL: 8 groups, or 6 groups and a dotted IPv4.
		parts := strings.Split(s, ":")
		switch {
		case len(parts) == 8 && hexGroups(s):
			left = s
		case len(parts) == 7 && hexGroups(strings.Join(parts[:6], ":")):
			octets, ok := ipv4Octets(parts[6])
			if !ok {
				return nil, invalidAddress()
			}
			var err error
			if v4, err = octetsValue(octets); err != nil {
				return nil, err
			}
			hasV4 = true
			left = strings.Join(parts[:6], ":") + ":"
		default:
			return nil, invalidAddress()
		}
	} else {
		l, r := s[:dbl], s[dbl+2:]
		if l != "" && !hexGroups(l) {
			return nil, invalidAddress()
		}
		colons := strings.Count(s, ":")
		switch {
		case r == "":
			if colons > 8 {
				return nil, invalidAddress()
			}
			left, right = l, ""
		default:
			last := r
			head := ""
			if i := strings.LastIndexByte(r, ':'); i >= 0 {
				head, last = r[:i+1], r[i+1:]
				if !hexGroups(r[:i]) {
					return nil, invalidAddress()
				}
			}
			if octets, ok := ipv4Octets(last); ok {
				if colons > 6 {
					return nil, invalidAddress()
				}
				var err error
				if v4, err = octetsValue(octets); err != nil {
					return nil, err
				}
				hasV4 = true
				left, right = l, head+"0:0"
			} else if hexGroups(last) {
				limit := 7
				if l == "" {
					limit = 8
				}
				if colons > limit {
					return nil, invalidAddress()
				}
				left, right = l, r
			} else {
				return nil, invalidAddress()
			}
		}
	}
	lg, rg := rubySplitColon(left), rubySplitColon(right)
	rest := 8 - len(lg) - len(rg)
	if rest < 0 {
		return nil, invalidAddress()
	}
	groups := append(append(lg, make([]string, rest)...), rg...)
	v := new(big.Int)
	for _, g := range groups {
		n, _ := strconv.ParseUint("0"+g, 16, 32)
		v.Lsh(v, 16).Or(v, new(big.Int).SetUint64(n))
	}
	if hasV4 {
		v.Or(v, new(big.Int).SetUint64(uint64(v4)))
	}
	return v, nil
}

// rubySplitColon is String#split(':'): trailing empty fields dropped.
func rubySplitColon(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ":")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// maskBy is IPAddr#mask!(String): a prefix length without leading zeros,
// or a contiguous netmask address of the same family.
func (a *ipAddr) maskBy(m string) error {
	allDigits := m != ""
	for i := 0; i < len(m); i++ {
		allDigits = allDigits && isDigit(m[i])
	}
	switch {
	case allDigits && (m == "0" || m[0] != '0'):
		bits := 32
		if a.v6 {
			bits = 128
		}
		n, err := strconv.Atoi(m)
		if err != nil || n > bits {
			return &ipAddrError{"invalid length: " + a.addr.String()}
		}
		shift := uint(bits - n)
		a.mask.Rsh(a.full(), shift).Lsh(&a.mask, shift)
		a.addr.Rsh(&a.addr, shift).Lsh(&a.addr, shift)
		return nil
	case allDigits:
		return &ipAddrError{"leading zeros in prefix"}
	}
	mk, err := parseIPAddr(m)
	if err != nil {
		return err
	}
	if mk.v6 != a.v6 {
		return &ipAddrError{"address family is not same: " + a.addr.String()}
	}
	a.mask.Set(&mk.addr)
	n := new(big.Int).Xor(&a.mask, &mk.mask)
	if new(big.Int).And(new(big.Int).Add(n, big.NewInt(1)), n).Sign() != 0 {
		return &ipAddrError{"invalid mask " + m + ": " + a.addr.String()}
	}
	a.addr.And(&a.addr, &a.mask)
	return nil
}
