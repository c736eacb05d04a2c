package nginxconf

// Ports of nginx's address primitives (src/core/ngx_inet.c, read at
// release-1.28.0 and the 1.31 development branch; the same logic is in
// 1.22.1): ngx_inet_addr, ngx_inet6_addr, ngx_parse_addr,
// ngx_parse_addr_port, ngx_ptocidr, ngx_cidr_match, ngx_inet6_ntop and
// ngx_atoi. They are kept byte-for-byte faithful because realip's outcome on
// odd input (empty octets, "[v6]", mapped addresses) depends on them.

import (
	"strconv"
	"strings"
)

const (
	afInet  = 4
	afInet6 = 6
	afUnix  = 1
)

// sockaddr is an address as nginx holds it: family, 16 address bytes (IPv4
// in the first 4) and a port (0 = none).
type sockaddr struct {
	family int
	ip     [16]byte
	port   int
	path   string // AF_UNIX
}

// ngxAtoi is ngx_atoi: decimal digits only, no sign, -1 on error or overflow.
func ngxAtoi(b string) int {
	if len(b) == 0 {
		return -1
	}
	const maxInt = int(^uint(0) >> 1)
	cutoff, cutlim := maxInt/10, maxInt%10
	v := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return -1
		}
		d := int(c - '0')
		if v >= cutoff && (v > cutoff || d > cutlim) {
			return -1
		}
		v = v*10 + d
	}
	return v
}

// inetAddr is ngx_inet_addr: exactly three dots, decimal octets <= 255
// (leading zeros are decimal), and an empty octet counts as 0.
func inetAddr(b string) (uint32, bool) {
	var addr, octet uint32
	n := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			octet = octet*10 + uint32(c-'0')
			if octet > 255 {
				return 0, false
			}
			continue
		}
		if c == '.' {
			addr = addr<<8 + octet
			octet = 0
			n++
			continue
		}
		return 0, false
	}
	if n == 3 {
		return addr<<8 + octet, true
	}
	return 0, false
}

// inet6Addr is ngx_inet6_addr (including its quirks: one leading ':' is
// skipped, "1:2:3:4:5:6:7::" is refused, no zone ids).
func inet6Addr(p string) ([16]byte, bool) {
	var addr [16]byte
	if len(p) == 0 {
		return addr, false
	}
	zero := -1  // index in addr where "::" was seen
	digit := -1 // index in p of the group after the last ':'
	len4 := 0
	nibbles := 0
	word := 0
	n := 8
	a := 0 // write index into addr
	i := 0
	ln := len(p)
	if p[0] == ':' {
		i++
		ln--
	}
	for ; ln > 0; ln-- {
		c := p[i]
		i++
		if c == ':' {
			if nibbles > 0 {
				digit = i
				len4 = ln
				addr[a] = byte(word >> 8)
				addr[a+1] = byte(word)
				a += 2
				n--
				if n > 0 {
					nibbles = 0
					word = 0
					continue
				}
			} else if zero < 0 {
				digit = i
				len4 = ln
				zero = a
				continue
			}
			return addr, false
		}
		if c == '.' && nibbles > 0 {
			if n < 2 || digit < 0 {
				return addr, false
			}
			end := digit + len4 - 1
			if end > len(p) {
				end = len(p)
			}
			v4, ok := inetAddr(p[digit:end])
			if !ok {
				return addr, false
			}
			word = int(v4)
			addr[a] = byte(word >> 24)
			addr[a+1] = byte(word >> 16)
			a += 2
			n--
			break
		}
		nibbles++
		if nibbles > 4 {
			return addr, false
		}
		switch {
		case c >= '0' && c <= '9':
			word = word*16 + int(c-'0')
			continue
		}
		c |= 0x20
		if c >= 'a' && c <= 'f' {
			word = word*16 + int(c-'a') + 10
			continue
		}
		return addr, false
	}
	if nibbles == 0 && zero < 0 {
		return addr, false
	}
	if a+2 > 16 {
		return addr, false
	}
	addr[a] = byte(word >> 8)
	addr[a+1] = byte(word)
	a += 2
	n--
	if n > 0 {
		if zero >= 0 {
			shift := n * 2
			for s := a - 1; s >= zero; s-- {
				addr[s+shift] = addr[s]
			}
			for k := zero; k < zero+shift; k++ {
				addr[k] = 0
			}
			return addr, true
		}
	} else if zero < 0 {
		return addr, true
	}
	return addr, false
}

// parseAddr is ngx_parse_addr: an IPv4 or IPv6 address, no port.
func parseAddr(b string) (sockaddr, bool) {
	if v4, ok := inetAddr(b); ok {
		var sa sockaddr
		sa.family = afInet
		sa.ip[0], sa.ip[1], sa.ip[2], sa.ip[3] = byte(v4>>24), byte(v4>>16), byte(v4>>8), byte(v4)
		return sa, true
	}
	if v6, ok := inet6Addr(b); ok {
		return sockaddr{family: afInet6, ip: v6}, true
	}
	return sockaddr{}, false
}

// parseAddrPort is ngx_parse_addr_port: an address, "ipv4:port" (the first
// ':' splits), "[v6]:port", and from 1.27.3 "[v6]" without a port.
func parseAddrPort(text string, bracketNoPort bool) (sockaddr, bool) {
	if sa, ok := parseAddr(text); ok {
		return sa, true
	}
	var host, portText string
	if len(text) > 0 && text[0] == '[' {
		end := strings.IndexByte(text, ']')
		if end < 0 {
			return sockaddr{}, false
		}
		if end == len(text)-1 {
			if !bracketNoPort {
				return sockaddr{}, false
			}
			return parseAddr(text[1:end])
		}
		if text[end+1] != ':' {
			return sockaddr{}, false
		}
		host, portText = text[1:end], text[end+2:]
	} else {
		c := strings.IndexByte(text, ':')
		if c < 0 {
			return sockaddr{}, false
		}
		host, portText = text[:c], text[c+1:]
	}
	port := ngxAtoi(portText)
	if port < 1 || port > 65535 {
		return sockaddr{}, false
	}
	sa, ok := parseAddr(host)
	if !ok {
		return sockaddr{}, false
	}
	sa.port = port
	return sa, true
}

// parsePeer reads the peer address as a Request reports it: an address
// (optionally with a port), or "unix:..." for a UNIX-socket client.
func parsePeer(s string) (sockaddr, bool) {
	if strings.HasPrefix(s, "unix:") {
		return sockaddr{family: afUnix, path: s[len("unix:"):]}, true
	}
	if sa, ok := parseAddrPort(s, true); ok {
		return sa, true
	}
	return sockaddr{}, false
}

// cidr is ngx_cidr_t.
type cidr struct {
	family int
	addr   [16]byte
	mask   [16]byte
}

type cidrResult int

const (
	cidrOK cidrResult = iota
	cidrDone
	cidrError
)

// ptocidr is ngx_ptocidr: "addr" (full mask) or "addr/bits"; host bits set
// after the mask give cidrDone (nginx warns "low address bits ... are
// meaningless") and are cleared.
func ptocidr(text string) (cidr, cidrResult) {
	var c cidr
	addrText, maskText, hasMask := strings.Cut(text, "/")
	if v4, ok := inetAddr(addrText); ok {
		c.family = afInet
		c.addr[0], c.addr[1], c.addr[2], c.addr[3] = byte(v4>>24), byte(v4>>16), byte(v4>>8), byte(v4)
		if !hasMask {
			c.mask[0], c.mask[1], c.mask[2], c.mask[3] = 0xff, 0xff, 0xff, 0xff
			return c, cidrOK
		}
	} else if v6, ok := inet6Addr(addrText); ok {
		c.family = afInet6
		c.addr = v6
		if !hasMask {
			for i := range c.mask {
				c.mask[i] = 0xff
			}
			return c, cidrOK
		}
	} else {
		return c, cidrError
	}
	shift := ngxAtoi(maskText)
	if shift < 0 {
		return c, cidrError
	}
	size := 4
	if c.family == afInet6 {
		size = 16
	}
	if shift > size*8 {
		return c, cidrError
	}
	rc := cidrOK
	for i := 0; i < size; i++ {
		s := shift
		if s > 8 {
			s = 8
		}
		shift -= s
		c.mask[i] = byte(0xff << (8 - s))
		if c.addr[i] != c.addr[i]&c.mask[i] {
			rc = cidrDone
			c.addr[i] &= c.mask[i]
		}
	}
	return c, rc
}

// cidrMatch is ngx_cidr_match: an IPv4-mapped IPv6 address is matched as
// IPv4; a UNIX-socket address matches a "unix:" entry.
func cidrMatch(sa sockaddr, list []cidr) bool {
	family := sa.family
	ip := sa.ip
	if family == afInet6 && isV4Mapped(ip) {
		family = afInet
		ip = [16]byte{ip[12], ip[13], ip[14], ip[15]}
	}
	for _, c := range list {
		if c.family != family {
			continue
		}
		switch family {
		case afUnix:
			return true
		case afInet6:
			ok := true
			for n := 0; n < 16; n++ {
				if ip[n]&c.mask[n] != c.addr[n] {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		default:
			ok := true
			for n := 0; n < 4; n++ {
				if ip[n]&c.mask[n] != c.addr[n] {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

func isV4Mapped(ip [16]byte) bool {
	for i := 0; i < 10; i++ {
		if ip[i] != 0 {
			return false
		}
	}
	return ip[10] == 0xff && ip[11] == 0xff
}

// ntop is ngx_sock_ntop without the port: the text nginx puts in
// $remote_addr.
func (sa sockaddr) ntop() string {
	switch sa.family {
	case afInet:
		return strconv.Itoa(int(sa.ip[0])) + "." + strconv.Itoa(int(sa.ip[1])) + "." +
			strconv.Itoa(int(sa.ip[2])) + "." + strconv.Itoa(int(sa.ip[3]))
	case afInet6:
		return inet6Ntop(sa.ip)
	case afUnix:
		return "unix:" + sa.path
	}
	return ""
}

// inet6Ntop is ngx_inet6_ntop: the first longest run of two or more zero
// words becomes "::"; ::ffff:a.b.c.d and ::a.b.c.d keep the dotted tail.
func inet6Ntop(p [16]byte) string {
	zero, last := -1, -1
	max, n := 1, 0
	for i := 0; i < 16; i += 2 {
		if p[i] != 0 || p[i+1] != 0 {
			if max < n {
				zero = last
				max = n
			}
			n = 0
			continue
		}
		if n == 0 {
			last = i
		}
		n++
	}
	if max < n {
		zero = last
		max = n
	}
	var b strings.Builder
	end := 16
	if zero == 0 {
		if (max == 5 && p[10] == 0xff && p[11] == 0xff) || max == 6 || (max == 7 && p[14] != 0 && p[15] != 1) {
			end = 12
		}
		b.WriteByte(':')
	}
	for i := 0; i < end; i += 2 {
		if i == zero {
			b.WriteByte(':')
			i += (max - 1) * 2
			continue
		}
		b.WriteString(strconv.FormatUint(uint64(p[i])*256+uint64(p[i+1]), 16))
		if i < 14 {
			b.WriteByte(':')
		}
	}
	if end == 12 {
		b.WriteString(strconv.Itoa(int(p[12])) + "." + strconv.Itoa(int(p[13])) + "." +
			strconv.Itoa(int(p[14])) + "." + strconv.Itoa(int(p[15])))
	}
	return b.String()
}
