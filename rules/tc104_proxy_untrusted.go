package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc104 = &Rule{
	ID:       "TC104",
	Name:     "proxy-untrusted",
	Severity: Warning,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "The trust setting does not cover the address nginx connects from: req.ip is always the proxy",
		Rationale: "The framework reads X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host only when the socket peer is " +
			"trusted. If the trust setting is `false` (Express's default), names the other address family (`127.0.0.1` " +
			"while nginx connects from `::1`), or lists addresses while nginx connects over a UNIX socket, the peer — " +
			"nginx — is not trusted: req.ip is nginx's address for every visitor, req.protocol is `http` behind TLS, and " +
			"per-client rate limits and logs collapse into one address. Other frameworks have their own defaults that trust " +
			"nothing: Flask without ProxyFix, Symfony and Laravel without trusted proxies, echo without an IPExtractor, " +
			"Spring Boot's `forward-headers-strategy: none`, ASP.NET Core without `ForwardedHeaders`; Django under a WSGI " +
			"server reads no forwarded address at all (the fix there is a header nginx sets, read by the app).",
		Bad: "# app: app.set('trust proxy', '127.0.0.1')\n" +
			"location / {\n" +
			"    proxy_pass http://[::1]:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')   -- 127.0.0.1/8 and ::1\n" +
			"location / {\n" +
			"    proxy_pass http://[::1]:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Fix: "Trust the address nginx connects from: `'loopback'` when nginx runs on the same host (it covers both " +
			"127.0.0.0/8 and ::1), the `proxy_bind` address or nginx's host address otherwise; over a UNIX socket, where " +
			"the app sees no address, trust one hop (`1`).",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://github.com/jshttp/proxy-addr#proxyaddrreq-trust",
		},
	},
	Check:  checkTC104,
	Finish: finishTC104,
}

// tc104State is what TC104 gathers part by part.
type tc104State struct {
	groups trustGroups[*tc104Group]
	// direct are the hostile X-Forwarded-For requests of clients that
	// reach the app without nginx, as the app receives them.
	direct []trustmodel.Request
}

// tc104Group is what a TC104 finding shows: its first path's, and the
// addresses nginx connects from on all of its paths.
type tc104Group struct {
	got           *string            // req.ip on the first path
	honest        trustmodel.Request // what the first path's honest client brings the app
	entry, attack string
	addrs         []string // distinct, "" left out
	unix          bool     // some path connects over a UNIX socket
	forwards      bool     // every path forwards the client address
	// xffEdits make nginx forward the client where a path does not;
	// headerEdits make the X-Forwarded-Proto and -Host the app then
	// believes nginx's own (headersOK: every path's could be edited).
	xffEdits, headerEdits editSet
	headersOK             bool
}

// checkTC104 gathers the paths whose nginx address the app does not
// trust; the fix, the narrowest value, needs every path (finishTC104).
func checkTC104(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	trust := p.App.Evaluator.Trust()
	st := stateOf[tc104State](p)
	groups := &st.groups
	for _, path := range p.Paths {
		if path.Kind == EntryApp {
			if r, ok := path.HostileFor("X-Forwarded-For"); ok {
				st.direct = append(st.direct, r.AtApp)
			}
		}
	}
	for _, path := range p.nginxPaths() {
		var cands []string // as the app's socket reports them
		for _, c := range p.connectCandidates(path) {
			cands = append(cands, p.appSees(c))
		}
		// A candidate that is trusted leaves only a family mismatch: TC112.
		// Outside Node the replay alone decides: a framework may trust the
		// peer and still read no header (ASP.NET Core's ForwardedHeaders None).
		node := trustmodel.NodeFramework(p.App.Spec.Framework)
		if node && slices.ContainsFunc(cands, func(a string) bool { ok, _ := trust.Trusts(a, 0); return ok }) {
			continue
		}
		if !node && p.hopsToClient(path) < 0 {
			continue // nginx does not forward the client: TC105's, not the trust's
		}
		if _, count := p.hopCount(); !node && count {
			continue // a count trusts nginx whatever its address: TC102, TC103, TC107 judge it
		}
		r := p.replayFrom(path, path.Honest(), cands[0])
		if r.Result.IP != nil && *r.Result.IP == HonestClient {
			continue
		}
		if !node && (r.Result.IP == nil && cands[0] != "" || r.Result.IP != nil && !slices.Contains(cands, *r.Result.IP)) {
			continue // past nginx, stopped at an edge hop: TC113's
		}
		g := groups.add(p, path, func() *tc104Group {
			return &tc104Group{got: r.Result.IP, honest: r.AtApp, entry: path.Entry, attack: p.Attack(path, r, "ip", r.Result.IP), forwards: true, headersOK: true}
		}).shown
		if addr := cands[0]; addr == "" {
			g.unix = true
		} else if !slices.Contains(g.addrs, addr) {
			g.addrs = append(g.addrs, addr)
		}
		edits, ok := trustedHeaderEdits(p, path)
		g.headersOK = g.headersOK && ok
		g.headerEdits.add(edits...)
		if p.hopsToClient(path) < 0 {
			g.forwards = false
			g.xffEdits.add(setHeaderFix(path, nginxSite(path, "X-Forwarded-For"), "X-Forwarded-For", tc104XFF(p)).Edits...)
		}
	}
}

func finishTC104(p *Pass) {
	if p.ownClientIP() {
		return // the app does not take the client address from its trust setting: TC114
	}
	trust := p.App.Evaluator.Trust()
	st := stateOf[tc104State](p)
	// Trusting nginx must not trust a client that reaches the app directly
	// (TC106): closing that way is the bind or a firewall, no edit.
	opensDirect := false
	if v := p.suggestedTrust(); v != nil && len(st.direct) > 0 {
		// From anywhere, and from inside what the value trusts: lint
		// replays such a neighbour once the app trusts its range.
		peers := []string{""}
		for _, e := range trustmodel.AdviceFor(v, 1).Proxies {
			if pfx, err := trustmodel.ParsePrefix(e); err == nil && !pfx.Addr().Unmap().IsLoopback() {
				peers = append(peers, hostIn(pfx).String())
			}
		}
		if ev := p.evaluatorWith(v); ev != nil {
			for _, req := range st.direct {
				for _, peer := range peers {
					if peer != "" {
						req.Peer = peer
					}
					if ip := ev.Evaluate(req).IP; ip != nil && *ip == SpoofedAddr {
						opensDirect = true
					}
				}
			}
		}
	}
	if len(st.groups.groups) == 0 {
		return
	}
	// One fix serves every group: a fleet has thousands.
	trustFix := p.trustFix()
	var advised trustmodel.Evaluator
	if p.ownSyntax() {
		advised = p.evaluatorWith(p.suggestedTrust())
	}
	for _, gr := range st.groups.groups {
		g := gr.shown
		trusts := trust.String()
		if !strings.HasPrefix(trusts, "nothing") {
			trusts = "only " + trusts
		}
		var msg string
		switch {
		case g.unix && len(g.addrs) == 0:
			msg = fmt.Sprintf("nginx connects over a UNIX socket, where the app sees no address, and %s trusts %s: %s is %s for every client",
				p.trustDirective(), trusts, p.Prop("ip"), undefOr(g.got))
		case !trustmodel.NodeFramework(p.App.Spec.Framework):
			msg = fmt.Sprintf("%s does not take the client from what nginx (%s) forwards (its trust: %s): %s is the proxy's address for every client",
				p.trustDirective(), andList(g.addrs), trust, p.Prop("ip"))
		default:
			what := "the address nginx connects from"
			if len(g.addrs) > 1 {
				what = "the addresses nginx connects from"
			}
			msg = fmt.Sprintf("%s trusts %s, not %s, %s: %s is the proxy's address for every client",
				p.trustDirective(), trusts, andList(g.addrs), what, p.Prop("ip"))
		}
		fix := trustFix
		fix.Edits = slices.Clone(fix.Edits) // each group appends its own
		if p.ownSyntax() && g.honest.Peer != "" {
			// Advice that still leaves the proxy's address (Django under a
			// WSGI server reads no forwarded address at all) is no fix.
			if advised == nil || undefOr(advised.Evaluate(g.honest).IP) != HonestClient {
				fix = Fix(p.ownHeaderFix())
			}
		}
		if len(fix.Edits) > 0 && (len(g.headerEdits.list) > 0 || !g.headersOK) {
			// Trusting nginx makes the app believe its X-Forwarded-Proto
			// and -Host too: they must be nginx's own first.
			fix.Message += "; and make the X-Forwarded-Proto and X-Forwarded-Host nginx sends its own (TC202, TC301)"
			fix.Edits = append(fix.Edits, g.headerEdits.list...)
			if !g.headersOK {
				fix.Edits = nil
			}
		}
		if opensDirect {
			fix = Fix(fix.Message + "; and let only nginx reach the app (bind it where only nginx connects, or firewall its port), or a direct client's X-Forwarded-For is trusted too (TC106)")
		}
		if !g.forwards {
			fix.Message += fmt.Sprintf(", and make nginx forward the client address: `proxy_set_header X-Forwarded-For %s;` next to the proxy_pass", tc104XFF(p))
			if len(fix.Edits) > 0 {
				fix.Edits = append(fix.Edits, g.xffEdits.list...)
			}
		}
		p.Report(Finding{
			Pos:       gr.pos,
			Directive: p.trustDirective(),
			Message:   msg,
			Path:      g.entry,
			Attack:    g.attack,
			Honest:    true,
			Fix:       fix,
			Related:   gr.related.list,
		})
	}
}

// tc104XFF is the X-Forwarded-For nginx must send: its own peer, appended
// to the edge's header when an edge is declared.
func tc104XFF(p *Pass) string {
	if p.Config != nil && len(p.Config.Edge) > 0 {
		return "$proxy_add_x_forwarded_for"
	}
	return "$remote_addr"
}

// trustedHeaderEdits make the X-Forwarded-Proto and X-Forwarded-Host nginx
// sends on path its own, as an app that trusts nginx needs them: none when
// they are already; false when that takes more than an edit.
func trustedHeaderEdits(p *Pass, path *Path) ([]Edit, bool) {
	var edits []Edit
	clients := func(site headerSite, name string) bool {
		return site.Rule == nil && !path.NginxHop().DropClientHeaders || site.Rule != nil && readsHeader(*site.Rule, name)
	}
	if site := nginxSite(path, "X-Forwarded-Proto"); clients(site, "X-Forwarded-Proto") || site.Rule == nil && honestHTTPS(p, path) {
		fix := protoSpoofFix(p, path, site)
		if len(fix.Edits) == 0 {
			return nil, false
		}
		edits = append(edits, fix.Edits...)
	}
	if site := nginxSite(path, "X-Forwarded-Host"); clients(site, "X-Forwarded-Host") {
		fix := forwardedHostFix(path, site)
		if len(fix.Edits) == 0 {
			return nil, false
		}
		edits = append(edits, fix.Edits...)
	}
	return edits, true
}
