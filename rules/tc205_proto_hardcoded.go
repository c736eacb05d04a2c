package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc205 = &Rule{
	ID:       "TC205",
	Name:     "proto-hardcoded",
	Severity: Warning,
	Property: PropProtocol,
	NeedsApp: false,
	Doc: Doc{
		Title: "X-Forwarded-Proto is hard-coded to https in a server whose plain-HTTP requests reach the app",
		Rationale: "`proxy_set_header X-Forwarded-Proto https;` tells the app every request was https. That is " +
			"true only when no plain-HTTP request reaches this proxy_pass. In a server that also listens on plain " +
			"HTTP (and does not redirect those requests first), or a plain listener clients reach without the " +
			"TLS-terminating load balancer, an unencrypted request is reported to the app as https: " +
			"`req.secure` is true, Secure session cookies are sent over plain HTTP, and an https-redirect " +
			"middleware never redirects. The rule follows a plain request on each plain listen through the " +
			"server's and location's `return`/`rewrite` handling (including `if ($scheme = http)` blocks) and " +
			"reports when it reaches the proxy_pass with the hard-coded value. Over FastCGI, uwsgi and SCGI the same " +
			"header is `fastcgi_param HTTP_X_FORWARDED_PROTO https;` (`uwsgi_param`, `scgi_param`); the `HTTPS` param " +
			"hard-coded on is TC405.",
		Bad: "server {\n" +
			"    listen 80;\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto https;\n" +
			"    }\n" +
			"}",
		Good: "server {\n" +
			"    listen 80;\n" +
			"    return 301 https://$host$request_uri;\n" +
			"}\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    }\n" +
			"}",
		Fix: "Send the scheme nginx saw, `proxy_set_header X-Forwarded-Proto $scheme;`, or redirect plain HTTP " +
			"before it is proxied (a separate `listen 80` server with `return 301 https://$host$request_uri;`). " +
			"Behind a TLS-terminating load balancer, let clients reach nginx only through it.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
			"https://nginx.org/en/docs/http/ngx_http_core_module.html#var_scheme",
			"https://expressjs.com/en/guide/behind-proxies.html",
		},
	},
	Check: checkTC205,
}

func checkTC205(p *Pass) {
	if !nginxReachable(p) {
		return // only the edge reaches nginx; it decides what plain HTTP gets
	}
	var direct map[*nginxconf.Proxy]*Path // built when first needed
	for _, px := range p.Proxies {
		if px.Module != "proxy" && px.Hop.Gateway == nil {
			continue
		}
		rule, ok := px.Hop.Rule("X-Forwarded-Proto")
		if !ok || rule.Remove {
			continue
		}
		if v, constant := nginxconf.IsConstant(rule.Value); !constant || !strings.EqualFold(v, "https") {
			continue
		}
		listens := plainListens(px)
		if len(listens) == 0 {
			continue
		}
		if direct == nil {
			direct = directPaths(p)
		}
		plain := replayPlain(px, listens[0].Port, direct[px])
		got, _ := plain.atApp.Headers.NodeValue("X-Forwarded-Proto")
		attack := fmt.Sprintf("a plain-HTTP request to %s reaches the app with X-Forwarded-Proto: %s", plain.url, got)
		if plain.entry != "" && p.App.Evaluator != nil {
			if r := p.App.Evaluator.Evaluate(plain.atApp); r.Protocol != nil {
				attack += fmt.Sprintf(" and gets %s = %s", p.Prop("protocol"), *r.Protocol)
			}
		}
		d := moduleDirective(px, "proxy_set_header X-Forwarded-Proto $scheme;")
		fix := plainSchemeFix(p, d, "proxied", ReplaceText(rule.Pos, moduleDirective(px, DirectiveText(rule)), d))
		p.Report(Finding{
			Pos:       rule.Pos,
			Directive: moduleDirective(px, DirectiveText(rule)),
			Message: fmt.Sprintf("X-Forwarded-Proto is hard-coded to %s, but plain-HTTP requests on %s reach this %s: the app believes unencrypted requests are https",
				rule.Value.String(), "`listen "+listens[0].Raw+"`", px.Directive.Name),
			Path:    plain.entry,
			Attack:  attack,
			Fix:     fix,
			Related: []trustmodel.Pos{px.Pos},
		})
	}
}

// plainRequest is a plain-HTTP request to a proxy whose server also takes
// TLS: its URL, what the app gets, and the entry of the path it took.
type plainRequest struct {
	url   string
	atApp trustmodel.Request
	entry string // "" when lint built no path through px
}

// replayPlain sends a plain request on port through path when lint built
// one (it knows the address the app sees), else through px's hop alone.
func replayPlain(px *nginxconf.Proxy, port int, path *Path) plainRequest {
	client := trustmodel.Request{Peer: HonestClient, Headers: trustmodel.Header{{Name: "Host", Value: plainHost(px)}}}
	if path == nil {
		return plainRequest{url: plainURL("https://"+plainHost(px)+locationPath(px), port), atApp: px.Hop.Forward(client)}
	}
	client.Headers = path.Client().Headers
	return plainRequest{url: plainURL(path.URL, port), atApp: path.Replay(client), entry: path.Entry}
}

// plainSchemeFix is the fix for a scheme hard-coded in a server that takes
// plain HTTP: send the scheme nginx saw (directive d, by edit) or redirect
// plain HTTP before it is passed on; behind an edge, first let clients
// reach nginx only through it.
func plainSchemeFix(p *Pass, d, passed string, edit Edit) SuggestedFix {
	fix := Fix("use `"+d+"`, or redirect plain HTTP before it is "+passed+" (`return 301 https://$host$request_uri;` in a separate server for the plain listen)", edit)
	if p.Config != nil && len(p.Config.Edge) > 0 {
		fix = Fix(fmt.Sprintf("let clients reach nginx only through %s (firewall it to %s's addresses, then set nginx.reachable_directly: false), or %s",
			edgeName(p), edgeName(p), fix.Message))
	}
	return fix
}

// directPaths indexes the paths of clients reaching nginx directly by
// their proxy (one lookup per proxy of a fleet).
func directPaths(p *Pass) map[*nginxconf.Proxy]*Path {
	out := map[*nginxconf.Proxy]*Path{}
	for _, path := range p.Paths {
		if _, ok := out[path.Proxy]; !ok && path.Kind == EntryNginx {
			out[path.Proxy] = path
		}
	}
	return out
}
