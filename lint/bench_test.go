package lint

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
)

// writeFleet writes an n-server tree shaped like scripts/fleetgen's: shared
// realip and proxy header snippets, nested and WebSocket locations, upstream
// pools on loopback, and a trustcheck.yaml. It returns the nginx.conf path.
func writeFleet(tb testing.TB, n int) string {
	tb.Helper()
	var vhosts strings.Builder
	for i := 0; i < n; i++ {
		pool := i % 50
		fmt.Fprintf(&vhosts, `server {
    listen %d;
    server_name site%d.example www.site%d.example;
    include proxy_headers.conf;
    location / { proxy_pass http://pool%d; }
    location /api/ {
        location /api/v1/ { proxy_pass http://pool%d; }
        location ~ ^/api/v2/(?<rest>.*)$ { proxy_pass http://pool%d/v2/$rest$is_args$args; }
    }
    location /ws/ {
        include ws_headers.conf;
        proxy_pass http://pool%d;
    }
    location = /healthz { return 200 "ok\n"; }
}
`, 8000+i%8, i, i, pool, pool, pool, pool)
	}
	var pools strings.Builder
	for p := 0; p < min(n, 50); p++ {
		fmt.Fprintf(&pools, "upstream pool%d { server 127.0.0.1:3000; }\n", p)
	}
	files := map[string]string{
		"nginx.conf": "events {}\nhttp {\n    include realip.conf;\n" +
			"    map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n" +
			"    include pools.conf;\n    include vhosts.conf;\n}\n",
		"realip.conf":        "set_real_ip_from 127.0.0.1;\nset_real_ip_from ::1;\nreal_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n",
		"proxy_headers.conf": "proxy_set_header Host $host;\nproxy_set_header X-Real-IP $remote_addr;\nproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\nproxy_set_header X-Forwarded-Proto $scheme;\n",
		"ws_headers.conf":    "proxy_http_version 1.1;\nproxy_set_header Host $host;\nproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\nproxy_set_header X-Forwarded-Proto $scheme;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection $connection_upgrade;\n",
		"pools.conf":         pools.String(),
		"vhosts.conf":        vhosts.String(),
		"trustcheck.yaml":    "version: 1\napp:\n  framework: express\n  framework_version: \"5\"\n  trust_proxy: loopback\n  listen: 127.0.0.1:3000\n",
	}
	return filepath.Join(writeFiles(tb, files), "nginx.conf")
}

func prepareFleet(b *testing.B, n int) *prepared {
	b.Helper()
	pr, err := prepare(Options{Inputs: []string{writeFleet(b, n)}})
	if err != nil {
		b.Fatal(err)
	}
	if len(pr.paths) != 4*n {
		b.Fatalf("%d paths, want %d", len(pr.paths), 4*n)
	}
	return pr
}

// BenchmarkReplayPath replays the honest client and every hostile one
// through one path of a fleet.
func BenchmarkReplayPath(b *testing.B) {
	path := prepareFleet(b, 1).paths[0]
	b.ReportAllocs()
	for b.Loop() {
		path.Honest()
		path.Hostile()
	}
}

// BenchmarkBuildPaths enumerates the paths of a 1,000-server fleet.
func BenchmarkBuildPaths(b *testing.B) {
	pr := prepareFleet(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		buildPaths(pr.ng, pr.cfg, pr.app)
	}
}

// BenchmarkRulesFleet runs every rule over a 1,000-server fleet, then
// merges and sorts the findings as lint does.
func BenchmarkRulesFleet(b *testing.B) {
	pr := prepareFleet(b, 1000)
	all := rules.All()
	b.ReportAllocs()
	for b.Loop() {
		fs := rules.NewPass(pr.ng, pr.cfg, pr.app, pr.paths).Run(all)
		mergedAndSorted(fs)
	}
}

// BenchmarkLintObjectFleet lints 2,000 servers that each define an
// upstream and a limit zone at http level, TLS protocols and realip: the
// shape that made lookups and TC111, TC402 and TC404 grow with the square
// of the fleet.
func BenchmarkLintObjectFleet(b *testing.B) {
	conf := objectFleet(b, 2000)
	o := Options{Inputs: []string{conf}, WorkDir: filepath.Dir(conf)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Lint(o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLintInlineFleet lints 1,000 servers with their own realip
// ranges and header lists, one file each (the shape whose caches and kept
// directives held every server).
func BenchmarkLintInlineFleet(b *testing.B) {
	conf := inlineFleet(b, 1000)
	o := Options{Inputs: []string{conf}, WorkDir: filepath.Dir(conf)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Lint(o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderFleet renders the findings of 1,000 inline servers in
// each format (SARIF writes its results one by one into the encoded log).
func BenchmarkRenderFleet(b *testing.B) {
	conf := inlineFleet(b, 1000)
	rep, err := Lint(Options{Inputs: []string{conf}, WorkDir: filepath.Dir(conf)})
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"text", "json", "sarif", "github"} {
		b.Run(format, func(b *testing.B) {
			render, err := formatter(format)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := render(io.Discard, rep, Options{Version: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
