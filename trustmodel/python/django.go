package python

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// django is a Django app: request.META from the WSGI environ (gunicorn, or a
// plain WSGI server) or from the ASGI scope (uvicorn, django/core/handlers/
// asgi.py ASGIRequest), then HttpRequest's scheme, is_secure() and
// get_host() (django/http/request.py) under the app's settings.
type django struct {
	version      string // "3.2" (recorded), "4.0", "4" (4.1+), "5" (modelled)
	leftmostXFP  bool   // 4.1+ (ticket #33569): the first comma-separated item of the secure header
	wsgi         *gunicorn
	asgi         *uvicorn
	sslHeader    []string // SECURE_PROXY_SSL_HEADER; nil = None
	sslHeaderBad bool     // not two values: ImproperlyConfigured when read
	useXFHost    bool
	useXFPort    bool
	allowedHosts []string
	debug        bool
	explain      bool
}

var djangoOptions = []string{"ALLOWED_HOSTS", "DEBUG", "SECURE_PROXY_SSL_HEADER", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"}

func djangoVersion(v string) (string, bool, bool) {
	switch {
	case v == "3.2" || strings.HasPrefix(v, "3.2."):
		return "3.2", false, true
	case v == "4.0" || strings.HasPrefix(v, "4.0."):
		return "4.0", false, true
	case v == "4" || v == "4.1" || v == "4.2" || strings.HasPrefix(v, "4.1.") || strings.HasPrefix(v, "4.2."):
		return "4", true, true
	case v == "" || v == "5" || strings.HasPrefix(v, "5."):
		return "5", true, true
	}
	return "", false, false
}

func newDjango(app trustmodel.App) (*django, error) {
	v, leftmost, ok := djangoVersion(app.Version)
	if !ok {
		return nil, unsupported(fmt.Sprintf("unsupported django version %q (want 3.2, 4.0, 4 (4.1/4.2) or 5)", app.Version))
	}
	d := &django{version: v, leftmostXFP: leftmost, explain: app.Explain}
	for _, k := range sortedKeys(app.Options) {
		val := app.Options[k]
		var err error
		switch k {
		case "SECURE_PROXY_SSL_HEADER":
			err = d.setSSLHeader(val)
		case "USE_X_FORWARDED_HOST":
			d.useXFHost, err = pyBool(k, val)
		case "USE_X_FORWARDED_PORT":
			d.useXFPort, err = pyBool(k, val)
		case "DEBUG":
			d.debug, err = pyBool(k, val)
		case "ALLOWED_HOSTS":
			d.allowedHosts, err = stringList(k, val)
		default:
			return nil, unknownOption("app.options", k, "django", djangoOptions)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(app.Middleware) > 0 {
		return nil, unsupported(fmt.Sprintf("app.middleware: unknown middleware %q for django", app.Middleware[0]["name"]))
	}
	var err error
	if app.Server != nil && (app.Server["name"] == "uvicorn" || app.Server["worker_class"] == uvicornWorker) {
		d.asgi, err = asgiServer(app.Server)
	} else {
		d.wsgi, err = wsgiServer(app.Server)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *django) setSSLHeader(v any) error {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("app.options.SECURE_PROXY_SSL_HEADER: want a pair like [HTTP_X_FORWARDED_PROTO, https], got %s", pyReprValue(v))
	}
	if len(list) == 0 {
		return nil // falsy: the setting is off
	}
	if len(list) != 2 {
		d.sslHeaderBad = true
		return nil
	}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return fmt.Errorf("app.options.SECURE_PROXY_SSL_HEADER: want two strings, got %s", pyReprValue(v))
		}
		d.sslHeader = append(d.sslHeader, s)
	}
	return nil
}

func pyBool(name string, v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("app.options.%s: want true or false, got %s", name, pyReprValue(v))
	}
	return b, nil
}

func stringList(name string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("app.options.%s: want a list of strings, got %s", name, pyReprValue(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("app.options.%s: want a list of strings, got %s", name, pyReprValue(v))
		}
		out[i] = s
	}
	return out, nil
}

func (d *django) Name() string {
	name := "django " + d.version
	switch {
	case d.asgi != nil:
		name += " on " + d.asgi.String()
	case !d.wsgi.plain:
		name += " on " + d.wsgi.String()
	}
	return name
}

// AddressHeader: Django reads REMOTE_ADDR only; under uvicorn that is
// uvicorn's client, taken from X-Forwarded-For.
func (d *django) AddressHeader() string {
	if d.asgi != nil && d.asgi.proxyHeaders {
		return "X-Forwarded-For"
	}
	return ""
}

func (d *django) Trust() trustmodel.Trust {
	if d.asgi != nil {
		return d.asgi.Trust()
	}
	return noTrust{"Django reads no forwarded address: META['REMOTE_ADDR'] is the peer"}
}

// meta is request.META's relevant entries; absent keys are absent.
type meta struct {
	m          environ
	remoteNone bool // META['REMOTE_ADDR'] is None (ASGI client (None, 0))
	scheme     string
	steps      []trustmodel.Step // uvicorn's walk, when explaining
}

func (d *django) meta(req trustmodel.Request) (meta, rejected) {
	if d.asgi == nil {
		env, rej := d.wsgi.environ(req)
		return meta{m: env, scheme: env["wsgi.url_scheme"]}, rej
	}
	s := newScope(req)
	if rej := d.asgi.refuses(&s); rej != "" {
		return meta{}, rej
	}
	before := s
	d.asgi.apply(&s)
	m := meta{m: environ{}, scheme: s.scheme}
	if d.explain {
		m.steps = d.asgi.steps(before, s.clientHost, s.clientNone)
	}
	if s.client {
		if s.clientNone {
			m.remoteNone = true
		} else {
			m.m["REMOTE_ADDR"] = s.clientHost
		}
	}
	if s.server {
		m.m["SERVER_NAME"], m.m["SERVER_PORT"] = serverName, serverPort
	} else {
		m.m["SERVER_NAME"], m.m["SERVER_PORT"] = "unknown", "0"
	}
	for _, h := range s.headers {
		key := "HTTP_" + strings.ReplaceAll(strings.ToUpper(h[0]), "-", "_")
		switch h[0] {
		case "content-length":
			key = "CONTENT_LENGTH"
		case "content-type":
			key = "CONTENT_TYPE"
		}
		if old, ok := m.m[key]; ok {
			m.m[key] = old + "," + h[1]
		} else {
			m.m[key] = h[1]
		}
	}
	if m.scheme == "" {
		m.scheme = "http" // ASGIRequest._get_scheme: scope scheme or "http"
	}
	return m, ""
}

func (d *django) Evaluate(req trustmodel.Request) trustmodel.Result {
	m, rej := d.meta(req)
	if rej != "" {
		return rejectedResult(rej)
	}
	r := trustmodel.Result{Steps: m.steps}
	if ip, ok := m.m["REMOTE_ADDR"]; ok && !m.remoteNone {
		r.IP = str(ip)
	}
	scheme, err := d.scheme(m)
	if err != "" {
		r.Raised = map[string]string{"protocol": err, "secure": err}
	} else {
		r.Protocol = str(scheme)
		r.Secure = trustmodel.BoolPtr(scheme == "https")
	}
	host, hostErr := d.getHost(m, scheme, err)
	if hostErr != "" {
		if r.Raised == nil {
			r.Raised = map[string]string{}
		}
		r.Raised["host"], r.Raised["hostname"] = hostErr, hostErr
		return r
	}
	r.Host = str(host)
	domain, _ := splitDomainPort(host)
	r.Hostname = str(domain)
	return r
}

// scheme is HttpRequest.scheme: the secure header, when set and present,
// decides both ways (3.2/4.0: the whole value; 4.1+: its first
// comma-separated item, stripped); otherwise the server's scheme.
func (d *django) scheme(m meta) (string, string) {
	if d.sslHeaderBad {
		return "", "ImproperlyConfigured"
	}
	if d.sslHeader != nil {
		if v, ok := m.m[d.sslHeader[0]]; ok {
			if d.leftmostXFP {
				v, _, _ = strings.Cut(v, ",")
				v = pyStrip(v)
			}
			if v == d.sslHeader[1] {
				return "https", ""
			}
			return "http", ""
		}
	}
	return m.scheme, ""
}

// getHost is HttpRequest.get_host(): X-Forwarded-Host's whole value when
// USE_X_FORWARDED_HOST, else Host, else SERVER_NAME with get_port() unless
// it is the scheme's default; then split_domain_port and ALLOWED_HOSTS, or
// DisallowedHost.
func (d *django) getHost(m meta, scheme, schemeErr string) (string, string) {
	var host string
	if v, ok := m.m["HTTP_X_FORWARDED_HOST"]; ok && d.useXFHost {
		host = v
	} else if v, ok := m.m["HTTP_HOST"]; ok {
		host = v
	} else {
		if schemeErr != "" {
			return "", schemeErr // is_secure() raises
		}
		host = m.m["SERVER_NAME"]
		port := m.m["SERVER_PORT"]
		if v, ok := m.m["HTTP_X_FORWARDED_PORT"]; ok && d.useXFPort {
			port = v
		}
		want := "80"
		if scheme == "https" {
			want = "443"
		}
		if port != want {
			host += ":" + port
		}
	}
	allowed := d.allowedHosts
	if d.debug && len(allowed) == 0 {
		allowed = []string{".localhost", "127.0.0.1", "[::1]"}
	}
	domain, _ := splitDomainPort(host)
	if domain != "" && validateHost(domain, allowed) {
		return host, ""
	}
	return "", "DisallowedHost"
}

// splitDomainPort is django.http.request.split_domain_port: lowercased, "" for
// a host host_validation_re refuses, a trailing dot dropped.
func splitDomainPort(host string) (string, string) {
	host = strings.ToLower(host)
	if !validHost(host, false) {
		return "", ""
	}
	if strings.HasSuffix(host, "]") {
		return host, ""
	}
	domain, port, _ := rsplitColon(host)
	return strings.TrimSuffix(domain, "."), port
}

// validateHost is django.http.request.validate_host with
// django.utils.http.is_same_domain.
func validateHost(domain string, allowed []string) bool {
	for _, p := range allowed {
		if p == "*" {
			return true
		}
		if p == "" {
			continue
		}
		p = strings.ToLower(p)
		if p[0] == '.' && (strings.HasSuffix(domain, p) || domain == p[1:]) || p == domain {
			return true
		}
	}
	return false
}

// Advise for Django: SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO",
// "https") when there are proxies (None when there are none), with the app
// server's own trust: uvicorn's forwarded_allow_ips (Django reads the client
// address from it), gunicorn's forwarded_allow_ips (its secure scheme
// headers decide the scheme when the header is absent).
func (d *django) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	app := trustmodel.App{Framework: "django", Version: d.version, Options: d.options()}
	code := "SECURE_PROXY_SSL_HEADER = None"
	app.Options["SECURE_PROXY_SSL_HEADER"] = nil
	if len(a.Proxies) > 0 {
		code = `SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")`
		app.Options["SECURE_PROXY_SSL_HEADER"] = []any{"HTTP_X_FORWARDED_PROTO", "https"}
	}
	if d.asgi != nil {
		s, ok := adviseUvicorn(d.asgi, a, app)
		if ok {
			s.Code = code + "; " + s.Code
		}
		return s, ok
	}
	server, serverCode, ok := adviseGunicorn(d.wsgi, a)
	if !ok {
		return trustmodel.Setting{}, false
	}
	app.Server = server
	return trustmodel.Setting{Code: code + serverCode, App: app}, true
}

func (d *django) options() map[string]any {
	o := map[string]any{"USE_X_FORWARDED_HOST": d.useXFHost, "USE_X_FORWARDED_PORT": d.useXFPort, "DEBUG": d.debug}
	if d.sslHeader != nil {
		o["SECURE_PROXY_SSL_HEADER"] = []any{d.sslHeader[0], d.sslHeader[1]}
	}
	hosts := make([]any, len(d.allowedHosts))
	for i, h := range d.allowedHosts {
		hosts[i] = h
	}
	o["ALLOWED_HOSTS"] = hosts
	return o
}
