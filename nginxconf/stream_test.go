package nginxconf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// streamCases are files whose streamed parse takes each of its ways: the
// chunked parse, the "}" check, crossplane.Parse for map-like blocks
// (named, and only named like one), Lua, binary bytes, crossplane's panic.
var streamCases = []string{
	"map $a $b { default 1; }\nserver { listen 80; }",
	"server { set $map 1; proxy_set_header X-Geo $geoip2_x; include mime.types; }",
	"\"map\" $a $b { x y; }",
	"a { } types { text/html html; }",
	"a b map { c; }",
	"{ map { x y; } }",
	"; geo $a { default 0; }",
	"a # map {\n;",
	"content_by_lua_block { ngx.say('}') }\nmap $a $b { x y; }",
	"a b }",
	"if () {}",
	"map $a $b { if () {} }",
	"a\x00b;",
	"a 'b",
}

// FuzzParseStream holds parseStream, reading a file as it is lexed, equal
// to parseFile, which reads it whole.
func FuzzParseStream(f *testing.F) {
	for _, c := range append(append(streamCases, parserCases...), unterminatedInputs()...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStreamed(t, data)
	})
}

func TestParseStream(t *testing.T) {
	for _, c := range append(append(streamCases, parserCases...), unterminatedInputs()...) {
		checkStreamed(t, []byte(c))
	}
}

// TestScanTextSeams puts the words scanText looks for across its reads.
func TestScanTextSeams(t *testing.T) {
	const read = 1 << 20
	pad := func(n int) string { // comment lines: few tokens
		line := "#" + strings.Repeat("x", 1022) + "\n"
		return strings.Repeat(line, n/len(line)) + strings.Repeat(" ", n%len(line))
	}
	for _, c := range []struct {
		text         string
		lua, mapLike bool
	}{
		{pad(3 * read), false, false},
		{pad(read-5) + "content_by_lua_block { ngx.say('}') }\n", true, false},
		{pad(read-12) + "content_by_lua_block { ngx.say('}') }\n", true, false},
		{pad(read-2) + "types {}\n", false, true},
		{pad(read-2) + "ty\r\r\rpes {}\n", false, true},
		{pad(read-2) + "ty\r\r\r", false, false},
		{pad(read-2) + "ma" + strings.Repeat("\r", read) + "p {}", false, true},
		{pad(2*read) + "split_clients", false, true},
	} {
		s, err := scanText(strings.NewReader(c.text))
		lines := 1 + strings.Count(c.text, "\n")
		if err != nil || s.lua != c.lua || s.mapLike != c.mapLike || s.lastLine != lines || s.size != int64(len(c.text)) || !s.text {
			t.Errorf("%d bytes: %+v, want lua %v, map-like %v, %d lines", len(c.text), s, c.lua, c.mapLike, lines)
		}
		if s.mapLike != mayHaveMapBody([]byte(c.text)) || s.lua != bytes.Contains([]byte(c.text), []byte(luaBlockMarker)) {
			t.Errorf("%d bytes: %+v, not as parseFile sees the text", len(c.text), s)
		}
		checkStreamed(t, []byte(c.text))
	}
}

// TestParseSegmentsCuts: the cuts scanText finds with segments of one
// byte (every top-level directive after the first, where the lexer's
// state allows), and the segments' parse equal to the whole file's.
func TestParseSegmentsCuts(t *testing.T) {
	defer func(n int64) { segmentBytes = n }(segmentBytes)
	segmentBytes = 1
	for _, c := range []struct {
		text string
		cuts []lexCut
	}{
		{"server { listen 80; }\nserver { listen 81; }\n", []lexCut{{22, 1}}},
		{"a {}server {}", []lexCut{{4, 0}}},
		{"a;\r\nb;\r\n", []lexCut{{4, 1}}},
		{"a;\u00a0b;", []lexCut{{4, 0}}},
		{"# server {\nserver { a; }\n# x\nb;", []lexCut{{11, 1}, {29, 3}}},
		{"a \"x;\nserver { \";\nserver { b; }", []lexCut{{18, 2}}},
		{"a 'x;\nb';\nc;", []lexCut{{10, 2}}},
		{"a b\\;\nserver {}\nc;", []lexCut{{16, 2}}},
		{"a ${x;\nserver} b;\nc;", nil},                // "${" takes ";": unexpected "}"
		{"a;\\\nb;\nc;", []lexCut{{7, 2}}},             // a word of an escaped line break and "b" is no cut
		{"a;\n\\b;\nc;", []lexCut{{7, 2}}},             // nor an escaped letter
		{"a;\n_b;\n\"c\";\n1;\nd;", []lexCut{{15, 4}}}, // nor one not a letter
		{"a { b; }\nc { d; }", []lexCut{{9, 1}}},
		{"{0;}A", nil},       // the parser takes "{" for a name, then stops at "}"
		{"a;\n;b;\nc;", nil}, // the lexer stops: unexpected ";"
		{"a {}\n}\nb;", nil}, // unexpected "}"
		{"a { b }\nc;", nil}, // the "}" check fails
		{"a {\nb;", nil},     // unexpected end of file
		{"a;\ncontent_by_lua_block { ngx.say('x') }\nb;", nil},
		{"a;\nmap $a $b { x y; }\nb;", []lexCut{{3, 1}, {22, 2}}}, // found; crossplane.Parse reads the file
	} {
		scan, err := scanText(strings.NewReader(c.text))
		if err != nil || !reflect.DeepEqual(scan.cuts, c.cuts) {
			t.Errorf("%q: cuts %v (%v), want %v", c.text, scan.cuts, err, c.cuts)
		}
		checkStreamed(t, []byte(c.text))
	}
}

func unterminatedInputs() []string {
	var in []string
	for _, c := range unterminatedCases {
		in = append(in, c.in)
	}
	return in
}

// checkStreamed compares the streamed parse, lexed whole and lexed in
// segments of a few bytes (every top-level directive a segment of its own
// for segment size 1), with parseFile's.
func checkStreamed(t *testing.T, data []byte) {
	t.Helper()
	wantDirs, wantComments, wantDiags := parseFile("f.conf", data, nil)
	defer func(n int64) { segmentBytes = n }(segmentBytes)
	for _, seg := range []int64{segmentBytes, 1 + int64(len(data)%5)} {
		segmentBytes = seg
		dirs, comments, diags, err := parseStream("f.conf", bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(dirs, wantDirs) || !reflect.DeepEqual(comments, wantComments) || !reflect.DeepEqual(diags, wantDiags) {
			t.Fatalf("%.200q streamed, segments of %d bytes:\n%s\nwhole:\n%s", data, seg,
				dumpParsed(parsed{dirs: dirs, comments: comments, diags: diags}),
				dumpParsed(parsed{dirs: wantDirs, comments: wantComments, diags: wantDiags}))
		}
	}
}

// TestLoadStreamsLargeFiles loads a tree with its files streamed, as lint
// does (DeferProxies), and whole: the same proxies and warnings.
func TestLoadStreamsLargeFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"nginx.conf": "http {\n include vhosts/*.conf;\n}\n",
		"vhosts/a.conf": "server { listen 80; server_name a; location / { proxy_pass http://127.0.0.1:3000; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }\n" +
			"server { listen 81; set_real_ip_from 10.0.0.0/8; real_ip_header X-Forwarded-For; location / { proxy_pass http://127.0.0.1:3001; } }\n",
		"vhosts/b.conf": "map $http_x $y { default 1; }\nserver { listen 82; location / { proxy_pass http://127.0.0.1:3002; } }\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "nginx.conf")
	whole, err := Load(LoadOptions{AllowMissingIncludes: true, Prefix: dir}, p)
	if err != nil || len(whole.Proxies()) != 3 {
		t.Fatalf("%v, %d proxies", err, len(whole.Proxies()))
	}
	defer func(n, m int64) { streamAbove, segmentBytes = n, m }(streamAbove, segmentBytes)
	streamAbove = 0
	checkDeferredAlike(t, p, dir, whole, err)
	segmentBytes = 1
	checkDeferredAlike(t, p, dir, whole, err)
}

// TestParseStreamReadErrors: a read that fails, or a file that shrinks
// between the reads, is an error, not a file parsed short.
func TestParseStreamReadErrors(t *testing.T) {
	data := []byte(strings.Repeat("server { listen 80; }\n", 10000))
	broken := errors.New("read failed")
	for _, c := range []struct {
		name string
		r    io.ReaderAt
		want string
	}{
		{"fails", &laterReads{data: data, fail: broken}, "read failed"},
		{"shrinks", &laterReads{data: data, shrink: len(data) / 2}, "the file changed while it was read"},
		// the scan, then crossplane.Parse's read
		{"map-like, fails", &laterReads{data: append([]byte("map $a $b { x y; }\n"), data...), fail: broken}, "read failed"},
		{"in segments, fails", &laterReads{data: data, fail: broken}, "read failed"},
		{"in segments, shrinks", &laterReads{data: data, shrink: len(data) / 2}, "the file changed while it was read"},
	} {
		defer func(n int64) { segmentBytes = n }(segmentBytes)
		if strings.HasPrefix(c.name, "in segments") {
			segmentBytes = 1 << 10
		}
		_, _, _, err := parseStream("f.conf", c.r, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// laterReads is data read whole by the first read from offset 0 (the
// scan), and then failing or shorter. Segments read it at once, as an
// io.ReaderAt may be.
type laterReads struct {
	data   []byte
	fail   error
	shrink int
	mu     sync.Mutex
	starts int
}

func (l *laterReads) ReadAt(p []byte, off int64) (int, error) {
	l.mu.Lock()
	if off == 0 {
		l.starts++
	}
	later := l.starts > 1
	l.mu.Unlock()
	if later {
		if l.fail != nil {
			return 0, l.fail
		}
		return bytes.NewReader(l.data[:l.shrink]).ReadAt(p, off)
	}
	return bytes.NewReader(l.data).ReadAt(p, off)
}

// TestLoadRefusesLargeDump: an nginx -T dump is split in memory, so it is
// still bounded by what a file read whole may hold, and one over it is an
// error, not a plain file parsed as it is read.
func TestLoadRefusesLargeDump(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dump.txt")
	if err := os.WriteFile(p, []byte("# configuration file /etc/nginx/nginx.conf:\nhttp { server { listen 80; } }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, maxFileSize+1<<20); err != nil { // sparse
		t.Fatal(err)
	}
	_, err := Load(LoadOptions{}, p)
	if err == nil || !strings.Contains(err.Error(), p+": cannot open: 65 MiB is larger than the 64 MiB") {
		t.Fatalf("%v", err)
	}
}
