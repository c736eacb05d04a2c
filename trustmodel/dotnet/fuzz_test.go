package dotnet

import "testing"

func FuzzParseIPEndPoint(f *testing.F) {
	for _, s := range []string{"1.2.3.4:80", "[::1]:443", "0x7f.1", "::ffff:1.2.3.4", "fe80::1%3", "08.1", "[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, port, ok := parseIPEndPoint(s)
		if !ok {
			return
		}
		if port < 0 || port > 65535 {
			t.Fatalf("port %d", port)
		}
		// What IPAddress.ToString writes, IPAddress.Parse reads back.
		b, ok := parseIPAddress(a.String())
		if !ok || !b.equal(a) {
			t.Fatalf("%q: %q does not parse back", s, a.String())
		}
	})
}
