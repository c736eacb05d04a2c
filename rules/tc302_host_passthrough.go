package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc302 = &Rule{
	ID:       "TC302",
	Name:     "host-passthrough",
	Severity: Warning,
	Property: PropHostname,
	NeedsApp: false,
	Doc: Doc{
		Title: "proxy_set_header Host $http_host (or $host in a server that takes every Host) forwards arbitrary Host values",
		Rationale: "The host the app reads (Host, or X-Forwarded-Host once it trusts nginx) ends up in absolute " +
			"links, password-reset e-mails, redirects and cache keys. `$http_host` is the client's Host header " +
			"verbatim: nginx does not validate or lowercase it, and for a request with an absolute URI " +
			"(`GET http://app.example/ HTTP/1.1` with `Host: evil.example`) nginx picks the server by the URI's " +
			"host while `$http_host` is still `evil.example`, so it is arbitrary in any server. `$host` is the " +
			"host nginx matched the request to, which is one of the server's names unless the server takes " +
			"every host: the default server of its listen socket — named by `default_server`, or simply the " +
			"first (or only) server listening there — or a catch-all regex name. Lint, `paths` and `suggest` " +
			"share this one model. A server with `$host` in several headers and locations is one cause and one " +
			"finding, with the other places as related locations.",
		Bad: "server {\n" +
			"    listen 443 ssl default_server;\n" +
			"    server_name _;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header Host $host;\n" +
			"    }\n" +
			"}",
		Good: "server {\n" +
			"    listen 443 ssl default_server;\n" +
			"    ssl_reject_handshake on;\n" +
			"}\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    server_name app.example;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header Host $host;\n" +
			"    }\n" +
			"}",
		Fix: "Use `$host`, not `$http_host`, and serve the app only from a server that names its hosts in " +
			"`server_name`; put a default server before it on every socket it listens on that rejects unknown " +
			"hosts (`server { listen 80 default_server; return 444; }`, or " +
			"`server { listen 443 ssl default_server; ssl_reject_handshake on; }` for TLS).",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_core_module.html#var_host",
			"https://nginx.org/en/docs/http/server_names.html",
			"https://nginx.org/en/docs/http/request_processing.html",
			"https://portswigger.net/web-security/host-header",
		},
	},
	Check: checkTC302,
}

// hostHeaders are the headers that carry the host to the app.
var hostHeaders = []string{"Host", "X-Forwarded-Host"}

// checkTC302 reports a host-carrying header built from the client's Host
// header at its directive, and $host in a server that takes every Host once
// per server: that server is the one cause, and a rejecting default server
// the one fix, however many of its headers and locations carry $host.
func checkTC302(p *Pass) {
	type anyHostServer struct {
		first   trustmodel.HeaderRule
		px      *nginxconf.Proxy
		names   []string // the headers that carry $host, in order
		related positionSet
	}
	var servers []*nginxconf.Server
	byServer := map[*nginxconf.Server]*anyHostServer{}
	for _, px := range p.Proxies {
		if px.Module != "proxy" {
			continue
		}
		for _, name := range hostHeaders {
			rule, ok := px.Hop.Rule(name)
			if !ok || rule.Remove || rule.Pos.File == "" {
				continue // nginx's own Host $proxy_host has no position and is fixed
			}
			if readsHeader(rule, "Host") {
				p.reportHostHeader(px, rule)
				continue
			}
			if !HasSource(rule, trustmodel.SourceHost) {
				continue
			}
			if _, ok := catchAll(px.Server); !ok {
				continue
			}
			g := byServer[px.Server]
			if g == nil {
				g = &anyHostServer{first: rule, px: px}
				byServer[px.Server] = g
				servers = append(servers, px.Server)
			}
			if !slices.Contains(g.names, name) {
				g.names = append(g.names, name)
			}
			if rule.Pos != g.first.Pos {
				g.related.add(rule.Pos)
			}
			g.related.add(px.Pos)
		}
	}
	for _, s := range servers {
		g := byServer[s]
		c, _ := catchAll(s)
		client := trustmodel.Request{Peer: HonestClient, Headers: trustmodel.Header{{Name: "Host", Value: SpoofedHost}}}
		got, _ := g.px.Hop.Forward(client).Headers.NodeValue(g.names[0])
		p.Report(Finding{
			Pos:       g.first.Pos,
			Directive: DirectiveText(g.first),
			Message: fmt.Sprintf("$host is the client's Host here, because %s: the %s the app receives %s whatever the client sends",
				c.why, strings.Join(g.names, " and "), map[bool]string{true: "are", false: "is"}[len(g.names) > 1]),
			Attack:  fmt.Sprintf("a client sending %q reaches the app with %s: %s", "Host: "+SpoofedHost, g.names[0], got),
			Fix:     Fix(joinFix(c.fix, rejectingDefault(s))), // the app's host names are no edit
			Related: g.related.list,
		})
	}
}

// reportHostHeader reports a header built from the client's Host header.
func (p *Pass) reportHostHeader(px *nginxconf.Proxy, rule trustmodel.HeaderRule) {
	why := "$http_host is the client's Host header unvalidated, and with an absolute request URI not even the host nginx chose this server by"
	if v := rule.Value.String(); v != "$http_host" {
		why = v + " is built from " + why
	}
	d := fmt.Sprintf("proxy_set_header %s $host;", rule.Name)
	fix := Fix("use `"+d+"`", ReplaceText(rule.Pos, DirectiveText(rule), d))
	if c, ok := catchAll(px.Server); ok {
		fix = Fix(joinFix(fix.Message, c.fix, rejectingDefault(px.Server))) // the app's host names are no edit
	}
	client := trustmodel.Request{Peer: HonestClient, Headers: trustmodel.Header{{Name: "Host", Value: SpoofedHost}}}
	got, _ := px.Hop.Forward(client).Headers.NodeValue(rule.Name)
	sent := fmt.Sprintf("%q", "Host: "+SpoofedHost)
	if !px.Server.AcceptsAnyHost() {
		sent = fmt.Sprintf("%q with %q", "GET http://"+plainHost(px)+"/ HTTP/1.1", "Host: "+SpoofedHost)
	}
	p.Report(Finding{
		Pos:       rule.Pos,
		Directive: DirectiveText(rule),
		Message:   fmt.Sprintf("%s: the %s the app receives is whatever the client sends", why, rule.Name),
		Attack:    fmt.Sprintf("a client sending %s reaches the app with %s: %s", sent, rule.Name, got),
		Fix:       fix,
		Related:   []trustmodel.Pos{px.Pos},
	})
}

// joinFix joins the steps of a fix that are not empty.
func joinFix(steps ...string) string {
	var out []string
	for _, s := range steps {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "; and ")
}

type catchAllReason struct{ why, fix string }

// catchAll reports whether the configuration declares that s takes every
// Host: an explicit default_server, a catch-all regex name, or "_" / ""
// on a server that is the default. Being the default only by coming first
// is not a declaration (see the rule's documentation).
func catchAll(s *nginxconf.Server) (catchAllReason, bool) {
	if s.CatchAllName() {
		for _, n := range s.Names {
			if strings.HasPrefix(n, "~") {
				return catchAllReason{
					why: fmt.Sprintf("server_name %s matches every host", n),
					fix: fmt.Sprintf("list the app's host names in server_name instead of %s", n),
				}, true
			}
		}
	}
	for _, l := range s.Listens {
		if l.DefaultServer && slices.Contains(s.DefaultFor(), l.Socket()) {
			return catchAllReason{
				why: fmt.Sprintf("this server is the default_server for %s and gets every host no other server names", l.Socket()),
				fix: fmt.Sprintf("remove default_server from this server's `listen %s` and name the app's hosts in server_name", l.Raw),
			}, true
		}
	}
	if len(s.DefaultFor()) > 0 {
		for _, n := range s.Names {
			if n == "_" || n == "" {
				return catchAllReason{
					why: fmt.Sprintf("server_name %q on the default server for %s catches every host", n, strings.Join(s.DefaultFor(), ", ")),
					fix: "name the app's hosts in server_name",
				}, true
			}
		}
		// The first server of a socket is its default: nginx hands it every
		// request whose Host no other server names, $host included.
		return catchAllReason{
			why: fmt.Sprintf("this server is the first listening on %s, so nginx's default for it, and gets every host no other server names", strings.Join(s.DefaultFor(), ", ")),
		}, true
	}
	return catchAllReason{}, false
}

// rejectingDefault suggests the server that should take unknown hosts
// instead of s.
func rejectingDefault(s *nginxconf.Server) string {
	block, ok := RejectingServer(s)
	if !ok {
		return ""
	}
	return "let `" + block + "` before this server reject unknown hosts, so that it gets only the hosts its server_name lists"
}

// RejectingServer is a server block that refuses requests for hosts no
// server names on every socket s is the default server of; false when s
// is the default of none.
func RejectingServer(s *nginxconf.Server) (string, bool) {
	var listens []string
	tls, plain := false, false
	seen := map[string]bool{}
	for _, l := range s.Listens {
		if l.Unix || !slices.Contains(s.DefaultFor(), l.Socket()) || seen[l.Socket()] {
			continue
		}
		seen[l.Socket()] = true
		addr := l.Raw
		if l.Implicit {
			addr = "80"
		}
		if l.SSL || s.SSLOn != nil {
			tls = true
			listens = append(listens, fmt.Sprintf("listen %s ssl default_server;", addr))
		} else {
			plain = true
			listens = append(listens, fmt.Sprintf("listen %s default_server;", addr))
		}
	}
	if len(listens) == 0 {
		return "", false
	}
	if tls {
		listens = append(listens, "ssl_reject_handshake on;")
	}
	if plain {
		listens = append(listens, "return 444;")
	}
	return "server { " + strings.Join(listens, " ") + " }", true
}

// DefaultByPosition reports whether s takes every Host only because it is
// the first server on a socket, which RejectingServer placed before it fixes.
func DefaultByPosition(s *nginxconf.Server) bool {
	c, ok := catchAll(s)
	return ok && c.fix == ""
}
