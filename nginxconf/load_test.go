package nginxconf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const modelDir = "../testdata/nginx/model"

func fixture(name string) string { return filepath.Join(modelDir, name) }

func mustLoad(t *testing.T, opts LoadOptions, paths ...string) *Config {
	t.Helper()
	cfg, err := Load(opts, paths...)
	if err != nil {
		t.Fatalf("Load(%v): %v", paths, err)
	}
	return cfg
}

// loadString writes conf to a temporary nginx.conf and loads it.
func loadString(t *testing.T, conf string, opts LoadOptions) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(opts, p)
}

func mustLoadString(t *testing.T, conf string, opts LoadOptions) *Config {
	t.Helper()
	cfg, err := loadString(t, conf, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func serverNamed(t *testing.T, cfg *Config, name string) *Server {
	t.Helper()
	for _, s := range cfg.Servers {
		if slices.Contains(s.Names, name) {
			return s
		}
	}
	t.Fatalf("no server named %q", name)
	return nil
}

func proxyAt(t *testing.T, s *Server, uri string) *Proxy {
	t.Helper()
	l := s.LocationFor(uri)
	if l == nil || l.Proxy == nil {
		t.Fatalf("no proxying location for %s (got %v)", uri, l)
	}
	return l.Proxy
}

func warningsContain(cfg *Config, sub string) bool {
	for _, w := range cfg.Warnings {
		if strings.Contains(w.String(), sub) {
			return true
		}
	}
	return false
}

func TestLoadSingleFileKeepsPositions(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("inherit.conf"))
	s := serverNamed(t, cfg, "inherit.example")
	if s.Pos.File != fixture("inherit.conf") || s.Pos.Line != 7 {
		t.Errorf("server at %v, want %s:7", s.Pos, fixture("inherit.conf"))
	}
	l := s.LocationFor("/from-http/x")
	if l == nil || l.Pos.Line != 11 || l.Proxy.Pos.Line != 12 {
		t.Fatalf("location %v", l)
	}
	if len(cfg.Files) != 1 {
		t.Errorf("files %d, want 1", len(cfg.Files))
	}
}

func TestLoadSeveralFilesAndDedupe(t *testing.T) {
	// the second names a file the first includes: it is not a second root
	cfg := mustLoad(t, LoadOptions{}, fixture("incl/nginx.conf"), fixture("incl/conf.d/a.conf"))
	if n := len(cfg.Servers); n != 2 {
		t.Fatalf("%d servers, want 2 (a.conf included once)", n)
	}
	cfg = mustLoad(t, LoadOptions{}, fixture("inherit.conf"), fixture("realip.conf"))
	if n := len(cfg.Servers); n != 4 {
		t.Fatalf("%d servers, want 4", n)
	}
}

func TestLoadDirectory(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("dir"))
	var names []string
	for _, s := range cfg.Servers {
		names = append(names, s.Names...)
	}
	// conf.d/site.conf is included by nginx.conf; loose.conf stands alone;
	// .hidden/ and notes.txt are not read.
	if !slices.Equal(names, []string{"loose.example", "dir.example"}) && !slices.Equal(names, []string{"dir.example", "loose.example"}) {
		t.Fatalf("servers %v", names)
	}
	for _, f := range cfg.Files {
		if strings.Contains(f.Path, ".hidden") || strings.HasSuffix(f.Path, ".txt") {
			t.Errorf("read %s", f.Path)
		}
	}
	if n := len(cfg.Proxies()); n != 2 {
		t.Errorf("%d proxies, want 2", n)
	}
}

func TestLoadIncludesGlobRelativeToPrefix(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("incl/nginx.conf"))
	a := serverNamed(t, cfg, "a.example")
	b := serverNamed(t, cfg, "b.example")
	for _, s := range []*Server{a, b} {
		p := proxyAt(t, s, "/")
		if _, ok := p.Hop.Rule("X-Forwarded-For"); !ok {
			t.Errorf("%s: X-Forwarded-For from the included snippet missing", s.Names[0])
		}
	}
	// the snippet's directive keeps the snippet's position
	p := proxyAt(t, a, "/")
	if p.Headers[0].Pos.File != fixture("incl/snippets/proxy-headers.conf") || p.Headers[0].Pos.Line != 1 {
		t.Errorf("header at %v", p.Headers[0].Pos)
	}
	// .hidden.conf is skipped by the glob (it would not parse)
	for _, f := range cfg.Files {
		if strings.Contains(f.Path, ".hidden") {
			t.Errorf("read %s", f.Path)
		}
	}
	// an explicit prefix changes where relative includes resolve
	if _, err := Load(LoadOptions{Prefix: t.TempDir()}, fixture("incl/nginx.conf")); err != nil {
		t.Errorf("globs matching nothing must not fail: %v", err)
	}
}

func TestLoadMissingInclude(t *testing.T) {
	_, err := Load(LoadOptions{}, fixture("incl/missing.conf"))
	want := fixture("incl/missing.conf") + `:4: include "/nonexistent/trustcheck/proxy.conf" matches no file`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	var le *LoadError
	if !errors.As(err, &le) || le.Diagnostics[0].Pos.Line != 4 {
		t.Fatalf("not a LoadError with the include's position: %#v", err)
	}
	cfg := mustLoad(t, LoadOptions{AllowMissingIncludes: true}, fixture("incl/missing.conf"))
	if !warningsContain(cfg, `missing.conf:4: include "/nonexistent/trustcheck/proxy.conf" matches no file (skipped)`) {
		t.Errorf("warnings %v", cfg.Warnings)
	}
}

func TestLoadIncludeCycle(t *testing.T) {
	_, err := Load(LoadOptions{}, fixture("cycle/a.conf"))
	if err == nil {
		t.Fatal("no error for an include cycle")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, fixture("cycle/b.conf")+`:2: include "a.conf" creates a cycle: `) || strings.Contains(msg, "\n") {
		t.Errorf("error %q", msg)
	}
}

func TestLoadStdinAndDump(t *testing.T) {
	conf := "http { server { listen 80; server_name stdin.example; location / { proxy_pass http://127.0.0.1:1; } } }\n"
	cfg := mustLoad(t, LoadOptions{Stdin: strings.NewReader(conf)}, "-")
	s := serverNamed(t, cfg, "stdin.example")
	if s.Pos.File != "<stdin>" || s.Pos.Line != 1 {
		t.Errorf("stdin position %v", s.Pos)
	}
	if _, err := Load(LoadOptions{}, "-"); err == nil {
		t.Error("stdin without a reader loads")
	}

	dump, err := os.ReadFile(fixture("dump.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func() (*Config, error){
		"file":  func() (*Config, error) { return Load(LoadOptions{}, fixture("dump.txt")) },
		"stdin": func() (*Config, error) { return Load(LoadOptions{Stdin: strings.NewReader(string(dump))}, "-") },
	} {
		cfg, err := load()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := serverNamed(t, cfg, "dump.example")
		if s.Pos.File != "/etc/nginx/conf.d/app.conf" || s.Pos.Line != 1 {
			t.Errorf("%s: server at %v", name, s.Pos)
		}
		p := proxyAt(t, s, "/")
		r, ok := p.Hop.Rule("X-Forwarded-Proto")
		if !ok || r.Pos.File != "/etc/nginx/snippets/headers.conf" {
			t.Errorf("%s: X-Forwarded-Proto from the dumped snippet: %+v", name, r)
		}
		var f *File
		for _, x := range cfg.Files {
			if x.Path == "/etc/nginx/conf.d/app.conf" {
				f = x
			}
		}
		if f == nil || f.DumpLine != 10 {
			t.Errorf("%s: dump file record %+v", name, f)
		}
	}
}

func TestLoadLooseSnippets(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("snippet-location.conf"))
	if len(cfg.Servers) != 1 || !cfg.Servers[0].Implicit {
		t.Fatalf("servers %+v", cfg.Servers)
	}
	p := proxyAt(t, cfg.Servers[0], "/anything")
	if p.Location == nil || !p.Location.Implicit {
		t.Errorf("proxy location %+v", p.Location)
	}
	if _, ok := p.Hop.Rule("X-Forwarded-For"); !ok {
		t.Error("snippet header missing")
	}

	cfg = mustLoad(t, LoadOptions{}, fixture("snippet-server.conf"))
	if len(cfg.Servers) != 1 || !cfg.Servers[0].Implicit || len(cfg.Servers[0].Locations) != 2 {
		t.Fatalf("servers %+v", cfg.Servers)
	}
	proxyAt(t, cfg.Servers[0], "/app/x")

	cfg = mustLoad(t, LoadOptions{}, fixture("snippet-http.conf"))
	s := serverNamed(t, cfg, "snippet.example")
	p = proxyAt(t, s, "/")
	if p.Target.Upstream == nil || p.Target.Upstream.Name != "app" {
		t.Errorf("upstream not found across the implicit http context: %+v", p.Target)
	}
}

func TestLoadThirdPartyModules(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("thirdparty.conf"))
	s := serverNamed(t, cfg, "thirdparty.example")
	if p := s.LocationFor("/app/").Proxy; p == nil || p.Module != "passenger" {
		t.Errorf("passenger location: %+v", p)
	}
	if l := s.LocationFor("/"); l.Proxy != nil {
		t.Errorf("lua content location proxies: %+v", l.Proxy)
	}
	if !warningsContain(cfg, "more_set_input_headers") {
		t.Error("no warning for more_set_input_headers")
	}
	// the comment after the proxy_pass is kept with its line
	cs := cfg.CommentsAt(fixture("thirdparty.conf"), 31)
	if len(cs) != 1 || !strings.Contains(cs[0].Text, "trustcheck:ignore TC105") {
		t.Errorf("comments on line 31: %+v", cs)
	}
	if all := cfg.Comments(fixture("thirdparty.conf")); len(all) != 2 || all[0].Pos.Line != 1 { // Lua comments are not nginx comments
		t.Errorf("comments %+v", all)
	}
}

func TestLoadErrorsAreOneLine(t *testing.T) {
	cases := []struct {
		name, conf, want string
	}{
		{"unbalanced", "http {\n  server {\n}\n", `:4: unexpected end of file, expecting "}"`},
		{"extra brace", "http {\n}\n}\n", `:3: unexpected "}"`},
		{"missing semicolon at eof", "http {}\nlisten 80", `:2: unexpected end of file, expecting ";" or "}"`},
		{"location args", "server {\n location a b c {}\n}\n", `:2: invalid number of arguments in "location" directive`},
		{"location modifier", "server {\n location !! /x {}\n}\n", `:2: invalid location modifier "!!"`},
		{"proxy_pass prefix", "server {\n location / { proxy_pass ftp://x; }\n}\n", `:2: invalid URL prefix in "ftp://x"`},
		{"proxy_pass args", "server {\n location / { proxy_pass http://a http://b; }\n}\n", `:2: invalid number of arguments in "proxy_pass" directive`},
		{"listen port", "server {\n listen 99999;\n}\n", `:2: invalid port in "99999" of the "listen" directive`},
		{"empty if", "server {\n if () { return 403; }\n}\n", `:2: invalid condition ")"`},
		{"proxy_set_header args", "server {\n proxy_set_header X;\n location / { proxy_pass http://a; }\n}\n", `:2: invalid number of arguments in "proxy_set_header" directive`},
		{"binary", "\x00\x01\x02", `: not a text file`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadString(t, c.conf, LoadOptions{})
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, "nginx.conf"+c.want) {
				t.Errorf("error %q, want ...nginx.conf%s", msg, c.want)
			}
		})
	}
	if _, err := Load(LoadOptions{}); err == nil || err.Error() != "no nginx configuration given" {
		t.Errorf("no paths: %v", err)
	}
	if _, err := Load(LoadOptions{NginxVersion: "one.two"}, fixture("inherit.conf")); err == nil || !strings.Contains(err.Error(), "invalid nginx version") {
		t.Errorf("bad version: %v", err)
	}
	if _, err := Load(LoadOptions{}, filepath.Join(t.TempDir(), "absent.conf")); err == nil || !strings.Contains(err.Error(), "absent.conf: cannot open: no such file or directory") {
		t.Errorf("absent file: %v", err)
	}
}

func TestLoadLuaBlocks(t *testing.T) {
	conf := `http {
    init_by_lua_block {
        -- braces in comments { and strings "}" are Lua's business
        local t = { a = "{", b = [[ } ]] }
    }
    server {
        listen 80;
        location / {
            set_by_lua_block $x { return "}" }
            proxy_pass http://127.0.0.1:3000;
        }
    }
}
`
	cfg := mustLoadString(t, conf, LoadOptions{})
	if len(cfg.Proxies()) != 1 || cfg.Proxies()[0].Pos.Line != 10 {
		t.Fatalf("proxies %+v", cfg.Proxies())
	}
}

// nginx refuses a directive that "}" closes instead of ";"; crossplane,
// without its argument checks, would read on with the blocks shifted.
func TestUnterminatedDirectiveBeforeBrace(t *testing.T) {
	_, err := loadString(t, "events {}\nhttp {\n server {\n  location / {\n   proxy_pass http://127.0.0.1:3000\n  }\n }\n}\n", LoadOptions{})
	if err == nil || !strings.HasSuffix(err.Error(), `:6: unexpected "}"`) {
		t.Errorf("got %v", err)
	}
	// Braces inside quotes, comments and Lua blocks are not block ends.
	mustLoadString(t, "events {}\nhttp {\n server {\n  location / {\n   return 200 \"}\"; # }\n  }\n  location /l {\n   content_by_lua_block { ngx.say(\"}\") }\n  }\n }\n}\n", LoadOptions{})
}

// An include glob skips directories and links to directories (as nginx's
// glob does with GLOB_MARK filtering) and keeps files and links to files.
func TestIncludeGlobSkipsDirectories(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nginx.conf", "http {\n    include conf.d/*.conf;\n}\n")
	write("conf.d/a.conf", "server { listen 81; }\n")
	write("elsewhere/b.conf", "server { listen 82; }\n")
	write("sub.conf/inner.conf", "server { listen 83; }\n") // a directory named like a file
	for link, target := range map[string]string{"conf.d/c.conf": "../elsewhere/b.conf", "conf.d/d.conf": "../sub.conf", "conf.d/dangling.conf": "../absent.conf"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "conf.d", "e.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Load(LoadOptions{}, filepath.Join(dir, "nginx.conf"))
	// The dangling link is a file the glob matches that cannot be read.
	if err == nil || !strings.Contains(err.Error(), "dangling.conf") {
		t.Fatalf("err = %v, want the dangling link named", err)
	}
	if err := os.Remove(filepath.Join(dir, "conf.d", "dangling.conf")); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(LoadOptions{}, filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var ports []int
	for _, s := range cfg.Servers {
		ports = append(ports, s.Listens[0].Port)
	}
	if !slices.Equal(ports, []int{81, 82}) {
		t.Errorf("servers listen on %v, want [81 82] (a.conf and the link to b.conf)", ports)
	}
}

// TestGlobOneDirMatchesGlob: the one-directory glob finds what
// filepath.Glob and the stat of every match find.
func TestGlobOneDirMatchesGlob(t *testing.T) {
	d := t.TempDir()
	for _, n := range []string{"a.conf", ".h.conf", "b.conf", "c.txt", "sub.conf/x"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(d, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{"dir.conf": "sub.conf", "dangling.conf": "nothing", "file.conf": "a.conf"} {
		if err := os.Symlink(filepath.Join(d, to), filepath.Join(d, link)); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	for _, p := range []string{d + "/*.conf", d + "/.*.conf", d + "/*", d + "//*.conf", d + "/nodir/*.conf", d + "/a.conf/*"} {
		fast, ok := globOneDir(p)
		if !ok {
			t.Fatalf("%s: not a one-directory pattern", p)
		}
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, name := range m {
			if st, err := os.Stat(name); hiddenByGlob(p, name, "/") || err == nil && st.IsDir() {
				continue
			}
			want = append(want, name)
		}
		if !slices.Equal(fast, want) {
			t.Errorf("%s: %q, filepath.Glob %q", p, fast, want)
		}
	}
	if _, ok := globOneDir(d + "/["); ok {
		t.Error("a bad pattern is left to filepath.Glob, which reports it")
	}
}
