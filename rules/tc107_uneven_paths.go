package rules

import (
	"fmt"
	"slices"
	"strings"
)

var tc107 = &Rule{
	ID:       "TC107",
	Name:     "uneven-paths",
	Severity: Error,
	NeedsApp: true,
	Doc: Doc{
		Title: "A hop count is used while paths of different lengths reach the app",
		Rationale: "A numeric `trust proxy` assumes every request crosses the same number of proxies. When some requests " +
			"come through a CDN and others reach nginx directly (nginx's address is public, or a second server block skips " +
			"the CDN), no single count is right: a count that fits the long path trusts one entry too many on the short one, " +
			"where the client's own X-Forwarded-For becomes req.ip; a count that fits the short path makes req.ip the CDN's " +
			"address on the long one. Attackers simply take the short path.",
		Bad: "# trustcheck.yaml: edge: [{preset: cloudflare}]; nginx: {reachable_directly: true}\n" +
			"# app: app.set('trust proxy', 2)\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# app: app.set('trust proxy', ['loopback', '173.245.48.0/20', ...])   -- nginx and Cloudflare by address\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Fix: "Trust the proxies by address instead of counting them: nginx (`'loopback'`) plus the ranges of every hop " +
			"in front of it; the walk then stops at the first address that is not a proxy, whatever the route. " +
			"Alternatively make the route uniform: accept connections to nginx only from the CDN's ranges.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://www.cloudflare.com/ips/",
		},
	},
	Check: checkTC107,
}

func checkTC107(p *Pass) {
	n, ok := p.hopCount()
	if !ok {
		return
	}
	if _, fits := p.countFits(); fits {
		return // a single count serves every path: TC102/TC103 say which
	}
	// One example path per distinct number of proxies, shortest first.
	var needs []int
	example := map[int]*Path{}
	var harmed []*Path
	var attack string
	for _, path := range p.nginxPaths() {
		k := p.hopsToClient(path)
		if k < 1 {
			continue
		}
		if _, seen := example[k]; !seen {
			example[k] = path
			needs = append(needs, k)
		}
		if r, ok := path.HostileFor("X-Forwarded-For"); ok && r.Result.IP != nil && *r.Result.IP == SpoofedAddr {
			harmed = append(harmed, path)
			if attack == "" {
				attack = p.Attack(path, r, "ip", r.Result.IP)
			}
		} else if ip := path.Honest().Result.IP; ip == nil || *ip != HonestClient {
			harmed = append(harmed, path)
		}
	}
	if len(needs) < 2 || len(harmed) == 0 {
		return
	}
	if attack == "" {
		h := harmed[0].Honest()
		attack = p.Attack(harmed[0], h, "ip", h.Result.IP)
	}
	slices.Sort(needs)
	routes := make([]string, len(needs))
	for i, k := range needs {
		routes[i] = fmt.Sprintf("%s on %s", countNoun(k, "proxy address", "proxy addresses"), example[k].Entry)
	}
	var effects []string
	if float64(needs[0]) < n {
		effects = append(effects, fmt.Sprintf("on the shorter route the client's own X-Forwarded-For entry is trusted and %s is client-chosen", p.Prop("ip")))
	}
	if float64(needs[len(needs)-1]-1) >= n {
		effects = append(effects, fmt.Sprintf("on the longer route %s is a proxy's address", p.Prop("ip")))
	}
	p.Report(Finding{
		Pos:       p.TrustPosOr(harmed[0].Proxy.Pos),
		Directive: p.trustDirective(),
		Message: fmt.Sprintf("the hop count %s cannot fit every route: before the client's address the app sees %s; %s",
			countText(n), andList(routes), strings.Join(effects, ", and ")),
		Path:    harmed[0].Entry,
		Attack:  attack,
		Fix:     fmt.Sprintf("trust the proxies by address instead of counting them: %s", p.SetTrust(p.suggestTrust())),
		Related: proxyPositions(p.nginxPaths()),
	})
}
