package nginxconf

import (
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Config is the semantic model of everything Load read.
type Config struct {
	// Version is the nginx version whose behaviour the model follows.
	Version Version
	// Files are every file read, in the order reading began.
	Files []*File
	// HTTP holds each http{} context. Files without an http block (loose
	// snippets, conf.d files loaded on their own) share one implicit
	// context, as they would when included into the same http{}.
	HTTP []*HTTP
	// Servers are every server{} of every http context, in file order,
	// including the implicit servers of loose snippets.
	Servers []*Server
	// Warnings are things nginx would warn about or the model cannot
	// follow; they never stop the load.
	Warnings []Diagnostic

	proxies  []*Proxy
	comments map[string][]Comment
	setNames map[string]bool
	// realIPs holds one *RealIP per distinct set of levels its directives
	// come from: a fleet inherits one configuration in thousands of places.
	// The servers' builders share it while they run in parallel (realIPMu).
	realIPs  map[realipKey]*RealIP
	realIPMu sync.Mutex
	// headers holds each compiled proxy_set_header table once, for every
	// place that sees the same directives (finishProxy); directiveIDs
	// numbers the directives their keys name.
	headers         map[headersKey]*sharedHeaders
	directiveIDs    map[*Directive]uint32
	headersMu       sync.Mutex
	headersPerPlace bool // LoadOptions.headersPerPlace
	// regexps holds each distinct location or map regex compiled
	// once (*builder.compile): a fleet repeats the same location regex in
	// thousands of servers, whose builders share it.
	regexps sync.Map // string -> compiledRegexp
	// deferredErrs are what BuildProxies found wrong (DeferProxies).
	deferredErrs []Diagnostic
	deferredMu   sync.Mutex
}

func newConfig(v Version, files []*File) *Config {
	c := &Config{Version: v, Files: files, comments: map[string][]Comment{}, realIPs: map[realipKey]*RealIP{},
		headers: map[headersKey]*sharedHeaders{}, directiveIDs: map[*Directive]uint32{}}
	for _, f := range files {
		if len(f.Comments) > 0 {
			c.comments[f.Path] = f.Comments
		}
	}
	return c
}

// Proxies returns every place that passes requests to an app, in file order.
func (c *Config) Proxies() []*Proxy { return c.proxies }

// Comments returns the comments of one file (as named in positions).
func (c *Config) Comments(file string) []Comment { return c.comments[file] }

// CommentsAt returns the comments on one line of a file.
func (c *Config) CommentsAt(file string, line int) []Comment {
	cs := c.comments[file]
	i := sort.Search(len(cs), func(i int) bool { return cs[i].Pos.Line >= line })
	var out []Comment
	for ; i < len(cs) && cs[i].Pos.Line == line; i++ {
		out = append(out, cs[i])
	}
	return out
}

// Upstreams returns the upstream blocks of every http context.
func (c *Config) Upstreams() []*Upstream {
	var out []*Upstream
	for _, h := range c.HTTP {
		out = append(out, h.Upstreams...)
	}
	return out
}

// LimitZones returns every limit_req_zone / limit_conn_zone.
func (c *Config) LimitZones() []*LimitZone {
	var out []*LimitZone
	for _, h := range c.HTTP {
		out = append(out, h.LimitZones...)
	}
	return out
}

// HTTP is one http{} context (or the implicit one of loose snippets).
type HTTP struct {
	Pos      trustmodel.Pos
	Implicit bool
	// Directives are the http-level directives (server blocks excluded).
	Directives []*Directive
	Servers    []*Server
	Upstreams  []*Upstream
	Maps       []*Map
	Geos       []*Geo
	LimitZones []*LimitZone

	sc      *scope
	mapsBy  map[string]*Map
	geosBy  map[string]*Geo
	upsBy   map[string]*Upstream
	splitBy map[string]*Directive
}

// Server is one server{} block.
type Server struct {
	Pos trustmodel.Pos
	// Implicit: no server{} was written; a loose snippet's top-level
	// locations or server directives were wrapped in one.
	Implicit bool
	HTTP     *HTTP
	Listens  []Listen
	// Names are the server_name arguments, in order (lowercased as nginx
	// stores them; regexes keep their "~").
	Names []string
	// NamePos is where the first server_name is.
	NamePos trustmodel.Pos
	// Locations are the top-level locations in order, named ones included.
	Locations []*Location
	// Ifs are the server-level if blocks.
	Ifs []*Location
	// Directives are the server-level directives (location and if blocks
	// excluded).
	Directives []*Directive
	// SSLOn is an "ssl on;" directive (removed in nginx 1.25.1), if any.
	SSLOn *Directive
	// SSLProtocols is the effective ssl_protocols (server or http level).
	SSLProtocols *Directive
	// UnderscoresInHeaders is the effective underscores_in_headers.
	UnderscoresInHeaders bool

	// (the flags side by side: a fleet holds a Server per server)
	catchAll bool
	// implicitLocation marks the location of a loose proxy_pass.
	implicitLocation bool
	sc               *scope
	defaultFor       []string
	rewrites         map[*Directive]*regexp.Regexp
	// body is the server block until its places are built (buildPlaces).
	body []*Directive
	// packed is the server's packed block (DeferProxies), decoded for its
	// facts and again for its part.
	packed *packedBody
}

// ServerName is $server_name: the first name ("" when none).
func (s *Server) ServerName() string {
	if len(s.Names) == 0 {
		return ""
	}
	n := s.Names[0]
	if !strings.HasPrefix(n, "~") {
		n = strings.TrimPrefix(n, ".")
	}
	return n
}

// DefaultFor lists the listen sockets ("addr:port") this server is the
// default server of: it gets every request whose Host matches no name.
func (s *Server) DefaultFor() []string { return s.defaultFor }

// CatchAllName reports a server_name that matches any Host: a regex that
// accepts every name (~.*, ~^.+$, ...). "_" and "" only look like catch-alls:
// nginx matches them literally, so such a server catches everything only when
// it is a default server.
func (s *Server) CatchAllName() bool { return s.catchAll }

// AcceptsAnyHost reports whether a client can reach this server with a Host
// of its choosing: it is a default server or has a catch-all name. $host is
// then client-chosen.
func (s *Server) AcceptsAnyHost() bool { return s.catchAll || len(s.defaultFor) > 0 }

// SSL reports whether any listen has ssl (or "ssl on;" applies).
func (s *Server) SSL() bool {
	if s.SSLOn != nil {
		return true
	}
	for _, l := range s.Listens {
		if l.SSL {
			return true
		}
	}
	return false
}

// Plain reports whether any listen accepts plain HTTP.
func (s *Server) Plain() bool {
	if s.SSLOn != nil {
		return false
	}
	for _, l := range s.Listens {
		if !l.SSL && !l.QUIC {
			return true
		}
	}
	return false
}

// Location is a location{} block, or an if{} / limit_except{} block, which
// nginx handles as an implicit nested location.
type Location struct {
	Pos trustmodel.Pos
	// Modifier is "" (prefix), "=", "^~", "~", "~*", "@" (named), or "if"
	// and "limit_except" for those blocks.
	Modifier string
	// Match is the URI, regex or @name; for if, the condition as written; for
	// limit_except, the methods.
	Match string
	// Condition is the if condition's arguments (parentheses removed).
	Condition []string
	Implicit  bool
	Server    *Server
	// Parent is the enclosing location (nil at server level). For an if
	// block it is the location the if is in (nil for a server-level if).
	Parent *Location
	// Locations are the nested locations, in order.
	Locations []*Location
	// Ifs are the if and limit_except blocks directly inside.
	Ifs []*Location
	// Directives are this block's own directives (nested blocks excluded).
	Directives []*Directive
	// Proxy is the place this location passes requests to an app, or nil.
	// An if block that has no proxy_pass of its own has its location's
	// Proxy (the same value; nginx inherits the upstream into it). A
	// location without a pass directive that hands requests on through
	// try_files (to @app or a URI) or "rewrite ... last" has the Proxy of
	// the location they end up in, and Redirect names that directive.
	Proxy    *Proxy
	Redirect *Directive

	re *regexp.Regexp
	sc *scope
}

// IsIf reports whether this is an if{} or limit_except{} block.
func (l *Location) IsIf() bool { return l.Modifier == "if" || l.Modifier == "limit_except" }

// Named reports a named location (@name).
func (l *Location) Named() bool { return l.Modifier == "@" }

func (l *Location) String() string {
	switch l.Modifier {
	case "":
		return "location " + l.Match
	case "@":
		return "location " + l.Match
	case "if":
		return "if (" + l.Match + ")"
	case "limit_except":
		return "limit_except " + l.Match
	}
	return "location " + l.Modifier + " " + l.Match
}

// Listen is one listen directive.
type Listen struct {
	Pos trustmodel.Pos
	// Raw is the address argument as written.
	Raw string
	// Addr is the IP address ("" for a wildcard), a host name, or
	// "unix:/path".
	Addr string
	// Port is the TCP port (0 for a UNIX socket).
	Port          int
	IPv6          bool
	Unix          bool
	Hostname      bool
	SSL           bool
	HTTP2         bool
	QUIC          bool
	DefaultServer bool
	ProxyProtocol bool
	// Implicit: the server has no listen; nginx listens on *:80.
	Implicit bool
}

// Socket is the listening socket this listen shares with other servers,
// e.g. "*:80", "[::]:443", "127.0.0.1:8080", "unix:/run/x.sock".
func (l Listen) Socket() string {
	if l.Unix {
		return l.Addr
	}
	a := l.Addr
	switch {
	case a == "" && l.IPv6:
		a = "[::]"
	case a == "":
		a = "*"
	case l.IPv6:
		a = "[" + a + "]"
	}
	return a + ":" + itoa(l.Port)
}

// Upstream is an upstream{} block.
type Upstream struct {
	Pos     trustmodel.Pos
	Name    string
	Servers []UpstreamServer
}

// UpstreamServer is one server line of an upstream block.
type UpstreamServer struct {
	Pos    trustmodel.Pos
	Target Target
	Backup bool
	Down   bool
	Params []string
}

// Map is a map{} block.
type Map struct {
	Pos       trustmodel.Pos
	Source    string // the source value as written, e.g. "$http_x_forwarded_proto"
	Variable  string // the defined variable, without "$"
	Hostnames bool
	Volatile  bool
	Entries   []MapEntry
	// Default is the default entry, if written.
	Default *MapEntry
}

// MapEntry is one line of a map.
type MapEntry struct {
	Pos   trustmodel.Pos
	Key   string // as written ("~*^https$" for a regex)
	Value string
	// Regex / CaseInsensitive for "~" and "~*" keys.
	Regex           bool
	CaseInsensitive bool
	re              *regexp.Regexp
}

// Geo is a geo{} block.
type Geo struct {
	Pos      trustmodel.Pos
	Source   string // "$remote_addr" unless given
	Variable string
	Ranges   bool
	// Proxies are the "proxy" entries: with them the address comes from
	// X-Forwarded-For when the peer is one of them.
	Proxies        []RealIPFrom
	ProxyRecursive bool
	Entries        []GeoEntry
	Default        *GeoEntry
}

// GeoEntry is one network (or range) and its value.
type GeoEntry struct {
	Pos   trustmodel.Pos
	Key   string
	Value string
	c     cidr
	lo    [16]byte
	hi    [16]byte
	isV6  bool
	ok    bool
}

// LimitZone is a limit_req_zone or limit_conn_zone.
type LimitZone struct {
	Pos  trustmodel.Pos
	Kind string // "limit_req_zone" or "limit_conn_zone"
	// KeyText is the key as written; Key its value as an expression.
	KeyText string
	Key     trustmodel.Expr
	Zone    string
}

// ---------------------------------------------------------------------------
// scopes: the http -> server -> location -> nested location / if chain

type scopeKind int

const (
	kindHTTP scopeKind = iota
	kindServer
	kindLocation
	kindIf
	kindLimitExcept
)

func (k scopeKind) String() string {
	switch k {
	case kindHTTP:
		return "http"
	case kindServer:
		return "server"
	case kindIf:
		return "if"
	case kindLimitExcept:
		return "limit_except"
	}
	return "location"
}

type scope struct {
	kind   scopeKind
	dirs   []*Directive // every direct child, blocks included
	parent *scope
	http   *HTTP
	server *Server
	loc    *Location
	blocks map[*Directive]*Location // if / location children by their directive
	// inherited is the level each of inheritedNames comes from (nil: none),
	// computed once per scope from its parent's so that lookups done for
	// every location stay linear in nesting depth; see levels.
	inherited     [len(inheritedNames)]*scope
	inheritedDone bool
	// inheritedDirs holds, on a level that sets any of inheritedNames,
	// its own directives of each (inheritedOwn): thousands of places read
	// the realip settings of one http{}.
	inheritedDirs *[len(inheritedNames)][]*Directive
	// byName indexes dirs by name once a level holds more than
	// indexedLevel directives: an http{} with an upstream or limit zone per
	// server would otherwise be scanned whole by every lookup of every
	// location that reaches it.
	byNameOnce sync.Once
	byName     map[string][]int
	// sets: a set directive here or in an if / limit_except block below
	// (noteSets, once the level is built), so the rewrite flow runs here.
	sets bool
	// locs indexes the level's locations once it has many (findLocation).
	locsOnce sync.Once
	locs     *locationIndex
}

const indexedLevel = 32

// inheritedNames are directives looked up for every location, each merged
// on its own. nginx refuses the realip directives in if and limit_except
// blocks, so those levels never set them.
var inheritedNames = [...]struct {
	name string
	inIf bool
}{
	{"set_real_ip_from", false},
	{"real_ip_header", false},
	{"real_ip_recursive", false},
	{"passenger_enabled", true},
}

// Indexes into inheritedNames.
const (
	inheritRealIPFrom = iota
	inheritRealIPHeader
	inheritRealIPRecursive
	inheritPassenger
)

// levels returns, for each of inheritedNames, the closest level at or
// above sc that sets it. serverProxies computes it for every scope while
// the build is single-threaded per server, so later readers never write.
func (sc *scope) levels() [len(inheritedNames)]*scope {
	if sc.inheritedDone {
		return sc.inherited
	}
	var lv [len(inheritedNames)]*scope
	if sc.parent != nil {
		lv = sc.parent.levels()
	}
	isIf := sc.kind == kindIf || sc.kind == kindLimitExcept
	for i, n := range inheritedNames {
		if (n.inIf || !isIf) && sc.ownFirst(n.name) != nil {
			lv[i] = sc
			if sc.inheritedDirs == nil {
				sc.inheritedDirs = new([len(inheritedNames)][]*Directive)
			}
			sc.inheritedDirs[i] = slices.Clip(sc.own(n.name))
		}
	}
	sc.inherited, sc.inheritedDone = lv, true
	return lv
}

// inheritedOwn returns the directives named inheritedNames[i] in effect at sc.
func (sc *scope) inheritedOwn(i int) []*Directive {
	if lv := sc.levels()[i]; lv != nil {
		return lv.inheritedDirs[i]
	}
	return nil
}

// realipKey identifies a realip configuration by the levels its three
// directives come from.
type realipKey [3]*scope

func (sc *scope) realipKey() realipKey {
	lv := sc.levels()
	return realipKey{lv[inheritRealIPFrom], lv[inheritRealIPHeader], lv[inheritRealIPRecursive]}
}

// RealIPDirectives returns the set_real_ip_from, real_ip_header and
// real_ip_recursive directives in effect in this location.
func (l *Location) RealIPDirectives() (from, header, recursive []*Directive) {
	return l.sc.inheritedOwn(inheritRealIPFrom), l.sc.inheritedOwn(inheritRealIPHeader), l.sc.inheritedOwn(inheritRealIPRecursive)
}

// RealIPDirectives returns the server-level realip directives in effect.
func (s *Server) RealIPDirectives() (from, header, recursive []*Directive) {
	return s.sc.inheritedOwn(inheritRealIPFrom), s.sc.inheritedOwn(inheritRealIPHeader), s.sc.inheritedOwn(inheritRealIPRecursive)
}

// addBlock records the location or if block a child directive opens.
func (sc *scope) addBlock(d *Directive, l *Location) {
	if sc.blocks == nil {
		sc.blocks = map[*Directive]*Location{}
	}
	sc.blocks[d] = l
}

// noteSets records whether the level's rewrite flow can set a variable;
// its if and limit_except blocks are built (and noted) before it.
func (sc *scope) noteSets() {
	for _, d := range sc.dirs {
		if l := sc.blocks[d]; d.Name == "set" || l != nil && l.IsIf() && l.sc.sets {
			sc.sets = true
			return
		}
	}
}

// own returns this level's directives with any of the names, in order.
func (sc *scope) own(names ...string) []*Directive {
	var out []*Directive
	if len(sc.dirs) > indexedLevel {
		at := sc.index()[names[0]]
		if len(names) > 1 {
			at = slices.Clone(at)
			for _, n := range names[1:] {
				at = append(at, sc.index()[n]...)
			}
			slices.Sort(at)
		}
		if len(at) > 0 {
			out = make([]*Directive, len(at))
			for k, i := range at {
				out[k] = sc.dirs[i]
			}
		}
		return out
	}
	for _, d := range sc.dirs {
		for _, n := range names {
			if d.Name == n {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

func (sc *scope) ownFirst(name string) *Directive {
	if len(sc.dirs) > indexedLevel {
		if at := sc.index()[name]; len(at) > 0 {
			return sc.dirs[at[0]]
		}
		return nil
	}
	for _, d := range sc.dirs {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// index maps each directive name of a large level to its positions in dirs.
func (sc *scope) index() map[string][]int {
	sc.byNameOnce.Do(func() {
		sc.byName = map[string][]int{}
		for i, d := range sc.dirs {
			sc.byName[d.Name] = append(sc.byName[d.Name], i)
		}
	})
	return sc.byName
}

// nearest is nginx's array-merge rule: the directives of the closest level
// (this one, then outward) that has any of the names; levels whose kind is
// in skip are passed over (the directive is not allowed there).
func (sc *scope) nearest(skipIf bool, names ...string) ([]*Directive, *scope) {
	for s := sc; s != nil; s = s.parent {
		if skipIf && (s.kind == kindIf || s.kind == kindLimitExcept) {
			continue
		}
		if ds := s.own(names...); len(ds) > 0 {
			return ds, s
		}
	}
	return nil, nil
}

// nearestOne is the scalar merge rule (ngx_conf_merge_*_value): the first
// occurrence at the closest level that sets it.
func (sc *scope) nearestOne(skipIf bool, name string) *Directive {
	ds, _ := sc.nearest(skipIf, name)
	if len(ds) == 0 {
		return nil
	}
	return ds[0]
}

func (sc *scope) levelName() string { return sc.kind.String() }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// AccessRule is one allow or deny.
type AccessRule struct {
	Pos   trustmodel.Pos
	Allow bool
	// Addr is the argument: an address, a CIDR, "unix:" or "all".
	Addr string
}

// Access returns the allow/deny rules in effect in this location (the
// closest level that has any, as ngx_http_access_module merges them).
// nginx checks them against $remote_addr after realip.
func (l *Location) Access() []AccessRule { return accessRules(l.sc) }

// Admits is ngx_http_access_module's decision for a client at addr: the
// first rule that matches it, allow when none does. An IPv4-mapped address
// is checked as IPv4, as nginx does.
func Admits(rules []AccessRule, addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return true
	}
	a = a.Unmap()
	for _, r := range rules {
		if r.Addr == "all" {
			return r.Allow
		}
		pfx, err := netip.ParsePrefix(r.Addr)
		if err != nil {
			ra, aerr := netip.ParseAddr(r.Addr)
			if aerr != nil {
				continue // unix: matches no TCP client
			}
			pfx = netip.PrefixFrom(ra, ra.BitLen())
		}
		if pfx.Masked().Contains(a) {
			return r.Allow
		}
	}
	return true
}

// AdmittedAddr is an address of the first allowed range that the rules
// admit ("" when they admit none): where a client must be to be served.
func AdmittedAddr(rules []AccessRule) string {
	for _, r := range rules {
		if !r.Allow || r.Addr == "all" {
			continue
		}
		pfx, err := netip.ParsePrefix(r.Addr)
		if err != nil {
			a, aerr := netip.ParseAddr(r.Addr)
			if aerr != nil {
				continue
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		a := pfx.Masked().Addr()
		for i := 0; i < 5 && pfx.Contains(a.Next()) && pfx.Bits() < a.BitLen(); i++ {
			a = a.Next() // a host address, not the network's
		}
		if Admits(rules, a.String()) {
			return a.String()
		}
	}
	return ""
}

// Access returns the server-level allow/deny rules in effect.
func (s *Server) Access() []AccessRule { return accessRules(s.sc) }

func accessRules(sc *scope) []AccessRule {
	ds, _ := sc.nearest(false, "allow", "deny")
	var out []AccessRule
	for _, d := range ds {
		out = append(out, AccessRule{Pos: d.Pos, Allow: d.Name == "allow", Addr: d.Arg(0)})
	}
	return out
}

// Effective returns the directives named name in effect in this location
// under nginx's array-merge rule (the closest level that has any).
func (l *Location) Effective(name string) []*Directive {
	ds, _ := l.sc.nearest(false, name)
	return ds
}

// Effective returns the server-level directives named name in effect.
func (s *Server) Effective(name string) []*Directive {
	ds, _ := s.sc.nearest(false, name)
	return ds
}
