package nginxconf

import (
	"bytes"
	"reflect"
	"testing"
	"unicode/utf8"
)

// unterminatedCases are inputs whose tokenization has a corner; the scanned
// check must agree with the check on crossplane's own tokens.
var unterminatedCases = []struct {
	in   string
	line int // 0: nothing to report
}{
	{"server { listen 80 }", 1},
	{"server { listen 80; }", 0},
	{"a {\n b c\n}\n", 3},
	{"a { b \"c\"}", 1},
	{"a { b 'c'\n}", 2},
	{"a { b # comment\n}", 2},
	{"a { b; # comment\n}", 0},
	{"a { set $x ${y}}", 1},
	{"a { set $x ${y};}", 0},
	{"a { b c\\; }", 1},
	{"a { b \\}\n}", 2},
	{"a { b \"x\\\"}\" ; }", 0},
	{"a { b;; }", 0}, // crossplane's lexer stops: unexpected ";"
	{"} a { b }", 0}, // unbalanced first
	{"a { b\r\n}\r\n", 2},
	{"a { b\\\r\n}", 1}, // the "}" gets the line its word began on
	{"a {\u00a0b\u00a0}", 1},
	{"a {\u2028b c\u3000}", 1},
	{"a { \xff\xfe }", 1},
	{"a { b \"unterminated }", 0},
	{"a { #}\n}", 0},
	{"a { b \"\"}", 1},
	{"a { b '' ; }", 0},
	{"a { b $x{y}}", 1},
	{"a { b ${x y} }", 1},
	{"# only a comment", 0},
	{"a { b\\\n}", 1},
	{"a { b ${;}}", 1},
	{"a { b \\;\n}", 2},
	{"a { b # c;\n}", 2},
	{"a { b\n# c;\n}", 3},
	{"a { b \"c;\n# x \" d\n}", 3},
	{"a { b \"c;\n# x \";\n}", 0},
	{"a { b\\\r\n# c\n}", 3},
	{"a { b;\r# c\n}", 0},
	{"a { b;\n  #}\n}", 0},
	{"a { b#c;\n}", 0},
	{"a { b#c\n}", 2},
	{"{\\\r;}", 1},
	{"a { b; c ;}", 0},
	{"}", 0},
}

func TestUnterminatedScannedMatchesLexed(t *testing.T) {
	for _, c := range unterminatedCases {
		wantLine, wantBad := unterminatedLexed([]byte(c.in))
		gotLine, gotBad := unterminatedScanned([]byte(c.in))
		if gotLine != wantLine || gotBad != wantBad {
			t.Errorf("%q: scanned (%d, %v), lexed (%d, %v)", c.in, gotLine, gotBad, wantLine, wantBad)
		}
		if wantLine != c.line {
			t.Errorf("%q: lexed check reports line %d, the case says %d", c.in, wantLine, c.line)
		}
		if c.line != 0 && closesFollowTerminators([]byte(c.in)) {
			t.Errorf("%q: closesFollowTerminators passes it", c.in)
		}
	}
}

// TestClosesFollowTerminatorsPassesPlainFiles: well-formed files take the
// quick path, quotes, escapes within them and comments notwithstanding.
func TestClosesFollowTerminatorsPassesPlainFiles(t *testing.T) {
	for _, in := range []string{
		"server {\n    listen 80;\n    location / {\n        proxy_pass http://a;\n    }\n}\n",
		"server { # the site\r\n  return 200 \"ok\\n\";\r\n}\r\n",
		"map $a $b {\n    default 0;\n    ~^x 1; # x\n}\n",
		"events {}\n",
		"server {\n    listen 80; # plain\n#    location / {\n#        proxy_pass http://b;\n#    }\n}\n",
	} {
		if !closesFollowTerminators([]byte(in)) {
			t.Errorf("%q: closesFollowTerminators fails it", in)
		}
	}
}

// FuzzUnterminatedScanned holds the scanner to crossplane's tokenizer.
func FuzzUnterminatedScanned(f *testing.F) {
	for _, c := range unterminatedCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("_by_lua_block")) {
			t.Skip() // those files are checked on crossplane's tokens
		}
		wantLine, wantBad := unterminatedLexed(data)
		gotLine, gotBad := unterminatedScanned(data)
		if gotLine != wantLine || gotBad != wantBad {
			t.Fatalf("%q: scanned (%d, %v), lexed (%d, %v)", data, gotLine, gotBad, wantLine, wantBad)
		}
		if pieces := replicaInPieces(data, 1+len(data)%3); !reflect.DeepEqual(pieces, replicaInPieces(data, len(data))) {
			t.Fatalf("%q: lexReplica fed in pieces of %d bytes ends as %+v, fed whole as %+v", data, 1+len(data)%3, pieces, replicaInPieces(data, len(data)))
		}
		if wantBad && closesFollowTerminators(data) {
			t.Fatalf("%q: closesFollowTerminators passes a file whose line %d is not terminated", data, wantLine)
		}
	})
}

// replicaInPieces is lexReplica, cutting every byte it can, after the
// text fed in pieces of n bytes (a rune's bytes may be split).
func replicaInPieces(data []byte, n int) *lexReplica {
	x := newLexReplica(1)
	for i := 0; ; i += n {
		end := min(i+n, len(data))
		x.feed(data[i:end], end == len(data))
		if end == len(data) {
			break
		}
	}
	x.finish()
	x.read, x.carry = 0, [utf8.UTFMax]byte{} // counted alike; the spent carry
	return x
}
