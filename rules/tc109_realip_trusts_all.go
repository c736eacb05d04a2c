package rules

import (
	"fmt"
	"net/netip"

	"github.com/trustcheck/trustcheck/nginxconf"
)

var tc109 = &Rule{
	ID:       "TC109",
	Name:     "realip-trusts-all",
	Severity: Error,
	Property: PropClientIP,
	NeedsApp: false,
	Doc: Doc{
		Title: "set_real_ip_from covers addresses clients connect from, so $remote_addr is client-chosen",
		Rationale: "The realip module replaces `$remote_addr` with the address in `real_ip_header` whenever the connection " +
			"comes from a `set_real_ip_from` range. A range that includes addresses clients connect from (`0.0.0.0/0`, " +
			"`::/0`, or any public range that is not a proxy's) lets those clients write their own `$remote_addr`: " +
			"allow/deny, limit_req, access logs and the X-Forwarded-For or X-Real-IP nginx sends to the app all carry the " +
			"attacker's choice. Behind a load balancer, `real_ip_recursive on` makes it worse: the walk trusts the " +
			"client's own address that the load balancer appended and continues into the entries the client wrote.",
		Bad: "set_real_ip_from 0.0.0.0/0;\n" +
			"real_ip_header X-Forwarded-For;\n" +
			"real_ip_recursive on;",
		Good: "set_real_ip_from 10.0.0.0/16;   # the load balancer's subnet, nothing else\n" +
			"real_ip_header X-Forwarded-For;\n" +
			"real_ip_recursive on;",
		Fix: "List only the addresses the proxies in front of nginx connect from (a load balancer's subnet, a CDN's " +
			"published ranges). When clients connect to nginx directly, remove the realip directives.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html#set_real_ip_from",
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html#real_ip_recursive",
		},
	},
	Finish: finishTC109,
}

func finishTC109(p *Pass) {
	proxies := proxyRanges(p)
	entries := nginxEntries(p)
	for _, site := range p.realipSites() {
		// Entries covering client addresses, with a client address each covers.
		clientAt := map[int]netip.Addr{}
		var kept []nginxconf.RealIPFrom
		for i, f := range site.From {
			if a, ok := clientAddrIn(f, proxies); ok {
				clientAt[i] = a
				continue
			}
			kept = append(kept, f)
		}
		for i, f := range site.From {
			client, ok := clientAt[i]
			if !ok {
				continue
			}
			attack, ok := tc109Attack(site, kept, client, entries)
			if !ok {
				continue
			}
			how := "the PROXY protocol header"
			if h := realipHeader(site.RealIP); h != "" {
				how = h
			}
			p.Report(Finding{
				Pos:       f.Pos,
				Directive: "set_real_ip_from " + f.Text + ";",
				Message: fmt.Sprintf("set_real_ip_from %s trusts addresses clients connect from (%s): such a client sets $remote_addr to anything it writes in %s",
					f.Text, client, how),
				Attack:  attack,
				Fix:     tc109Fix(p, site, f, kept),
				Related: positions(site.Passes.list...),
			})
		}
	}
}

// tc109Attack replays a client at addr that writes 6.6.6.6 into the header
// realip reads, on each way into nginx; kept are the site's entries that
// cover no client, so the entries it lacks must be what let the value in.
func tc109Attack(site *realipSite, kept []nginxconf.RealIPFrom, addr netip.Addr, entries []nginxEntry) (string, bool) {
	name := realipHeader(site.RealIP)
	for _, e := range entries {
		if name == "" { // the PROXY protocol: a client connecting directly to such a listener writes the header
			if e.Edge == nil && proxyProtocolListen(site.Servers) {
				return fmt.Sprintf("a client connecting from %s to a proxy_protocol listener and opening with \"PROXY TCP4 %s ...\" gets $remote_addr = %s",
					addr, SpoofedAddr, SpoofedAddr), true
			}
			continue
		}
		send := fmt.Sprintf("%q", name+": "+SpoofedAddr)
		if !site.Modelled {
			// No proxy here to replay through: a direct client inside a
			// trusted range always has its header taken.
			if e.Edge == nil {
				return fmt.Sprintf("a client at %s sending %s gets $remote_addr = %s", addr, send, SpoofedAddr), true
			}
			continue
		}
		in := e.Arrive(clientRequest(addr.String(), name, SpoofedAddr))
		if got, _ := site.Resolve(in.Peer, in.Headers); got != SpoofedAddr {
			continue
		}
		narrowed := *site.RealIP
		narrowed.From = kept
		if got, _ := narrowed.Resolve(in.Peer, in.Headers); got == SpoofedAddr {
			continue // spoofable for another reason (a header the edge passes through)
		}
		return fmt.Sprintf("a client at %s sending %s%s gets $remote_addr = %s", addr, send, e.Through(), SpoofedAddr), true
	}
	return "", false
}

// tc109Fix names the ranges that belong in set_real_ip_from: the edge hops
// that connect to nginx (all of them when realip walks the chain), or none
// when clients connect directly.
func tc109Fix(p *Pass, site *realipSite, f nginxconf.RealIPFrom, kept []nginxconf.RealIPFrom) SuggestedFix {
	old := "set_real_ip_from " + f.Text + ";"
	remove := fmt.Sprintf("remove `%s`", old)
	if p.Config == nil || len(p.Config.Edge) == 0 {
		return Fix(remove+": only the addresses of proxies in front of nginx belong in set_real_ip_from (describe them under edge: in trustcheck.yaml to get the exact lines)",
			ReplaceText(f.Pos, old, ""))
	}
	hops := p.Config.Edge[len(p.Config.Edge)-1:]
	if site.Recursive && site.Mode == nginxconf.RealIPXForwardedFor {
		hops = p.Config.Edge
	}
	var have []netip.Prefix
	for _, k := range kept {
		if pfx, ok := fromPrefix(k); ok {
			have = append(have, pfx)
		}
	}
	var need []netip.Prefix
	var names []string
	for _, h := range hops {
		names = append(names, h.Name)
		for _, r := range h.Addresses {
			if !withinRanges(r, have) {
				need = append(need, r)
			}
		}
	}
	if len(need) == 0 {
		return Fix(remove+fmt.Sprintf("; the other set_real_ip_from lines already cover %s", joinAnd(names)), ReplaceText(f.Pos, old, ""))
	}
	lines := realIPFromLines(need)
	edits := []Edit{ReplaceText(f.Pos, old, lines[0])}
	for _, l := range lines[1:] {
		edits = append(edits, InsertAfter(f.Pos, l))
	}
	return Fix(remove+fmt.Sprintf(" and trust only %s: %s", joinAnd(names), setRealIPLines(need)), edits...)
}

func proxyProtocolListen(servers []*nginxconf.Server) bool {
	for _, s := range servers {
		for _, l := range s.Listens {
			if l.ProxyProtocol {
				return true
			}
		}
	}
	return false
}
