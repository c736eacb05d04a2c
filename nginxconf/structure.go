package nginxconf

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	crossplane "github.com/nginxinc/nginx-go-crossplane"
)

// Structural checks: what nginx's configuration parser refuses before
// start-up (ngx_conf_handler: context, block or not, argument count; the
// flag, listen and location handlers), worded as nginx words it. The
// directive tables are crossplane's, generated from nginx's sources and the
// common third-party modules; their masks are nginx's own NGX_CONF_* and
// NGX_*_CONF bits (ngx_conf_file.h, ngx_http_config.h and the like).
const (
	confNoArgs = 0x00000001
	confBlock  = 0x00000100
	confFlag   = 0x00000400
	confAny    = 0x00000800
	conf1More  = 0x00001000
	conf2More  = 0x00002000

	ctxMain       = 0x000040000
	ctxEvent      = 0x000080000
	ctxMailMain   = 0x000100000
	ctxMailSrv    = 0x000200000
	ctxStreamMain = 0x000400000
	ctxStreamSrv  = 0x000800000
	ctxStreamUps  = 0x001000000
	ctxHTTPMain   = 0x002000000
	ctxHTTPSrv    = 0x004000000
	ctxHTTPLoc    = 0x008000000
	ctxHTTPUps    = 0x010000000
	ctxHTTPSif    = 0x020000000
	ctxHTTPLif    = 0x040000000
	ctxHTTPLmt    = 0x080000000

	// ctxLoose is where the top of a file without a main-level directive
	// may be meant to go: loaded on its own it is modelled as http
	// content (a conf.d file, a server or location body).
	ctxLoose = ctxHTTPMain | ctxHTTPSrv | ctxHTTPLoc
)

// directiveTables are consulted in order, nginx's own modules first.
type directiveTables struct {
	oss    crossplane.MatchFunc
	others []crossplane.MatchFunc
}

// tablesFor picks crossplane's table of the nginx branch closest to v.
func tablesFor(v Version) directiveTables {
	oss := crossplane.MatchOssLatest
	switch {
	case v.Major == 1 && v.Minor < 25:
		oss = crossplane.MatchOss124
	case v.Major == 1 && v.Minor < 27:
		oss = crossplane.MatchOss126
	}
	return directiveTables{oss: oss, others: []crossplane.MatchFunc{
		crossplane.MatchNjsLatest, crossplane.MatchLuaLatest, crossplane.MatchHeadersMoreLatest,
		crossplane.MatchGeoip2Latest, crossplane.MatchOtelLatest,
	}}
}

// lookup returns every mask of name, nginx's own table's first.
func (t directiveTables) lookup(name string) (masks []uint) {
	if m, ok := t.oss(name); ok {
		masks = m
	}
	for _, f := range t.others {
		if m, ok := f(name); ok {
			masks = append(masks[:len(masks):len(masks)], m...)
		}
	}
	return masks
}

// match is the mask nginx would use for name in ctx: the first whose
// contexts include ctx, nginx's own table asked first and the modules'
// only when it has none; mask is 0 when none fits and known says whether
// any table has name.
func (t directiveTables) match(name string, ctx uint) (mask uint, known, fromOSS bool) {
	if masks, ok := t.oss(name); ok {
		known = true
		for _, m := range masks {
			if m&ctx != 0 {
				return m, true, true
			}
		}
	}
	for _, f := range t.others {
		if masks, ok := f(name); ok {
			known = true
			for _, m := range masks {
				if m&ctx != 0 {
					return m, true, false
				}
			}
		}
	}
	return 0, known, false
}

func (t directiveTables) known(name string) bool {
	_, known, _ := t.match(name, 0)
	return known
}

type structChecker struct {
	tables directiveTables
	ver    Version
	errs   []Diagnostic
	warns  []Diagnostic
	// flags are the on/off directives of the blocks being checked, each
	// block's after its parent's.
	flags []string
}

// checkStructure checks one expanded root. A root with a directive that
// belongs only to the main context (http, events, worker_processes, ...)
// is a main configuration; any other is checked as content of http, a
// server or a location, wherever its directives fit.
func (c *structChecker) checkStructure(dirs []*Directive) {
	ctx := uint(ctxLoose)
	for _, d := range dirs {
		if masks := c.tables.lookup(d.Name); len(masks) > 0 && mainOnly(masks) {
			ctx = ctxMain
			break
		}
	}
	c.block(dirs, ctx, nil)
}

func mainOnly(masks []uint) bool {
	for _, m := range masks {
		if m&ctxLoose != 0 || m&ctxMain == 0 {
			return false
		}
	}
	return true
}

func (c *structChecker) fail(d *Directive, format string, args ...any) {
	c.errs = append(c.errs, Diagnostic{Pos: d.refusalPos(), Message: fmt.Sprintf(format, args...)})
}

// block checks the directives of one block in context ctx (a union of
// contexts for a loose file's top); loc is the location it is the body of.
func (c *structChecker) block(dirs []*Directive, ctx uint, loc *Directive) {
	flagsFrom := len(c.flags)
	defer func() { c.flags = c.flags[:flagsFrom] }()
	modulesUsed := false // a block of modules has opened: load_module comes too late
	for _, d := range dirs {
		if ctx == ctxMain {
			if d.Name == "load_module" && modulesUsed {
				c.fail(d, "%q directive is specified too late", d.Name)
				continue
			}
			modulesUsed = modulesUsed || d.HasBlock && (d.Name == "events" || d.Name == "http" || d.Name == "stream" || d.Name == "mail")
		}
		mask, known, fromOSS := c.tables.match(d.Name, ctx)
		if !known {
			c.unknown(d)
			continue
		}
		switch {
		case mask == 0:
			c.fail(d, "%q directive is not allowed here", d.Name)
			continue
		case mask&confBlock == 0 && d.HasBlock:
			c.fail(d, "directive %q is not terminated by \";\"", d.Name)
			continue
		case mask&confBlock != 0 && !d.HasBlock:
			c.fail(d, "directive %q has no opening \"{\"", d.Name)
			continue
		case !argsFit(mask, len(d.Args)) && !d.bareCondition:
			c.fail(d, "invalid number of arguments in %q directive", d.Name)
			continue
		}
		if mask&confFlag != 0 && fromOSS {
			// ngx_conf_set_flag_slot: on or off, once per block.
			if v := strings.ToLower(d.Args[0]); v != "on" && v != "off" {
				c.fail(d, "invalid value %q in %q directive, it must be \"on\" or \"off\"", d.Args[0], d.Name)
				continue
			}
			if slices.Contains(c.flags[flagsFrom:], d.Name) {
				c.fail(d, "%q directive is duplicate", d.Name)
				continue
			}
			c.flags = append(c.flags, d.Name)
		}
		if !c.handler(d, dirs, ctx&mask, loc) {
			continue
		}
		if d.HasBlock {
			if inner := blockContext(d.Name, ctx&mask); inner != 0 {
				inLoc := loc
				if d.Name == "location" {
					inLoc = d
				}
				c.block(d.body(), inner, inLoc)
			}
		}
	}
	if ctx&(ctxHTTPSrv|ctxHTTPLoc) != 0 {
		c.duplicateLocations(dirs)
	}
}

// argsFit is ngx_conf_handler's argument-count test.
func argsFit(mask uint, n int) bool {
	switch {
	case mask&confAny != 0:
		return true
	case mask&confFlag != 0:
		return n == 1
	case mask&conf1More != 0:
		return n >= 1
	case mask&conf2More != 0:
		return n >= 2
	case n > 7:
		return false
	}
	return mask&(confNoArgs<<n) != 0
}

// blockContext is the context of the block a directive opens in ctx, 0 for
// a block whose body is not directives nginx's tables describe (map, geo,
// types, Lua code, a third-party module's own syntax).
func blockContext(name string, ctx uint) uint {
	var inner uint
	switch name {
	case "http":
		inner = ctxHTTPMain
	case "events":
		inner = ctxEvent
	case "stream":
		inner = ctxStreamMain
	case "mail":
		inner = ctxMailMain
	case "server":
		if ctx&ctxHTTPMain != 0 {
			inner |= ctxHTTPSrv
		}
		if ctx&ctxStreamMain != 0 {
			inner |= ctxStreamSrv
		}
		if ctx&ctxMailMain != 0 {
			inner |= ctxMailSrv
		}
	case "upstream":
		if ctx&ctxHTTPMain != 0 {
			inner |= ctxHTTPUps
		}
		if ctx&ctxStreamMain != 0 {
			inner |= ctxStreamUps
		}
	case "location":
		inner = ctxHTTPLoc
	case "if":
		if ctx&ctxHTTPSrv != 0 {
			inner |= ctxHTTPSif
		}
		if ctx&ctxHTTPLoc != 0 {
			inner |= ctxHTTPLif
		}
	case "limit_except":
		inner = ctxHTTPLmt
	}
	return inner
}

// passDirectives refuse a second occurrence in one location
// (ngx_http_proxy_pass and its kin: "is duplicate").
var passDirectives = map[string]bool{
	"proxy_pass": true, "fastcgi_pass": true, "uwsgi_pass": true, "scgi_pass": true,
	"grpc_pass": true, "memcached_pass": true,
}

// handler runs the checks of the directive's own handler that need no
// more than the configuration's text; false when it refuses d.
func (c *structChecker) handler(d *Directive, siblings []*Directive, ctx uint, loc *Directive) bool {
	switch {
	case d.Name == "listen" && ctx&ctxHTTPSrv != 0:
		for _, p := range d.Args[1:] {
			if !c.listenParam(p) {
				c.fail(d, "invalid parameter %q", p)
				return false
			}
		}
	case passDirectives[d.Name] && ctx&(ctxHTTPLoc|ctxHTTPLif) != 0:
		for _, s := range siblings {
			if s == d {
				break
			}
			if s.Name == d.Name {
				c.fail(d, "%q directive is duplicate", d.Name)
				return false
			}
		}
	case d.Name == "location":
		return c.location(d, loc)
	case d.Name == "if" && d.bareCondition:
		c.fail(d, "invalid condition %q", badCondition(d.Args))
		return false
	case (d.Name == "allow" || d.Name == "deny") && ctx&(ctxHTTPMain|ctxHTTPSrv|ctxHTTPLoc|ctxHTTPLmt) != 0:
		if a := d.Args[0]; a != "all" && a != "unix:" && !cidrOrAddr(a) {
			c.fail(d, "invalid parameter %q", a)
			return false
		}
	}
	return true
}

// badCondition is the word ngx_http_rewrite_if names when a condition is
// not in parentheses (args as written) or they hold nothing (no args).
func badCondition(args []string) string {
	if len(args) == 0 {
		return ")"
	}
	first := args[0]
	if !strings.HasPrefix(first, "(") {
		return first
	}
	last := args[len(args)-1]
	if len(args) == 1 && len(first) > 1 {
		last = first[1:]
	}
	return last
}

// cidrOrAddr is what ngx_ptocidr reads: an address, or one with a mask.
func cidrOrAddr(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil && !strings.Contains(s, "%") {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// location is ngx_http_core_location's refusals of a location's
// arguments and of its place inside parent (nil at the server's level).
func (c *structChecker) location(d, parent *Directive) bool {
	mod, name, err := parseLocationArgs(d.Args)
	if err != "" {
		c.fail(d, "%s", err)
		return false
	}
	if parent == nil {
		return true
	}
	pmod, pname, perr := parseLocationArgs(parent.Args)
	switch {
	case perr != "":
		return true // refused already
	case pmod == "=":
		c.fail(d, "location %q cannot be inside the exact location %q", name, pname)
	case pmod == "@":
		c.fail(d, "location %q cannot be inside the named location %q", name, pname)
	case mod == "@":
		c.fail(d, "named location %q can be on the server level only", name)
	case mod != "~" && mod != "~*" && !strings.HasPrefix(name, pname):
		c.fail(d, "location %q is outside location %q", name, pname)
	default:
		return true
	}
	return false
}

// listenParam reports whether ngx_http_core_listen (on Linux) takes p.
// Parameters of other platforms (setfib=, accept_filter=) are taken: the
// configuration may be meant for one.
func (c *structChecker) listenParam(p string) bool {
	switch p {
	case "default_server", "default", "bind", "deferred", "reuseport", "ssl", "http2", "proxy_protocol":
		return true
	case "quic":
		return c.ver.AtLeast(1, 25, 0)
	}
	for _, prefix := range []string{"backlog=", "rcvbuf=", "sndbuf=", "fastopen=", "ipv6only=", "so_keepalive=", "setfib=", "accept_filter="} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// duplicateLocations is ngx_http_join_exact_locations' refusal: two prefix
// locations, or two exact ones, with the same name in one block. nginx
// names the later one.
func (c *structChecker) duplicateLocations(dirs []*Directive) {
	type seen struct {
		name  string
		exact bool
	}
	var locs []seen
	for _, d := range dirs {
		if d.Name != "location" || !d.HasBlock {
			continue
		}
		mod, match, err := parseLocationArgs(d.Args)
		if err != "" || mod == "~" || mod == "~*" || mod == "@" {
			continue
		}
		s := seen{match, mod == "="}
		if slices.Contains(locs, s) {
			c.fail(d, "duplicate location %q", match)
			continue
		}
		locs = append(locs, s)
	}
}

// unknown notes a directive no table knows: a third-party module's, or a
// typo nginx would refuse.
func (c *structChecker) unknown(d *Directive) {
	msg := fmt.Sprintf("unknown directive %q", d.Name)
	if _, old := crossplane.MatchOss124(d.Name); old && c.ver.AtLeast(1, 25, 0) {
		msg += fmt.Sprintf(" (nginx %s no longer has it: nginx refuses it)", c.ver)
	} else if s := c.nearMiss(d.Name); s != "" {
		msg += fmt.Sprintf(": did you mean %q? (nginx refuses an unknown directive)", s)
	} else {
		msg += " (neither nginx's nor a common module's: left unchecked)"
	}
	c.warns = append(c.warns, Diagnostic{Pos: d.Pos, Message: msg})
}

// nearMiss is the known directive one edit (a letter dropped, added,
// changed or two swapped) away from name, the first in byte order; "" if
// none. The tables can only be asked about a name, so the candidates are
// made from it.
func (c *structChecker) nearMiss(name string) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789_"
	if len(name) < 3 || len(name) > 64 {
		return ""
	}
	best := ""
	try := func(s string) {
		if (best == "" || s < best) && c.tables.known(s) {
			best = s
		}
	}
	b := []byte(name)
	for i := range b {
		try(name[:i] + name[i+1:])
		if i+1 < len(b) {
			s := slices.Clone(b)
			s[i], s[i+1] = s[i+1], s[i]
			try(string(s))
		}
		for _, l := range []byte(letters) {
			if l != b[i] {
				s := slices.Clone(b)
				s[i] = l
				try(string(s))
			}
		}
	}
	for i := 0; i <= len(b); i++ {
		for _, l := range letters {
			try(name[:i] + string(l) + name[i:])
		}
	}
	return best
}
