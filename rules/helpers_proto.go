package rules

// Helpers shared by the scheme, session and host rules (TC2xx, TC3xx).

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// headerSite is where nginx decides what a forwarded header becomes on its
// way to the app: its proxy_set_header, or the proxy_pass when nginx has
// none and passes the incoming header through.
type headerSite struct {
	Pos       trustmodel.Pos
	Directive string
	// Rule is nginx's rule for the header; nil when nginx sets none.
	Rule *trustmodel.HeaderRule
}

// nginxSite returns where nginx decides header name on path.
func nginxSite(path *Path, name string) headerSite {
	if r, ok := path.NginxHop().Rule(name); ok {
		return headerSite{Pos: r.Pos, Directive: moduleDirective(path.Proxy, DirectiveText(r)), Rule: &r}
	}
	pos, directive := missingHeaderSite(path.Proxy)
	return headerSite{Pos: pos, Directive: directive}
}

// missingHeaderSite is where a header nginx does not set at px gets added:
// the outer proxy_set_header list px inherits, whose one edit serves every
// location inheriting it (so their findings are one), else px itself.
func missingHeaderSite(px *nginxconf.Proxy) (trustmodel.Pos, string) {
	if px.Hop.Gateway != nil {
		if (px.HeadersLevel == "server" || px.HeadersLevel == "http") && len(px.Params) > 0 {
			h := px.Params[0]
			return h.Pos, fmt.Sprintf("%s_param %s %s;", px.Module, h.Name, quoteArg(h.Value))
		}
		return px.Pos, px.Directive.String()
	}
	if (px.HeadersLevel == "server" || px.HeadersLevel == "http") && len(px.Headers) > 0 {
		h := px.Headers[0]
		return h.Pos, fmt.Sprintf("proxy_set_header %s %s;", h.Name, quoteArg(h.Value))
	}
	return px.Pos, px.Directive.String()
}

// readsHeader reports whether rule's value is computed from the incoming
// header name ($http_NAME, a map over it, $proxy_add_x_forwarded_for).
func readsHeader(r trustmodel.HeaderRule, name string) bool {
	if r.Remove || r.Value == nil {
		return false
	}
	for _, s := range r.Value.Sources() {
		if s.Kind == trustmodel.SourceHeader && strings.EqualFold(s.Name, name) {
			return true
		}
	}
	return false
}

// edgesKeeping returns the edge hops of path that pass header name on as
// they received it: with nginx passing it too, they let the client's value
// through.
func edgesKeeping(path *Path, name string) []trustmodel.Pos {
	var out []trustmodel.Pos
	for i := 0; i < len(path.Hops)-1; i++ {
		if _, set := path.Hops[i].Rule(name); !set {
			out = append(out, path.Hops[i].Pos)
		}
	}
	return out
}

// honestHTTPS reports whether the honest client of path speaks https: the
// path was replayed with TLS and, when it starts at an edge, that edge
// really accepts TLS.
func honestHTTPS(p *Pass, path *Path) bool {
	if !path.TLS {
		return false
	}
	if path.Kind == EntryEdge && p.Config != nil && len(p.Config.Edge) > 0 && p.Config.Edge[0].TLS == "none" {
		return false
	}
	return true
}

// tlsEnd returns the index of the hop where the honest client's TLS ends
// (it receives TLS and sends on plain HTTP), or -1.
func tlsEnd(path *Path) int {
	req := path.Client()
	for i := range path.Hops {
		if req.TLS && !path.Hops[i].TLSToNext {
			return i
		}
		req = path.Hops[i].Forward(req)
	}
	return -1
}

// hopLabel names hop i of path for messages: "nginx" for the nginx hop,
// else the edge's name.
func hopLabel(path *Path, i int) string {
	if i == len(path.Hops)-1 && path.Proxy != nil {
		return "nginx"
	}
	return path.Hops[i].Name
}

// appValue is req.headers[name] as the app receives it on replay r.
func appValue(r Replay, name string) (string, bool) {
	return r.AtApp.Headers.NodeValue(name)
}

// withHeader returns req with every name line replaced by one line value.
func withHeader(req trustmodel.Request, name, value string) trustmodel.Request {
	req.Headers = append(req.Headers.Without(name), trustmodel.HeaderLine{Name: name, Value: value})
	return req
}

// nginxReachable reports whether clients reach nginx without an edge hop:
// when no edge is described, or nginx.reachable_directly says so.
func nginxReachable(p *Pass) bool {
	if p.Config == nil {
		return true
	}
	if p.Config.Nginx.ReachableDirectly != nil {
		return *p.Config.Nginx.ReachableDirectly
	}
	return len(p.Config.Edge) == 0
}

// edgeName is the name of the edge hop next to nginx ("the proxy in front"
// when none is described).
func edgeName(p *Pass) string {
	if p.Config == nil || len(p.Config.Edge) == 0 {
		return "the proxy in front"
	}
	return p.Config.Edge[len(p.Config.Edge)-1].Name
}

// addHeaderFix says where a new proxy_set_header for px goes: next to the
// proxy_pass, or into the outer list the location inherits, because a
// location that sets any header of its own drops that list (TC401).
func addHeaderFix(px *nginxconf.Proxy, directive string) SuggestedFix {
	list, listName := px.Headers, "proxy_set_header"
	if px.Hop.Gateway != nil {
		directive = moduleDirective(px, directive)
		list, listName = px.Params, px.Module+"_param"
	}
	if px.HeadersLevel == "" || px.HeadersLevel == "location" || len(list) == 0 {
		return Fix(fmt.Sprintf("add `%s` next to this %s", directive, px.Directive.Name), InsertAfter(px.Pos, directive))
	}
	at := list[0].Pos
	return Fix(fmt.Sprintf("add `%s` to the %s-level %s list (%s:%d), which every location without a list of its own inherits",
		directive, px.HeadersLevel, listName, at.File, at.Line), InsertAfter(at, directive))
}

// trustsFormat is a message format that starts "the app trusts nginx",
// as it reads for path: over FastCGI, uwsgi and SCGI the app trusts the
// REMOTE_ADDR nginx hands it, which is the client's own address. (The
// format itself varies, not an argument: a fleet's findings of a proxy
// path then cost nothing more.)
func trustsFormat(path *Path, format string) string {
	if path.Proxy == nil || path.Proxy.Hop.Gateway == nil {
		return format
	}
	rest, _ := strings.CutPrefix(format, "the app trusts nginx")
	return "the app trusts its REMOTE_ADDR peer (over " + path.Proxy.Module + ", the client itself)" + rest
}

// moduleDirective writes a proxy_set_header directive in px's own terms:
// for FastCGI, uwsgi and SCGI the param that stands for the header
// (`proxy_set_header X-Forwarded-For $remote_addr;` is
// `fastcgi_param HTTP_X_FORWARDED_FOR $remote_addr;`).
func moduleDirective(px *nginxconf.Proxy, d string) string {
	rest, ok := strings.CutPrefix(d, "proxy_set_header ")
	if px == nil || px.Hop.Gateway == nil || !ok {
		return d
	}
	name, value, _ := strings.Cut(rest, " ")
	return fmt.Sprintf("%s_param HTTP_%s %s", px.Module, strings.ToUpper(strings.ReplaceAll(name, "-", "_")), value)
}

// setHeaderFix is the fix that makes header name carry value at site.
func setHeaderFix(path *Path, site headerSite, name, value string) SuggestedFix {
	d := fmt.Sprintf("proxy_set_header %s %s;", name, value)
	if site.Rule != nil {
		d = moduleDirective(path.Proxy, d)
		return Fix(fmt.Sprintf("replace it with `%s`", d), ReplaceText(site.Pos, moduleDirective(path.Proxy, site.Directive), d))
	}
	return addHeaderFix(path.Proxy, d)
}

// shadowNote explains, for a header nginx does not set at path's location,
// an outer proxy_set_header that does not apply because the location sets a
// list of its own; it returns that setting's position too.
func shadowNote(path *Path, name string) (string, []trustmodel.Pos) {
	for _, h := range path.Proxy.Shadowed {
		if strings.EqualFold(h.Name, name) {
			return fmt.Sprintf(" (the %s-level `proxy_set_header %s` does not apply: this location sets its own list)", h.Level, h.Name),
				[]trustmodel.Pos{h.Pos}
		}
	}
	return "", nil
}

// forwardedHostSource says how the client's X-Forwarded-Host reaches the app
// through site, with after following the account and, where nginx sets no
// X-Forwarded-Host of its own, the outer setting the location's list
// shadows (shadowNote), whose positions it returns.
func forwardedHostSource(path *Path, site headerSite, after string) (string, []trustmodel.Pos) {
	if site.Rule != nil {
		return fmt.Sprintf("nginx sets X-Forwarded-Host from the client's header (%s)", site.Rule.Value.String()) + after, nil
	}
	note, pos := shadowNote(path, "X-Forwarded-Host")
	return "nginx passes the client's X-Forwarded-Host through" + after + note, pos
}

// plainHost is the name a client asks for: the server's first plain name.
func plainHost(px *nginxconf.Proxy) string {
	for _, n := range px.Server.Names {
		if n != "" && n != "_" && !strings.ContainsAny(n, "*~") {
			return n
		}
	}
	return "app.example"
}

// locationPath is a URI the proxy's location serves ("/" for regex and named ones).
func locationPath(px *nginxconf.Proxy) string {
	l := px.Location
	for l != nil && l.IsIf() {
		l = l.Parent
	}
	if l == nil || l.Modifier == "~" || l.Modifier == "~*" || l.Modifier == "@" || !strings.HasPrefix(l.Match, "/") {
		return "/"
	}
	return (&url.URL{Path: l.Match}).EscapedPath()
}

// ---------------------------------------------------------------------------
// plain-HTTP requests to a server that also listens with TLS

// The paths replay a server that listens both ways with TLS only; a plain
// request to its plain listener can make a different header reach the app.

// plainListens returns the plain-HTTP listens of px's server (one per port)
// whose requests reach px, leaving out those a return or redirect answers
// first (`if ($scheme = http) { return 301 https://...; }`).
func plainListens(px *nginxconf.Proxy) []nginxconf.Listen {
	s := px.Server
	if s.SSLOn != nil {
		return nil
	}
	var out []nginxconf.Listen
	for _, l := range s.Listens {
		if l.SSL || l.QUIC || l.Unix || slices.ContainsFunc(out, func(o nginxconf.Listen) bool { return o.Port == l.Port }) {
			continue
		}
		if plainReaches(px, l.Port) {
			out = append(out, l)
		}
	}
	return out
}

// plainReaches follows a plain request to port through the rewrite phase of
// every level from the server down to px: a return (or redirecting rewrite)
// at a level, or in an if block whose condition holds for it, answers the
// request before it is proxied.
func plainReaches(px *nginxconf.Proxy, port int) bool {
	vars := map[string]string{"scheme": "http", "https": "", "server_port": strconv.Itoa(port)}
	for _, h := range schemeHeaderVars {
		vars[h] = "" // an honest client on plain HTTP sends none
	}
	if answers(px.Server.Directives) || ifsAnswer(px.Server.Ifs, vars) {
		return false
	}
	var chain []*nginxconf.Location
	for l := px.Location; l != nil; l = l.Parent {
		chain = append(chain, l)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		l := chain[i]
		if l.Modifier == "if" {
			if holds, known := schemeCond(l.Condition, vars); known && !holds {
				return false // px is inside an if that a plain request does not enter
			}
		}
		if answers(l.Directives) || ifsAnswer(l.Ifs, vars) {
			return false
		}
	}
	return true
}

// ifsAnswer reports whether one of the if blocks answers the request: it
// returns or redirects and its condition, which must test the scheme or
// port, holds. A condition on the scheme that cannot be evaluated counts as
// answering, so that nothing is reported on a guess.
func ifsAnswer(ifs []*nginxconf.Location, vars map[string]string) bool {
	for _, b := range ifs {
		if b.Modifier != "if" || !answers(b.Directives) {
			continue
		}
		if holds, known := schemeCond(b.Condition, vars); holds || !known && mentionsScheme(b.Condition) {
			return true
		}
	}
	return false
}

// answers reports a return, or a rewrite that redirects, among ds.
func answers(ds []*nginxconf.Directive) bool {
	for _, d := range ds {
		switch d.Name {
		case "return":
			return true
		case "rewrite":
			flag := d.Arg(2)
			repl := d.Arg(1)
			if flag == "redirect" || flag == "permanent" || strings.HasPrefix(repl, "http://") ||
				strings.HasPrefix(repl, "https://") || strings.HasPrefix(repl, "$scheme://") {
				return true
			}
		}
	}
	return false
}

var condVarRE = regexp.MustCompile(`\$\{?([A-Za-z0-9_]+)\}?`)

// schemeHeaderVars are the request headers proxies use to announce the
// scheme; an if on them is a scheme test too (`if ($http_x_forwarded_proto
// != https) { return 301 ...; }` redirects a plain client that sends none).
var schemeHeaderVars = []string{
	"http_x_forwarded_proto", "http_x_forwarded_ssl", "http_x_forwarded_scheme", "http_x_forwarded_protocol",
	"http_x_url_scheme", "http_front_end_https", "http_cf_visitor", "http_forwarded",
}

// schemeVar reports variables whose value a plain request fixes.
func schemeVar(name string) bool {
	name = strings.ToLower(name)
	return name == "scheme" || name == "https" || name == "server_port" || strings.HasPrefix(name, "ssl_") ||
		slices.Contains(schemeHeaderVars, name)
}

// mentionsScheme reports whether an if condition tests a schemeVar.
func mentionsScheme(cond []string) bool {
	for _, a := range cond {
		for _, m := range condVarRE.FindAllStringSubmatch(a, -1) {
			if schemeVar(m[1]) {
				return true
			}
		}
	}
	return false
}

// schemeCond evaluates an if condition that tests only variables an honest
// plain request fixes ($scheme, $https, $server_port, $ssl_*, the scheme
// headers); known is false for any other condition.
func schemeCond(cond []string, vars map[string]string) (holds, known bool) {
	if !mentionsScheme(cond) {
		return false, false
	}
	subst := func(s string) (string, bool) {
		ok := true
		out := condVarRE.ReplaceAllStringFunc(s, func(m string) string {
			name := strings.ToLower(condVarRE.FindStringSubmatch(m)[1])
			if v, found := vars[name]; found {
				return v
			}
			if strings.HasPrefix(name, "ssl_") {
				return "" // no TLS, no TLS variables
			}
			ok = false
			return m
		})
		return out, ok
	}
	left, ok := subst(cond[0])
	if !ok {
		return false, false
	}
	switch len(cond) {
	case 1:
		return left != "" && left != "0", true
	case 3:
	default:
		return false, false
	}
	op, right := cond[1], cond[2]
	switch op {
	case "=", "!=":
		r, ok := subst(right)
		if !ok {
			return false, false
		}
		return (left == r) == (op == "="), true
	case "~", "!~", "~*", "!~*":
		expr := right
		if strings.HasSuffix(op, "*") {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return false, false
		}
		return re.MatchString(left) == !strings.HasPrefix(op, "!"), true
	}
	return false, false
}

// plainURL is the URL a plain-HTTP client asks for on port, derived from the
// path's https URL.
func plainURL(httpsURL string, port int) string {
	u, err := url.Parse(httpsURL)
	if err != nil {
		return httpsURL
	}
	u.Scheme = "http"
	u.Host = u.Hostname()
	if port != 80 {
		u.Host += ":" + strconv.Itoa(port)
	}
	return u.String()
}

// plainReplays replays an honest plain-HTTP client and one injecting
// inject: value through a path that was replayed with TLS only, when the
// server also listens plain and such requests reach the proxy. ev computes
// the results (nil: none).
func plainReplays(path *Path, ev trustmodel.Evaluator, inject, value string) (honest, hostile Replay, pathURL string, ok bool) {
	if path.Kind != EntryNginx || !path.TLS {
		return Replay{}, Replay{}, "", false
	}
	listens := plainListens(path.Proxy)
	if len(listens) == 0 {
		return Replay{}, Replay{}, "", false
	}
	client := path.Client()
	client.TLS = false
	run := func(r Replay) Replay {
		r.AtApp = path.Replay(r.Client)
		if ev != nil {
			r.Result = ev.Evaluate(r.AtApp)
		}
		return r
	}
	honest = run(Replay{Client: client})
	hc := client
	hc.Headers = append(trustmodel.Header{{Name: inject, Value: value}}, client.Headers...)
	hostile = run(Replay{Inject: inject, Value: value, Client: hc})
	return honest, hostile, plainURL(path.URL, listens[0].Port), true
}

// withURL returns a copy of path whose URL is u, for attack descriptions.
func withURL(path *Path, u string) *Path {
	c := *path
	c.URL = u
	return &c
}

func strOr(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}
