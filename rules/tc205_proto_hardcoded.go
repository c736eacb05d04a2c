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
		port := listens[0].Port
		// Replay a plain request through the path when lint built one (it
		// knows the address the app sees), else through the hop alone.
		client := trustmodel.Request{Peer: HonestClient, Headers: trustmodel.Header{{Name: "Host", Value: plainHost(px)}}}
		u := plainURL("https://"+plainHost(px)+locationPath(px), port)
		atApp := px.Hop.Forward(client)
		var result *trustmodel.Result
		entry := ""
		if direct == nil {
			direct = directPaths(p)
		}
		if path := direct[px]; path != nil {
			entry = path.Entry
			client.Headers = path.Client().Headers
			u = plainURL(path.URL, port)
			atApp = path.Replay(client)
			if p.App.Evaluator != nil {
				r := p.App.Evaluator.Evaluate(atApp)
				result = &r
			}
		}
		got, _ := atApp.Headers.NodeValue("X-Forwarded-Proto")
		attack := fmt.Sprintf("a plain-HTTP request to %s reaches the app with X-Forwarded-Proto: %s", u, got)
		if result != nil && result.Protocol != nil {
			attack += fmt.Sprintf(" and gets %s = %s", p.Prop("protocol"), *result.Protocol)
		}
		d := moduleDirective(px, "proxy_set_header X-Forwarded-Proto $scheme;")
		fix := Fix("use `"+d+"`, or redirect plain HTTP before it is proxied (`return 301 https://$host$request_uri;` in a separate server for the plain listen)",
			ReplaceText(rule.Pos, moduleDirective(px, DirectiveText(rule)), d))
		if p.Config != nil && len(p.Config.Edge) > 0 {
			fix = Fix(fmt.Sprintf("let clients reach nginx only through %s (firewall it to %s's addresses, then set nginx.reachable_directly: false), or %s",
				edgeName(p), edgeName(p), fix.Message))
		}
		p.Report(Finding{
			Pos:       rule.Pos,
			Directive: moduleDirective(px, DirectiveText(rule)),
			Message: fmt.Sprintf("X-Forwarded-Proto is hard-coded to %s, but plain-HTTP requests on %s reach this %s: the app believes unencrypted requests are https",
				rule.Value.String(), "`listen "+listens[0].Raw+"`", px.Directive.Name),
			Path:    entry,
			Attack:  attack,
			Fix:     fix,
			Related: []trustmodel.Pos{px.Pos},
		})
	}
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
