package nginxconf

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// parsed is a file as one parser read it.
type parsed struct {
	dirs     []*Directive
	comments []Comment
	diags    []Diagnostic
	panicked string
}

// viaTokens parses with tokenParser, as parseBytes does for most files,
// chunk tokens at a time (parseChunks).
func viaTokens(data []byte, chunk int) (p parsed) {
	defer func() {
		if r := recover(); r != nil {
			p = parsed{panicked: fmt.Sprint(r)}
		}
	}()
	p.dirs, p.comments, p.diags = parseChunks("f.conf", data, chunk, nil)
	clearEndLines(p.dirs) // crossplane's tree has no terminator lines
	sort.SliceStable(p.comments, func(i, j int) bool { return p.comments[i].Pos.Line < p.comments[j].Pos.Line })
	return p
}

// viaCrossplane parses with crossplane.Parse, as parseBytes does for files
// that may have a map-like block.
func viaCrossplane(data []byte) (p parsed) {
	defer func() {
		if r := recover(); r != nil {
			p = parsed{panicked: fmt.Sprint(r)}
		}
	}()
	tree, diags := crossplaneParse("f.conf", data)
	p.dirs, p.comments, p.diags = convert("f.conf", tree), collectComments("f.conf", tree, nil), diags
	sort.SliceStable(p.comments, func(i, j int) bool { return p.comments[i].Pos.Line < p.comments[j].Pos.Line })
	return p
}

func clearEndLines(dirs []*Directive) {
	for _, d := range dirs {
		d.endLine, d.bareCondition = 0, false
		clearEndLines(d.Block)
	}
}

// checkParsersAgree compares tokenParser with crossplane, the tokens
// parsed all at once and at every end of a top-level directive.
func checkParsersAgree(t *testing.T, data []byte) {
	t.Helper()
	want := viaCrossplane(data)
	for _, chunk := range []int{math.MaxInt, 1} {
		if got := viaTokens(data, chunk); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q, %d tokens at a time:\ntokenParser %s\ncrossplane  %s", data, chunk, dumpParsed(got), dumpParsed(want))
		}
	}
}

func dumpParsed(p parsed) string {
	var b bytes.Buffer
	var walk func([]*Directive, string)
	walk = func(ds []*Directive, in string) {
		for _, d := range ds {
			fmt.Fprintf(&b, "%s%d %q %q block=%v incl=%v\n", in, d.Pos.Line, d.Name, d.Args, d.HasBlock, d.includes)
			walk(d.Block, in+"  ")
		}
	}
	walk(p.dirs, "  ")
	fmt.Fprintf(&b, "  comments %v\n  diags %v\n  panic %q", p.comments, p.diags, p.panicked)
	return b.String()
}

var parserCases = []string{
	"",
	"events {}\nhttp { server { listen 80; location / { proxy_pass http://a; } } }\n",
	"# head\nserver { # s\n  listen 80 # in args\n  ;\n  location / # l\n  { return 200 \"ok\\n\"; } # tail\n}\n",
	"if ($a = b) { return 403; }",
	"if ( $a ) {}",
	"if () {}",
	"if ( ) {}",
	"if ( (x) ) {}",
	"a \"{\" ';' '}' ;",
	"a b",
	"a {",
	"a { b; }}",
	"a;;",
	"a { b ; } ; c;",
	"\"\" {}",
	"# only\n# comments",
	"content_by_lua_block { ngx.say('}') }\nb;",
	"set_by_lua_block $x { return 1 }",
	"a {\n\tinclude x.conf;\n\tb { include y; }\n}\nc { d; }",
	"a\r\nb;\r\n",
	"x ${y} {}",
}

func TestTokenParserMatchesCrossplane(t *testing.T) {
	for _, c := range parserCases {
		checkParsersAgree(t, []byte(c))
	}
	// The corpus's real configurations the token parser reads, when present.
	n := 0
	filepath.Walk(filepath.Join("..", "..", "shared", "corpus"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || fi.Size() > 1<<20 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && isText(data) && !mayHaveMapBody(data) {
			n++
			checkParsersAgree(t, data)
		}
		return nil
	})
	t.Logf("%d corpus files", n)
}

func TestMayHaveMapBody(t *testing.T) {
	for in, want := range map[string]bool{
		"server { listen 80; location / { proxy_pass http://a; } }": false,
		"map $a $b { default 0; }":                                  true,
		"ma\rp $a $b { default 0; }":                                true,
		"http { types { text/html html; } }":                        true,
		"geo $a { default 0; }":                                     true,
		"location /sitemap.xml { return 404; }":                     true, // only slower
		"split_clients $a $b { 50% x; * y; }":                       true,
		"otel_exporter { endpoint localhost:4317; }":                true,
	} {
		if got := mayHaveMapBody([]byte(in)); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

// FuzzTokenParserMatchesCrossplane holds tokenParser to crossplane.Parse on
// every file parseBytes gives it.
func FuzzTokenParserMatchesCrossplane(f *testing.F) {
	for _, c := range parserCases {
		f.Add([]byte(c))
	}
	for _, c := range unterminatedCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if mayHaveMapBody(data) || !isText(data) {
			t.Skip()
		}
		checkParsersAgree(t, data)
	})
}
