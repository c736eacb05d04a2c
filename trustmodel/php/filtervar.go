// Package php models PHP apps: Symfony HttpFoundation's Request (symfony)
// and Laravel's TrustProxies middleware on top of it (laravel), beside PHP's
// own address parsing (filter_var, ip2long, IpUtils) and numeric strings.
package php

import "strings"

// Flags of filter_var(FILTER_VALIDATE_IP): which families are acceptable.
const (
	flagIPv4 = 1 << iota
	flagIPv6
	anyFamily = flagIPv4 | flagIPv6
)

// filterValidateIP is PHP 8.2's filter_var($s, FILTER_VALIDATE_IP, flags)
// (ext/filter/logical_filters.c php_filter_validate_ip): a ":" anywhere makes
// it an IPv6 candidate, else a "." an IPv4 one; no trimming, no zone ids, no
// brackets, no leading zeros in IPv4 octets.
func filterValidateIP(s string, flags int) bool {
	switch {
	case strings.IndexByte(s, ':') >= 0:
		return flags&flagIPv6 != 0 && validIPv6(s)
	case strings.IndexByte(s, '.') >= 0:
		return flags&flagIPv4 != 0 && validIPv4(s)
	}
	return false
}

// validIPv4 is _php_filter_validate_ipv4: four decimal octets of one to
// three digits, each at most 255, "0" the only octet that starts with 0.
func validIPv4(s string) bool {
	_, ok := parseIPv4(s)
	return ok
}

func parseIPv4(s string) (out [4]byte, ok bool) {
	i, n := 0, 0
	for i < len(s) {
		if s[i] < '0' || s[i] > '9' {
			return out, false
		}
		leadingZero := s[i] == '0'
		num, m := int(s[i]-'0'), 1
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			num = num*10 + int(s[i]-'0')
			i++
			m++
			if num > 255 || m > 3 {
				return out, false
			}
		}
		if leadingZero && (num != 0 || m > 1) {
			return out, false
		}
		out[n] = byte(num)
		n++
		if n == 4 {
			return out, i == len(s)
		}
		if i >= len(s) || s[i] != '.' {
			return out, false
		}
		i++
	}
	return out, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validIPv6 is _php_filter_validate_ipv6 (PHP 8.2), transcribed: an embedded
// IPv4 tail counts as two blocks, "::" as one, at most eight in all.
func validIPv6(s string) bool {
	_, ok := parseIPv6(s)
	return ok
}

// parseIPv6 validates like PHP and returns the 16 bytes inet_pton gives.
func parseIPv6(str string) (out [16]byte, ok bool) {
	if strings.IndexByte(str, ':') < 0 {
		return out, false
	}
	end := len(str)
	blocks := 0
	var v4 [4]byte
	hasV4 := false
	if dot := strings.IndexByte(str, '.'); dot >= 0 {
		start := dot
		for start > 0 && str[start-1] != ':' {
			start--
		}
		var good bool
		if v4, good = parseIPv4(str[start:]); !good {
			return out, false
		}
		end = start
		if end < 2 {
			return out, false
		}
		if str[start-2] != ':' {
			end-- // the ":" before the IPv4 part, unless it is half of "::"
		}
		blocks = 2
		hasV4 = true
	}
	var groups []uint16
	compressed := -1
	i := 0
	for i < end {
		if str[i] == ':' {
			i++
			if i >= end {
				return out, false
			}
			if str[i] == ':' {
				if compressed >= 0 {
					return out, false
				}
				compressed = len(groups)
				blocks++
				i++
				if i == end {
					if blocks > 8 {
						return out, false
					}
					return assemble(groups, compressed, hasV4, v4), blocks <= 8
				}
			} else if i-1 == 0 {
				return out, false
			}
		}
		num, n := 0, 0
		for i < end && isHex(str[i]) {
			num = num*16 + hexVal(str[i])
			n++
			i++
		}
		if n < 1 || n > 4 {
			return out, false
		}
		groups = append(groups, uint16(num))
		blocks++
		if blocks > 8 {
			return out, false
		}
	}
	if !(compressed >= 0 && blocks <= 8 || blocks == 8) {
		return out, false
	}
	return assemble(groups, compressed, hasV4, v4), true
}

func hexVal(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// assemble lays out the groups around the "::" gap, the IPv4 tail last.
func assemble(groups []uint16, compressed int, hasV4 bool, v4 [4]byte) (out [16]byte) {
	total := 8
	if hasV4 {
		total = 6
	}
	full := make([]uint16, total)
	if compressed < 0 {
		copy(full, groups)
	} else {
		copy(full, groups[:compressed])
		tail := groups[compressed:]
		copy(full[total-len(tail):], tail)
	}
	for i, g := range full {
		out[2*i], out[2*i+1] = byte(g>>8), byte(g)
	}
	if hasV4 {
		copy(out[12:], v4[:])
	}
	return out
}
