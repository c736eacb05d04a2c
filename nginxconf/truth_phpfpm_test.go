//go:build linux

package nginxconf_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustcheck/trustcheck/internal/nginxtest"
	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

const (
	phpFPM     = "/usr/sbin/php-fpm8.2"
	symfonyDir = "/usr/share/php/Symfony/Component/HttpFoundation"
)

// phpScript answers with what Symfony's Request resolves under PHP-FPM,
// trusting whatever REMOTE_ADDR is (Symfony's 'REMOTE_ADDR', Laravel's
// '*') for the four X-Forwarded headers.
const phpScript = `<?php
require '` + symfonyDir + `/autoload.php';
use Symfony\Component\HttpFoundation\Request;
Request::setTrustedProxies(['REMOTE_ADDR'], Request::HEADER_X_FORWARDED_FOR | Request::HEADER_X_FORWARDED_HOST | Request::HEADER_X_FORWARDED_PORT | Request::HEADER_X_FORWARDED_PROTO);
$r = Request::createFromGlobals();
try { $ip = $r->getClientIp(); } catch (Exception $e) { $ip = 'raised'; }
try { $secure = $r->isSecure(); } catch (Exception $e) { $secure = 'raised'; }
try { $host = $r->getHost(); } catch (Exception $e) { $host = 'raised'; }
echo json_encode(['ip' => $ip, 'secure' => $secure, 'host' => $host]);
`

// TestPHPFPMTruth runs the whole FastCGI chain for real: nginx (Debian's
// fastcgi_params) in front of PHP-FPM running Symfony's HttpFoundation,
// and compares getClientIp(), isSecure() and getHost() with what the
// model's hop hands trustmodel's Symfony evaluator (server php-fpm), for
// honest and hostile requests over plain HTTP and TLS. Skipped without
// nginx, php-fpm 8.2 or php-symfony-http-foundation.
func TestPHPFPMTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real nginx and php-fpm; skipped in -short mode")
	}
	bin := nginxBinary(t)
	for _, p := range []string{phpFPM, symfonyDir + "/autoload.php", "/etc/nginx/fastcgi_params"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s: %v (apt-get install php8.2-fpm php-symfony-http-foundation nginx-light)", p, err)
		}
	}
	version := nginxVersion(t, bin)
	dir := t.TempDir()
	// php-fpm's workers run as nobody when the test runs as root: they
	// must reach the script.
	for d := dir; d != filepath.Dir(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			break
		}
		if d == os.TempDir() {
			break
		}
	}
	script := filepath.Join(dir, "index.php")
	sock := filepath.Join(dir, "fpm.sock")
	if err := os.WriteFile(script, []byte(phpScript), 0o644); err != nil {
		t.Fatal(err)
	}
	startPHPFPM(t, dir, sock)

	env := &truthEnv{bin: bin, version: version}
	var err error
	env.cert, env.key, env.roots, err = nginxtest.SelfSignedCert(truthHost)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"cert.pem", env.cert}, {"key.pem", env.key}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "nginx.conf")
	text := `events {}
http {
    access_log off;
    client_body_temp_path client_body_temp;
    fastcgi_temp_path fastcgi_temp;
    server {
        listen 127.0.0.1:@PORT@;
        listen 127.0.0.1:@TLSPORT@ ssl;
        ssl_certificate cert.pem;
        ssl_certificate_key key.pem;
        server_name app.example;
        location = /index.php {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME ` + script + `;
            fastcgi_pass unix:` + sock + `;
        }
    }
}
`
	listeners := render(t, text, "", nil, conf)
	if err := env.launch(t, dir, conf, listeners); err != nil {
		t.Fatal(err)
	}
	cfg, err := nginxconf.Load(nginxconf.LoadOptions{Prefix: dir, NginxVersion: version}, conf)
	if err != nil {
		t.Fatal(err)
	}
	px := serverForPort(cfg, listeners[0].port).LocationFor("/index.php").Proxy
	ev, err := frameworks.New(trustmodel.App{Framework: "symfony", Version: "5.4", TrustProxy: "REMOTE_ADDR", TrustProxySet: true,
		Options: map[string]any{"trusted_headers": 30}, Server: map[string]any{"name": "php-fpm"}})
	if err != nil {
		t.Fatal(err)
	}
	requests := [][]string{
		nil,
		{"X-Forwarded-For: 6.6.6.6"},
		{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 7.7.7.7"},
		{"X-FORWARDED-FOR: 6.6.6.6", "x-forwarded-for: 7.7.7.7, 8.8.8.8"},
		{"X-Forwarded-For: 6.6.6.6, unknown"},
		{"X-Forwarded-Proto: https"},
		{"X-Forwarded-Proto: http"},
		{"X-Forwarded-Host: evil.example"},
		{"X-Forwarded-Host: evil.example", "X-Forwarded-Host: other.example"},
		{"Host: evil.example:8443"},
		{"X-Forwarded-Proto: https", "X-Forwarded-Port: 443", "X-Forwarded-For: 2001:db8::6"},
	}
	compared := 0
	for _, ln := range listeners {
		for _, src := range []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.9")} {
			for _, extra := range requests {
				lines := append([]string{}, extra...)
				if !strings.HasPrefix(strings.Join(lines, "|"), "Host:") {
					lines = append([]string{"Host: " + truthHost}, lines...)
				}
				lines = append(lines, "Connection: close")
				body, err := sendForBody(env, ln, "/index.php", src, lines)
				if err != nil {
					t.Fatalf("%v: %v", lines, err)
				}
				var got struct {
					IP     any    `json:"ip"`
					Secure any    `json:"secure"`
					Host   string `json:"host"`
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("%v: php answered %q: %v", lines, body, err)
				}
				sent := make(trustmodel.Header, len(lines))
				for i, l := range lines {
					sent[i] = parseHeaderLine(l)
				}
				atApp := px.Hop.Forward(trustmodel.Request{Peer: src.String(), TLS: ln.tls, Headers: sent})
				res := ev.Evaluate(atApp)
				want := fmt.Sprintf("ip=%v secure=%v host=%v", deref(res.IP), derefBool(res.Secure), deref(res.Hostname))
				have := fmt.Sprintf("ip=%v secure=%v host=%v", got.IP, got.Secure, got.Host)
				if want != have {
					t.Errorf("tls=%v from %s %q:\n  model %s\n  real  %s\n  the model hands the app %+v", ln.tls, src, lines, want, have, atApp)
				}
				compared++
			}
		}
	}
	t.Logf("nginx %s -> php-fpm 8.2 -> Symfony HttpFoundation: %d requests compared", version, compared)
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func derefBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// startPHPFPM runs php-fpm in the foreground on sock until the test ends.
func startPHPFPM(t *testing.T, dir, sock string) {
	t.Helper()
	conf := filepath.Join(dir, "php-fpm.conf")
	user := ""
	if os.Geteuid() == 0 {
		user = "user = nobody\n"
	}
	text := "[global]\nerror_log = " + filepath.Join(dir, "php-fpm.log") + "\ndaemonize = no\n[www]\n" + user +
		"listen = " + sock + "\nlisten.mode = 0666\npm = static\npm.max_children = 2\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-n", "-y", conf, "-F"}
	if os.Geteuid() == 0 {
		args = append([]string{"-R"}, args...)
	}
	cmd := exec.Command(phpFPM, args...)
	// A file, not a pipe: the workers inherit it, and a pipe would keep
	// Wait waiting for them.
	out, err := os.Create(filepath.Join(dir, "php-fpm.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that the workers die with the master.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "php-fpm.log"))
			text, _ := os.ReadFile(out.Name())
			t.Fatalf("php-fpm exited: %s %s", text, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("php-fpm did not listen on %s", sock)
		}
	}
}

// sendForBody is truthEnv.send returning the response body.
func sendForBody(env *truthEnv, ln listener, target string, src netip.Addr, lines []string) ([]byte, error) {
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ln.port)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if ln.tls {
		tc := tls.Client(conn, &tls.Config{ServerName: truthHost, RootCAs: env.roots})
		if err := tc.Handshake(); err != nil {
			return nil, err
		}
		conn = tc
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\n", target)
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := conn.Write(b.Bytes()); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return body, err
}
