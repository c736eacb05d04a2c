package jvm

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

const octetRegex = `(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`

// proxyRegex is a Java regex matching exactly the text forms an address or
// range arrives in: the peer as InetAddress writes it and, for IPv6, the
// compressed form a proxy writes into X-Forwarded-For. IPv6 ranges must
// end on a hextet boundary.
func proxyRegex(proxy string) (string, bool) {
	if a, err := netip.ParseAddr(proxy); err == nil {
		a = a.Unmap().WithZone("")
		if a.Is4() {
			return regexp.QuoteMeta(a.String()), true
		}
		java, short := hostAddress(a.String()), a.String()
		if java == short {
			return java, true
		}
		return java + "|" + short, true
	}
	p, err := netip.ParsePrefix(proxy)
	if err != nil {
		return "", false
	}
	p = p.Masked()
	if p.Addr().Is4() {
		b := p.Addr().As4()
		var parts []string
		bits := p.Bits()
		for i := 0; i < 4; i++ {
			switch {
			case bits >= 8:
				parts = append(parts, strconv.Itoa(int(b[i])))
			case bits <= 0:
				parts = append(parts, octetRegex)
			default:
				n := 1 << (8 - bits)
				alts := make([]string, n)
				for j := 0; j < n; j++ {
					alts[j] = strconv.Itoa(int(b[i]) + j)
				}
				parts = append(parts, "(?:"+strings.Join(alts, "|")+")")
			}
			bits -= 8
		}
		return strings.Join(parts, `\.`), true
	}
	if p.Bits()%16 != 0 {
		return "", false
	}
	b := p.Addr().As16()
	fixed := p.Bits() / 16
	var parts []string
	for i := 0; i < fixed; i++ {
		parts = append(parts, strconv.FormatUint(uint64(b[2*i])<<8|uint64(b[2*i+1]), 16))
	}
	re := strings.Join(parts, ":")
	switch {
	case fixed == 8:
	case fixed == 0:
		re = `[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}`
	default:
		re += `(?::[0-9a-f]{1,4}){` + strconv.Itoa(8-fixed) + `}`
	}
	return re, true
}
