package lint

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustcheck/trustcheck/internal/nginxtest"
)

// FuzzLintPipeline runs the whole lint pipeline (load, model, rules, every
// renderer) on arbitrary nginx bytes and trustcheck.yaml bytes written to a
// temporary directory: it either reports or fails with one line naming a
// file; never a panic.
func FuzzLintPipeline(f *testing.F) {
	app := "version: 1\napp:\n  framework: express\n  framework_version: \"5\"\n  trust_proxy: loopback\n  listen: 127.0.0.1:3000\n"
	for _, s := range []struct{ conf, yaml string }{
		{"events {}\nhttp { server { listen 80; location / { proxy_pass http://127.0.0.1:3000; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } } }\n", app},
		{"http { set_real_ip_from 0.0.0.0/0; real_ip_header X-Forwarded-For; real_ip_recursive on; server { location / { proxy_pass http://127.0.0.1:3000; } } }\n", "app: {trust_proxy: true}\n"},
		{"http { map $http_upgrade $c { default upgrade; '' close; } upstream u { server 127.0.0.1:3000; } server { listen 443 ssl; location /ws/ { proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $c; proxy_pass http://u; } } }\n", "app: {framework: fastify, trust_proxy: 1}\n"},
		{"http { server { location / { location /a/ { proxy_pass http://[::1]:3000; } } } }\r\n", "app: {framework: koa, trust_proxy: true, options: {proxyIpHeader: X-Real-IP}}\n"},
		{"http { server { listen 80; listen 443 ssl; include fastcgi_params; location ~ \\.php$ { include snippets/fastcgi-php.conf; fastcgi_param HTTPS on; fastcgi_pass unix:/run/php.sock; } location /py { uwsgi_param HTTP_X_FORWARDED_FOR $http_x_forwarded_for; uwsgi_pass 127.0.0.1:3031; } } }\n", "app: {framework: laravel, trust_proxy: '*'}\n"},
		{"http { include sub.conf; }", app},
		{"http { server { location / { proxy_pass http://127.0.0.1:3000 } } }", app},
		{"http { server { # trustcheck:disable TC101\n location / { proxy_pass http://127.0.0.1:3000; } } }", "app: {trust_proxy: [loopback, 10.0.0.0/8]}\n"},
		{"\xff\xfe", "a: &a [x]\n"},
		{"", ""},
	} {
		f.Add([]byte(s.conf), []byte(s.yaml))
	}
	f.Fuzz(func(t *testing.T, conf, yml []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			fuzzLintPipeline(t, conf, yml)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second): // Go's fuzzer has no per-input timeout
			t.Fatalf("no result after 10s for nginx %q and yaml %q", truncate(conf), truncate(yml))
		}
	})
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

func fuzzLintPipeline(t *testing.T, conf, yml []byte) {
	{
		// Includes outside the temporary directory would read the host's
		// files (/dev/zero, /proc); those cases are in main_badinput_test.go.
		if nginxtest.IncludesOutside(conf) {
			return
		}
		dir := t.TempDir()
		nginx := filepath.Join(dir, "nginx.conf")
		yaml := filepath.Join(dir, "trustcheck.yaml")
		if err := os.WriteFile(nginx, conf, 0o644); err != nil {
			t.Error(err)
			return
		}
		if err := os.WriteFile(yaml, yml, 0o644); err != nil {
			t.Error(err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "sub.conf"), []byte("server { listen 8080; location / { proxy_pass http://127.0.0.1:3000; } }\n"), 0o644); err != nil {
			t.Error(err)
			return
		}
		for _, format := range []string{"text", "json", "sarif", "github"} {
			var stderr bytes.Buffer
			_, err := Run(Options{Inputs: []string{nginx}, AppFile: yaml, Format: format, FailOn: "warning", Prefix: dir, WorkDir: dir, Stdin: strings.NewReader("")}, io.Discard, &stderr)
			if err != nil {
				msg := err.Error()
				if strings.Contains(msg, "\n") {
					t.Errorf("multi-line error: %q", msg)
				}
				if !strings.Contains(msg, dir) && !strings.Contains(msg, "trustcheck.yaml") && !strings.Contains(msg, "nginx.conf") {
					t.Errorf("error names no file: %q", msg)
				}
				return // the error does not depend on the format
			}
		}
		// Where lint cuts the configuration into parts may not change
		// the findings (TestPartsDoNotChangeFindings).
		o := Options{Inputs: []string{nginx}, AppFile: yaml, Prefix: dir, WorkDir: dir, Stdin: strings.NewReader("")}
		whole, werr := lint(o, math.MaxInt)
		parts, perr := lint(o, 1)
		if werr != nil || perr != nil {
			t.Errorf("lint failed after Run did not: %v, %v", werr, perr)
			return
		}
		var a, b bytes.Buffer
		if err := renderJSON(&a, whole, o); err != nil {
			t.Error(err)
		}
		if err := renderJSON(&b, parts, o); err != nil {
			t.Error(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("one server at a time gives\n%s\nall at once\n%s", b.Bytes(), a.Bytes())
		}
	}
}
