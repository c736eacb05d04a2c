package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc401 = &Rule{
	ID:       "TC401",
	Name:     "header-inheritance-drop",
	Severity: Error,
	NeedsApp: false,
	Doc: Doc{
		Title: "A block's proxy_set_header drops the forwarding headers set at an outer level",
		Rationale: "nginx inherits `proxy_set_header` directives from the enclosing level only when a level defines none " +
			"of its own. A location that adds a single header (typically `Upgrade` and `Connection` for WebSockets) " +
			"silently loses every X-Forwarded-For, X-Forwarded-Proto, X-Real-IP and Host set at server or http level: " +
			"the client's own X-Forwarded-For then reaches the app untouched, the app sees http for https requests, " +
			"and Host becomes the upstream's name.",
		Bad: "server {\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"    proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    location /ws {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header Upgrade $http_upgrade;\n" +
			"        proxy_set_header Connection \"upgrade\";\n" +
			"    }\n" +
			"}",
		Good: "server {\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"    proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    location /ws {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"        proxy_set_header Upgrade $http_upgrade;\n" +
			"        proxy_set_header Connection \"upgrade\";\n" +
			"    }\n" +
			"}",
		Fix: "Repeat the forwarding headers in the block that defines its own `proxy_set_header`, or keep them in a " +
			"snippet and `include` it in every such block. `fastcgi_param`, `uwsgi_param` and `scgi_param` inherit the " +
			"same way: a location that sets any param (often only SCRIPT_FILENAME) loses the server's " +
			"`include fastcgi_params`, and with it REMOTE_ADDR and HTTPS, which tell the app the client's address and " +
			"scheme; include the params file in that location too.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
		},
	},
	Check: checkTC401,
}

// isForwardingHeader reports headers that carry what the client asked or
// who it is: Host, Forwarded, X-Forwarded-*, and the client-address headers.
func isForwardingHeader(name string) bool {
	return strings.EqualFold(name, "Host") || strings.EqualFold(name, "X-Scheme") ||
		strings.HasPrefix(strings.ToLower(name), "x-forwarded-") || isAddressHeader(name)
}

func checkTC401(p *Pass) {
	entries := nginxEntries(p)
	for _, px := range p.Proxies {
		if px.Hop.Gateway != nil {
			checkTC401Params(p, px, entries)
			continue
		}
		if px.Module != "proxy" || len(px.Headers) == 0 {
			continue
		}
		// The nearest level's setting of each name is the one the block
		// would have inherited.
		var dropped []nginxconf.HeaderSetting
		for _, hs := range px.Shadowed {
			if isForwardingHeader(hs.Name) && !slices.ContainsFunc(dropped, func(d nginxconf.HeaderSetting) bool { return strings.EqualFold(d.Name, hs.Name) }) {
				dropped = append(dropped, hs)
			}
		}
		if len(dropped) == 0 {
			continue
		}
		root := px.Headers[0]
		var lines []string
		var edits []Edit
		var related []trustmodel.Pos
		for _, d := range dropped {
			lines = append(lines, fmt.Sprintf("proxy_set_header %s %s;", d.Name, quoteArg(d.Value)))
			edits = append(edits, InsertAfter(root.Pos, lines[len(lines)-1]))
			related = append(related, d.Pos)
		}
		p.Report(Finding{
			Pos:       root.Pos,
			Directive: fmt.Sprintf("proxy_set_header %s %s;", root.Name, quoteArg(root.Value)),
			Message: fmt.Sprintf("this %s's proxy_set_header replaces every proxy_set_header of the outer levels: %s no longer sent",
				root.Level, droppedText(dropped)),
			Attack:  tc401Attack(p, px, dropped, entries),
			Fix:     Fix(fmt.Sprintf("repeat the dropped headers in this %s (or include one snippet at both levels): `%s`", root.Level, strings.Join(lines, " ")), edits...),
			Related: positions(append(related, px.Pos)...),
		})
	}
}

// isClientParam reports the FastCGI/uwsgi/SCGI params that say who the
// client is and how it connected: REMOTE_ADDR, HTTPS, and the HTTP_*
// params of forwarding headers.
func isClientParam(name string) bool {
	if name == "REMOTE_ADDR" || name == "HTTPS" {
		return true
	}
	h, ok := strings.CutPrefix(name, "HTTP_")
	return ok && isForwardingHeader(trustmodel.CGIHeaderName(h))
}

// checkTC401Params is TC401 for fastcgi_param, uwsgi_param and scgi_param,
// which inherit exactly as proxy_set_header does: a location that sets any
// param (often just SCRIPT_FILENAME) loses the server's `include
// fastcgi_params`, and with it REMOTE_ADDR and HTTPS.
func checkTC401Params(p *Pass, px *nginxconf.Proxy, entries []nginxEntry) {
	if len(px.Params) == 0 {
		return
	}
	var dropped []nginxconf.HeaderSetting
	for _, hs := range px.Shadowed {
		if isClientParam(hs.Name) && !slices.ContainsFunc(px.Params, func(d nginxconf.HeaderSetting) bool { return d.Name == hs.Name }) &&
			!slices.ContainsFunc(dropped, func(d nginxconf.HeaderSetting) bool { return d.Name == hs.Name }) {
			dropped = append(dropped, hs)
		}
	}
	if len(dropped) == 0 {
		return
	}
	directive := px.Module + "_param"
	root := px.Params[0]
	var lines []string
	var edits []Edit
	var related []trustmodel.Pos
	for _, d := range dropped {
		line := fmt.Sprintf("%s %s %s", directive, d.Name, quoteArg(d.Value))
		if d.IfNotEmpty {
			line += " if_not_empty"
		}
		lines = append(lines, line+";")
		edits = append(edits, InsertAfter(root.Pos, line+";"))
		related = append(related, d.Pos)
	}
	attack := ""
	if len(entries) > 0 {
		e := entries[0]
		out := px.Hop.Forward(e.Arrive(clientRequest(HonestClient, "", "")))
		what := []string{}
		if slices.ContainsFunc(dropped, func(d nginxconf.HeaderSetting) bool { return d.Name == "REMOTE_ADDR" }) {
			what = append(what, "no REMOTE_ADDR (the client's address)")
			if out.Peer != "" {
				what = what[:0]
			}
		}
		if slices.ContainsFunc(dropped, func(d nginxconf.HeaderSetting) bool { return d.Name == "HTTPS" }) && px.Server.SSL() && !out.TLS {
			what = append(what, "no HTTPS (it was https)")
		}
		if len(what) > 0 {
			attack = fmt.Sprintf("a request for %s%s reaches the app with %s", proxyURL(p, px), e.Through(), joinAnd(what))
		}
	}
	p.Report(Finding{
		Pos:       root.Pos,
		Directive: fmt.Sprintf("%s %s %s;", directive, root.Name, quoteArg(root.Value)),
		Message: fmt.Sprintf("this %s's %s replaces every %s of the outer levels: %s no longer sent",
			root.Level, directive, directive, droppedText(dropped)),
		Attack:  attack,
		Fix:     Fix(fmt.Sprintf("repeat the dropped params in this %s (or include the params file there too): `%s`", root.Level, strings.Join(lines, " ")), edits...),
		Related: positions(append(related, px.Pos)...),
	})
}

// droppedBy is the proxy_set_header that starts px's own list when that
// list drops an outer level's setting of header name: the place TC401
// reports, and the cause of what the missing header then breaks.
func droppedBy(px *nginxconf.Proxy, name string) trustmodel.Pos {
	if len(px.Headers) == 0 || !isForwardingHeader(name) {
		return trustmodel.Pos{}
	}
	for _, h := range px.Headers {
		if strings.EqualFold(h.Name, name) {
			return trustmodel.Pos{}
		}
	}
	for _, hs := range px.Shadowed {
		if strings.EqualFold(hs.Name, name) {
			return px.Headers[0].Pos
		}
	}
	return trustmodel.Pos{}
}

// droppedText names the dropped headers and where they were set:
// "X-Forwarded-For and Host, set at server level, are".
func droppedText(dropped []nginxconf.HeaderSetting) string {
	var levels []string
	for _, d := range dropped {
		if !slices.Contains(levels, d.Level) {
			levels = append(levels, d.Level)
		}
	}
	var names []string
	for _, d := range dropped {
		if len(levels) > 1 {
			names = append(names, fmt.Sprintf("%s (%s level)", d.Name, d.Level))
		} else {
			names = append(names, d.Name)
		}
	}
	verb := "are"
	if len(dropped) == 1 {
		verb = "is"
	}
	if len(levels) > 1 {
		return joinAnd(names) + " " + verb
	}
	return fmt.Sprintf("%s, set at %s level, %s", joinAnd(names), levels[0], verb)
}

// quoteArg writes a proxy_set_header value as it would be written in the
// configuration.
func quoteArg(v string) string {
	if v == "" || strings.ContainsAny(v, " \t;{}\"'") {
		return fmt.Sprintf("%q", v)
	}
	return v
}

// tc401Attack replays a request through the block and shows what becomes of
// the most telling dropped header at the app: a client-chosen value that now
// passes through, or the header gone.
func tc401Attack(p *Pass, px *nginxconf.Proxy, dropped []nginxconf.HeaderSetting, entries []nginxEntry) string {
	if len(entries) == 0 {
		return ""
	}
	e := entries[0]
	order := []string{"X-Forwarded-For", "X-Real-IP", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"}
	dropped = slices.Clone(dropped)
	slices.SortStableFunc(dropped, func(a, b nginxconf.HeaderSetting) int {
		return rank(order, a.Name) - rank(order, b.Name)
	})
	d := dropped[0]
	url := proxyURL(p, px)
	if strings.EqualFold(d.Name, "Host") {
		out := px.Hop.Forward(e.Arrive(clientRequest(HonestClient, "", "")))
		return fmt.Sprintf("a request for %s%s reaches the app with %q instead of the name the client asked for",
			url, e.Through(), "Host: "+strings.Join(out.Headers.Lines("Host"), ", "))
	}
	value := SpoofedAddr
	switch strings.ToLower(d.Name) {
	case "x-forwarded-proto":
		value = "http"
		if strings.HasPrefix(url, "http:") {
			value = "https"
		}
	case "x-forwarded-host":
		value = SpoofedHost
	case "forwarded":
		value = "for=" + SpoofedAddr
	}
	out := px.Hop.Forward(e.Arrive(clientRequest(HonestClient, d.Name, value)))
	got := out.Headers.Lines(d.Name)
	if len(got) == 0 {
		return fmt.Sprintf("a request for %s%s reaches the app without %s", url, e.Through(), d.Name)
	}
	return fmt.Sprintf("a client sending %q to %s%s reaches the app with %q",
		d.Name+": "+value, url, e.Through(), d.Name+": "+strings.Join(got, ", "))
}

// rank is name's place in order (case-insensitive); names not listed come last.
func rank(order []string, name string) int {
	if i := slices.IndexFunc(order, func(o string) bool { return strings.EqualFold(o, name) }); i >= 0 {
		return i
	}
	return len(order)
}
