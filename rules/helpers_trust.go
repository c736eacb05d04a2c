package rules

import (
	"fmt"
	"maps"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

// Helpers shared by the rules about the app's trust setting (TC102–TC108,
// TC112): the address chain the framework walks, what a path needs trusted,
// and trust values computed from the topology.

// nginxPaths returns the part's paths that pass through nginx, in order,
// except those through a transparent proxy_bind (see Pass.Check).
func (p *Pass) nginxPaths() []*Path { return p.nginx }

// trustChain is the address list proxy-addr walks for a request: the socket
// peer, then the X-Forwarded-For entries right to left.
func trustChain(req trustmodel.Request) []string {
	xff, _ := req.Headers.NodeValue("x-forwarded-for")
	return append([]string{req.Peer}, trustmodel.ParseXFF(xff)...)
}

// hopsToClient is how many addresses the app must trust on a path to reach
// the honest client: the client's first position in the honest chain, or -1
// when its address never reaches the app.
func (p *Pass) hopsToClient(path *Path) int {
	return slices.Index(trustChain(path.Honest().AtApp), HonestClient)
}

// hopCount returns the app's trust setting when it is a number the framework
// honours as a hop count (trust(addr, i) = i < n). Koa (all or nothing) and
// Fastify ≥ 5.12.1 (numbers trust nothing) do not.
func (p *Pass) hopCount() (float64, bool) {
	if p.ownSyntax() {
		return p.frameworkHopCount()
	}
	var n float64
	switch v := p.App.Spec.TrustProxy.(type) {
	case int:
		n = float64(v)
	case int64:
		n = float64(v)
	case uint64:
		n = float64(v)
	case float64:
		n = v
	default:
		return 0, false
	}
	if p.App.Evaluator == nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	t := p.App.Evaluator.Trust()
	for i := 0; i <= 64 && float64(i) <= n+1; i++ {
		if ok, _ := t.Trusts(SpoofedAddr, i); ok != (float64(i) < n) {
			return 0, false
		}
	}
	return n, true
}

// frameworkHopCount is the count a framework outside Node trusts whatever
// the addresses (ProxyFix x_for, chi's ClientIPFromXFFTrustedProxies,
// ASP.NET Core's ForwardLimit with both known lists cleared): n when
// trust(addr, i) = i < n for a spoofed address and a loopback one alike.
func (p *Pass) frameworkHopCount() (float64, bool) {
	sh := p.shared
	sh.hopCountOnce.Do(func() { sh.hopCountN, sh.hopCountOK = p.computeFrameworkHopCount() })
	return sh.hopCountN, sh.hopCountOK
}

func (p *Pass) computeFrameworkHopCount() (float64, bool) {
	t := p.App.Evaluator.Trust()
	n := -1
	for i := 0; i <= 64; i++ {
		spoofed, _ := t.Trusts(SpoofedAddr, i)
		local, _ := t.Trusts("127.0.0.1", i)
		if spoofed != local {
			return 0, false // it matches addresses
		}
		switch {
		case spoofed && n >= 0:
			return 0, false
		case !spoofed && n < 0:
			n = i
		}
	}
	if n < 1 {
		return 0, false // nothing, or everything, is trusted
	}
	// The trust may be a count while the framework reads no header at all
	// (ASP.NET Core's ForwardedHeaders None): a count is believed only when
	// a request with one entry more than it resolves to the n-th from the
	// right, whoever sent it.
	entries := make([]string, n+1)
	for i := range entries {
		entries[i] = fmt.Sprintf("198.51.100.%d", i+1)
	}
	req := trustmodel.Request{Peer: "203.0.113.9", Headers: trustmodel.Header{{Name: "X-Forwarded-For", Value: strings.Join(entries, ", ")}}}
	if got := p.App.Evaluator.Evaluate(req).IP; got == nil || *got != entries[1] {
		return 0, false
	}
	return float64(n), true
}

// countName names a hop count as the app sets it: Node's number, or the
// framework's own knob ("flask 3 (ProxyFix x_for=2: ...)").
func (p *Pass) countName(n float64) string {
	if p.ownSyntax() {
		return fmt.Sprintf("the count of %s in %s (%s)", countText(n), p.trustDirective(), p.App.Evaluator.Trust())
	}
	return "the hop count " + countText(n)
}

// countsOnly reports whether the framework, even as its Advise writes it,
// believes entries by count whoever sent them (Werkzeug's ProxyFix).
func (p *Pass) countsOnly() bool {
	ev := p.evaluatorWith(p.suggestedTrust())
	if ev == nil {
		return true
	}
	ok, _ := ev.Trust().Trusts(SpoofedAddr, 0)
	return ok
}

// advisedCode is the framework's advice for the proxies the paths cross,
// counting hops of them.
func (p *Pass) advisedCode(hops int) string {
	if s, ok := p.App.Evaluator.Advise(trustmodel.AdviceFor(p.suggestedTrust(), hops)); ok {
		return s.Code
	}
	return p.ownHeaderFix()
}

// countText renders a hop count as JavaScript writes it.
func countText(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }

// evaluatorWith is the app's framework configured with another trust value;
// nil when the framework rejects the value.
func (p *Pass) evaluatorWith(v any) trustmodel.Evaluator {
	s := p.App.Spec
	if p.ownSyntax() {
		return p.advisedEvaluator(v)
	}
	ev, err := frameworks.New(trustmodel.App{
		Framework: s.Framework, Version: s.FrameworkVersion,
		TrustProxy: v, TrustProxySet: true, Options: s.Options, Session: s.Session,
	})
	if err != nil {
		return nil
	}
	return ev
}

// advisedEvaluator is, outside Node, the app's framework configured the way
// its Advise writes trust value v (a proxy-addr value, or a hop count with
// the proxies the paths cross): the framework's trust lives in options,
// middleware and servers, which only Advise knows how to rewrite.
func (p *Pass) advisedEvaluator(v any) trustmodel.Evaluator {
	var adv trustmodel.Advice
	switch n := v.(type) {
	case int:
		if ev := p.countEvaluator(n); ev != nil {
			return ev
		}
		adv = trustmodel.Advice{Proxies: p.proxiesBeforeClient(), Hops: n}
	default:
		adv = trustmodel.AdviceFor(v, max(1, p.trustViews().most))
	}
	s, ok := p.App.Evaluator.Advise(adv)
	if !ok {
		return nil
	}
	ev, err := frameworks.New(s.App)
	if err != nil {
		return nil
	}
	return ev
}

// countEvaluator is the app with its own count set to n, when its trust is
// a count (frameworkHopCount): ProxyFix's x_for, chi's
// ClientIPFromXFFTrustedProxies count, ASP.NET Core's ForwardLimit. Their
// Advise trusts addresses instead, which says nothing about a count.
func (p *Pass) countEvaluator(n int) trustmodel.Evaluator {
	if _, ok := p.frameworkHopCount(); !ok {
		return nil
	}
	app := p.App.Spec.EvaluatorApp()
	app.Options = maps.Clone(app.Options)
	app.Middleware = slices.Clone(app.Middleware)
	set := false
	for i, m := range app.Middleware {
		switch m["name"] {
		case "proxy_fix":
			app.Middleware[i] = maps.Clone(m)
			app.Middleware[i]["x_for"], set = n, true
		case "client_ip_from_xff_trusted_proxies":
			app.Middleware[i] = maps.Clone(m)
			app.Middleware[i]["count"], set = n, true
		}
	}
	if strings.EqualFold(app.Framework, "aspnetcore") {
		if app.Options == nil {
			app.Options = map[string]any{}
		}
		app.Options["ForwardLimit"], set = n, true
	}
	if !set {
		return nil
	}
	ev, err := frameworks.New(app)
	if err != nil {
		return nil
	}
	return ev
}

// proxiesBeforeClient are the addresses the honest requests cross before
// the client's, as the app sees them (UNIX sockets left out).
func (p *Pass) proxiesBeforeClient() []string {
	var out []string
	for _, honest := range p.trustViews().honest {
		ch := trustChain(honest)
		k := slices.Index(ch, HonestClient)
		for _, a := range ch[:min(max(k, 1), len(ch))] {
			if a != "" && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// trustViews is what the paths through nginx bring the app, reduced to
// what decides req.ip: the socket peer and the address headers' lines.
// A fleet's thousands of paths reduce to a handful of distinct requests,
// so a trust value is judged against these instead of replaying every path,
// and the paths need not be kept until every part is checked.
type trustViews struct {
	paths int // paths through nginx
	most  int // the largest hopsToClient among them (0 when none)
	// honest are the honest client's requests, hostile those of the client
	// injecting X-Forwarded-For; distinct, in the order paths first bring them.
	honest, hostile []trustmodel.Request
	// loopback: nginx connects to the app over loopback on every path.
	loopback   bool
	addrHeader string // the header the framework reads addresses from
	seen       map[string]bool
}

func newTrustViews(p *Pass) *trustViews {
	return &trustViews{loopback: true, addrHeader: p.addressHeader(), seen: map[string]bool{}}
}

// trustViews returns the views of every path through nginx; only Finish
// may ask, when every part has been folded in.
func (p *Pass) trustViews() *trustViews {
	if !p.shared.complete {
		panic("rules: trust views read before every part was checked")
	}
	return p.shared.views
}

// add folds one path through nginx into the views.
func (tv *trustViews) add(p *Pass, path *Path) {
	tv.paths++
	tv.most = max(tv.most, p.hopsToClient(path))
	tv.honest = tv.intern(tv.honest, "h", path.Honest().AtApp)
	for _, c := range p.connectCandidates(path) {
		if a, err := netip.ParseAddr(c); err != nil || !a.Unmap().IsLoopback() {
			tv.loopback = false
		}
	}
}

// addressHeader is the header the app's framework reads addresses from as
// trustcheck.yaml configures it, whatever the trust value.
func (p *Pass) addressHeader() string {
	ev := p.App.Evaluator
	if ev == nil {
		ev = p.evaluatorWith(true)
	}
	if ev == nil {
		return "X-Forwarded-For"
	}
	return ev.AddressHeader()
}

// addSpoofed folds in what an X-Forwarded-For injector brings the app.
func (tv *trustViews) addSpoofed(req trustmodel.Request) {
	tv.hostile = tv.intern(tv.hostile, "x", req)
}

// intern appends req, reduced to its peer and the lines of X-Forwarded-For
// and of the header the app's framework reads addresses from, unless an
// equal reduced request is already in list.
func (tv *trustViews) intern(list []trustmodel.Request, kind string, req trustmodel.Request) []trustmodel.Request {
	v := trustmodel.Request{Peer: req.Peer}
	var key strings.Builder
	key.WriteString(kind)
	key.WriteString(req.Peer)
	for _, l := range req.Headers {
		if strings.EqualFold(l.Name, "X-Forwarded-For") || strings.EqualFold(l.Name, tv.addrHeader) {
			v.Headers = append(v.Headers, l)
			key.WriteString("\n" + l.Name + ": " + l.Value)
		}
	}
	if tv.seen[key.String()] {
		return list
	}
	tv.seen[key.String()] = true
	return append(list, v)
}

// trustFits reports whether trust value v makes every path through nginx
// right: the honest client is req.ip wherever its address reaches the app,
// and no injected X-Forwarded-For becomes req.ip.
func (p *Pass) trustFits(v any) bool {
	if !p.shared.judging.Load() {
		panic("rules: trustFits asked by a rule that did not call judgeTrustValues in Check")
	}
	ev := p.evaluatorWith(v)
	if ev == nil {
		return false
	}
	tv := p.trustViews()
	for _, honest := range tv.honest {
		if slices.Contains(trustChain(honest), HonestClient) {
			if ip := ev.Evaluate(honest).IP; ip == nil || *ip != HonestClient {
				return false
			}
		}
	}
	for _, hostile := range tv.hostile {
		if ip := ev.Evaluate(hostile).IP; ip != nil && *ip == SpoofedAddr {
			return false
		}
	}
	return true
}

// countFits returns the hop count every path through nginx agrees on, if
// one exists: the largest count a path needs, provided it lets no injected
// entry through on the shorter paths.
func (p *Pass) countFits() (int, bool) {
	sh := p.shared
	sh.countOnce.Do(func() {
		sh.count = p.trustViews().most
		sh.countOK = sh.count > 0 && p.trustFits(sh.count)
	})
	return sh.count, sh.countOK
}

// trustFix is the code that sets the suggested trust in the app's
// framework, with the trustcheck.yaml edit that says so. Koa's app.proxy
// trusts every peer or none, so it counts the proxies' entries instead
// (app.maxIpsCount).
func (p *Pass) trustFix() SuggestedFix {
	fw := p.App.Spec.Framework
	if p.App.Evaluator != nil && (strings.EqualFold(fw, "koa") || !trustmodel.NodeFramework(fw)) {
		hops := max(1, p.trustViews().most)
		if s, ok := p.App.Evaluator.Advise(trustmodel.AdviceFor(p.suggestedTrust(), hops)); ok {
			return Fix(s.Code, p.settingEdits(s)...)
		}
		return Fix(p.ownHeaderFix())
	}
	return Fix(p.SetTrust(p.suggestTrust()), p.trustEdits(p.suggestedTrust())...)
}

// trustEdits set the app's trust_proxy to v in trustcheck.yaml; none when
// the value does not come from a trustcheck.yaml (--trust-proxy) or v is nil.
func (p *Pass) trustEdits(v any) []Edit {
	s := &p.App.Spec
	if v == nil || s.Pos.File == "" || s.TrustProxySet && s.TrustProxyPos.File == "" {
		return nil
	}
	return []Edit{SetYAML(s.TrustProxyPos, s.Pos, "trust_proxy", YAMLFlow(v))}
}

// settingEdits are the trustcheck.yaml edits for a framework's advice:
// its trust_proxy, when that is all the advice changes.
func (p *Pass) settingEdits(st trustmodel.Setting) []Edit {
	s := &p.App.Spec
	a := st.App
	if !a.TrustProxySet || !reflect.DeepEqual(a.Options, s.Options) && len(a.Options)+len(s.Options) > 0 ||
		!reflect.DeepEqual(a.Server, s.Server) && len(a.Server)+len(s.Server) > 0 ||
		!reflect.DeepEqual(a.Middleware, s.Middleware) && len(a.Middleware)+len(s.Middleware) > 0 {
		return nil
	}
	return p.trustEdits(a.TrustProxy)
}

// countFix sets the hop count every path agrees on, or trusts the proxies
// by address; outside Node it is the framework's advice for that count.
func (p *Pass) countFix(want int) SuggestedFix {
	if p.ownSyntax() {
		return p.trustFix()
	}
	return Fix(fmt.Sprintf("%s (or trust the proxies by address: %s)", p.SetTrust(strconv.Itoa(want)), p.SetTrust(p.suggestTrust())),
		p.trustEdits(want)...)
}

// ownHeaderFix is the fix for a framework that cannot be told to trust a
// proxy: nginx hands over the address it saw in a header of its own, which
// the app reads (and trustcheck.yaml says so, for TC114 to check).
func (p *Pass) ownHeaderFix() string {
	return p.App.Evaluator.Name() + " cannot be told to take the client from X-Forwarded-For: have nginx send the address it saw " +
		"(`proxy_set_header X-Real-IP $remote_addr;`) and read that header in the app (trustcheck.yaml: `client_ip_from: header:X-Real-IP`)"
}

func (p *Pass) suggestTrust() string {
	v := p.suggestedTrust()
	if v == nil {
		return ""
	}
	return jsLiteral(v)
}

// suggestedTrust is the narrowest trust value for the topology: each
// address a request crosses before the honest client (nginx, then the edge
// hops whose entries it appends) by name or range — 'loopback' for nginx on
// the same host, an edge hop's published ranges. Over a UNIX socket no
// address can match, so it falls back to a hop count; Koa only knows
// `true`. It is nil when no path passes through nginx.
func (p *Pass) suggestedTrust() any {
	p.shared.suggestOnce.Do(func() { p.shared.suggested = p.computeSuggestedTrust() })
	return p.shared.suggested
}

func (p *Pass) computeSuggestedTrust() any {
	tv := p.trustViews()
	if tv.paths == 0 {
		return nil
	}
	if strings.EqualFold(p.App.Spec.Framework, "koa") {
		return true
	}
	most := max(1, tv.most)
	var entries []any
	named, listed := map[string]bool{}, map[string]bool{}
	for _, honest := range tv.honest {
		ch := trustChain(honest)
		k := slices.Index(ch, HonestClient)
		if k == 0 {
			continue // the app's peer is the client (REMOTE_ADDR over FastCGI, uwsgi, SCGI): nothing to trust
		}
		for _, a := range ch[:min(max(k, 1), len(ch))] {
			if a == "" {
				return p.unixTrust(most)
			}
			if named[a] {
				continue
			}
			named[a] = true
			for _, e := range p.trustEntries(a) {
				if !listed[e] {
					listed[e] = true
					entries = append(entries, e)
				}
			}
		}
	}
	switch len(entries) {
	case 0:
		return []any{} // trust nothing
	case 1:
		return entries[0]
	}
	return entries
}

// unixTrust is what to trust when nginx connects over a UNIX socket, where
// the app sees no address: the hop count, or `true` where the framework
// ignores counts (Fastify ≥ 5.12.1).
func (p *Pass) unixTrust(hops int) any {
	if ev := p.evaluatorWith(hops); ev != nil {
		if ok, _ := ev.Trust().Trusts("", 0); ok {
			return hops
		}
	}
	return true
}

// trustEntries names a proxy address the way a trust list should: loopback
// by name, an edge hop by its ranges, anything else as itself.
func (p *Pass) trustEntries(addr string) []string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return []string{addr}
	}
	if a.Unmap().IsLoopback() && !p.ownSyntaxFramework() {
		return []string{"loopback"}
	}
	if p.Config != nil {
		for _, e := range p.Config.Edge {
			if e.Covers(a) {
				out := make([]string, len(e.Addresses))
				for i, r := range e.Addresses {
					out[i] = r.String()
				}
				return out
			}
		}
	}
	return []string{addr}
}

// trustDirective is the app's trust setting as its code writes it.
func (p *Pass) trustDirective() string {
	if fw := p.App.Spec.Framework; !trustmodel.NodeFramework(fw) && p.App.Evaluator != nil {
		return p.App.Evaluator.Name() // the messages go on with what it trusts
	}
	if p.ownSyntaxFramework() { // the framework refused the setting (TC108)
		if p.App.Spec.TrustProxySet {
			return "trust_proxy: " + jsLiteral(p.App.Spec.TrustProxy)
		}
		return p.App.Spec.Framework
	}
	return p.SetTrust(p.TrustValue())
}

// trustGroups gathers, part by part, the paths a finding about the trust
// setting covers, grouped by where it is reported: all at its line in
// trustcheck.yaml, or each at its proxy_pass when the setting came from
// --trust-proxy. A group keeps what its finding shows from its first path
// (shown) and the proxy_pass of every path (related).
type trustGroups[T any] struct {
	index  map[trustmodel.Pos]*trustGroup[T] // one group per proxy_pass of a fleet with --trust-proxy
	groups []*trustGroup[T]
}

type trustGroup[T any] struct {
	pos     trustmodel.Pos
	shown   T
	related positionSet
}

// add puts path in its group, made with shown() when it is the first, and
// returns the group.
func (g *trustGroups[T]) add(p *Pass, path *Path, shown func() T) *trustGroup[T] {
	at := p.TrustPosOr(path.Proxy.Pos)
	gr := g.index[at]
	if gr == nil {
		if g.index == nil {
			g.index = map[trustmodel.Pos]*trustGroup[T]{}
		}
		gr = &trustGroup[T]{pos: at, shown: shown()}
		g.index[at] = gr
		g.groups = append(g.groups, gr)
	}
	gr.related.add(path.Proxy.Pos)
	return gr
}

// positionSet lists distinct positions in the order first added (nil
// when none): the proxy_pass of every path a finding covers, which on a
// fleet is every place, so a long list gets a map (slices.Contains would
// be quadratic) while a fleet's many short ones do without.
type positionSet struct {
	list []trustmodel.Pos
	seen map[trustmodel.Pos]bool // from positionSetMap entries on
}

// positionSetMap is the length from which a positionSet keeps a map.
const positionSetMap = 16

func (ps *positionSet) add(pos trustmodel.Pos) {
	if ps.seen != nil {
		if ps.seen[pos] {
			return
		}
		ps.seen[pos] = true
	} else if slices.Contains(ps.list, pos) {
		return
	}
	ps.list = append(ps.list, pos)
	if len(ps.list) == positionSetMap {
		ps.seen = make(map[trustmodel.Pos]bool, 2*positionSetMap)
		for _, p := range ps.list {
			ps.seen[p] = true
		}
	}
}

// anyConfigPos is a place to report a problem of a trust setting given on
// the command line: the first proxy_pass, else the first file.
func (p *Pass) anyConfigPos() trustmodel.Pos {
	if first := p.shared.firstProxy; first != nil {
		return *first
	}
	if len(p.Nginx.Files) > 0 {
		return trustmodel.Pos{File: p.Nginx.Files[0].Path, Line: 1}
	}
	return trustmodel.Pos{}
}

// connectCandidates are the addresses the app may see nginx connect from on
// a path: every address a name like localhost resolves to (nginx uses them
// round-robin) that the app's listen socket accepts. nginx.connects_from in
// trustcheck.yaml pins one.
func (p *Pass) connectCandidates(path *Path) []string {
	hop := path.NginxHop()
	if p.Config != nil && p.Config.Nginx.ConnectsFrom != "" || len(path.Proxy.ConnectFrom) < 2 {
		return []string{hop.Addr}
	}
	v4, v6 := listenFamilies(p.App.Spec.Listen)
	var out []string
	for _, c := range path.Proxy.ConnectFrom {
		a, err := netip.ParseAddr(c)
		if err != nil || a.Is4() && v4 || a.Is6() && v6 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return path.Proxy.ConnectFrom // the app listens where nginx never connects: nothing to narrow
	}
	return out
}

// listenFamilies says which address families a listen socket accepts: an
// IPv4 address only IPv4, an IPv6 address only IPv6; Node's default "::" is
// dual-stack, and "localhost" may bind either.
func listenFamilies(listen string) (v4, v6 bool) {
	l, err := trustmodel.ParseListen(listen)
	if listen == "" || err != nil || l.Unix != "" || strings.HasPrefix(listen, "localhost:") {
		return true, true
	}
	if l.Addr == netip.IPv6Unspecified() {
		return true, true
	}
	return l.Addr.Is4(), l.Addr.Is6()
}

// appSees is the address the app's socket reports for a peer connecting
// from addr (IPv4-mapped on Node's dual-stack "::"), as the paths' replays
// report it.
func (p *Pass) appSees(addr string) string {
	sh := p.shared
	sh.listenOnce.Do(func() {
		if p.App.Spec.Listen != "" {
			sh.listen, _ = trustmodel.ParseListen(p.App.Spec.Listen)
			sh.listen.PlainIPv4 = trustmodel.PlainIPv4Peers(p.App.Spec.Framework)
		}
	})
	return sh.listen.PeerAddr(addr)
}

// replayFrom replays r with nginx connecting to the app from addr instead
// of the path's first candidate.
func (p *Pass) replayFrom(path *Path, r Replay, addr string) Replay {
	addr = p.appSees(addr)
	if path.NginxHop().Addr == addr {
		return r
	}
	hops := slices.Clone(path.Hops)
	hops[len(hops)-1].Addr = addr
	r.AtApp = trustmodel.Path{Entry: path.Entry, Hops: hops}.Replay(r.Client)
	r.Result = p.App.Evaluator.Evaluate(r.AtApp)
	return r
}

// undefOr renders a result value, undefined for nil.
func undefOr(s *string) string {
	if s == nil {
		return "undefined"
	}
	return *s
}

// countNoun is "1 proxy", "2 proxies".
func countNoun(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// andList joins "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
