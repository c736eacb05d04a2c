package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc402 = &Rule{
	ID:       "TC402",
	Name:     "realip-ineffective",
	Severity: Warning,
	Property: PropClientIP,
	NeedsApp: false,
	Doc: Doc{
		Title: "realip is configured but does not do what it says: no set_real_ip_from, or a lowercase keyword",
		Rationale: "The realip module changes nothing unless the connection comes from a `set_real_ip_from` address: " +
			"`real_ip_header` and `real_ip_recursive` alone leave `$remote_addr` the proxy's address for every request. " +
			"And `real_ip_header` compares its keywords case-sensitively: `x-forwarded-for` is not the X-Forwarded-For " +
			"keyword but the name of a custom header, read from its first line only. When a client sends its own " +
			"X-Forwarded-For line and a proxy adds another (HAProxy's `option forwardfor`, Passenger), the client's " +
			"line is the one realip reads.",
		Bad: "real_ip_header x-forwarded-for;\n" +
			"real_ip_recursive on;",
		Good: "set_real_ip_from 10.0.0.0/16;   # the load balancer\n" +
			"real_ip_header X-Forwarded-For;\n" +
			"real_ip_recursive on;",
		Fix: "Add `set_real_ip_from` with the address of every proxy that connects to nginx, next to `real_ip_header`, " +
			"and write the keywords exactly: `X-Forwarded-For`, `X-Real-IP`, `proxy_protocol`.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html#real_ip_header",
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html#set_real_ip_from",
		},
	},
	Finish: finishTC402,
}

// miscased returns the real_ip_header keyword arg misspells by case (nginx
// matches keywords exactly). X-Real-IP is left out: read as a custom header
// it behaves the same.
func miscased(arg string) (string, bool) {
	for _, k := range []string{"X-Forwarded-For", "proxy_protocol"} {
		if arg != k && strings.EqualFold(arg, k) {
			return k, true
		}
	}
	return "", false
}

func finishTC402(p *Pass) {
	rc := p.realip()
	inUse, header := rc.inUse, rc.header
	var byHeader map[trustmodel.Pos][]*realipSite // the modelled active sites, by real_ip_header
	seen := map[trustmodel.Pos]bool{}
	for block := range p.keptBlocks() {
		var idle []*nginxconf.Directive
		for _, d := range block {
			if (d.Name != "real_ip_header" && d.Name != "real_ip_recursive") || seen[d.Pos] {
				continue
			}
			seen[d.Pos] = true
			switch {
			case !inUse[d.Pos] && (d.Name == "real_ip_header" || strings.EqualFold(d.Arg(0), "on")):
				idle = append(idle, d)
			case d.Name == "real_ip_header":
				if k, ok := miscased(d.Arg(0)); ok {
					if byHeader == nil {
						byHeader = map[trustmodel.Pos][]*realipSite{}
						for _, s := range rc.sites {
							if s.Modelled && s.Active() {
								byHeader[s.HeaderPos] = append(byHeader[s.HeaderPos], s)
							}
						}
					}
					tc402Miscased(p, d, k, byHeader[d.Pos])
				}
			}
		}
		if len(idle) > 0 {
			tc402Idle(p, idle, header[idle[0].Pos])
		}
	}
}

// tc402Idle reports realip directives no set_real_ip_from goes with, once
// per block.
func tc402Idle(p *Pass, idle []*nginxconf.Directive, header string) {
	d := idle[0]
	if k, ok := miscased(header); ok {
		header = k
	}
	if header == "" || header == "proxy_protocol" {
		header = "X-Forwarded-For"
	}
	var related []trustmodel.Pos
	for _, o := range idle[1:] {
		related = append(related, o.Pos)
	}
	peer := "the proxy's address"
	// Without a declared edge nobody knows the proxies' addresses: no edits.
	fix := Fix("add `set_real_ip_from` with the address of each proxy that connects to nginx next to it (for a load balancer in 10.0.0.0/16: `set_real_ip_from 10.0.0.0/16;`), or remove the realip directives")
	if p.Config != nil && len(p.Config.Edge) > 0 {
		last := p.Config.Edge[len(p.Config.Edge)-1]
		peer = last.ConnectAddr() + " (" + last.Name + ")"
		fix = Fix(fmt.Sprintf("add %s next to it", setRealIPLines(last.Addresses)))
		for _, l := range realIPFromLines(last.Addresses) {
			fix.Edits = append(fix.Edits, InsertAfter(d.Pos, l))
		}
	}
	for _, o := range idle {
		if k, ok := miscased(o.Arg(0)); ok && o.Name == "real_ip_header" {
			fix.Message = fmt.Sprintf("write the keyword exactly, `real_ip_header %s;`, and %s", k, fix.Message)
			if len(fix.Edits) > 0 {
				fix.Edits = append(fix.Edits, ReplaceText(o.Pos, o.String(), "real_ip_header "+k+";"))
			}
		}
	}
	p.Report(Finding{
		Pos:       d.Pos,
		Directive: d.String(),
		Message:   fmt.Sprintf("%s has no effect: no set_real_ip_from is in effect where it applies, so realip trusts no peer and $remote_addr stays the address of whatever connects", strings.TrimSuffix(d.String(), ";")),
		Attack: fmt.Sprintf("a request from the proxy in front of nginx carrying %q keeps $remote_addr = %s, not %s",
			header+": "+HonestClient, peer, HonestClient),
		Fix:     fix,
		Related: related,
	})
}

// tc402Miscased reports real_ip_header with a keyword in the wrong case,
// which selects a custom header read from its first line; sites are the
// modelled, active realip configurations whose header d sets.
func tc402Miscased(p *Pass, d *nginxconf.Directive, keyword string, sites []*realipSite) {
	fix := Fix(fmt.Sprintf("`real_ip_header %s;`", keyword), ReplaceText(d.Pos, d.String(), "real_ip_header "+keyword+";"))
	if keyword == "proxy_protocol" {
		p.Report(Finding{
			Pos:       d.Pos,
			Directive: d.String(),
			Message:   fmt.Sprintf("real_ip_header %s is not the proxy_protocol keyword (nginx compares it case-sensitively) but a request header of that name: realip never uses the PROXY protocol address", d.Arg(0)),
			Attack:    fmt.Sprintf("every connection through the PROXY-protocol load balancer keeps $remote_addr = the balancer's address; with underscores_in_headers on, a client sending %q sets it", d.Arg(0)+": "+SpoofedAddr),
			Fix:       fix,
		})
		return
	}
	// A client's own line first, then the line a proxy adds.
	lines := trustmodel.Header{{Name: "X-Forwarded-For", Value: SpoofedAddr}, {Name: "X-Forwarded-For", Value: HonestClient}}
	got, want, peer := SpoofedAddr, HonestClient, "a trusted proxy"
	at := peer
	for _, s := range sites {
		pfx, ok := fromPrefix(s.From[0])
		if !ok {
			continue
		}
		peer = hostIn(pfx).String()
		at = "a proxy at " + peer
		got, _ = s.Resolve(peer, lines)
		exact := *s.RealIP
		exact.Header, exact.Mode = keyword, nginxconf.RealIPXForwardedFor
		want, _ = exact.Resolve(peer, lines)
		break
	}
	if got == want {
		return
	}
	p.Report(Finding{
		Pos:       d.Pos,
		Directive: d.String(),
		Message:   fmt.Sprintf("real_ip_header %s is not the X-Forwarded-For keyword (nginx compares it case-sensitively) but a custom header read from its first line only: when a proxy adds its own X-Forwarded-For line, realip reads the client's", d.Arg(0)),
		Attack: fmt.Sprintf("a client sending %q through %s that adds its own line (%q, as HAProxy's option forwardfor does) gets $remote_addr = %s; with the keyword it would be %s",
			"X-Forwarded-For: "+SpoofedAddr, at, "X-Forwarded-For: "+HonestClient, got, want),
		Fix: fix,
	})
}
