package python

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// flask is a Flask app: the WSGI server's environ, Werkzeug's ProxyFix
// when the app wraps itself in it, then flask.request's accessors.
type flask struct {
	version  string // "2" (Werkzeug 2.2, recorded) or "3" (Werkzeug 3.1.8, modelled)
	server   *gunicorn
	proxyFix *proxyFix
	explain  bool
}

func flaskVersion(v string) (string, bool) {
	switch v {
	case "", "3", "3.1", "3.1.8":
		return "3", true
	case "2", "2.2", "2.2.2":
		return "2", true
	}
	return "", false
}

func newFlask(app trustmodel.App) (*flask, error) {
	v, ok := flaskVersion(app.Version)
	if !ok {
		return nil, unsupported(fmt.Sprintf("unsupported flask version %q (want 2 or 3: Werkzeug 2.2 or 3.1)", app.Version))
	}
	f := &flask{version: v, explain: app.Explain}
	if len(app.Options) > 0 {
		return nil, unknownOption("app.options", sortedKeys(app.Options)[0], "flask", []string{})
	}
	var err error
	if f.server, err = wsgiServer(app.Server); err != nil {
		return nil, err
	}
	for _, m := range app.Middleware {
		if m["name"] != "proxy_fix" {
			return nil, unsupported(fmt.Sprintf("app.middleware: unknown middleware %q for flask (known: proxy_fix)", m["name"]))
		}
		if f.proxyFix != nil {
			return nil, unsupported("app.middleware: more than one proxy_fix is not modelled")
		}
		if f.proxyFix, err = newProxyFix(m, v == "3"); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// wsgiServer reads app.server for a WSGI app: gunicorn, or none (a plain
// WSGI server that rewrites nothing).
func wsgiServer(s map[string]any) (*gunicorn, error) {
	if s == nil {
		return &gunicorn{version: gunicorn201, plain: true}, nil
	}
	if s["name"] != "gunicorn" {
		return nil, unsupported(fmt.Sprintf("app.server: unknown WSGI server %q (known: gunicorn)", s["name"]))
	}
	g, err := newGunicorn(s)
	if err == nil && g.workerClass == uvicornWorker {
		return nil, unsupported("app.server: a WSGI app does not run on worker_class " + uvicornWorker)
	}
	return g, err
}

func (f *flask) Name() string {
	name := "flask " + f.version
	if !f.server.plain {
		name += " on " + f.server.String()
	}
	return name
}

func (f *flask) AddressHeader() string {
	if f.proxyFix != nil && f.proxyFix.xFor != 0 {
		return "X-Forwarded-For"
	}
	return ""
}

func (f *flask) Trust() trustmodel.Trust {
	if f.proxyFix == nil || f.proxyFix.xFor <= 0 {
		return noTrust{"no ProxyFix x_for: request.remote_addr is the peer"}
	}
	return hopTrust{n: f.proxyFix.xFor, what: fmt.Sprintf("ProxyFix x_for=%d", f.proxyFix.xFor)}
}

func (f *flask) Evaluate(req trustmodel.Request) trustmodel.Result {
	env, rej := f.server.environ(req)
	if rej != "" {
		return rejectedResult(rej)
	}
	var r trustmodel.Result
	if f.explain {
		r.Steps = f.steps(env)
	}
	if f.proxyFix != nil {
		if rej := f.proxyFix.apply(env); rej != "" {
			return rejectedResult(rej)
		}
	}
	// Werkzeug's routing answers first: an HTTP rule refuses a websocket
	// request (routing/map.py bind_to_environ, WebsocketMismatch 400), the
	// empty path is redirected to "/" (308), and both together find no
	// rule (404).
	scheme := env["wsgi.url_scheme"]
	switch ws, empty := websocketRoute(env, scheme), env["PATH_INFO"] == ""; {
	case ws && empty:
		return rejectedResult("NotFound")
	case ws:
		return rejectedResult("WebsocketMismatch")
	case empty:
		return rejectedResult("RequestRedirect")
	}
	r.IP = str(env["REMOTE_ADDR"])
	r.Protocol = str(scheme)
	r.Secure = trustmodel.BoolPtr(scheme == "https" || scheme == "wss")
	host := f.host(env, scheme)
	r.Host = str(host)
	r.Hostname = str(hostWithoutPort(host))
	return r
}

// websocketRoute is bind_to_environ's websocket decision: a ws/wss scheme,
// or Connection: upgrade with Upgrade: websocket.
func websocketRoute(env environ, scheme string) bool {
	upgrade := false
	for _, v := range strings.Split(strings.ToLower(env["HTTP_CONNECTION"]), ",") {
		if pyStrip(v) == "upgrade" {
			upgrade = true
		}
	}
	if upgrade && strings.ToLower(env["HTTP_UPGRADE"]) == "websocket" {
		return true
	}
	return scheme == "ws" || scheme == "wss"
}

// host is request.host: Werkzeug's get_host(scheme, HTTP_HOST, server).
func (f *flask) host(env environ, scheme string) string {
	host, hasHeader := env["HTTP_HOST"]
	if !hasHeader {
		// _get_server: (SERVER_NAME, int(SERVER_PORT) or None)
		host = env["SERVER_NAME"]
		if port, ok := pyInt(env["SERVER_PORT"]); ok {
			host += ":" + port
		}
	}
	if f.version == "3" {
		return getHost3(scheme, host, hasHeader, env)
	}
	return stripDefaultPort(scheme, host)
}

func stripDefaultPort(scheme, host string) string {
	switch {
	case (scheme == "http" || scheme == "ws") && strings.HasSuffix(host, ":80"):
		return host[:len(host)-3]
	case (scheme == "https" || scheme == "wss") && strings.HasSuffix(host, ":443"):
		return host[:len(host)-4]
	}
	return host
}

// hostWithoutPort is Werkzeug's own host/port split (ProxyFix's): the part
// before the last ":" unless the host ends with "]".
func hostWithoutPort(host string) string {
	if strings.Contains(host, ":") && !strings.HasSuffix(host, "]") {
		h, _, _ := rsplitColon(host)
		return h
	}
	return host
}

// steps explains ProxyFix's pick: X-Forwarded-For's values, rightmost
// first, after the peer.
func (f *flask) steps(env environ) []trustmodel.Step {
	steps := []trustmodel.Step{{Hop: 0, Addr: env["REMOTE_ADDR"], Tested: true}}
	n := 0
	if f.proxyFix != nil {
		n = f.proxyFix.xFor
	}
	var values []string
	if xff, ok := env["HTTP_X_FORWARDED_FOR"]; ok && n > 0 && xff != "" {
		values = f.proxyFix.parseList(xff)
	}
	t := f.Trust()
	steps[0].Trusted, steps[0].Why = t.Trusts(steps[0].Addr, 0)
	if n > 0 && len(values) < n {
		steps[0].Why = fmt.Sprintf("X-Forwarded-For has %d value(s), fewer than x_for=%d: ProxyFix leaves REMOTE_ADDR", len(values), n)
		steps[0].Trusted = false
		return steps
	}
	for i := 1; i <= len(values) && i <= n; i++ {
		s := trustmodel.Step{Hop: i, Addr: values[len(values)-i], Tested: i < n}
		if s.Tested {
			s.Trusted, s.Why = t.Trusts(s.Addr, i)
		} else {
			s.Why = fmt.Sprintf("the value x_for=%d picks, written to REMOTE_ADDR verbatim", n)
		}
		steps = append(steps, s)
	}
	return steps
}

// getHost3 is Werkzeug 3.1.8's get_host (src/werkzeug/sansio/utils.py:79 at
// tag 3.1.8, host_is_trusted :25, _host_re :12) without trusted_hosts (Flask's TRUSTED_HOSTS is unset): the
// server address only when it has a port (a UNIX socket gives ""), an IPv6
// SERVER_NAME bracketed, and "" for a value host_is_trusted refuses.
func getHost3(scheme, host string, hasHeader bool, env environ) string {
	if !hasHeader {
		port, ok := pyInt(env["SERVER_PORT"])
		if !ok {
			return ""
		}
		host = env["SERVER_NAME"]
		if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
			host = "[" + host + "]"
		}
		host += ":" + port
	}
	switch scheme {
	case "http", "ws":
		host = strings.TrimSuffix(host, ":80")
	case "https", "wss":
		host = strings.TrimSuffix(host, ":443")
	}
	if !validHost(host, true) {
		return ""
	}
	return host
}

// validHost is the host regex Werkzeug 3.1.7+ (_host_re), Starlette
// (_HOST_RE) and Django (host_validation_re) share, matched in full:
// ([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?. foldCase accepts
// upper-case letters (re.IGNORECASE); Django lowercases first instead.
func validHost(s string, foldCase bool) bool {
	lower := func(c byte) byte {
		if foldCase && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	i := 0
	if strings.HasPrefix(s, "[") {
		// \[[a-f0-9]*:[a-f0-9.:]+\] — backtracking finds a ":" with at
		// least one character of [a-f0-9.:] after it before the "]".
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		inner := s[1:end]
		colon := -1
		for j := 0; j < len(inner); j++ {
			c := lower(inner[j])
			isHex := c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
			if isHex {
				continue
			}
			if c == ':' {
				if colon < 0 {
					colon = j
				}
				continue
			}
			if c == '.' && colon >= 0 {
				continue
			}
			return false
		}
		if colon < 0 || colon == len(inner)-1 {
			return false
		}
		i = end + 1
	} else {
		for i < len(s) {
			c := lower(s[i])
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
				i++
				continue
			}
			break
		}
		if i == 0 {
			return false
		}
	}
	if i == len(s) {
		return true
	}
	return s[i] == ':' && allASCIIDigits(s[i+1:])
}

// Advise for Flask: ProxyFix counts, so the advice is the number of proxies
// (x_for and x_proto; x_host and x_port as the app had them, at most that
// many); no proxies means no ProxyFix. Under gunicorn, forwarded_allow_ips
// names nginx so that only nginx's secure scheme headers count.
func (f *flask) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	app := trustmodel.App{Framework: "flask", Version: f.version}
	server, serverCode, ok := adviseGunicorn(f.server, a)
	if !ok {
		return trustmodel.Setting{}, false
	}
	app.Server = server
	if len(a.Proxies) == 0 {
		return trustmodel.Setting{Code: "app.wsgi_app without ProxyFix" + serverCode, App: app}, true
	}
	if a.Hops < 1 {
		return trustmodel.Setting{}, false
	}
	p := proxyFix{xFor: a.Hops, xProto: a.Hops}
	if f.proxyFix != nil {
		p.xHost, p.xPort, p.xPrefix = min(f.proxyFix.xHost, a.Hops), min(f.proxyFix.xPort, a.Hops), min(f.proxyFix.xPrefix, a.Hops)
	}
	app.Middleware = []map[string]any{{"name": "proxy_fix", "x_for": p.xFor, "x_proto": p.xProto, "x_host": p.xHost, "x_port": p.xPort, "x_prefix": p.xPrefix}}
	return trustmodel.Setting{Code: "app.wsgi_app = " + p.code() + serverCode, App: app}, true
}
