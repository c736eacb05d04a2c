package rules

// Helpers shared by the nginx-only rules (TC109–TC111, TC401–TC404): address
// classes, the realip configurations nginx applies, the way a client's
// request reaches nginx, and walking the configuration tree.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// ---------------------------------------------------------------------------
// addresses

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// loopbackRanges and privateRanges are where local and in-network proxies
// connect from.
var (
	loopbackRanges = mustPrefixes("127.0.0.0/8", "::1/128")
	privateRanges  = mustPrefixes(
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
		"fc00::/7", "fe80::/10",
	)
	// unroutableRanges are addresses no peer connects from: unspecified,
	// multicast, reserved, and IPv4-mapped IPv6 (nginx matches a mapped
	// peer against IPv4 ranges only).
	unroutableRanges = mustPrefixes("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::ffff:0:0/96", "ff00::/8")
)

// providerRange is the published address space of an edge provider.
type providerRange struct {
	Name   string
	Ranges []netip.Prefix
}

// providerRanges are the edge presets' published ranges (Cloudflare, Fastly,
// Google's load balancers), in preset-name order: proxies, not clients.
// Presets without ranges are skipped.
var providerRanges = sync.OnceValue(func() []providerRange {
	var out []providerRange
	for _, name := range trustmodel.PresetNames() {
		if r := trustmodel.PresetRanges(name); len(r) > 0 {
			out = append(out, providerRange{Name: name, Ranges: r})
		}
	}
	return out
})

func inRanges(a netip.Addr, ranges []netip.Prefix) bool {
	a = a.Unmap()
	for _, r := range ranges {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// withinRanges reports whether every address of p is in one of ranges.
func withinRanges(p netip.Prefix, ranges []netip.Prefix) bool {
	_, outside := addrOutside(p, ranges)
	return !outside
}

// addrOutside returns an address of p that none of ranges contains,
// preferring the documentation addresses the replays use.
func addrOutside(p netip.Prefix, ranges []netip.Prefix) (netip.Addr, bool) {
	for _, s := range []string{HonestClient, "2001:db8::7"} {
		a := netip.MustParseAddr(s)
		if p.Contains(a) && !inRanges(a, ranges) {
			return a, true
		}
	}
	return firstOutside(p.Masked(), ranges)
}

// firstOutside splits p until a half overlaps none of ranges.
func firstOutside(p netip.Prefix, ranges []netip.Prefix) (netip.Addr, bool) {
	overlaps := false
	for _, r := range ranges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return netip.Addr{}, false
		}
		overlaps = overlaps || r.Overlaps(p)
	}
	if !overlaps {
		a := p.Addr()
		if p.Bits() < a.BitLen() {
			a = a.Next() // a host, not the network address
		}
		return a, true
	}
	if a, ok := firstOutside(netip.PrefixFrom(p.Addr(), p.Bits()+1), ranges); ok {
		return a, true
	}
	b := p.Addr().AsSlice()
	b[p.Bits()/8] |= 0x80 >> (p.Bits() % 8)
	hi, _ := netip.AddrFromSlice(b)
	return firstOutside(netip.PrefixFrom(hi, p.Bits()+1), ranges)
}

// hostIn is a representative address of p: p's only address, else its
// first host.
func hostIn(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	if p.Bits() < a.BitLen() {
		a = a.Next()
	}
	return a
}

// fromPrefix is a set_real_ip_from entry as a range; false for "unix:" and
// host names.
func fromPrefix(f nginxconf.RealIPFrom) (netip.Prefix, bool) {
	if f.Unix || f.Hostname {
		return netip.Prefix{}, false
	}
	text := f.Prefix // nginx's own reading, when the model parsed the entry
	if text == "" {
		text = f.Text
	}
	p, err := trustmodel.ParsePrefix(text)
	return p, err == nil
}

// edgeRanges are the ranges the edge hops of trustcheck.yaml connect from.
func edgeRanges(p *Pass) []netip.Prefix {
	if p.Config == nil {
		return nil
	}
	var out []netip.Prefix
	for _, e := range p.Config.Edge {
		out = append(out, e.Addresses...)
	}
	return out
}

// proxyRanges are the addresses only proxies connect from: local and private
// networks, the declared edge hops, and the providers' published ranges.
// Anything else is a client's.
func proxyRanges(p *Pass) []netip.Prefix {
	out := slices.Concat(loopbackRanges, privateRanges, unroutableRanges, edgeRanges(p))
	for _, pr := range providerRanges() {
		out = append(out, pr.Ranges...)
	}
	return out
}

// ---------------------------------------------------------------------------
// how a client's request reaches nginx

// nginxEntry is one way a client's request reaches nginx: directly, or
// through the edge hops of trustcheck.yaml.
type nginxEntry struct {
	Edge  []trustmodel.Hop // nil for a direct client
	Names []string
}

// nginxEntries lists the ways in: straight to nginx when clients can reach
// it, and through the edge when one is described.
func nginxEntries(p *Pass) []nginxEntry {
	var out []nginxEntry
	if nginxReachable(p) {
		out = append(out, nginxEntry{})
	}
	if p.Config != nil && len(p.Config.Edge) > 0 {
		var e nginxEntry
		for _, spec := range p.Config.Edge {
			e.Edge = append(e.Edge, spec.Hop(false))
			e.Names = append(e.Names, spec.Name)
		}
		out = append(out, e)
	}
	return out
}

// Arrive returns the request nginx receives when the client sends req.
func (e nginxEntry) Arrive(req trustmodel.Request) trustmodel.Request {
	return trustmodel.Path{Hops: e.Edge}.Replay(req)
}

// Through is " through cdn -> lb" for an edge entry, "" for a direct one.
func (e nginxEntry) Through() string {
	if len(e.Names) == 0 {
		return ""
	}
	return " through " + strings.Join(e.Names, " -> ")
}

// clientRequest is a client at addr sending one header line name: value
// (none when name is "").
func clientRequest(addr, name, value string) trustmodel.Request {
	req := trustmodel.Request{Peer: addr, Headers: trustmodel.Header{{Name: "Host", Value: "app.example"}}}
	if name != "" {
		req.Headers = append(trustmodel.Header{{Name: name, Value: value}}, req.Headers...)
	}
	return req
}

// proxyURL is what an honest client requests to reach px, e.g.
// https://app.example/ws.
func proxyURL(p *Pass, px *nginxconf.Proxy) string {
	scheme := "http"
	if px.Server.SSL() || (p.Config != nil && len(p.Config.Edge) > 0) {
		scheme = "https"
	}
	host := "app.example"
	for _, n := range px.Server.Names {
		if n != "" && n != "_" && n != "localhost" && !strings.ContainsAny(n, "*~") {
			host = n
			break
		}
	}
	uri := "/"
	if l := px.Location; l != nil && (l.Modifier == "" || l.Modifier == "=" || l.Modifier == "^~") && strings.HasPrefix(l.Match, "/") {
		uri = l.Match
	}
	return scheme + "://" + host + uri
}

// ---------------------------------------------------------------------------
// the configuration tree

// nginxPlace is a server or location and the directives in effect there.
type nginxPlace struct {
	Server   *nginxconf.Server
	Location *nginxconf.Location // nil at server level
	// Effective returns the directives named name in effect here (nginx's
	// array-merge rule: the closest level that has any).
	Effective func(name string) []*nginxconf.Directive
}

// nginxPlaces lists every server and, below it, every location (nested ones
// included; if and limit_except blocks are not places of their own), in
// file order.
func nginxPlaces(ng *nginxconf.Config) []nginxPlace {
	var out []nginxPlace
	var walk func(s *nginxconf.Server, locs []*nginxconf.Location)
	walk = func(s *nginxconf.Server, locs []*nginxconf.Location) {
		for _, l := range locs {
			out = append(out, nginxPlace{Server: s, Location: l, Effective: l.Effective})
			walk(s, l.Locations)
		}
	}
	for _, s := range ng.Servers {
		out = append(out, nginxPlace{Server: s, Effective: s.Effective})
		walk(s, s.Locations)
	}
	return out
}

// ownDirectives returns the directives named name among ds.
func ownDirectives(ds []*nginxconf.Directive, name string) []*nginxconf.Directive {
	var out []*nginxconf.Directive
	for _, d := range ds {
		if d.Name == name {
			out = append(out, d)
		}
	}
	return out
}

// directiveBlocks returns the directive lists of every http, server and
// location block (if blocks included), in file order.
func directiveBlocks(ng *nginxconf.Config) [][]*nginxconf.Directive {
	var out [][]*nginxconf.Directive
	var walk func(locs []*nginxconf.Location)
	walk = func(locs []*nginxconf.Location) {
		for _, l := range locs {
			out = append(out, l.Directives)
			walk(l.Ifs)
			walk(l.Locations)
		}
	}
	for _, h := range ng.HTTP {
		out = append(out, h.Directives)
	}
	for _, s := range ng.Servers {
		out = append(out, s.Directives)
		walk(s.Ifs)
		walk(s.Locations)
	}
	return out
}

// ---------------------------------------------------------------------------
// realip

// realipSite is one realip configuration nginx applies, with the proxying
// places and the servers it applies to. Modelled sites are nginxconf's own (Resolve replays
// them); the others are read from the directives of places nothing proxies
// from, and Resolve must not be used on them.
type realipSite struct {
	*nginxconf.RealIP
	Modelled bool
	Proxies  []*nginxconf.Proxy
	Servers  []*nginxconf.Server
}

// realipSites lists every distinct realip configuration in effect: the
// server-level one (POST_READ) and the location-level one (PREACCESS) of
// every proxy, then those of servers and locations that proxy nowhere.
func realipSites(ng *nginxconf.Config) []*realipSite {
	var sites []*realipSite
	byKey := map[string]*realipSite{}
	// Membership sets: a fleet shares one realip configuration across
	// thousands of servers, so slices.Contains here would be quadratic.
	type member struct {
		site *realipSite
		ptr  any
	}
	seen := map[member]bool{}
	add := func(r *nginxconf.RealIP, modelled bool, srv *nginxconf.Server, px *nginxconf.Proxy) {
		k := realipKey(r)
		s := byKey[k]
		if s == nil {
			s = &realipSite{RealIP: r, Modelled: modelled}
			byKey[k] = s
			sites = append(sites, s)
		}
		if px != nil && !seen[member{s, px}] {
			seen[member{s, px}] = true
			s.Proxies = append(s.Proxies, px)
		}
		if srv != nil && !seen[member{s, srv}] {
			seen[member{s, srv}] = true
			s.Servers = append(s.Servers, srv)
		}
	}
	for _, px := range ng.Proxies() {
		add(px.RealIP, true, px.Server, px)
		add(px.LocationRealIP, true, px.Server, px)
	}
	for _, pl := range nginxPlaces(ng) {
		add(directiveRealIP(pl.Effective), false, pl.Server, nil)
	}
	for _, h := range ng.HTTP {
		if len(h.Servers) == 0 { // a loose snippet of http-level directives
			add(directiveRealIP(func(name string) []*nginxconf.Directive { return ownDirectives(h.Directives, name) }), false, nil, nil)
		}
	}
	return sites
}

func realipKey(r *nginxconf.RealIP) string {
	var from []trustmodel.Pos
	for _, f := range r.From {
		from = append(from, f.Pos)
	}
	// A host name nginx resolves to several addresses is one entry per
	// address in the model, all at the directive's position.
	return fmt.Sprint(positions(from...), r.HeaderPos, r.RecursivePos)
}

// directiveRealIP reads a realip configuration from the directives in
// effect at a place nothing proxies from.
func directiveRealIP(eff func(string) []*nginxconf.Directive) *nginxconf.RealIP {
	r := &nginxconf.RealIP{Header: "X-Real-IP"}
	for _, d := range eff("set_real_ip_from") {
		r.From = append(r.From, nginxconf.RealIPFrom{Pos: d.Pos, Text: d.Arg(0), Unix: d.Arg(0) == "unix:"})
	}
	if ds := eff("real_ip_header"); len(ds) > 0 {
		r.Header, r.HeaderPos = ds[0].Arg(0), ds[0].Pos
		switch r.Header { // nginx compares the keywords case-sensitively
		case "X-Forwarded-For":
			r.Mode = nginxconf.RealIPXForwardedFor
		case "proxy_protocol":
			r.Mode = nginxconf.RealIPProxyProtocol
		case "X-Real-IP":
		default:
			r.Mode = nginxconf.RealIPCustom
		}
	}
	if ds := eff("real_ip_recursive"); len(ds) > 0 {
		r.Recursive, r.RecursivePos = strings.EqualFold(ds[0].Arg(0), "on"), ds[0].Pos
	}
	return r
}

// realipHeader is the request header realip reads in mode r ("" for the
// PROXY protocol).
func realipHeader(r *nginxconf.RealIP) string {
	switch r.Mode {
	case nginxconf.RealIPXForwardedFor:
		return "X-Forwarded-For"
	case nginxconf.RealIPProxyProtocol:
		return ""
	case nginxconf.RealIPCustom:
		return r.Header
	}
	return "X-Real-IP"
}

// lastToken is the address non-recursive realip takes from an
// X-Forwarded-For line: its last space- or comma-separated token.
func lastToken(line string) string {
	line = strings.TrimRight(line, " ,")
	return line[strings.LastIndexAny(line, " ,")+1:]
}

// positions returns the distinct positions of ps, in order.
func positions(ps ...trustmodel.Pos) []trustmodel.Pos {
	var out []trustmodel.Pos
	for _, p := range ps {
		if p.File != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// passPositions returns where each proxy passes requests.
func passPositions(pxs []*nginxconf.Proxy) []trustmodel.Pos {
	var out []trustmodel.Pos
	for _, px := range pxs {
		out = append(out, px.Pos)
	}
	return positions(out...)
}

// joinAnd joins items as prose: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// setRealIPLines renders one set_real_ip_from per range.
func setRealIPLines(ranges []netip.Prefix) string {
	var lines []string
	for _, r := range ranges {
		text := r.String()
		if r.IsSingleIP() {
			text = r.Addr().String()
		}
		line := "set_real_ip_from " + text + ";"
		if !slices.Contains(lines, line) {
			lines = append(lines, line)
		}
	}
	return "`" + strings.Join(lines, " ") + "`"
}
