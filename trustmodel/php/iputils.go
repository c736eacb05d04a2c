package php

import (
	"errors"
	"math"
	"strings"
)

// errTypeError is PHP's TypeError from IpUtils on a malformed trusted entry:
// substr_compare() refuses a netmask like "1x" as its length, and a null
// entry (Laravel's REMOTE_ADDR without a peer) is not a string.
var errTypeError = errors.New("TypeError")

// proxy is one trusted entry as Request::$trustedProxies holds it; null is
// PHP's null (Laravel puts the missing REMOTE_ADDR there).
type proxy struct {
	text string
	null bool
}

// checkIP is IpUtils::checkIp (symfony/http-foundation 5.4.53 and 7.2
// IpUtils.php): IPv6 rules when the request address has more than one ":".
func checkIP(requestIP string, proxies []proxy) (bool, error) {
	v6 := strings.Count(requestIP, ":") > 1
	for _, p := range proxies {
		if p.null {
			return false, errTypeError
		}
		var ok bool
		var err error
		if v6 {
			ok, err = checkIP6(requestIP, p.text)
		} else {
			ok, err = checkIP4(requestIP, p.text)
		}
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// checkIP4 is IpUtils::checkIp4. The netmask is the text after the first
// "/", compared with 0 and 32 by PHP 8's rules and then passed to
// substr_compare as a length, which takes numeric strings only.
func checkIP4(requestIP, entry string) (bool, error) {
	req, ok := parseIPv4(requestIP)
	if !ok || strings.IndexByte(requestIP, ':') >= 0 {
		return false, nil
	}
	address, netmask, hasMask := strings.Cut(entry, "/")
	bits := 32
	if hasMask {
		if netmask == "0" {
			return filterValidateIP(address, flagIPv4), nil
		}
		if compareIntString(0, netmask) > 0 || compareIntString(32, netmask) < 0 {
			return false, nil
		}
		v, kind := phpNumber(netmask)
		if kind != numeric {
			// ip2long($address) runs first: an invalid address returns false.
			if _, ok := parseIPv4(address); !ok {
				return false, nil
			}
			return false, errTypeError
		}
		bits = int(v)
	} else {
		address = entry
	}
	addr, ok := parseIPv4(address)
	if !ok {
		return false, nil
	}
	return prefixEqual(req[:], addr[:], bits), nil
}

// checkIP6 is IpUtils::checkIp6: the entry's address must be valid IPv6;
// "/0" matches every IPv6 request address; other netmasks are compared with
// 1 and 128 as strings or numbers, then used as a number (its leading part).
func checkIP6(requestIP, entry string) (bool, error) {
	req, ok := parseIPv6(requestIP)
	if !ok {
		return false, nil
	}
	address, netmask, hasMask := strings.Cut(entry, "/")
	bits := 128.0
	if hasMask {
		if !validIPv6(address) {
			return false, nil
		}
		if netmask == "0" {
			return true, nil
		}
		if compareIntString(1, netmask) > 0 || compareIntString(128, netmask) < 0 {
			return false, nil
		}
		v, kind := phpNumber(netmask)
		if kind == notNumeric {
			return false, errTypeError
		}
		bits = v
	} else {
		address = entry
	}
	addr, ok := parseIPv6(address)
	if !ok {
		return false, nil
	}
	// for ($i = 1, $ceil = ceil($netmask / 16); $i <= $ceil; ++$i): each
	// 16-bit group is masked by the (truncated) bits left in it.
	for i := 1; float64(i) <= math.Ceil(bits/16); i++ {
		left := bits - 16*float64(i-1)
		if left > 16 {
			left = 16
		}
		mask := ^(0xFFFF >> uint(int(left))) & 0xFFFF
		a := int(addr[2*i-2])<<8 | int(addr[2*i-1])
		b := int(req[2*i-2])<<8 | int(req[2*i-1])
		if a&mask != b&mask {
			return false, nil
		}
	}
	return true, nil
}

// prefixEqual compares the first bits bits of a and b.
func prefixEqual(a, b []byte, bits int) bool {
	for i := 0; i < bits; i++ {
		if (a[i/8]>>(7-i%8))&1 != (b[i/8]>>(7-i%8))&1 {
			return false
		}
	}
	return true
}
