package python

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// uvicorn release lines whose ProxyHeadersMiddleware differs (Kludex/uvicorn
// uvicorn/middleware/proxy_headers.py; Debian 12 ships 0.17.6).
const (
	uvicorn0176 = iota // 0.17.6 (to 0.30): exact strings, "*" anywhere, dict(headers): the last line of each header
	uvicorn031         // 0.31.1 (#2468, #2480) proxy_headers.py:67 _TrustedHosts (IPs, strict networks, literals), :27 XFP ∈ {http,https,ws,wss}, :125 all trusted → leftmost
	uvicorn045         // 0.45.0 (#2903) proxy_headers.py:63 _parse_host_port keeps "[v6]:port" / "v4:port" apart
	uvicorn048         // 0.48.0 (#2944) proxy_headers.py:27 each header used only when it appears exactly once
	uvicorn049         // 0.49.0 (#2971) to 0.51.0 proxy_headers.py:28 X-Forwarded-For lines joined with ", ", the last X-Forwarded-Proto line
)

// uvicorn is the ASGI server's configuration; plain is an ASGI server that
// rewrites nothing.
type uvicorn struct {
	version      int
	label        string
	plain        bool
	proxyHeaders bool
	alwaysTrust  bool
	hosts        []string // 0.17.6: the trusted set, exact strings
	addrs        []pyAddr // 0.31+: _TrustedHosts.trusted_hosts
	nets         []pyNetwork
	literals     []string
	allow        any // forwarded_allow_ips as given
	options      map[string]any
}

func uvicornVersion(v string) (int, string, bool) {
	switch {
	case v == "0.17" || v == "0.17.6" || inMinorRange(v, 18, 30): // 0.23/0.28 changed websocket scopes only
		return uvicorn0176, "0.17.6", true
	case v == "0.31" || v == "0.31.1" || inMinorRange(v, 32, 44):
		return uvicorn031, "0.31", true
	case inMinorRange(v, 45, 47):
		return uvicorn045, "0.45", true
	case inMinorRange(v, 48, 48):
		return uvicorn048, "0.48", true
	case v == "" || inMinorRange(v, 49, 51):
		return uvicorn049, "0.51", true
	}
	return 0, "", false
}

// inMinorRange reports "0.N" or "0.N.P" with lo ≤ N ≤ hi.
func inMinorRange(v string, lo, hi int) bool {
	rest, ok := strings.CutPrefix(v, "0.")
	if !ok {
		return false
	}
	minor, _, _ := strings.Cut(rest, ".")
	if !allASCIIDigits(minor) {
		return false
	}
	m, err := strconv.Atoi(minor)
	return err == nil && m >= lo && m <= hi
}

var uvicornOptions = []string{"forwarded_allow_ips", "proxy_headers"}

func newUvicorn(opts map[string]any) (*uvicorn, error) {
	version, _ := opts["version"].(string)
	v, label, ok := uvicornVersion(version)
	if !ok {
		return nil, unsupported(fmt.Sprintf("unsupported uvicorn version %q (want 0.17, 0.31 to 0.44, 0.45 to 0.47, 0.48 or 0.49 to 0.51)", version))
	}
	u := &uvicorn{version: v, label: label, proxyHeaders: true, options: opts}
	var allow any = "127.0.0.1" // Config: FORWARDED_ALLOW_IPS, else 127.0.0.1
	for _, k := range sortedKeys(opts) {
		switch k {
		case "name", "version":
		case "proxy_headers":
			b, ok := opts[k].(bool)
			if !ok {
				return nil, fmt.Errorf("app.server.proxy_headers: want true or false, got %v", opts[k])
			}
			u.proxyHeaders = b
		case "forwarded_allow_ips":
			allow = opts[k]
		default:
			return nil, unknownOption("app.server", k, "uvicorn "+label, uvicornOptions)
		}
	}
	u.allow = allow
	var list []string
	switch x := allow.(type) {
	case string:
		if v == uvicorn0176 {
			list = strings.Split(x, ",")
		} else if x == "*" {
			u.alwaysTrust = true
		} else {
			list = strings.Split(x, ",")
		}
		for i := range list {
			list[i] = pyStrip(list[i])
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("app.server.forwarded_allow_ips: want strings, got %v", e)
			}
			list = append(list, s)
		}
		if v != uvicorn0176 && len(list) == 1 && list[0] == "*" {
			u.alwaysTrust, list = true, nil
		}
	default:
		return nil, fmt.Errorf("app.server.forwarded_allow_ips: want a string or a list of strings, got %v", allow)
	}
	if v == uvicorn0176 {
		u.hosts = list
		u.alwaysTrust = contains(list, "*")
		return u, nil
	}
	for _, h := range list {
		if strings.Contains(h, "/") {
			if n, err := parseIPNetwork(h, true); err == nil {
				u.nets = append(u.nets, n)
				continue
			}
		} else if a, err := parseIPAddress(h); err == nil {
			u.addrs = append(u.addrs, a)
			continue
		}
		u.literals = append(u.literals, h) // silently a literal that can never match an IP
	}
	return u, nil
}

// asgiScope is the part of an ASGI HTTP scope the apps read.
type asgiScope struct {
	client     bool   // scope["client"] is a tuple (not None)
	clientHost string // client[0]
	clientNone bool   // client[0] is None (uvicorn 0.17.6 when every address is trusted)
	server     bool
	scheme     string
	headers    [][2]string // names lowercased, in order
}

// scope is what uvicorn's protocol builds (protocols/http/h11_impl.py,
// httptools_impl.py): the peer, the listener, "https" over TLS, header
// names lowercased. A UNIX-socket peer has neither client nor server.
func newScope(req trustmodel.Request) asgiScope {
	s := asgiScope{scheme: "http"}
	if req.TLS {
		s.scheme = "https"
	}
	if !isUnixPeer(req.Peer) {
		s.client, s.clientHost, s.server = true, req.Peer, true
	}
	s.headers = make([][2]string, len(req.Headers))
	for i, l := range req.Headers {
		s.headers[i] = [2]string{strings.ToLower(l.Name), l.Value}
	}
	return s
}

func (s *asgiScope) values(name string) []string {
	var out []string
	for _, h := range s.headers {
		if h[0] == name {
			out = append(out, h[1])
		}
	}
	return out
}

// refuses is uvicorn's protocol answering the request itself: h11 (the
// protocol when httptools is absent, as in Debian and a plain `pip install
// uvicorn`) refuses a repeated Host in its Request event (h11/_events.py).
func (u *uvicorn) refuses(s *asgiScope) rejected {
	if u.plain {
		return ""
	}
	hosts := 0
	for _, h := range s.headers {
		if h[0] == "host" {
			hosts++
		}
	}
	if hosts > 1 {
		return "LocalProtocolError"
	}
	return ""
}

// apply is ProxyHeadersMiddleware.__call__ (when proxy_headers).
func (u *uvicorn) apply(s *asgiScope) {
	if u.plain || !u.proxyHeaders {
		return
	}
	var host string
	if s.client && !s.clientNone {
		host = s.clientHost
	}
	if !u.trusts(host, s.client && !s.clientNone) {
		return
	}
	proto, hasProto, xff, hasFor := u.forwarded(s)
	if hasProto {
		p := pyStrip(proto)
		if u.version == uvicorn0176 {
			s.scheme = p
		} else if p == "http" || p == "https" || p == "ws" || p == "wss" {
			s.scheme = p
		}
	}
	if !hasFor {
		return
	}
	items := strings.Split(xff, ",")
	for i := range items {
		items[i] = pyStrip(items[i])
	}
	if u.version == uvicorn0176 {
		s.client = true
		if c, ok := u.clientHost017(items); ok {
			s.clientHost, s.clientNone = c, false
		} else {
			s.clientNone = true
		}
		return
	}
	if c := u.clientHost(items); c != "" {
		s.client, s.clientHost, s.clientNone = true, c, false
	}
}

// forwarded is the X-Forwarded-Proto and X-Forwarded-For values the
// middleware reads, by its version's rule for repeated lines.
func (u *uvicorn) forwarded(s *asgiScope) (proto string, hasProto bool, xff string, hasFor bool) {
	protos, fors := s.values("x-forwarded-proto"), s.values("x-forwarded-for")
	hasProto, hasFor = len(protos) > 0, len(fors) > 0
	switch {
	case u.version <= uvicorn045: // dict(scope["headers"]): the last line wins
		if hasProto {
			proto = protos[len(protos)-1]
		}
		if hasFor {
			xff = fors[len(fors)-1]
		}
	case u.version == uvicorn048:
		hasProto, hasFor = len(protos) == 1, len(fors) == 1
		if hasProto {
			proto = protos[0]
		}
		if hasFor {
			xff = fors[0]
		}
	default:
		if hasProto {
			proto = protos[len(protos)-1]
		}
		xff = strings.Join(fors, ", ")
	}
	return proto, hasProto, xff, hasFor
}

// steps explains the walk for simulate: the peer, then X-Forwarded-For's
// entries from the right as uvicorn tests them; client is the result.
func (u *uvicorn) steps(s asgiScope, client string, clientNone bool) []trustmodel.Step {
	if u.plain || !u.proxyHeaders {
		return nil
	}
	t := u.Trust()
	peer := "(none: a UNIX socket)"
	if s.client {
		peer = s.clientHost
	}
	first := trustmodel.Step{Hop: 0, Addr: peer, Tested: true}
	first.Trusted, first.Why = t.Trusts(s.clientHost, 0)
	if !s.client && !u.alwaysTrust {
		first.Trusted, first.Why = false, "a UNIX-socket peer has no address to trust"
	}
	steps := []trustmodel.Step{first}
	_, _, xff, hasFor := u.forwarded(&s)
	if !first.Trusted || !hasFor {
		return steps
	}
	items := strings.Split(xff, ",")
	for i := len(items) - 1; i >= 0; i-- {
		item := pyStrip(items[i])
		host := item
		if u.version >= uvicorn045 {
			host = parseHostPort(item)
		}
		st := trustmodel.Step{Hop: len(items) - i, Addr: item, Tested: !u.alwaysTrust}
		if u.alwaysTrust {
			st.Why = "forwarded_allow_ips is *: not tested, the leftmost entry is the client"
		} else {
			st.Trusted, st.Why = t.Trusts(host, st.Hop)
		}
		steps = append(steps, st)
		if !u.alwaysTrust && !st.Trusted {
			steps[len(steps)-1].Why += ": the client"
			return steps
		}
	}
	last := &steps[len(steps)-1]
	switch {
	case clientNone:
		last.Why += "; every entry is trusted, so uvicorn 0.17.6 sets the client to None"
	case client == "":
		last.Why += "; an empty client leaves the peer"
	default:
		last.Why += "; every entry is trusted: the leftmost is the client"
	}
	return steps
}

// trusts is `client_host in trusted_hosts`; present is false for None.
func (u *uvicorn) trusts(host string, present bool) bool {
	if u.alwaysTrust {
		return true
	}
	if u.version == uvicorn0176 {
		return present && contains(u.hosts, host)
	}
	if !present || host == "" {
		return false
	}
	a, err := parseIPAddress(host)
	if err != nil {
		return contains(u.literals, host)
	}
	for _, t := range u.addrs {
		if t == a { // hash and == include the zone
			return true
		}
	}
	for _, n := range u.nets {
		if n.contains(a) {
			return true
		}
	}
	return false
}

// clientHost017 is 0.17.6's get_trusted_client_host: always_trust → the
// leftmost item; else the first item from the right not in the set; none
// when every item is trusted (scope["client"] becomes (None, 0)).
func (u *uvicorn) clientHost017(items []string) (string, bool) {
	if u.alwaysTrust {
		return items[0], true
	}
	for i := len(items) - 1; i >= 0; i-- {
		if !contains(u.hosts, items[i]) {
			return items[i], true
		}
	}
	return "", false
}

// clientHost is 0.31+'s get_trusted_client_address: the first untrusted
// item from the right, the leftmost when all are trusted; from 0.45 each
// item's port is parsed off first.
func (u *uvicorn) clientHost(items []string) string {
	hostOf := func(item string) string {
		if u.version < uvicorn045 {
			return item
		}
		return parseHostPort(item)
	}
	if u.alwaysTrust {
		return hostOf(items[0])
	}
	for i := len(items) - 1; i >= 0; i-- {
		if h := hostOf(items[i]); !u.trusts(h, true) {
			return h
		}
	}
	return hostOf(items[0])
}

// parseHostPort is 0.45+'s _parse_host_port, host part only: "[v6]:port",
// "[v6]", "v4:port" (exactly one ":"); anything malformed stays whole.
func parseHostPort(v string) string {
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return v
		}
		host, rest := v[1:end], v[end+1:]
		if rest == "" || strings.HasPrefix(rest, ":") {
			return host // int() failing still keeps the host
		}
		return v
	}
	if strings.Count(v, ":") == 1 {
		host, port, _ := rsplitColon(v)
		if _, ok := pyInt(port); ok {
			return host
		}
	}
	return v
}

// asgiServer reads app.server for an ASGI app: uvicorn; gunicorn with
// uvicorn's worker, which runs uvicorn with gunicorn's forwarded_allow_ips
// list (uvicorn/workers.py config_kwargs; "uvicorn_version" names that
// uvicorn); or none (a plain ASGI server that rewrites nothing).
func asgiServer(s map[string]any) (*uvicorn, error) {
	if s == nil {
		return &uvicorn{plain: true}, nil
	}
	switch s["name"] {
	case "uvicorn":
		return newUvicorn(s)
	case "gunicorn":
		g, err := newGunicorn(s)
		if err != nil {
			return nil, err
		}
		if g.workerClass != uvicornWorker {
			return nil, unsupported(fmt.Sprintf("app.server: gunicorn serves an ASGI app only with worker_class: %s", uvicornWorker))
		}
		version, _ := s["uvicorn_version"].(string)
		uv, _, ok := uvicornVersion(version)
		if !ok {
			return nil, unsupported(fmt.Sprintf("unsupported uvicorn_version %q", version))
		}
		var allow []any
		for _, a := range g.allow {
			if g.version == gunicorn241 && a != "*" {
				// 24.1 hands the worker ip_network objects: 0.31+'s
				// _TrustedHosts tests `"/" in host` on them, which is the
				// network's __contains__ of a str, and fails at start-up;
				// 0.17.6's set of them never equals a string.
				if uv != uvicorn0176 {
					return nil, fmt.Errorf("'str' object has no attribute '_version'")
				}
				continue
			}
			allow = append(allow, a)
		}
		u, err := newUvicorn(map[string]any{"name": "uvicorn", "version": version, "forwarded_allow_ips": allow})
		if err != nil {
			return nil, err
		}
		u.label += " (gunicorn " + g.label + " worker)"
		u.options = s
		return u, nil
	}
	return nil, unsupported(fmt.Sprintf("app.server: unknown ASGI server %q (known: uvicorn, gunicorn with %s)", s["name"], uvicornWorker))
}

func (u *uvicorn) String() string {
	if u.plain {
		return "a plain ASGI server"
	}
	return "uvicorn " + u.label
}

// Trust is uvicorn's trusted set as trust(addr, i): the same test for the
// peer and each X-Forwarded-For entry.
func (u *uvicorn) Trust() trustmodel.Trust {
	if u.plain || !u.proxyHeaders {
		return noTrust{"uvicorn without proxy headers: request.client is the peer"}
	}
	return uvicornTrust{u}
}

type uvicornTrust struct{ u *uvicorn }

func (t uvicornTrust) Trusts(addr string, _ int) (bool, string) {
	if t.u.trusts(addr, true) {
		if t.u.alwaysTrust {
			return true, "forwarded_allow_ips is *: every address is trusted"
		}
		return true, "in forwarded_allow_ips"
	}
	return false, "not in forwarded_allow_ips"
}

func (t uvicornTrust) String() string {
	if t.u.alwaysTrust {
		return "forwarded_allow_ips=* (trust every address)"
	}
	return "forwarded_allow_ips=" + pyReprValue(t.u.allow)
}
