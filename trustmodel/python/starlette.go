package python

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// fastapi is a FastAPI (Starlette) app: the ASGI server's scope, uvicorn's
// ProxyHeadersMiddleware when it runs, then request.client and request.url.
type fastapi struct {
	version       string // Starlette's
	validatesHost bool   // starlette/datastructures.py:25 _HOST_RE (Starlette ≥ 1.0.1, #3279 commit 764dab0d; Debian's 0.26.1+deb12u2 backports it)
	server        *uvicorn
	explain       bool
}

func starletteVersion(v string) (label string, validatesHost, ok bool) {
	switch {
	case v == "0.26" || v == "0.26.1":
		return "0.26", true, true // Debian 12's, with the _HOST_RE backport
	case v == "" || v == "1" || strings.HasPrefix(v, "1.") && v != "1.0" && v != "1.0.0":
		return "1", true, true
	case v == "1.0" || v == "1.0.0" || inMinorRange(v, 27, 52):
		return v, false, true
	}
	return "", false, false
}

func newFastAPI(app trustmodel.App) (*fastapi, error) {
	label, validates, ok := starletteVersion(app.Version)
	if !ok {
		return nil, unsupported(fmt.Sprintf("unsupported fastapi version %q (want Starlette's: 0.26 (Debian), 0.27 to 0.52, 1.0.0, or 1.x)", app.Version))
	}
	if len(app.Options) > 0 {
		return nil, unknownOption("app.options", sortedKeys(app.Options)[0], "fastapi", []string{})
	}
	if len(app.Middleware) > 0 {
		return nil, unsupported(fmt.Sprintf("app.middleware: unknown middleware %q for fastapi (proxy headers are uvicorn's: app.server)", app.Middleware[0]["name"]))
	}
	u, err := asgiServer(app.Server)
	if err != nil {
		return nil, err
	}
	return &fastapi{version: label, validatesHost: validates, server: u, explain: app.Explain}, nil
}

func (f *fastapi) Name() string {
	name := "fastapi (starlette " + f.version + ")"
	if !f.server.plain {
		name += " on " + f.server.String()
	}
	return name
}

func (f *fastapi) AddressHeader() string {
	if f.server.plain || !f.server.proxyHeaders {
		return ""
	}
	return "X-Forwarded-For"
}

func (f *fastapi) Trust() trustmodel.Trust { return f.server.Trust() }

func (f *fastapi) Evaluate(req trustmodel.Request) trustmodel.Result {
	s := newScope(req)
	if rej := f.server.refuses(&s); rej != "" {
		return rejectedResult(rej)
	}
	before := s
	f.server.apply(&s)
	var r trustmodel.Result
	if f.explain {
		r.Steps = f.server.steps(before, s.clientHost, s.clientNone)
	}
	if s.client && !s.clientNone {
		r.IP = str(s.clientHost)
	}
	url, err := f.url(&s)
	if err != "" {
		r.Raised = map[string]string{"protocol": err, "secure": err, "host": err, "hostname": err}
		return r
	}
	r.Protocol = str(url.scheme)
	r.Secure = trustmodel.BoolPtr(url.scheme == "https" || url.scheme == "wss")
	r.Host = str(url.netloc)
	if h, ok := url.hostname(); ok {
		r.Hostname = str(h)
	}
	return r
}

// url is request.url (starlette/datastructures.py URL(scope=...)) parsed
// back by urllib.parse.urlsplit; err is the exception's class name.
func (f *fastapi) url(s *asgiScope) (splitResult, string) {
	hostHeader, hasHost := "", false
	for _, h := range s.headers {
		if h[0] == "host" {
			hostHeader, hasHost = h[1], true
			break
		}
	}
	var raw string
	if f.validatesHost {
		var netloc string
		switch {
		case hasHost && validHost(hostHeader, true):
			netloc = hostHeader
		case s.server:
			port, ok := defaultPorts[s.scheme]
			if !ok {
				return splitResult{}, "KeyError"
			}
			netloc = serverName
			if port != serverPort {
				netloc += ":" + serverPort
			}
		default:
			return urlsplit("/")
		}
		raw = urlunsplit(s.scheme, netloc, "/")
	} else {
		switch {
		case hasHost:
			raw = s.scheme + "://" + hostHeader + "/"
		case s.server:
			port, ok := defaultPorts[s.scheme]
			if !ok {
				return splitResult{}, "KeyError"
			}
			raw = s.scheme + "://" + serverName
			if port != serverPort {
				raw += ":" + serverPort
			}
			raw += "/"
		default:
			raw = "/"
		}
	}
	return urlsplit(raw)
}

var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443"}

// Advise for FastAPI: uvicorn's --forwarded-allow-ips with the proxies'
// addresses (uvicorn matches exact strings before 0.31, addresses and
// networks since).
func (f *fastapi) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	return adviseUvicorn(f.server, a, trustmodel.App{Framework: "fastapi", Version: f.version})
}

func adviseUvicorn(u *uvicorn, a trustmodel.Advice, app trustmodel.App) (trustmodel.Setting, bool) {
	if u.options["name"] == "gunicorn" {
		return adviseUvicornWorker(u, a, app)
	}
	server := map[string]any{"name": "uvicorn"}
	if !u.plain {
		for k, v := range u.options {
			server[k] = v
		}
	}
	if len(a.Proxies) == 0 {
		server["proxy_headers"] = false
		delete(server, "forwarded_allow_ips")
		app.Server = server
		return trustmodel.Setting{Code: "uvicorn --no-proxy-headers", App: app}, true
	}
	for _, p := range a.Proxies {
		if strings.Contains(p, "/") && (u.plain || u.version == uvicorn0176) {
			return trustmodel.Setting{}, false // 0.17.6 matches exact strings only
		}
	}
	list := strings.Join(a.Proxies, ",")
	server["proxy_headers"] = true
	server["forwarded_allow_ips"] = list
	app.Server = server
	return trustmodel.Setting{Code: "uvicorn --proxy-headers --forwarded-allow-ips=" + list, App: app}, true
}

// adviseUvicornWorker is the advice for uvicorn under gunicorn: gunicorn's
// forwarded_allow_ips, which the worker hands to uvicorn. Ranges need
// gunicorn ≥ 25 (strings, validated) and uvicorn ≥ 0.31 (CIDR).
func adviseUvicornWorker(u *uvicorn, a trustmodel.Advice, app trustmodel.App) (trustmodel.Setting, bool) {
	server := map[string]any{}
	for k, v := range u.options {
		server[k] = v
	}
	g, err := newGunicorn(server)
	if err != nil {
		return trustmodel.Setting{}, false
	}
	for _, p := range a.Proxies {
		if strings.Contains(p, "/") && (g.version < gunicorn25 || u.version == uvicorn0176) {
			return trustmodel.Setting{}, false
		}
	}
	list := strings.Join(a.Proxies, ",")
	server["forwarded_allow_ips"] = list
	app.Server = server
	return trustmodel.Setting{Code: fmt.Sprintf("gunicorn -k %s --forwarded-allow-ips=%q", uvicornWorker, list), App: app}, true
}

// splitResult is urllib.parse.SplitResult's scheme and netloc.
type splitResult struct{ scheme, netloc string }

// urlunsplit is urllib.parse.urlunsplit((scheme, netloc, path, "", "")) for
// a non-empty netloc.
func urlunsplit(scheme, netloc, path string) string {
	u := "//" + netloc + path
	if scheme != "" {
		u = scheme + ":" + u
	}
	return u
}

// urlsplit is CPython 3.11's urllib.parse.urlsplit (Debian 12's, with the
// bracketed-host check) as far as scheme and netloc go.
func urlsplit(u string) (splitResult, string) {
	u = strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	if strings.ContainsAny(u, "\t\r\n") {
		u = unsafeURLBytes.Replace(u)
	}
	var r splitResult
	if i := strings.IndexByte(u, ':'); i > 0 && isASCIIAlpha(u[0]) {
		ok := true
		for j := 0; j < i; j++ {
			c := u[j]
			if !(isASCIIAlpha(c) || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
				ok = false
				break
			}
		}
		if ok {
			r.scheme, u = strings.ToLower(u[:i]), u[i+1:]
		}
	}
	if strings.HasPrefix(u, "//") {
		end := len(u)
		for _, c := range "/?#" {
			if k := strings.IndexRune(u[2:], c); k >= 0 && k+2 < end {
				end = k + 2
			}
		}
		r.netloc = u[2:end]
		open, close := strings.Contains(r.netloc, "["), strings.Contains(r.netloc, "]")
		if open != close {
			return splitResult{}, "ValueError" // Invalid IPv6 URL
		}
		if open && !bracketedNetlocOK(r.netloc) {
			return splitResult{}, "ValueError"
		}
	}
	return r, ""
}

// unsafeURLBytes is _UNSAFE_URL_BYTES_TO_REMOVE.
var unsafeURLBytes = strings.NewReplacer("\t", "", "\r", "", "\n", "")

func isASCIIAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// bracketedNetlocOK is _check_bracketed_netloc: nothing before "[", only
// ":port" after "]", and the bracketed host an IPv6 address (or IPvFuture).
func bracketedNetlocOK(netloc string) bool {
	hostPort := netloc[strings.LastIndexByte(netloc, '@')+1:]
	before, bracketed, found := strings.Cut(hostPort, "[")
	var host string
	if found {
		if before != "" {
			return false
		}
		var port string
		host, port, _ = strings.Cut(bracketed, "]")
		if port != "" && !strings.HasPrefix(port, ":") {
			return false
		}
	} else {
		host, _, _ = strings.Cut(hostPort, ":")
	}
	if strings.HasPrefix(host, "v") {
		return ipvFuture(host)
	}
	a, err := parseIPAddress(host)
	return err == nil && !a.is4()
}

// ipvFuture is \Av[a-fA-F0-9]+\..+\Z.
func ipvFuture(h string) bool {
	i := 1
	for i < len(h) && strings.IndexByte("0123456789abcdefABCDEF", h[i]) >= 0 {
		i++
	}
	return i > 1 && i < len(h)-1 && h[i] == '.' && !strings.Contains(h[i+1:], "\n")
}

// hostname is SplitResult.hostname: the host of the netloc, lowercased
// (not its zone); false for None.
func (r splitResult) hostname() (string, bool) {
	hostInfo := r.netloc[strings.LastIndexByte(r.netloc, '@')+1:]
	var host string
	if _, bracketed, found := strings.Cut(hostInfo, "["); found {
		host, _, _ = strings.Cut(bracketed, "]")
	} else {
		host, _, _ = strings.Cut(hostInfo, ":")
	}
	if host == "" {
		return "", false
	}
	h, zone, hasZone := strings.Cut(host, "%")
	h = strings.ToLower(h)
	if hasZone {
		h += "%" + zone
	}
	return h, true
}
