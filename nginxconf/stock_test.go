package nginxconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// TestStockIncludes: an include of fastcgi_params (or fastcgi.conf,
// uwsgi_params, scgi_params, Debian's snippets/fastcgi-php.conf) that finds no
// file reads nginx's stock copy, placed at the include's line, with a
// warning; a file in the tree wins.
func TestStockIncludes(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	text := "http {\n" +
		"  server {\n" +
		"    listen 80;\n" +
		"    location ~ \\.php$ {\n" +
		"      include snippets/fastcgi-php.conf;\n" +
		"      fastcgi_pass unix:/run/php/php8.2-fpm.sock;\n" +
		"    }\n" +
		"    location /py {\n" +
		"      include /etc/nginx/uwsgi_params;\n" +
		"      uwsgi_pass 127.0.0.1:3031;\n" +
		"    }\n" +
		"    location /own {\n" +
		"      include scgi_params;\n" +
		"      scgi_pass 127.0.0.1:4000;\n" +
		"    }\n" +
		"  }\n" +
		"}\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// The tree's own scgi_params: one param only.
	if err := os.WriteFile(filepath.Join(dir, "scgi_params"), []byte("scgi_param REMOTE_ADDR $realip_remote_addr;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(LoadOptions{Prefix: dir, NginxVersion: "1.22.1"}, conf)
	if err != nil {
		t.Fatal(err)
	}
	byURI := map[string]*Proxy{}
	for _, px := range cfg.Proxies() {
		byURI[px.Location.Match] = px
	}
	php := byURI[`\.php$`]
	if php == nil || len(php.Params) != 21 {
		t.Fatalf("php location: want fastcgi.conf's 20 params and the snippet's PATH_INFO, got %+v", php)
	}
	for _, prm := range php.Params {
		if prm.Pos != (trustmodel.Pos{File: conf, Line: 5}) {
			t.Errorf("php param %s at %v, want the include's line %s:5", prm.Name, prm.Pos, conf)
		}
	}
	if php.Params[0].Name != "PATH_INFO" || php.Params[1].Name != "SCRIPT_FILENAME" {
		t.Errorf("php params start with %s", php.Params[0].Name)
	}
	req := php.Hop.Forward(trustmodel.Request{Peer: "203.0.113.7", TLS: true, Headers: trustmodel.Header{{Name: "Host", Value: "a.example"}, {Name: "X-Forwarded-For", Value: "6.6.6.6"}}})
	if req.Peer != "203.0.113.7" || !req.TLS || strings.Join(req.Headers.Lines("X-Forwarded-For"), ",") != "6.6.6.6" {
		t.Errorf("php app gets %+v", req)
	}
	py := byURI["/py"]
	if py == nil || py.Hop.Gateway == nil || py.Hop.Gateway.RemoteAddr == nil || py.Hop.Gateway.RemoteAddr.String() != "$remote_addr" {
		t.Errorf("/py: uwsgi_params not read: %+v", py)
	}
	own := byURI["/own"]
	if own == nil || len(own.Params) != 1 || own.Params[0].Value != "$realip_remote_addr" {
		t.Errorf("/own: the tree's scgi_params not read: %+v", own)
	}
	var warned []string
	for _, w := range cfg.Warnings {
		if strings.Contains(w.Message, "stock copy") {
			warned = append(warned, w.Message)
		}
	}
	if len(warned) != 2 {
		t.Errorf("want a warning for each stock include (the snippet and uwsgi_params), got %q", warned)
	}
	for _, f := range cfg.Files {
		if strings.HasPrefix(f.Path, stockPrefix) {
			t.Errorf("stock copy %s listed among the tree's files", f.Path)
		}
	}
}
