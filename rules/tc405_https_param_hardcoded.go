package rules

import (
	"fmt"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc405 = &Rule{
	ID:       "TC405",
	Name:     "https-param-hardcoded",
	Severity: Warning,
	Property: PropProtocol,
	NeedsApp: false,
	Doc: Doc{
		Title: "The HTTPS param is hard-coded to on in a server whose plain-HTTP requests reach the FastCGI, uwsgi or SCGI app",
		Rationale: "Over FastCGI, uwsgi and SCGI the app learns the scheme from the `HTTPS` param, not from a header, and " +
			"believes it without any trusted-proxy setting: PHP's frameworks (Symfony's `isSecure()`, Laravel) and " +
			"WSGI servers take any value other than empty or `off` as https. nginx's own `fastcgi_params` sends " +
			"`HTTPS $https if_not_empty`, which is `on` only for a TLS connection. `fastcgi_param HTTPS on;` instead " +
			"tells the app every request was https; in a server that also accepts plain HTTP (and does not redirect " +
			"it first) an unencrypted request is then reported as https: Secure cookies are sent over plain HTTP " +
			"and https-redirect middleware never redirects. The rule follows a plain request on each plain listen " +
			"through the server's and location's `return`/`rewrite` handling and reports when it reaches the pass " +
			"directive with the hard-coded value.",
		Bad: "server {\n" +
			"    listen 80;\n" +
			"    listen 443 ssl;\n" +
			"    location ~ \\.php$ {\n" +
			"        include fastcgi_params;\n" +
			"        fastcgi_param HTTPS on;\n" +
			"        fastcgi_pass unix:/run/php/php8.2-fpm.sock;\n" +
			"    }\n" +
			"}",
		Good: "server {\n" +
			"    listen 80;\n" +
			"    return 301 https://$host$request_uri;\n" +
			"}\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location ~ \\.php$ {\n" +
			"        include fastcgi_params;   # HTTPS $https if_not_empty\n" +
			"        fastcgi_pass unix:/run/php/php8.2-fpm.sock;\n" +
			"    }\n" +
			"}",
		Fix: "Send the scheme nginx saw, `fastcgi_param HTTPS $https if_not_empty;` (the line of `fastcgi_params`), or " +
			"redirect plain HTTP before it is handed on (a separate `listen 80` server with " +
			"`return 301 https://$host$request_uri;`). Behind a TLS-terminating load balancer, let clients reach nginx only " +
			"through it.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_fastcgi_module.html#fastcgi_param",
			"https://nginx.org/en/docs/http/ngx_http_core_module.html#var_https",
			"https://github.com/symfony/symfony/blob/7.3/src/Symfony/Component/HttpFoundation/Request.php",
		},
	},
	Check: checkTC405,
}

func checkTC405(p *Pass) {
	if !nginxReachable(p) {
		return // only the edge reaches nginx; it decides what plain HTTP gets
	}
	var direct map[*nginxconf.Proxy]*Path
	for _, px := range p.Proxies {
		g := px.Hop.Gateway
		if g == nil || g.HTTPS == nil {
			continue
		}
		v, constant := nginxconf.IsConstant(g.HTTPS)
		if !constant || !trustmodel.HTTPSOn(v) {
			continue
		}
		param := httpsParam(px)
		listens := plainListens(px)
		if param == nil || len(listens) == 0 {
			continue
		}
		if direct == nil {
			direct = directPaths(p)
		}
		plain := replayPlain(px, listens[0].Port, direct[px])
		attack := fmt.Sprintf("a plain-HTTP request to %s reaches the app with HTTPS=%s", plain.url, v)
		if p.App.Evaluator != nil {
			r := p.App.Evaluator.Evaluate(plain.atApp)
			if r.Secure != nil {
				attack += fmt.Sprintf(" and gets %s = %v", p.Prop("secure"), *r.Secure)
			} else if r.Protocol != nil {
				attack += fmt.Sprintf(" and gets %s = %s", p.Prop("protocol"), *r.Protocol)
			}
		}
		directive := fmt.Sprintf("%s_param %s %s;", px.Module, param.Name, quoteArg(param.Value))
		d := fmt.Sprintf("%s_param HTTPS $https if_not_empty;", px.Module)
		fix := plainSchemeFix(p, d, "handed on", ReplaceText(param.Pos, directive, d))
		p.Report(Finding{
			Pos:       param.Pos,
			Directive: directive,
			Message: fmt.Sprintf("the HTTPS param is hard-coded to %s, but plain-HTTP requests on %s reach this %s: the app believes unencrypted requests are https",
				quoteArg(param.Value), "`listen "+listens[0].Raw+"`", px.Directive.Name),
			Path:    plain.entry,
			Attack:  attack,
			Fix:     fix,
			Related: []trustmodel.Pos{px.Pos},
		})
	}
}

// httpsParam is the HTTPS param the app reads at px (the last one sent).
func httpsParam(px *nginxconf.Proxy) *nginxconf.HeaderSetting {
	for i := len(px.Params) - 1; i >= 0; i-- {
		if px.Params[i].Name == "HTTPS" {
			return &px.Params[i]
		}
	}
	return nil
}
