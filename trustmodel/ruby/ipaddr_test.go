package ruby

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/internal/vectortest"
)

// TestIPAddrRecorded replays IPAddr.new as Ruby 3.1 ran it
// (testdata/vectors/ruby/ipaddr.rb): the family, value, whether the range
// is one address, or the exception's message.
func TestIPAddrRecorded(t *testing.T) {
	type vector struct {
		S      string `json:"s"`
		OK     bool   `json:"ok"`
		V6     bool   `json:"v6"`
		Addr   string `json:"addr"`
		Single bool   `json:"single"`
		Error  string `json:"error"`
	}
	n := vectortest.Lines(t, "../../testdata/vectors/ruby/ipaddr.jsonl", func(_ int, v vector) string {
		a, err := parseIPAddr(v.S)
		switch {
		case v.OK && err != nil:
			return fmt.Sprintf("IPAddr.new(%q): Ruby parses it, got %v", v.S, err)
		case !v.OK && err == nil:
			return fmt.Sprintf("IPAddr.new(%q): Ruby raises %q, got %s v6=%v", v.S, v.Error, a.addr.String(), a.v6)
		case !v.OK && err.Error() != v.Error:
			return fmt.Sprintf("IPAddr.new(%q): message %q, Ruby %q", v.S, err.Error(), v.Error)
		case v.OK && (a.v6 != v.V6 || a.addr.String() != v.Addr || a.single() != v.Single):
			return fmt.Sprintf("IPAddr.new(%q) = v6 %v %s single %v, Ruby v6 %v %s single %v", v.S, a.v6, a.addr.String(), a.single(), v.V6, v.Addr, v.Single)
		}
		return ""
	})
	t.Logf("%d IPAddr texts", n)
}

// FuzzIPAddr checks the IPAddr transcription against Go's parser: a plain
// address IPAddr accepts is one netip accepts with the same value, and the
// parser never panics on any text.
func FuzzIPAddr(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "::ffff:1.2.3.4", "1:2:3:4:5::1.2.3.4", "[::1]/128", "fe80::1%eth0", "01.2.3.4", "1.2.3.4/255.0.255.0", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseIPAddr(s)
		if err != nil || strings.ContainsAny(s, "/[%") {
			return
		}
		n, nerr := netip.ParseAddr(s)
		if nerr != nil {
			t.Fatalf("IPAddr.new(%q) parses, netip: %v", s, nerr)
		}
		want := new(big.Int).SetBytes(n.AsSlice())
		if n.Is4() == a.v6 || want.Cmp(&a.addr) != 0 {
			t.Fatalf("IPAddr.new(%q) = %s (v6 %v), netip %s", s, a.addr.String(), a.v6, n)
		}
	})
}
