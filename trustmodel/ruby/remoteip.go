package ruby

import (
	"errors"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// errIPSpoof is ActionDispatch::RemoteIp::IpSpoofAttackError.
var errIPSpoof = errors.New("IpSpoofAttackError")

// errNoMethod is Ruby's NoMethodError: Rails' host on an X-Forwarded-Host
// that splits into nothing (",") calls nil.sub.
var errNoMethod = errors.New("NoMethodError")

// matcher is one entry of RemoteIp's proxies, compared as `proxy === ip`.
type matcher struct {
	kind  int // matchIPAddr, matchString, matchRegexp
	ip    *ipAddr
	str   string
	re    *regexp.Regexp
	shown string // as written
}

const (
	matchIPAddr = iota
	matchString
	matchRegexp
)

// matches is `proxy === ip` for a sanitised entry (ok false: Ruby's nil,
// a missing REMOTE_ADDR). IPAddr#=== parses the string (same family and
// range inside); String#=== is equality; Regexp#=== searches.
func (m *matcher) matches(ip string, ok bool) bool {
	switch m.kind {
	case matchString:
		return ok && m.str == ip
	case matchRegexp:
		return ok && m.re.MatchString(ip)
	}
	if !ok {
		// coerce_other(nil) is IPAddr.new(0, family): the zero address.
		zero := &ipAddr{v6: m.ip.v6}
		zero.mask.Set(zero.full())
		return m.ip.includes(zero)
	}
	other, err := parseIPAddr(ip)
	return err == nil && m.ip.includes(other)
}

// isRubySpace is Ruby's \s: [ \t\r\n\f\v].
func isRubySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

// rubyStrip is String#strip: whitespace at both ends, and NULs at the end.
func rubyStrip(s string) string {
	for len(s) > 0 && (isRubySpace(s[0])) {
		s = s[1:]
	}
	for len(s) > 0 && (isRubySpace(s[len(s)-1]) || s[len(s)-1] == 0) {
		s = s[:len(s)-1]
	}
	return s
}

// splitRuby is String#split(re) for a separator class: fields between runs
// of separator bytes, a leading empty field kept, trailing ones dropped.
func splitRuby(s string, sep func(byte) bool) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		if !sep(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && sep(s[j]) {
			j++
		}
		out = append(out, s[start:i])
		start, i = j, j
	}
	out = append(out, s[start:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// ipsFrom is GetIp#ips_from: header.strip.split(/[,\s]+/), keeping the
// entries IPAddr parses as a single address (verbatim: "[::1]", "1.2.3.4/32").
func ipsFrom(header string, present bool) []string {
	if !present {
		return nil
	}
	var out []string
	for _, f := range splitRuby(rubyStrip(header), func(c byte) bool { return c == ',' || isRubySpace(c) }) {
		if a, err := parseIPAddr(f); err == nil && a.single() {
			out = append(out, f)
		}
	}
	return out
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// isBlank is ActiveSupport's String#blank?: /\A[[:space:]]*\z/.
func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && r != utf8.RuneError {
			return false
		}
	}
	return true
}

// splitForwardedHost is x_forwarded_host.split(/,\s?/): a comma and at most
// one whitespace character separate; trailing empty fields are dropped.
func splitForwardedHost(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ',' {
			continue
		}
		out = append(out, s[start:i])
		j := i + 1
		if j < len(s) && isRubySpace(s[j]) {
			j++
		}
		start = j
		i = j - 1
	}
	out = append(out, s[start:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// cutPortSuffix is .sub(/:\d+$/, ""), and the port digits it removed.
func cutPortSuffix(s string) (host, port string, ok bool) {
	// "$" is the end of a line: the first ":digits" followed by "\n" or the end.
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j > i+1 && (j == len(s) || s[j] == '\n') {
			return s[:i] + s[j:], s[i+1 : j], true
		}
	}
	return s, "", false
}

func stringsTrimZeros(d string) string {
	t := strings.TrimLeft(d, "0")
	if t == "" {
		return "0"
	}
	return t
}
