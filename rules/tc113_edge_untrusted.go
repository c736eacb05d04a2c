package rules

import (
	"fmt"
)

var tc113 = &Rule{
	ID:       "TC113",
	Name:     "edge-untrusted",
	Severity: Warning,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "The trust setting covers nginx but not a proxy in front of it: req.ip is that proxy's address for every client",
		Rationale: "When a CDN, load balancer or TLS proxy stands in front of nginx, the client's address reaches the app " +
			"as the X-Forwarded-For entry that proxy appended, behind the entry nginx appends for the proxy itself. A trust " +
			"setting that covers only nginx (`'loopback'`) stops the walk at the proxy's entry: every honest client gets the " +
			"load balancer's address, so rate limits throttle everyone together and logs, geo-IP and audit trails lose the " +
			"client. No attack is needed; the result is simply wrong.",
		Bad: "# trustcheck.yaml: edge: [{name: lb, addresses: [10.0.0.0/16], x_forwarded_for: append}]\n" +
			"# app: app.set('trust proxy', 'loopback')\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# app: app.set('trust proxy', ['loopback', '10.0.0.0/16'])   -- nginx and the load balancer\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Fix: "Trust the front proxy's addresses as well as nginx's (its published ranges for a CDN, the load balancer's " +
			"subnet), or have nginx resolve the client with realip (`set_real_ip_from` the proxy's ranges, " +
			"`real_ip_header X-Forwarded-For`) and send `X-Forwarded-For $remote_addr`.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html",
		},
	},
	Check:  checkTC113,
	Finish: finishTC113,
}

// tc113Shown is what a TC113 finding shows of its first path.
type tc113Shown struct {
	got           string
	proxy         string // the edge hop whose address the app sees
	entry, attack string
}

// checkTC113 gathers the edge paths whose honest client resolves to an
// edge hop's address while nginx's is trusted. A hop count that stops
// short is TC103's, an untrusted nginx TC104's.
func checkTC113(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	if _, count := p.hopCount(); count {
		return
	}
	trust := p.App.Evaluator.Trust()
	groups := stateOf[trustGroups[tc113Shown]](p)
	for _, path := range p.nginxPaths() {
		if path.Kind != EntryEdge {
			continue
		}
		if ok, _ := trust.Trusts(p.appSees(path.NginxHop().Addr), 0); !ok {
			continue
		}
		h := path.Honest()
		ip := h.Result.IP
		if ip == nil || *ip == HonestClient {
			continue
		}
		for i := 0; i < len(path.Hops)-1; i++ {
			if path.Hops[i].Addr != *ip {
				continue
			}
			groups.add(p, path, func() tc113Shown {
				return tc113Shown{*ip, hopLabel(path, i), path.Entry, p.Attack(path, h, "ip", ip)}
			})
			break
		}
	}
}

func finishTC113(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	for _, g := range stateOf[trustGroups[tc113Shown]](p).groups {
		p.Report(Finding{
			Pos:       g.pos,
			Directive: p.trustDirective(),
			Message: fmt.Sprintf("%s trusts nginx but not %s in front of it: %s is %s's address %s for every client",
				p.trustDirective(), g.shown.proxy, p.Prop("ip"), g.shown.proxy, g.shown.got),
			Path:    g.shown.entry,
			Attack:  g.shown.attack,
			Honest:  true,
			Fix:     p.trustFix(),
			Related: g.related.list,
		})
	}
}
