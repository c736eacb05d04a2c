package jvm

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
)

// latin1 is a header value as Tomcat decodes it: every byte one char
// (ISO-8859-1), so a UTF-8 sequence becomes several Latin-1 characters.
func latin1(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// hostAddress is the peer as Tomcat's endpoint reports it:
// InetAddress.getHostAddress() of the socket address — dotted IPv4 (an
// IPv4-mapped address is an Inet4Address in Java), IPv6 as eight hextets
// without zero compression or leading zeros. A peer that is not an address
// (a unix socket's name) is kept as text.
func hostAddress(peer string) string {
	a, err := netip.ParseAddr(peer)
	if err != nil {
		return peer
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	b := a.As16()
	var s strings.Builder
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			s.WriteByte(':')
		}
		s.WriteString(strconv.FormatUint(uint64(b[i])<<8|uint64(b[i+1]), 16))
	}
	if z := a.Zone(); z != "" {
		s.WriteString("%" + z)
	}
	return s.String()
}

// javaTrim is String.trim(): every char up to U+0020 goes.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// splitCommaSeparated is Tomcat's StringUtils.splitCommaSeparated:
// String.split(",") — which drops trailing empty strings before anything
// is trimmed — then String.trim() of each part.
func splitCommaSeparated(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	for i := range parts {
		parts[i] = javaTrim(parts[i])
	}
	return parts
}

// equalsIgnoreCase is String.equalsIgnoreCase: char by char, equal after
// toUpperCase or after toLowerCase.
func equalsIgnoreCase(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		if x == y {
			continue
		}
		ux, uy := unicode.ToUpper(x), unicode.ToUpper(y)
		if ux == uy || unicode.ToLower(ux) == unicode.ToLower(uy) {
			continue
		}
		return false
	}
	return true
}

// parseInt is Integer.parseInt(s, 10): an optional sign, ASCII digits (the
// only decimal digits a Latin-1 header value can hold), within int32.
func parseInt(s string) (int, bool) {
	body := s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	if body == "" {
		return 0, false
	}
	for i := 0; i < len(body); i++ {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// parseHost is Tomcat's org.apache.tomcat.util.http.parser.Host.parse:
// the index of the ':' before the port, -1 without one; ok is false where
// it throws IllegalArgumentException (HttpParser.readHostIPv4,
// readHostIPv6, readHostDomainName, validatePort, Tomcat 10.1.60).
func parseHost(s string) (colon int, ok bool) {
	if s == "" {
		return 0, false
	}
	switch c := s[0]; {
	case isAlpha(c):
		return readHostDomainName(s)
	case isDigit(c):
		return readHostIPv4(s)
	case c == '[':
		return readHostIPv6(s)
	}
	return 0, false
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// validatePort: after the colon, optional SP/HT, digits that fit an int,
// then the end.
func validatePort(s string, colon int) (int, bool) {
	i := colon + 1
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j > i {
		if _, err := strconv.ParseInt(s[i:j], 10, 32); err != nil {
			return 0, false // NumberFormatException is an IllegalArgumentException
		}
	}
	if j != len(s) {
		return 0, false
	}
	return colon, true
}

func readHostIPv4(s string) (int, bool) {
	octet, count := -1, 1
	pos := 0
	for ; ; pos++ {
		if pos == len(s) {
			pos = -1
			break
		}
		c := s[pos]
		switch {
		case c == '.':
			if octet > -1 && octet < 256 {
				count++
				octet = -1
			} else if octet == -1 {
				return 0, false
			} else {
				return readHostDomainName(s)
			}
		case isDigit(c):
			if octet == -1 {
				octet = int(c - '0')
			} else if octet == 0 {
				return readHostDomainName(s)
			} else {
				octet = octet*10 + int(c-'0')
				if octet > 255 {
					goto done
				}
			}
		case c == ':':
			goto done
		case c == ']':
			return 0, false
		case isAlpha(c) || c == '-':
			return readHostDomainName(s)
		default:
			return 0, false
		}
	}
done:
	if count != 4 || octet < 0 || octet > 255 {
		return readHostDomainName(s)
	}
	if pos == -1 {
		return -1, true
	}
	return validatePort(s, pos)
}

// readHostIPv4InV6 is readHostIPv4(reader, true) from offset start: the
// characters read up to and including ']'.
func readHostIPv4InV6(s string, start int) (int, bool) {
	octet, count := -1, 1
	pos := 0
	for i := start; ; i++ {
		if i == len(s) {
			return 0, false // no closing bracket
		}
		c := s[i]
		switch {
		case c == '.':
			if octet > -1 && octet < 256 {
				count++
				octet = -1
			} else {
				return 0, false
			}
		case isDigit(c):
			if octet == -1 {
				octet = int(c - '0')
			} else if octet == 0 {
				return 0, false
			} else {
				octet = octet*10 + int(c-'0')
				if octet > 255 {
					return 0, false // break, then octet > 255
				}
			}
		case c == ':':
			return 0, false // break, then octetCount/octet decide; ':' means count < 4 or a bad tail
		case c == ']':
			pos++
			if count != 4 || octet < 0 || octet > 255 {
				return 0, false
			}
			return pos, true
		default:
			return 0, false
		}
		pos++
	}
}

func readHostIPv6(s string) (int, bool) {
	h16Count, h16Size, pos, colons := 0, 0, 1, 0
	double := false
	mark := 1 // the reader's mark: just after the last ':' read
	i := 1
	for ; ; i++ {
		c := -1
		if i < len(s) {
			c = int(s[i])
		}
		if h16Count == 0 && colons == 1 && c != ':' {
			return 0, false
		}
		switch {
		case c >= 0 && isHex(byte(c)):
			if h16Size == 0 {
				colons = 0
				h16Count++
			}
			h16Size++
			if h16Size > 4 {
				return 0, false
			}
		case c == ':':
			if colons >= 2 {
				return 0, false
			}
			if colons == 1 {
				if double {
					return 0, false
				}
				double = true
				h16Count++
			}
			colons++
			mark = i + 1
			h16Size = 0
		case c == ']':
			if colons == 1 {
				return 0, false
			}
			pos++
			goto closed
		case c == '.':
			if h16Count == 7 || h16Count < 7 && double {
				pos -= h16Size
				n, ok := readHostIPv4InV6(s, mark)
				if !ok {
					return 0, false
				}
				pos += n
				h16Count++
				i = mark + n - 1
				goto closed
			}
			return 0, false
		default:
			return 0, false
		}
		pos++
	}
closed:
	if h16Count > 8 || h16Count != 8 && !double {
		return 0, false
	}
	i++
	if i >= len(s) {
		return -1, true
	}
	if s[i] == ':' {
		return validatePort(s, pos)
	}
	return 0, false
}

func readHostDomainName(s string) (int, bool) {
	const (
		stNew = iota
		stAlpha
		stNumeric
		stPeriod
		stHyphen
	)
	allowsEnd := [...]bool{false, true, true, true, false}
	allowsPeriod := [...]bool{false, true, true, false, false}
	allowsHyphen := [...]bool{false, true, true, false, true}
	state := stNew
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c):
			state = stAlpha
		case isDigit(c):
			state = stNumeric
		case c == '.':
			if !allowsPeriod[state] {
				return 0, false
			}
			state = stPeriod
		case c == ':':
			if !allowsEnd[state] {
				return 0, false
			}
			return validatePort(s, i)
		case c == '-':
			if !allowsHyphen[state] {
				return 0, false
			}
			state = stHyphen
		default:
			return 0, false
		}
	}
	if !allowsEnd[state] {
		return 0, false
	}
	return -1, true
}
