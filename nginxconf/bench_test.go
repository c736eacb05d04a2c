package nginxconf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fleetConfig is an http{} with n servers, each with three locations,
// realip, a map and inherited proxy headers: a large fleet's shape.
func fleetConfig(n int) string {
	var b strings.Builder
	b.WriteString("events {}\nhttp {\n  map $http_x_forwarded_proto $fwd_proto { default $scheme; https https; }\n")
	b.WriteString("  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n  upstream app { server 127.0.0.1:3000; server localhost:3001; }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  server {
    listen %d;
    listen [::]:%d ssl;
    server_name s%d.example.com www.s%d.example.com;
    set_real_ip_from 10.0.0.0/8;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-Proto $fwd_proto;
    location / { proxy_pass http://app; }
    location /api/ {
      set $client $remote_addr;
      if ($http_x_client) { set $client $http_x_client; }
      proxy_set_header X-Client $client;
      proxy_pass http://127.0.0.1:4000;
    }
    location ~ \.php$ { fastcgi_pass unix:/run/php.sock; }
  }
`, 10000+i%50000, 20000+i%40000, i, i)
	}
	b.WriteString("}\n")
	return b.String()
}

func writeFleet(tb testing.TB, n int) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "nginx.conf")
	if err := os.WriteFile(p, []byte(fleetConfig(n)), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func BenchmarkLoadFleet(b *testing.B) {
	for _, n := range []int{100, 1000} {
		p := writeFleet(b, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Load(LoadOptions{}, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// writeFleetTree writes n vhost files that include shared snippets, as
// fleets are laid out (scripts/fleetgen writes the benchmark's bigger tree).
func writeFleetTree(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("nginx.conf", "events {}\nhttp {\n  include shared/realip.conf;\n  include vhosts/*.conf;\n}\n")
	write("shared/realip.conf", "set_real_ip_from 127.0.0.1;\nreal_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n")
	write("shared/proxy.conf", "proxy_set_header Host $host;\nproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\nproxy_set_header X-Forwarded-Proto $scheme;\n")
	for i := 0; i < n; i++ {
		write(fmt.Sprintf("vhosts/site%05d.conf", i), fmt.Sprintf(`server {
    listen %d;
    server_name site%d.example;
    include shared/proxy.conf;
    location / { proxy_pass http://127.0.0.1:3000; }
    location /api/ {
        location /api/v1/ { proxy_pass http://127.0.0.1:3000; }
    }
    location /ws/ {
        proxy_set_header Upgrade $http_upgrade;
        proxy_pass http://127.0.0.1:3000;
    }
}
`, 8000+i%8, i))
	}
	return filepath.Join(dir, "nginx.conf")
}

// BenchmarkLoadFleetTree loads a tree of vhost files: parsing in parallel,
// include expansion and the model of every server.
func BenchmarkLoadFleetTree(b *testing.B) {
	p := writeFleetTree(b, 1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Load(LoadOptions{}, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadLargeServer loads one server of n locations, one location
// of n if blocks, each passing to the app, one server of n set directives
// and n locations, and one of n locations rewriting into n others: each
// place's rewrite flow once walked every block of its server and location
// and ran every server-level set, and each redirect scanned every
// location, which made these grow with the square of n. Compare the
// sizes' ns/op.
func BenchmarkLoadLargeServer(b *testing.B) {
	shapes := map[string]func(i int) string{
		"locations": func(i int) string {
			return fmt.Sprintf("    location /p%d/ { proxy_pass http://127.0.0.1:3000; }\n", i)
		},
		"ifs": func(i int) string {
			return fmt.Sprintf("    if ($http_x_%d) { proxy_pass http://127.0.0.1:3000; }\n", i)
		},
		"sets-and-locations": func(i int) string {
			return fmt.Sprintf("    set $v%d $http_x_%d;\n    location /p%d/ { proxy_pass http://127.0.0.1:3000; }\n", i, i, i)
		},
		"rewrites": func(i int) string {
			return fmt.Sprintf("    location /old%d/ { rewrite ^/old%d/(.*)$ /new%d/$1 last; }\n    location /new%d/ { proxy_pass http://127.0.0.1:3000; }\n", i, i, i, i)
		},
	}
	for _, shape := range []string{"locations", "ifs", "sets-and-locations", "rewrites"} {
		for _, n := range []int{1000, 4000} {
			var conf strings.Builder
			conf.WriteString("events {}\nhttp {\n  server {\n    listen 80;\n")
			if shape == "ifs" {
				conf.WriteString("    location / {\n")
			}
			for i := range n {
				conf.WriteString(shapes[shape](i))
			}
			if shape == "ifs" {
				conf.WriteString("    proxy_pass http://127.0.0.1:3000;\n    }\n")
			}
			conf.WriteString("  }\n}\n")
			p := filepath.Join(b.TempDir(), "nginx.conf")
			if err := os.WriteFile(p, []byte(conf.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s-%d", shape, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := Load(LoadOptions{}, p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCheckStructure is the structural checks alone on a loaded
// fleet's expanded tree: their share of BenchmarkLoadFleet.
func BenchmarkCheckStructure(b *testing.B) {
	p := writeFleet(b, 1000)
	l := &loader{cache: map[fileKey]*srcFile{}}
	roots := l.collectRoots([]string{p})
	l.preparse(roots)
	er := l.expandRoot(roots[0])
	if len(er.errs) > 0 {
		b.Fatal(er.errs)
	}
	ver, _ := ParseVersion("")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sc := &structChecker{tables: tablesFor(ver), ver: ver}
		sc.checkStructure(er.dirs)
		if len(sc.errs) > 0 {
			b.Fatal(sc.errs)
		}
	}
}

// BenchmarkPackServers packs the server blocks of a 1,000-server fleet,
// each file's as the load does, and decodes each once; packed-B/server is
// what a fleet holds per server from its parse to its part.
func BenchmarkPackServers(b *testing.B) {
	dirs, _, diags := parseBytes("nginx.conf", []byte(fleetConfig(1000)))
	if len(diags) > 0 {
		b.Fatal(diags)
	}
	b.ReportAllocs()
	for b.Loop() {
		packed := packServers(newPackDict(), dirs)
		size, servers := 0, 0
		for _, s := range packed[len(packed)-1].Block {
			if s.packed != nil {
				size += len(s.packed.enc)
				servers++
				s.packed.decode()
			}
		}
		b.ReportMetric(float64(size)/float64(servers), "packed-B/server")
	}
}

// BenchmarkParseStream parses a file of 10,000 top-level servers as a
// fleet's one large vhost file is read: lexed in segments on every CPU,
// and lexed whole (no cuts). The scan pass, lexReplica's, is in both.
func BenchmarkParseStream(b *testing.B) {
	var text strings.Builder
	for _, line := range strings.SplitAfter(fleetConfig(10000), "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "  map ") && !strings.HasPrefix(line, "  proxy_set_header") && !strings.HasPrefix(line, "  upstream") {
			text.WriteString(line[2:])
		}
	}
	data := []byte(text.String())
	for _, c := range []struct {
		name    string
		segment int64
	}{{"segments", segmentBytes}, {"whole", int64(len(data)) + 1}} {
		b.Run(c.name, func(b *testing.B) {
			defer func(n int64) { segmentBytes = n }(segmentBytes)
			segmentBytes = c.segment
			b.SetBytes(int64(len(data)))
			dict := newPackDict()
			for i := 0; i < b.N; i++ {
				dirs, _, diags, err := parseStream("vhosts.conf", bytes.NewReader(data), func(d []*Directive) []*Directive { return packServers(dict, d) })
				if err != nil || diags != nil || len(dirs) != 10000 {
					b.Fatalf("%d servers, %v, %v", len(dirs), diags, err)
				}
			}
		})
	}
}
