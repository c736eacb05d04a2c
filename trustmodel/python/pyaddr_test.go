package python

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/internal/vectortest"
)

// pyString is str(ip) in CPython 3.11: IPv6 compressed with lowercase
// hextets, an IPv4-mapped address in hex (::ffff:102:304), the zone after "%".
func (a pyAddr) pyString() string {
	if a.is4() {
		return a.ip.String()
	}
	if a.ip.Is4In6() {
		b := a.ip.As16()
		s := "::ffff:" + strconv.FormatUint(uint64(b[12])<<8|uint64(b[13]), 16) + ":" + strconv.FormatUint(uint64(b[14])<<8|uint64(b[15]), 16)
		if a.zone != "" {
			s += "%" + a.zone
		}
		return s
	}
	ip := a.ip
	if a.zone != "" {
		ip = ip.WithZone(a.zone)
	}
	return ip.String()
}

func (n pyNetwork) pyString() string {
	return pyAddr{ip: n.addr, zone: n.zone}.pyString() + "/" + strconv.Itoa(n.bits)
}

// TestIPAddressVectors replays what CPython 3.11's ipaddress.ip_address and
// ip_network (strict and not) return for 4000 texts
// (testdata/vectors/python/ipaddress.jsonl, gen.py --addresses).
func TestIPAddressVectors(t *testing.T) {
	type vector struct {
		Text          string  `json:"text"`
		Address       *string `json:"address"`
		NetworkStrict *string `json:"network_strict"`
		Network       *string `json:"network"`
	}
	got := func(s string, err error) string {
		if err == errHostBits {
			return "host bits"
		}
		if err != nil {
			return "<nil>"
		}
		return s
	}
	want := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	n := vectortest.Lines(t, "../../testdata/vectors/python/ipaddress.jsonl", func(_ int, v vector) string {
		a, aerr := parseIPAddress(v.Text)
		ns, nserr := parseIPNetwork(v.Text, true)
		nl, nlerr := parseIPNetwork(v.Text, false)
		var diffs []string
		for _, c := range [][3]string{
			{"ip_address", got(a.pyString(), aerr), want(v.Address)},
			{"ip_network strict", got(ns.pyString(), nserr), want(v.NetworkStrict)},
			{"ip_network", got(nl.pyString(), nlerr), want(v.Network)},
		} {
			if c[1] != c[2] {
				diffs = append(diffs, fmt.Sprintf("%s(%q) = %s, Python says %s", c[0], v.Text, c[1], c[2]))
			}
		}
		return strings.Join(diffs, "; ")
	})
	if n < 3000 {
		t.Errorf("only %d address vectors", n)
	}
}

func TestPythonAddressSemantics(t *testing.T) {
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{"127.0.0.1", true},
		{"01.2.3.4", false}, // leading zeros: refused since CPython 3.9.5
		{"1.2.3", false},
		{" 1.2.3.4", false},
		{"[::1]", false},
		{"fe80::1%eth0", true},
		{"::ffff:10.0.0.1", true},
		{"1:2:3:4:5:6:7::", true},
		{"1::2::3", false},
	} {
		_, err := parseIPAddress(c.text)
		if (err == nil) != c.ok {
			t.Errorf("ip_address(%q): ok=%v, want %v", c.text, err == nil, c.ok)
		}
	}
	mapped, _ := parseIPAddress("::ffff:10.0.0.1")
	net8, _ := parseIPNetwork("10.0.0.0/8", true)
	if net8.contains(mapped) {
		t.Error("an IPv4-mapped address must not match an IPv4 network")
	}
	zoned, _ := parseIPAddress("fe80::1%eth0")
	plain, _ := parseIPAddress("fe80::1")
	if zoned == plain {
		t.Error("fe80::1 with and without zone eth0 compare equal; Python compares the zone")
	}
	if _, err := parseIPNetwork("192.168.1.1/24", true); err != errHostBits {
		t.Errorf("strict 192.168.1.1/24: %v, want host bits set", err)
	}
	if got := pyValueError("192.168.1.1/24", errHostBits); got != "192.168.1.1/24 has host bits set" {
		t.Errorf("message %q", got)
	}
	if got := pyValueError("10.0.0.0/33", errNetwork); got != "'10.0.0.0/33' does not appear to be an IPv4 or IPv6 network" {
		t.Errorf("message %q", got)
	}
}

// FuzzPythonIPAddress checks the ipaddress model against itself and Go's
// parser: no panic; an accepted address prints back to an address that
// parses to the same value; an accepted IPv4 text is one Go accepts too;
// a strict network's address has no host bits.
func FuzzPythonIPAddress(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "::ffff:1.2.3.4", "fe80::1%eth0", "1::", "::", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "1:2:3:4:5:6:1.2.3.4", "::/0", "1.2.3.4/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseIPAddress(s)
		if err == nil {
			back, err := parseIPAddress(a.pyString())
			if err != nil || back != a {
				t.Fatalf("%q -> %q -> %v %v", s, a.pyString(), back, err)
			}
			if a.is4() {
				g, gerr := netip.ParseAddr(s)
				if gerr != nil || g != a.ip {
					t.Fatalf("IPv4 %q accepted, Go says %v %v", s, g, gerr)
				}
			}
		}
		n, err := parseIPNetwork(s, true)
		if err == nil && netip.PrefixFrom(n.addr, n.bits).Masked().Addr() != n.addr {
			t.Fatalf("strict network %q has host bits: %s", s, n.pyString())
		}
		_ = fmt.Sprint(pyRepr(s))
	})
}
