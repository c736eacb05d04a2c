package nginxconf

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestLocationFor(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{}, fixture("locations.conf"))
	s := cfg.Servers[0]
	cases := map[string]string{
		"/":                       "exact-root",
		"/index.html":             "root",
		"/images/a.png":           "images",
		"/images/a.gif":           "regex-image", // regex beats the prefix
		"/images/A.JPG":           "regex-image", // ~* is case-insensitive
		"/static/a.gif":           "static-noregex",
		"/api/v2/users":           "regex-api",
		"/api/users":              "", // /api/ has no return of its own
		"/api/admin/x":            "nested-admin",
		"/api/admin/x.json":       "nested-json", // nested regex beats the nested prefix
		"/api/v2/x.json":          "nested-json", // nested regexes come before the outer ones
		"/docs/a.pdf":             "nested-in-regex",
		"/docs/a.txt":             "",
		"/fallback":               "root", // named locations are never selected
		"/xy":                     "root", // the PCRE-only regex never matches in the model
		"/IMAGES/a.png":           "root", // prefixes are case-sensitive
		"/static/../images/x.gif": "static-noregex",
	}
	ret := func(l *Location) string {
		if l == nil {
			return "<nil>"
		}
		for _, d := range l.Directives {
			if d.Name == "return" {
				return d.Arg(1)
			}
		}
		return ""
	}
	for uri, want := range cases {
		if got := ret(s.LocationFor(uri)); got != want {
			t.Errorf("%s: %q, want %q", uri, got, want)
		}
	}
	if l := s.LocationFor("/api/users"); l == nil || l.Match != "/api/" {
		t.Errorf("/api/users selects %v", l)
	}
	if l := s.LocationFor("/docs/a.txt"); l == nil || l.Modifier != "~" || l.Match != "/docs/" {
		t.Errorf("/docs/a.txt selects %v", l)
	}
	if !warningsContain(cfg, `location regex "(?<=x)y" uses syntax Go's RE2 engine lacks`) {
		t.Errorf("warnings %v", cfg.Warnings)
	}
	empty := mustLoadString(t, "server { listen 80; location /a/ { return 200; } }", LoadOptions{})
	if l := empty.Servers[0].LocationFor("/b"); l != nil {
		t.Errorf("no location should match /b: %v", l)
	}
	if l := s.LocationFor("/api/admin/x").Parent; l == nil || l.Match != "/api/" {
		t.Errorf("parent %v", l)
	}
}

func TestLocationArgForms(t *testing.T) {
	for args, want := range map[string][2]string{
		"=/x":    {"=", "/x"},
		"^~/x":   {"^~", "/x"},
		"~*\\.x": {"~*", "\\.x"},
		"~\\.x":  {"~", "\\.x"},
		"@named": {"@", "@named"},
		"/x":     {"", "/x"},
	} {
		mod, match, err := parseLocationArgs([]string{args})
		if err != "" || mod != want[0] || match != want[1] {
			t.Errorf("%s: %q %q %q", args, mod, match, err)
		}
	}
}

func TestInternalRedirects(t *testing.T) {
	cfg := mustLoadString(t, `server { listen 80; server_name r.example;
		rewrite ^/legacy/(.*)$ /new/$1 last;
		location / { try_files $uri $uri/ @app; }
		location @app { proxy_pass http://127.0.0.1:3000; }
		location /old/ { rewrite ^/old/(.*)$ /new/$1 last; }
		location /new/ { proxy_set_header X-New 1; proxy_pass http://127.0.0.1:3001; }
		location /moved/ { rewrite ^ https://elsewhere.example/ permanent; }
		location /gone/ { return 410; }
		location /blog/ { try_files $uri /index.php?$args; }
		location ~ \.php$ { fastcgi_pass 127.0.0.1:9000; }
		location /static/ { try_files $uri =404; }
		location /chain/ { rewrite ^ /old/chained last; }
	}`, LoadOptions{})
	s := cfg.Servers[0]
	app := s.named("@app").Proxy
	newp := s.LocationFor("/new/").Proxy
	php := s.LocationFor("/x.php").Proxy
	cases := map[string]*Proxy{
		"/":          app,
		"/page":      app,
		"/old/x":     newp,
		"/chain/":    newp,
		"/moved/":    nil,
		"/gone/":     nil,
		"/blog/post": php,
		"/static/a":  nil,
		"/legacy/a":  newp,
	}
	for uri, want := range cases {
		if got := s.ProxyFor(uri); got != want {
			t.Errorf("ProxyFor(%s) = %v, want %v", uri, got, want)
		}
	}
	// the static view on the locations
	for uri, want := range map[string]*Proxy{"/": app, "/old/x": newp, "/blog/": php, "/moved/": nil, "/static/": nil, "/chain/": newp} {
		l := s.LocationFor(uri)
		if l.Proxy != want {
			t.Errorf("%s: location proxy %v, want %v", uri, l.Proxy, want)
		}
		if want != nil && (l.Redirect == nil || l.Redirect.Name != "try_files" && l.Redirect.Name != "rewrite") {
			t.Errorf("%s: redirect %v", uri, l.Redirect)
		}
	}
	if n := len(cfg.Proxies()); n != 3 {
		t.Errorf("followed proxies counted again: %d", n)
	}
}

func TestIndexedLocationsMatchTheScan(t *testing.T) {
	var conf strings.Builder
	conf.WriteString("http { server { listen 80;\n")
	for i := range 3 * indexedLocations {
		switch i % 6 {
		case 0:
			fmt.Fprintf(&conf, "  location = /p%d { }\n", i)
		case 1:
			fmt.Fprintf(&conf, "  location /p%d { location /p%d/n { } }\n", i, i)
		case 2:
			fmt.Fprintf(&conf, "  location ^~ /p%d/s { }\n", i-1)
		case 3:
			fmt.Fprintf(&conf, "  location ~ ^/p%d/r { }\n", i-2)
		case 4:
			fmt.Fprintf(&conf, "  location ~* \\.(GIF|png)$ { location ~ /p { } }\n")
		default:
			// nginx refuses a second prefix or exact location of one name.
			fmt.Fprintf(&conf, "  location /p%d/o { }\n", i-4)
			if i == 5 {
				conf.WriteString("  location /p { }\n  location = /p { }\n")
			}
		}
	}
	conf.WriteString("  location / { }\n  location @named { }\n} }\n")
	cfg := mustLoadString(t, conf.String(), LoadOptions{})
	s := cfg.Servers[0]
	if len(s.Locations) <= indexedLocations {
		t.Fatalf("%d locations; the test needs more than %d", len(s.Locations), indexedLocations)
	}
	var uris []string
	for i := range 3 * indexedLocations {
		for _, suffix := range []string{"", "/", "/n", "/n/x", "/s", "/s/a.gif", "/r", "/r.png", "x", "/a.GIF", "/a.png"} {
			uris = append(uris, fmt.Sprintf("/p%d%s", i, suffix))
		}
	}
	uris = append(uris, "/", "/p", "/p/", "/q", "", "/a.png", "@named")
	for _, uri := range uris {
		got, gotFinal := findLocation(s.sc, s.Locations, uri)
		want, wantFinal := searchLevel(nil, s.Locations, uri) // the level scanned
		if got != want || gotFinal != wantFinal {
			t.Errorf("%q: %v (final %v), want %v (final %v)", uri, got, gotFinal, want, wantFinal)
		}
	}
}

// FuzzLocationIndex builds a level of more than indexedLocations locations
// from the input, one per line ("=", "^~", "~", "~*" or "" then the match;
// a leading ">" nests it in the previous location), and checks that the
// indexed search and the plain scan choose the same location for uri and
// for every location's own match.
func FuzzLocationIndex(f *testing.F) {
	f.Add("= /a\n/a\n^~ /a/b\n~ ^/a/c\n~* \\.png$\n>/a/x\n/\n", "/a/b/c.png")
	f.Add("/\n/p\n/p\n= /p\n^~ /p/q\n>~ q$\n~ (\n", "/p/q")
	f.Fuzz(func(t *testing.T, spec, uri string) {
		sc := &scope{kind: kindServer}
		var locs []*Location
		add := func(line string) {
			nested := strings.HasPrefix(line, ">")
			line = strings.TrimPrefix(line, ">")
			mod, match := "", line
			for _, m := range []string{"^~ ", "~* ", "~ ", "= "} {
				if rest, ok := strings.CutPrefix(line, m); ok {
					mod, match = strings.TrimSpace(m), rest
					break
				}
			}
			l := &Location{Modifier: mod, Match: match}
			l.sc = &scope{kind: kindLocation, loc: l}
			if mod == "~" || mod == "~*" {
				expr := match
				if mod == "~*" {
					expr = "(?i)" + expr
				}
				l.re, _ = regexp.Compile(expr)
			}
			if nested && len(locs) > 0 {
				parent := locs[len(locs)-1]
				parent.Locations = append(parent.Locations, l)
				return
			}
			locs = append(locs, l)
		}
		for _, line := range strings.Split(spec, "\n") {
			add(line)
		}
		for i := 0; len(locs) <= indexedLocations; i++ {
			add(fmt.Sprintf("/pad%d", i))
		}
		uris := []string{uri}
		for _, l := range locs {
			uris = append(uris, l.Match, l.Match+"/x")
		}
		for _, u := range uris {
			got, gotFinal := findLocation(sc, locs, u)
			want, wantFinal := searchLevel(nil, locs, u) // the level scanned
			if got != want || gotFinal != wantFinal {
				t.Fatalf("%q: indexed %v (final %v), scan %v (final %v)", u, got, gotFinal, want, wantFinal)
			}
		}
	})
}
