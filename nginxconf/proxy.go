package nginxconf

import (
	"net/netip"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Proxy is one place that passes requests to an app: a proxy_pass,
// fastcgi_pass, uwsgi_pass, scgi_pass or grpc_pass, or passenger_enabled.
type Proxy struct {
	// Pos is the pass directive (passenger_enabled for Passenger).
	Pos trustmodel.Pos
	// Module is "proxy", "fastcgi", "uwsgi", "scgi", "grpc" or "passenger".
	Module string
	Server *Server
	// Location is the location (or if / limit_except block) whose pass
	// directive this is. It is nil only for Passenger enabled at server or
	// http level, which serves every request no location handles itself.
	Location  *Location
	Directive *Directive
	// Hop is what this place does to a request, for replay.
	Hop trustmodel.Hop

	// URL is the pass directive's argument as written.
	URL    string
	Target Target
	// ConnectFrom are the addresses the app may see nginx connect from, one
	// per kind of candidate target, in nginx's order ("" for a UNIX socket,
	// where the app sees no address). Empty when unknown (a remote target:
	// nginx's own interface address). Hop.Addr is the first.
	ConnectFrom []string
	FromKind    ConnectKind

	// Headers is the effective proxy_set_header (grpc_set_header) list,
	// HeadersLevel the level it comes from ("http", "server", "location",
	// or "" when no level sets any). Shadowed are the headers set at outer
	// levels that do not apply here because a closer level sets its own list.
	// For fastcgi, uwsgi and scgi, HeadersLevel and Shadowed are those of
	// Params instead.
	Headers      []HeaderSetting
	HeadersLevel string
	Shadowed     []HeaderSetting
	// Params are the effective fastcgi_param / uwsgi_param / scgi_param
	// (as configured; nginx's own HTTP_HOST default of 1.29.5 is in
	// Hop.Rules only).
	Params []HeaderSetting
	// PassRequestHeaders is proxy_pass_request_headers (and the fastcgi,
	// uwsgi, scgi equivalents).
	PassRequestHeaders bool
	// RealIP is the realip configuration the POST_READ phase uses (server
	// level) and LocationRealIP the one PREACCESS uses (this location's).
	RealIP         *RealIP
	LocationRealIP *RealIP
	// Bind is the effective proxy_bind, if any.
	Bind *Directive

	proxyHost trustmodel.Expr
}

// HeaderSetting is one proxy_set_header (or *_param) in effect.
type HeaderSetting struct {
	Pos   trustmodel.Pos
	Name  string
	Value string // as written
	Expr  trustmodel.Expr
	Level string // "http", "server", "location"
	// IfNotEmpty is the *_param if_not_empty flag.
	IfNotEmpty bool
}

// ConnectKind says what the app sees as nginx's address.
type ConnectKind int

const (
	ConnectUnknown     ConnectKind = iota // a remote target: nginx's interface address, not in the configuration
	ConnectLoopback                       // 127.0.0.1 or ::1
	ConnectUnix                           // a UNIX socket: no address
	ConnectBind                           // proxy_bind's address
	ConnectTransparent                    // proxy_bind ... transparent: the client's own address
	ConnectMixed                          // several kinds across an upstream's servers
)

func (k ConnectKind) String() string {
	return [...]string{"unknown", "loopback", "unix", "bind", "transparent", "mixed"}[k]
}

// HopFrom returns the hop with Addr set to one of ConnectFrom (for a
// localhost target that nginx reaches over both families).
func (p *Proxy) HopFrom(addr string) trustmodel.Hop {
	h := p.Hop
	h.Addr = addr
	return h
}

// Target is where a pass directive sends requests.
type Target struct {
	URL string
	// Scheme is "http", "https", "grpc", "grpcs" or "" (fastcgi-style).
	Scheme string
	// Host is the host as written (a name, an IP, an upstream name); Unix
	// the socket path of a "unix:" target.
	Host string
	Port int
	Unix string
	// ExplicitPort: the URL names a port.
	ExplicitPort bool
	// Upstream is the upstream{} block the URL names, if any.
	Upstream *Upstream
	// HostHeader is $proxy_host: host[:port] (port only when not the
	// scheme's default), the upstream name, or "localhost" for a socket.
	HostHeader string
	// Addrs are the addresses nginx connects to: "127.0.0.1:3000",
	// "[::1]:3000", "unix:/run/app.sock"; "localhost" gives both families
	// (IPv4 first, as ngx_inet_resolve_host orders them).
	Addrs []string
	// Unresolved are host names nginx resolves at start-up (or through
	// resolver at run time) that the model cannot.
	Unresolved []string
	// Dynamic: the URL has variables the model cannot fix.
	Dynamic bool
	TLS     bool
}

// parseProxyURL reads a pass directive's URL (scheme optional).
func parseProxyURL(u string) Target {
	t := Target{URL: u}
	lower := strings.ToLower(u)
	rest := u
	defPort := 0
	for _, s := range []struct {
		prefix string
		port   int
		tls    bool
	}{{"http://", 80, false}, {"https://", 443, true}, {"grpc://", 80, false}, {"grpcs://", 443, true},
		{"uwsgi://", 0, false}, {"suwsgi://", 0, true}} {
		if strings.HasPrefix(lower, s.prefix) {
			t.Scheme = strings.TrimSuffix(s.prefix, "://")
			rest = u[len(s.prefix):]
			defPort = s.port
			t.TLS = s.tls
			break
		}
	}
	if strings.HasPrefix(strings.ToLower(rest), "unix:") {
		p := rest[len("unix:"):]
		if i := strings.IndexByte(p, ':'); i >= 0 {
			p = p[:i]
		}
		t.Unix = p
		t.Host = "unix:" + p
		t.HostHeader = "localhost"
		t.Addrs = []string{"unix:" + p}
		return t
	}
	hostport := rest
	if i := strings.IndexAny(hostport, "/?"); i >= 0 {
		hostport = hostport[:i]
	}
	host, portText := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		if end := strings.IndexByte(hostport, ']'); end >= 0 {
			host = hostport[:end+1]
			if strings.HasPrefix(hostport[end+1:], ":") {
				portText = hostport[end+2:]
			}
		}
	} else if i := strings.IndexByte(hostport, ':'); i >= 0 {
		host, portText = hostport[:i], hostport[i+1:]
	}
	t.Host = host
	t.Port = defPort
	if portText != "" {
		if p := ngxAtoi(portText); p > 0 && p <= 65535 {
			t.Port = p
			t.ExplicitPort = true
		}
	}
	t.HostHeader = host
	if t.ExplicitPort && t.Port != defPort {
		t.HostHeader = host + ":" + portText
	}
	return t
}

// urlHostPart is the scheme and host[:port] of a pass URL (the part that
// decides where nginx connects), without the URI.
func urlHostPart(u string) string {
	rest := u
	if i := strings.Index(u, "://"); i >= 0 {
		rest = u[i+3:]
	}
	if strings.HasPrefix(strings.ToLower(rest), "unix:") {
		if i := strings.IndexByte(rest[5:], ':'); i >= 0 {
			return u[:len(u)-len(rest)+5+i]
		}
		return u
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		return u[:len(u)-len(rest)+i]
	}
	return u
}

// resolveTarget fills Addrs from an upstream block or the host.
func resolveTarget(t *Target, h *HTTP) {
	if t.Unix != "" || t.Dynamic {
		return
	}
	if h != nil && !t.ExplicitPort {
		if u := h.upsBy[strings.ToLower(t.Host)]; u != nil {
			t.Upstream = u
			t.Addrs = nil
			for _, s := range u.Servers {
				t.Addrs = appendUnique(t.Addrs, s.Target.Addrs...)
				t.Unresolved = appendUnique(t.Unresolved, s.Target.Unresolved...)
			}
			return
		}
	}
	t.Addrs, t.Unresolved = hostAddrs(t.Host, t.Port)
}

// hostAddrs is what nginx connects to for a host and port.
func hostAddrs(host string, port int) (addrs, unresolved []string) {
	p := itoa(port)
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil && a.Zone() == "" {
		if a.Is4() {
			return []string{a.String() + ":" + p}, nil
		}
		return []string{"[" + a.String() + "]:" + p}, nil
	}
	switch strings.ToLower(host) {
	case "localhost":
		// /etc/hosts on Debian and most systems: 127.0.0.1 and ::1;
		// ngx_inet_resolve_host lists IPv4 addresses first.
		return []string{"127.0.0.1:" + p, "[::1]:" + p}, nil
	case "ip6-localhost", "ip6-loopback":
		return []string{"[::1]:" + p}, nil
	}
	if host == "" {
		return nil, nil
	}
	return nil, []string{host}
}

func appendUnique(list []string, xs ...string) []string {
	for _, x := range xs {
		dup := false
		for _, y := range list {
			if y == x {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, x)
		}
	}
	return list
}

// connectFrom is the address the app sees for each candidate target.
func connectFrom(t Target) ([]string, ConnectKind) {
	var out []string
	kind := ConnectUnknown
	set := false
	note := func(k ConnectKind) {
		if !set {
			kind, set = k, true
		} else if kind != k {
			kind = ConnectMixed
		}
	}
	for _, a := range t.Addrs {
		if strings.HasPrefix(a, "unix:") {
			out = appendUnique(out, "")
			note(ConnectUnix)
			continue
		}
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			note(ConnectUnknown)
			continue
		}
		ip := ap.Addr().Unmap()
		switch {
		case ip.Is4() && ip.IsLoopback():
			out = appendUnique(out, "127.0.0.1")
			note(ConnectLoopback)
		case ip == netip.IPv6Loopback():
			out = appendUnique(out, "::1")
			note(ConnectLoopback)
		default:
			note(ConnectUnknown)
		}
	}
	if len(t.Unresolved) > 0 || t.Dynamic {
		note(ConnectUnknown)
	}
	if kind == ConnectUnknown {
		out = nil
	}
	return out, kind
}

// defaultProxyHeaders is ngx_http_proxy_headers (and, with a cache,
// ngx_http_proxy_cache_headers) for the configured nginx version, in order.
func defaultProxyHeaders(v Version, cache bool) [][2]string {
	conn := "close"
	if !v.SendsConnectionClose() {
		conn = ""
	}
	h := [][2]string{
		{"Host", "$proxy_host"},
		{"Connection", conn},
	}
	if v.RemovesProxyConnection() {
		h = append(h, [2]string{"Proxy-Connection", ""})
	}
	h = append(h,
		[2]string{"Content-Length", "$proxy_internal_body_length"},
		[2]string{"Transfer-Encoding", "$proxy_internal_chunked"},
		[2]string{"TE", ""},
		[2]string{"Keep-Alive", ""},
		[2]string{"Expect", ""},
		[2]string{"Upgrade", ""},
	)
	if cache {
		h = append(h,
			[2]string{"If-Modified-Since", "$upstream_cache_last_modified"},
			[2]string{"If-Unmodified-Since", ""},
			[2]string{"If-None-Match", "$upstream_cache_etag"},
			[2]string{"If-Match", ""},
			[2]string{"Range", ""},
			[2]string{"If-Range", ""},
		)
	}
	return h
}

// defaultGRPCHeaders is ngx_http_grpc_headers.
var defaultGRPCHeaders = [][2]string{
	{"Content-Length", "$content_length"},
	{"TE", "$grpc_internal_trailers"},
	{"Host", ""},
	{"Connection", ""},
	{"Transfer-Encoding", ""},
	{"Keep-Alive", ""},
	{"Expect", ""},
	{"Upgrade", ""},
}

// hopName labels a hop for explanations.
func hopName(s *Server, l *Location) string {
	// Concatenation sizes the kept string exactly; a fleet has one per proxy.
	name := "nginx"
	if n := s.ServerName(); n != "" {
		name += " " + n
	} else if len(s.Listens) > 0 {
		name += " " + s.Listens[0].Socket()
	}
	if l != nil {
		name += " " + l.String()
	}
	return name
}
