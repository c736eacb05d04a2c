package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc110 = &Rule{
	ID:       "TC110",
	Name:     "realip-not-recursive",
	Severity: Warning,
	Property: PropClientIP,
	NeedsApp: false,
	Doc: Doc{
		Title: "Several trusted proxies stand in front of nginx but real_ip_recursive is off: $remote_addr becomes a proxy",
		Rationale: "With `real_ip_header X-Forwarded-For` and `real_ip_recursive off` (the default), realip replaces " +
			"`$remote_addr` with the last address of the header, whatever it is. With one proxy in front of nginx that is " +
			"the client. With two (a CDN in front of a load balancer, a load balancer in front of a local cache), the last " +
			"entry is the outer proxy's address, appended by the inner one: every client shares the CDN's address in " +
			"allow/deny, limit_req, the logs and the X-Forwarded-For the app reads.",
		Bad: "set_real_ip_from 10.0.0.0/16;        # load balancer\n" +
			"set_real_ip_from 173.245.48.0/20;    # Cloudflare in front of it\n" +
			"real_ip_header X-Forwarded-For;",
		Good: "set_real_ip_from 10.0.0.0/16;\n" +
			"set_real_ip_from 173.245.48.0/20;\n" +
			"real_ip_header X-Forwarded-For;\n" +
			"real_ip_recursive on;",
		Fix: "Turn on `real_ip_recursive` and list every proxy of the chain in `set_real_ip_from`: realip then walks " +
			"X-Forwarded-For from the right past the trusted proxies and stops at the first address that is not one.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html#real_ip_recursive",
		},
	},
	Finish: finishTC110,
}

// proxyLayer is one proxy in front of nginx: a declared edge hop, or the
// proxies behind a group of set_real_ip_from entries.
type proxyLayer struct {
	Name   string
	Addr   string
	Ranges []netip.Prefix
	Pos    []trustmodel.Pos
}

func finishTC110(p *Pass) {
	for _, site := range p.realipSites() {
		if !site.Active() || site.Mode != nginxconf.RealIPXForwardedFor || site.Recursive {
			continue
		}
		layers, in, declared := tc110Chain(p, site)
		if len(layers) < 2 {
			continue
		}
		got := tc110Resolve(site, in)
		// An outer proxy's address: the innermost one is the peer itself,
		// which realip did not replace (TC402's business, not recursion's).
		outer := slices.IndexFunc(layers[:len(layers)-1], func(l proxyLayer) bool { return l.Addr == got })
		if outer < 0 || !slices.ContainsFunc(in.Headers.Lines("X-Forwarded-For"), func(v string) bool {
			return strings.Contains(v, HonestClient)
		}) {
			continue // no proxy's address, or no walk would reach the client either
		}
		pos, directive := site.HeaderPos, "real_ip_header "+site.Header+";"
		if site.RecursivePos.File != "" {
			pos, directive = site.RecursivePos, "real_ip_recursive off;"
		}
		var names []string
		var related []trustmodel.Pos
		for _, l := range layers {
			names = append(names, l.Name)
			related = append(related, l.Pos...)
		}
		msg := fmt.Sprintf("real_ip_recursive is off while %s stand in front of nginx: realip takes the last X-Forwarded-For entry, %s's address, so $remote_addr is a proxy",
			joinAnd(names), layers[outer].Name)
		if !declared {
			msg = fmt.Sprintf("real_ip_recursive is off while set_real_ip_from trusts %s: a request that passes them in turn gets the last X-Forwarded-For entry, %s's address, as $remote_addr",
				joinAnd(names), layers[outer].Name)
		}
		p.Report(Finding{
			Pos:       pos,
			Directive: directive,
			Message:   msg,
			Attack: fmt.Sprintf("a request from %s through %s arrives from %s with %q: $remote_addr = %s (%s), not %s",
				HonestClient, strings.Join(names, " -> "), in.Peer,
				"X-Forwarded-For: "+strings.Join(in.Headers.Lines("X-Forwarded-For"), ", "), got, layers[outer].Name, HonestClient),
			Fix:     tc110Fix(site, layers),
			Related: positions(append(related, site.Passes.list...)...),
		})
	}
}

// tc110Chain returns the proxies in front of nginx, outermost first, and the
// honest client's request as nginx receives it through them: the declared
// edge hops, or, with none declared, one proxy per kind of network the
// set_real_ip_from entries trust (a provider's ranges, a private network,
// the host itself), each appending to X-Forwarded-For. declared
// says the chain is trustcheck.yaml's.
func tc110Chain(p *Pass, site *realipSite) (layers []proxyLayer, in trustmodel.Request, declared bool) {
	if p.Config != nil && len(p.Config.Edge) > 0 {
		for _, e := range p.Config.Edge {
			layers = append(layers, proxyLayer{Name: e.Name, Addr: e.ConnectAddr(), Ranges: e.Addresses, Pos: []trustmodel.Pos{e.Pos}})
		}
		entries := nginxEntries(p)
		return layers, entries[len(entries)-1].Arrive(clientRequest(HonestClient, "", "")), true
	}
	const (
		tierProvider = iota
		tierPrivate
		tierLocal // loopback and UNIX sockets: one host, one layer
		tiers
	)
	var byTier [tiers]*proxyLayer
	note := func(t int, name, addr string, f nginxconf.RealIPFrom) {
		if byTier[t] == nil {
			byTier[t] = &proxyLayer{Name: name, Addr: addr}
		}
		if byTier[t].Name == name {
			byTier[t].Pos = append(byTier[t].Pos, f.Pos)
		}
	}
	for _, f := range site.From {
		if f.Unix {
			note(tierLocal, "a local proxy", "unix:", f)
			continue
		}
		pfx, ok := fromPrefix(f)
		if !ok {
			continue
		}
		addr := hostIn(pfx).String()
		switch {
		case withinRanges(pfx, loopbackRanges):
			note(tierLocal, "a local proxy", addr, f)
		case withinRanges(pfx, privateRanges):
			note(tierPrivate, "a private-network proxy", addr, f)
		default:
			for _, pr := range providerRanges() {
				if withinRanges(pfx, pr.Ranges) {
					note(tierProvider, pr.Name, addr, f)
					break
				}
			}
		}
	}
	for _, l := range byTier {
		if l != nil {
			layers = append(layers, *l)
		}
	}
	if len(layers) < 2 {
		return nil, trustmodel.Request{}, false
	}
	xff := []string{HonestClient}
	for _, l := range layers[:len(layers)-1] {
		xff = append(xff, l.Addr)
	}
	in = trustmodel.Request{Peer: layers[len(layers)-1].Addr, Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: strings.Join(xff, ", ")},
		{Name: "Host", Value: "app.example"},
	}}
	return layers, in, false
}

// tc110Resolve is $remote_addr for in: the model's realip where a proxy
// sits, else non-recursive realip read from the directives (the last token
// of the last X-Forwarded-For line, when the peer is trusted).
func tc110Resolve(site *realipSite, in trustmodel.Request) string {
	if site.Modelled {
		got, _ := site.Resolve(in.Peer, in.Headers)
		return got
	}
	lines := in.Headers.Lines("X-Forwarded-For")
	if len(lines) == 0 {
		return in.Peer
	}
	for _, f := range site.From {
		if f.Unix && in.Peer == "unix:" {
			return lastToken(lines[len(lines)-1])
		}
		a, err := netip.ParseAddr(in.Peer)
		if pfx, ok := fromPrefix(f); ok && err == nil && pfx.Contains(a.Unmap()) {
			return lastToken(lines[len(lines)-1])
		}
	}
	return in.Peer
}

// tc110Fix turns recursion on and names the set_real_ip_from lines the
// chain's proxies still lack.
func tc110Fix(site *realipSite, layers []proxyLayer) SuggestedFix {
	fix := "add `real_ip_recursive on;` next to `real_ip_header X-Forwarded-For;`"
	edits := []Edit{InsertAfter(site.HeaderPos, "real_ip_recursive on;")}
	if site.RecursivePos.File != "" {
		fix = "change it to `real_ip_recursive on;`"
		edits = []Edit{ReplaceText(site.RecursivePos, "real_ip_recursive off;", "real_ip_recursive on;")}
	}
	var have, need []netip.Prefix
	for _, f := range site.From {
		if pfx, ok := fromPrefix(f); ok {
			have = append(have, pfx)
		}
	}
	for _, l := range layers {
		for _, r := range l.Ranges {
			if !withinRanges(r, have) {
				need = append(need, r)
			}
		}
	}
	if len(need) > 0 {
		fix += " and trust every proxy of the chain: " + setRealIPLines(need)
		for _, l := range realIPFromLines(need) {
			edits = append(edits, InsertAfter(site.HeaderPos, l))
		}
	}
	if site.HeaderPos.File == "" {
		return Fix(fix)
	}
	return Fix(fix, edits...)
}
