package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// forwardedHeaders are the headers `trustcheck paths` follows hop by hop.
var forwardedHeaders = []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "X-Real-IP", "Host"}

// PathsDoc is `trustcheck paths --format json`: every modelled path with what
// each hop does to the forwarded headers, and the honest and hostile replays
// with the exact requests and the results predicted for them.
type PathsDoc struct {
	Version int `json:"version"`
	// App is the app (the first one when trustcheck.yaml lists several).
	App PathsApp `json:"app"`
	// Apps lists every app when trustcheck.yaml lists several; each path
	// names the one it reaches.
	Apps  []PathsApp `json:"apps,omitempty"`
	Paths []PathJSON `json:"paths"`
	Notes []string   `json:"notes"`
}

// PathsApp is the app the results are computed for. Its fields carry the
// names of a `simulate --batch` case (SimCase): a case is this object plus a
// replay's at_app peer, tls and headers.
type PathsApp struct {
	Name      string `json:"name,omitempty"`
	Framework string `json:"framework"`
	Version   string `json:"version"`
	// TrustProxy is exactly what the app passes; absent when unknown (then
	// every result is null).
	TrustProxy json.RawMessage `json:"trust_proxy,omitempty"`
	Options    map[string]any  `json:"options,omitempty"`
	// Server and Middleware are trustcheck.yaml's, as a batch case takes them.
	Server     map[string]any   `json:"server,omitempty"`
	Middleware []map[string]any `json:"middleware,omitempty"`
	Session    *SimSession      `json:"session,omitempty"`
	// Evaluator is the framework and version the results follow ("express 5").
	Evaluator string `json:"evaluator,omitempty"`
	// TrustError is the framework's own message when it rejects trust_proxy.
	TrustError string `json:"trust_error,omitempty"`
	Listen     string `json:"listen,omitempty"`
	// ClientIPFrom is where the app takes the client address from, when not
	// from the framework (trustcheck.yaml's client_ip_from).
	ClientIPFrom string `json:"client_ip_from,omitempty"`
}

// PathJSON is one path from a public entry point to the app.
type PathJSON struct {
	Entry string `json:"entry"`
	// App is the name of the app the path reaches (its results are that
	// app's); absent when the app has no name.
	App string `json:"app,omitempty"`
	// Kind is where the path starts: edge, nginx or app.
	Kind string `json:"kind"`
	// URL is what the honest client requests.
	URL string `json:"url"`
	// Listen are the nginx server's listen sockets (nginx paths only).
	Listen  []string     `json:"listen,omitempty"`
	Hops    []HopJSON    `json:"hops"`
	Honest  ReplayJSON   `json:"honest"`
	Hostile []ReplayJSON `json:"hostile"`
}

// HopJSON is one proxy on a path and what it does to each forwarded header.
type HopJSON struct {
	Name string `json:"name"`
	File string `json:"file"`
	Line int    `json:"line"`
	// Addr is the address the next hop sees this one connect from ("" over a
	// UNIX socket).
	Addr      string `json:"addr"`
	TLSToNext bool   `json:"tls_to_next"`
	// ClientAddr is how the hop derives the client address it writes (nginx
	// realip); absent when it is the connection's peer.
	ClientAddr string `json:"client_addr,omitempty"`
	// Gateway is "fastcgi", "uwsgi" or "scgi" when the hop hands the app a
	// CGI environment: its peer is then RemoteAddr (the REMOTE_ADDR param
	// as written; "" when none is sent) and its scheme the HTTPS param.
	Gateway    string       `json:"gateway,omitempty"`
	RemoteAddr string       `json:"remote_addr,omitempty"`
	HTTPS      string       `json:"https,omitempty"`
	Headers    []HeaderJSON `json:"headers"`
}

// HeaderJSON is what one hop does to one forwarded header.
type HeaderJSON struct {
	Name string `json:"name"`
	// Action is set, append, pass (sent on as received) or remove.
	Action string `json:"action"`
	// Value is the directive's value as written ($proxy_add_x_forwarded_for),
	// or the edge hop's setting (x_forwarded_for: append).
	Value string `json:"value"`
	// From lists what the value is computed from.
	From []string `json:"from"`
	File string   `json:"file"`
	Line int      `json:"line"`
	// ClientControlled: a client can choose (part of) what this hop sends.
	ClientControlled bool `json:"client_controlled"`
	// Shadowed are proxy_set_header lines for this header at outer levels
	// that do not apply here, because a closer level has its own list.
	Shadowed []ShadowJSON `json:"shadowed,omitempty"`
}

// ShadowJSON is an outer proxy_set_header that a closer level drops.
type ShadowJSON struct {
	Value string `json:"value"`
	Level string `json:"level"`
	File  string `json:"file"`
	Line  int    `json:"line"`
}

// ReplayJSON is one client request through a path.
type ReplayJSON struct {
	// Inject and Value are the hostile header and what it carries (absent
	// for the honest client).
	Inject  string      `json:"inject,omitempty"`
	Value   string      `json:"value,omitempty"`
	Request RequestJSON `json:"request"`
	// AtNginx is what nginx receives, on paths through edge hops.
	AtNginx *RequestJSON `json:"at_nginx,omitempty"`
	AtApp   RequestJSON  `json:"at_app"`
	// Result is what the app resolves (null fields are undefined); null
	// when the app's trust setting is unknown or rejected.
	Result *SimOutput `json:"result"`
}

// RequestJSON is one request as its receiver sees it.
type RequestJSON struct {
	Peer    string      `json:"peer"`
	TLS     bool        `json:"tls"`
	Headers [][2]string `json:"headers"`
}

// RunPaths runs the paths command: o.Format is text, json, mermaid or dot.
// Every error it returns is exit code 2.
func RunPaths(o Options, stdout, stderr io.Writer) error {
	if !slices.Contains([]string{"", "text", "json", "mermaid", "dot"}, o.Format) {
		return fmt.Errorf("--format %q: want text, json, mermaid or dot", o.Format)
	}
	if err := o.inputsFromAppFile(); err != nil {
		return err
	}
	if len(o.Inputs) == 0 {
		return errors.New("no nginx configuration given (usage: trustcheck paths NGINX_CONF...)")
	}
	pr, err := prepare(o)
	if err != nil {
		return err
	}
	if o.Format == "mermaid" || o.Format == "dot" {
		return runPathsDiagram(o, pr, stdout, stderr)
	}
	doc := pathsDoc(pr)
	if o.Format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	var buf bytes.Buffer
	writePathsText(&buf, pr, doc)
	if _, err := stdout.Write(trimLines(buf.Bytes())); err != nil {
		return err
	}
	if !o.Quiet {
		for _, n := range doc.Notes {
			fmt.Fprintf(stderr, "note: %s\n", n)
		}
	}
	return nil
}

// pathsDoc describes every path of pr.
func pathsDoc(pr *prepared) *PathsDoc {
	doc := &PathsDoc{Version: 1, App: pathsApp(pr.app), Paths: []PathJSON{}, Notes: []string{}}
	if len(pr.apps) > 1 {
		for _, app := range pr.apps {
			doc.Apps = append(doc.Apps, pathsApp(app))
		}
	}
	doc.Notes = append(doc.Notes, pathsNotes(pr)...)
	for i, p := range pr.paths {
		doc.Paths = append(doc.Paths, pathJSON(pr.apps[pr.pathApp[i]], p))
	}
	return doc
}

// pathsNotes say what the paths leave out and why.
func pathsNotes(pr *prepared) []string {
	var notes []string
	for _, w := range pr.ng.Warnings {
		notes = append(notes, w.String())
	}
	if pr.unknownPeer > 0 {
		notes = append(notes, unknownPeerNote(pr.unknownPeer))
	}
	if len(pr.paths) == 0 && pr.unknownPeer == 0 {
		notes = append(notes, "no path reaches the app: no proxy_pass in the configuration, and trustcheck.yaml does not make the app reachable directly")
	}
	return notes
}

// pathsApp describes one app as the paths JSON does.
func pathsApp(app rules.AppInfo) PathsApp {
	spec := app.Spec
	out := PathsApp{
		Name: spec.Name, Framework: spec.Framework, Version: spec.FrameworkVersion,
		Options: spec.Options, Server: spec.Server, Middleware: spec.Middleware,
		TrustError: app.TrustError, Listen: spec.Listen,
	}
	if spec.ClientIPFrom != "framework" {
		out.ClientIPFrom = spec.ClientIPFrom
	}
	if out.Framework == "" {
		out.Framework = "express"
	}
	if spec.TrustProxySet {
		if raw, err := json.Marshal(spec.TrustProxy); err == nil {
			out.TrustProxy = raw
		}
	}
	if s := spec.Session; s != nil {
		out.Session = &SimSession{CookieSecure: s.CookieSecure, Proxy: s.Proxy}
	}
	if app.Evaluator != nil {
		out.Evaluator = app.Evaluator.Name()
		if out.Version == "" {
			// The version the results follow, so a batch case reproduces them
			// ("express 5, client address from request-ip": 5).
			_, out.Version, _ = strings.Cut(out.Evaluator, " ")
			out.Version, _, _ = strings.Cut(out.Version, ",")
			out.Version, _, _ = strings.Cut(out.Version, " (") // "spring-boot 3 (native)"
		}
	}
	return out
}

func kindName(k rules.EntryKind) string {
	switch k {
	case rules.EntryEdge:
		return "edge"
	case rules.EntryNginx:
		return "nginx"
	}
	return "app"
}

func pathJSON(app rules.AppInfo, p *rules.Path) PathJSON {
	out := PathJSON{Entry: p.Entry, App: app.Spec.Name, Kind: kindName(p.Kind), URL: p.URL, Hops: []HopJSON{}}
	if p.Proxy != nil {
		for _, l := range p.Proxy.Server.Listens {
			s := l.Socket()
			if l.SSL {
				s += " ssl"
			}
			out.Listen = append(out.Listen, s)
		}
	}
	// incoming[r][i] is the request hop i receives in replay r (0 = honest).
	replays := append([]rules.Replay{p.Honest()}, p.Hostile()...)
	incoming := make([][]trustmodel.Request, len(replays))
	for r, rep := range replays {
		req := rep.Client
		for i := range p.Hops {
			incoming[r] = append(incoming[r], req)
			req = p.Hops[i].Forward(req)
		}
	}
	cc := clientChoice{names: map[string]bool{}, rest: true}
	for i := range p.Hops {
		h := &p.Hops[i]
		edge := p.Proxy == nil || i < len(p.Hops)-1
		hj := HopJSON{Name: h.Name, File: h.Pos.File, Line: h.Pos.Line, Addr: h.Addr, TLSToNext: h.TLSToNext, Headers: []HeaderJSON{}}
		if g := h.Gateway; g != nil {
			hj.Gateway = g.Protocol
			if g.RemoteAddr != nil {
				hj.RemoteAddr = g.RemoteAddr.String()
			}
			if g.HTTPS != nil {
				hj.HTTPS = g.HTTPS.String()
			}
		}
		if h.ClientAddr != nil {
			hj.ClientAddr = h.ClientAddr.String()
		}
		// The hop's client address is client-chosen when a hostile replay
		// makes it the injected address.
		spoofAddr := false
		if h.ClientAddr != nil {
			for r := 1; r < len(replays); r++ {
				if h.ClientAddr.Resolve(incoming[r][i]) == rules.SpoofedAddr {
					spoofAddr = true
				}
			}
		}
		prev := "the client"
		if i > 0 {
			prev = p.Hops[i-1].Name
		}
		for _, name := range forwardedHeaders {
			hj.Headers = append(hj.Headers, describeHeader(h, name, edge, cc, spoofAddr, prev, p.Proxy))
		}
		cc = cc.after(h, spoofAddr)
		out.Hops = append(out.Hops, hj)
	}
	out.Honest = replayJSON(app, p, replays[0])
	out.Hostile = []ReplayJSON{}
	for _, r := range replays[1:] {
		out.Hostile = append(out.Hostile, replayJSON(app, p, r))
	}
	return out
}

// clientChoice says which headers arriving at a hop a client can choose:
// every header at the first hop; after that, what earlier hops passed on or
// built from client-chosen values.
type clientChoice struct {
	names map[string]bool // lower-case name -> chosen
	rest  bool            // headers no hop has named yet
}

func (c clientChoice) chosen(name string) bool {
	if v, ok := c.names[strings.ToLower(name)]; ok {
		return v
	}
	return c.rest
}

// after is the choice at the next hop, once h has forwarded the request.
func (c clientChoice) after(h *trustmodel.Hop, spoofAddr bool) clientChoice {
	next := clientChoice{names: map[string]bool{}, rest: c.rest && !h.DropClientHeaders}
	for k, v := range c.names {
		next.names[k] = v && !h.DropClientHeaders
	}
	for _, r := range h.Rules {
		next.names[strings.ToLower(r.Name)] = ruleChosen(r, c, spoofAddr)
	}
	return next
}

// ruleChosen reports whether a client can choose any part of what rule r sends.
func ruleChosen(r trustmodel.HeaderRule, in clientChoice, spoofAddr bool) bool {
	if r.Remove || r.Value == nil {
		return false
	}
	for _, s := range r.Value.Sources() {
		switch s.Kind {
		case trustmodel.SourceHeader:
			if in.chosen(s.Name) {
				return true
			}
		case trustmodel.SourceClient:
			return true
		case trustmodel.SourceClientAddr:
			if spoofAddr {
				return true
			}
		}
	}
	return false
}

// describeHeader says what hop h does to header name.
func describeHeader(h *trustmodel.Hop, name string, edge bool, in clientChoice, spoofAddr bool, prev string, px *nginxconf.Proxy) HeaderJSON {
	out := HeaderJSON{Name: name, From: []string{}}
	r, ok := h.Rule(name)
	switch {
	case !ok && h.DropClientHeaders:
		out.Action = "remove"
		out.File, out.Line = h.Pos.File, h.Pos.Line
		out.From = append(out.From, "proxy_pass_request_headers off")
	case !ok:
		out.Action = "pass"
		out.ClientControlled = in.chosen(name)
		out.From = append(out.From, "as received from "+prev)
	default:
		out.File, out.Line = r.Pos.File, r.Pos.Line
		out.Action = ruleAction(name, r)
		out.ClientControlled = ruleChosen(r, in, spoofAddr)
		if r.Value != nil && !r.Remove {
			out.Value = r.Value.String()
			if edge {
				out.Value = strings.ReplaceAll(strings.ToLower(name), "-", "_") + ": " + out.Value
			}
			v := r.Value
			if hp, ok := v.(nginxconf.HostOrProxyHost); ok && hp.Value != nil {
				v = hp.Value // $proxy_host is only the fallback for an empty value
			}
			for _, s := range v.Sources() {
				if out.Action == "append" && s.Kind == trustmodel.SourceHeader && strings.EqualFold(s.Name, name) {
					continue // appended to what arrived
				}
				if d := sourceText(s, h, name, prev); d != "" && !slices.Contains(out.From, d) {
					out.From = append(out.From, d)
				}
			}
		}
	}
	if !edge && px != nil {
		for _, s := range px.Shadowed {
			if strings.EqualFold(s.Name, name) {
				out.Shadowed = append(out.Shadowed, ShadowJSON{Value: s.Value, Level: s.Level, File: s.Pos.File, Line: s.Pos.Line})
			}
		}
	}
	return out
}

// ruleAction classifies a header rule: remove, pass (the value is what
// arrived), append (what arrived, then more) or set.
func ruleAction(name string, r trustmodel.HeaderRule) string {
	if r.Remove || r.Value == nil {
		return "remove"
	}
	v := r.Value
	if hp, ok := v.(nginxconf.HostOrProxyHost); ok && hp.Value != nil {
		v = hp.Value // $proxy_host is only the fallback for an empty value
	}
	reads := false
	for _, s := range v.Sources() {
		if s.Kind == trustmodel.SourceHeader && strings.EqualFold(s.Name, name) {
			reads = true
		}
	}
	if !reads {
		return "set"
	}
	// Probe: what does the value become when the header arrives?
	const probe = "probe-value-7f3a"
	in := trustmodel.HopInput{ClientAddr: "192.0.2.1", In: trustmodel.Request{Peer: "192.0.2.1", Headers: trustmodel.Header{{Name: name, Value: probe}}}}
	if !strings.EqualFold(name, "Host") {
		in.In.Headers = append(in.In.Headers, trustmodel.HeaderLine{Name: "Host", Value: "app.example"})
	}
	got := v.Eval(in)
	switch {
	case got == probe:
		return "pass"
	case strings.HasPrefix(got, probe):
		return "append"
	}
	return "set"
}

// sourceText describes one input of a header value.
func sourceText(s trustmodel.Source, h *trustmodel.Hop, header, prev string) string {
	switch s.Kind {
	case trustmodel.SourceLiteral:
		if strings.Trim(s.Name, " ,;") == "" {
			return ""
		}
		return fmt.Sprintf("literal %q", s.Name)
	case trustmodel.SourceClientAddr:
		if h.ClientAddr != nil {
			return "client address (after realip)"
		}
		return "client address"
	case trustmodel.SourceHeader:
		if strings.EqualFold(s.Name, header) {
			return s.Name + " as received from " + prev
		}
		return "incoming " + s.Name
	case trustmodel.SourceScheme:
		return "scheme"
	case trustmodel.SourceHost:
		return "host"
	case trustmodel.SourceClient:
		return "client-chosen " + s.Name
	}
	return s.Name
}

func requestJSON(r trustmodel.Request) RequestJSON {
	out := RequestJSON{Peer: r.Peer, TLS: r.TLS, Headers: make([][2]string, 0, len(r.Headers))}
	for _, l := range r.Headers {
		out.Headers = append(out.Headers, [2]string{l.Name, l.Value})
	}
	return out
}

func replayJSON(app rules.AppInfo, p *rules.Path, r rules.Replay) ReplayJSON {
	out := ReplayJSON{Inject: r.Inject, Value: r.Value, Request: requestJSON(r.Client), AtApp: requestJSON(r.AtApp)}
	if p.Kind == rules.EntryEdge && len(p.Hops) > 1 {
		edges := trustmodel.Path{Hops: p.Hops[:len(p.Hops)-1]}
		at := requestJSON(edges.Replay(r.Client))
		out.AtNginx = &at
	}
	if app.Evaluator != nil {
		o := simOutput(r.Result)
		out.Result = &o
	}
	return out
}

// simOutput is a result as `simulate --format json` writes it.
func simOutput(r trustmodel.Result) SimOutput {
	out := SimOutput{IP: r.IP, IPs: r.IPs, Protocol: r.Protocol, Host: r.Host, Hostname: r.Hostname, Secure: r.Secure, Raised: r.Raised, SessionCookie: r.SessionCookie}
	return out
}

// ---------------------------------------------------------------------------
// text

func writePathsText(w io.Writer, pr *prepared, doc *PathsDoc) {
	names := make([]accessorNames, len(pr.apps))
	for i, app := range pr.apps {
		names[i] = accessorNames{framework: "express"}
		label := "app"
		if len(pr.apps) > 1 {
			label = app.Spec.AppLabel()
		}
		framework := pathsApp(app).Framework
		switch {
		case app.Evaluator != nil:
			names[i] = accessorNamesOf(app.Evaluator)
			if app.Spec.TrustProxySet {
				fmt.Fprintf(w, "%s: %s, trust proxy %s", label, app.Evaluator.Name(), trustText(app.Spec))
			} else {
				// Python apps, and gin without SetTrustedProxies, have their
				// trust elsewhere (middleware, server, options) or by default.
				fmt.Fprintf(w, "%s: %s, trust: %s", label, app.Evaluator.Name(), app.Evaluator.Trust())
			}
		case app.TrustError != "":
			fmt.Fprintf(w, "%s: %s rejects its trust setting %s: %s", label, framework, trustText(app.Spec), app.TrustError)
		default:
			fmt.Fprintf(w, "%s: %s, trust setting unknown (set app.trust_proxy in trustcheck.yaml or pass --trust-proxy to see results)", label, framework)
		}
		if l := app.Spec.Listen; l != "" {
			fmt.Fprintf(w, ", listening on %s", l)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s\n", plural(len(doc.Paths), "path"))
	for i, p := range doc.Paths {
		names := names[pr.pathApp[i]]
		fmt.Fprintf(w, "\npath %d: %s\n", i+1, p.Entry)
		fmt.Fprintf(w, "  entry: %s, url %s", p.Kind, p.URL)
		if len(p.Listen) > 0 {
			fmt.Fprintf(w, ", nginx listens on %s", strings.Join(p.Listen, ", "))
		}
		if len(pr.apps) > 1 {
			fmt.Fprintf(w, ", reaches %s", pr.apps[pr.pathApp[i]].Spec.AppLabel())
		}
		fmt.Fprintln(w)
		for j, h := range p.Hops {
			next := "the app"
			if j < len(p.Hops)-1 {
				next = p.Hops[j+1].Name
			}
			writeHopText(w, j+1, h, next)
		}
		writeReplayText(w, names, p.Honest, nil)
		for _, r := range p.Hostile {
			writeReplayText(w, names, r, &p.Honest)
		}
	}
}

func trustText(s trustmodel.AppSpec) string {
	v := jsonText(s.TrustProxy)
	if s.TrustProxyPos.File != "" {
		return fmt.Sprintf("%s (%s:%d)", v, s.TrustProxyPos.File, s.TrustProxyPos.Line)
	}
	return v + " (--trust-proxy)"
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func fileLine(file string, line int) string {
	if file == "" {
		return ""
	}
	if line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d", file, line)
}

func writeHopText(w io.Writer, n int, h HopJSON, next string) {
	fmt.Fprintf(w, "\n  hop %d: %s", n, h.Name)
	if at := fileLine(h.File, h.Line); at != "" {
		fmt.Fprintf(w, " (%s)", at)
	}
	fmt.Fprintln(w)
	var facts []string
	over := "http"
	if h.TLSToNext {
		over = "https"
	}
	switch {
	case h.Gateway != "":
		peer, https := "no REMOTE_ADDR", "no HTTPS"
		if h.RemoteAddr != "" {
			peer = "REMOTE_ADDR " + h.RemoteAddr
		}
		if h.HTTPS != "" {
			https = "HTTPS " + h.HTTPS
		}
		facts = append(facts, fmt.Sprintf("hands %s a %s environment: %s, %s, headers as HTTP_* params", next, h.Gateway, peer, https))
	case h.Addr == "":
		facts = append(facts, fmt.Sprintf("connects to %s over a UNIX socket (%s)", next, over))
	default:
		facts = append(facts, fmt.Sprintf("connects to %s from %s over %s", next, h.Addr, over))
	}
	if h.ClientAddr != "" {
		facts = append(facts, "client address from "+h.ClientAddr)
	}
	fmt.Fprintf(w, "    %s\n", strings.Join(facts, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, hd := range h.Headers {
		from := strings.Join(hd.From, " + ")
		if hd.Action == "append" {
			from = from + " appended"
		}
		at := fileLine(hd.File, hd.Line)
		if hd.File == h.File && hd.Line > 0 {
			at = fmt.Sprintf("line %d", hd.Line)
		}
		if at == "" && hd.Action != "pass" {
			at = "(default)"
		}
		cc := ""
		if hd.ClientControlled {
			cc = "CLIENT-CONTROLLED"
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s\n", hd.Name, hd.Action, hd.Value, from, at, cc)
		for _, s := range hd.Shadowed {
			at := fileLine(s.File, s.Line)
			if s.File == h.File {
				at = fmt.Sprintf("line %d", s.Line)
			}
			fmt.Fprintf(tw, "    \t\t\t\t\t(set to %s at %s level, %s: not inherited here)\n", s.Value, s.Level, at)
		}
	}
	tw.Flush()
}

func requestText(r RequestJSON) string {
	peer := r.Peer
	if peer == "" {
		peer = "(UNIX socket)"
	}
	return fmt.Sprintf("from %s over %s", peer, scheme(r.TLS))
}

func writeReplayText(w io.Writer, names accessorNames, r ReplayJSON, honest *ReplayJSON) {
	if honest == nil {
		fmt.Fprintf(w, "\n  honest client\n")
		writeLines(w, "sends", requestText(r.Request), r.Request.Headers)
		if r.AtNginx != nil {
			writeLines(w, "nginx gets", requestText(*r.AtNginx), r.AtNginx.Headers)
		}
		writeLines(w, "app gets", requestText(r.AtApp), r.AtApp.Headers)
		if r.Result == nil {
			fmt.Fprintf(w, "    %-10s unknown\n", "result")
			return
		}
		fmt.Fprintf(w, "    %-10s %s\n", "result", strings.Join(resultFields(names, *r.Result, nil, ""), "  "))
		return
	}
	fmt.Fprintf(w, "\n  hostile %s: %s\n", r.Inject, r.Value)
	if r.AtNginx != nil {
		if d := headerDiff(honest.AtNginx.Headers, r.AtNginx.Headers); len(d) > 0 {
			writeLines(w, "nginx gets", "", d)
		} else {
			fmt.Fprintf(w, "    %-10s the same as from the honest client\n", "nginx gets")
		}
	}
	if d := headerDiff(honest.AtApp.Headers, r.AtApp.Headers); len(d) > 0 {
		writeLines(w, "app gets", "", d)
	} else {
		fmt.Fprintf(w, "    %-10s the same as from the honest client\n", "app gets")
	}
	switch {
	case r.Result == nil:
		fmt.Fprintf(w, "    %-10s unknown\n", "result")
	default:
		if f := resultFields(names, *r.Result, honest.Result, r.Value); len(f) > 0 {
			fmt.Fprintf(w, "    %-10s %s\n", "result", strings.Join(f, "  "))
		} else {
			fmt.Fprintf(w, "    %-10s the same as for the honest client\n", "result")
		}
	}
}

// writeLines writes a labelled block: an optional first line, then headers.
func writeLines(w io.Writer, label, first string, headers [][2]string) {
	var lines []string
	if first != "" {
		lines = append(lines, first)
	}
	for _, h := range headers {
		lines = append(lines, h[0]+": "+h[1])
	}
	if len(lines) == 0 {
		lines = append(lines, "(no headers)")
	}
	for i, l := range lines {
		if i == 0 {
			fmt.Fprintf(w, "    %-10s %s\n", label, l)
		} else {
			fmt.Fprintf(w, "    %-10s %s\n", "", l)
		}
	}
}

// headerDiff lists b's lines for every header name whose lines differ from
// a's, in b's order; a name b lacks shows as "Name: (absent)".
func headerDiff(a, b [][2]string) [][2]string {
	lines := func(h [][2]string, name string) []string {
		var out []string
		for _, l := range h {
			if strings.EqualFold(l[0], name) {
				out = append(out, l[1])
			}
		}
		return out
	}
	var names []string
	for _, h := range [][][2]string{b, a} {
		for _, l := range h {
			if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, l[0]) }) {
				names = append(names, l[0])
			}
		}
	}
	var out [][2]string
	for _, n := range names {
		la, lb := lines(a, n), lines(b, n)
		if slices.Equal(la, lb) {
			continue
		}
		if len(lb) == 0 {
			out = append(out, [2]string{n, "(absent)"})
		}
		for _, v := range lb {
			out = append(out, [2]string{n, v})
		}
	}
	return out
}

// resultFields renders a result's fields; with honest set, only those that
// differ from it, marked "(injected)" when they carry the injected value.
func resultFields(names accessorNames, r SimOutput, honest *SimOutput, injected string) []string {
	fields := outputFields(names, r)
	var base map[string]string
	if honest != nil {
		base = map[string]string{}
		for _, f := range outputFields(names, *honest) {
			base[f[0]] = f[1]
		}
	}
	var out []string
	for _, f := range fields {
		if base != nil && base[f[0]] == f[1] {
			continue
		}
		s := names.label(f[0]) + " = " + f[1]
		if base != nil && injected != "" && carriesInjected(f[0], f[1], injected) {
			s += " (injected)"
		}
		out = append(out, s)
	}
	return out
}

// outputFields are the fields an app of the framework can read, by field
// name, with their values as its language writes them.
func outputFields(names accessorNames, r SimOutput) [][2]string {
	str := func(field string, s *string) string {
		if exc := r.Raised[field]; exc != "" {
			return "raises " + exc
		}
		if s == nil {
			return names.null()
		}
		return *s
	}
	ips := names.null()
	if r.IPs != nil {
		parts := make([]string, len(r.IPs))
		for i, ip := range r.IPs {
			parts[i] = str("", ip)
		}
		ips = "[" + strings.Join(parts, ", ") + "]"
	}
	secure := names.null()
	if exc := r.Raised["secure"]; exc != "" {
		secure = "raises " + exc
	} else if r.Secure != nil {
		secure = fmt.Sprint(*r.Secure)
	}
	var out [][2]string
	for _, f := range [][2]string{
		{"ip", str("ip", r.IP)}, {"ips", ips}, {"protocol", str("protocol", r.Protocol)},
		{"secure", secure}, {"host", str("host", r.Host)}, {"hostname", str("hostname", r.Hostname)},
	} {
		if names.has(f[0]) {
			out = append(out, f)
		}
	}
	return out
}

// carriesInjected reports whether a result field shows what a hostile
// client injected: its address or host, or the scheme it claimed.
func carriesInjected(field, value, injected string) bool {
	switch field {
	case "secure":
		return false
	case "protocol":
		return strings.Contains(injected, value)
	}
	return strings.Contains(value, rules.SpoofedAddr) || strings.Contains(value, rules.SpoofedHost)
}

// trimLines removes trailing blanks from every line (tabwriter pads).
func trimLines(b []byte) []byte {
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimRight(l, " ")
	}
	return bytes.Join(lines, []byte("\n"))
}
