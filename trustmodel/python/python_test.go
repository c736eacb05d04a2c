package python

import (
	"reflect"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func req(peer string, tls bool, kv ...string) trustmodel.Request {
	r := trustmodel.Request{Peer: peer, TLS: tls}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Headers = append(r.Headers, trustmodel.HeaderLine{Name: kv[i], Value: kv[i+1]})
	}
	return r
}

func deref(p *string) string {
	if p == nil {
		return "<None>"
	}
	return *p
}

func mustNew(t *testing.T, app trustmodel.App) trustmodel.Evaluator {
	t.Helper()
	ev, err := New(app)
	if err != nil {
		t.Fatalf("New(%+v): %v", app, err)
	}
	return ev
}

// fields renders a result as ip/protocol/secure/host/hostname.
func fields(r trustmodel.Result) string {
	sec := "<None>"
	if r.Secure != nil {
		sec = map[bool]string{true: "True", false: "False"}[*r.Secure]
	}
	s := strings.Join([]string{deref(r.IP), deref(r.Protocol), sec, deref(r.Host), deref(r.Hostname)}, " ")
	if len(r.Raised) > 0 {
		for _, k := range []string{"request", "protocol", "host"} {
			if e, ok := r.Raised[k]; ok {
				s += " raised:" + e
				break
			}
		}
	}
	return s
}

func TestFlaskProxyFix(t *testing.T) {
	pf := func(kv ...any) []map[string]any {
		m := map[string]any{"name": "proxy_fix"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return []map[string]any{m}
	}
	for _, c := range []struct {
		name string
		app  trustmodel.App
		req  trustmodel.Request
		want string
	}{
		{"no ProxyFix: the peer", trustmodel.App{Framework: "flask", Version: "2"},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"), "127.0.0.1 http False a.example a.example"},
		{"x_for=1 takes the rightmost, verbatim and whoever connected", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_for", 1)},
			req("203.0.113.9", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1, <script>"), "<script> http False a.example a.example"},
		{"too few values leave REMOTE_ADDR", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_for", 2)},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1"), "127.0.0.1 http False a.example a.example"},
		{"Werkzeug 2.2 keeps an empty middle item", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_for", 2)},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1,,2.2.2.2"), "127.0.0.1 http False a.example a.example"},
		{"Werkzeug 3.1.8 discards it", trustmodel.App{Framework: "flask", Version: "3", Middleware: pf("x_for", 2)},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1,,2.2.2.2"), "1.1.1.1 http False a.example a.example"},
		{"gunicorn joins two lines with a comma", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_for", 2), Server: map[string]any{"name": "gunicorn", "version": "20.1"}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "2.2.2.2"), "1.1.1.1 http False a.example a.example"},
		{"gunicorn 20.1 aliases X_Forwarded_For", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_for", 1), Server: map[string]any{"name": "gunicorn", "version": "20.1"}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1", "X_Forwarded_For", "6.6.6.6"), "6.6.6.6 http False a.example a.example"},
		{"gunicorn 22+ drops it", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_for", 1), Server: map[string]any{"name": "gunicorn", "version": "23"}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1", "X_Forwarded_For", "6.6.6.6"), "1.1.1.1 http False a.example a.example"},
		{"x_proto is verbatim: HTTPS is not secure and keeps :443", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_proto", 1)},
			req("127.0.0.1", false, "Host", "a.example:443", "X-Forwarded-Proto", "HTTPS"), "127.0.0.1 HTTPS False a.example:443 a.example"},
		{"wss on an HTTP route is Werkzeug routing's 400", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_proto", 1)},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "wss"), "<None> <None> <None> <None> <None> raised:WebsocketMismatch"},
		{"x_host and x_port", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_host", 1, "x_port", 1)},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Host", "b.example:8080", "X-Forwarded-Port", "443"), "127.0.0.1 http False b.example:443 b.example"},
		{"no Host: SERVER_NAME and int(SERVER_PORT)", trustmodel.App{Framework: "flask", Version: "2", Middleware: pf("x_port", 1)},
			req("127.0.0.1", false, "X-Forwarded-Port", "+0080"), "127.0.0.1 http False 127.0.0.1 127.0.0.1"},
		{"Werkzeug 3.1.8: an invalid Host is the empty string", trustmodel.App{Framework: "flask", Version: "3"},
			req("127.0.0.1", false, "Host", "bad host"), "127.0.0.1 http False  "},
		{"gunicorn: secure headers from a trusted peer", trustmodel.App{Framework: "flask", Version: "2", Server: map[string]any{"name": "gunicorn", "version": "20.1"}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Ssl", "on"), "127.0.0.1 https True a.example a.example"},
		{"gunicorn: conflicting secure headers are a 400", trustmodel.App{Framework: "flask", Version: "2", Server: map[string]any{"name": "gunicorn", "version": "20.1"}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "https", "X-Forwarded-Ssl", "off"), "<None> <None> <None> <None> <None> raised:InvalidSchemeHeaders"},
		{"gunicorn 20.1 does not trust ::1 by default", trustmodel.App{Framework: "flask", Version: "2", Server: map[string]any{"name": "gunicorn", "version": "20.1"}},
			req("::1", false, "Host", "a.example", "X-Forwarded-Proto", "https"), "::1 http False a.example a.example"},
		{"gunicorn 23 does", trustmodel.App{Framework: "flask", Version: "2", Server: map[string]any{"name": "gunicorn", "version": "23"}},
			req("::1", false, "Host", "a.example", "X-Forwarded-Proto", "https"), "::1 https True a.example a.example"},
		{"gunicorn 24.1 matches networks", trustmodel.App{Framework: "flask", Version: "2", Server: map[string]any{"name": "gunicorn", "version": "24.1", "forwarded_allow_ips": "10.0.0.0/8"}},
			req("10.1.2.3", false, "Host", "a.example", "X-Forwarded-Proto", "https"), "10.1.2.3 https True a.example a.example"},
		{"gunicorn: a UNIX-socket peer is always trusted", trustmodel.App{Framework: "flask", Version: "2", Server: map[string]any{"name": "gunicorn", "version": "20.1", "forwarded_allow_ips": "10.0.0.2"}},
			req("unix:", false, "Host", "a.example", "X-Forwarded-Proto", "https"), " https True a.example a.example"},
	} {
		got := fields(mustNew(t, c.app).Evaluate(c.req))
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestDjango(t *testing.T) {
	ssl := []any{"HTTP_X_FORWARDED_PROTO", "https"}
	for _, c := range []struct {
		name string
		app  trustmodel.App
		req  trustmodel.Request
		want string
	}{
		{"ALLOWED_HOSTS empty: every host is DisallowedHost", trustmodel.App{Framework: "django", Version: "3.2"},
			req("127.0.0.1", false, "Host", "a.example"), "127.0.0.1 http False <None> <None> raised:DisallowedHost"},
		{"3.2 compares the whole value", trustmodel.App{Framework: "django", Version: "3.2", Options: map[string]any{"SECURE_PROXY_SSL_HEADER": ssl, "ALLOWED_HOSTS": []any{"*"}}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "https", "X-Forwarded-Proto", "https"), "127.0.0.1 http False a.example a.example"},
		{"4.1+ the first item", trustmodel.App{Framework: "django", Version: "4", Options: map[string]any{"SECURE_PROXY_SSL_HEADER": ssl, "ALLOWED_HOSTS": []any{"*"}}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "https, http"), "127.0.0.1 https True a.example a.example"},
		{"the header wins over TLS", trustmodel.App{Framework: "django", Version: "3.2", Options: map[string]any{"SECURE_PROXY_SSL_HEADER": ssl, "ALLOWED_HOSTS": []any{"*"}}},
			req("127.0.0.1", true, "Host", "a.example", "X-Forwarded-Proto", "http"), "127.0.0.1 http False a.example a.example"},
		{"a comma list in X-Forwarded-Host raises", trustmodel.App{Framework: "django", Version: "3.2", Options: map[string]any{"USE_X_FORWARDED_HOST": true, "ALLOWED_HOSTS": []any{"*"}}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Host", "b.example, c.example"), "127.0.0.1 http False <None> <None> raised:DisallowedHost"},
		{"split_domain_port lowercases and drops the trailing dot", trustmodel.App{Framework: "django", Version: "3.2", Options: map[string]any{"ALLOWED_HOSTS": []any{".example"}}},
			req("127.0.0.1", false, "Host", "A.Example.:8000"), "127.0.0.1 http False A.Example.:8000 a.example"},
		{"no Host: SERVER_NAME:SERVER_PORT", trustmodel.App{Framework: "django", Version: "3.2", Options: map[string]any{"ALLOWED_HOSTS": []any{"*"}}},
			req("127.0.0.1", false), "127.0.0.1 http False 127.0.0.1:8000 127.0.0.1"},
		{"under uvicorn 0.17.6 every trusted address gives REMOTE_ADDR None", trustmodel.App{Framework: "django", Version: "3.2", Server: map[string]any{"name": "uvicorn", "version": "0.17"}, Options: map[string]any{"ALLOWED_HOSTS": []any{"*"}}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "127.0.0.1"), "<None> http False a.example a.example"},
	} {
		got := fields(mustNew(t, c.app).Evaluate(c.req))
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestFastAPI(t *testing.T) {
	uv := func(v string, kv ...any) map[string]any {
		m := map[string]any{"name": "uvicorn", "version": v}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for _, c := range []struct {
		name string
		app  trustmodel.App
		req  trustmodel.Request
		want string
	}{
		{"plain ASGI server: the peer", trustmodel.App{Framework: "fastapi", Version: "0.26"},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"), "127.0.0.1 http False a.example a.example"},
		{"uvicorn 0.17.6: the first untrusted from the right", trustmodel.App{Framework: "fastapi", Version: "0.26", Server: uv("0.17")},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 1.1.1.1"), "1.1.1.1 http False a.example a.example"},
		{"uvicorn 0.17.6: the last line only", trustmodel.App{Framework: "fastapi", Version: "0.26", Server: uv("0.17")},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "2.2.2.2"), "2.2.2.2 http False a.example a.example"},
		{"uvicorn 0.17.6: HTTPS becomes https through urlsplit", trustmodel.App{Framework: "fastapi", Version: "0.26", Server: uv("0.17")},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "HTTPS"), "127.0.0.1 https True a.example a.example"},
		{"uvicorn 0.17.6: an unknown scheme without Host is a KeyError", trustmodel.App{Framework: "fastapi", Version: "0.26", Server: uv("0.17")},
			req("127.0.0.1", false, "X-Forwarded-Proto", "gopher"), "127.0.0.1 <None> <None> <None> <None> raised:KeyError"},
		{"uvicorn 0.51: only exact schemes", trustmodel.App{Framework: "fastapi", Version: "1", Server: uv("0.51")},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Proto", "HTTPS"), "127.0.0.1 http False a.example a.example"},
		{"uvicorn 0.51: lines joined, networks, ports kept apart", trustmodel.App{Framework: "fastapi", Version: "1", Server: uv("0.51", "forwarded_allow_ips", "127.0.0.1,10.0.0.0/8")},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6:1234", "X-Forwarded-For", "10.0.0.2"), "6.6.6.6 http False a.example a.example"},
		{"uvicorn 0.51: a malformed network is a literal that never matches", trustmodel.App{Framework: "fastapi", Version: "1", Server: uv("0.51", "forwarded_allow_ips", "10.0.0.1/8")},
			req("10.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"), "10.0.0.1 http False a.example a.example"},
		{"gunicorn's UvicornWorker hands uvicorn gunicorn's list: 23's default trusts ::1 too", trustmodel.App{Framework: "fastapi", Version: "1", Server: map[string]any{"name": "gunicorn", "version": "23", "worker_class": "uvicorn.workers.UvicornWorker", "uvicorn_version": "0.51"}},
			req("::1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6"), "6.6.6.6 http False a.example a.example"},
		{"the worker ignores gunicorn's secure scheme headers", trustmodel.App{Framework: "fastapi", Version: "1", Server: map[string]any{"name": "gunicorn", "version": "20.1", "worker_class": "uvicorn.workers.UvicornWorker", "uvicorn_version": "0.17"}},
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-Ssl", "on"), "127.0.0.1 http False a.example a.example"},
		{"Starlette: an invalid Host falls back to the server", trustmodel.App{Framework: "fastapi", Version: "0.26"},
			req("127.0.0.1", true, "Host", "bad host"), "127.0.0.1 https True 127.0.0.1:8000 127.0.0.1"},
		{"urlsplit refuses a bracketed non-IPv6 host", trustmodel.App{Framework: "fastapi", Version: "0.26"},
			req("127.0.0.1", false, "Host", "[1:2:3]"), "127.0.0.1 <None> <None> <None> <None> raised:ValueError"},
	} {
		got := fields(mustNew(t, c.app).Evaluate(c.req))
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		app  trustmodel.App
		want string
	}{
		{trustmodel.App{Framework: "flask", Middleware: []map[string]any{{"name": "proxy_fix", "x_four": 1}}},
			`app.middleware proxy_fix: unknown option "x_four" for proxy_fix (known: x_for, x_host, x_port, x_prefix, x_proto)`},
		{trustmodel.App{Framework: "django", Options: map[string]any{"ALLOWED_HOST": []any{"*"}}},
			`app.options: unknown option "ALLOWED_HOST" for django (known: ALLOWED_HOSTS, DEBUG, SECURE_PROXY_SSL_HEADER, USE_X_FORWARDED_HOST, USE_X_FORWARDED_PORT)`},
		{trustmodel.App{Framework: "flask", Server: map[string]any{"name": "gunicorn", "version": "20.1", "forwarded_allow_ips": []any{"127.0.0.1"}}},
			`Not a string: ['127.0.0.1']`},
		{trustmodel.App{Framework: "flask", Server: map[string]any{"name": "gunicorn", "version": "23", "forwarded_allow_ips": "10.0.0.0/8"}},
			`'10.0.0.0/8' does not appear to be an IPv4 or IPv6 address`},
		{trustmodel.App{Framework: "flask", Server: map[string]any{"name": "gunicorn", "version": "26", "forwarded_allow_ips": "192.168.1.1/24"}},
			`192.168.1.1/24 has host bits set`},
		{trustmodel.App{Framework: "fastapi", Server: map[string]any{"name": "uvicorn", "forwarded_allow_ip": "*"}},
			`app.server: unknown option "forwarded_allow_ip" for uvicorn 0.51 (known: forwarded_allow_ips, proxy_headers)`},
		{trustmodel.App{Framework: "fastapi", Server: map[string]any{"name": "gunicorn", "version": "24.1", "worker_class": "uvicorn.workers.UvicornWorker", "forwarded_allow_ips": "10.0.0.0/8"}},
			`'str' object has no attribute '_version'`},
		{trustmodel.App{Framework: "fastapi", Server: map[string]any{"name": "gunicorn"}},
			`app.server: gunicorn serves an ASGI app only with worker_class: uvicorn.workers.UvicornWorker`},
		{trustmodel.App{Framework: "flask", TrustProxy: true, TrustProxySet: true},
			`app.trust_proxy: flask has no trust-proxy setting; configure app.middleware [{name: proxy_fix, x_for: 1, x_proto: 1}]`},
	} {
		_, err := New(c.app)
		if err == nil || err.Error() != c.want {
			t.Errorf("New(%+v) = %v, want %s", c.app, err, c.want)
		}
	}
}

// TestAdvice replays each advice: the configuration it gives must make the
// client behind the proxies the app's client and be accepted by New.
func TestAdvice(t *testing.T) {
	for _, c := range []struct {
		app      trustmodel.App
		advice   trustmodel.Advice
		code     string
		req      trustmodel.Request
		wantIP   string
		wantHTTP string
	}{
		{trustmodel.App{Framework: "flask", Version: "2"}, trustmodel.Advice{Proxies: []string{"127.0.0.1"}, Hops: 1},
			"app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)",
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 203.0.113.5", "X-Forwarded-Proto", "https"), "203.0.113.5", "https"},
		{trustmodel.App{Framework: "flask", Version: "3", Middleware: []map[string]any{{"name": "proxy_fix", "x_for": 3, "x_host": 1}}}, trustmodel.Advice{Proxies: []string{"127.0.0.1", "10.0.0.0/16"}, Hops: 2},
			"app.wsgi_app = ProxyFix(app.wsgi_app, x_for=2, x_proto=2, x_host=1)",
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 203.0.113.5, 10.0.1.1", "X-Forwarded-Proto", "https, http"), "203.0.113.5", "https"},
		{trustmodel.App{Framework: "fastapi", Version: "0.26", Server: map[string]any{"name": "uvicorn", "version": "0.17"}}, trustmodel.Advice{Proxies: []string{"127.0.0.1"}, Hops: 1},
			"uvicorn --proxy-headers --forwarded-allow-ips=127.0.0.1",
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 203.0.113.5", "X-Forwarded-Proto", "https"), "203.0.113.5", "https"},
		{trustmodel.App{Framework: "django", Version: "5", Server: map[string]any{"name": "uvicorn"}, Options: map[string]any{"ALLOWED_HOSTS": []any{"a.example"}}}, trustmodel.Advice{Proxies: []string{"127.0.0.1", "10.0.0.0/16"}, Hops: 2},
			`SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https"); uvicorn --proxy-headers --forwarded-allow-ips=127.0.0.1,10.0.0.0/16`,
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 203.0.113.5, 10.0.1.1", "X-Forwarded-Proto", "https"), "203.0.113.5", "https"},
		{trustmodel.App{Framework: "fastapi", Version: "1", Server: map[string]any{"name": "gunicorn", "version": "26.1", "worker_class": "uvicorn.workers.UvicornWorker", "forwarded_allow_ips": "*"}}, trustmodel.Advice{Proxies: []string{"127.0.0.1", "10.0.0.0/16"}, Hops: 2},
			`gunicorn -k uvicorn.workers.UvicornWorker --forwarded-allow-ips="127.0.0.1,10.0.0.0/16"`,
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 203.0.113.5, 10.0.1.1", "X-Forwarded-Proto", "https"), "203.0.113.5", "https"},
		// Django under a WSGI server has no address trust: REMOTE_ADDR stays nginx.
		{trustmodel.App{Framework: "django", Version: "3.2", Server: map[string]any{"name": "gunicorn", "version": "20.1", "forwarded_allow_ips": "*"}, Options: map[string]any{"ALLOWED_HOSTS": []any{"a.example"}}}, trustmodel.Advice{Proxies: []string{"127.0.0.1"}, Hops: 1},
			`SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https"); gunicorn --forwarded-allow-ips="127.0.0.1"`,
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 203.0.113.5", "X-Forwarded-Proto", "https, http"), "127.0.0.1", "http"},
		{trustmodel.App{Framework: "flask", Version: "3", Server: map[string]any{"name": "gunicorn", "version": "20.1", "forwarded_allow_ips": "*"}}, trustmodel.Advice{Proxies: []string{"127.0.0.1"}, Hops: 1},
			`app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1); gunicorn --forwarded-allow-ips="127.0.0.1"`,
			req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 203.0.113.5", "X-Forwarded-Proto", "https"), "203.0.113.5", "https"},
	} {
		s, ok := mustNew(t, c.app).Advise(c.advice)
		if !ok || s.Code != c.code {
			t.Errorf("%s: advice %q %v, want %q", c.app.Framework, s.Code, ok, c.code)
			continue
		}
		r := mustNew(t, s.App).Evaluate(c.req)
		if deref(r.IP) != c.wantIP || deref(r.Protocol) != c.wantHTTP {
			t.Errorf("%s: the advice %s gives %s, want %s %s", c.app.Framework, s.Code, fields(r), c.wantIP, c.wantHTTP)
		}
	}
	if _, ok := mustNew(t, trustmodel.App{Framework: "flask", Version: "3", Server: map[string]any{"name": "gunicorn", "version": "23"}}).Advise(trustmodel.Advice{Proxies: []string{"10.0.0.0/16"}, Hops: 1}); ok {
		t.Error("gunicorn 23 matches exact strings: a range cannot be advised")
	}
}

func TestParseListHeader(t *testing.T) {
	for _, c := range []struct {
		in     string
		v2, v3 []string
	}{
		{"a,,b", []string{"a", "", "b"}, []string{"a", "b"}},
		{"a,", []string{"a"}, []string{"a"}},
		{`"a, b", c`, []string{"a, b", "c"}, []string{"a, b", "c"}},
		{`"unclosed, b`, []string{`"unclosed, b`}, nil},
		{`"a\"b"`, []string{`a"b`}, []string{`a"b`}},
		{`"`, []string{""}, nil},
	} {
		if got := parseListHeader2(c.in); !reflect.DeepEqual(got, c.v2) {
			t.Errorf("2.2 parse_list_header(%q) = %q, want %q", c.in, got, c.v2)
		}
		if got := parseListHeader3(c.in); !reflect.DeepEqual(got, c.v3) {
			t.Errorf("3.1.8 parse_list_header(%q) = %q, want %q", c.in, got, c.v3)
		}
	}
}

// BenchmarkEvaluate is one hostile request through each framework on its
// app server, as lint replays tens of thousands of them.
func BenchmarkEvaluate(b *testing.B) {
	r := req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 10.0.0.2, 203.0.113.5", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example")
	for _, app := range []trustmodel.App{
		{Framework: "flask", Version: "3", Middleware: []map[string]any{{"name": "proxy_fix", "x_for": 1, "x_proto": 1, "x_host": 1}}, Server: map[string]any{"name": "gunicorn"}},
		{Framework: "django", Version: "5", Options: map[string]any{"USE_X_FORWARDED_HOST": true, "ALLOWED_HOSTS": []any{"*"}}, Server: map[string]any{"name": "gunicorn"}},
		{Framework: "fastapi", Version: "1", Server: map[string]any{"name": "uvicorn", "forwarded_allow_ips": "127.0.0.1,10.0.0.0/8"}},
	} {
		ev, err := New(app)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(app.Framework, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ev.Evaluate(r)
			}
		})
	}
}

// FuzzParseListHeader checks both parse_list_header models: no panic, and
// the quote-free fast path equals the character-by-character algorithm.
func FuzzParseListHeader(f *testing.F) {
	for _, s := range []string{"a,,b", "a,", ` a , b `, `"a, b", c`, `"unclosed, b`, `"a\"b"`, `"`, "\\,x", "\t,\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v2, v3 := parseListHeader2(s), parseListHeader3(s)
		if strings.Contains(s, `"`) {
			return
		}
		if slow := parseHTTPList2(s); !reflect.DeepEqual(v2, slow) && !(len(v2) == 0 && len(slow) == 0) {
			t.Fatalf("2.2 %q: fast %q, general %q", s, v2, slow)
		}
		if slow := parseListQuoted3(s); !reflect.DeepEqual(v3, slow) && !(len(v3) == 0 && len(slow) == 0) {
			t.Fatalf("3.1.8 %q: fast %q, general %q", s, v3, slow)
		}
	})
}

// FuzzPythonEvaluate sends arbitrary peers and header lines through every
// framework and app server: no panic, and an accessor either answers or
// raises, never both.
func FuzzPythonEvaluate(f *testing.F) {
	f.Add("127.0.0.1", "X-Forwarded-For", "1.1.1.1, 2.2.2.2", "Host", "a.example:80", 1)
	f.Add("unix:", "X-Forwarded-Proto", `"https", http`, "Host", "[::1", -2)
	f.Add("::1", "X-Forwarded-Host", "a.example:", "SCRIPT_NAME", "/", 3)
	f.Fuzz(func(t *testing.T, peer, n1, v1, n2, v2 string, count int) {
		count = count%5 - 1
		apps := []trustmodel.App{
			{Framework: "flask", Version: "2", Middleware: []map[string]any{{"name": "proxy_fix", "x_for": count, "x_proto": count, "x_host": count, "x_port": count, "x_prefix": count}}, Server: map[string]any{"name": "gunicorn", "version": "20.1"}},
			{Framework: "flask", Version: "3", Middleware: []map[string]any{{"name": "proxy_fix", "x_for": count, "x_host": count, "x_port": count}}, Server: map[string]any{"name": "gunicorn", "version": "26.1", "forwarded_allow_ips": "*"}},
			{Framework: "django", Version: "3.2", Options: map[string]any{"USE_X_FORWARDED_HOST": true, "USE_X_FORWARDED_PORT": true, "ALLOWED_HOSTS": []any{"*"}, "SECURE_PROXY_SSL_HEADER": []any{"HTTP_X_FORWARDED_PROTO", "https"}}},
			{Framework: "django", Version: "5", Server: map[string]any{"name": "uvicorn", "version": "0.17", "forwarded_allow_ips": "*"}, Options: map[string]any{"ALLOWED_HOSTS": []any{".example"}}},
			{Framework: "fastapi", Version: "0.26", Server: map[string]any{"name": "uvicorn", "version": "0.17", "forwarded_allow_ips": "127.0.0.1," + peer}},
			{Framework: "fastapi", Version: "0.46", Server: map[string]any{"name": "uvicorn", "version": "0.51", "forwarded_allow_ips": "10.0.0.0/8,::1"}},
		}
		r := trustmodel.Request{Peer: peer, Headers: trustmodel.Header{{Name: n1, Value: v1}, {Name: n2, Value: v2}, {Name: "X-Forwarded-For", Value: v2}}}
		for _, app := range apps {
			ev, err := New(app)
			if err != nil {
				continue
			}
			res := ev.Evaluate(r)
			for field, v := range map[string]bool{"protocol": res.Protocol != nil, "host": res.Host != nil, "hostname": res.Hostname != nil} {
				if _, raised := res.Raised[field]; raised && v {
					t.Fatalf("%s: %s both answers and raises", ev.Name(), field)
				}
			}
		}
	})
}
