package rules

import (
	"fmt"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc202 = &Rule{
	ID:       "TC202",
	Name:     "proto-spoofable",
	Severity: Error,
	Property: PropProtocol,
	NeedsApp: true,
	Doc: Doc{
		Title: "The X-Forwarded-Proto the app reads is client-controlled: req.protocol is whatever the client sends",
		Rationale: "An app that trusts nginx believes the X-Forwarded-Proto nginx sends. When nginx passes the client's " +
			"own header through (no `proxy_set_header X-Forwarded-Proto`), copies it (`$http_x_forwarded_proto`), " +
			"or maps it with the client's value as the default, a client on plain HTTP can claim https: " +
			"`req.secure` becomes true, Secure cookies and HSTS-style decisions are made for an unencrypted " +
			"connection, and https-only checks are bypassed; a client on https can claim http and poison cached " +
			"redirects. The rule replays a client that injects the opposite scheme (and, for a server that also " +
			"listens on plain HTTP, a plain request claiming https) and reports when the app's protocol follows it.",
		Bad: "# app: app.set('trust proxy', 'loopback')\n" +
			"map $http_x_forwarded_proto $fwd_proto {\n" +
			"    default $http_x_forwarded_proto;\n" +
			"    \"\"      $scheme;\n" +
			"}\n" +
			"server {\n" +
			"    listen 80;\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto $fwd_proto;\n" +
			"    }\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"server {\n" +
			"    listen 80;\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    }\n" +
			"}",
		Fix: "Where nginx terminates TLS, overwrite the header with the scheme nginx saw: " +
			"`proxy_set_header X-Forwarded-Proto $scheme;`. Where a load balancer terminates TLS and nginx passes " +
			"its value on, have the load balancer set (not preserve) the header and let clients reach nginx only " +
			"through it.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
			"https://fastify.dev/docs/latest/Reference/Server/#trustproxy",
		},
	},
	Check: checkTC202,
}

func checkTC202(p *Pass) {
	for _, path := range p.Paths {
		if path.NginxHop() == nil {
			continue // a client reaching the app directly: TC106
		}
		attackPath, r, ok := spoofedProto(p, path)
		if !ok {
			continue
		}
		site := nginxSite(path, "X-Forwarded-Proto")
		what := "nginx passes the client's X-Forwarded-Proto through"
		if site.Rule != nil {
			what = fmt.Sprintf("nginx sets X-Forwarded-Proto from the client's header (%s)", site.Rule.Value.String())
		}
		if path.Kind == EntryEdge {
			what += " after " + path.Hops[0].Name + " kept it"
		}
		related := append([]trustmodel.Pos{path.Proxy.Pos, p.TrustPos()}, edgesKeeping(path, "X-Forwarded-Proto")...)
		if site.Rule == nil {
			note, pos := shadowNote(path, "X-Forwarded-Proto")
			what += note
			related = append(related, pos...)
		}
		p.Report(Finding{
			Pos:       site.Pos,
			Directive: site.Directive,
			Message:   fmt.Sprintf(trustsFormat(path, "the app trusts nginx and %s: %s is whatever the client sends"), what, p.Prop("protocol")),
			Path:      path.Entry,
			Attack:    p.Attack(attackPath, r, "protocol", r.Result.Protocol),
			Fix:       protoSpoofFix(p, path, site),
			Related:   related,
			CausedBy:  droppedBy(path.Proxy, "X-Forwarded-Proto"),
		})
	}
}

// spoofedProto returns a replay whose injected X-Forwarded-Proto became the
// app's protocol although the honest request's did not: a plain request
// claiming https first (the harmful direction), then the path's own.
func spoofedProto(p *Pass, path *Path) (*Path, Replay, bool) {
	if honest, r, u, ok := plainReplays(path, p.App.Evaluator, "X-Forwarded-Proto", "https"); ok &&
		strOr(r.Result.Protocol, "") == r.Value && strOr(honest.Result.Protocol, "") != r.Value {
		return withURL(path, u), r, true
	}
	r, ok := path.HostileFor("X-Forwarded-Proto")
	if ok && strOr(r.Result.Protocol, "") == r.Value && strOr(path.Honest().Result.Protocol, "") != r.Value {
		return path, r, true
	}
	return nil, Replay{}, false
}

// protoSpoofFix makes X-Forwarded-Proto nginx's own again, or, when nginx
// must pass on the value of a TLS-terminating edge, closes the way around it.
func protoSpoofFix(p *Pass, path *Path, site headerSite) SuggestedFix {
	if path.Proxy.Server.SSL() || p.Config == nil || len(p.Config.Edge) == 0 {
		return setHeaderFix(path, site, "X-Forwarded-Proto", "$scheme")
	}
	edge := edgeName(p)
	if path.Kind == EntryEdge {
		return Fix(fmt.Sprintf("configure %s to set X-Forwarded-Proto instead of passing the client's on", path.Hops[0].Name))
	}
	return Fix(fmt.Sprintf("nginx needs the X-Forwarded-Proto %s sets, so let clients reach nginx only through %s "+
		"(firewall it to %s's addresses, then set nginx.reachable_directly: false)", edge, edge, edge))
}
