package lint

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// countingReplayer counts the replays the rules ask for.
type countingReplayer struct {
	inner rules.Replayer
	n     *atomic.Int64
}

func (c countingReplayer) Replay(p *rules.Path, inject string) (rules.Replay, bool) {
	c.n.Add(1)
	return c.inner.Replay(p, inject)
}

func (c countingReplayer) Arrive(p *rules.Path, inject string) (trustmodel.Request, bool) {
	c.n.Add(1)
	return c.inner.Arrive(p, inject)
}

func (c countingReplayer) Injections(p *rules.Path) []rules.Injection { return c.inner.Injections(p) }

// TestRulesReplayLinearly guards against a rule that recomputes something
// over every path for each path it checks: doubling a fleet may at most
// double the replays every rule asks for. (A fleet of 2,000 servers once
// took 8 s in TC203, which computed the suggested trust value per path.)
func TestRulesReplayLinearly(t *testing.T) {
	const tlsServer = `    server {
        listen 443 ssl;
        server_name app%d.example;
        location / {
            proxy_pass http://127.0.0.1:3000;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }
    }
`
	apps := map[string]string{
		"trust false, secure session": "  trust_proxy: false\n  session:\n    cookie_secure: true\n",
		"trust true":                  "  trust_proxy: true\n",
		"trust 2":                     "  trust_proxy: 2\n",
		"trust loopback":              "  trust_proxy: loopback\n",
	}
	replays := func(t *testing.T, app string, n int) int64 {
		var conf strings.Builder
		conf.WriteString("events {}\nhttp {\n")
		for i := range n {
			fmt.Fprintf(&conf, tlsServer, i)
		}
		conf.WriteString("}\n")
		yaml := "version: 1\napp:\n  framework: express\n  listen: 127.0.0.1:3000\n" + app
		dir := writeFiles(t, map[string]string{"nginx.conf": conf.String(), "trustcheck.yaml": yaml})
		pr, err := prepare(Options{Inputs: []string{filepath.Join(dir, "nginx.conf")}})
		if err != nil {
			t.Fatal(err)
		}
		var count atomic.Int64
		for _, p := range pr.paths {
			p.Clients = countingReplayer{p.Clients, &count}
		}
		rules.NewPass(pr.ng, pr.cfg, pr.app, pr.paths).Run(rules.All())
		return count.Load()
	}
	for name, app := range apps {
		t.Run(name, func(t *testing.T) {
			small, large := replays(t, app, 20), replays(t, app, 40)
			if small == 0 || float64(large) > 2.1*float64(small) {
				t.Errorf("20 servers: %d replays, 40 servers: %d; want at most %.0f", small, large, 2.1*float64(small))
			}
		})
	}
}

// objectFleet writes n servers that each bring their own http-level objects
// (upstream, limit zone), TLS protocols, realip settings and suppression,
// and returns the nginx.conf path (trustcheck.yaml is beside it).
func objectFleet(tb testing.TB, n int) string {
	const server = `    upstream app%[1]d { server 127.0.0.1:3000; }
    limit_req_zone $binary_remote_addr zone=z%[1]d:1m rate=1r/s;
    server {
        listen 443 ssl;
        server_name app%[1]d.example;
        ssl_protocols TLSv1 TLSv1.2;
        set_real_ip_from 127.0.0.1;
        real_ip_header x-forwarded-for;
        location / {
            limit_req zone=z%[1]d;
            # trustcheck:ignore TC301 reason: a host allowlist in front
            proxy_pass http://app%[1]d;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
`
	var conf strings.Builder
	conf.WriteString("events {}\nhttp {\n")
	for i := range n {
		fmt.Fprintf(&conf, server, i)
	}
	conf.WriteString("}\n")
	yaml := "version: 1\napp:\n  framework: express\n  trust_proxy: loopback\n  listen: 127.0.0.1:3000\n"
	return filepath.Join(writeFiles(tb, map[string]string{"nginx.conf": conf.String(), "trustcheck.yaml": yaml}), "nginx.conf")
}

// TestLintAllocatesLinearly fails when doubling an objectFleet more than
// doubles lint's allocations: work done for every pair of servers that
// allocates (TC111 once compiled each limit zone's key for every place).
func TestLintAllocatesLinearly(t *testing.T) {
	allocs := func(n int) float64 {
		conf := objectFleet(t, n)
		o := Options{Inputs: []string{conf}, WorkDir: filepath.Dir(conf)}
		return testing.AllocsPerRun(1, func() {
			if _, err := Lint(o); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(100), allocs(200)
	if large > 2.2*small {
		t.Errorf("100 servers: %.0f allocations, 200 servers: %.0f; want at most %.0f", small, large, 2.2*small)
	}
}

// inlineFleet writes n servers shaped like `fleetgen -shape inline`, one
// file each: realip ranges written in every server (a distinct /24 each),
// the server's own header list, a WebSocket location nested in location /
// with its own list, a regex location with try_files. It returns the
// nginx.conf path.
func inlineFleet(tb testing.TB, n int) string {
	tb.Helper()
	files := map[string]string{
		"nginx.conf": "events {}\nhttp {\n    map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n" +
			"    upstream pool { server 127.0.0.1:3000; }\n    include site*.conf;\n}\n",
		"trustcheck.yaml": "version: 1\napp:\n  framework: express\n  framework_version: \"5\"\n  trust_proxy: loopback\n  listen: 127.0.0.1:3000\n",
	}
	for i := 0; i < n; i++ {
		files[fmt.Sprintf("site%05d.conf", i)] = fmt.Sprintf(`server {
    listen 80;
    server_name site%d.example;
    set_real_ip_from 10.%d.%d.0/24;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    location / {
        proxy_pass http://pool;
        location /ws/ {
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_pass http://pool;
        }
    }
    location ~* \.(css|js)$ { root html; try_files $uri =404; }
}
`, i, i>>8, i&255)
	}
	return filepath.Join(writeFiles(tb, files), "nginx.conf")
}

// TestLintReleasesInlineFleet fails when lint holds a fleet written one
// file per server as trees, or keeps what it checked part by part. Loaded,
// the server blocks are packed (about their text's size; with their trees
// lint held 6 times the text); once every part is checked, what is live (findings,
// the realip sites and the rules' summaries) must stay within 10 times the
// text (7 today). The realip and header caches and the rules' realip places and kept
// directives once held every server's scopes, proxies and file: 19 times.
func TestLintReleasesInlineFleet(t *testing.T) {
	conf := inlineFleet(t, 20*partServers)
	var text int64
	err := filepath.WalkDir(filepath.Dir(conf), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, ierr := d.Info(); ierr == nil {
				text += info.Size()
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]uint64{}
	heapCheckpoint = func(stage string) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live[stage] = ms.HeapAlloc
	}
	defer func() { heapCheckpoint = nil }()
	rep, err := Lint(Options{Inputs: []string{conf}, WorkDir: filepath.Dir(conf)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Findings.Len() == 0 {
		t.Fatal("no findings")
	}
	mb := func(n uint64) float64 { return float64(n) / 1e6 }
	if live["loaded"] > uint64(4*text) {
		t.Errorf("live heap %.1f MB loaded, for %.1f MB of files: the servers' trees are held", mb(live["loaded"]), mb(uint64(text)))
	}
	if live["checked"] > uint64(10*text) {
		t.Errorf("live heap %.1f MB once checked, for %.1f MB of files: what the parts built is kept", mb(live["checked"]), mb(uint64(text)))
	}
	t.Logf("%.1f MB of files; live heap: loaded %.1f MB, checked %.1f MB", mb(uint64(text)), mb(live["loaded"]), mb(live["checked"]))
}
