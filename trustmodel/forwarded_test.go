package trustmodel

import (
	"slices"
	"strings"
	"testing"
)

// xffTests were recorded by running forwarded@0.2.0 and @fastify/forwarded
// 3.1.2 on node v20.20.2 (without the socket address they put first). Inputs
// are the bytes Node would see; "\xa0" is the latin1 char U+00A0, which JS
// trim() removes and U+0085 it does not.
var xffTests = []struct {
	header       string
	xff, fastify []string
}{
	{"1.1.1.1,,2.2.2.2 , ,", []string{"2.2.2.2", "1.1.1.1"}, []string{"2.2.2.2", "1.1.1.1"}},
	{"1.1.1.1,\t2.2.2.2", []string{"\t2.2.2.2", "1.1.1.1"}, []string{"2.2.2.2", "1.1.1.1"}},
	{"2.2.2.2:80", []string{"2.2.2.2:80"}, []string{"2.2.2.2:80"}},
	{"[::1]", []string{"[::1]"}, []string{"[::1]"}},
	{"unknown", []string{"unknown"}, []string{"unknown"}},
	{"1.1.1.1 2.2.2.2", []string{"1.1.1.1 2.2.2.2"}, []string{"1.1.1.1 2.2.2.2"}},
	{"", nil, nil},
	{" ", nil, nil},
	{",", nil, nil},
	{", ,", nil, nil},
	{"a,b", []string{"b", "a"}, []string{"b", "a"}},
	{"a , b", []string{"b", "a"}, []string{"b", "a"}},
	{"  a  ", []string{"a"}, []string{"a"}},
	{"\ta\t", []string{"\ta\t"}, []string{"a"}},
	{"\t", []string{"\t"}, nil},
	{"a,\tb\t", []string{"\tb\t", "a"}, []string{"b", "a"}},
	{"a\t,b", []string{"b", "a\t"}, []string{"b", "a"}},
	{"1.1.1.1, 2.2.2.2, 3.3.3.3", []string{"3.3.3.3", "2.2.2.2", "1.1.1.1"}, []string{"3.3.3.3", "2.2.2.2", "1.1.1.1"}},
	{"a\xa0", []string{"a\xa0"}, []string{"a"}},
	{"\xa0a,b", []string{"b", "\xa0a"}, []string{"b", "\xa0a"}},
	{"a,\xa0b", []string{"\xa0b", "a"}, []string{"\xa0b", "a"}},
	{"\x85a\x85", []string{"\x85a\x85"}, []string{"\x85a\x85"}},
	{"\ra\n", []string{"\ra\n"}, []string{"a"}},
	{"\va\f", []string{"\va\f"}, []string{"a"}},
	{"a ,b", []string{"b", "a"}, []string{"b", "a"}},
	{"a, b,", []string{"b", "a"}, []string{"b", "a"}},
	{"  a b  ,  c  d  ", []string{"c  d", "a b"}, []string{"c  d", "a b"}},
	{"\ta b\t", []string{"\ta b\t"}, []string{"a b"}},
}

func TestParseXFF(t *testing.T) {
	for _, tt := range xffTests {
		if got := ParseXFF(tt.header); !slices.Equal(got, tt.xff) {
			t.Errorf("ParseXFF(%q) = %q, want %q", tt.header, got, tt.xff)
		}
		if got := ParseFastifyXFF(tt.header); !slices.Equal(got, tt.fastify) {
			t.Errorf("ParseFastifyXFF(%q) = %q, want %q", tt.header, got, tt.fastify)
		}
	}
}

func FuzzParseXFF(f *testing.F) {
	for _, tt := range xffTests {
		f.Add(tt.header)
	}
	f.Fuzz(func(t *testing.T, h string) {
		for _, tok := range ParseXFF(h) {
			if tok == "" || strings.Contains(tok, ",") || tok[0] == ' ' || tok[len(tok)-1] == ' ' || !strings.Contains(h, tok) {
				t.Fatalf("ParseXFF(%q) has token %q", h, tok)
			}
		}
		blank := func(c byte) bool { return c == ' ' || c == '\t' }
		if !strings.Contains(h, ",") {
			blank = isJSSpace
		}
		for _, tok := range ParseFastifyXFF(h) {
			if tok == "" || strings.Contains(tok, ",") || blank(tok[0]) || blank(tok[len(tok)-1]) || !strings.Contains(h, tok) {
				t.Fatalf("ParseFastifyXFF(%q) has token %q", h, tok)
			}
		}
		// Without tabs the two parsers differ only in how a comma-free header is trimmed.
		if strings.Contains(h, ",") && !strings.Contains(h, "\t") && !slices.Equal(ParseXFF(h), ParseFastifyXFF(h)) {
			t.Fatalf("parsers disagree on %q", h)
		}
	})
}
