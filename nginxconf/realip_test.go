package nginxconf

import (
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func TestInetAddr(t *testing.T) {
	cases := map[string]string{
		"1.2.3.4":         "1.2.3.4",
		"1..2.3":          "1.0.2.3", // empty octets count as 0
		"1.2.3.":          "1.2.3.0",
		".1.2.3":          "0.1.2.3",
		"...":             "0.0.0.0",
		"010.001.1.1":     "10.1.1.1", // leading zeros are decimal
		"255.255.255.255": "255.255.255.255",
		"256.1.1.1":       "",
		"1.2.3":           "",
		"1.2.3.4.5":       "",
		" 1.2.3.4":        "",
		"1.2.3.4 ":        "",
		"1.2.3.a":         "",
		"":                "",
		"1.2.3.4/8":       "",
	}
	for in, want := range cases {
		sa, ok := parseAddr(in)
		got := ""
		if ok && sa.family == afInet {
			got = sa.ntop()
		}
		if _, is4 := inetAddr(in); is4 != (want != "") || got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestInet6AddrAndNtop(t *testing.T) {
	cases := map[string]string{
		"::1":                  "::1",
		"::":                   "::",
		"1::":                  "1::",
		"::ffff:1.2.3.4":       "::ffff:1.2.3.4",
		"::FFFF:102:304":       "::ffff:1.2.3.4",
		"2001:db8::6":          "2001:db8::6",
		"2001:DB8:0:0:1:0:0:1": "2001:db8::1:0:0:1", // the first longest zero run
		"1:0:2:0:3:0:4:0":      "1:0:2:0:3:0:4:0",   // single zero words stay
		"::1.2.3.4":            "::1.2.3.4",
		"::2":                  "::2",
		"::102":                "::0.0.1.2",
		"1:2:3:4:5:6:1.2.3.4":  "1:2:3:4:5:6:102:304",
		":1:2:3:4:5:6:7:8":     "1:2:3:4:5:6:7:8", // nginx skips one leading ':'
		"fe80::1":              "fe80::1",
		"1:2:3:4:5:6:7::":      "", // nginx refuses this (glibc does not)
		"1::2::3":              "",
		":::":                  "",
		"12345::":              "",
		"::1%eth0":             "",
		"1:2:3:4:5:6:7:8:9":    "",
		"::ffff:1.2.3":         "",
		"::ffff:1.2.3.256":     "",
		"1.2.3.4":              "",
		"g::1":                 "",
		"":                     "",
	}
	for in, want := range cases {
		ip, ok := inet6Addr(in)
		got := ""
		if ok {
			got = inet6Ntop(ip)
		}
		if got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestParseAddrPort(t *testing.T) {
	cases := []struct {
		in            string
		bracketNoPort bool
		want          string // ntop and ":port"
	}{
		{"1.2.3.4:80", false, "1.2.3.4:80"},
		{"1.2.3.4:080", false, "1.2.3.4:80"},
		{"1.2.3.4:0", false, ""},
		{"1.2.3.4:65536", false, ""},
		{"1.2.3.4:", false, ""},
		{"1.2.3.4:80:90", false, ""},
		{"[::1]:8080", false, "::1:8080"},
		{"[1.2.3.4]:80", false, "1.2.3.4:80"},
		{"[::1]", false, ""},
		{"[::1]", true, "::1:0"},
		{"[::1]x", true, ""},
		{"::1", false, "::1:0"},
		{"localhost:80", false, ""},
		{"unknown", false, ""},
		{"[::1]:+1", false, ""},
	}
	for _, c := range cases {
		sa, ok := parseAddrPort(c.in, c.bracketNoPort)
		got := ""
		if ok {
			got = sa.ntop() + ":" + itoa(sa.port)
		}
		if got != c.want {
			t.Errorf("%q (bracket %v): %q, want %q", c.in, c.bracketNoPort, got, c.want)
		}
	}
}

func TestPtocidr(t *testing.T) {
	cases := []struct {
		in   string
		want string
		rc   cidrResult
	}{
		{"10.0.0.0/8", "10.0.0.0/8", cidrOK},
		{"10.1.2.3/8", "10.0.0.0/8", cidrDone},
		{"0.0.0.0/0", "0.0.0.0/0", cidrOK},
		{"1.2.3.4", "1.2.3.4/32", cidrOK},
		{"::/0", "::/0", cidrOK},
		{"2001:db8::1/32", "2001:db8::/32", cidrDone},
		{"::1", "::1/128", cidrOK},
		{"10.0.0.0/33", "", cidrError},
		{"10.0.0.0/", "", cidrError},
		{"::/129", "", cidrError},
		{"lb.internal", "", cidrError},
	}
	for _, c := range cases {
		got, rc := ptocidr(c.in)
		if rc != c.rc || rc != cidrError && cidrString(got) != c.want {
			t.Errorf("%q: %s %v, want %s %v", c.in, cidrString(got), rc, c.want, c.rc)
		}
	}
}

func realipOf(t *testing.T, from []string, header string, recursive bool, version string) *RealIP {
	t.Helper()
	v, err := ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	r := &RealIP{Header: header, Recursive: recursive, bracketNoPort: v.ParsesBracketedV6WithoutPort()}
	switch header {
	case "X-Real-IP":
		r.Mode = RealIPXRealIP
	case "X-Forwarded-For":
		r.Mode = RealIPXForwardedFor
	default:
		r.Mode = RealIPCustom
	}
	for _, f := range from {
		rf, _ := parseRealIPFrom(trustmodel.Pos{}, f)
		r.From = append(r.From, rf)
	}
	return r
}

func hdr(kv ...string) trustmodel.Header {
	var h trustmodel.Header
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, trustmodel.HeaderLine{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

// TestRealIPWalk runs the §4.1 vectors: recursive and non-recursive walks
// over every X-Forwarded-For line from the last one back, the strict token
// parser, single-value headers and the peer checks.
func TestRealIPWalk(t *testing.T) {
	lb := []string{"127.0.0.2", "10.0.0.0/8"}
	xff := "X-Forwarded-For"
	cases := []struct {
		name      string
		from      []string
		header    string
		recursive bool
		version   string
		peer      string
		headers   trustmodel.Header
		want      string
	}{
		{"untrusted peer", lb, xff, true, "", "127.0.0.9", hdr(xff, "6.6.6.6"), "127.0.0.9"},
		{"no header", lb, xff, true, "", "127.0.0.2", nil, "127.0.0.2"},
		{"one hop", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6"), "6.6.6.6"},
		{"off: last token even if trusted", lb, xff, false, "", "127.0.0.2", hdr(xff, "6.6.6.6, 127.0.0.2"), "127.0.0.2"},
		{"on: first untrusted from the right", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6, 10.0.0.7, 127.0.0.2"), "6.6.6.6"},
		{"on: all trusted gives the leftmost", lb, xff, true, "", "127.0.0.2", hdr(xff, "10.0.0.1, 10.0.0.2"), "10.0.0.1"},
		{"on: invalid after a good hop keeps the hop", lb, xff, true, "", "127.0.0.2", hdr(xff, "unknown, 10.0.0.7"), "10.0.0.7"},
		{"rightmost invalid changes nothing", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6, unknown"), "127.0.0.2"},
		{"off: rightmost invalid changes nothing", lb, xff, false, "", "127.0.0.2", hdr(xff, "6.6.6.6, unknown"), "127.0.0.2"},
		{"lines walked last first", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6", xff, "10.0.0.7"), "6.6.6.6"},
		{"off: only the last line", lb, xff, false, "", "127.0.0.2", hdr(xff, "1.1.1.1", xff, "2.2.2.2"), "2.2.2.2"},
		{"on: untrusted last line stops", lb, xff, true, "", "127.0.0.2", hdr(xff, "1.1.1.1", xff, "6.6.6.6"), "6.6.6.6"},
		{"on: separator-only last line", lb, xff, true, "", "127.0.0.2", hdr(xff, "1.1.1.1", xff, ","), "127.0.0.2"},
		{"on: empty earlier line after a good hop", lb, xff, true, "", "127.0.0.2", hdr(xff, "", xff, "10.0.0.7"), "10.0.0.7"},
		{"spacing and empty tokens", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6 ,,10.0.0.7 ,"), "6.6.6.6"},
		{"tab is part of the token", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6\t"), "127.0.0.2"},
		{"ports dropped", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6:4444, 10.0.0.7:80"), "6.6.6.6"},
		{"[v6]:port", []string{"127.0.0.2", "::1"}, xff, true, "", "127.0.0.2", hdr(xff, "2001:db8::6, [::1]:8080"), "2001:db8::6"},
		{"[v6] without port before 1.27.3", lb, xff, true, "1.27.2", "127.0.0.2", hdr(xff, "[2001:db8::6]"), "127.0.0.2"},
		{"[v6] without port from 1.27.3", lb, xff, true, "1.27.3", "127.0.0.2", hdr(xff, "[2001:DB8::6]"), "2001:db8::6"},
		{"mapped token printed as nginx does", lb, xff, true, "", "127.0.0.2", hdr(xff, "::ffff:6.6.6.6"), "::ffff:6.6.6.6"},
		{"mapped token matched as IPv4", lb, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6, ::ffff:10.0.0.7"), "6.6.6.6"},
		{"empty octets", lb, xff, true, "", "127.0.0.2", hdr(xff, "1..2.3"), "1.0.2.3"},
		{"leading zeros", lb, xff, true, "", "127.0.0.2", hdr(xff, "010.1.1.1"), "10.1.1.1"},
		{"mapped peer matched as IPv4", lb, xff, true, "", "::ffff:127.0.0.2", hdr(xff, "6.6.6.6"), "6.6.6.6"},
		{"IPv6 entry does not match an IPv4 peer", []string{"::ffff:127.0.0.2"}, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6"), "127.0.0.2"},
		{"unix: trusts socket clients", []string{"unix:"}, xff, true, "", "unix:", hdr(xff, "6.6.6.6"), "6.6.6.6"},
		{"unix: does not trust TCP clients", []string{"unix:"}, xff, true, "", "127.0.0.2", hdr(xff, "6.6.6.6"), "127.0.0.2"},
		{"host name entries match nothing", []string{"lb.internal"}, xff, true, "", "127.0.0.1", hdr(xff, "6.6.6.6"), "127.0.0.1"},
		{"trust all, recursive: leftmost", []string{"0.0.0.0/0"}, xff, true, "", "203.0.113.9", hdr(xff, "6.6.6.6, 7.7.7.7"), "6.6.6.6"},
		{"X-Real-IP: first line", lb, "X-Real-IP", false, "", "127.0.0.2", hdr("X-Real-IP", "6.6.6.6", "x-real-ip", "7.7.7.7"), "6.6.6.6"},
		{"X-Real-IP is tokenised too", lb, "X-Real-IP", false, "", "127.0.0.2", hdr("X-Real-IP", "6.6.6.6, 10.0.0.7"), "10.0.0.7"},
		{"X-Real-IP recursive", lb, "X-Real-IP", true, "", "127.0.0.2", hdr("X-Real-IP", "6.6.6.6, 10.0.0.7"), "6.6.6.6"},
		{"custom header, case-insensitive name, first line", lb, "CF-Connecting-IP", false, "", "127.0.0.2", hdr("cf-connecting-ip", "6.6.6.6", "CF-Connecting-IP", "7.7.7.7"), "6.6.6.6"},
		{"lowercase keyword is a custom header: first line only", lb, "x-forwarded-for", true, "", "127.0.0.2", hdr(xff, "6.6.6.6", xff, "10.0.0.7"), "6.6.6.6"},
		{"empty value", lb, xff, true, "", "127.0.0.2", hdr(xff, ""), "127.0.0.2"},
		{"unparseable peer", lb, xff, true, "", "not-an-ip", hdr(xff, "6.6.6.6"), "not-an-ip"},
	}
	for _, c := range cases {
		r := realipOf(t, c.from, c.header, c.recursive, c.version)
		got, _ := r.Resolve(c.peer, c.headers)
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestRealIPLocalhost(t *testing.T) {
	cfg := mustLoadString(t, `server { listen 80; set_real_ip_from localhost; real_ip_header X-Forwarded-For;
		location / { proxy_pass http://127.0.0.1:1; } }`, LoadOptions{})
	r := proxyAt(t, cfg.Servers[0], "/").RealIP
	if len(r.From) != 2 || r.From[0].Prefix != "127.0.0.1/32" || r.From[1].Prefix != "::1/128" || r.From[0].Text != "localhost" {
		t.Fatalf("from %+v", r.From)
	}
	for peer, want := range map[string]string{"127.0.0.1": "6.6.6.6", "::1": "6.6.6.6", "127.0.0.2": "127.0.0.2"} {
		if got, _ := r.Resolve(peer, hdr("X-Forwarded-For", "6.6.6.6")); got != want {
			t.Errorf("peer %s: %s, want %s", peer, got, want)
		}
	}
	if !warningsContain(cfg, `set_real_ip_from "localhost": nginx resolves the name at start-up; modelled as 127.0.0.1 and ::1`) {
		t.Errorf("warnings %v", cfg.Warnings)
	}
}
