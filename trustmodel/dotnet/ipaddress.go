package dotnet

import (
	"net/netip"
	"strconv"
	"strings"
)

// ipAddress is a System.Net.IPAddress: 4 or 16 bytes and, for IPv6, a
// numeric scope id.
type ipAddress struct {
	addr  netip.Addr // without zone
	scope uint32
}

// parseIPv4 is IPv4AddressHelper.ParseNonCanonical as IPAddress.TryParse
// uses it (dotnet/runtime src/libraries/Common/src/System/Net/IPv4AddressHelper.Common.cs):
// one to four dotted parts, each decimal, octal (leading 0) or hex (0x);
// the last part fills the remaining bytes; the whole text must be consumed.
func parseIPv4(s string) (netip.Addr, bool) {
	var parts [4]uint64
	dots := 0
	i := 0
	atLeastOne := false
	var cur uint64
	for i < len(s) {
		cur = 0
		base := uint64(10)
		if s[i] == '0' {
			base = 8
			i++
			atLeastOne = true
			if i < len(s) && s[i]|0x20 == 'x' {
				base = 16
				i++
				atLeastOne = false
			}
		}
		for ; i < len(s); i++ {
			d, ok := digit(s[i], base)
			if !ok {
				break
			}
			cur = cur*base + d
			if cur > 0xFFFFFFFF {
				return netip.Addr{}, false
			}
			atLeastOne = true
		}
		if i < len(s) && s[i] == '.' {
			if dots >= 3 || !atLeastOne || cur > 0xFF {
				return netip.Addr{}, false
			}
			parts[dots] = cur
			dots++
			atLeastOne = false
			i++
			continue
		}
		break
	}
	if !atLeastOne || i != len(s) {
		return netip.Addr{}, false
	}
	parts[dots] = cur
	var v uint64
	switch dots {
	case 0:
		v = parts[0]
	case 1:
		if parts[1] > 0xFFFFFF {
			return netip.Addr{}, false
		}
		v = parts[0]<<24 | parts[1]
	case 2:
		if parts[2] > 0xFFFF {
			return netip.Addr{}, false
		}
		v = parts[0]<<24 | parts[1]<<16 | parts[2]
	case 3:
		if parts[3] > 0xFF {
			return netip.Addr{}, false
		}
		v = parts[0]<<24 | parts[1]<<16 | parts[2]<<8 | parts[3]
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

func digit(c byte, base uint64) (uint64, bool) {
	var d uint64
	switch {
	case c >= '0' && c <= '9':
		d = uint64(c - '0')
	case c >= 'a' && c <= 'f':
		d = uint64(c-'a') + 10
	case c >= 'A' && c <= 'F':
		d = uint64(c-'A') + 10
	default:
		return 0, false
	}
	return d, d < base
}

// parseIPAddress is IPAddress.TryParse: text without ':' is IPv4 (above);
// otherwise IPv6, optionally in brackets, with an optional %scope. The
// IPv6 grammar is Go's netip (the standard forms both accept); a numeric
// scope is kept, and an interface name — which .NET resolves through the
// host's interfaces — is not modelled and fails.
func parseIPAddress(s string) (ipAddress, bool) {
	if !strings.Contains(s, ":") {
		a, ok := parseIPv4(s)
		return ipAddress{addr: a}, ok
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return ipAddress{}, false
		}
		// IPAddress.Parse ignores what follows "]" only when it is a port.
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return ipAddress{}, false
			}
			if _, err := strconv.ParseUint(rest[1:], 10, 16); err != nil {
				return ipAddress{}, false
			}
		}
		s = s[1:end]
	}
	var scope uint32
	if i := strings.IndexByte(s, '%'); i >= 0 {
		n, err := strconv.ParseUint(s[i+1:], 10, 32)
		if err != nil {
			return ipAddress{}, false
		}
		scope = uint32(n)
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return ipAddress{}, false
	}
	return ipAddress{addr: a, scope: scope}, true
}

// parseIPEndPoint is IPEndPoint.TryParse (dotnet/runtime
// src/libraries/System.Net.Primitives/src/System/Net/IPEndPoint.cs): the
// last ':' starts a port when it follows ']' or is the only colon; the port
// is digits only, at most 65535; no port means 0.
func parseIPEndPoint(s string) (ipAddress, int, bool) {
	addrLen := len(s)
	last := strings.LastIndexByte(s, ':')
	if last > 0 {
		if s[last-1] == ']' || strings.LastIndexByte(s[:last], ':') == -1 {
			addrLen = last
		}
	}
	a, ok := parseIPAddress(s[:addrLen])
	if !ok {
		return ipAddress{}, 0, false
	}
	if addrLen == len(s) {
		return a, 0, true
	}
	p := s[addrLen+1:]
	if p == "" {
		return ipAddress{}, 0, false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return ipAddress{}, 0, false
		}
	}
	n, err := strconv.ParseUint(p, 10, 32)
	if err != nil || n > 65535 {
		return ipAddress{}, 0, false
	}
	return a, int(n), true
}

// String is IPAddress.ToString: dotted IPv4; IPv6 per RFC 5952 with
// .NET's rules for an embedded IPv4 tail (IPv6AddressHelper.ShouldHaveIpv4Embedded:
// ::a.b.c.d, ::ffff:a.b.c.d, ::ffff:0:a.b.c.d, ISATAP) and %scope when non-zero.
func (a ipAddress) String() string {
	if a.addr.Is4() {
		return a.addr.String()
	}
	b := a.addr.As16()
	var n [8]uint16
	for i := range n {
		n[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	embedded := false
	if n[0] == 0 && n[1] == 0 && n[2] == 0 && n[3] == 0 && n[6] != 0 {
		embedded = n[4] == 0 && (n[5] == 0 || n[5] == 0xFFFF) || n[4] == 0xFFFF && n[5] == 0
	}
	if !embedded {
		embedded = n[4] == 0 && n[5] == 0x5EFE
	}
	words := 8
	if embedded {
		words = 6
	}
	// Longest run of zero words, at least two, the first on a tie.
	bestStart, bestLen, run := -1, 0, 0
	for i := 0; i < words; i++ {
		if n[i] == 0 {
			run++
			if run > bestLen {
				bestLen, bestStart = run, i-run+1
			}
		} else {
			run = 0
		}
	}
	if bestLen < 2 {
		bestStart = -1
	}
	var s strings.Builder
	for i := 0; i < words; i++ {
		if i == bestStart {
			s.WriteString("::")
			i += bestLen - 1
			continue
		}
		if i > 0 && i != bestStart+bestLen {
			s.WriteByte(':')
		}
		s.WriteString(strconv.FormatUint(uint64(n[i]), 16))
	}
	if embedded {
		if bestStart == -1 || bestStart+bestLen != words {
			s.WriteByte(':')
		}
		s.WriteString(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}).String())
	}
	if a.scope != 0 {
		s.WriteString("%" + strconv.FormatUint(uint64(a.scope), 10))
	}
	return s.String()
}

// isMapped is IPAddress.IsIPv4MappedToIPv6.
func (a ipAddress) isMapped() bool { return a.addr.Is4In6() }

// equal is IPAddress.Equals: family, bytes and (IPv6) scope id.
func (a ipAddress) equal(b ipAddress) bool { return a.addr == b.addr && a.scope == b.scope }
