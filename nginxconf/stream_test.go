package nginxconf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

func unterminatedInputs() []string {
	var in []string
	for _, c := range unterminatedCases {
		in = append(in, c.in)
	}
	return in
}

func checkStreamed(t *testing.T, data []byte) {
	t.Helper()
	dirs, comments, diags, err := parseStream("f.conf", bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDirs, wantComments, wantDiags := parseFile("f.conf", data, nil)
	if !reflect.DeepEqual(dirs, wantDirs) || !reflect.DeepEqual(comments, wantComments) || !reflect.DeepEqual(diags, wantDiags) {
		t.Fatalf("%.200q streamed:\n%s\nwhole:\n%s", data,
			dumpParsed(parsed{dirs: dirs, comments: comments, diags: diags}),
			dumpParsed(parsed{dirs: wantDirs, comments: wantComments, diags: wantDiags}))
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
	defer func(n int64) { streamAbove = n }(streamAbove)
	streamAbove = 0
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
		{"map-like, fails", &laterReads{data: append([]byte("map $a $b { x y; }\n"), data...), fail: broken, after: 2}, "read failed"},
	} {
		_, _, _, err := parseStream("f.conf", c.r, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// laterReads is data read whole by the first read from offset 0 (or the
// first after ones), and then failing or shorter.
type laterReads struct {
	data   []byte
	after  int // reads from offset 0 to serve whole
	fail   error
	shrink int
	starts int
}

func (l *laterReads) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 {
		l.starts++
	}
	if l.starts > max(l.after, 1) {
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
