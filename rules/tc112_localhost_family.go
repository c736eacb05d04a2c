package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

var tc112 = &Rule{
	ID:       "TC112",
	Name:     "localhost-family",
	Severity: Warning,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "proxy_pass to a name resolving to both ::1 and 127.0.0.1 while the trust setting covers only one family",
		Rationale: "nginx resolves a proxy_pass host name when it loads the configuration and uses every address it gets " +
			"in turn (round-robin, and the other one whenever a connection fails). `localhost` is both 127.0.0.1 and ::1 " +
			"on most systems, so an app listening on both families (Node's default `::` is dual-stack) sees nginx arrive " +
			"from either. A trust setting that names one family (`127.0.0.1` or `::1`) then trusts only part of the " +
			"requests: for the rest req.ip is nginx's address and req.protocol falls back to `http`, intermittently and " +
			"depending on which address answered.",
		Bad: "# app: app.set('trust proxy', '127.0.0.1')\n" +
			"location / {\n" +
			"    proxy_pass http://localhost:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')   -- 127.0.0.1/8 and ::1\n" +
			"location / {\n" +
			"    proxy_pass http://localhost:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Fix: "Trust both families (`'loopback'` covers 127.0.0.0/8 and ::1), or pin the family in nginx with an address " +
			"instead of the name: `proxy_pass http://127.0.0.1:3000;`.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_pass",
			"https://github.com/jshttp/proxy-addr#proxyaddrreq-trust",
		},
	},
	Check: checkTC112,
}

func checkTC112(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	trust := p.App.Evaluator.Trust()
	// Routes through the same proxy_pass report at the same place, and lint
	// merges those findings into one.
	for _, path := range p.nginxPaths() {
		var ips, covered, missed []string
		v4, v6 := false, false
		for _, c := range p.connectCandidates(path) {
			a, err := netip.ParseAddr(c)
			if err != nil {
				continue // a UNIX socket in a mixed upstream: no family
			}
			ips = append(ips, c)
			v4, v6 = v4 || a.Is4(), v6 || a.Is6()
			if ok, _ := trust.Trusts(p.appSees(c), 0); ok {
				covered = append(covered, c)
			} else {
				missed = append(missed, c)
			}
		}
		if !v4 || !v6 || len(covered) == 0 || len(missed) == 0 {
			continue // one family, all covered, or none covered: TC104
		}
		r := p.replayFrom(path, path.Honest(), missed[0])
		if r.Result.IP != nil && *r.Result.IP == HonestClient {
			continue
		}
		p.Report(Finding{
			Pos:       path.Proxy.Pos,
			Directive: path.Proxy.Directive.String(),
			Message: fmt.Sprintf("%s resolves to %s and nginx connects from either, but %s trusts only %s: requests that arrive from %s get %s = %s",
				targetName(path.Proxy), andList(ips), p.trustDirective(), andList(covered),
				andList(missed), p.Prop("ip"), undefOr(r.Result.IP)),
			Path:    path.Entry,
			Attack:  p.Attack(path, r, "ip", r.Result.IP) + " whenever nginx connects from " + missed[0],
			Honest:  true,
			Fix:     p.tc112Fix(path, r, missed, covered[0]),
			Related: []trustmodel.Pos{p.TrustPos()},
		})
	}
}

// tc112Fix trusts the missed family too, or pins the one trusted. Outside
// Node the trust is the framework's advice for every address nginx uses,
// offered only when replaying r through it gives the client.
func (p *Pass) tc112Fix(path *Path, r Replay, missed []string, covered string) SuggestedFix {
	pin := pinFamily(path.Proxy, covered)
	if !p.ownSyntax() {
		return Fix(fmt.Sprintf("%s, or pin the family nginx uses: %s", p.SetTrust(jsLiteral(p.withEntries(missed))), pin),
			p.trustEdits(p.withEntries(missed))...)
	}
	// The addresses as nginx connects from them, else as the app's socket
	// reports them (IPv4-mapped on a dual-stack socket).
	ch := trustChain(path.Honest().AtApp)
	seen := ch[:max(0, slices.Index(ch, HonestClient))]
	for _, mapped := range []bool{false, true} {
		var proxies []string
		for _, a := range append(slices.Clone(seen), missed...) {
			if ad, err := netip.ParseAddr(a); err == nil {
				a = ad.Unmap().String()
			}
			if mapped {
				a = p.appSees(a)
			}
			if !slices.Contains(proxies, a) {
				proxies = append(proxies, a)
			}
		}
		s, ok := p.App.Evaluator.Advise(trustmodel.Advice{Proxies: proxies, Hops: max(1, p.hopsToClient(path))})
		if !ok {
			continue
		}
		if ev, err := frameworks.New(s.App); err == nil && undefOr(ev.Evaluate(r.AtApp).IP) == HonestClient {
			return Fix(codeThen(s.Code, "or pin the family nginx uses: "+pin), p.settingEdits(s)...)
		}
	}
	return Fix("pin the family nginx uses: " + pin)
}

// withEntries is the app's trust value with addrs added: 'loopback' when
// that is what the value then covers, else the value extended.
func (p *Pass) withEntries(addrs []string) any {
	var list []any
	switch v := p.App.Spec.TrustProxy.(type) {
	case string:
		for _, e := range strings.Split(v, ",") {
			list = append(list, strings.TrimSpace(e))
		}
	case []any:
		list = slices.Clone(v)
	default:
		return nginxTrust(addrs[0])
	}
	loopbackOnly := true
	for _, e := range list {
		if e != "127.0.0.1" && e != "::1" && e != "127.0.0.1/8" && e != "::1/128" {
			loopbackOnly = false
		}
	}
	if loopbackOnly {
		return "loopback"
	}
	for _, a := range addrs {
		list = append(list, a)
	}
	return list
}

// targetName names what a proxy_pass connects to: its host or upstream.
func targetName(px *nginxconf.Proxy) string {
	if px.Target.Upstream != nil {
		return "upstream " + px.Target.Upstream.Name
	}
	return px.Target.Host
}

// pinFamily is the nginx change that makes nginx connect from addr's family
// only: an address instead of the name, in proxy_pass or the upstream.
func pinFamily(px *nginxconf.Proxy, addr string) string {
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	if u := px.Target.Upstream; u != nil {
		return fmt.Sprintf("write %s instead of the host name in the server lines of upstream %s", addr, u.Name)
	}
	return "`" + strings.Replace(px.Directive.String(), px.Target.Host, addr, 1) + "`"
}
