package nginxconf

import (
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// VarOrigin says where a variable's value comes from, for deciding whether a
// client can choose it.
type VarOrigin int

const (
	// OriginClient: the client chooses the value outright (a header, the
	// URI, the query string, a cookie, the request body).
	OriginClient VarOrigin = iota
	// OriginHost: the Host the client sent, lowercased ($host). Client-chosen
	// when the server accepts any Host (default or catch-all server);
	// otherwise one of the server's names.
	OriginHost
	// OriginClientAddr: the connection's peer address after realip
	// ($remote_addr). Client-chosen only when realip trusts the client
	// (set_real_ip_from covering clients).
	OriginClientAddr
	// OriginConnection: the connection or listening socket (scheme, server
	// port, TLS parameters, the PROXY protocol header of the hop in front).
	OriginConnection
	// OriginConfig: fixed by the configuration ($server_name, $proxy_host).
	OriginConfig
	// OriginInternal: nginx's own state (time, request id, counters).
	OriginInternal
	// OriginUpstream: the upstream's response or state, not the request.
	OriginUpstream
)

func (o VarOrigin) String() string {
	return [...]string{"client", "host", "client address", "connection", "configuration", "internal", "upstream"}[o]
}

// VarFact is what the model knows about one nginx variable.
type VarFact struct {
	// Name without "$"; a prefix family ends in "_" ("http_", "arg_").
	Name   string
	Prefix bool
	Origin VarOrigin
	// Doc is the nginx documentation of the variable.
	Doc  string
	Note string
}

const (
	docCore     = "https://nginx.org/en/docs/http/ngx_http_core_module.html#var_"
	docProxy    = "https://nginx.org/en/docs/http/ngx_http_proxy_module.html#var_"
	docRealIP   = "https://nginx.org/en/docs/http/ngx_http_realip_module.html#var_"
	docUpstream = "https://nginx.org/en/docs/http/ngx_http_upstream_module.html#var_"
	docSSL      = "https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_"
	docV2       = "https://nginx.org/en/docs/http/ngx_http_v2_module.html#var_"
	docV3       = "https://nginx.org/en/docs/http/ngx_http_v3_module.html#var_"
	docVars     = "https://nginx.org/en/docs/varindex.html"
)

// VarFacts is the one table of variable facts the model uses: which
// variables a client controls, which come from the connection, which are
// configuration. Every entry cites the nginx documentation.
//
// Variables the configuration defines propagate what they are built from:
//
//   - set $v VALUE: $v is VALUE's expression as evaluated at the point of
//     use: the last set in the rewrite flow (server level, then the
//     location; an assignment inside an if block is conditional and the
//     condition's inputs count as sources too).
//   - map SRC $v: the sources of every output value, plus SRC's sources
//     unless every output (default included) is the same constant. A map of
//     a client-controlled source onto constants is still client-chosen: the
//     client picks which constant ("https" or "http").
//   - geo [SRC] $v: the address's sources ($remote_addr, or SRC; with
//     "proxy" entries also X-Forwarded-For) unless every value is the same.
//
// In nginx's own words, map and geo values are evaluated lazily, in the
// request, so a set variable used as a map's source is the set value at the
// point of use.
var VarFacts = []VarFact{
	// client-controlled
	{Name: "http_", Prefix: true, Origin: OriginClient, Doc: docCore + "http_", Note: "request header lines; joined with \", \" since 1.23.0, the first line before (except X-Forwarded-For and Cookie)"},
	{Name: "arg_", Prefix: true, Origin: OriginClient, Doc: docCore + "arg_"},
	{Name: "cookie_", Prefix: true, Origin: OriginClient, Doc: docCore + "cookie_"},
	{Name: "args", Origin: OriginClient, Doc: docCore + "args"},
	{Name: "query_string", Origin: OriginClient, Doc: docCore + "query_string"},
	{Name: "is_args", Origin: OriginClient, Doc: docCore + "is_args"},
	{Name: "request_uri", Origin: OriginClient, Doc: docCore + "request_uri"},
	{Name: "uri", Origin: OriginClient, Doc: docCore + "uri"},
	{Name: "document_uri", Origin: OriginClient, Doc: docCore + "document_uri"},
	{Name: "request", Origin: OriginClient, Doc: docCore + "request"},
	{Name: "request_method", Origin: OriginClient, Doc: docCore + "request_method"},
	{Name: "request_body", Origin: OriginClient, Doc: docCore + "request_body"},
	{Name: "request_body_file", Origin: OriginInternal, Doc: docCore + "request_body_file"},
	{Name: "request_filename", Origin: OriginClient, Doc: docCore + "request_filename", Note: "root/alias plus the client's URI"},
	{Name: "request_length", Origin: OriginClient, Doc: docCore + "request_length"},
	{Name: "content_length", Origin: OriginClient, Doc: docCore + "content_length"},
	{Name: "content_type", Origin: OriginClient, Doc: docCore + "content_type"},
	{Name: "remote_user", Origin: OriginClient, Doc: docCore + "remote_user", Note: "from the Authorization header; verified only under auth_basic"},
	{Name: "server_protocol", Origin: OriginClient, Doc: docCore + "server_protocol"},
	{Name: "proxy_add_x_forwarded_for", Origin: OriginClient, Doc: docProxy + "proxy_add_x_forwarded_for", Note: "the incoming X-Forwarded-For lines (client-controlled unless a trusted hop wrote them) followed by $remote_addr"},
	// the Host
	{Name: "host", Origin: OriginHost, Doc: docCore + "host", Note: "request-line host, else Host lowercased without port, else the first server_name"},
	// the client address
	{Name: "remote_addr", Origin: OriginClientAddr, Doc: docCore + "remote_addr", Note: "after realip"},
	{Name: "binary_remote_addr", Origin: OriginClientAddr, Doc: docCore + "binary_remote_addr"},
	{Name: "remote_port", Origin: OriginClientAddr, Doc: docCore + "remote_port"},
	// the connection
	{Name: "realip_remote_addr", Origin: OriginConnection, Doc: docRealIP + "realip_remote_addr", Note: "the peer before realip"},
	{Name: "realip_remote_port", Origin: OriginConnection, Doc: docRealIP + "realip_remote_port"},
	{Name: "scheme", Origin: OriginConnection, Doc: docCore + "scheme"},
	{Name: "https", Origin: OriginConnection, Doc: docCore + "https"},
	{Name: "server_addr", Origin: OriginConnection, Doc: docCore + "server_addr"},
	{Name: "server_port", Origin: OriginConnection, Doc: docCore + "server_port"},
	{Name: "connection", Origin: OriginInternal, Doc: docCore + "connection"},
	{Name: "connection_requests", Origin: OriginInternal, Doc: docCore + "connection_requests"},
	{Name: "connection_time", Origin: OriginInternal, Doc: docCore + "connection_time"},
	{Name: "proxy_protocol_addr", Origin: OriginConnection, Doc: docCore + "proxy_protocol_addr", Note: "from the PROXY protocol header: chosen by whoever may connect to a proxy_protocol listen"},
	{Name: "proxy_protocol_port", Origin: OriginConnection, Doc: docCore + "proxy_protocol_port"},
	{Name: "proxy_protocol_server_addr", Origin: OriginConnection, Doc: docCore + "proxy_protocol_server_addr"},
	{Name: "proxy_protocol_server_port", Origin: OriginConnection, Doc: docCore + "proxy_protocol_server_port"},
	{Name: "proxy_protocol_tlv_", Prefix: true, Origin: OriginConnection, Doc: docCore + "proxy_protocol_tlv_"},
	{Name: "ssl_client_", Prefix: true, Origin: OriginClient, Doc: docSSL + "ssl_client_cert", Note: "the client certificate: chosen by the client unless ssl_verify_client on"},
	{Name: "ssl_", Prefix: true, Origin: OriginConnection, Doc: docSSL + "ssl_protocol"},
	{Name: "http2", Origin: OriginConnection, Doc: docV2 + "http2"},
	{Name: "http3", Origin: OriginConnection, Doc: docV3 + "http3"},
	{Name: "tcpinfo_", Prefix: true, Origin: OriginInternal, Doc: docCore + "tcpinfo_rtt"},
	// configuration
	{Name: "server_name", Origin: OriginConfig, Doc: docCore + "server_name"},
	{Name: "document_root", Origin: OriginConfig, Doc: docCore + "document_root"},
	{Name: "realpath_root", Origin: OriginConfig, Doc: docCore + "realpath_root"},
	{Name: "hostname", Origin: OriginConfig, Doc: docCore + "hostname"},
	{Name: "nginx_version", Origin: OriginConfig, Doc: docCore + "nginx_version"},
	{Name: "pid", Origin: OriginInternal, Doc: docCore + "pid"},
	{Name: "proxy_host", Origin: OriginConfig, Doc: docProxy + "proxy_host", Note: "client-controlled when proxy_pass uses client-controlled variables"},
	{Name: "proxy_port", Origin: OriginConfig, Doc: docProxy + "proxy_port"},
	// internal
	{Name: "request_id", Origin: OriginInternal, Doc: docCore + "request_id"},
	{Name: "request_time", Origin: OriginInternal, Doc: docCore + "request_time"},
	{Name: "request_completion", Origin: OriginInternal, Doc: docCore + "request_completion"},
	{Name: "msec", Origin: OriginInternal, Doc: docCore + "msec"},
	{Name: "time_iso8601", Origin: OriginInternal, Doc: docCore + "time_iso8601"},
	{Name: "time_local", Origin: OriginInternal, Doc: docCore + "time_local"},
	{Name: "pipe", Origin: OriginInternal, Doc: docCore + "pipe"},
	{Name: "limit_rate", Origin: OriginInternal, Doc: docCore + "limit_rate"},
	{Name: "status", Origin: OriginInternal, Doc: docCore + "status"},
	{Name: "bytes_sent", Origin: OriginInternal, Doc: docCore + "bytes_sent"},
	{Name: "body_bytes_sent", Origin: OriginInternal, Doc: docCore + "body_bytes_sent"},
	// responses / upstream
	{Name: "sent_http_", Prefix: true, Origin: OriginUpstream, Doc: docCore + "sent_http_"},
	{Name: "sent_trailer_", Prefix: true, Origin: OriginUpstream, Doc: docCore + "sent_trailer_"},
	{Name: "upstream_", Prefix: true, Origin: OriginUpstream, Doc: docUpstream + "upstream_addr"},
	{Name: "geoip_", Prefix: true, Origin: OriginClientAddr, Doc: "https://nginx.org/en/docs/http/ngx_http_geoip_module.html", Note: "looked up from $remote_addr (or geoip_proxy's X-Forwarded-For)"},
	{Name: "jwt_", Prefix: true, Origin: OriginClient, Doc: docVars, Note: "claims of a token the client sends (verified by auth_jwt)"},
}

// LookupVar returns the fact for a variable name (without "$"): an exact
// entry, else the longest matching prefix family.
func LookupVar(name string) (VarFact, bool) {
	name = strings.ToLower(strings.TrimPrefix(name, "$"))
	best := -1
	for i, f := range VarFacts {
		if !f.Prefix && f.Name == name {
			return f, true
		}
		if f.Prefix && strings.HasPrefix(name, f.Name) && (best < 0 || len(f.Name) > len(VarFacts[best].Name)) {
			best = i
		}
	}
	if best >= 0 {
		return VarFacts[best], true
	}
	return VarFact{}, false
}

// headerNames spells well-known headers the usual way.
var headerNames = map[string]string{
	"x_forwarded_for": "X-Forwarded-For", "x_forwarded_proto": "X-Forwarded-Proto",
	"x_forwarded_host": "X-Forwarded-Host", "x_forwarded_port": "X-Forwarded-Port",
	"x_real_ip": "X-Real-IP", "forwarded": "Forwarded", "host": "Host",
	"user_agent": "User-Agent", "cookie": "Cookie", "referer": "Referer", "via": "Via",
	"cf_connecting_ip": "CF-Connecting-IP", "true_client_ip": "True-Client-IP",
	"x_forwarded_ssl": "X-Forwarded-Ssl", "x_forwarded_scheme": "X-Forwarded-Scheme",
}

// HeaderName is the header a $http_NAME variable reads, spelled the usual way.
func HeaderName(suffix string) string {
	suffix = strings.ToLower(suffix)
	if n, ok := headerNames[suffix]; ok {
		return n
	}
	parts := strings.Split(suffix, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// nginx's dedicated $http_ variables (ngx_http_core_variables): looked up by
// exact name, not by the "-"/"_" folding of unknown headers.
var dedicatedHeaderVars = map[string]bool{
	"host": true, "user_agent": true, "referer": true, "via": true, "x_forwarded_for": true, "cookie": true,
}

func (e *env) headerVar(suffix, text string) trustmodel.Expr {
	ver := e.version()
	header := HeaderName(suffix)
	joined := ver.JoinsAllHeaderVars() || suffix == "x_forwarded_for" || suffix == "cookie"
	underscores := e.server != nil && e.server.UnderscoresInHeaders
	if dedicatedHeaderVars[suffix] || !underscores || !strings.Contains(suffix, "_") {
		if joined {
			return trustmodel.RequestHeader{Header: header, Text: text}
		}
		return FirstHeaderLine{Header: header, Text: text}
	}
	return HeaderVar{Suffix: suffix, Header: header, Joined: joined, Text: text}
}

func (e *env) version() Version {
	if e.b != nil {
		return e.b.cfg.Version
	}
	v, _ := ParseVersion("")
	return v
}

// builtin resolves nginx's own variables.
func (e *env) builtin(name, text string) trustmodel.Expr {
	switch name {
	case "remote_addr":
		return trustmodel.ClientAddr{Text: text}
	case "binary_remote_addr":
		return BinaryAddr{Text: text}
	case "realip_remote_addr":
		return PeerAddr{Text: text}
	case "proxy_add_x_forwarded_for":
		return trustmodel.AppendXFF{Text: text}
	case "scheme":
		return trustmodel.Scheme{Text: text}
	case "https":
		return HTTPSVar{Text: text}
	case "host":
		return HostVar{Text: text, AnyHost: e.server == nil || e.server.AcceptsAnyHost()}
	case "server_name":
		if e.server != nil {
			e.serverBound = true
			return Var{Name: name, Value: trustmodel.Lit(e.server.ServerName())}
		}
	case "server_port":
		if e.server != nil {
			e.serverBound = true
			if sp, ok := serverPortOf(e.server); ok {
				sp.Text = text
				return sp
			}
		}
	case "proxy_host":
		if e.proxy != nil && e.proxy.proxyHost != nil {
			return e.proxy.proxyHost
		}
	case "proxy_port":
		if e.proxy != nil && e.proxy.Target.Port > 0 && !e.proxy.Target.Dynamic {
			return Var{Name: name, Value: trustmodel.Lit(itoa(e.proxy.Target.Port))}
		}
	case "proxy_internal_body_length":
		return BodyLength{}
	case "proxy_internal_chunked":
		return internalOpaque(text)
	case "http_host":
		return trustmodel.RequestHeader{Header: "Host", Text: text}
	case "request_port", "is_request_port":
		if e.version().AtLeast(1, 29, 3) {
			return RequestPort{Colon: name == "is_request_port", Text: text}
		}
	}
	switch {
	case strings.HasPrefix(name, "http_") && len(name) > len("http_"):
		return e.headerVar(name[len("http_"):], text)
	case strings.HasPrefix(name, "cookie_") && len(name) > len("cookie_"):
		return CookieVar{Name: name[len("cookie_"):], Text: text}
	}
	if f, ok := LookupVar(name); ok {
		switch f.Origin {
		case OriginClient, OriginHost:
			return clientOpaque(text)
		case OriginClientAddr:
			return Opaque{Text: text, Src: []trustmodel.Source{{Kind: trustmodel.SourceClientAddr, Name: text}}}
		}
		return internalOpaque(text)
	}
	return internalOpaque(text + " (unknown variable)")
}

// serverPortOf is $server_port for a server: its plain and TLS ports when
// each kind has exactly one.
func serverPortOf(s *Server) (ServerPort, bool) {
	var plain, tls []int
	add := func(list []int, p int) []int {
		for _, x := range list {
			if x == p {
				return list
			}
		}
		return append(list, p)
	}
	for _, l := range s.Listens {
		if l.Unix {
			continue
		}
		if l.SSL || s.SSLOn != nil {
			tls = add(tls, l.Port)
		} else {
			plain = add(plain, l.Port)
		}
	}
	if len(plain) > 1 || len(tls) > 1 || len(plain)+len(tls) == 0 {
		return ServerPort{}, false
	}
	var sp ServerPort
	if len(plain) == 1 {
		sp.Plain = itoa(plain[0])
	}
	if len(tls) == 1 {
		sp.TLS = itoa(tls[0])
	}
	return sp, true
}
