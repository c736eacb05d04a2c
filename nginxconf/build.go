package nginxconf

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/trustcheck/trustcheck/internal/parallel"
	"github.com/trustcheck/trustcheck/trustmodel"
)

type builder struct {
	cfg      *Config
	errs     []Diagnostic
	warns    []Diagnostic
	proxies  []*Proxy
	shared   *HTTP
	setNames map[string]bool
	quiet    bool // queries after loading: no new diagnostics
	// deferPlaces leaves each server's locations and if blocks to
	// buildPlaces (DeferProxies), its set variables noted beforehand.
	deferPlaces bool
	// setsOf's server-level set flow (serverSets).
	setsOf *Server
	sets   map[string]trustmodel.Expr
}

type compiledRegexp struct {
	re  *regexp.Regexp
	err error
}

// compile compiles a regular expression once per configuration; a
// *regexp.Regexp is safe to share.
func (b *builder) compile(expr string) (*regexp.Regexp, error) {
	if c, ok := b.cfg.regexps.Load(expr); ok {
		return c.(compiledRegexp).re, c.(compiledRegexp).err
	}
	re, err := regexp.Compile(expr)
	b.cfg.regexps.Store(expr, compiledRegexp{re, err})
	return re, err
}

func (b *builder) warn(pos trustmodel.Pos, format string, args ...any) {
	if b.quiet {
		return
	}
	b.warns = append(b.warns, Diagnostic{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) fail(pos trustmodel.Pos, format string, args ...any) {
	if b.quiet {
		return
	}
	b.errs = append(b.errs, Diagnostic{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// passModules maps the directives that hand a request to an app.
var passModules = map[string]string{
	"proxy_pass": "proxy", "fastcgi_pass": "fastcgi", "uwsgi_pass": "uwsgi",
	"scgi_pass": "scgi", "grpc_pass": "grpc",
}

// httpOnly directives belong to the http level when a loose snippet has
// them at its top level next to server-level ones.
var httpOnly = map[string]bool{
	"server": true, "upstream": true, "map": true, "geo": true, "split_clients": true,
	"limit_req_zone": true, "limit_conn_zone": true, "log_format": true,
	"proxy_cache_path": true, "fastcgi_cache_path": true, "uwsgi_cache_path": true, "scgi_cache_path": true,
	"variables_hash_max_size": true, "variables_hash_bucket_size": true,
	"map_hash_max_size": true, "map_hash_bucket_size": true,
	"server_names_hash_max_size": true, "server_names_hash_bucket_size": true,
	"types": true, "lua_shared_dict": true, "lua_package_path": true, "init_by_lua_block": true,
	"js_import": true, "js_path": true, "geoip_country": true, "geoip_city": true, "geoip2": true,
	"events": true, "stream": true, "mail": true, "user": true, "worker_processes": true, "pid": true,
}

// serverLevel directives make a loose snippet a server body.
var serverLevel = map[string]bool{
	"location": true, "if": true, "listen": true, "server_name": true, "return": true,
	"rewrite": true, "set": true, "try_files": true,
}

// build builds the model, and every server's proxies unless deferProxies
// (see LoadOptions.DeferProxies). A configuration that fails to load has
// them built anyway, so that the error names what they find wrong too.
func (b *builder) build(roots []*expandedRoot, deferProxies bool) {
	b.deferPlaces = deferProxies
	b.setNames = map[string]bool{}
	b.cfg.setNames = b.setNames
	for _, r := range roots {
		top := r.dirs
		hasHTTP := false
		for _, d := range top {
			if d.Name == "http" && d.HasBlock {
				hasHTTP = true
			}
		}
		if hasHTTP {
			for _, d := range top {
				switch {
				case d.Name == "http" && d.HasBlock:
					h := &HTTP{Pos: d.Pos}
					b.addHTTP(h)
					b.fillHTTP(h, d.Block)
				case d.Name == "server" && d.HasBlock:
					b.warn(d.Pos, `"server" outside http{}: modelled as part of the implicit http context`)
					b.fillHTTP(b.sharedHTTP(d.Pos), []*Directive{d})
				}
			}
			continue
		}
		b.looseRoot(r, top)
	}
	for _, h := range b.cfg.HTTP {
		b.httpObjects(h)
	}
	for _, s := range b.cfg.Servers {
		if s.packed == nil {
			b.serverFacts(s)
			continue
		}
		s.setBody(s.packed.decode())
		b.serverFacts(s)
		s.SSLOn, s.SSLProtocols = detached(s.SSLOn), detached(s.SSLProtocols)
		s.dropBody()
	}
	b.defaultServers()
	for _, h := range b.cfg.HTTP {
		h.sc.levels() // shared by every server: computed before the workers read it
	}
	if deferProxies && len(b.errs) == 0 {
		return
	}
	b.cfg.proxies = b.serversProxies(b.cfg.Servers)
}

func (b *builder) addHTTP(h *HTTP) {
	h.sc = &scope{kind: kindHTTP, http: h}
	h.mapsBy = map[string]*Map{}
	h.geosBy = map[string]*Geo{}
	h.upsBy = map[string]*Upstream{}
	h.splitBy = map[string]*Directive{}
	b.cfg.HTTP = append(b.cfg.HTTP, h)
}

func (b *builder) sharedHTTP(pos trustmodel.Pos) *HTTP {
	if b.shared == nil {
		b.shared = &HTTP{Pos: trustmodel.Pos{File: pos.File}, Implicit: true}
		b.addHTTP(b.shared)
	}
	return b.shared
}

// looseRoot models a file without http{}: a conf.d file (server blocks,
// upstreams, maps), a server body (locations, listen, ...) or a location
// body (proxy_pass, proxy_set_header, ...).
func (b *builder) looseRoot(r *expandedRoot, top []*Directive) {
	if len(top) == 0 {
		return
	}
	pos := top[0].Pos
	h := b.sharedHTTP(pos)
	hasPass, hasServer := false, false
	for _, d := range top {
		if _, ok := passModules[d.Name]; ok {
			hasPass = true
		}
		if d.Name == "passenger_enabled" {
			hasPass = true
		}
		if serverLevel[d.Name] {
			hasServer = true
		}
	}
	if !hasPass && !hasServer {
		b.fillHTTP(h, top)
		return
	}
	var httpDirs, rest []*Directive
	for _, d := range top {
		if httpOnly[d.Name] {
			httpDirs = append(httpDirs, d)
		} else {
			rest = append(rest, d)
		}
	}
	b.fillHTTP(h, httpDirs)
	body := rest
	if hasPass {
		body = []*Directive{{Name: "location", Args: []string{"/"}, Pos: pos, HasBlock: true, Block: rest}}
	}
	s := b.buildServer(h, &Directive{Name: "server", Pos: pos, HasBlock: true, Block: body}, true)
	s.implicitLocation = hasPass
	if len(s.Locations) == 1 && s.implicitLocation {
		s.Locations[0].Implicit = true
	}
	b.warn(trustmodel.Pos{File: pos.File}, "no server{} around these directives: modelled as an implicit server (a snippet meant to be included)")
}

func (b *builder) fillHTTP(h *HTTP, dirs []*Directive) {
	for _, d := range dirs {
		if d.Name == "server" && d.HasBlock {
			b.buildServer(h, d, false)
			continue
		}
		h.sc.dirs = append(h.sc.dirs, d)
		h.Directives = append(h.Directives, d)
	}
}

func (b *builder) buildServer(h *HTTP, d *Directive, implicit bool) *Server {
	s := &Server{Pos: d.Pos, Implicit: implicit, HTTP: h}
	s.setBody(d.body())
	if b.deferPlaces {
		b.noteSetsIn(s.body, true)
		if d.packed != nil {
			// decoded again for its facts and for its part
			s.packed = d.packed
			s.dropBody()
		}
	} else {
		b.buildPlaces(s)
	}
	h.Servers = append(h.Servers, s)
	b.cfg.Servers = append(b.cfg.Servers, s)
	return s
}

// setBody makes body the server's block, its places not yet built.
func (s *Server) setBody(body []*Directive) {
	s.body = body
	s.sc = &scope{kind: kindServer, parent: s.HTTP.sc, http: s.HTTP, server: s, dirs: body}
	s.Directives = nil
	for _, c := range body {
		if !c.HasBlock || c.Name != "location" && c.Name != "if" {
			s.Directives = append(s.Directives, c)
		}
	}
}

// dropBody forgets a packed server's decoded block until its part.
func (s *Server) dropBody() {
	s.body, s.sc, s.Directives = nil, nil, nil
}

// detached is a copy of d that holds no block and no text of the file's.
func detached(d *Directive) *Directive {
	if d == nil {
		return nil
	}
	c := *d
	c.Name = strings.Clone(d.Name)
	c.Args = make([]string, len(d.Args))
	for i, a := range d.Args {
		c.Args[i] = strings.Clone(a)
	}
	c.Block, c.packed = nil, nil
	return &c
}

// buildPlaces builds a server's locations and if blocks.
func (b *builder) buildPlaces(s *Server) {
	for _, c := range s.body {
		switch {
		case c.Name == "location" && c.HasBlock:
			if l := b.buildLocation(s, nil, s.sc, c); l != nil {
				s.Locations = append(s.Locations, l)
				s.sc.addBlock(c, l)
			}
		case c.Name == "if" && c.HasBlock:
			l := b.buildIf(s, nil, s.sc, c, "if")
			s.Ifs = append(s.Ifs, l)
			s.sc.addBlock(c, l)
		default:
			b.noteSet(c)
		}
	}
	s.sc.noteSets()
	s.body = nil
	if len(s.Locations) == 1 && s.implicitLocation {
		s.Locations[0].Implicit = true
	}
	for _, name := range []string{"more_set_input_headers", "more_clear_input_headers"} {
		for _, d := range allDirectives(s.sc, name) {
			b.warn(d.Pos, "%s changes request headers before they are forwarded; the model does not follow it", name)
		}
	}
}

// noteSetsIn notes the set variables of a server's (inServer) or a
// location's body as building its places would: a configuration's set
// variables are known before any server's places are built.
func (b *builder) noteSetsIn(body []*Directive, inServer bool) {
	for _, c := range body {
		switch {
		case c.Name == "location" && c.HasBlock:
			if _, _, err := parseLocationArgs(c.Args); err == "" {
				b.noteSetsIn(c.Block, false)
			}
		case c.Name == "if" && c.HasBlock, c.Name == "limit_except" && c.HasBlock && !inServer:
			b.noteSetsIn(c.Block, false)
		default:
			b.addSetName(c)
		}
	}
}

// noteSet notes the variable a set directive sets, unless the set
// variables were noted beforehand (noteSetsIn): with deferPlaces, builders
// build places in parallel.
func (b *builder) noteSet(d *Directive) {
	if !b.deferPlaces {
		b.addSetName(d)
	}
}

func (b *builder) addSetName(d *Directive) {
	if d.Name == "set" && len(d.Args) >= 1 {
		b.setNames[strings.ToLower(strings.TrimPrefix(d.Args[0], "$"))] = true
	}
}

// parseLocationArgs is ngx_http_core_location's reading of the arguments.
func parseLocationArgs(args []string) (mod, match string, err string) {
	switch len(args) {
	case 2:
		switch args[0] {
		case "=", "^~", "~", "~*":
			return args[0], args[1], ""
		}
		return "", "", fmt.Sprintf("invalid location modifier %q", args[0])
	case 1:
		n := args[0]
		switch {
		case strings.HasPrefix(n, "="):
			return "=", n[1:], ""
		case strings.HasPrefix(n, "^~"):
			return "^~", n[2:], ""
		case strings.HasPrefix(n, "~*"):
			return "~*", n[2:], ""
		case strings.HasPrefix(n, "~"):
			return "~", n[1:], ""
		case strings.HasPrefix(n, "@"):
			return "@", n, ""
		}
		return "", n, ""
	}
	return "", "", `invalid number of arguments in "location" directive`
}

func (b *builder) buildLocation(s *Server, parent *Location, psc *scope, d *Directive) *Location {
	mod, match, err := parseLocationArgs(d.Args)
	if err != "" {
		b.fail(d.Pos, "%s", err)
		return nil
	}
	l := &Location{Pos: d.Pos, Modifier: mod, Match: match, Server: s, Parent: parent}
	if mod == "~" || mod == "~*" {
		expr := match
		if mod == "~*" {
			expr = "(?i)" + expr
		}
		re, rerr := b.compile(expr)
		if rerr != nil {
			b.warn(d.Pos, "location regex %q uses syntax Go's RE2 engine lacks (PCRE-only); the model never selects this location", match)
		}
		l.re = re
	}
	if parent != nil {
		switch {
		case parent.Modifier == "=":
			b.warn(d.Pos, "location %q cannot be inside the exact location %q (nginx refuses this)", match, parent.Match)
		case parent.Modifier == "@":
			b.warn(d.Pos, "location %q cannot be inside the named location %q (nginx refuses this)", match, parent.Match)
		case mod == "@":
			b.warn(d.Pos, "named location %q can be on the server level only (nginx refuses this)", match)
		case l.re == nil && mod != "~" && mod != "~*" && !strings.HasPrefix(match, parent.Match) && parent.re == nil:
			b.warn(d.Pos, "location %q is outside location %q (nginx refuses this)", match, parent.Match)
		}
	}
	l.sc = &scope{kind: kindLocation, parent: psc, http: s.HTTP, server: s, loc: l}
	b.fillLocation(s, l, d.Block)
	return l
}

func (b *builder) fillLocation(s *Server, l *Location, body []*Directive) {
	l.sc.dirs = body
	for _, c := range body {
		switch {
		case c.Name == "location" && c.HasBlock:
			if l.IsIf() {
				b.warn(c.Pos, `"location" directive is not allowed inside %s (nginx refuses this)`, l.Modifier)
			}
			if n := b.buildLocation(s, l, l.sc, c); n != nil {
				l.Locations = append(l.Locations, n)
				l.sc.addBlock(c, n)
			}
		case (c.Name == "if" || c.Name == "limit_except") && c.HasBlock:
			if l.IsIf() && c.Name == "if" {
				b.warn(c.Pos, `"if" inside %s is not allowed (nginx refuses this)`, l.Modifier)
			}
			n := b.buildIf(s, l, l.sc, c, c.Name)
			l.Ifs = append(l.Ifs, n)
			l.sc.addBlock(c, n)
		default:
			l.Directives = append(l.Directives, c)
			b.noteSet(c)
		}
	}
	l.sc.noteSets()
}

// buildIf builds an if or limit_except block: nginx runs it as an implicit
// location nested in loc (or in the server for a server-level if).
func (b *builder) buildIf(s *Server, loc *Location, psc *scope, d *Directive, kind string) *Location {
	l := &Location{Pos: d.Pos, Modifier: kind, Match: strings.Join(d.Args, " "), Server: s, Parent: loc}
	k := kindIf
	if kind == "limit_except" {
		k = kindLimitExcept
	} else {
		l.Condition = append([]string(nil), d.Args...)
	}
	l.sc = &scope{kind: k, parent: psc, http: s.HTTP, server: s, loc: l}
	b.fillLocation(s, l, d.Block)
	return l
}

// ---------------------------------------------------------------------------
// http-level objects: upstream, map, geo, limit zones

func (b *builder) httpObjects(h *HTTP) {
	for _, d := range h.sc.dirs {
		switch d.Name {
		case "upstream":
			b.upstream(h, d)
		case "map":
			b.mapBlock(h, d)
		case "geo":
			b.geoBlock(h, d)
		case "split_clients":
			if len(d.Args) >= 2 {
				h.splitBy[strings.ToLower(strings.TrimPrefix(d.Args[1], "$"))] = d
			}
		}
	}
	e := &env{b: b, http: h}
	for _, d := range h.sc.dirs {
		if d.Name != "limit_req_zone" && d.Name != "limit_conn_zone" {
			continue
		}
		if len(d.Args) < 2 {
			b.fail(d.Pos, "invalid number of arguments in %q directive", d.Name)
			continue
		}
		z := &LimitZone{Pos: d.Pos, Kind: d.Name, KeyText: d.Args[0], Key: e.compile(d.Args[0])}
		for _, a := range d.Args[1:] {
			if strings.HasPrefix(a, "zone=") {
				z.Zone, _, _ = strings.Cut(a[len("zone="):], ":")
			}
		}
		h.LimitZones = append(h.LimitZones, z)
	}
}

func (b *builder) upstream(h *HTTP, d *Directive) {
	if len(d.Args) != 1 || !d.HasBlock {
		b.fail(d.Pos, `invalid number of arguments in "upstream" directive`)
		return
	}
	u := &Upstream{Pos: d.Pos, Name: d.Args[0]}
	for _, c := range d.Block {
		if c.Name != "server" || len(c.Args) == 0 {
			continue
		}
		us := UpstreamServer{Pos: c.Pos, Params: c.Args[1:]}
		t := parseProxyURL(c.Args[0])
		if t.Unix == "" && !t.ExplicitPort {
			t.Port = 80
		}
		if t.Unix == "" {
			t.Addrs, t.Unresolved = hostAddrs(t.Host, t.Port)
		}
		us.Target = t
		for _, p := range c.Args[1:] {
			switch p {
			case "backup":
				us.Backup = true
			case "down":
				us.Down = true
			}
		}
		u.Servers = append(u.Servers, us)
	}
	k := strings.ToLower(u.Name)
	if h.upsBy[k] != nil {
		b.warn(d.Pos, "duplicate upstream %q (nginx refuses this)", u.Name)
		return
	}
	h.upsBy[k] = u
	h.Upstreams = append(h.Upstreams, u)
}

func (b *builder) mapBlock(h *HTTP, d *Directive) {
	if len(d.Args) != 2 || !d.HasBlock {
		b.fail(d.Pos, `invalid number of arguments in "map" directive`)
		return
	}
	if !strings.HasPrefix(d.Args[1], "$") {
		b.fail(d.Pos, "invalid variable name %q", d.Args[1])
		return
	}
	m := &Map{Pos: d.Pos, Source: d.Args[0], Variable: strings.ToLower(d.Args[1][1:])}
	seen := map[string]bool{}
	for _, c := range d.Block {
		key := c.Name
		switch {
		case key == "hostnames" && len(c.Args) == 0:
			m.Hostnames = true
			continue
		case key == "volatile" && len(c.Args) == 0:
			m.Volatile = true
			continue
		}
		if len(c.Args) != 1 {
			b.fail(c.Pos, "invalid number of the map parameters")
			continue
		}
		e := MapEntry{Pos: c.Pos, Key: key, Value: c.Args[0]}
		if key == "default" {
			if m.Default != nil {
				b.warn(c.Pos, "duplicate default map parameter (nginx refuses this)")
				continue
			}
			m.Default = &e
			continue
		}
		if strings.HasPrefix(key, "~") {
			e.Regex = true
			expr := key[1:]
			if strings.HasPrefix(expr, "*") {
				e.CaseInsensitive = true
				expr = "(?i)" + expr[1:]
			}
			re, err := b.compile(expr)
			if err != nil {
				b.warn(c.Pos, "map regex %q uses syntax Go's RE2 engine lacks (PCRE-only); the model never matches it", key)
			}
			e.re = re
		} else {
			k := strings.ToLower(unescapeMapKey(key))
			if seen[k] {
				b.warn(c.Pos, "conflicting parameter %q in map (nginx refuses duplicate keys)", key)
				continue
			}
			seen[k] = true
		}
		m.Entries = append(m.Entries, e)
	}
	if h.mapsBy[m.Variable] != nil || h.geosBy[m.Variable] != nil {
		b.warn(d.Pos, "the duplicate %q variable (nginx refuses this)", "$"+m.Variable)
		return
	}
	h.mapsBy[m.Variable] = m
	h.Maps = append(h.Maps, m)
}

func (b *builder) geoBlock(h *HTTP, d *Directive) {
	if len(d.Args) < 1 || len(d.Args) > 2 || !d.HasBlock {
		b.fail(d.Pos, `invalid number of arguments in "geo" directive`)
		return
	}
	g := &Geo{Pos: d.Pos, Source: "$remote_addr"}
	v := d.Args[len(d.Args)-1]
	if len(d.Args) == 2 {
		g.Source = d.Args[0]
	}
	if !strings.HasPrefix(v, "$") {
		b.fail(d.Pos, "invalid variable name %q", v)
		return
	}
	g.Variable = strings.ToLower(v[1:])
	for _, c := range d.Block {
		switch c.Name {
		case "ranges":
			g.Ranges = true
			continue
		case "proxy_recursive":
			g.ProxyRecursive = true
			continue
		case "proxy":
			if len(c.Args) == 1 {
				f, w := parseRealIPFrom(c.Pos, c.Args[0])
				if w != "" && f.Hostname {
					b.warn(c.Pos, "geo proxy %q is a host name; the model trusts no address for it", c.Args[0])
				}
				g.Proxies = append(g.Proxies, f)
			}
			continue
		case "delete":
			continue
		}
		if len(c.Args) != 1 {
			continue
		}
		e := GeoEntry{Pos: c.Pos, Key: c.Name, Value: c.Args[0]}
		if c.Name == "default" {
			e.ok = true
			g.Default = &e
			continue
		}
		if g.Ranges {
			lo, hi, ok := strings.Cut(c.Name, "-")
			if ok {
				la, err1 := netip.ParseAddr(lo)
				ha, err2 := netip.ParseAddr(hi)
				if err1 == nil && err2 == nil && la.Is4() == ha.Is4() {
					e.isV6 = !la.Is4()
					copy(e.lo[:], la.AsSlice())
					copy(e.hi[:], ha.AsSlice())
					e.ok = true
				}
			}
		} else {
			c2, rc := ptocidr(c.Name)
			if rc != cidrError {
				e.c = c2
				e.ok = true
			}
		}
		if !e.ok {
			b.warn(c.Pos, "geo key %q is not a network the model understands", c.Name)
		}
		g.Entries = append(g.Entries, e)
	}
	if h.mapsBy[g.Variable] != nil || h.geosBy[g.Variable] != nil {
		b.warn(d.Pos, "the duplicate %q variable (nginx refuses this)", "$"+g.Variable)
		return
	}
	h.geosBy[g.Variable] = g
	h.Geos = append(h.Geos, g)
}

// ---------------------------------------------------------------------------
// servers: listen, server_name, default servers

// serverFacts fills in what describes s, which outlives its directives
// (ReleaseServers): the texts it keeps are copied out of the file's, which
// a released server would otherwise hold whole.
func (b *builder) serverFacts(s *Server) {
	ver := b.cfg.Version
	for _, d := range s.sc.own("listen") {
		l, err := parseListen(d)
		if err != "" {
			b.fail(d.Pos, "%s", err)
			continue
		}
		l.Raw, l.Addr = strings.Clone(l.Raw), strings.Clone(l.Addr)
		s.Listens = append(s.Listens, l)
	}
	if len(s.Listens) == 0 && !s.Implicit {
		s.Listens = []Listen{{Pos: s.Pos, Raw: "*:80", Port: 80, Implicit: true}}
	}
	for _, d := range s.sc.own("server_name") {
		if s.NamePos.File == "" {
			s.NamePos = d.Pos
		}
		for _, n := range d.Args {
			if !strings.HasPrefix(n, "~") {
				n = strings.ToLower(n)
			}
			n = strings.Clone(n)
			s.Names = append(s.Names, n)
			if strings.HasPrefix(n, "~") && regexCatchAll(n[1:]) {
				s.catchAll = true
			}
		}
	}
	if d := s.sc.ownFirst("ssl"); d != nil && strings.EqualFold(d.Arg(0), "on") {
		s.SSLOn = d
		if !ver.HasSSLDirective() {
			b.warn(d.Pos, `the "ssl" directive was removed in nginx 1.25.1 (nginx %s refuses it); use "listen ... ssl"`, ver)
		}
	} else if d == nil {
		if hd := s.HTTP.sc.ownFirst("ssl"); hd != nil && strings.EqualFold(hd.Arg(0), "on") {
			s.SSLOn = hd
		}
	}
	s.SSLProtocols = s.sc.nearestOne(false, "ssl_protocols")
	if d := s.sc.nearestOne(false, "underscores_in_headers"); d != nil && strings.EqualFold(d.Arg(0), "on") {
		s.UnderscoresInHeaders = true
	}
	for _, d := range s.sc.own("http2") {
		if strings.EqualFold(d.Arg(0), "on") {
			for i := range s.Listens {
				s.Listens[i].HTTP2 = true
			}
		}
	}
}

func allDirectives(sc *scope, name string) []*Directive {
	var out []*Directive
	for _, d := range sc.dirs {
		if d.Name == name {
			out = append(out, d)
		}
		if l := sc.blocks[d]; l != nil {
			out = append(out, allDirectives(l.sc, name)...)
		}
	}
	return out
}

// regexCatchAll: a server_name regex that matches any host name.
func regexCatchAll(expr string) bool {
	re, err := regexp.Compile(expr)
	if err != nil {
		return false
	}
	for _, probe := range []string{"a", "evil.example", "x.y.z", "127.0.0.1", "a-b.example.org"} {
		if !re.MatchString(probe) {
			return false
		}
	}
	return true
}

// parseListen reads a listen directive as ngx_http_core_listen does.
func parseListen(d *Directive) (Listen, string) {
	if len(d.Args) == 0 {
		return Listen{}, `invalid number of arguments in "listen" directive`
	}
	a := d.Args[0]
	l := Listen{Pos: d.Pos, Raw: a}
	switch {
	case strings.HasPrefix(strings.ToLower(a), "unix:"):
		l.Unix = true
		l.Addr = a
	case strings.HasPrefix(a, "["):
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return l, fmt.Sprintf("invalid IPv6 address in %q of the \"listen\" directive", a)
		}
		host := a[1:end]
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return l, fmt.Sprintf("invalid IPv6 address in %q of the \"listen\" directive", a)
		}
		l.IPv6 = true
		if !ip.IsUnspecified() {
			l.Addr = ip.String()
		}
		l.Port = 80
		if rest := a[end+1:]; rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return l, fmt.Sprintf("invalid port in %q of the \"listen\" directive", a)
			}
			p := ngxAtoi(rest[1:])
			if p < 1 || p > 65535 {
				return l, fmt.Sprintf("invalid port in %q of the \"listen\" directive", a)
			}
			l.Port = p
		}
	default:
		host, port, hasPort := strings.Cut(a, ":")
		if !hasPort {
			if p := ngxAtoi(a); p >= 0 {
				if p < 1 || p > 65535 {
					return l, fmt.Sprintf("invalid port in %q of the \"listen\" directive", a)
				}
				l.Port = p
				break
			}
			host, port = a, "80"
		}
		p := ngxAtoi(port)
		if p < 1 || p > 65535 {
			return l, fmt.Sprintf("invalid port in %q of the \"listen\" directive", a)
		}
		l.Port = p
		if host == "*" || host == "" {
			break
		}
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
			if !ip.IsUnspecified() {
				l.Addr = ip.String()
			}
		} else {
			l.Addr = strings.ToLower(host)
			l.Hostname = true
		}
	}
	for _, p := range d.Args[1:] {
		switch {
		case p == "ssl":
			l.SSL = true
		case p == "http2" || p == "spdy":
			l.HTTP2 = true
		case p == "quic" || p == "http3":
			l.QUIC = true
		case p == "default_server" || p == "default":
			l.DefaultServer = true
		case p == "proxy_protocol":
			l.ProxyProtocol = true
		}
	}
	return l, ""
}

// defaultServers marks, for every listen socket, the server nginx uses when
// no server_name matches: the one with default_server, else the first.
func (b *builder) defaultServers() {
	type entry struct {
		first, explicit *Server
	}
	socks := map[string]*entry{}
	var order []string
	for _, s := range b.cfg.Servers {
		for _, l := range s.Listens {
			k := l.Socket()
			e := socks[k]
			if e == nil {
				e = &entry{first: s}
				socks[k] = e
				order = append(order, k)
			}
			if l.DefaultServer {
				if e.explicit != nil && e.explicit != s {
					// nginx names a wildcard address as it binds it
					b.fail(l.Pos, "a duplicate default server for %s", strings.Replace(k, "*:", "0.0.0.0:", 1))
					continue
				}
				e.explicit = s
			}
		}
	}
	for _, k := range order {
		e := socks[k]
		s := e.first
		if e.explicit != nil {
			s = e.explicit
		}
		s.defaultFor = appendUnique(s.defaultFor, k)
	}
}

// ---------------------------------------------------------------------------
// proxies

// serversProxies builds the proxies of servers, GOMAXPROCS servers at a
// time: a server's proxies depend only on its own scopes and on read-only
// http-level facts. Each server gets its own builder; their proxies and
// diagnostics are merged in server order, as one builder would have
// produced them. Then each server's locations that hand requests on
// (try_files, rewrite ... last) get the proxy they end up at.
func (b *builder) serversProxies(servers []*Server) []*Proxy {
	parts := make([]*builder, len(servers))
	parallel.Do(len(servers), func(i int) {
		sb := &builder{cfg: b.cfg, setNames: b.cfg.setNames, deferPlaces: b.deferPlaces}
		if s := servers[i]; s.packed != nil && s.body == nil {
			s.setBody(s.packed.decode())
		}
		if servers[i].body != nil {
			sb.buildPlaces(servers[i])
		}
		sb.serverProxies(servers[i])
		parts[i] = sb
	})
	var proxies []*Proxy
	for _, sb := range parts {
		proxies = append(proxies, sb.proxies...)
		b.warns = append(b.warns, sb.warns...)
		b.errs = append(b.errs, sb.errs...)
	}
	for _, s := range servers {
		b.followRedirects(s)
	}
	return proxies
}

// BuildProxies builds the locations and proxies of servers, of a
// configuration loaded with DeferProxies, and returns the proxies in file
// order. What building them finds wrong is kept for ProxiesBuilt.
//
// The header tables and realip configurations made for one call are not
// kept for the next: a fleet whose servers write their own header lists or
// realip ranges has one of each per server, and each holds its server's
// tree (a table its proxy, a configuration's key its scopes). What many
// servers share is made again once per call.
func (c *Config) BuildProxies(servers []*Server) (proxies []*Proxy) {
	c.headersMu.Lock()
	c.headers, c.directiveIDs = map[headersKey]*sharedHeaders{}, map[*Directive]uint32{}
	c.headersMu.Unlock()
	c.realIPMu.Lock()
	c.realIPs = map[realipKey]*RealIP{}
	c.realIPMu.Unlock()
	b := &builder{cfg: c, setNames: c.setNames, deferPlaces: true}
	defer func() {
		if r := recover(); r != nil {
			proxies = nil
			b.errs = append(b.errs, Diagnostic{Message: fmt.Sprintf("internal error while loading the nginx configuration: %v", r)})
		}
		c.deferredMu.Lock()
		c.Warnings = append(c.Warnings, b.warns...)
		c.deferredErrs = append(c.deferredErrs, b.errs...)
		c.deferredMu.Unlock()
	}()
	return b.serversProxies(servers)
}

// ReleaseServers forgets what servers hold beyond what describes them
// (position, HTTP context, listens, names, TLS settings): their locations,
// directives and scopes, and so the proxies built for them, which can then
// be collected. Proxies already handed out stay intact.
func (c *Config) ReleaseServers(servers []*Server) {
	for _, s := range servers {
		s.Locations, s.Ifs, s.Directives = nil, nil, nil
		s.sc, s.rewrites, s.body, s.packed = nil, nil, nil, nil
	}
}

// DropServers forgets every server, once nothing reads them again (lint,
// once the rules have finished): a fleet's are most of what is left of
// its configuration. The files, http contexts and warnings stay.
func (c *Config) DropServers() {
	c.Servers = nil
	for _, h := range c.HTTP {
		h.Servers = nil
	}
}

// ProxiesBuilt ends a load with DeferProxies once every server's proxies
// have been built: the warnings are in Load's order, and the error is the
// one Load would have returned.
func (c *Config) ProxiesBuilt() error {
	sortDiagnostics(c.Warnings)
	c.Warnings = dedupeDiagnostics(c.Warnings)
	if len(c.deferredErrs) > 0 {
		return newLoadError(c.deferredErrs)
	}
	return nil
}

func (b *builder) serverProxies(s *Server) {
	var visit func(sc *scope)
	visit = func(sc *scope) {
		sc.levels()
		for _, d := range sc.dirs {
			l := sc.blocks[d]
			if l == nil {
				continue
			}
			b.locationProxy(s, l)
			visit(l.sc)
		}
	}
	visit(s.sc)
	// Passenger enabled for the whole server: requests no location handles.
	if d := firstOf(s.sc.inheritedOwn(inheritPassenger)); d != nil && strings.EqualFold(d.Arg(0), "on") {
		p := &Proxy{Pos: d.Pos, Module: "passenger", Server: s, Directive: d}
		b.finishProxy(p, s.sc)
	}
}

func (b *builder) locationProxy(s *Server, l *Location) {
	var pass *Directive
	for _, d := range l.sc.dirs {
		if _, ok := passModules[d.Name]; ok {
			if pass != nil {
				b.warn(d.Pos, "%q directive is duplicate (nginx refuses this); the first one is modelled", d.Name)
				continue
			}
			pass = d
		}
	}
	if pass == nil {
		if l.IsIf() {
			if l.Parent != nil {
				l.Proxy = l.Parent.Proxy // nginx hands the if block its location's upstream
			}
			return
		}
		if d := firstOf(l.sc.inheritedOwn(inheritPassenger)); d != nil && strings.EqualFold(d.Arg(0), "on") && !l.Named() {
			p := &Proxy{Pos: d.Pos, Module: "passenger", Server: s, Location: l, Directive: d}
			l.Proxy = p
			b.finishProxy(p, l.sc)
		}
		return
	}
	if l.Modifier == "if" && l.Parent == nil {
		b.warn(pass.Pos, "%q directive is not allowed in a server-level if (nginx refuses this); ignored", pass.Name)
		return
	}
	if len(pass.Args) != 1 {
		b.fail(pass.Pos, "invalid number of arguments in %q directive", pass.Name)
		return
	}
	p := &Proxy{Pos: pass.Pos, Module: passModules[pass.Name], Server: s, Location: l, Directive: pass, URL: pass.Args[0]}
	if p.Module == "proxy" && !hasVariables(p.URL) {
		low := strings.ToLower(p.URL)
		if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") {
			b.fail(pass.Pos, "invalid URL prefix in %q", p.URL)
			return
		}
	}
	l.Proxy = p
	b.finishProxy(p, l.sc)
}

// firstOf returns ds[0], or nil.
func firstOf(ds []*Directive) *Directive {
	if len(ds) == 0 {
		return nil
	}
	return ds[0]
}

// bindDirectives names each module's local-address directive.
var bindDirectives = map[string]string{"proxy": "proxy_bind", "fastcgi": "fastcgi_bind", "uwsgi": "uwsgi_bind", "scgi": "scgi_bind", "grpc": "grpc_bind"}

// finishProxy computes the target, the effective settings and the hop.
func (b *builder) finishProxy(p *Proxy, sc *scope) {
	s := p.Server
	sets := b.setFlow(s, sc)
	e := &env{b: b, http: s.HTTP, server: s, proxy: p, sets: sets}
	ver := b.cfg.Version

	// target
	if p.Module != "passenger" {
		if hasVariables(p.URL) && !hasVariables(urlHostPart(p.URL)) {
			p.Target = parseProxyURL(p.URL)
			resolveTarget(&p.Target, s.HTTP)
			p.proxyHost = Var{Name: "proxy_host", Value: trustmodel.Lit(p.Target.HostHeader)}
		} else if hasVariables(p.URL) {
			urlExpr := e.compile(p.URL)
			if v, ok := IsConstant(urlExpr); ok {
				p.Target = parseProxyURL(v)
				p.Target.URL = p.URL
				resolveTarget(&p.Target, s.HTTP)
				p.proxyHost = Var{Name: "proxy_host", Value: trustmodel.Lit(p.Target.HostHeader)}
			} else {
				p.Target = parseProxyURL(p.URL)
				p.Target.Dynamic = true
				p.Target.Addrs, p.Target.Unresolved, p.Target.HostHeader = nil, nil, ""
				p.proxyHost = newVar("proxy_host", dynProxyHost{url: urlExpr})
			}
		} else {
			p.Target = parseProxyURL(p.URL)
			resolveTarget(&p.Target, s.HTTP)
			p.proxyHost = Var{Name: "proxy_host", Value: trustmodel.Lit(p.Target.HostHeader)}
		}
		p.ConnectFrom, p.FromKind = connectFrom(p.Target)
	}
	bindName := bindDirectives[p.Module]
	if bindName != "" {
		if d := sc.nearestOne(true, bindName); d != nil && !strings.EqualFold(d.Arg(0), "off") {
			p.Bind = d
			switch {
			case len(d.Args) > 1 && d.Args[1] == "transparent":
				p.ConnectFrom, p.FromKind = nil, ConnectTransparent
			case hasVariables(d.Arg(0)):
				p.ConnectFrom, p.FromKind = nil, ConnectUnknown
			default:
				if a, err := netip.ParseAddr(d.Arg(0)); err == nil {
					p.ConnectFrom, p.FromKind = []string{a.Unmap().String()}, ConnectBind
				} else {
					p.ConnectFrom, p.FromKind = nil, ConnectUnknown
				}
			}
		}
	}

	// realip: POST_READ runs with the server's configuration, PREACCESS
	// with the location's.
	p.RealIP = b.realIP(s.sc)
	p.LocationRealIP = b.realIP(sc)

	h := trustmodel.Hop{
		Name:      hopName(s, p.Location),
		Pos:       p.Pos,
		TLSToNext: p.Target.TLS,
		Context:   s,
	}
	if len(p.ConnectFrom) > 0 {
		h.Addr = p.ConnectFrom[0]
	}
	if p.RealIP.Active() || p.LocationRealIP.Active() {
		h.ClientAddr = &realipResolver{server: p.RealIP, loc: p.LocationRealIP}
	}

	switch p.Module {
	case "proxy", "grpc":
		setName, passName := "proxy_set_header", "proxy_pass_request_headers"
		if p.Module == "grpc" {
			setName, passName = "grpc_set_header", ""
		}
		p.PassRequestHeaders = true
		if passName != "" {
			if d := sc.nearestOne(true, passName); d != nil && strings.EqualFold(d.Arg(0), "off") {
				p.PassRequestHeaders = false
			}
		}
		cache := false
		if p.Module == "proxy" {
			if d := sc.nearestOne(true, "proxy_cache"); d != nil && !strings.EqualFold(d.Arg(0), "off") {
				cache = true
			}
		}
		// Places that see the same proxy_set_header directives at every
		// level (a snippet every server includes) and pass to the same
		// static target compile them identically, in any server of the
		// same kind: compiled once for the whole configuration.
		var key headersKey
		shareable := len(sets) == 0 && !p.Target.Dynamic && !b.cfg.headersPerPlace
		if shareable {
			key = headersKey{
				levels: b.cfg.levelsKey(sc, setName), http: s.HTTP, anyHost: s.AcceptsAnyHost(), underscores: s.UnderscoresInHeaders,
				module: p.Module, cache: cache, host: p.Target.HostHeader, port: p.Target.Port,
			}
			// The first place with the key compiles; places of other
			// servers built meanwhile wait for it rather than compile too.
			shared := b.cfg.sharedHeaders(key)
			compiled := false
			shared.once.Do(func() {
				compiled = true
				p.Headers, p.HeadersLevel, p.Shadowed = b.headerSettings(sc, setName, e)
				h.Rules = b.headerRules(p, e, ver, cache)
				if !e.serverBound {
					shared.table = &compiledHeaders{p.Headers, p.HeadersLevel, p.Shadowed, h.Rules}
				}
			})
			if compiled {
				break
			}
			if c := shared.table; c != nil {
				b.warnIfLevelHeaders(sc, setName)
				p.Headers, p.HeadersLevel, p.Shadowed, h.Rules = c.list, c.level, c.shadowed, c.rules
				break
			}
		}
		p.Headers, p.HeadersLevel, p.Shadowed = b.headerSettings(sc, setName, e)
		h.Rules = b.headerRules(p, e, ver, cache)
	case "fastcgi", "uwsgi", "scgi":
		p.Params, p.HeadersLevel, p.Shadowed = b.headerSettings(sc, p.Module+"_param", e)
		p.PassRequestHeaders = true
		if d := sc.nearestOne(true, p.Module+"_pass_request_headers"); d != nil && strings.EqualFold(d.Arg(0), "off") {
			p.PassRequestHeaders = false
		}
		h.Gateway = b.gateway(p)
		h.Rules = gatewayRules(p.Params)
		if ver.SendsDefaultHTTPHost() && !slices.ContainsFunc(p.Params, func(hs HeaderSetting) bool { return strings.EqualFold(hs.Name, "HTTP_HOST") }) {
			h.Rules = append(h.Rules, trustmodel.HeaderRule{Name: "Host", Value: e.compile(defaultGatewayHost)})
		}
	case "passenger":
		p.PassRequestHeaders = true
		h.Rules = []trustmodel.HeaderRule{
			{Name: "X-Forwarded-For", Value: PassengerAppend{Header: "X-Forwarded-For", Add: trustmodel.ClientAddr{Text: "$remote_addr"}}, Pos: p.Pos},
			{Name: "X-Forwarded-Proto", Value: PassengerAppend{Header: "X-Forwarded-Proto", Add: trustmodel.Lit("https"), OnlyTLS: true}, Pos: p.Pos},
		}
	}
	h.DropClientHeaders = !p.PassRequestHeaders
	p.Hop = h
	b.proxies = append(b.proxies, p)
}

// defaultGatewayHost is the HTTP_HOST param nginx adds since 1.29.5 when
// no *_param names HTTP_HOST (ngx_http_fastcgi_headers, and uwsgi's and
// scgi's), with if_not_empty.
const defaultGatewayHost = "$host$is_request_port$request_port"

// gateway is what the app reads besides the HTTP_* params: REMOTE_ADDR,
// HTTPS and uwsgi's UWSGI_SCHEME (the last param of each name, as php-fpm and uWSGI keep it;
// names are case-sensitive there).
func (b *builder) gateway(p *Proxy) *trustmodel.Gateway {
	g := &trustmodel.Gateway{Protocol: p.Module, JoinLines: b.cfg.Version.JoinsGatewayHeaderLines(), DropUnderscoreNames: !p.Server.UnderscoresInHeaders}
	for _, prm := range p.Params {
		switch prm.Name {
		case "REMOTE_ADDR":
			g.RemoteAddr = prm.Expr
		case "HTTPS":
			g.HTTPS = prm.Expr
		case "UWSGI_SCHEME":
			if p.Module == "uwsgi" {
				g.Scheme = prm.Expr
			}
		}
	}
	return g
}

// gatewayRules are the HTTP_* params as the header lines they stand for,
// in order (ngx_http_fastcgi_init_params and its uwsgi and scgi twins): the
// prefix is matched case-sensitively; every such param keeps the client's
// header of its name out, and one whose value is written empty is only
// that; any other is sent even when it evaluates to "", unless
// if_not_empty.
func gatewayRules(params []HeaderSetting) []trustmodel.HeaderRule {
	var rules []trustmodel.HeaderRule
	for _, prm := range params {
		if !strings.HasPrefix(prm.Name, "HTTP_") || len(prm.Name) <= len("HTTP_") {
			continue
		}
		r := trustmodel.HeaderRule{Name: trustmodel.CGIHeaderName(prm.Name[len("HTTP_"):]), Pos: prm.Pos}
		if prm.Value == "" {
			r.Remove = true
		} else {
			r.Value, r.SendEmpty = prm.Expr, !prm.IfNotEmpty
		}
		rules = append(rules, r)
	}
	return slices.Clip(rules)
}

// headerSettings applies nginx's rule for proxy_set_header and the *_param
// directives: a level inherits its parent's list only when it defines none.
// If blocks cannot define them (nginx refuses it there).
func (b *builder) headerSettings(sc *scope, name string, e *env) (list []HeaderSetting, level string, shadowed []HeaderSetting) {
	b.warnIfLevelHeaders(sc, name)
	dirs, from := sc.nearest(true, name)
	if from != nil {
		level = from.levelName()
	}
	for _, d := range dirs {
		if len(d.Args) < 2 || len(d.Args) > 3 || (len(d.Args) == 3 && d.Args[2] != "if_not_empty") {
			b.fail(d.Pos, "invalid number of arguments in %q directive", name)
			continue
		}
		if list == nil {
			list = make([]HeaderSetting, 0, len(dirs))
		}
		hs := HeaderSetting{Pos: d.Pos, Name: d.Args[0], Value: d.Args[1], Level: level, IfNotEmpty: len(d.Args) == 3}
		hs.Expr = e.compile(d.Args[1])
		list = append(list, hs)
	}
	list = slices.Clip(list) // shared between proxies: appending must copy
	if from == nil {
		return list, level, nil
	}
	for s := from.parent; s != nil; s = s.parent {
		if s.kind == kindIf || s.kind == kindLimitExcept {
			continue
		}
		for _, d := range s.own(name) {
			if len(d.Args) < 2 {
				continue
			}
			found := false
			for _, x := range list {
				if strings.EqualFold(x.Name, d.Args[0]) {
					found = true
					break
				}
			}
			if !found {
				shadowed = append(shadowed, HeaderSetting{Pos: d.Pos, Name: d.Args[0], Value: d.Args[1], Level: s.levelName(), IfNotEmpty: len(d.Args) == 3})
			}
		}
	}
	return list, level, shadowed
}

// warnIfLevelHeaders notes header directives in if and limit_except blocks
// around sc, which nginx refuses.
func (b *builder) warnIfLevelHeaders(sc *scope, name string) {
	for s := sc; s != nil; s = s.parent {
		if s.kind == kindIf || s.kind == kindLimitExcept {
			for _, d := range s.own(name) {
				b.warn(d.Pos, "%q directive is not allowed in %s (nginx refuses this); ignored", name, s.kind)
			}
		}
	}
}

// headersKey is what a proxy's header list and table depend on: the
// directives of every level (levelsKey), the http context (maps, geo),
// the two server facts compiled into values (whether $host is the
// client's choice, underscores in header names), the module, proxy_cache,
// and the static target ($proxy_host, $proxy_port). It is used only where
// no set variable is in effect, and a table that took in another server
// fact ($server_name, $server_port) is not kept.
type headersKey struct {
	levels      string
	http        *HTTP
	anyHost     bool
	underscores bool
	module      string
	cache       bool
	host        string
	port        int
}

// levelsKey identifies the name directives at sc and every level above it
// (if and limit_except levels, which cannot set them, left out): each
// level's kind and its directives by identity. An included snippet's
// directives are the same values in every place that includes it.
func (c *Config) levelsKey(sc *scope, name string) string {
	c.headersMu.Lock() // builders of different servers ask concurrently
	defer c.headersMu.Unlock()
	var key []byte
	for s := sc; s != nil; s = s.parent {
		if s.kind == kindIf || s.kind == kindLimitExcept {
			continue
		}
		ds := s.own(name)
		key = append(key, byte(s.kind))
		key = binary.BigEndian.AppendUint32(key, uint32(len(ds)))
		for _, d := range ds {
			id, ok := c.directiveIDs[d]
			if !ok {
				id = uint32(len(c.directiveIDs))
				c.directiveIDs[d] = id
			}
			key = binary.BigEndian.AppendUint32(key, id)
		}
	}
	return string(key)
}

// sharedHeaders is the table of key, compiled once (table nil when it
// took in a server fact and serves only the place that compiled it).
type sharedHeaders struct {
	once  sync.Once
	table *compiledHeaders
}

func (c *Config) sharedHeaders(k headersKey) *sharedHeaders {
	c.headersMu.Lock()
	defer c.headersMu.Unlock()
	sh := c.headers[k]
	if sh == nil {
		sh = &sharedHeaders{}
		c.headers[k] = sh
	}
	return sh
}

type compiledHeaders struct {
	list     []HeaderSetting
	level    string
	shadowed []HeaderSetting
	rules    []trustmodel.HeaderRule
}

// headerRules is the header table ngx_http_proxy_init_headers builds: the
// effective proxy_set_header list in order, then the built-in defaults not
// overridden; a "" value removes the header.
func (b *builder) headerRules(p *Proxy, e *env, ver Version, cache bool) []trustmodel.HeaderRule {
	defs := defaultProxyHeaders(ver, cache)
	if p.Module == "grpc" {
		defs = defaultGRPCHeaders
	}
	rules := make([]trustmodel.HeaderRule, 0, len(p.Headers)+len(defs))
	host := func(v trustmodel.Expr) trustmodel.Expr {
		if p.Module == "proxy" && ver.HostFallsBackToProxyHost() {
			return HostOrProxyHost{Value: v, ProxyHost: p.proxyHost}
		}
		return v
	}
	for _, hs := range p.Headers {
		r := trustmodel.HeaderRule{Name: hs.Name, Pos: hs.Pos}
		isHost := strings.EqualFold(hs.Name, "Host")
		switch {
		case hs.Value == "" && isHost && p.Module == "proxy" && ver.HostFallsBackToProxyHost():
			r.Value = host(nil)
		case hs.Value == "":
			r.Remove = true
		case isHost:
			r.Value = host(hs.Expr)
		default:
			r.Value = hs.Expr
		}
		rules = append(rules, r)
	}
	for _, d := range defs {
		if slices.ContainsFunc(p.Headers, func(hs HeaderSetting) bool { return strings.EqualFold(hs.Name, d[0]) }) {
			continue
		}
		r := trustmodel.HeaderRule{Name: d[0]}
		if d[1] == "" {
			r.Remove = true
		} else {
			r.Value = e.compile(d[1])
		}
		rules = append(rules, r)
	}
	return slices.Clip(rules) // shared between proxies: appending must copy
}

// realIP computes the realip configuration in effect at sc, each directive
// merged on its own (ngx_http_realip_merge_loc_conf). Places that inherit
// from the same levels share one *RealIP.
func (b *builder) realIP(sc *scope) *RealIP {
	key := sc.realipKey()
	b.cfg.realIPMu.Lock() // servers' proxies are built concurrently
	defer b.cfg.realIPMu.Unlock()
	if r, ok := b.cfg.realIPs[key]; ok {
		return r
	}
	from := sc.inheritedOwn(inheritRealIPFrom)
	hdrs := sc.inheritedOwn(inheritRealIPHeader)
	recs := sc.inheritedOwn(inheritRealIPRecursive)
	r := &RealIP{Header: "X-Real-IP", bracketNoPort: b.cfg.Version.ParsesBracketedV6WithoutPort()}
	for _, d := range from {
		if len(d.Args) != 1 {
			b.fail(d.Pos, `invalid number of arguments in "set_real_ip_from" directive`)
			continue
		}
		fs, w := expandRealIPFrom(d.Pos, d.Args[0])
		if w != "" {
			b.warn(d.Pos, "%s", w)
		}
		r.From = append(r.From, fs...)
	}
	if len(hdrs) > 0 {
		d := hdrs[0]
		if len(hdrs) > 1 {
			b.warn(hdrs[1].Pos, `"real_ip_header" directive is duplicate (nginx refuses this)`)
		}
		r.Header, r.HeaderPos = d.Arg(0), d.Pos
		switch d.Arg(0) {
		case "X-Real-IP":
			r.Mode = RealIPXRealIP
		case "X-Forwarded-For":
			r.Mode = RealIPXForwardedFor
		case "proxy_protocol":
			r.Mode = RealIPProxyProtocol
			b.warn(d.Pos, "real_ip_header proxy_protocol: the PROXY protocol address is not part of the modelled request; realip is treated as changing nothing")
		default:
			r.Mode = RealIPCustom
		}
	}
	if len(recs) > 0 {
		r.Recursive = strings.EqualFold(recs[0].Arg(0), "on")
		r.RecursivePos = recs[0].Pos
	}
	// Copied out of the file's text, which the rules' realip sites would
	// otherwise hold after the server is released.
	r.Header = strings.Clone(r.Header)
	for i := range r.From {
		r.From[i].Text = strings.Clone(r.From[i].Text)
	}
	b.cfg.realIPs[key] = r
	return r
}

// ---------------------------------------------------------------------------
// set / if flow

// setFlow runs the rewrite-phase assignments symbolically for a request
// handled at sc: the server-level set/if directives, then the location's
// (nginx compiles an if block's directives inline, so execution continues
// after it). A parent location's sets do not run for a nested location.
// Assignments inside if blocks are conditional, except inside the block the
// request is handled in (its condition held).
// The result is shared between places and must not be modified.
func (b *builder) setFlow(s *Server, sc *scope) map[string]trustmodel.Expr {
	e := &env{b: b, http: s.HTTP, server: s}
	var inIf *Location
	loc := sc.loc
	if loc != nil && loc.IsIf() {
		inIf = loc
		loc = loc.Parent
	}
	var state map[string]trustmodel.Expr
	if inIf != nil && inIf.Parent == nil {
		state = map[string]trustmodel.Expr{} // handled in a server-level if
		b.execSets(e, s.sc, nil, inIf, state)
	} else {
		state = b.serverSets(e, s)
	}
	if loc != nil && loc.sc.sets {
		state = maps.Clone(state)
		b.execSets(e, loc.sc, nil, inIf, state)
	}
	return state
}

// serverSets is the server level's part of every location's flow, run once
// per server and builder (a builder builds one server's places at a time).
func (b *builder) serverSets(e *env, s *Server) map[string]trustmodel.Expr {
	if b.setsOf != s {
		b.setsOf, b.sets = s, map[string]trustmodel.Expr{}
		b.execSets(e, s.sc, nil, nil, b.sets)
	}
	return b.sets
}

func (b *builder) execSets(e *env, sc *scope, cond *IfCond, inIf *Location, state map[string]trustmodel.Expr) {
	if !sc.sets {
		return // runs for every place: a level of thousands of blocks that set nothing costs nothing
	}
	// Nested locations' directives run only there: only these take part.
	for _, d := range sc.own("set", "if", "limit_except") {
		if l := sc.blocks[d]; l != nil {
			if l == inIf {
				b.execSets(e, l.sc, cond, inIf, state)
				continue
			}
			if l.Modifier != "if" || !l.sc.sets {
				continue // sets nothing: its condition does not matter here
			}
			c := e.with(state).compileCond(l.Condition)
			if cond != nil {
				c = &IfCond{Text: cond.Text + " && " + c.Text, unknown: true}
			}
			b.execSets(e, l.sc, c, inIf, state)
			continue
		}
		if d.Name != "set" {
			continue
		}
		if len(d.Args) != 2 || !strings.HasPrefix(d.Args[0], "$") {
			b.warn(d.Pos, `invalid "set" directive (nginx refuses this); ignored`)
			continue
		}
		name := strings.ToLower(d.Args[0][1:])
		val := e.with(state).compile(d.Args[1])
		if cond != nil {
			prev, ok := state[name]
			if !ok {
				prev = trustmodel.Lit("")
			}
			val = CondExpr{Cond: cond, Then: val, Else: prev}
		}
		state[name] = newVar(name, val)
	}
}

// Expr compiles an nginx value (e.g. "$http_x_forwarded_for" or
// "$scheme://$host") as a request handled in loc of s sees it: set
// variables of that rewrite flow, maps, geo and built-in variables. loc may
// be nil (the server level), and s nil too (the http level of the first
// http context).
func (c *Config) Expr(s *Server, loc *Location, value string) trustmodel.Expr {
	return c.placeEnv(s, loc).compile(value)
}

// Cond compiles an if block's condition as a request in that block's
// server and location sees it.
func (c *Config) Cond(s *Server, ifBlock *Location) *IfCond {
	return c.placeEnv(s, ifBlock.Parent).compileCond(ifBlock.Condition)
}

// placeEnv is the variable environment of a server and location (the http
// level when s is nil).
func (c *Config) placeEnv(s *Server, loc *Location) *env {
	b := &builder{cfg: c, setNames: c.setNames, quiet: true}
	e := &env{b: b}
	switch {
	case s != nil:
		e.http, e.server = s.HTTP, s
		sc := s.sc
		if loc != nil {
			sc = loc.sc
			e.proxy = loc.Proxy
		}
		e.sets = b.setFlow(s, sc)
	case len(c.HTTP) > 0:
		e.http = c.HTTP[0]
	}
	return e
}
