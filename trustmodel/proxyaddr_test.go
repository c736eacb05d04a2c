package trustmodel

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// compileTests were recorded by running proxyaddr.compile of proxy-addr 2.0.7,
// 2.0.8 and @fastify/proxy-addr 5.1.3 on node v20.20.2, patched to return
// compileRangeSubnets' result. Each want is the subnets as "addr/bits" or the
// TypeError message. 2.0.7 and 2.0.8 compile alike (identical code, ipaddr.js
// 1.9.1), so they share the pa column.
var compileTests = []struct {
	list        []string
	pa, fastify string
}{
	{[]string{"0.0.0.0/0"}, "invalid range on address: 0.0.0.0/0", "invalid range on address: 0.0.0.0/0"},
	{[]string{"::/0"}, "invalid range on address: ::/0", "invalid range on address: ::/0"},
	{[]string{"10.0.0.0/0.0.0.0"}, "invalid range on address: 10.0.0.0/0.0.0.0", "invalid range on address: 10.0.0.0/0.0.0.0"},
	{[]string{"10.0.0.0/8 "}, "invalid range on address: 10.0.0.0/8 ", "invalid range on address: 10.0.0.0/8 "},
	{[]string{"10.0.0.1/ 8"}, "invalid range on address: 10.0.0.1/ 8", "invalid range on address: 10.0.0.1/ 8"},
	{[]string{"10.0.0.1/32/1"}, "invalid IP address: 10.0.0.1/32", "invalid IP address: 10.0.0.1/32"},
	{[]string{"10.0.0.1/8"}, "10.0.0.1/8", "10.0.0.1/8"},
	{[]string{"LOOPBACK"}, "invalid IP address: LOOPBACK", "invalid IP address: LOOPBACK"},
	{[]string{"loopback,"}, "invalid IP address: loopback,", "invalid IP address: loopback,"},
	{[]string{"1"}, "0.0.0.1/32", "0.0.0.1/32"},
	{[]string{"0x0a.0.0.1"}, "10.0.0.1/32", "10.0.0.1/32"},
	{[]string{"fe80::1%eth0"}, "fe80::1%eth0/128", "fe80::1%eth0/128"},
	{nil, "", ""},
	{[]string{"10.0.0.0/08"}, "10.0.0.0/8", "10.0.0.0/8"},
	{[]string{"10.0.0.0/0000000000000000000000032"}, "10.0.0.0/32", "10.0.0.0/32"},
	{[]string{"10.0.0.0/4294967040"}, "invalid range on address: 10.0.0.0/4294967040", "invalid range on address: 10.0.0.0/4294967040"},
	{[]string{"10.0.0.0/255.0.0.0"}, "10.0.0.0/8", "10.0.0.0/8"},
	{[]string{"10.0.0.0/255.0.255.0"}, "invalid range on address: 10.0.0.0/255.0.255.0", "invalid range on address: 10.0.0.0/255.0.255.0"},
	{[]string{"10.0.0.0/0xff000000"}, "10.0.0.0/8", "10.0.0.0/8"},
	{[]string{"10.0.0.0/255.255.0"}, "invalid range on address: 10.0.0.0/255.255.0", "10.0.0.0/16"},
	{[]string{"10.0.0.0/255.255.255.255"}, "10.0.0.0/32", "10.0.0.0/32"},
	{[]string{"::ffff:10.0.0.0/255.0.0.0"}, "invalid range on address: ::ffff:10.0.0.0/255.0.0.0", "invalid range on address: ::ffff:10.0.0.0/255.0.0.0"},
	{[]string{"::ffff:10.0.0.0/104"}, "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"},
	{[]string{"::ffff:10.0.0.0"}, "10.0.0.0/32", "10.0.0.0/32"},
	{[]string{"::ffff:10.0.0.0%eth0"}, "10.0.0.0/32", "10.0.0.0/32"},
	{[]string{"10.0.0.0/33"}, "invalid range on address: 10.0.0.0/33", "invalid range on address: 10.0.0.0/33"},
	{[]string{"::1/129"}, "invalid range on address: ::1/129", "invalid range on address: ::1/129"},
	{[]string{"::1/128"}, "::1/128", "::1/128"},
	{[]string{"10.0.0.0/"}, "invalid range on address: 10.0.0.0/", "invalid range on address: 10.0.0.0/"},
	{[]string{"10.0.0.0/-1"}, "invalid range on address: 10.0.0.0/-1", "invalid range on address: 10.0.0.0/-1"},
	{[]string{"10.0.0.0/+8"}, "invalid range on address: 10.0.0.0/+8", "invalid range on address: 10.0.0.0/+8"},
	{[]string{"10.0.0.0/8.0"}, "invalid range on address: 10.0.0.0/8.0", "invalid range on address: 10.0.0.0/8.0"},
	{[]string{"loopback"}, "127.0.0.1/8 ::1/128", "127.0.0.1/8 ::1/128"},
	{[]string{"linklocal"}, "169.254.0.0/16 fe80::/10", "169.254.0.0/16 fe80::/10"},
	{[]string{"uniquelocal"}, "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7", "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"},
	{[]string{"uniquelocal", "loopback"}, "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 127.0.0.1/8 ::1/128", "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 127.0.0.1/8 ::1/128"},
	{[]string{"loopback", "10.0.0.1/33"}, "invalid range on address: 10.0.0.1/33", "invalid range on address: 10.0.0.1/33"},
	{[]string{"10.0.0.1/33", "bogus"}, "invalid range on address: 10.0.0.1/33", "invalid range on address: 10.0.0.1/33"},
	{[]string{"constructor"}, "invalid IP address: constructor", "invalid IP address: constructor"},
	{[]string{"__proto__"}, "invalid IP address: __proto__", "invalid IP address: __proto__"},
	{[]string{"hasOwnProperty"}, "invalid IP address: hasOwnProperty", "invalid IP address: hasOwnProperty"},
	{[]string{""}, "invalid IP address: ", "invalid IP address: "},
	{[]string{"127.1/8"}, "invalid IP address: 127.1", "127.0.0.1/8"},
	{[]string{"08.0.0.1/8"}, "0.0.0.1/8", "invalid IP address: 08.0.0.1"},
	{[]string{"0X7f.0.0.1"}, "0.0.0.1/32", "127.0.0.1/32"},
	{[]string{"00000001::/16"}, "1::/16", "invalid IP address: 00000001::"},
	{[]string{"/8"}, "invalid IP address: ", "invalid IP address: "},
	{[]string{"10.0.0.0/8/"}, "invalid IP address: 10.0.0.0/8", "invalid IP address: 10.0.0.0/8"},
	{[]string{"fe80::/10%eth0"}, "invalid range on address: fe80::/10%eth0", "invalid range on address: fe80::/10%eth0"},
	{[]string{"fe80::%eth0/10"}, "fe80::%eth0/10", "fe80::%eth0/10"},
	{[]string{"::1.2.3.4"}, "invalid IP address: ::1.2.3.4", "1.2.3.4/32"},
	{[]string{"64:ff9b::1.2.3.4/96"}, "invalid IP address: 64:ff9b::1.2.3.4", "64:ff9b::102:304/96"},
	{[]string{"::ffff:0:0/95"}, "::ffff:0.0.0.0/95", "::ffff:0.0.0.0/95"},
}

func compileResult(v ProxyAddrVersion, list []string) string {
	t, err := CompileProxyAddr(v, list)
	if err != nil {
		return err.Error()
	}
	var s []string
	for _, n := range t.Subnets {
		s = append(s, n.IP.String()+"/"+strconv.Itoa(n.Bits))
	}
	return strings.Join(s, " ")
}

func TestCompileProxyAddr(t *testing.T) {
	for _, tt := range compileTests {
		for v, want := range []string{tt.pa, tt.pa, tt.fastify} {
			if got := compileResult(ProxyAddrVersion(v), tt.list); got != want {
				t.Errorf("CompileProxyAddr(%d, %q) = %q, want %q", v, tt.list, got, want)
			}
		}
	}
}

func TestCompileProxyAddrError(t *testing.T) {
	_, err := CompileProxyAddr(ProxyAddr208, []string{"loopback", "bogus/8", "10.0.0.0/0"})
	var ce *CompileError
	if !errors.As(err, &ce) || ce.From != "bogus/8" || ce.Msg != "invalid IP address: bogus" {
		t.Fatalf("err = %#v", err)
	}
}

// matchTests were recorded by calling the compiled trust function of each
// package version on node v20.20.2, like alladdrs does (trust(addr, 0)). They
// include every row of evaluators.md §1.5 and the §3.1 zone cases.
var matchTests = []struct {
	list                []string
	addr                string
	p207, p208, fastify bool
}{
	{[]string{"::ffff:10.0.0.0/8"}, "8.8.8.8", true, false, false},
	{[]string{"::/1"}, "1.2.3.4", true, false, false},
	{[]string{"::/1"}, "::ffff:1.2.3.4", true, false, false},
	{[]string{"::ffff:0:0/80"}, "::1", true, false, false},
	{[]string{"::ffff:10.0.0.0/104"}, "10.1.1.1", true, true, true},
	{[]string{"::ffff:10.0.0.0/104"}, "::ffff:10.1.1.1", true, true, true},
	{[]string{"10.0.0.0/8"}, "::ffff:10.1.1.1", true, true, true},
	{[]string{"loopback"}, "::ffff:127.0.0.1", true, true, true},
	{[]string{"::ffff:0:0/95"}, "::ffff:127.0.0.1", true, false, false},
	{[]string{"::/1"}, "2001:db8::1", true, true, true},
	{[]string{"fe80::1%eth1"}, "fe80::1%eth0", true, true, false},
	{[]string{"fe80::1%eth0"}, "fe80::1", true, true, false},
	{[]string{"fe80::1"}, "fe80::1%eth0", true, true, true},
	{[]string{"fe80::1%eth0"}, "fe80::1%eth0", true, true, true},
	{[]string{"fe80::/10"}, "fe80::1%eth0", true, true, true},
	{[]string{"fe80::%eth0/10"}, "fe80::1%eth0", true, true, true},
	{[]string{"fe80::%eth0/10"}, "fe80::1%ETH0", true, true, false},
	{[]string{"::ffff:1.2.3.4/128"}, "::ffff:1.2.3.4", true, true, true},
	{[]string{"::ffff:1.2.3.4/128"}, "1.2.3.4", true, true, true},
	{[]string{"::ffff:1.2.3.4%eth0/128"}, "::ffff:1.2.3.4%eth0", true, true, false},
	{[]string{"::ffff:1.2.3.4%eth0/128"}, "1.2.3.4", true, true, false},
	{[]string{"::ffff:1.2.3.4"}, "1.2.3.4", true, true, true},
	{[]string{"::ffff:1.2.3.4"}, "::ffff:1.2.3.4", true, true, true},
	{[]string{"1.2.3.4"}, "1.2.3.4:80", false, false, false},
	{[]string{"loopback"}, "[::1]", false, false, false},
	{[]string{"loopback"}, "127.1", false, false, true},
	{[]string{"loopback"}, "0X7f.0.0.1", false, false, true},
	{[]string{"0.0.0.0/8"}, "08.0.0.1", true, true, false},
	{[]string{"1.2.3.4"}, "::1.2.3.4", false, false, true},
	{[]string{"10.0.0.0/8"}, "::a01:203", false, false, false},
	{[]string{"::ffff:0:0/1"}, "2001:db8::1", true, false, false},
	{[]string{"10.0.0.0/8", "::ffff:0:0/96"}, "::ffff:8.8.8.8", true, true, true},
	{[]string{"10.0.0.0/8", "::ffff:0:0/96"}, "8.8.8.8", true, true, true},
	{[]string{"10.0.0.0/8", "::/1"}, "8.8.8.8", true, false, false},
	{[]string{"10.0.0.0/8", "::ffff:0:0/96"}, "::8.8.8.8", false, false, true},
	{[]string{"10.0.0.0/8"}, "", false, false, false},
	{[]string{"10.0.0.0/8"}, " 10.0.0.1", false, false, false},
	{[]string{"10.0.0.0/8"}, "10.0.0.1 ", false, false, false},
	{[]string{"10.0.0.0/8"}, "unknown", false, false, false},
	{[]string{"10.0.0.1/8"}, "10.200.0.1", true, true, true},
	{[]string{"10.0.0.0/255.0.0.0"}, "10.9.9.9", true, true, true},
	{[]string{"uniquelocal"}, "fd00::1", true, true, true},
	{[]string{"uniquelocal"}, "172.31.255.255", true, true, true},
	{[]string{"uniquelocal"}, "172.32.0.0", false, false, false},
	{[]string{"linklocal"}, "fe80::1%eth0", true, true, true},
	{[]string{"::1"}, "0:0:0:0:0:0:0:1", true, true, true},
	{[]string{"::1"}, "::0001", true, true, true},
	{[]string{"::1"}, "::00000001", true, true, false},
	{[]string{"1"}, "0.0.0.1", true, true, true},
	{[]string{"::"}, "::ffff:0.0.0.0", false, false, false},
	{[]string{"0.0.0.0/1"}, "::ffff:127.0.0.1", true, true, true},
}

func TestCompiledTrustMatch(t *testing.T) {
	for _, tt := range matchTests {
		for v, want := range []bool{tt.p207, tt.p208, tt.fastify} {
			ct, err := CompileProxyAddr(ProxyAddrVersion(v), tt.list)
			if err != nil {
				t.Fatalf("CompileProxyAddr(%d, %q): %v", v, tt.list, err)
			}
			if _, got := ct.Match(tt.addr); got != want {
				t.Errorf("version %d: %q trusts %q = %v, want %v", v, tt.list, tt.addr, got, want)
			}
		}
	}
}

func TestMatchReturnsFirstSubnet(t *testing.T) {
	ct, err := CompileProxyAddr(ProxyAddr208, []string{"10.0.0.0/8", "loopback", "10.1.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]Subnet{
		"10.1.1.1":         {Note: "10.0.0.0/8", From: "10.0.0.0/8"},
		"::1":              {Note: "::1/128", From: "loopback"},
		"::ffff:127.0.0.2": {Note: "127.0.0.1/8", From: "loopback"},
	} {
		got, ok := ct.Match(addr)
		if !ok || got.Note != want.Note || got.From != want.From {
			t.Errorf("Match(%q) = %+v, %v, want %s from %s", addr, got, ok, want.Note, want.From)
		}
	}
	if s, ok := (&CompiledTrust{}).Match("127.0.0.1"); ok {
		t.Errorf("empty trust matched %+v", s)
	}
}

func FuzzCompileProxyAddr(f *testing.F) {
	for _, tt := range compileTests {
		f.Add(strings.Join(tt.list, ","), "10.0.0.1")
	}
	for _, tt := range matchTests {
		f.Add(strings.Join(tt.list, ","), tt.addr)
	}
	f.Fuzz(func(t *testing.T, list, addr string) {
		for _, v := range []ProxyAddrVersion{ProxyAddr207, ProxyAddr208, FastifyProxyAddr} {
			ct, err := CompileProxyAddr(v, strings.Split(list, ","))
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "invalid IP address: ") && !strings.HasPrefix(msg, "invalid range on address: ") {
					t.Fatalf("unexpected error %q", msg)
				}
				continue
			}
			for _, s := range ct.Subnets {
				if s.Bits <= 0 || s.Bits > s.IP.BitLen() {
					t.Fatalf("version %d: subnet %+v", v, s)
				}
				// 2.0.7 trusts every subnet's own address; 2.0.8 need not
				// (a mapped subnet shorter than /96).
				if _, ok := ct.Match(s.IP.String()); v == ProxyAddr207 && !ok {
					t.Fatalf("2.0.7: %+v does not trust its own address", s)
				}
			}
			if s, ok := ct.Match(addr); ok && s.Note == "" {
				t.Fatalf("version %d: Match(%q) = %+v", v, addr, s)
			}
		}
	})
}
