package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc404 = &Rule{
	ID:       "TC404",
	Name:     "tls-legacy",
	Severity: Warning,
	NeedsApp: false,
	Doc: Doc{
		Title: "ssl_protocols allows SSLv2, SSLv3, TLSv1 or TLSv1.1, or the removed `ssl on;` is used",
		Rationale: "SSLv2 and SSLv3 are broken (DROWN, POODLE) and TLS 1.0 and 1.1 are deprecated by RFC 8996: a client or " +
			"a man in the middle that negotiates them gets weaker protection for the cookies and credentials the app " +
			"relies on TLS for. nginx's default since 1.23.4 is `TLSv1.2 TLSv1.3`; listing older versions brings them back. " +
			"The `ssl` directive was deprecated in 1.15.0 and removed in 1.25.1: nginx 1.25.1 and later refuse to start " +
			"with it, and before that `ssl on` made every listen of the server TLS-only.",
		Bad: "server {\n" +
			"    listen 443;\n" +
			"    ssl on;\n" +
			"    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n" +
			"}",
		Good: "server {\n" +
			"    listen 443 ssl;\n" +
			"    ssl_protocols TLSv1.2 TLSv1.3;\n" +
			"}",
		Fix: "Use `ssl_protocols TLSv1.2 TLSv1.3;` (or drop the directive for nginx's default), and replace `ssl on;` " +
			"with the `ssl` parameter of `listen`.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_protocols",
			"https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl",
			"https://www.rfc-editor.org/rfc/rfc8996",
		},
	},
	Finish: finishTC404,
}

// legacyProtocols are the ssl_protocols keywords of broken or deprecated
// versions, oldest first, with the openssl s_client flag that offers only it.
var legacyProtocols = []struct{ name, flag string }{
	{"SSLv2", "ssl2"}, {"SSLv3", "ssl3"}, {"TLSv1", "tls1"}, {"TLSv1.1", "tls1_1"},
}

func finishTC404(p *Pass) {
	servers := tlsServers(p.Nginx)
	seen := map[trustmodel.Pos]bool{}
	for block := range p.keptBlocks() {
		for _, d := range block {
			if seen[d.Pos] {
				continue
			}
			switch d.Name {
			case "ssl_protocols":
				seen[d.Pos] = true
				tls, applies := servers[d.Pos]
				tc404Protocols(p, d, tls, applies)
			case "ssl":
				seen[d.Pos] = true
				tc404SSL(p, d)
			}
		}
	}
}

// tlsServers maps each ssl_protocols directive some server has in effect
// to those of its servers that listen with TLS (possibly none).
func tlsServers(ng *nginxconf.Config) map[trustmodel.Pos][]*nginxconf.Server {
	out := map[trustmodel.Pos][]*nginxconf.Server{}
	for _, s := range ng.Servers {
		if s.SSLProtocols == nil {
			continue
		}
		tls := out[s.SSLProtocols.Pos]
		if s.SSL() {
			tls = append(tls, s)
		}
		out[s.SSLProtocols.Pos] = tls
	}
	return out
}

// tlsAddress is where a client reaches the first of servers over TLS.
func tlsAddress(servers []*nginxconf.Server) string {
	host, port := "app.example", 443
	if len(servers) > 0 {
		s := servers[0]
		for _, n := range s.Names {
			if n != "" && n != "_" && !strings.ContainsAny(n, "*~") {
				host = n
				break
			}
		}
		for _, l := range s.Listens {
			if l.SSL && !l.Unix {
				port = l.Port
				break
			}
		}
	}
	return fmt.Sprintf("%s:%d", host, port)
}

// tc404Protocols reports d unless it applies to servers and none of them
// listens with TLS (a snippet with no server at all is judged on its own).
func tc404Protocols(p *Pass, d *nginxconf.Directive, servers []*nginxconf.Server, applies bool) {
	var legacy, flags []string
	for _, l := range legacyProtocols {
		if slices.ContainsFunc(d.Args, func(a string) bool { return strings.EqualFold(a, l.name) }) {
			legacy = append(legacy, l.name)
			flags = append(flags, l.flag)
		}
	}
	if len(legacy) == 0 || applies && len(servers) == 0 {
		return
	}
	var modern []string
	for _, a := range d.Args {
		if !slices.ContainsFunc(legacy, func(l string) bool { return strings.EqualFold(l, a) }) {
			modern = append(modern, a)
		}
	}
	if len(modern) == 0 {
		modern = []string{"TLSv1.2", "TLSv1.3"}
	}
	var related []trustmodel.Pos
	for _, s := range servers {
		related = append(related, s.Pos)
	}
	p.Report(Finding{
		Pos:       d.Pos,
		Directive: d.String(),
		Message:   fmt.Sprintf("ssl_protocols allows %s: clients and downgrading middlemen can negotiate protocols that are broken or deprecated (RFC 8996)", joinAnd(legacy)),
		Attack:    fmt.Sprintf("a client offering only %s (`openssl s_client -%s -connect %s`) completes the handshake", legacy[0], flags[0], tlsAddress(servers)),
		Fix: Fix(fmt.Sprintf("`ssl_protocols %s;`", strings.Join(modern, " ")),
			ReplaceText(d.Pos, d.String(), "ssl_protocols "+strings.Join(modern, " ")+";")),
		Related: related,
	})
}

func tc404SSL(p *Pass, d *nginxconf.Directive) {
	msg := "the \"ssl\" directive was deprecated in nginx 1.15.0 and removed in 1.25.1: nginx 1.25.1 and later refuse to start with it"
	fix := Fix("remove `ssl on;` and add `ssl` to the TLS listen: `listen 443 ssl;`") // which listen is the user's call
	if !strings.EqualFold(d.Arg(0), "on") {
		fix = Fix("remove the `ssl` directive", ReplaceText(d.Pos, d.String(), ""))
	}
	p.Report(Finding{Pos: d.Pos, Directive: d.String(), Message: msg, Fix: fix})
}
