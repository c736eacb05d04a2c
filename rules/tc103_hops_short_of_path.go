package rules

import (
	"fmt"
)

var tc103 = &Rule{
	ID:       "TC103",
	Name:     "hops-short-of-path",
	Severity: Warning,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "A numeric hop count is smaller than the proxies on a path: every client resolves to a proxy address",
		Rationale: "A number as `trust proxy` trusts that many addresses counted from the socket leftwards through " +
			"X-Forwarded-For. Each proxy that appends to the header adds one entry, so when more proxies stand in front " +
			"of the app than the count says, the walk stops at a proxy's entry: req.ip is the CDN's or load balancer's " +
			"address for every visitor. Rate limits then throttle everyone together, and logs and geo-IP lose the client.",
		Bad: "# trustcheck.yaml: edge: [{preset: cloudflare}]; app: app.set('trust proxy', 1)\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 2)   -- Cloudflare and nginx\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Fix: "Count every proxy that appends to X-Forwarded-For between the client and the app (a CDN and nginx: 2), or " +
			"trust the proxies by address (`['loopback', <the CDN's ranges>]`), which keeps working if the chain changes.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://developers.cloudflare.com/fundamentals/reference/http-headers/#x-forwarded-for",
		},
	},
	Check:  checkTC103,
	Finish: finishTC103,
}

// tc103Shown is what a TC103 finding shows of its first path.
type tc103Shown struct {
	hops          int
	got           *string
	entry, attack string
}

// checkTC103 gathers the paths where the hop count stops at a proxy;
// whether the count is the problem needs every path (finishTC103).
func checkTC103(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	n, ok := p.hopCount()
	if !ok || n <= 0 { // a count of 0 trusts nothing, not even nginx: TC104
		return
	}
	p.judgeTrustValues() // does one count fit every path?
	groups := stateOf[trustGroups[tc103Shown]](p)
	for _, path := range p.nginxPaths() {
		k := p.hopsToClient(path)
		if k < 1 || float64(k-1) < n {
			continue
		}
		if ip := path.Honest().Result.IP; ip == nil || *ip != HonestClient {
			groups.add(p, path, func() tc103Shown {
				h := path.Honest()
				return tc103Shown{k, h.Result.IP, path.Entry, p.Attack(path, h, "ip", h.Result.IP)}
			})
		}
	}
}

func finishTC103(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	n, ok := p.hopCount()
	if !ok || n <= 0 {
		return
	}
	want, fits := p.countFits()
	if !fits {
		return // no single count serves every path: TC107
	}
	for _, g := range stateOf[trustGroups[tc103Shown]](p).groups {
		p.Report(Finding{
			Pos:       g.pos,
			Directive: p.trustDirective(),
			Message: fmt.Sprintf("%s stops short: the app sees %s before the client's on this path, so %s is the proxy address %s for every client",
				p.countName(n), countNoun(g.shown.hops, "proxy address", "proxy addresses"), p.Prop("ip"), undefOr(g.shown.got)),
			Path:    g.shown.entry,
			Attack:  g.shown.attack,
			Honest:  true,
			Fix:     p.countFix(want),
			Related: g.related.list,
		})
	}
}
