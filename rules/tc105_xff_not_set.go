package rules

import (
	"fmt"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc105 = &Rule{
	ID:       "TC105",
	Name:     "xff-not-set",
	Severity: Error,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "The app trusts nginx, but nginx does not set X-Forwarded-For, so the client's header arrives verbatim",
		Rationale: "nginx adds no X-Forwarded-For on its own: without a `proxy_set_header X-Forwarded-For` in effect for " +
			"the location, the header the client sent passes through unchanged. An app that trusts nginx's address then " +
			"reads the client's own text as the client address. Setting the header from the client's own value " +
			"(`proxy_set_header X-Forwarded-For $http_x_forwarded_for;`) is the same thing written out.",
		Bad: "# app: app.set('trust proxy', 'loopback')\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"}",
		Fix: "Set the header in every proxying location (or once at server level, with no `proxy_set_header` in the " +
			"locations): `proxy_set_header X-Forwarded-For $remote_addr;`, or `$proxy_add_x_forwarded_for` when a " +
			"trusted proxy stands in front of nginx.",
		References: []string{"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header"},
	},
	Check: checkTC105,
}

func checkTC105(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	for _, path := range p.Paths {
		hop := path.NginxHop()
		if hop == nil {
			continue
		}
		rule, set := hop.Rule("X-Forwarded-For")
		if hop.DropClientHeaders || set && !onlyClientXFF(rule) {
			continue
		}
		if ok, _ := p.App.Evaluator.Trust().Trusts(hop.Addr, 0); !ok {
			continue
		}
		r, ok := path.HostileFor("X-Forwarded-For")
		if !ok || r.Result.IP == nil || *r.Result.IP != SpoofedAddr {
			continue
		}
		pos, directive := missingHeaderSite(path.Proxy)
		trusted := fmt.Sprintf("nginx (%s)", hop.Addr)
		if hop.Gateway != nil {
			trusted = fmt.Sprintf("its REMOTE_ADDR peer (%s: over %s, the client itself)", hop.Addr, path.Proxy.Module)
		}
		f := Finding{
			Pos:       pos,
			Directive: directive,
			Message: fmt.Sprintf("the app trusts %s, but nginx passes the client's X-Forwarded-For through unchanged: %s is whatever the client writes",
				trusted, p.Prop("ip")),
			Path:     path.Entry,
			Attack:   p.Attack(path, r, "ip", r.Result.IP),
			Fix:      addHeaderFix(path.Proxy, "proxy_set_header X-Forwarded-For $remote_addr;"),
			Related:  []trustmodel.Pos{path.Proxy.Pos, p.TrustPos()},
			CausedBy: droppedBy(path.Proxy, "X-Forwarded-For"),
		}
		if set {
			f.Pos, f.Directive = rule.Pos, moduleDirective(path.Proxy, DirectiveText(rule))
			f.Message = fmt.Sprintf("the app trusts %s, but nginx sets X-Forwarded-For to the client's own header: %s is whatever the client writes",
				trusted, p.Prop("ip"))
			d := moduleDirective(path.Proxy, "proxy_set_header X-Forwarded-For $remote_addr;")
			f.Fix = Fix(fmt.Sprintf("set it from the address nginx saw: `%s` (or `$proxy_add_x_forwarded_for` behind a trusted proxy)", d),
				ReplaceText(rule.Pos, f.Directive, d))
		}
		p.Report(f)
	}
}

// onlyClientXFF reports whether a X-Forwarded-For rule copies what the
// client sent without adding the address nginx saw ($http_x_forwarded_for).
func onlyClientXFF(r trustmodel.HeaderRule) bool {
	return HasSource(r, trustmodel.SourceHeader) && !HasSource(r, trustmodel.SourceClientAddr)
}
