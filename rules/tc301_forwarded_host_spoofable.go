package rules

import (
	"fmt"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc301 = &Rule{
	ID:       "TC301",
	Name:     "forwarded-host-spoofable",
	Severity: Error,
	Property: PropHostname,
	NeedsApp: true,
	Doc: Doc{
		Title: "The app trusts nginx and the X-Forwarded-Host it reads is client-controlled: req.hostname is attacker-chosen",
		Rationale: "Once the app trusts nginx, Express, Fastify and Koa take the host from X-Forwarded-Host instead of " +
			"Host (Express and Koa the leftmost value, Fastify the rightmost). nginx neither sets nor removes that " +
			"header by default, so the client's own X-Forwarded-Host reaches the app whenever no " +
			"`proxy_set_header X-Forwarded-Host` is in effect, or when it is set from `$http_x_forwarded_host`. " +
			"`req.hostname` is then whatever the attacker writes: password-reset and e-mail-verification links " +
			"point to the attacker's domain, host-based routing and tenant selection are bypassed, and cached " +
			"pages embed the attacker's host. The rule replays a client sending `X-Forwarded-Host: evil.example` " +
			"and reports when the app's hostname becomes it.",
		Bad: "# app: app.set('trust proxy', 'loopback')\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"    proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"    proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    proxy_set_header X-Forwarded-Host $host;\n" +
			"}",
		Fix: "Overwrite the header in every proxying location (or once at server level): " +
			"`proxy_set_header X-Forwarded-Host $host;`, or clear it with `proxy_set_header X-Forwarded-Host \"\";` " +
			"when the app should use Host.",
		References: []string{
			"https://expressjs.com/en/api.html#req.hostname",
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
			"https://portswigger.net/web-security/host-header",
		},
	},
	Check: checkTC301,
}

func checkTC301(p *Pass) {
	for _, path := range p.Paths {
		if path.NginxHop() == nil {
			continue // a client reaching the app directly: TC106
		}
		r, ok := path.HostileFor("X-Forwarded-Host")
		if !ok || strOr(r.Result.Hostname, "") != SpoofedHost || strOr(path.Honest().Result.Hostname, "") == SpoofedHost {
			continue
		}
		site := nginxSite(path, "X-Forwarded-Host")
		var kept string
		if path.Kind == EntryEdge {
			kept = " after " + path.Hops[0].Name + " kept it"
		}
		what, shadowed := forwardedHostSource(path, site, kept)
		related := append([]trustmodel.Pos{path.Proxy.Pos, p.TrustPos()}, edgesKeeping(path, "X-Forwarded-Host")...)
		related = append(related, shadowed...)
		p.Report(Finding{
			Pos:       site.Pos,
			Directive: site.Directive,
			Message:   fmt.Sprintf(trustsFormat(path, "the app trusts nginx and %s: %s is whatever the client sends"), what, p.Prop("hostname")),
			Path:      path.Entry,
			Attack:    p.Attack(path, r, "hostname", r.Result.Hostname),
			Fix:       forwardedHostFix(path, site),
			Related:   related,
			CausedBy:  droppedBy(path.Proxy, "X-Forwarded-Host"),
		})
	}
}

// forwardedHostFix sets X-Forwarded-Host to $host. In a server that takes
// every Host, $host is the client's too (TC302): naming the app's hosts is
// then part of the fix, and that is no edit.
func forwardedHostFix(path *Path, site headerSite) SuggestedFix {
	fix := setHeaderFix(path, site, "X-Forwarded-Host", "$host")
	if c, ok := catchAll(path.Proxy.Server); ok {
		return Fix(joinFix(fix.Message, c.fix, rejectingDefault(path.Proxy.Server)))
	}
	return fix
}
