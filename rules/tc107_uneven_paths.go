package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc107 = &Rule{
	ID:       "TC107",
	Name:     "uneven-paths",
	Severity: Error,
	Property: PropClientIP,
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
	Check:  checkTC107,
	Finish: finishTC107,
}

// tc107Routes is what TC107 gathers from the paths through nginx.
type tc107Routes struct {
	needs   []int          // the distinct numbers of proxies, in the order met
	example map[int]string // a path needing each, the first met
	// The first path the count harms, and the attack shown: the first
	// injected X-Forwarded-For that becomes req.ip, else that path's
	// honest client.
	harmed       bool
	harmedEntry  string
	harmedPos    trustmodel.Pos
	harmedAttack string
	attack       string
	related      positionSet // every path's proxy_pass
}

// checkTC107 gathers how many proxies each path needs trusted; whether one
// count fits them all needs every path (finishTC107).
func checkTC107(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	if _, ok := p.hopCount(); !ok {
		return
	}
	p.judgeTrustValues() // does one count fit every path?
	st := stateOf[tc107Routes](p)
	for _, path := range p.nginxPaths() {
		st.related.add(path.Proxy.Pos)
		k := p.hopsToClient(path)
		if k < 1 {
			continue
		}
		if _, seen := st.example[k]; !seen {
			if st.example == nil {
				st.example = map[int]string{}
			}
			st.example[k] = path.Entry
			st.needs = append(st.needs, k)
		}
		harmed := false
		if r, ok := path.HostileFor("X-Forwarded-For"); ok && r.Result.IP != nil && *r.Result.IP == SpoofedAddr {
			harmed = true
			if st.attack == "" {
				st.attack = p.Attack(path, r, "ip", r.Result.IP)
			}
		} else if ip := path.Honest().Result.IP; ip == nil || *ip != HonestClient {
			harmed = true
		}
		if harmed && !st.harmed {
			h := path.Honest()
			st.harmed, st.harmedEntry, st.harmedPos = true, path.Entry, path.Proxy.Pos
			st.harmedAttack = p.Attack(path, h, "ip", h.Result.IP)
		}
	}
}

func finishTC107(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	n, ok := p.hopCount()
	if !ok {
		return
	}
	if _, fits := p.countFits(); fits {
		return // a single count serves every path: TC102/TC103 say which
	}
	st := stateOf[tc107Routes](p)
	if len(st.needs) < 2 || !st.harmed {
		return
	}
	attack := st.attack
	if attack == "" {
		attack = st.harmedAttack
	}
	needs := slices.Sorted(slices.Values(st.needs))
	routes := make([]string, len(needs))
	for i, k := range needs {
		routes[i] = fmt.Sprintf("%s on %s", countNoun(k, "proxy address", "proxy addresses"), st.example[k])
	}
	var effects []string
	if float64(needs[0]) < n {
		effects = append(effects, fmt.Sprintf("on the shorter route the client's own X-Forwarded-For entry is trusted and %s is client-chosen", p.Prop("ip")))
	}
	if float64(needs[len(needs)-1]-1) >= n {
		effects = append(effects, fmt.Sprintf("on the longer route %s is a proxy's address", p.Prop("ip")))
	}
	p.Report(Finding{
		Pos:       p.TrustPosOr(st.harmedPos),
		Directive: p.trustDirective(),
		Message: fmt.Sprintf("%s cannot fit every route: before the client's address the app sees %s; %s",
			p.countName(n), andList(routes), strings.Join(effects, ", and ")),
		Path:    st.harmedEntry,
		Attack:  attack,
		Fix:     p.tc107Fix(),
		Related: st.related.list,
	})
}

// tc107Fix trusts the proxies by address; where the framework only counts
// (ProxyFix), every route is made to bring the app one entry instead: nginx
// resolves the client itself and overwrites X-Forwarded-For.
func (p *Pass) tc107Fix() SuggestedFix {
	if !p.ownSyntax() || !p.countsOnly() {
		return prefixFix("trust the proxies by address instead of counting them: ", p.trustFix())
	}
	var from []string
	for _, r := range edgeRanges(p) {
		from = append(from, "set_real_ip_from "+r.String()+";")
	}
	realip := "real_ip_header X-Forwarded-For;"
	if len(from) > 0 {
		realip = strings.Join(from, " ") + " " + realip
	}
	return Fix(fmt.Sprintf("%s cannot trust proxies by address, only count them: make every route bring one entry — let nginx resolve the client (%s) "+
		"and overwrite the header (`proxy_set_header X-Forwarded-For $remote_addr;`), then count one: %s",
		p.trustDirective(), realip, p.advisedCode(1)))
}
