package rules

import (
	"fmt"
	"strings"
)

var tc403 = &Rule{
	ID:       "TC403",
	Name:     "passenger-headers",
	Severity: Info,
	Property: PropClientIP,
	NeedsApp: false,
	Doc: Doc{
		Title: "Passenger serves the app: the client's X-Forwarded-For survives as an earlier line",
		Rationale: "Phusion Passenger forwards every client header to the app and then adds its own lines " +
			"`X-Forwarded-For: <$remote_addr>` (and `X-Forwarded-Proto: https` on TLS). The client's own X-Forwarded-For " +
			"is not replaced: the app joins the lines and sees `client-written, real-address`. Only the last entry is " +
			"Passenger's. Passenger also sends the address as the secure header `!~Passenger-Client-Address`, which a " +
			"client cannot inject.",
		Bad: "# app: app.set('trust proxy', true)\n" +
			"location / {\n" +
			"    passenger_enabled on;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 1)   // only Passenger's own entry\n" +
			"location / {\n" +
			"    passenger_enabled on;\n" +
			"}",
		Fix: "Trust exactly one hop in the app (Express `app.set('trust proxy', 1)`), or read the client address from " +
			"`!~Passenger-Client-Address`.",
		References: []string{
			"https://www.phusionpassenger.com/library/config/nginx/reference/#passenger_enabled",
			"https://github.com/phusion/passenger/blob/HEAD/src/agent/Core/Controller/SendRequest.cpp",
		},
	},
	Check: checkTC403,
}

func checkTC403(p *Pass) {
	entries := nginxEntries(p)
	hop := "Express: `app.set('trust proxy', 1)`"
	switch fw := strings.ToLower(p.App.Spec.Framework); {
	case fw == "koa":
		hop = "Koa: `app.proxy = true` with `maxIpsCount: 1`"
	case fw == "fastify":
		hop = "Fastify: a trustProxy function that trusts hop 0 only"
	case p.App.Evaluator != nil:
		hop = "`" + p.SetTrust("1") + "`"
	}
	fix := fmt.Sprintf("trust exactly one hop in the app (%s), or read the client address from the `!~Passenger-Client-Address` header", hop)
	for _, px := range p.Proxies {
		if px.Module != "passenger" {
			continue
		}
		attack := ""
		for _, e := range entries {
			out := px.Hop.Forward(e.Arrive(clientRequest(HonestClient, "X-Forwarded-For", SpoofedAddr)))
			if v := strings.Join(out.Headers.Lines("X-Forwarded-For"), ", "); strings.HasPrefix(v, SpoofedAddr) {
				attack = fmt.Sprintf("a client at %s sending %q to %s%s reaches the app with %q: only the last entry is Passenger's",
					HonestClient, "X-Forwarded-For: "+SpoofedAddr, proxyURL(p, px), e.Through(), "X-Forwarded-For: "+v)
				break
			}
		}
		if attack == "" {
			continue // an edge hop replaces the client's header before nginx
		}
		f := Finding{
			Pos:       px.Pos,
			Directive: px.Directive.String(),
			Message:   "Passenger adds its X-Forwarded-For line after the client's own: the app sees the client-written entries first and Passenger's address last",
			Attack:    attack,
			Fix:       Fix(fix), // a change in the app, which the finding is not about
		}
		if px.Location != nil {
			f.Related = positions(px.Location.Pos)
		}
		p.Report(f)
	}
}
