package trustmodel

import (
	"reflect"
	"testing"
)

func TestCGIHeaderName(t *testing.T) {
	for in, want := range map[string]string{
		"X_FORWARDED_FOR": "X-Forwarded-For", "x-real-ip": "X-Real-Ip", "X_Forwarded_For": "X-Forwarded-For",
		"HOST": "Host", "COOKIE": "Cookie", "A__B": "A--B", "_X": "-X",
	} {
		if got := CGIHeaderName(in); got != want {
			t.Errorf("CGIHeaderName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The HTTPS tests of PHP (Symfony isSecure with PHP's empty()) and uWSGI
// (wsgi_subhandler.c) differ on odd values.
func TestGatewaySecure(t *testing.T) {
	for _, c := range []struct {
		https     string
		php, uwsg bool
	}{
		{"on", true, true}, {"ON", true, true}, {"", false, false}, {"off", false, false}, {"OFF", false, false},
		{"1", true, true}, {"0", false, false}, {"yes", true, false}, {"onward", true, true}, {"10", true, true}, {"true", true, false},
	} {
		if got := (&Gateway{Protocol: "fastcgi"}).Secure(c.https, "", false); got != c.php {
			t.Errorf("fastcgi HTTPS=%q: secure %v, want %v", c.https, got, c.php)
		}
		if got := (&Gateway{Protocol: "uwsgi"}).Secure(c.https, "", false); got != c.uwsg {
			t.Errorf("uwsgi HTTPS=%q: secure %v, want %v", c.https, got, c.uwsg)
		}
	}
	if (&Gateway{Protocol: "uwsgi"}).Secure("on", "http", true) {
		t.Error("uwsgi: UWSGI_SCHEME http must win over HTTPS on")
	}
	if !(&Gateway{Protocol: "uwsgi"}).Secure("", "https", true) {
		t.Error("uwsgi: UWSGI_SCHEME https alone is https")
	}
}

// What a gateway hop hands the app: REMOTE_ADDR as the peer, the params'
// lines first (an empty one sent unless if_not_empty), then the client's
// lines under their CGI names, those a param names left out, repeated ones
// joined (nginx 1.23+) or not (1.22), underscore names dropped.
func TestGatewayForward(t *testing.T) {
	in := Request{Peer: "203.0.113.7", TLS: true, Headers: Header{
		{"Host", "a.example"}, {"X-Forwarded-For", "6.6.6.6"}, {"x-forwarded-for", "7.7.7.7"},
		{"X_Forwarded_For", "8.8.8.8"}, {"Cookie", "a=1"}, {"Cookie", "b=2"}, {"X-Real-IP", "9.9.9.9"},
	}}
	hop := Hop{
		Rules: []HeaderRule{
			{Name: "X-Real-Ip", Value: Lit(""), SendEmpty: true},
			{Name: "Forwarded", Value: Lit(""), SendEmpty: false},
		},
		Gateway: &Gateway{Protocol: "fastcgi", RemoteAddr: ClientAddr{Text: "$remote_addr"}, HTTPS: Lit("on"), DropUnderscoreNames: true},
	}
	got := hop.Forward(in)
	want := Request{Peer: "203.0.113.7", TLS: true, Headers: Header{
		{"X-Real-Ip", ""}, {"Host", "a.example"}, {"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "7.7.7.7"},
		{"Cookie", "a=1"}, {"Cookie", "b=2"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("1.22:\n got %+v\nwant %+v", got, want)
	}
	hop.Gateway.JoinLines, hop.Gateway.DropUnderscoreNames = true, false
	got = hop.Forward(in)
	want.Headers = Header{
		{"X-Real-Ip", ""}, {"Host", "a.example"}, {"X-Forwarded-For", "6.6.6.6, 7.7.7.7"}, {"X-Forwarded-For", "8.8.8.8"},
		{"Cookie", "a=1; b=2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("1.23+, underscores_in_headers on:\n got %+v\nwant %+v", got, want)
	}
}
