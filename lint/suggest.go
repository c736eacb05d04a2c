package lint

// trustcheck suggest: the trust-proxy value and the nginx directives that make
// every path correct and unspoofable, as text for people and as
// machine-applicable edits (--format json).
//
// How it works: plan the nginx edits (forwarding headers in every proxying
// place, respecting proxy_set_header inheritance; realip for a declared edge),
// apply them to an in-memory copy of the configuration (an nginx -T dump),
// rebuild the paths on that copy, take the narrowest trust value for them,
// and lint the copy with that value to report anything the edits leave.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

// SuggestRules are the rules suggest is responsible for: after its edits
// (and its trust value) none of them reports anything it could fix.
var SuggestRules = []string{
	"TC101", "TC102", "TC103", "TC104", "TC105", "TC107", "TC108", "TC110", "TC112", "TC113",
	"TC114", "TC201", "TC202", "TC205", "TC301", "TC304", "TC401", "TC405",
}

// trustRules are the rules about the trust value alone.
var trustRules = []string{"TC101", "TC102", "TC103", "TC104", "TC107", "TC108", "TC112", "TC113"}

// plannedEdit is an edit suggest makes (rules.Edit, as findings' fixes
// make theirs) with what it is for.
type plannedEdit struct {
	rules.Edit
	why   string // for people: what the edit fixes
	where string // the block it goes in, e.g. "location /api/"
	// yaml marks the trustcheck.yaml edit; show is how the text output
	// names it ("app.trust_proxy: VALUE").
	yaml bool
	show string
}

// Suggestion is what suggest prints.
type Suggestion struct {
	// TrustProxy is the value to pass to the framework (nil: nothing passes
	// through nginx, so there is nothing to trust).
	TrustProxy any `json:"trust_proxy"`
	// Code is the line of app code that sets it.
	Code string `json:"code"`
	// Keep: the app's current value already fits.
	Keep bool `json:"keep_trust_proxy"`
	// Edits are machine-applicable (rules.Edit): line numbers refer to
	// the files as they are now.
	Edits   []rules.Edit `json:"edits"`
	planned []plannedEdit
	// Remaining are findings the edits cannot remove (they need a change
	// outside nginx and the trust value), as "file:line: TCxxx message".
	Remaining []string `json:"remaining"`
	Notes     []string `json:"notes"`
}

// RunSuggest prints the suggestion; it returns an error for exit code 2.
func RunSuggest(o Options, stdout, stderr io.Writer) error {
	switch o.Format {
	case "", "text", "json":
	default:
		return fmt.Errorf("--format: suggest writes text or json, not %q", o.Format)
	}
	s, err := Suggest(o)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(s)
	}
	writeSuggestion(stdout, s)
	if !o.Quiet {
		for _, n := range s.Notes {
			fmt.Fprintf(stderr, "note: %s\n", n)
		}
	}
	return nil
}

// Suggest computes the trust value and the edits.
func Suggest(o Options) (*Suggestion, error) {
	if err := o.inputsFromAppFile(); err != nil {
		return nil, err
	}
	pr, err := prepare(o)
	if err != nil {
		return nil, err
	}
	cfg, ng, app := pr.cfg, pr.ng, pr.app
	sg := &suggester{o: o, cfg: cfg, app: app, ng: ng, files: map[string][]string{}}
	sg.readFiles()
	s := &Suggestion{Edits: []rules.Edit{}, Remaining: []string{}, Notes: []string{}}

	// Plan with nginx's X-Forwarded-For kept as it is when it is right for a
	// narrow trust value; a framework that can only trust everything (Koa,
	// Fastify over a UNIX socket) needs nginx to overwrite it.
	// realip for a declared edge is added when the app's value does not
	// already fit without it: it lets the app trust nginx alone.
	var fixed *nginxconf.Config
	var trust any
	for _, a := range []struct{ realip, overwrite bool }{{false, false}, {true, false}, {true, true}} {
		sg.addRealIP, sg.overwriteXFF = a.realip, a.overwrite
		sg.edits, sg.notes, sg.loadFailed = nil, nil, false
		sg.plan()
		fixed = sg.reload()
		trust = sg.pass(sg.checked(fixed), app).SuggestedTrust()
		s.Keep = app.Evaluator != nil && trust != nil &&
			sg.pass(sg.checked(fixed), app).TrustFits(app.Spec.TrustProxy) &&
			len(sg.findings(sg.checked(fixed), app, trustRules)) == 0
		if s.Keep {
			trust = app.Spec.TrustProxy
			break
		}
		if !a.realip && len(sg.edges()) > 0 {
			continue
		}
		if b, ok := trust.(bool); ok && b && !a.overwrite {
			continue
		}
		break
	}
	s.Notes = append(s.Notes, sg.notes...)
	if trust == nil {
		s.Notes = append(s.Notes, "no location proxies to the app over a known address, so there is no proxy to trust (set nginx.connects_from in trustcheck.yaml for a remote app)")
	}
	// Outside Node the trust is the app's own code or server flags (ProxyFix,
	// SetTrustedProxies, --forwarded-allow-ips, ...), which suggest shows
	// but does not edit: only nginx's side is edited, and the findings the
	// app's change would remove are listed as remaining.
	own := !trustmodel.NodeFramework(app.Spec.Framework) && (app.Evaluator != nil || app.TrustError != "")
	if own && trust != nil {
		switch {
		case app.Evaluator == nil:
			s.Notes = append(s.Notes, fmt.Sprintf("%s refuses the app's trust setting (TC108 says how to write it); suggest does not edit the app's own code", app.Spec.Framework))
		case !s.Keep:
			code := sg.pass(sg.checked(fixed), app).TrustFix()
			s.Notes = append(s.Notes, fmt.Sprintf("%s's trust is the app's own code, which suggest does not edit: %s", app.Evaluator.Name(), code))
		}
		trust = nil
	}
	s.TrustProxy = trust
	if trust != nil {
		s.Code = sg.pass(sg.ng, app).SetTrust(rules.JSValue(trust))
		if !s.Keep {
			if e, ok := sg.yamlEdit(trust); ok {
				sg.edits = append(sg.edits, sg.resolved([]plannedEdit{e})...)
			} else {
				s.Notes = append(s.Notes, "the trust value comes from --trust-proxy: pass --trust-proxy "+shellQuote(rules.YAMLFlow(trust)))
			}
		}
	}
	// nginx edits by file and line (inserts at one line keep their order),
	// the trustcheck.yaml change last.
	slices.SortStableFunc(sg.edits, func(a, b plannedEdit) int {
		if ay, by := a.yaml, b.yaml; ay != by {
			if ay {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	s.planned = sg.edits
	for _, e := range sg.edits {
		s.Edits = append(s.Edits, e.Edit)
	}

	// What is left after the edits, with the suggested value.
	if own && fixed != nil {
		for _, f := range sg.findings(fixed, app, SuggestRules) {
			s.Remaining = append(s.Remaining, fmt.Sprintf("%s:%d: %s %s", f.Pos.File, f.Pos.Line, f.Rule, f.Message))
		}
	}
	if trust != nil && fixed != nil {
		after, err := sg.withTrust(trust)
		if err == nil {
			for _, f := range sg.findings(fixed, after, SuggestRules) {
				s.Remaining = append(s.Remaining, fmt.Sprintf("%s:%d: %s %s", f.Pos.File, f.Pos.Line, f.Rule, f.Message))
			}
		}
	}
	if fixed == nil && !sg.loadFailed {
		s.Notes = append(s.Notes, "the configuration was read from standard input or an nginx -T dump, so the edits could not be checked against it")
	}
	return s, nil
}

type suggester struct {
	o   Options
	cfg *trustmodel.Config
	app rules.AppInfo
	ng  *nginxconf.Config
	// files are the lines of every file read from disk, by position name.
	files        map[string][]string
	overwriteXFF bool
	addRealIP    bool
	edits        []plannedEdit // resolved once planned
	notes        []string
	geoDone      map[*nginxconf.HTTP]bool
	loadFailed   bool
}

func (sg *suggester) readFiles() {
	for _, f := range sg.ng.Files {
		if f.DumpPath != "" || f.Path == "<stdin>" {
			continue
		}
		data, err := os.ReadFile(f.Path)
		if err != nil {
			continue
		}
		text := strings.TrimSuffix(string(data), "\n")
		sg.files[f.Path] = strings.Split(text, "\n")
	}
}

// pass prepares a rules pass over ng with app.
func (sg *suggester) pass(ng *nginxconf.Config, app rules.AppInfo) *rules.Pass {
	paths, _ := buildPaths(ng, sg.cfg, app)
	return rules.NewPass(ng, sg.cfg, app, paths)
}

// findings runs the rules ids over ng with app.
func (sg *suggester) findings(ng *nginxconf.Config, app rules.AppInfo, ids []string) []rules.Finding {
	var rs []*rules.Rule
	for _, id := range ids {
		r := rules.ByID(id)
		if r == nil || r.NeedsApp && app.Evaluator == nil {
			continue
		}
		rs = append(rs, r)
	}
	fs := sg.pass(ng, app).Run(rs)
	return mergedAndSorted(fs)
}

// withTrust is the app with another trust value.
func (sg *suggester) withTrust(v any) (rules.AppInfo, error) {
	info := rules.AppInfo{Spec: sg.app.Spec}
	info.Spec.TrustProxy, info.Spec.TrustProxySet = v, true
	ev, err := frameworks.New(trustmodel.App{
		Framework: info.Spec.Framework, Version: info.Spec.FrameworkVersion,
		TrustProxy: v, TrustProxySet: true, Options: info.Spec.Options, Session: info.Spec.Session,
	})
	if err != nil {
		return info, err
	}
	info.Evaluator = ev
	return info, nil
}

// ---------------------------------------------------------------------------
// planning

// forwarding is the order suggest writes the forwarding headers in.
var forwarding = []string{"Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"}

// block is where a proxy's proxy_set_header list is decided.
type block struct {
	level  string // "http", "server", "location"
	name   string // "location /api/", "server app.example", "http"
	anchor trustmodel.Pos
	// opens: anchor is the block's opening line (insert inside, one level deeper).
	opens bool
	key   any
}

func (sg *suggester) plan() {
	sg.geoDone = map[*nginxconf.HTTP]bool{}
	realipDone := map[*nginxconf.Server]bool{}
	carriesHost := map[*nginxconf.Server]bool{}
	var servers []*nginxconf.Server
	for _, px := range sg.ng.Proxies() {
		if !reachesApp(px) {
			continue
		}
		if !realipDone[px.Server] {
			realipDone[px.Server] = true
			servers = append(servers, px.Server)
			sg.planRealIP(px)
		}
		planned := len(sg.edits)
		sg.planHeaders(px)
		if px.Hop.Gateway != nil {
			continue // the Host a gateway hands on is TC302's concern only for proxy_pass
		}
		carriesHost[px.Server] = carriesHost[px.Server] || hostHeaderUsesHost(px) ||
			slices.ContainsFunc(sg.edits[planned:], func(e plannedEdit) bool { return strings.Contains(e.New, "$host") })
	}
	for _, s := range servers {
		if carriesHost[s] && rules.DefaultByPosition(s) {
			sg.planRejectingDefault(s)
		}
	}
	sg.edits = sg.resolved(dedupeEdits(sg.edits))
}

// resolved matches the planned edits to the files' text, as lint does
// findings' fixes; edits that do not match are dropped, and said so.
func (sg *suggester) resolved(es []plannedEdit) []plannedEdit {
	out := make([]plannedEdit, 0, len(es))
	for _, e := range es {
		r, ok := rules.Resolve([]rules.Edit{e.Edit}, sg.lines)
		if !ok {
			sg.note(fmt.Sprintf("%s:%d: the edit %q does not match the file's text", e.File, e.Line, e.New))
			continue
		}
		e.Edit = r[0]
		out = append(out, e)
	}
	return out
}

// lines are a file's lines as suggest read them; trustcheck.yaml from disk.
func (sg *suggester) lines(file string) (rules.Text, bool) {
	if ls, ok := sg.files[file]; ok {
		return rules.LineSlice(ls), true
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	return rules.LineSlice(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")), true
}

// statement is the text of the statement at pos that starts with the
// words of head (to its ";"), what a replacement replaces, so that other
// statements and comments on the line stay; the whole line when none does.
func (sg *suggester) statement(pos trustmodel.Pos, head string) string {
	line := strings.TrimSpace(sg.files[pos.File][pos.Line-1])
	words := strings.Fields(head)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	re := regexp.MustCompile(`(?i)(^|[;{}\s])(` + strings.Join(words, `\s+`) + `\s[^;]*;)`)
	if m := re.FindStringSubmatch(line); m != nil {
		return m[2]
	}
	return line
}

// hostHeaderUsesHost reports whether px sends $host in Host or
// X-Forwarded-Host.
func hostHeaderUsesHost(px *nginxconf.Proxy) bool {
	for _, name := range []string{"Host", "X-Forwarded-Host"} {
		if r, ok := px.Hop.Rule(name); ok && rules.HasSource(r, trustmodel.SourceHost) {
			return true
		}
	}
	return false
}

// planRejectingDefault puts servers that refuse unknown hosts before s,
// which is the default server of its sockets only by coming first: $host
// in it is then one of its names, not whatever the client sends.
func (sg *suggester) planRejectingDefault(s *nginxconf.Server) {
	if sg.files[s.Pos.File] == nil || s.Pos.Line < 1 {
		return
	}
	why := "refuse hosts no server names, so that " + serverLabel(s) + " gets only its own and $host is one of them (TC302)"
	block, ok := rules.RejectingServer(s)
	if !ok {
		return
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(block, "server { "), " }")
	sg.add(plannedEdit{Edit: rules.InsertBefore(s.Pos, "server {"), why: why, where: "http"})
	for _, stmt := range strings.SplitAfter(inner, ";") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			sg.add(plannedEdit{Edit: rules.InsertBefore(s.Pos, "    "+stmt), why: why, where: "http"})
		}
	}
	sg.add(plannedEdit{Edit: rules.InsertBefore(s.Pos, "}"), why: why, where: "http"})
}

// wanted is the value a forwarding header must have at px, given what is
// set now ("" and false: leave it alone).
func (sg *suggester) wanted(px *nginxconf.Proxy, name, current string, set bool) (string, bool) {
	switch name {
	case "Host":
		if set && current == "$host" {
			return current, true
		}
		return "$host", false
	case "X-Forwarded-For":
		appends := !sg.overwriteXFF && sg.ownAddressHeader() != "X-Forwarded-For"
		if set && (current == "$remote_addr" || current == "$proxy_add_x_forwarded_for" && appends) {
			return current, true
		}
		return "$remote_addr", false
	case "X-Forwarded-Proto":
		v := sg.protoValue(px)
		switch {
		case set && current == v:
			return v, true
		case set && current == "https" && v == "$scheme" && px.Server.SSL() && !px.Server.Plain():
			return current, true // the same thing where nginx only speaks TLS
		case !set && v == "$http_x_forwarded_proto":
			return v, true // passed through: the edge's value, and only the edge reaches nginx
		}
		return v, false
	case "X-Forwarded-Host":
		if set && (current == "$host" || current == "") {
			return current, true
		}
		if !set && !sg.nginxReachable() && sg.edgeSets(func(e trustmodel.EdgeSpec) string { return e.XForwardedHost }) {
			return current, true // the edge sets it and only the edge reaches nginx
		}
		return "$host", false
	}
	if strings.EqualFold(name, sg.ownAddressHeader()) {
		return "$remote_addr", set && current == "$remote_addr"
	}
	return current, true
}

// ownAddressHeader is the header an app that reads the client address
// itself (client_ip_from) takes it from first; "" for the framework's.
func (sg *suggester) ownAddressHeader() string {
	ev := sg.app.Evaluator
	if ev == nil || trustmodel.ClientIPFrom(ev) == "framework" {
		return ""
	}
	return ev.AddressHeader()
}

// forwardingHeaders are the headers every proxying place must set right:
// the forwarding ones, and the one the app reads the client address from.
func (sg *suggester) forwardingHeaders() []string {
	if h := sg.ownAddressHeader(); h != "" && !slices.ContainsFunc(forwarding, func(n string) bool { return strings.EqualFold(n, h) }) {
		return append(slices.Clone(forwarding), h)
	}
	return forwarding
}

// listDirective is the directive whose list says what px hands the app:
// proxy_set_header, or fastcgi_param (uwsgi_param, scgi_param).
func listDirective(px *nginxconf.Proxy) string {
	if px.Hop.Gateway != nil {
		return px.Module + "_param"
	}
	return "proxy_set_header"
}

// listName is a header's name in px's list: the header itself, or for a
// gateway the HTTP_* param that stands for it.
func listName(px *nginxconf.Proxy, header string) string {
	if px.Hop.Gateway != nil {
		return "HTTP_" + strings.ToUpper(strings.ReplaceAll(header, "-", "_"))
	}
	return header
}

func (sg *suggester) planHeaders(px *nginxconf.Proxy) {
	b, ok := sg.headerBlock(px)
	if !ok {
		sg.note(fmt.Sprintf("%s:%d: cannot place %s edits for this %s (its block is not in a file trustcheck read)", px.Pos.File, px.Pos.Line, listDirective(px), px.Directive.Name))
		return
	}
	list, gateway := px.Headers, px.Hop.Gateway != nil
	if gateway {
		list = px.Params
	}
	effective := func(name string) (nginxconf.HeaderSetting, bool) {
		var found nginxconf.HeaderSetting
		ok := false
		for _, h := range list {
			if strings.EqualFold(h.Name, listName(px, name)) {
				found, ok = h, true // a gateway's app keeps the last param of a name
				if !gateway {
					break
				}
			}
		}
		return found, ok
	}
	shadowed := func(name string) (nginxconf.HeaderSetting, bool) {
		for _, h := range px.Shadowed {
			if strings.EqualFold(h.Name, listName(px, name)) {
				return h, true
			}
		}
		return nginxconf.HeaderSetting{}, false
	}
	// Over a gateway the app's peer is the client: an app that does not
	// trust it reads no forwarding header, and needs none set.
	readsHeaders := true
	if ev := sg.app.Evaluator; gateway && ev != nil {
		readsHeaders, _ = ev.Trust().Trusts(rules.HonestClient, 0)
	}
	for _, name := range sg.forwardingHeaders() {
		if gateway && name == "Host" {
			continue // HTTP_HOST: the client's Host or $host, which nginx has checked against the server
		}
		h, set := effective(name)
		if !readsHeaders && !set {
			continue
		}
		want, fine := sg.wanted(px, name, h.Value, set)
		if fine {
			continue
		}
		directive := fmt.Sprintf("%s %s %s;", listDirective(px), listName(px, name), nginxArg(want))
		why := headerWhy(name, want, set, h.Value)
		if set {
			if sg.files[h.Pos.File] == nil {
				continue
			}
			sg.add(plannedEdit{Edit: rules.ReplaceText(h.Pos, sg.statement(h.Pos, "proxy_set_header "+h.Name), directive), why: why, where: b.name})
			continue
		}
		// A header an outer level sets that this block's own list drops:
		// repeat it (with the outer value when that one is right).
		if hs, ok := shadowed(name); ok {
			if w, fine := sg.wanted(px, name, hs.Value, true); fine {
				directive = fmt.Sprintf("%s %s %s;", listDirective(px), listName(px, name), nginxArg(w))
			}
			why = repeatWhy(px, b, hs)
		}
		sg.insert(b, directive, why)
	}
	if gateway {
		sg.planHTTPSParam(px)
	}
	// Other forwarding headers the block's own list drops (X-Real-IP, ...),
	// and for a gateway the params that say who the client is.
	for _, hs := range px.Shadowed {
		header := hs.Name
		if gateway {
			h, ok := strings.CutPrefix(hs.Name, "HTTP_")
			if !ok && hs.Name != "REMOTE_ADDR" && hs.Name != "HTTPS" {
				continue
			}
			header = trustmodel.CGIHeaderName(h)
		}
		if ok := hs.Name == "REMOTE_ADDR" || hs.Name == "HTTPS" || forwardingHeader(header); !ok ||
			slices.ContainsFunc(forwarding, func(n string) bool { return strings.EqualFold(n, header) }) {
			continue
		}
		if slices.ContainsFunc(list, func(h nginxconf.HeaderSetting) bool { return strings.EqualFold(h.Name, hs.Name) }) {
			continue
		}
		d := fmt.Sprintf("%s %s %s;", listDirective(px), hs.Name, nginxArg(hs.Value))
		if hs.IfNotEmpty {
			d = strings.TrimSuffix(d, ";") + " if_not_empty;"
		}
		sg.insert(b, d, repeatWhy(px, b, hs))
	}
}

// planHTTPSParam replaces an HTTPS param hard-coded on, in a server that
// takes plain HTTP with no edge in front, with the scheme nginx saw
// (TC405): written in the user's file, not read from a stock include.
func (sg *suggester) planHTTPSParam(px *nginxconf.Proxy) {
	if len(sg.edges()) > 0 || !px.Server.Plain() || px.Hop.Gateway.HTTPS == nil {
		return
	}
	if v, constant := nginxconf.IsConstant(px.Hop.Gateway.HTTPS); !constant || !trustmodel.HTTPSOn(v) {
		return
	}
	var prm *nginxconf.HeaderSetting
	for i := range px.Params {
		if px.Params[i].Name == "HTTPS" {
			prm = &px.Params[i]
		}
	}
	lines := sg.files[prm.Pos.File]
	if prm.Pos.Line < 1 || prm.Pos.Line > len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[prm.Pos.Line-1]), listDirective(px)) {
		return
	}
	sg.add(plannedEdit{Edit: rules.ReplaceText(prm.Pos, sg.statement(prm.Pos, listDirective(px)+" HTTPS"), listDirective(px)+" HTTPS $https if_not_empty;"),
		why: "the app must see https only for requests nginx took over TLS (it is " + nginxArg(prm.Value) + " now)"})
}

func repeatWhy(px *nginxconf.Proxy, b block, hs nginxconf.HeaderSetting) string {
	what := "the forwarding headers"
	if px.Hop.Gateway != nil {
		what = "the params that say who the client is"
	}
	return fmt.Sprintf("this %s sets its own %s list, which replaces the %s level's: repeat %s here", b.level, listDirective(px), hs.Level, what)
}

func forwardingHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "host" || n == "x-scheme" || n == "x-real-ip" || n == "forwarded" || strings.HasPrefix(n, "x-forwarded-") ||
		strings.HasSuffix(n, "-client-ip") || n == "true-client-ip" || n == "cf-connecting-ip"
}

func headerWhy(name, want string, set bool, cur string) string {
	was := "nginx does not set it"
	if set {
		was = fmt.Sprintf("it is %s now", nginxArg(cur))
	}
	switch name {
	case "Host":
		return "the app must see the name the client asked for, not the upstream's (" + was + ")"
	case "X-Forwarded-For":
		return "the app must read the address nginx saw, not what the client wrote (" + was + ")"
	case "X-Forwarded-Proto":
		if want == "$http_x_forwarded_proto" || strings.HasPrefix(want, "$trustcheck_") {
			return "TLS ends at the edge and nginx listens plain: pass on the scheme the edge sets (" + was + ")"
		}
		return "the app must see the scheme nginx accepted, never the client's header (" + was + ")"
	case "X-Forwarded-Host":
		return "the app must not read a host the client chose (" + was + ")"
	}
	return was
}

// headerBlock is the block whose proxy_set_header list applies at px, and
// where to add to it.
func (sg *suggester) headerBlock(px *nginxconf.Proxy) (block, bool) {
	name := listDirective(px)
	own := func(ds []*nginxconf.Directive, file string) *nginxconf.Directive {
		var last *nginxconf.Directive
		for _, d := range ds {
			if d.Name == name && d.Pos.File == file {
				last = d
			}
		}
		return last
	}
	has := func(ds []*nginxconf.Directive) bool {
		return slices.ContainsFunc(ds, func(d *nginxconf.Directive) bool { return d.Name == name })
	}
	loc := px.Location
	for loc != nil && loc.IsIf() {
		loc = loc.Parent
	}
	mk := func(level, name string, pos trustmodel.Pos, ds []*nginxconf.Directive, key any) (block, bool) {
		b := block{level: level, name: name, key: key}
		if d := own(ds, pos.File); d != nil {
			b.anchor = d.Pos
		} else if slices.Contains(ds, px.Directive) && px.Pos.File == pos.File {
			b.anchor = px.Pos
		} else {
			b.anchor, b.opens = pos, true
		}
		return b, sg.files[b.anchor.File] != nil && b.anchor.Line > 0
	}
	switch px.HeadersLevel {
	case "location":
		for l := loc; l != nil; l = l.Parent {
			if has(l.Directives) {
				return mk("location", l.String(), l.Pos, l.Directives, l)
			}
		}
	case "server":
		return mk("server", serverLabel(px.Server), px.Server.Pos, px.Server.Directives, px.Server)
	case "http":
		if h := px.Server.HTTP; h != nil && !h.Implicit {
			return mk("http", "http", h.Pos, h.Directives, h)
		}
	}
	if loc != nil && !loc.Implicit {
		return mk("location", loc.String(), loc.Pos, loc.Directives, loc)
	}
	return mk("server", serverLabel(px.Server), px.Server.Pos, px.Server.Directives, px.Server)
}

func serverLabel(s *nginxconf.Server) string {
	if n := s.ServerName(); n != "" {
		return "server " + n
	}
	return "server"
}

// insert adds directive to block b.
func (sg *suggester) insert(b block, directive, why string) {
	e := rules.InsertAfter(b.anchor, directive)
	if b.opens {
		e = rules.InsertInside(b.anchor, directive)
	}
	sg.add(plannedEdit{Edit: e, why: why, where: b.name})
}

func (sg *suggester) add(e plannedEdit) { sg.edits = append(sg.edits, e) }

func (sg *suggester) note(n string) {
	if !slices.Contains(sg.notes, n) {
		sg.notes = append(sg.notes, n)
	}
}

// nginxArg quotes a proxy_set_header value when nginx needs it.
func nginxArg(v string) string {
	if v == "" || strings.ContainsAny(v, " \t;{}\"'") {
		return strconv.Quote(v)
	}
	return v
}

// ---------------------------------------------------------------------------
// X-Forwarded-Proto and the edge

// edges is the declared edge, outermost first.
func (sg *suggester) edges() []trustmodel.EdgeSpec {
	if sg.cfg == nil {
		return nil
	}
	return sg.cfg.Edge
}

func (sg *suggester) nginxReachable() bool {
	if sg.cfg != nil && sg.cfg.Nginx.ReachableDirectly != nil {
		return *sg.cfg.Nginx.ReachableDirectly
	}
	return len(sg.edges()) == 0
}

// protoValue is the X-Forwarded-Proto nginx must send at px: $scheme where
// nginx accepts the client's TLS, the edge's header where TLS ends at the
// edge and nginx listens plain (only from the edge's addresses when clients
// can also reach nginx directly).
func (sg *suggester) protoValue(px *nginxconf.Proxy) string {
	edges := sg.edges()
	if len(edges) == 0 || px.Server.SSL() {
		return "$scheme"
	}
	terminates := slices.ContainsFunc(edges, func(e trustmodel.EdgeSpec) bool { return e.TLS == "terminate" })
	if !terminates {
		return "$scheme"
	}
	if !sg.edgeSets(func(e trustmodel.EdgeSpec) string { return e.XForwardedProto }) {
		sg.note(fmt.Sprintf("TLS ends at %s, which does not set X-Forwarded-Proto: configure it to set the header (nginx cannot know the client's scheme)", edges[0].Name))
		return "$scheme"
	}
	if !sg.nginxReachable() {
		return "$http_x_forwarded_proto"
	}
	if sg.planProtoMap(px) {
		return "$trustcheck_forwarded_proto"
	}
	return "$scheme"
}

// edgeSets reports whether the header that reaches nginx is set by an edge
// hop: the innermost hop that does not preserve it sets it.
func (sg *suggester) edgeSets(setting func(trustmodel.EdgeSpec) string) bool {
	edges := sg.edges()
	for i := len(edges) - 1; i >= 0; i-- {
		if v := setting(edges[i]); v != "preserve" {
			return v == "set"
		}
	}
	return false
}

// planProtoMap adds, once per http block, a geo on the connection's peer and
// a map that take X-Forwarded-Proto from the edge's addresses only.
func (sg *suggester) planProtoMap(px *nginxconf.Proxy) bool {
	h := px.Server.HTTP
	if h == nil || h.Implicit || sg.files[h.Pos.File] == nil {
		return false
	}
	if done, seen := sg.geoDone[h]; seen {
		return done
	}
	for _, m := range h.Maps {
		if m.Variable == "trustcheck_forwarded_proto" {
			sg.geoDone[h] = true
			return true
		}
	}
	edges := sg.edges()
	inner := edges[len(edges)-1]
	if len(inner.Addresses) == 0 {
		sg.geoDone[h] = false
		return false
	}
	lines := []string{"# trustcheck: X-Forwarded-Proto from " + inner.Name + " only; direct clients get nginx's own $scheme",
		"geo $realip_remote_addr $trustcheck_from_edge {", "    default 0;"}
	for _, r := range inner.Addresses {
		lines = append(lines, fmt.Sprintf("    %s 1;", r))
	}
	lines = append(lines, "}", "map $trustcheck_from_edge $trustcheck_forwarded_proto {",
		"    default $scheme;", "    1 $http_x_forwarded_proto;", "}")
	why := fmt.Sprintf("clients also reach nginx directly: believe X-Forwarded-Proto only from %s's addresses", inner.Name)
	sg.add(plannedEdit{Edit: rules.InsertInside(h.Pos, strings.Join(lines, "\n")), why: why, where: "http"})
	sg.geoDone[h] = true
	return true
}

// ---------------------------------------------------------------------------
// realip

// planRealIP makes nginx's $remote_addr the client behind a declared edge:
// set_real_ip_from for every edge range, real_ip_header X-Forwarded-For,
// real_ip_recursive on. Only when every edge hop appends to (or overwrites)
// X-Forwarded-For: otherwise the header carries the client's own text.
func (sg *suggester) planRealIP(px *nginxconf.Proxy) {
	edges := sg.edges()
	if len(edges) == 0 {
		sg.planRecursive(px)
		return
	}
	if !sg.addRealIP && !px.RealIP.Active() {
		return
	}
	var ranges []netip.Prefix
	for _, e := range edges {
		if e.XForwardedFor != "append" && e.XForwardedFor != "overwrite" {
			sg.note(fmt.Sprintf("%s does not append to X-Forwarded-For (%s), so nginx cannot learn the client's address from it; realip is not suggested", e.Name, e.XForwardedFor))
			return
		}
		for _, r := range e.Addresses {
			if !slices.Contains(ranges, r) {
				ranges = append(ranges, r)
			}
		}
	}
	if len(ranges) == 0 {
		return
	}
	s := px.Server
	r := px.RealIP
	where := serverLabel(s)
	// Anchor: after the last set_real_ip_from in effect (keeps the list at
	// its level), else in the server after server_name / listen.
	var anchor trustmodel.Pos
	opens := false
	var fromPos trustmodel.Pos
	if r.Active() {
		for _, f := range r.From {
			if sg.files[f.Pos.File] != nil {
				fromPos = f.Pos
			}
		}
	}
	switch {
	case fromPos.Line > 0:
		anchor = fromPos
	case s.NamePos.Line > 0 && s.NamePos.File == s.Pos.File:
		anchor = s.NamePos
	default:
		for _, l := range s.Listens {
			if l.Pos.File == s.Pos.File {
				anchor = l.Pos
			}
		}
		if anchor.Line == 0 {
			anchor, opens = s.Pos, true
		}
	}
	if sg.files[anchor.File] == nil {
		sg.note(fmt.Sprintf("%s:%d: cannot place realip edits (the server block is not in a file trustcheck read)", s.Pos.File, s.Pos.Line))
		return
	}
	ins := func(text, why string) {
		e := rules.InsertAfter(anchor, text)
		if opens {
			e = rules.InsertInside(anchor, text)
		}
		sg.add(plannedEdit{Edit: e, why: why, where: where})
	}
	names := make([]string, len(edges))
	for i, e := range edges {
		names[i] = e.Name
	}
	for _, p := range ranges {
		covered := false
		if r.Active() {
			for _, f := range r.From {
				if fp, err := netip.ParsePrefix(f.Prefix); err == nil && fp.Bits() <= p.Bits() && fp.Contains(p.Addr()) {
					covered = true
				}
			}
		}
		if !covered {
			ins(fmt.Sprintf("set_real_ip_from %s;", p), "$remote_addr becomes the client behind "+strings.Join(names, " -> ")+": trust its addresses")
		}
	}
	if !r.Active() || r.Mode != nginxconf.RealIPXForwardedFor {
		text, why := "real_ip_header X-Forwarded-For;", "take the client's address from the X-Forwarded-For the edge appends to"
		if r.HeaderPos.Line > 0 && sg.files[r.HeaderPos.File] != nil {
			sg.add(plannedEdit{Edit: rules.ReplaceText(r.HeaderPos, sg.statement(r.HeaderPos, "real_ip_header"), text), why: why, where: where})
		} else {
			ins(text, why)
		}
	}
	// Recursion matters with several edge hops; a fresh realip gets it anyway.
	if !r.Active() || !r.Recursive && len(edges) > 1 {
		text, why := "real_ip_recursive on;", "skip every trusted edge address, not only the last one"
		if r.RecursivePos.Line > 0 && sg.files[r.RecursivePos.File] != nil {
			sg.add(plannedEdit{Edit: rules.ReplaceText(r.RecursivePos, sg.statement(r.RecursivePos, "real_ip_recursive"), text), why: why, where: where})
		} else {
			ins(text, why)
		}
	}
}

// planRecursive turns real_ip_recursive on where realip trusts several
// proxies by X-Forwarded-For but takes only the last entry.
func (sg *suggester) planRecursive(px *nginxconf.Proxy) {
	r := px.RealIP
	if !r.Active() || r.Mode != nginxconf.RealIPXForwardedFor || r.Recursive || len(r.From) < 2 {
		return
	}
	text, why := "real_ip_recursive on;", "realip trusts several proxies: skip every trusted address, not only the last one"
	if r.RecursivePos.Line > 0 && sg.files[r.RecursivePos.File] != nil {
		sg.add(plannedEdit{Edit: rules.ReplaceText(r.RecursivePos, sg.statement(r.RecursivePos, "real_ip_recursive"), text), why: why, where: serverLabel(px.Server)})
		return
	}
	last := r.From[len(r.From)-1].Pos
	if sg.files[last.File] != nil {
		sg.add(plannedEdit{Edit: rules.InsertAfter(last, text), why: why, where: serverLabel(px.Server)})
	}
}

// dedupeEdits drops repeated edits (a block shared by several proxies).
func dedupeEdits(es []plannedEdit) []plannedEdit {
	type line struct {
		file string
		n    int
	}
	seen := map[rules.Edit]bool{}
	replaced := map[line]bool{}
	var out []plannedEdit
	for _, e := range es {
		if seen[e.Edit] {
			continue
		}
		if e.Old != "" {
			if replaced[line{e.File, e.Line}] {
				continue // a shared line two places want differently: the first wins
			}
			replaced[line{e.File, e.Line}] = true
		}
		seen[e.Edit] = true
		out = append(out, e)
	}
	return out
}

// ---------------------------------------------------------------------------
// trustcheck.yaml

// yamlEdit is the trustcheck.yaml change for trust value v; false when the
// value came from --trust-proxy.
func (sg *suggester) yamlEdit(v any) (plannedEdit, bool) {
	value := rules.YAMLFlow(v)
	e := plannedEdit{yaml: true, show: "app.trust_proxy: " + value, why: "the app's trust setting, as the app passes it"}
	if sg.o.TrustProxySet {
		return e, false
	}
	if sg.cfg != nil {
		at := sg.app.Spec.TrustProxyPos
		if at.File != sg.cfg.File {
			at = trustmodel.Pos{}
		}
		e.Edit = rules.SetYAML(at, sg.app.Spec.Pos, "trust_proxy", value)
		return e, true
	}
	dir := sg.o.WorkDir
	if first := sg.o.Inputs[0]; first != "-" {
		if st, err := os.Stat(first); err == nil && st.IsDir() {
			dir = first
		} else {
			dir = filepath.Dir(first)
		}
	}
	e.Edit = rules.InsertAfter(trustmodel.Pos{File: filepath.Join(dir, "trustcheck.yaml")}, "version: 1\napp:\n  trust_proxy: "+value)
	e.why = "no trustcheck.yaml yet: create it with the app's trust setting"
	return e, true
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ---------------------------------------------------------------------------
// checking the edits: the edited files as an nginx -T dump

// reload loads the configuration with the planned edits applied, or nil
// when the inputs are not plain files on disk.
func (sg *suggester) reload() *nginxconf.Config {
	for _, f := range sg.ng.Files {
		if sg.files[f.Path] == nil {
			return nil
		}
	}
	var roots []string
	prefix := sg.o.Prefix
	for _, in := range sg.o.Inputs {
		st, err := os.Stat(in)
		if in == "-" || err != nil {
			return nil
		}
		if !st.IsDir() {
			roots = append(roots, filepath.Clean(in))
			continue
		}
		if prefix == "" {
			prefix = in
		}
		_ = filepath.WalkDir(in, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".conf") && !strings.HasPrefix(d.Name(), ".") {
				roots = append(roots, p)
			}
			return nil
		})
	}
	byFile := map[string][]rules.Edit{}
	for _, e := range sg.edits {
		byFile[e.File] = append(byFile[e.File], e.Edit)
	}
	content := func(name string) string {
		lines, err := rules.ApplyEdits(sg.files[name], byFile[name])
		if err != nil {
			lines = sg.files[name] // resolved edits apply; a bug otherwise, which the tests catch
		}
		return strings.Join(lines, "\n") + "\n"
	}
	dir, err := os.MkdirTemp("", "trustcheck-suggest-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	var dumps []string
	for i, root := range roots {
		if sg.files[root] == nil {
			continue // a *.conf below a directory that is not configuration nginx loaded
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# configuration file %s:\n%s", root, content(root))
		for _, f := range sg.ng.Files {
			if f.Path != root {
				fmt.Fprintf(&b, "# configuration file %s:\n%s", f.Path, content(f.Path))
			}
		}
		name := filepath.Join(dir, fmt.Sprintf("dump-%d.txt", i))
		if os.WriteFile(name, []byte(b.String()), 0o600) != nil {
			return nil
		}
		dumps = append(dumps, name)
	}
	if len(dumps) == 0 {
		return nil
	}
	ng, err := nginxconf.Load(nginxconf.LoadOptions{Prefix: prefix, AllowMissingIncludes: sg.o.AllowMissingIncludes, NginxVersion: sg.o.NginxVersion}, dumps...)
	if err != nil {
		sg.note("the edited configuration does not load: " + err.Error())
		sg.loadFailed = true
		return nil
	}
	return ng
}

// ---------------------------------------------------------------------------
// text output

func writeSuggestion(w io.Writer, s *Suggestion) {
	switch {
	case s.TrustProxy == nil:
		fmt.Fprintln(w, "trust proxy: nothing to trust (no location proxies to the app over a known address)")
	case s.Keep:
		fmt.Fprintf(w, "trust proxy: keep %s\n    %s\n", rules.JSValue(s.TrustProxy), s.Code)
	default:
		fmt.Fprintf(w, "trust proxy: %s\n    %s\n", rules.JSValue(s.TrustProxy), s.Code)
	}
	var yamlEdits, nginxEdits []plannedEdit
	for _, e := range s.planned {
		if e.yaml {
			yamlEdits = append(yamlEdits, e)
		} else {
			nginxEdits = append(nginxEdits, e)
		}
	}
	for _, e := range yamlEdits {
		if e.Old != "" {
			fmt.Fprintf(w, "    %s:%d: %s\n", e.File, e.Line, e.show)
		} else {
			fmt.Fprintf(w, "    %s: %s (%s)\n", e.File, e.show, e.why)
		}
	}
	if len(nginxEdits) == 0 {
		fmt.Fprintln(w, "\nnginx: no change needed")
	} else {
		fmt.Fprintf(w, "\nnginx: %s\n", plural(len(nginxEdits), "edit"))
		for i := 0; i < len(nginxEdits); {
			e := nginxEdits[i]
			j := i + 1
			for e.Old == "" && j < len(nginxEdits) && nginxEdits[j].File == e.File && nginxEdits[j].Line == e.Line && nginxEdits[j].Old == "" {
				j++
			}
			verb := "after"
			if e.Old != "" {
				verb = "replace"
			}
			fmt.Fprintf(w, "\n  %s %s:%d (in %s):\n", verb, e.File, e.Line, e.where)
			why := ""
			// The group's lines keep their indentation relative to its first.
			first := nginxEdits[i].New
			base := first[:len(first)-len(strings.TrimLeft(first, " \t"))]
			for _, g := range nginxEdits[i:j] {
				if g.why != why {
					why = g.why
					fmt.Fprintf(w, "    # %s\n", why)
				}
				for _, l := range strings.Split(g.New, "\n") {
					fmt.Fprintf(w, "    %s\n", strings.TrimPrefix(l, base))
				}
			}
			i = j
		}
	}
	if len(s.Remaining) > 0 {
		fmt.Fprintln(w, "\nstill reported after these changes (they need a change outside nginx and the trust value):")
		for _, r := range s.Remaining {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
}

// checked is the edited configuration, or the original one when the edits
// could not be applied in memory.
func (sg *suggester) checked(fixed *nginxconf.Config) *nginxconf.Config {
	if fixed == nil {
		return sg.ng
	}
	return fixed
}
