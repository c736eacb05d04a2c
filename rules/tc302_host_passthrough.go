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
		Title: "proxy_set_header Host $http_host (or $host in a catch-all/default server) forwards arbitrary Host values",
		Rationale: "The host the app reads (Host, or X-Forwarded-Host once it trusts nginx) ends up in absolute " +
			"links, password-reset e-mails, redirects and cache keys. `$http_host` is the client's Host header " +
			"verbatim: nginx does not validate or lowercase it, and for a request with an absolute URI " +
			"(`GET http://app.example/ HTTP/1.1` with `Host: evil.example`) nginx picks the server by the URI's " +
			"host while `$http_host` is still `evil.example`, so it is arbitrary in any server. `$host` is the " +
			"validated host nginx matched the request to, which is one of the server's names unless the server " +
			"takes every host: an explicit `default_server`, a catch-all regex name, or `server_name _`/`\"\"` on " +
			"the default server. A server that is the default only because it comes first is not reported: that " +
			"would flag every single-server configuration, and nothing in it says unknown hosts are meant to be " +
			"served; add a rejecting default server to close that gap too.",
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
			"`server_name`; let a separate default server reject unknown hosts (`return 444;`, or " +
			"`ssl_reject_handshake on;` for TLS).",
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

func checkTC302(p *Pass) {
	for _, px := range p.Proxies {
		if px.Module != "proxy" {
			continue
		}
		for _, name := range hostHeaders {
			rule, ok := px.Hop.Rule(name)
			if !ok || rule.Remove || rule.Pos.File == "" {
				continue // nginx's own Host $proxy_host has no position and is fixed
			}
			why, fix, ok := hostPassthrough(px, rule)
			if !ok {
				continue
			}
			// What the app receives for a client choosing the host.
			client := trustmodel.Request{Peer: HonestClient, Headers: trustmodel.Header{{Name: "Host", Value: SpoofedHost}}}
			got, _ := px.Hop.Forward(client).Headers.NodeValue(name)
			sent := fmt.Sprintf("%q", "Host: "+SpoofedHost)
			if readsHeader(rule, "Host") && !px.Server.AcceptsAnyHost() {
				sent = fmt.Sprintf("%q with %q", "GET http://"+plainHost(px)+"/ HTTP/1.1", "Host: "+SpoofedHost)
			}
			p.Report(Finding{
				Pos:       rule.Pos,
				Directive: DirectiveText(rule),
				Message:   fmt.Sprintf("%s: the %s the app receives is whatever the client sends", why, name),
				Attack:    fmt.Sprintf("a client sending %s reaches the app with %s: %s", sent, name, got),
				Fix:       fix,
				Related:   []trustmodel.Pos{px.Pos},
			})
		}
	}
}

// hostPassthrough says why rule forwards a client-chosen host, and the fix.
func hostPassthrough(px *nginxconf.Proxy, rule trustmodel.HeaderRule) (why, fix string, ok bool) {
	s := px.Server
	reject := rejectingDefault(s)
	if readsHeader(rule, "Host") {
		fix = fmt.Sprintf("use `proxy_set_header %s $host;`", rule.Name)
		if c, ok := catchAll(s); ok {
			fix += "; " + c.fix + reject
		}
		why = "$http_host is the client's Host header unvalidated, and with an absolute request URI not even the host nginx chose this server by"
		if v := rule.Value.String(); v != "$http_host" {
			why = v + " is built from " + why
		}
		return why, fix, true
	}
	for _, src := range rule.Value.Sources() {
		if src.Kind != trustmodel.SourceHost {
			continue
		}
		c, ok := catchAll(s)
		if !ok {
			return "", "", false
		}
		return fmt.Sprintf("%s is the client's Host here, because %s", src.Name, c.why), c.fix + reject, true
	}
	return "", "", false
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
	}
	return catchAllReason{}, false
}

// rejectingDefault suggests the server that should take unknown hosts instead.
func rejectingDefault(s *nginxconf.Server) string {
	for _, l := range s.Listens {
		if l.Unix {
			continue
		}
		port := fmt.Sprint(l.Port)
		if l.SSL || s.SSLOn != nil {
			return fmt.Sprintf(", and let a separate `server { listen %s ssl default_server; ssl_reject_handshake on; }` reject unknown hosts", port)
		}
		return fmt.Sprintf(", and let a separate `server { listen %s default_server; return 444; }` reject unknown hosts", port)
	}
	return ""
}
