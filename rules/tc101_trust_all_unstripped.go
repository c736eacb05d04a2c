package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc101 = &Rule{
	ID:       "TC101",
	Name:     "trust-all-unstripped",
	Severity: Error,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "trust proxy is true while the X-Forwarded-For reaching the app still carries client-supplied entries",
		Rationale: "With `trust proxy` set to `true`, Express (and Fastify, and Koa with `proxy`) take the leftmost " +
			"X-Forwarded-For entry as the client address. `$proxy_add_x_forwarded_for` appends nginx's view of the client " +
			"to whatever the client already sent, so the leftmost entry is the client's own text: rate limits, audit logs " +
			"and IP allow-lists see any address the attacker writes. Outside Node the same holds for every setting that " +
			"believes any peer: gin without `SetTrustedProxies`, chi's `middleware.RealIP` (which also takes the leftmost " +
			"entry), uvicorn's `--forwarded-allow-ips='*'`, Spring's `forward-headers-strategy: framework`, Laravel 13's " +
			"`'*'`, ASP.NET Core with both known lists cleared and no `ForwardLimit`.",
		Bad: "# app: app.set('trust proxy', true)\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Fix: "Trust exactly the proxies in front of the app (`'loopback'` when nginx connects over loopback; add the " +
			"CDN's ranges when nginx appends to a CDN's header), or make nginx overwrite the header with " +
			"`proxy_set_header X-Forwarded-For $remote_addr;`.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#var_proxy_add_x_forwarded_for",
		},
	},
	Check: checkTC101,
}

func checkTC101(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	if !p.TrustIsTrue() {
		return
	}
	for _, path := range p.Paths {
		hop := path.NginxHop()
		if hop == nil {
			continue
		}
		rule, ok := hop.Rule("X-Forwarded-For")
		if !ok || !HasSource(rule, trustmodel.SourceHeader) {
			continue // passed through untouched: TC105; overwritten: no client entries
		}
		r, ok := path.HostileFor("X-Forwarded-For")
		if !ok || r.Result.IP == nil || *r.Result.IP != SpoofedAddr {
			continue
		}
		p.Report(Finding{
			Pos:       rule.Pos,
			Directive: DirectiveText(rule),
			Message: fmt.Sprintf("%s trusts every address and nginx appends to the client's X-Forwarded-For: %s is whatever the client writes",
				p.trustDirective(), p.Prop("ip")),
			Path:    path.Entry,
			Attack:  p.Attack(path, r, "ip", r.Result.IP),
			Fix:     tc101Fix(p, path, hop),
			Related: []trustmodel.Pos{path.Proxy.Pos, p.TrustPos()},
		})
	}
}

// tc101Fix narrows the trust to nginx's own entry. Koa's app.proxy is a
// boolean, so there the nginx change comes first and the app's own fix
// counts entries instead of naming nginx.
func tc101Fix(p *Pass, path *Path, hop *trustmodel.Hop) SuggestedFix {
	xff := setHeaderFix(path, nginxSite(path, "X-Forwarded-For"), "X-Forwarded-For", "$remote_addr").Edits
	if strings.EqualFold(p.App.Spec.Framework, "koa") {
		fix := "`proxy_set_header X-Forwarded-For $remote_addr;`, so that Koa, which believes every peer, gets only the address nginx saw"
		if s, ok := p.App.Evaluator.Advise(trustmodel.Advice{Hops: max(1, p.hopsToClient(path))}); ok {
			fix += "; or read only the proxies' entries in the app: " + s.Code
		}
		return Fix(fix, xff...)
	}
	if fw := p.App.Spec.Framework; !trustmodel.NodeFramework(fw) {
		overwrite := "`proxy_set_header X-Forwarded-For $remote_addr;`"
		if p.ownSyntax() {
			// A framework that reads other address headers first (chi's
			// RealIP) needs them closed too, or TC115 follows the fix.
			if more, _ := p.spoofableAddressHeaders(path); len(more) > 0 {
				overwrite += " with " + addressHeaderSets(more)
				xff = nil // one edit would not close them all
			}
		}
		if s, ok := p.App.Evaluator.Advise(trustmodel.Advice{Proxies: []string{hop.Addr}, Hops: max(1, p.hopsToClient(path))}); ok {
			return Fix("believe only nginx's own entry: "+codeThen(s.Code, "or "+overwrite), p.settingEdits(s)...)
		}
		return Fix(overwrite+", so that only the address nginx saw reaches the app", xff...)
	}
	return Fix(fmt.Sprintf("%s, so only nginx's own entry is believed; or `proxy_set_header X-Forwarded-For $remote_addr;`", p.SetTrust(NginxTrustValue(hop.Addr))),
		p.trustEdits(nginxTrust(hop.Addr))...)
}
