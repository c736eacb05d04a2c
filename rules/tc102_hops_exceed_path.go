package rules

import (
	"fmt"
	"math"
)

var tc102 = &Rule{
	ID:       "TC102",
	Name:     "hops-exceed-path",
	Severity: Error,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "A numeric hop count is larger than the number of proxies on a path, so the client's own entries are trusted",
		Rationale: "A number as `trust proxy` tells the framework to trust that many addresses, counted from the socket " +
			"leftwards through X-Forwarded-For, whoever wrote them. Each proxy that appends to the header adds exactly one " +
			"entry; when the count is larger than the proxies in front of the app, the extra trusted entries are the ones " +
			"the client sent, and the address the client writes becomes req.ip. Rate limits, audit logs and IP allow-lists " +
			"then see whatever the attacker chooses.",
		Bad: "# app: app.set('trust proxy', 2)   -- but only nginx stands in front\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')   -- or 1\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Fix: "Set the count to the number of proxies that append to X-Forwarded-For on the way to the app (nginx alone: 1; " +
			"a CDN in front of nginx: 2), or better, trust the proxies by address (`'loopback'` for nginx on the same host, " +
			"plus the CDN's ranges), which stays right when the topology changes.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://github.com/jshttp/proxy-addr#proxyaddrreq-trust",
		},
	},
	Check:  checkTC102,
	Finish: finishTC102,
}

// tc102Shown is what a TC102 finding shows of its first path.
type tc102Shown struct {
	hops          int
	entry, attack string
}

// checkTC102 gathers the paths whose hop count lets an injected entry
// through; whether the count is the problem needs every path (finishTC102).
func checkTC102(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	n, ok := p.hopCount()
	if !ok {
		return
	}
	p.judgeTrustValues() // does one count fit every path?
	groups := stateOf[trustGroups[tc102Shown]](p)
	for _, path := range p.nginxPaths() {
		k := p.hopsToClient(path)
		if k < 1 || float64(k) >= n {
			continue
		}
		if r, ok := path.HostileFor("X-Forwarded-For"); ok && r.Result.IP != nil && *r.Result.IP == SpoofedAddr {
			groups.add(p, path, func() tc102Shown { return tc102Shown{k, path.Entry, p.Attack(path, r, "ip", r.Result.IP)} })
		}
	}
}

func finishTC102(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	n, ok := p.hopCount()
	if !ok {
		return
	}
	// When no single count serves every path, TC107 reports it instead.
	want, fits := p.countFits()
	if !fits {
		return
	}
	for _, g := range stateOf[trustGroups[tc102Shown]](p).groups {
		p.Report(Finding{
			Pos:       g.pos,
			Directive: p.trustDirective(),
			Message: fmt.Sprintf("%s trusts %s, but the app sees only %s before the client's on this path: "+
				"the X-Forwarded-For entries the client writes are trusted too, so %s is client-chosen",
				p.countName(n), countNoun(int(math.Ceil(n)), "address", "addresses"), countNoun(g.shown.hops, "proxy address", "proxy addresses"), p.Prop("ip")),
			Path:    g.shown.entry,
			Attack:  g.shown.attack,
			Fix:     p.countFix(want),
			Related: g.related.list,
		})
	}
}
