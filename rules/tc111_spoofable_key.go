package rules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc111 = &Rule{
	ID:       "TC111",
	Name:     "spoofable-key",
	Severity: Error,
	NeedsApp: false,
	Doc: Doc{
		Title: "nginx keys client identity on a value the client controls",
		Rationale: "A request header is whatever the client writes. A `limit_req_zone` or `limit_conn_zone` keyed on " +
			"`$http_x_forwarded_for` gives each client as many buckets as values it sends, so the limit never bites, " +
			"and lets it fill a victim's bucket by writing the victim's address. A `geo` or `map` over such a header " +
			"that decides who is refused lets the client pick the answer, and `proxy_set_header X-Real-IP " +
			"$http_x_forwarded_for` hands the app a client-chosen address under a name it trusts. The same holds when " +
			"the header reaches the key through `map` or `set`. `$binary_remote_addr` is the connection's address " +
			"(after realip), which the client cannot choose.",
		Bad: "limit_req_zone $http_x_forwarded_for zone=api:10m rate=10r/s;\n" +
			"location /api/ {\n" +
			"    limit_req zone=api;\n" +
			"    proxy_set_header X-Real-IP $http_x_forwarded_for;\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"}",
		Good: "limit_req_zone $binary_remote_addr zone=api:10m rate=10r/s;\n" +
			"location /api/ {\n" +
			"    limit_req zone=api;\n" +
			"    proxy_set_header X-Real-IP $remote_addr;\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"}",
		Fix: "Key on `$binary_remote_addr` and send `$remote_addr`. Behind proxies, let realip derive them from the " +
			"proxies' header (`set_real_ip_from` with the proxies' addresses, `real_ip_header X-Forwarded-For`, " +
			"`real_ip_recursive on`) instead of reading the header yourself.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_limit_req_module.html#limit_req_zone",
			"https://nginx.org/en/docs/http/ngx_http_geo_module.html",
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html",
		},
	},
	Check:  checkTC111,
	Finish: finishTC111,
}

// tc111State is what TC111 gathers part by part: where each limit zone is
// used with a key the client controls, and the findings on decisions and
// headers, which it reports after the zones'.
type tc111State struct {
	zones             *tc111Zones
	decisions, header []Finding
}

func checkTC111(p *Pass) {
	st := stateOf[tc111State](p)
	t := clientTaint{entries: nginxEntries(p), proxies: proxyRanges(p)}
	if st.zones == nil {
		st.zones = newTC111Zones(p)
	}
	st.zones.use(p, t)
	st.decisions = tc111Decisions(p, t, st.decisions)
	st.header = tc111Headers(p, t, st.header)
}

func finishTC111(p *Pass) {
	st := stateOf[tc111State](p)
	st.zones.report(p, clientTaint{entries: nginxEntries(p), proxies: proxyRanges(p)})
	for _, f := range slices.Concat(st.decisions, st.header) {
		p.Report(f)
	}
}

// addressHeaders carry a client address; keying or deciding on one the
// client writes is spoofing an identity.
var addressHeaders = []string{
	"X-Forwarded-For", "X-Real-IP", "Forwarded", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP",
	"X-Client-IP", "X-Cluster-Client-IP", "Client-IP", "X-Original-Forwarded-For",
}

func isAddressHeader(name string) bool {
	return slices.ContainsFunc(addressHeaders, func(h string) bool { return strings.EqualFold(h, name) })
}

// clientTaint decides which inputs of an nginx value a client controls.
type clientTaint struct {
	entries []nginxEntry
	proxies []netip.Prefix
}

// headerReaches reports whether a client's own text in header name reaches
// nginx: always for a client connecting directly, and through the edge
// unless a hop overwrites or removes it.
func (t clientTaint) headerReaches(name string) bool {
	for _, e := range t.entries {
		in := e.Arrive(clientRequest(HonestClient, name, SpoofedAddr))
		if slices.ContainsFunc(in.Headers.Lines(name), func(v string) bool { return strings.Contains(v, SpoofedAddr) }) {
			return true
		}
	}
	return false
}

// sources are the inputs of e. A geo block's "proxy" entries make it read
// X-Forwarded-For, but only from those proxies: that input counts only when
// an entry covers client addresses.
func (t clientTaint) sources(e trustmodel.Expr) []trustmodel.Source {
	switch x := e.(type) {
	case nginxconf.Var:
		return t.sources(x.Value)
	case trustmodel.Concat:
		var out []trustmodel.Source
		for _, part := range x {
			out = append(out, t.sources(part)...)
		}
		return out
	case nginxconf.CondExpr:
		return slices.Concat(t.sources(x.Then), t.sources(x.Else), x.Cond.Sources())
	case *nginxconf.MapExpr:
		if x.Constant {
			return x.Sources()
		}
		own := x.Source.Sources()
		out := t.sources(x.Source)
		for _, s := range x.Sources() {
			if !slices.Contains(own, s) {
				out = append(out, s) // what the outputs are built from
			}
		}
		return out
	case *nginxconf.GeoExpr:
		if x.Constant {
			return nil
		}
		out := []trustmodel.Source{{Kind: trustmodel.SourceClientAddr, Name: "$remote_addr"}}
		if x.Source != nil {
			out = t.sources(x.Source)
		}
		for _, f := range x.Geo.Proxies {
			if pfx, ok := fromPrefix(f); ok && !withinRanges(pfx, t.proxies) {
				return append(out, trustmodel.Source{Kind: trustmodel.SourceHeader, Name: "X-Forwarded-For"})
			}
		}
		return out
	}
	return e.Sources()
}

// controlled returns the sources of e a client chooses (headers that reach
// nginx as the client wrote them, the URI, arguments, cookies), and whether
// e is also bound to the connection's address. The Host ($host,
// $http_host) is left out: it names the site, not the client.
func (t clientTaint) controlled(e trustmodel.Expr) (ctl []trustmodel.Source, bound bool) {
	srcs := t.sources(e)
	for _, s := range srcs {
		switch s.Kind {
		case trustmodel.SourceClientAddr:
			bound = true
		case trustmodel.SourceHeader:
			if !strings.EqualFold(s.Name, "Host") && t.headerReaches(s.Name) && !slices.Contains(ctl, s) {
				ctl = append(ctl, s)
			}
		case trustmodel.SourceClient:
			hostDerived := slices.ContainsFunc(srcs, func(h trustmodel.Source) bool {
				return h.Kind == trustmodel.SourceHost && strings.HasPrefix(s.Name, h.Name)
			})
			if !hostDerived && !slices.Contains(ctl, s) {
				ctl = append(ctl, s)
			}
		}
	}
	return ctl, bound
}

// addressSource is the first client-written address header among ctl.
func addressSource(ctl []trustmodel.Source) (trustmodel.Source, bool) {
	for _, s := range ctl {
		if s.Kind == trustmodel.SourceHeader && isAddressHeader(s.Name) {
			return s, true
		}
	}
	return trustmodel.Source{}, false
}

// describeSource names a client-controlled source for messages.
func describeSource(s trustmodel.Source) string {
	if s.Kind == trustmodel.SourceHeader {
		return "the " + s.Name + " header"
	}
	return s.Name
}

// realipFix is how to get the client's address behind the declared edge
// without reading a header in nginx's own configuration.
func realipFix(p *Pass) string {
	if p.Config == nil || len(p.Config.Edge) == 0 {
		return ""
	}
	var ranges []netip.Prefix
	var names []string
	for _, e := range p.Config.Edge {
		ranges = append(ranges, e.Addresses...)
		names = append(names, e.Name)
	}
	return fmt.Sprintf("; behind %s let realip set $remote_addr: %s `real_ip_header X-Forwarded-For; real_ip_recursive on;`",
		joinAnd(names), setRealIPLines(ranges))
}

// withRealIP is the fix fix with realipFix's step; behind a declared edge
// the edits alone do not do, so there it has none.
func withRealIP(p *Pass, fix string, edits ...Edit) SuggestedFix {
	if r := realipFix(p); r != "" {
		return Fix(fix + r)
	}
	return Fix(fix, edits...)
}

// ---------------------------------------------------------------------------
// limit_req_zone / limit_conn_zone keys

// tc111Zones is where each limit zone is used and what its key is there.
// The key is evaluated where the zone is used, with the set variables of
// that place's rewrite flow; the first spoofable use gives the message.
type tc111Zones struct {
	defs map[tc111ZoneName][]*nginxconf.LimitZone
	uses map[*nginxconf.LimitZone]*tc111ZoneUse
}

type tc111ZoneName struct {
	http      *nginxconf.HTTP
	use, zone string // use: limit_req or limit_conn
}

type tc111ZoneUse struct {
	used    bool
	key     trustmodel.Expr
	related []trustmodel.Pos
}

func newTC111Zones(p *Pass) *tc111Zones {
	zs := &tc111Zones{defs: map[tc111ZoneName][]*nginxconf.LimitZone{}, uses: map[*nginxconf.LimitZone]*tc111ZoneUse{}}
	for _, h := range p.Nginx.HTTP {
		for _, z := range h.LimitZones {
			n := tc111ZoneName{h, strings.TrimSuffix(z.Kind, "_zone"), z.Zone}
			zs.defs[n] = append(zs.defs[n], z)
			zs.uses[z] = &tc111ZoneUse{}
		}
	}
	return zs
}

// use records the zone uses at the places of the part's servers.
func (zs *tc111Zones) use(p *Pass, t clientTaint) {
	if len(zs.defs) == 0 {
		return
	}
	for pl := range serverPlaces(p.Servers) {
		for _, use := range [...]string{"limit_req", "limit_conn"} {
			for _, d := range pl.Effective(use) {
				for _, z := range zs.defs[tc111ZoneName{pl.Server.HTTP, use, zoneOf(d)}] {
					u := zs.uses[z]
					u.used = true
					k := p.Nginx.Expr(pl.Server, pl.Location, z.KeyText)
					if ctl, bound := t.controlled(k); spoofableKey(ctl, bound) {
						if u.key == nil {
							u.key = k
						}
						u.related = append(u.related, d.Pos)
					}
				}
			}
		}
	}
}

// report reports the zones keyed on what the client controls: where used,
// or as defined when no place uses them.
func (zs *tc111Zones) report(p *Pass, t clientTaint) {
	if len(zs.defs) == 0 {
		return
	}
	for _, h := range p.Nginx.HTTP {
		var texts map[posName]string // the zone directives as written, once one is reported
		for _, z := range h.LimitZones {
			u := zs.uses[z]
			key := u.key
			if !u.used {
				if ctl, bound := t.controlled(z.Key); spoofableKey(ctl, bound) {
					key = z.Key
				}
			}
			if key == nil {
				continue
			}
			if texts == nil {
				texts = directiveTexts(h.Directives, "limit_req_zone", "limit_conn_zone")
			}
			ctl, _ := t.controlled(key)
			src := ctl[0]
			if a, ok := addressSource(ctl); ok {
				src = a
			}
			p.Report(Finding{
				Pos:       z.Pos,
				Directive: cmp.Or(texts[posName{z.Pos, z.Kind}], z.Kind),
				Message: fmt.Sprintf("%s keys clients on %s, built from %s, which the client writes: the limit counts values the client sends, not clients",
					z.Kind, z.KeyText, describeSource(src)),
				Attack: tc111ZoneAttack(z, src),
				Fix: withRealIP(p, fmt.Sprintf("key the zone on `$binary_remote_addr`: `%s $binary_remote_addr zone=%s ...;`", z.Kind, z.Zone),
					ReplaceText(z.Pos, z.KeyText, "$binary_remote_addr")),
				Related: positions(u.related...),
			})
		}
	}
}

// spoofableKey: a key the client chooses outright, or one mixing in an
// address the client writes (each new value is a new bucket). A key bound
// to the connection's address and partitioned further by, say, the URI
// still limits each client.
func spoofableKey(ctl []trustmodel.Source, bound bool) bool {
	_, addr := addressSource(ctl)
	return addr || (len(ctl) > 0 && !bound)
}

func zoneOf(d *nginxconf.Directive) string {
	if d.Name == "limit_conn" {
		return d.Arg(0)
	}
	for _, a := range d.Args {
		if z, ok := strings.CutPrefix(a, "zone="); ok {
			return z
		}
	}
	return ""
}

// directiveTexts renders the directives of ds named any of names, by
// position and name (two can share a line).
func directiveTexts(ds []*nginxconf.Directive, names ...string) map[posName]string {
	out := map[posName]string{}
	for _, d := range ds {
		k := posName{d.Pos, d.Name}
		if _, dup := out[k]; !dup && slices.Contains(names, d.Name) {
			out[k] = d.String()
		}
	}
	return out
}

type posName struct {
	pos  trustmodel.Pos
	name string
}

func tc111ZoneAttack(z *nginxconf.LimitZone, src trustmodel.Source) string {
	switch {
	case src.Kind != trustmodel.SourceHeader:
		return fmt.Sprintf("a client that changes %s on every request gets a fresh %s bucket each time, so the limit never applies", src.Name, z.Kind)
	case !isAddressHeader(src.Name):
		return fmt.Sprintf("a client sending a different %s header with every request gets a fresh %s bucket each time, so the limit never applies", src.Name, z.Kind)
	}
	return fmt.Sprintf("a client sending %q, then %q, and so on gets a fresh %s bucket with every request, so the limit never applies; sending a victim's address instead uses up the victim's",
		src.Name+": "+SpoofedAddr, src.Name+": 6.6.6.7", z.Kind)
}

// ---------------------------------------------------------------------------
// geo / map / if decisions that refuse requests

// tc111Decisions appends to out the findings on the part's servers' if
// blocks.
func tc111Decisions(p *Pass, t clientTaint, out []Finding) []Finding {
	var walk func(s *nginxconf.Server, ifs, locs []*nginxconf.Location)
	walk = func(s *nginxconf.Server, ifs, locs []*nginxconf.Location) {
		for _, ib := range ifs {
			if f, ok := tc111Decision(p, t, s, ib); ok {
				out = append(out, f)
			}
		}
		for _, l := range locs {
			walk(s, l.Ifs, l.Locations)
		}
	}
	for _, s := range p.Servers {
		walk(s, s.Ifs, s.Locations)
	}
	return out
}

// refuses reports whether an if block answers with a client error: an
// access decision.
func refuses(ib *nginxconf.Location) (*nginxconf.Directive, bool) {
	for _, d := range ownDirectives(ib.Directives, "return") {
		code := d.Arg(0)
		if len(code) == 3 && code[0] == '4' && strings.Trim(code, "0123456789") == "" {
			return d, true
		}
	}
	return nil, false
}

func tc111Decision(p *Pass, t clientTaint, s *nginxconf.Server, ib *nginxconf.Location) (Finding, bool) {
	if ib.Modifier != "if" {
		return Finding{}, false
	}
	ret, ok := refuses(ib)
	if !ok || len(ib.Condition) == 0 || strings.HasPrefix(strings.TrimPrefix(ib.Condition[0], "!"), "-") {
		return Finding{}, false
	}
	left := p.Nginx.Expr(s, ib.Parent, ib.Condition[0])
	ctl, _ := t.controlled(left)
	src, ok := addressSource(ctl)
	if !ok {
		return Finding{}, false // a decision on the User-Agent or a token is the client's by design
	}
	// Report at the geo or map block that reads the header when the
	// condition tests one: every decision on its variable shares the cause.
	pos, directive := ib.Pos, "if ("+ib.Match+") { "+ret.String()+" }"
	what := "the if condition"
	fix := "decide on the connection's address: `allow`/`deny`, or a `geo` block without a source, which reads $remote_addr"
	var edits []Edit // for a geo only: the others are rewritten by hand
	var keys []string
	tested := left
	if v, isVar := left.(nginxconf.Var); isVar {
		tested = v.Value
	}
	switch x := tested.(type) {
	case *nginxconf.GeoExpr:
		pos, directive, what = x.Geo.Pos, fmt.Sprintf("geo %s$%s { ... }", geoSource(x.Geo), x.Geo.Variable), "geo $"+x.Geo.Variable
		fix = fmt.Sprintf("drop the source so the block reads the connection's address: `geo $%s { ... }`", x.Geo.Variable)
		edits = []Edit{ReplaceText(x.Geo.Pos, "geo "+geoSource(x.Geo)+"$"+x.Geo.Variable, "geo $"+x.Geo.Variable)}
		for _, e := range x.Geo.Entries {
			if pfx, err := trustmodel.ParsePrefix(e.Key); err == nil {
				keys = append(keys, hostIn(pfx).String())
			}
		}
	case *nginxconf.MapExpr:
		pos, directive, what = x.Map.Pos, fmt.Sprintf("map %s $%s { ... }", x.Map.Source, x.Map.Variable), "map $"+x.Map.Variable
		fix = fmt.Sprintf("decide on the connection's address: replace the map with `geo $%s { ... }`, which reads $remote_addr and matches networks", x.Map.Variable)
		for _, e := range x.Map.Entries {
			if !e.Regex {
				keys = append(keys, e.Key)
			}
		}
	}
	return Finding{
		Pos:       pos,
		Directive: directive,
		Message: fmt.Sprintf("%s, which decides whether %q refuses the request, is computed from %s, which the client writes: any client picks the answer",
			what, ret.String(), describeSource(src)),
		Attack:  tc111DecisionAttack(p, t, s, ib, src.Name, keys, ret.String()),
		Fix:     withRealIP(p, fix, edits...),
		Related: positions(ib.Pos),
	}, true
}

func geoSource(g *nginxconf.Geo) string {
	if g.Source == "$remote_addr" {
		return ""
	}
	return g.Source + " "
}

// tc111DecisionAttack finds a value of header that changes the decision:
// one that passes where the honest request is refused, or one that is
// refused where another value passes.
func tc111DecisionAttack(p *Pass, t clientTaint, s *nginxconf.Server, ib *nginxconf.Location, header string, keys []string, ret string) string {
	fallback := fmt.Sprintf("a client chooses %s and with it whether %q refuses the request", header, ret)
	cond := p.Nginx.Cond(s, ib)
	if !cond.Known() {
		return fallback
	}
	holds := func(in trustmodel.Request) bool {
		return cond.Eval(trustmodel.HopInput{In: in, ClientAddr: in.Peer})
	}
	candidates := slices.Concat(keys, []string{"127.0.0.1", "10.0.0.1", "192.168.0.1", SpoofedAddr})
	for _, e := range t.entries {
		honest := holds(e.Arrive(clientRequest(HonestClient, "", "")))
		for _, c := range candidates {
			switch refused := holds(e.Arrive(clientRequest(HonestClient, header, c))); {
			case refused == honest:
			case honest:
				return fmt.Sprintf("a client at %s is refused (%s), but sending %q%s it is let through", HonestClient, ret, header+": "+c, e.Through())
			default:
				return fmt.Sprintf("a client refused for sending %q%s is let through by sending another value, or none", header+": "+c, e.Through())
			}
		}
	}
	return fallback
}

// ---------------------------------------------------------------------------
// proxy_set_header X-Real-IP $http_x_forwarded_for

// identityHeaders are the single-address headers apps read as the client's
// address (X-Forwarded-For and Forwarded have their own rules).
var identityHeaders = []string{"X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "X-Client-IP", "X-Cluster-Client-IP", "Client-IP"}

// tc111Headers appends to out the findings on the part's proxies' headers.
func tc111Headers(p *Pass, t clientTaint, out []Finding) []Finding {
	for _, px := range p.Proxies {
		if px.Module != "proxy" {
			continue
		}
		for _, hs := range px.Headers {
			if !slices.ContainsFunc(identityHeaders, func(h string) bool { return strings.EqualFold(h, hs.Name) }) {
				continue
			}
			ctl, _ := t.controlled(hs.Expr)
			if len(ctl) == 0 {
				continue
			}
			src := ctl[0]
			if a, ok := addressSource(ctl); ok {
				src = a
			}
			out = append(out, Finding{
				Pos:       hs.Pos,
				Directive: fmt.Sprintf("proxy_set_header %s %s;", hs.Name, hs.Value),
				Message: fmt.Sprintf("%s is set from %s, which the client writes: the app reads a client-chosen address as the client's",
					hs.Name, describeSource(src)),
				Attack: tc111HeaderAttack(p, t, px, hs.Name, src),
				Fix: withRealIP(p, fmt.Sprintf("`proxy_set_header %s $remote_addr;`", hs.Name),
					ReplaceText(hs.Pos, fmt.Sprintf("proxy_set_header %s %s;", hs.Name, hs.Value), fmt.Sprintf("proxy_set_header %s $remote_addr;", hs.Name))),
				Related: positions(px.Pos),
			})
		}
	}
	return out
}

// tc111HeaderAttack replays a client writing 6.6.6.6 into the source header
// through nginx and shows the header the app receives.
func tc111HeaderAttack(p *Pass, t clientTaint, px *nginxconf.Proxy, name string, src trustmodel.Source) string {
	if src.Kind == trustmodel.SourceHeader {
		for _, e := range t.entries {
			out := px.Hop.Forward(e.Arrive(clientRequest(HonestClient, src.Name, SpoofedAddr)))
			if v := strings.Join(out.Headers.Lines(name), ", "); strings.Contains(v, SpoofedAddr) {
				return fmt.Sprintf("a client at %s sending %q to %s%s reaches the app with %q",
					HonestClient, src.Name+": "+SpoofedAddr, proxyURL(p, px), e.Through(), name+": "+v)
			}
		}
	}
	return fmt.Sprintf("a client that sets %s to %s reaches the app with %s: %s", src.Name, SpoofedAddr, name, SpoofedAddr)
}
