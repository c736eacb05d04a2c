package rules

// Helpers shared by the nginx-only rules (TC109–TC111, TC401–TC404): address
// classes, the realip configurations nginx applies, the way a client's
// request reaches nginx, and walking the configuration tree.

import (
	"iter"
	"net/netip"
	"slices"
	"strconv"
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

// clientAddrIn returns a client address set_real_ip_from entry f covers:
// one outside proxies (proxyRanges).
func clientAddrIn(f nginxconf.RealIPFrom, proxies []netip.Prefix) (netip.Addr, bool) {
	if pfx, ok := fromPrefix(f); ok {
		return addrOutside(pfx, proxies)
	}
	return netip.Addr{}, false
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

// nginxPlace is a server or location.
type nginxPlace struct {
	Server   *nginxconf.Server
	Location *nginxconf.Location // nil at server level
}

// Effective returns the directives named name in effect here (nginx's
// array-merge rule: the closest level that has any).
func (pl nginxPlace) Effective(name string) []*nginxconf.Directive {
	if pl.Location != nil {
		return pl.Location.Effective(name)
	}
	return pl.Server.Effective(name)
}

// serverPlaces yields each of servers and, below it, every location
// (nested ones included; if and limit_except blocks are not places of their
// own), in file order.
func serverPlaces(servers []*nginxconf.Server) iter.Seq[nginxPlace] {
	return func(yield func(nginxPlace) bool) {
		var walk func(s *nginxconf.Server, locs []*nginxconf.Location) bool
		walk = func(s *nginxconf.Server, locs []*nginxconf.Location) bool {
			for _, l := range locs {
				if !yield(nginxPlace{Server: s, Location: l}) || !walk(s, l.Locations) {
					return false
				}
			}
			return true
		}
		for _, s := range servers {
			if !yield(nginxPlace{Server: s}) || !walk(s, s.Locations) {
				return
			}
		}
	}
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

// serverBlocks yields the directive lists of every server and location
// block (if blocks included) of servers, in file order.
func serverBlocks(servers []*nginxconf.Server) iter.Seq[[]*nginxconf.Directive] {
	return func(yield func([]*nginxconf.Directive) bool) {
		var walk func(locs []*nginxconf.Location) bool
		walk = func(locs []*nginxconf.Location) bool {
			for _, l := range locs {
				if !yield(l.Directives) || !walk(l.Ifs) || !walk(l.Locations) {
					return false
				}
			}
			return true
		}
		for _, s := range servers {
			if !yield(s.Directives) || !walk(s.Ifs) || !walk(s.Locations) {
				return
			}
		}
	}
}

// keptDirective names the directives the rules that finish last read from
// every block (realip's header and recursion, TLS protocols): lint drops a
// part's servers, directives included, once the part is checked.
func keptDirective(name string) bool {
	switch name {
	case "real_ip_header", "real_ip_recursive", "ssl_protocols", "ssl":
		return true
	}
	return false
}

// judgedRealIP reports whether TC402 has nothing to say of d whatever the
// later parts hold: a real_ip_header or real_ip_recursive already in effect
// with set_real_ip_from (which it then stays), the header's keyword written
// exactly. A fleet's servers each have theirs.
func judgedRealIP(d *nginxconf.Directive, inUse map[trustmodel.Pos]bool) bool {
	switch d.Name {
	case "real_ip_recursive":
		return inUse[d.Pos]
	case "real_ip_header":
		_, wrong := miscased(d.Arg(0))
		return inUse[d.Pos] && !wrong
	}
	return false
}

// keepBlocks appends to kept the kept directives of each block of servers
// (serverBlocks' order), a list per block that has any, detached; inUse is
// realipConfig's so far, read after the part's places.
func keepBlocks(kept [][]*nginxconf.Directive, servers []*nginxconf.Server, dt *detacher, inUse map[trustmodel.Pos]bool) [][]*nginxconf.Directive {
	for block := range serverBlocks(servers) {
		var ds []*nginxconf.Directive
		for _, d := range block {
			if keptDirective(d.Name) && !judgedRealIP(d, inUse) {
				ds = append(ds, dt.one(d))
			}
		}
		if len(ds) > 0 {
			kept = append(kept, ds)
		}
	}
	return kept
}

// keptBlocks yields, in Finish, the directive lists TC402 and TC404 read, in
// file order: every http block's, then the kept directives of every part's
// server, location and if blocks.
func (p *Pass) keptBlocks() iter.Seq[[]*nginxconf.Directive] {
	if !p.shared.complete {
		panic("rules: kept blocks read before every part was checked")
	}
	return func(yield func([]*nginxconf.Directive) bool) {
		for _, h := range p.Nginx.HTTP {
			if !yield(h.Directives) {
				return
			}
		}
		for _, ds := range p.shared.kept {
			if !yield(ds) {
				return
			}
		}
	}
}

// ---------------------------------------------------------------------------
// realip

// realipSite is one realip configuration nginx applies, with where the
// proxying places it applies to pass requests on and the servers it applies
// to. Modelled sites are nginxconf's own (Resolve replays them); the others
// are read from the directives of places nothing proxies from, and Resolve
// must not be used on them.
type realipSite struct {
	*nginxconf.RealIP
	Modelled bool
	Passes   positionSet // the proxy_pass of each proxy
	Servers  []*nginxconf.Server
}

// realipConfig is the realip configuration of a pass, read in one walk of
// the places (a fleet has tens of thousands) and shared by TC109, TC110
// and TC402.
type realipConfig struct {
	// sites lists every distinct realip configuration in effect: the
	// server-level one (POST_READ) and the location-level one (PREACCESS)
	// of every proxy, then those of servers and locations that proxy nowhere.
	sites []*realipSite
	// inUse marks the real_ip_header and real_ip_recursive directives that
	// are in effect somewhere together with set_real_ip_from; header is, for
	// the others, the header realip reads where each is first in effect.
	inUse  map[trustmodel.Pos]bool
	header map[trustmodel.Pos]string
}

// realip is the realip configuration, once every part has been checked.
func (p *Pass) realip() *realipConfig {
	if !p.shared.complete {
		panic("rules: realip configuration read before every part was checked")
	}
	sh := p.shared
	sh.realipOnce.Do(func() { sh.realip = sh.realipReader.finish(p.Nginx) })
	return sh.realip
}

func (p *Pass) realipSites() []*realipSite { return p.realip().sites }

// realipReader reads the realip configuration: the proxies' own as each
// part brings them, then that of every place and http context.
type realipReader struct {
	sites []*realipSite
	// Sites by configuration, then by where it is written: nginxconf may
	// share one *RealIP between the proxies that inherit it, and distinct
	// configurations written by the same directives are one site. byPtr
	// holds one call's proxies' configurations: nginxconf makes them anew
	// for each part (BuildProxies).
	byPtr map[*nginxconf.RealIP]*realipSite
	byKey map[realipKey]*realipSite
	kb    realipKeyBuilder
	// servers is a membership set: a fleet shares one realip
	// configuration across thousands of servers, so slices.Contains here
	// would be quadratic.
	servers map[realipServer]bool
	// places are the places of every part, read as their part is checked
	// (a place inheriting what the one before it in its server did changes
	// nothing and is left out) and joined to their sites after the
	// proxies' (finish); inUse and header are realipConfig's, the places'
	// marks.
	places []realipPlace
	inUse  map[trustmodel.Pos]bool
	header map[trustmodel.Pos]string
	// proxies are proxyRanges, which quiet reads; quietKeys are the keys of
	// the quiet configurations met in this part.
	proxies   []netip.Prefix
	quietKeys map[realipKey]bool
}

// realipPlace is a place's site when one had its key as the place was
// read, else the site to make: only a summary of a fleet's places outlives
// its part.
type realipPlace struct {
	site   *realipSite
	make   *realipNewSite
	server *nginxconf.Server
}

// realipNewSite is the key of a place's configuration and the configuration,
// detached from its files.
type realipNewSite struct {
	key    realipKey
	realIP *nginxconf.RealIP
}

type realipServer struct {
	site   *realipSite
	server *nginxconf.Server
}

func newRealipReader(proxies []netip.Prefix) *realipReader {
	return &realipReader{byPtr: map[*nginxconf.RealIP]*realipSite{}, byKey: map[realipKey]*realipSite{}, servers: map[realipServer]bool{},
		inUse: map[trustmodel.Pos]bool{}, header: map[trustmodel.Pos]string{}, proxies: proxies, quietKeys: map[realipKey]bool{}}
}

// quiet reports whether no rule that reads the realip sites can report
// anything of a site with configuration ri, whatever proxies and servers it
// applies to: no entry covers client addresses (TC109), realip walks the
// X-Forwarded-For chain or does not read it (TC110), and the header's
// keyword is not miscased (TC402). Such sites are not kept: a fleet has
// one per server whose realip ranges are its own, and they are mostly
// quiet.
func (r *realipReader) quiet(ri *nginxconf.RealIP) bool {
	if _, wrong := miscased(ri.Header); wrong {
		return false
	}
	if ri.Active() && ri.Mode == nginxconf.RealIPXForwardedFor && !ri.Recursive {
		return false
	}
	for _, f := range ri.From {
		if _, ok := clientAddrIn(f, r.proxies); ok {
			return false
		}
	}
	return true
}

// quietKey is quiet of key k's configuration, ri, remembered for the part.
func (r *realipReader) quietKey(k realipKey, ri *nginxconf.RealIP) bool {
	if r.quietKeys[k] {
		return true
	}
	if r.quiet(ri) {
		r.quietKeys[k] = true
		return true
	}
	return false
}

func (r *realipReader) join(s *realipSite, srv *nginxconf.Server) {
	if srv != nil && !r.servers[realipServer{s, srv}] {
		r.servers[realipServer{s, srv}] = true
		s.Servers = append(s.Servers, srv)
	}
}

// site returns the site of key k, made from newRealIP when it is new.
func (r *realipReader) site(k realipKey, newRealIP func() *nginxconf.RealIP, modelled bool) *realipSite {
	s := r.byKey[k]
	if s == nil {
		s = &realipSite{RealIP: newRealIP(), Modelled: modelled}
		r.byKey[k] = s
		r.sites = append(r.sites, s)
	}
	return s
}

// addProxies reads the configurations proxies apply, in order; it begins
// a part.
func (r *realipReader) addProxies(proxies []*nginxconf.Proxy) {
	clear(r.byPtr)
	clear(r.quietKeys)
	modelled := func(ri *nginxconf.RealIP, px *nginxconf.Proxy) {
		s, seen := r.byPtr[ri]
		if !seen {
			for _, f := range ri.From {
				r.kb.add(f.Pos)
			}
			k := r.kb.key(ri.HeaderPos, ri.RecursivePos)
			if s = r.byKey[k]; s == nil && !r.quietKey(k, ri) {
				s = r.site(k, func() *nginxconf.RealIP { return ri }, true)
			}
			r.byPtr[ri] = s // nil when quiet
		}
		if s != nil {
			s.Passes.add(px.Pos)
			r.join(s, px.Server)
		}
	}
	for _, px := range proxies {
		modelled(px.RealIP, px)
		modelled(px.LocationRealIP, px)
	}
}

// addPlaces reads the realip directives in effect at each place of servers.
func (r *realipReader) addPlaces(servers []*nginxconf.Server) {
	var prev realipDirectives
	var prevServer *nginxconf.Server
	for pl := range serverPlaces(servers) {
		d := pl.realipDirectives()
		if pl.Server == prevServer && prev.equal(d) {
			continue
		}
		prev, prevServer = d, pl.Server
		for _, f := range d.from {
			r.kb.add(f.Pos)
		}
		k := r.kb.key(d.headerPos(), d.recursivePos())
		markRealIP(r.inUse, r.header, d)
		place := realipPlace{site: r.byKey[k], server: pl.Server}
		if place.site == nil {
			if r.quietKeys[k] {
				continue
			}
			ri := d.detachedRealIP()
			if r.quietKey(k, ri) {
				continue
			}
			place.make = &realipNewSite{k, ri}
		}
		r.places = append(r.places, place)
	}
}

// detacher copies the directives a pass keeps past their part out of their
// files: a pointer into a file's directive array holds the whole file (its
// directives, argument lists and text), which lint drops with the part
// otherwise. It is made for one part, in which a directive is always the
// same copy.
type detacher struct {
	dirs map[*nginxconf.Directive]*nginxconf.Directive
}

func newDetacher() *detacher {
	return &detacher{dirs: map[*nginxconf.Directive]*nginxconf.Directive{}}
}

// one is d's copy: name, arguments and position, no block.
func (dt *detacher) one(d *nginxconf.Directive) *nginxconf.Directive {
	c, ok := dt.dirs[d]
	if !ok {
		c = &nginxconf.Directive{Name: strings.Clone(d.Name), Pos: d.Pos, HasBlock: d.HasBlock}
		if len(d.Args) > 0 {
			c.Args = make([]string, len(d.Args))
			for i, a := range d.Args {
				c.Args[i] = strings.Clone(a)
			}
		}
		dt.dirs[d] = c
	}
	return c
}

// finish joins every place to its site, after the proxies', and reads the
// http contexts.
func (r *realipReader) finish(ng *nginxconf.Config) *realipConfig {
	rc := &realipConfig{inUse: r.inUse, header: r.header}
	for _, pl := range r.places {
		s := pl.site
		if s == nil {
			s = r.site(pl.make.key, func() *nginxconf.RealIP { return pl.make.realIP }, false)
		}
		r.join(s, pl.server)
	}
	for _, h := range ng.HTTP {
		d := realipDirectives{
			from:      ownDirectives(h.Directives, "set_real_ip_from"),
			header:    ownDirectives(h.Directives, "real_ip_header"),
			recursive: ownDirectives(h.Directives, "real_ip_recursive"),
		}
		if len(h.Servers) == 0 { // a loose snippet of http-level directives
			for _, f := range d.from {
				r.kb.add(f.Pos)
			}
			r.join(r.site(r.kb.key(d.headerPos(), d.recursivePos()), d.realIP, false), nil)
		}
		markRealIP(rc.inUse, rc.header, d)
	}
	rc.sites = r.sites
	return rc
}

// markRealIP records the real_ip_header and real_ip_recursive directives of
// d in inUse and header (realipConfig's).
func markRealIP(inUse map[trustmodel.Pos]bool, header map[trustmodel.Pos]string, d realipDirectives) {
	h := "X-Real-IP"
	if len(d.header) > 0 {
		h = d.header[0].Arg(0)
	}
	from := len(d.from) > 0
	for _, ds := range [][]*nginxconf.Directive{d.header, d.recursive} {
		for _, d := range ds {
			if inUse[d.Pos] {
				continue
			}
			if from {
				inUse[d.Pos] = true
				delete(header, d.Pos) // read only of directives never in use
			} else if _, ok := header[d.Pos]; !ok {
				header[d.Pos] = strings.Clone(h)
			}
		}
	}
}

// realipKey identifies a realip configuration by where its directives are:
// the distinct set_real_ip_from positions (a host name nginx resolves to
// several addresses is one entry per address in the model, all at the
// directive's position), real_ip_header's and real_ip_recursive's.
type realipKey struct {
	from              string
	header, recursive trustmodel.Pos
}

// realipKeyBuilder collects set_real_ip_from positions for a key, reusing
// its buffers: a fleet asks for a key per proxy and per place.
type realipKeyBuilder struct {
	from []trustmodel.Pos
	buf  []byte
}

func (kb *realipKeyBuilder) add(p trustmodel.Pos) {
	if p.File != "" && !slices.Contains(kb.from, p) {
		kb.from = append(kb.from, p)
	}
}

// key returns the key of the positions added since the last key.
func (kb *realipKeyBuilder) key(header, recursive trustmodel.Pos) realipKey {
	kb.buf = kb.buf[:0]
	for _, p := range kb.from {
		kb.buf = append(kb.buf, p.File...)
		kb.buf = append(kb.buf, 0)
		kb.buf = strconv.AppendInt(kb.buf, int64(p.Line), 10)
		kb.buf = append(kb.buf, 0)
	}
	kb.from = kb.from[:0]
	return realipKey{from: string(kb.buf), header: header, recursive: recursive}
}

// realipDirectives are the realip directives in effect at a place nothing
// proxies from.
type realipDirectives struct {
	from, header, recursive []*nginxconf.Directive
}

// realipDirectives reads the realip directives in effect at the place from
// nginxconf, which keeps where each is inherited from (a lookup per place
// walking to the root would be quadratic in nesting depth).
func (pl nginxPlace) realipDirectives() realipDirectives {
	var d realipDirectives
	if pl.Location != nil {
		d.from, d.header, d.recursive = pl.Location.RealIPDirectives()
	} else {
		d.from, d.header, d.recursive = pl.Server.RealIPDirectives()
	}
	return d
}

func (d realipDirectives) equal(o realipDirectives) bool {
	return slices.Equal(d.from, o.from) && slices.Equal(d.header, o.header) && slices.Equal(d.recursive, o.recursive)
}

func (d realipDirectives) headerPos() trustmodel.Pos {
	if len(d.header) == 0 {
		return trustmodel.Pos{}
	}
	return d.header[0].Pos
}

func (d realipDirectives) recursivePos() trustmodel.Pos {
	if len(d.recursive) == 0 {
		return trustmodel.Pos{}
	}
	return d.recursive[0].Pos
}

// detachedRealIP is realIP with its texts copied out of their files.
func (d realipDirectives) detachedRealIP() *nginxconf.RealIP {
	r := d.realIP()
	r.Header = strings.Clone(r.Header)
	for i := range r.From {
		r.From[i].Text = strings.Clone(r.From[i].Text)
	}
	return r
}

// realIP reads the realip configuration the directives make.
func (d realipDirectives) realIP() *nginxconf.RealIP {
	r := &nginxconf.RealIP{Header: "X-Real-IP"}
	for _, d := range d.from {
		r.From = append(r.From, nginxconf.RealIPFrom{Pos: d.Pos, Text: d.Arg(0), Unix: d.Arg(0) == "unix:"})
	}
	if len(d.header) > 0 {
		r.Header, r.HeaderPos = d.header[0].Arg(0), d.header[0].Pos
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
	if len(d.recursive) > 0 {
		r.Recursive, r.RecursivePos = strings.EqualFold(d.recursive[0].Arg(0), "on"), d.recursive[0].Pos
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
	seen := make(map[trustmodel.Pos]bool, len(ps)) // a fleet's proxy_pass list: slices.Contains would be quadratic
	for _, p := range ps {
		if p.File != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
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
	return "`" + strings.Join(realIPFromLines(ranges), " ") + "`"
}

// realIPFromLines are the set_real_ip_from directives for ranges, each once.
func realIPFromLines(ranges []netip.Prefix) []string {
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
	return lines
}
