package jvm

import "testing"

func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"a.example:80", "[::1]:99", "10.0.0.1", "[::ffff:1.2.3.4]", "1.2.3", "b_x", "[1::2::3]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		colon, ok := parseHost(s)
		if ok && (colon < -1 || colon >= len(s) || colon >= 0 && s[colon] != ':') {
			t.Fatalf("parseHost(%q) = %d", s, colon)
		}
	})
}

func FuzzCompileJava(f *testing.F) {
	for _, s := range []string{defaultInternals, `\Q1.2\E`, `(?i)a|b`, `[a-z&&[^x]]`, `a{2}+`, `(`, `\p{XDigit}`, `[\s\d]`} {
		f.Add(s, "10.0.0.1")
	}
	f.Fuzz(func(t *testing.T, re, s string) {
		p, err := compileJava(re)
		if err == nil {
			p.matches(s)
		}
	})
}

func FuzzHostAddress(f *testing.F) {
	for _, s := range []string{"::1", "::ffff:10.0.0.1", "fe80::1%eth0", "1.2.3.4", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a := hostAddress(s); a == "" && s != "" {
			t.Fatalf("hostAddress(%q) is empty", s)
		}
	})
}
