package dotnet

import (
	"strconv"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func TestIPAddressText(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1": "127.0.0.1", "127.1": "127.0.0.1", "0x7f000001": "127.0.0.1", "010.0.0.1": "8.0.0.1",
		"1.2.65535": "1.2.255.255", "::1": "::1", "::ffff:127.0.0.1": "::ffff:127.0.0.1", "::ffff:0:1.2.3.4": "::ffff:0:1.2.3.4",
		"::102:304": "::1.2.3.4", "2001:DB8:0:0:1:0:0:1": "2001:db8::1:0:0:1", "1:0:1:1:1:1:1:1": "1:0:1:1:1:1:1:1",
		"fe80::1%3": "fe80::1%3", "[::1]": "::1", "::": "::", "::ffff:0:1": "::ffff:0:1", "fe80::5efe:1.2.3.4": "fe80::5efe:1.2.3.4",
	} {
		a, ok := parseIPAddress(in)
		if !ok {
			t.Errorf("parseIPAddress(%q) failed", in)
			continue
		}
		if got := a.String(); got != want {
			t.Errorf("IPAddress.Parse(%q).ToString() = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "1.2.3.4.5", "08.1.1.1", "1..1", "1.2.3.", "0x", "256.1.1.1", "1.2.3.256", "1.16777216", "a.b.c.d", "fe80::1%eth0", " 1.2.3.4", "::1]"} {
		if _, ok := parseIPAddress(bad); ok {
			t.Errorf("parseIPAddress(%q) succeeded", bad)
		}
	}
}

func TestIPEndPoint(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3.4:80": "1.2.3.4 80", "[::1]:443": "::1 443", "::1": "::1 0", "2001:db8::1": "2001:db8::1 0",
		"1.2.3.4": "1.2.3.4 0", "[::1]": "::1 0",
	} {
		a, port, ok := parseIPEndPoint(in)
		if !ok {
			t.Errorf("IPEndPoint.TryParse(%q) failed", in)
			continue
		}
		if got := a.String() + " " + strconv.Itoa(port); got != want {
			t.Errorf("IPEndPoint.TryParse(%q) = %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:+1", "unknown", "[::1]:x"} {
		if _, _, ok := parseIPEndPoint(bad); ok {
			t.Errorf("IPEndPoint.TryParse(%q) succeeded", bad)
		}
	}
}

func evalIP(t *testing.T, app trustmodel.App, peer string, xff string) string {
	t.Helper()
	e, err := New(app)
	if err != nil {
		t.Fatal(err)
	}
	r := e.Evaluate(trustmodel.Request{Peer: peer, Headers: trustmodel.Header{{Name: "Host", Value: "a.example"}, {Name: "X-Forwarded-For", Value: xff}}})
	return *r.IP
}

func TestAdvise(t *testing.T) {
	e, err := New(trustmodel.App{Framework: "aspnetcore", Version: "10", Options: map[string]any{"ForwardedHeaders": "XForwardedFor"}})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := e.Advise(trustmodel.Advice{Proxies: []string{"10.0.0.5", "10.1.0.0/16"}, Hops: 2})
	if !ok {
		t.Fatal("no advice")
	}
	want := `options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
options.ForwardLimit = 2;
options.KnownProxies.Clear();
options.KnownIPNetworks.Clear();
options.KnownProxies.Add(IPAddress.Parse("10.0.0.5"));
options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("10.1.0.0/16"));`
	if s.Code != want {
		t.Errorf("code:\n%s\nwant\n%s", s.Code, want)
	}
	// Replayed: the edge (10.1.2.3) behind nginx (10.0.0.5) is trusted, the client is not.
	if got := evalIP(t, s.App, "10.0.0.5", "6.6.6.6, 10.1.2.3"); got != "6.6.6.6" {
		t.Errorf("advice replay: %s", got)
	}
	if got := evalIP(t, s.App, "10.0.0.6", "6.6.6.6, 10.1.2.3"); got != "10.0.0.6" {
		t.Errorf("advice replay from an unknown peer: %s", got)
	}
	e8, _ := New(trustmodel.App{Framework: "aspnetcore", Version: "8"})
	s8, _ := e8.Advise(trustmodel.Advice{Proxies: []string{"127.0.0.1"}, Hops: 1})
	if !strings.Contains(s8.Code, `options.KnownProxies.Add(IPAddress.Parse("127.0.0.1"));`) || !strings.Contains(s8.Code, "options.KnownNetworks.Clear();") {
		t.Errorf(".NET 8 advice: %s", s8.Code)
	}
	if got := evalIP(t, s8.App, "::ffff:127.0.0.1", "6.6.6.6"); got != "6.6.6.6" {
		t.Errorf(".NET 8 advice replay from a mapped loopback peer: %s", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		app  trustmodel.App
		want string
	}{
		{trustmodel.App{Framework: "aspnetcore", Version: "7"}, "unsupported aspnetcore version"},
		{trustmodel.App{Framework: "aspnetcore", Options: map[string]any{"ForwardedHeaders": "XForwardedFoo"}}, "Requested value 'XForwardedFoo' was not found."},
		{trustmodel.App{Framework: "aspnetcore", TrustProxy: []any{"1.2.3"}, TrustProxySet: true}, ""},
		{trustmodel.App{Framework: "aspnetcore", TrustProxy: []any{"nope"}, TrustProxySet: true}, "An invalid IP address was specified."},
		{trustmodel.App{Framework: "aspnetcore", Options: map[string]any{"KnownProxies": []any{}}}, `unknown option "KnownProxies"`},
		{trustmodel.App{Framework: "aspnetcore", Options: map[string]any{"ForwardedForHeaderName": " "}}, "The value cannot be an empty string"},
	} {
		_, err := New(c.app)
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.app, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.app, err, c.want)
		}
	}
}

func TestTrustHops(t *testing.T) {
	e, _ := New(trustmodel.App{Framework: "aspnetcore", Version: "10", TrustProxy: []any{}, TrustProxySet: true, Options: map[string]any{"ForwardedHeaders": "XForwardedFor"}})
	if ok, _ := e.Trust().Trusts("203.0.113.9", 0); !ok {
		t.Error("cleared lists trust the peer")
	}
	if ok, why := e.Trust().Trusts("203.0.113.9", 1); ok {
		t.Errorf("ForwardLimit 1: hop 1 is never asked, got trusted (%s)", why)
	}
	d, _ := New(trustmodel.App{Framework: "aspnetcore", Version: "10"})
	for addr, want := range map[string]bool{"127.0.0.1": true, "::1": true, "::ffff:127.0.0.5": true, "10.0.0.1": false, "garbage": false} {
		if ok, _ := d.Trust().Trusts(addr, 0); ok != want {
			t.Errorf("default trust of %s = %v, want %v", addr, ok, want)
		}
	}
}
