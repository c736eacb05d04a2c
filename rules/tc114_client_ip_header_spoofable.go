package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc114 = &Rule{
	ID:       "TC114",
	Name:     "client-ip-header-spoofable",
	Severity: Error,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "The app reads the client address from a header the client controls, not from its framework's trust setting",
		Rationale: "Many apps do not use `req.ip`: they call the npm package request-ip (X-Client-IP first, then the " +
			"leftmost valid X-Forwarded-For entry, then CF-Connecting-IP, True-Client-IP, X-Real-IP and more, from any " +
			"peer), take the leftmost X-Forwarded-For entry, or read one header such as X-Real-IP verbatim " +
			"(trustcheck.yaml `client_ip_from`). None of these asks who sent the header, so the framework's trust " +
			"setting does not protect them: unless nginx overwrites the very header the app reads first, a client " +
			"chooses its own address. The rule replays a client that sends each header the app reads and reports the " +
			"proxy_pass where the chosen value reaches the app, or where every honest client gets a wrong address.",
		Bad: "# trustcheck.yaml: client_ip_from: request-ip\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"}",
		Good: "# trustcheck.yaml: client_ip_from: request-ip\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" +
			"    proxy_set_header X-Client-IP $remote_addr;   # request-ip reads it first\n" +
			"}",
		Fix: "Make nginx set the header the app reads first to the address it saw: `proxy_set_header X-Client-IP " +
			"$remote_addr;` for request-ip, `proxy_set_header X-Forwarded-For $remote_addr;` for the leftmost entry, " +
			"`proxy_set_header X-Real-IP $remote_addr;` for an app reading X-Real-IP. Behind a CDN or load balancer, " +
			"let realip resolve `$remote_addr` to the client first. Or read the address through the framework with a " +
			"trust setting that covers nginx.",
		References: []string{
			"https://github.com/pbojinov/request-ip#how-it-works",
			"https://nginx.org/en/docs/http/ngx_http_realip_module.html",
		},
	},
	Check: checkTC114,
}

func checkTC114(p *Pass) {
	if !p.ownClientIP() {
		return
	}
	header := p.App.Evaluator.AddressHeader()
	for _, path := range p.nginxPaths() {
		var shown Replay
		found := false
		for _, r := range path.Hostile() {
			if r.Result.IP != nil && *r.Result.IP == SpoofedAddr {
				shown, found = r, true
				break
			}
		}
		honest := !found
		if honest {
			shown = path.Honest()
			if shown.Result.IP != nil && *shown.Result.IP == HonestClient {
				continue
			}
		}
		var msg string
		if honest {
			msg = fmt.Sprintf("the app takes the client address from %s, which is %s for every client on this path",
				p.Prop("ip"), undefOr(shown.Result.IP))
		} else {
			msg = fmt.Sprintf("the app takes the client address from %s, and a client's %s reaches it: the address is whatever the client writes",
				p.Prop("ip"), shown.Inject)
		}
		site := nginxSite(path, header)
		fix := setHeaderFix(path, site, header, "$remote_addr")
		if path.Kind == EntryEdge {
			// realip for the edge is more than the header: suggest plans it.
			fix = Fix(fix.Message + ", with realip resolving $remote_addr to the client the edge reports (set_real_ip_from its addresses)")
		}
		related := []trustmodel.Pos{}
		if pos := p.App.Spec.ClientIPFromPos; pos.File != "" {
			related = append(related, pos)
		}
		p.Report(Finding{
			Pos:       site.Pos,
			Directive: site.Directive,
			Message:   msg,
			Path:      path.Entry,
			Attack:    p.Attack(path, shown, "ip", shown.Result.IP),
			Honest:    honest,
			Fix:       Fix(fix.Message+" ("+tc114Why(header)+")", fix.Edits...),
			Related:   related,
		})
	}
}

// tc114Why says why overwriting header is enough.
func tc114Why(header string) string {
	if strings.EqualFold(header, "X-Client-IP") {
		return "request-ip reads X-Client-IP before every other header"
	}
	return "nginx then replaces whatever the client sent"
}
