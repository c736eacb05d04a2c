package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc106 = &Rule{
	ID:       "TC106",
	Name:     "direct-bypass",
	Severity: Error,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "The app is reachable without nginx and its trust setting trusts a direct client's forwarded headers",
		Rationale: "`trust proxy: true` and hop counts trust whoever connects to the app, on the assumption that only the " +
			"proxy can. When the app listens on a public or wildcard address (`app.listen(3000)` binds every interface), a " +
			"client that connects to it directly, skipping nginx, sends its own X-Forwarded-For, X-Forwarded-Proto and " +
			"X-Forwarded-Host and the app believes them: req.ip, req.protocol and req.hostname are whatever the client " +
			"writes, and every check nginx does (allow/deny, rate limits, TLS) is bypassed.",
		Bad: "# trustcheck.yaml\n" +
			"app:\n" +
			"  trust_proxy: true\n" +
			"  listen: 0.0.0.0:3000",
		Good: "# trustcheck.yaml\n" +
			"app:\n" +
			"  trust_proxy: loopback\n" +
			"  listen: 127.0.0.1:3000",
		Fix: "Bind the app to loopback (`app.listen(3000, '127.0.0.1')`) or a private interface only nginx can reach, or " +
			"firewall the port; and trust nginx by address (`'loopback'`) rather than `true` or a hop count, so a " +
			"direct client's headers are ignored even if the port is exposed. Outside Node bind with the server's own " +
			"option (`gunicorn --bind 127.0.0.1:8000`, `uvicorn --host 127.0.0.1`, `r.Run(\"127.0.0.1:8080\")`, Puma's " +
			"`bind`, `server.address=127.0.0.1`, `ASPNETCORE_URLS`); where the framework only counts entries (Werkzeug's " +
			"ProxyFix) or reads X-Forwarded-For from any peer (Rails' remote_ip, whose trusted_proxies only skips known " +
			"entries), binding is the only fix.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://nodejs.org/api/net.html#serverlistenport-host-backlog-callback",
		},
	},
	Check:  checkTC106,
	Finish: finishTC106,
}

// tc106Direct is a TC106 finding on a direct path, waiting for its fix.
type tc106Direct struct {
	finding Finding
	path    *Path
}

// checkTC106 finds what a direct client spoofs; the fix depends on how
// nginx reaches the app on every path (finishTC106).
func checkTC106(p *Pass) {
	direct := stateOf[[]tc106Direct](p)
	for _, path := range p.Paths {
		if path.Kind != EntryApp {
			continue
		}
		props, first := p.directSpoofs(path)
		if len(props) == 0 {
			continue
		}
		spec := p.App.Spec
		pos, directive := spec.ListenPos, "listen: "+spec.Listen
		switch {
		case spec.ReachableDirectly != nil:
			pos, directive = spec.ReachableDirectlyPos, "reachable_directly: true"
		case spec.Listen == "":
			pos, directive = p.TrustPosOr(spec.Pos), p.trustDirective()
		}
		verb := "are"
		if len(props) == 1 {
			verb = "is"
		}
		who := "a direct client's"
		if path.From != "" {
			who = fmt.Sprintf("the forwarded headers of a client on its network (%s) as if it were a proxy:", path.From)
		} else {
			who += " forwarded headers:"
		}
		trusting := p.trustDirective() + " trusts " + who
		if p.ownClientIP() && slices.Equal(props, []string{p.Prop("ip")}) {
			trusting = "the app reads the client address from a header any client sends:"
		}
		*direct = append(*direct, tc106Direct{Finding{
			Pos:       pos,
			Directive: directive,
			Message: fmt.Sprintf("%s, and %s %s %s chosen by the client",
				reachWhy(spec), trusting, andList(props), verb),
			Path:    path.Entry,
			Attack:  p.Attack(path, first.r, first.prop, first.got),
			Related: []trustmodel.Pos{p.TrustPos()},
		}, path})
	}
}

func finishTC106(p *Pass) {
	for _, d := range *stateOf[[]tc106Direct](p) {
		f := d.finding
		f.Fix = p.directFix(d.path)
		p.Report(f)
	}
}

// reachWhy says why clients can reach the app without nginx.
func reachWhy(spec trustmodel.AppSpec) string {
	if l, err := trustmodel.ParseListen(spec.Listen); err == nil && l.Public() && spec.ReachableDirectly == nil {
		where := spec.Listen
		if l.Addr.IsUnspecified() {
			where = "every interface (" + spec.Listen + ")"
		}
		return fmt.Sprintf("the app listens on %s, so clients can connect to it without nginx", where)
	}
	return "trustcheck.yaml says clients can reach the app without nginx (app.reachable_directly)"
}

// spoof is a hostile replay whose injected value reached a result property.
type spoof struct {
	r    Replay
	prop string // ip, protocol, hostname
	got  *string
}

// directSpoofs lists the properties (req.ip, ...) a hostile direct client
// sets, and the first replay that shows one.
func (p *Pass) directSpoofs(path *Path) (props []string, first spoof) {
	h := path.Honest().Result
	for _, r := range path.Hostile() {
		if r.Inject == "Host" {
			continue // the Host header is the client's on any path
		}
		res := r.Result
		var found []spoof
		if res.IP != nil && *res.IP == SpoofedAddr && undefOr(h.IP) != SpoofedAddr {
			found = append(found, spoof{r, "ip", res.IP})
		}
		if undefOr(res.Protocol) != undefOr(h.Protocol) {
			found = append(found, spoof{r, "protocol", res.Protocol})
		}
		if res.Hostname != nil && *res.Hostname == SpoofedHost && undefOr(h.Hostname) != SpoofedHost {
			found = append(found, spoof{r, "hostname", res.Hostname})
		}
		for _, s := range found {
			if len(props) == 0 {
				first = s
			}
			if prop := p.Prop(s.prop); !slices.Contains(props, prop) {
				props = append(props, prop)
			}
		}
	}
	return props, first
}

// directFix closes the direct path: bind where only nginx connects, and
// trust nginx by address when that also ignores a direct client.
func (p *Pass) directFix(direct *Path) SuggestedFix {
	var fixes []string
	var edits []Edit // with the bind to loopback only: the others are not edits
	l, err := trustmodel.ParseListen(p.App.Spec.Listen)
	tv := p.trustViews()
	loopbackNginx := tv.paths > 0 && tv.loopback
	switch {
	case err == nil && l.Public() && loopbackNginx:
		fixes = append(fixes, fmt.Sprintf("bind the app to loopback, where nginx connects from: %s (listen: 127.0.0.1:%d)", p.bindCode("127.0.0.1", int(l.Port)), l.Port))
		if s := &p.App.Spec; s.ListenPos.File != "" {
			edits = append(edits, SetYAML(s.ListenPos, s.Pos, "listen", fmt.Sprintf("127.0.0.1:%d", l.Port)))
		}
	case err == nil && l.Public():
		fixes = append(fixes, "bind the app to an interface only nginx can reach, or firewall its port")
	default:
		fixes = append(fixes, "firewall the app's port so only nginx can connect")
	}
	if v := p.suggestedTrust(); v != nil && v != true {
		if ev := p.evaluatorWith(v); ev != nil && !spoofedWith(ev, direct) {
			tf := p.trustFix()
			fixes = append(fixes, "also trust nginx by address, so a direct client's headers are ignored: "+tf.Message)
			if len(edits) > 0 {
				edits = append(edits, tf.Edits...)
			}
		} else if ev != nil && p.ownSyntax() && spoofedWith(p.App.Evaluator, direct) {
			// No trust setting of the framework ignores a direct client
			// (ProxyFix counts; Rails' remote_ip reads X-Forwarded-For from
			// any peer, trusted_proxies only skips known entries): say why
			// binding is the only fix.
			fixes = append(fixes, fmt.Sprintf("%s believes X-Forwarded-For whoever connects, so no trust setting makes it ignore a direct client's (its trust: %s)",
				p.trustDirective(), p.App.Evaluator.Trust()))
		}
	}
	return Fix(strings.Join(fixes, "; "), edits...)
}

// spoofedWith reports whether a hostile X-Forwarded-For on path becomes
// req.ip under ev.
func spoofedWith(ev trustmodel.Evaluator, path *Path) bool {
	r, ok := path.HostileFor("X-Forwarded-For")
	if !ok {
		return false
	}
	ip := ev.Evaluate(r.AtApp).IP
	return ip != nil && *ip == SpoofedAddr
}
