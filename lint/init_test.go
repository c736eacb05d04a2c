package lint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// initDir copies a fixture's nginx.conf (or writes conf) into a temporary
// directory and returns the nginx.conf path there.
func initDir(t *testing.T, fixture, conf string) string {
	t.Helper()
	dir := t.TempDir()
	if fixture != "" {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "rules", fixture, "nginx.conf"))
		if err != nil {
			t.Fatal(err)
		}
		conf = string(data)
	}
	name := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(name, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func runInit(t *testing.T, o InitOptions) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := RunInit(o, &out)
	return out.String(), err
}

// readInit parses the written trustcheck.yaml as lint does.
func readInit(t *testing.T, dir string) (*trustmodel.Config, string) {
	t.Helper()
	name := filepath.Join(dir, "trustcheck.yaml")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := trustmodel.ParseConfig(name, data)
	if err != nil {
		t.Fatalf("the generated file does not parse: %v\n%s", err, data)
	}
	return cfg, string(data)
}

func TestInitFromLoopbackConfig(t *testing.T) {
	conf := initDir(t, "TC101/trust-true-append", "")
	dir := filepath.Dir(conf)
	out, err := runInit(t, InitOptions{Inputs: []string{conf}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "wrote "+filepath.Join(dir, "trustcheck.yaml")) {
		t.Errorf("output: %q", out)
	}
	cfg, text := readInit(t, dir)
	if cfg.Version != 1 || cfg.Apps[0].Framework != "express" || cfg.Apps[0].FrameworkVersion != "5" {
		t.Errorf("app: %+v", cfg.Apps[0])
	}
	if cfg.Apps[0].Listen != "127.0.0.1:3000" {
		t.Errorf("listen %q, want 127.0.0.1:3000", cfg.Apps[0].Listen)
	}
	if cfg.Apps[0].TrustProxySet {
		t.Errorf("trust_proxy is set (%v); init must leave it to the user", cfg.Apps[0].TrustProxy)
	}
	if len(cfg.Edge) != 0 || cfg.Nginx.Config != "nginx.conf" || cfg.Nginx.ConnectsFrom != "" {
		t.Errorf("edge %v, nginx %+v", cfg.Edge, cfg.Nginx)
	}
	if !strings.Contains(text, "EXACTLY what your app passes") {
		t.Errorf("trust_proxy is not explained:\n%s", text)
	}
	// The suggestion, uncommented, is a valid setting.
	sugg := regexp.MustCompile(`(?m)^  # trust_proxy: (\S+)$`).FindStringSubmatch(text)
	if sugg == nil || sugg[1] != "loopback" {
		t.Fatalf("suggested trust_proxy: %q\n%s", sugg, text)
	}
	on := strings.Replace(text, "  # trust_proxy: loopback", "  trust_proxy: loopback", 1)
	cfg2, err := trustmodel.ParseConfig("t.yaml", []byte(on))
	if err != nil || !cfg2.Apps[0].TrustProxySet || cfg2.Apps[0].TrustProxy != "loopback" {
		t.Errorf("uncommented suggestion: %v, %+v", err, cfg2)
	}
	// lint reads the file without complaint.
	if _, err := Lint(Options{Inputs: []string{conf}, WorkDir: t.TempDir()}); err != nil {
		t.Errorf("lint with the generated file: %v", err)
	}
}

func TestInitDocumentsEveryKey(t *testing.T) {
	conf := initDir(t, "TC101/trust-true-append", "")
	if _, err := runInit(t, InitOptions{Inputs: []string{conf}}); err != nil {
		t.Fatal(err)
	}
	_, text := readInit(t, filepath.Dir(conf))
	var comments []string
	for _, l := range strings.Split(text, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(l), "#"); ok {
			comments = append(comments, c)
		}
	}
	all := strings.Join(comments, "\n")
	for _, key := range []string{
		"version", "app", "framework", "framework_version", "trust_proxy", "listen", "reachable_directly",
		"session", "cookie_secure", "proxy", "uses", "options",
		"edge", "name", "preset", "addresses", "x_forwarded_for", "x_forwarded_proto", "x_forwarded_host", "tls",
		"nginx", "config", "connects_from",
	} {
		if !regexp.MustCompile(`(?m)(^|[ {])` + key + `:`).MatchString(all) {
			t.Errorf("key %s is not documented in a comment", key)
		}
	}
	for _, preset := range trustmodel.PresetNames() {
		if !strings.Contains(all, preset) {
			t.Errorf("preset %s is not mentioned", preset)
		}
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	conf := initDir(t, "TC101/trust-true-append", "")
	name := filepath.Join(filepath.Dir(conf), "trustcheck.yaml")
	mine := "version: 1\napp:\n  trust_proxy: 1\n"
	if err := os.WriteFile(name, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runInit(t, InitOptions{Inputs: []string{conf}})
	if !errors.Is(err, ErrInitExists) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v; want ErrInitExists naming the file and --force", err)
	}
	if data, _ := os.ReadFile(name); string(data) != mine {
		t.Errorf("the existing file was changed:\n%s", data)
	}
	if _, err := runInit(t, InitOptions{Inputs: []string{conf}, Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	cfg, _ := readInit(t, filepath.Dir(conf))
	if cfg.Apps[0].TrustProxySet || cfg.Apps[0].Listen != "127.0.0.1:3000" {
		t.Errorf("--force did not rewrite the file: %+v", cfg.Apps[0])
	}
}

func TestInitWithoutConfigWritesInWorkDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := runInit(t, InitOptions{WorkDir: dir}); err != nil {
		t.Fatal(err)
	}
	cfg, text := readInit(t, dir)
	if cfg.Apps[0].Listen != "" || cfg.Nginx.Config != "" || cfg.Apps[0].Framework != "express" {
		t.Errorf("without a config: %+v %+v", cfg.Apps[0], cfg.Nginx)
	}
	if !strings.Contains(text, `# listen: "127.0.0.1:3000"`) {
		t.Errorf("listen example missing:\n%s", text)
	}
}

func TestInitRemoteTarget(t *testing.T) {
	conf := initDir(t, "", `events {}
http {
    server {
        listen 80;
        server_name app.example;
        location / {
            proxy_pass http://10.0.0.5:3000;
        }
    }
}
`)
	if _, err := runInit(t, InitOptions{Inputs: []string{conf}}); err != nil {
		t.Fatal(err)
	}
	cfg, text := readInit(t, filepath.Dir(conf))
	if cfg.Apps[0].Listen != "10.0.0.5:3000" {
		t.Errorf("listen %q", cfg.Apps[0].Listen)
	}
	for _, want := range []string{
		"nginx proxies to a remote host (http://10.0.0.5:3000): set this",
		"# connects_from: 10.0.0.2",
		"# trust_proxy: NGINX_ADDRESS",
		"see reachable_directly",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q:\n%s", want, text)
		}
	}
}

func TestInitUnixSocketAndCDN(t *testing.T) {
	conf := initDir(t, "", `events {}
http {
    set_real_ip_from 173.245.48.0/20;
    real_ip_header CF-Connecting-IP;
    server {
        listen 443 ssl;
        server_name app.example;
        location / {
            proxy_pass http://unix:/run/app.sock;
        }
    }
}
`)
	if _, err := runInit(t, InitOptions{Inputs: []string{conf}}); err != nil {
		t.Fatal(err)
	}
	cfg, text := readInit(t, filepath.Dir(conf))
	if cfg.Apps[0].Listen != "unix:/run/app.sock" {
		t.Errorf("listen %q", cfg.Apps[0].Listen)
	}
	for _, want := range []string{"# trust_proxy: 1", "#   - preset: cloudflare", "set_real_ip_from trusts cloudflare's addresses"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q:\n%s", want, text)
		}
	}
	if len(cfg.Edge) != 0 {
		t.Errorf("edge is filled in: %v", cfg.Edge)
	}
}

func TestInitBadConfigFails(t *testing.T) {
	conf := initDir(t, "", "http { server { location / { proxy_pass http://127.0.0.1:3000 } }\n")
	if _, err := runInit(t, InitOptions{Inputs: []string{conf}}); err == nil {
		t.Errorf("a broken nginx file did not fail")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(conf), "trustcheck.yaml")); err == nil {
		t.Errorf("a file was written for a broken configuration")
	}
}

// TestInitListsTargets: with several proxy_pass targets, init lists them
// under a commented upstreams rather than guessing which is the app, and
// the uncommented line is valid YAML for the app.
func TestInitListsTargets(t *testing.T) {
	conf := initDir(t, "TC302/other-service", "")
	if _, err := runInit(t, InitOptions{Inputs: []string{conf}}); err != nil {
		t.Fatal(err)
	}
	cfg, text := readInit(t, filepath.Dir(conf))
	if cfg.Apps[0].Upstreams != nil {
		t.Errorf("upstreams set without the user: %q", cfg.Apps[0].Upstreams)
	}
	want := `  # upstreams: ["127.0.0.1:3000", "127.0.0.1:9000"]`
	if !strings.Contains(text, want) {
		t.Fatalf("no %q in\n%s", want, text)
	}
	on := strings.Replace(text, want, `  upstreams: ["127.0.0.1:3000"]`, 1)
	c2, err := trustmodel.ParseConfig("t.yaml", []byte(on))
	if err != nil || !slices.Equal(c2.Apps[0].Upstreams, []string{"127.0.0.1:3000"}) {
		t.Errorf("uncommented: %v, %+v", err, c2)
	}
}

// TestInitSuggestsEachFrameworksOwnTrust writes trustcheck.yaml for every
// framework outside Node and then takes its suggestion: the setting is in
// the framework's own keys and leaves no finding about what the app
// believes (TC1xx, TC2xx) on a config whose only proxy is loopback nginx.
func TestInitSuggestsEachFrameworksOwnTrust(t *testing.T) {
	for _, fw := range trustmodel.Frameworks {
		if trustmodel.NodeFramework(fw) {
			continue
		}
		t.Run(fw, func(t *testing.T) {
			conf := initDir(t, "TC101/trust-true-append", "")
			dir := filepath.Dir(conf)
			if _, err := runInit(t, InitOptions{Inputs: []string{conf}, Framework: fw}); err != nil {
				t.Fatal(err)
			}
			cfg, text := readInit(t, dir)
			if cfg.Apps[0].Framework != fw {
				t.Fatalf("framework %q, want %s", cfg.Apps[0].Framework, fw)
			}
			// Uncomment the suggested keys.
			var taken []string
			lines := strings.Split(text, "\n")
			suggested := false
			for i, l := range lines {
				switch {
				case strings.HasPrefix(l, "  # Suggested"):
					suggested = true
				case suggested && regexp.MustCompile(`^  # (trust_proxy|options|server|middleware): `).MatchString(l):
					lines[i] = "  " + strings.TrimPrefix(l, "  # ")
					taken = append(taken, lines[i])
				case suggested && !strings.HasPrefix(l, "  # "):
					suggested = false
				}
			}
			if len(taken) == 0 {
				t.Fatalf("no suggested keys in\n%s", text)
			}
			name := filepath.Join(dir, "trustcheck.yaml")
			if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := Lint(Options{Inputs: []string{conf}, AppFile: name})
			if err != nil {
				t.Fatalf("%v with %q", err, taken)
			}
			for _, f := range rep.Findings.All() {
				if fw == "django" && f.Rule == "TC104" {
					// No Django setting gives the client address under a WSGI
					// server: REMOTE_ADDR stays nginx's (the file says so).
					continue
				}
				if f.Rule == "TC115" || f.Rule == "TC116" {
					continue // headers nginx passes: no trust setting clears them
				}
				if strings.HasPrefix(f.Rule, "TC1") || strings.HasPrefix(f.Rule, "TC2") {
					t.Errorf("with %q: %s %s", taken, f.Rule, f.Message)
				}
			}
		})
	}
}
