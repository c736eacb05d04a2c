package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc115 = &Rule{
	ID:       "TC115",
	Name:     "address-header-passthrough",
	Severity: Error,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "The framework takes the client address from a header besides X-Forwarded-For, and nginx passes the client's own (chi's middleware.RealIP)",
		Rationale: "Some frameworks read more than X-Forwarded-For, and read the others first: chi's `middleware.RealIP` " +
			"takes True-Client-IP, then X-Real-IP, and only then X-Forwarded-For, from every peer; gin's " +
			"`RemoteIPHeaders` and `TrustedPlatform`, echo's `ExtractIPFromRealIPHeader` read X-Real-IP or a CDN's " +
			"header. nginx forwards every request header it does not set itself, so when it sets X-Forwarded-For " +
			"correctly but leaves those alone, a client sending `True-Client-IP: 6.6.6.6` or `X-Real-IP: 6.6.6.6` " +
			"still chooses the address the app sees — and the fix other rules give for X-Forwarded-For " +
			"(`proxy_set_header X-Forwarded-For $remote_addr;`) does not close it. The rule replays a client sending " +
			"each such header (True-Client-IP, X-Real-IP, Client-IP, X-Client-IP, CF-Connecting-IP, Fastly-Client-IP, " +
			"X-Cluster-Client-IP) on the paths where X-Forwarded-For itself is safe.",
		Bad: "// r.Use(middleware.RealIP)\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"}",
		Good: "// r.Use(middleware.RealIP)\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"    proxy_set_header X-Real-IP $remote_addr;\n" +
			"    proxy_set_header True-Client-IP \"\";\n" +
			"}",
		Fix: "Make nginx set or clear every address header the framework reads: `proxy_set_header X-Real-IP $remote_addr;` " +
			"and `proxy_set_header True-Client-IP \"\";` (likewise any other the framework reads), or use a middleware " +
			"that reads only X-Forwarded-For from trusted proxies (chi's `middleware.ClientIPFromXFF`, gin's " +
			"`RemoteIPHeaders = []string{\"X-Forwarded-For\"}`).",
		References: []string{
			"https://github.com/go-chi/chi/blob/master/middleware/realip.go",
			"https://pkg.go.dev/github.com/gin-gonic/gin#Engine",
			"https://echo.labstack.com/docs/ip-address",
		},
	},
	Check: checkTC115,
}

// frameworkAddressHeaders are the client-address headers frameworks read besides
// X-Forwarded-For (and Forwarded, TC303's).
var frameworkAddressHeaders = []string{"True-Client-IP", "X-Real-IP", "Client-IP", "X-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "X-Cluster-Client-IP"}

func checkTC115(p *Pass) {
	if !p.ownSyntax() || p.ownClientIP() {
		return // Node's accessors read X-Forwarded-For only; an app's own reading is TC114's
	}
	for _, path := range p.nginxPaths() {
		if r, ok := path.HostileFor("X-Forwarded-For"); ok && undefOr(r.Result.IP) == SpoofedAddr {
			continue // X-Forwarded-For itself is the hole: TC101, TC102, TC105
		}
		if undefOr(path.Honest().Result.IP) == SpoofedAddr {
			continue
		}
		spoofable, first := p.spoofableAddressHeaders(path)
		if len(spoofable) == 0 {
			continue
		}
		site := nginxSite(path, spoofable[0])
		headers := andList(spoofable)
		p.Report(Finding{
			Pos:       site.Pos,
			Directive: site.Directive,
			Message: fmt.Sprintf("%s takes the client address from %s before X-Forwarded-For, and nginx passes the client's own: %s is whatever the client writes there",
				p.trustDirective(), headers, p.Prop("ip")),
			Path:    path.Entry,
			Attack:  p.Attack(path, first, "ip", first.Result.IP),
			Fix:     Fix("make nginx set or clear them: "+addressHeaderSets(spoofable)+" next to this proxy_pass", addressHeaderEdits(path, spoofable)...),
			Related: []trustmodel.Pos{path.Proxy.Pos},
		})
	}
}

// spoofableAddressHeaders lists the address headers besides X-Forwarded-For
// through which a client on path sets the app's client address, and the
// replay of the first.
func (p *Pass) spoofableAddressHeaders(path *Path) (spoofable []string, first Replay) {
	for _, h := range frameworkAddressHeaders {
		if !p.headerMatters(path, h, SpoofedAddr) {
			continue
		}
		r := p.replayAdding(path, h, SpoofedAddr)
		if undefOr(r.Result.IP) != SpoofedAddr {
			continue
		}
		if len(spoofable) == 0 {
			first = r
		}
		spoofable = append(spoofable, h)
	}
	return spoofable, first
}

// addressHeaderSets are the directives that close them: X-Real-IP set to
// the address nginx saw, the others cleared.
func addressHeaderSets(headers []string) string {
	var sets []string
	for _, h := range headers {
		sets = append(sets, "`"+addressHeaderSet(h)+"`")
	}
	return andList(sets)
}

// addressHeaderSet is the directive that makes nginx set or clear header.
func addressHeaderSet(header string) string {
	if strings.EqualFold(header, "X-Real-IP") {
		return "proxy_set_header X-Real-IP $remote_addr;"
	}
	return fmt.Sprintf("proxy_set_header %s \"\";", header)
}

// addressHeaderEdits insert the directives of addressHeaderSets beside the
// path's proxy_pass.
func addressHeaderEdits(path *Path, headers []string) []Edit {
	var edits []Edit
	for _, h := range headers {
		edits = append(edits, proxyInsert(path.Proxy, addressHeaderSet(h)))
	}
	return edits
}

// headerMatters reports whether the framework's address or host accessors
// react at all to a client sending header: a request from the path's peer
// with only that header (and an X-Forwarded-For) is evaluated once per
// header, value and peer, so that paths whose replay could not show
// anything are not replayed (a fleet has thousands).
func (p *Pass) headerMatters(path *Path, header, value string) bool {
	peer := path.Honest().AtApp.Peer
	key := header + "\x00" + value + "\x00" + peer
	if v, ok := p.shared.headerProbes.Load(key); ok {
		return v.(bool)
	}
	base := trustmodel.Request{Peer: peer, Headers: trustmodel.Header{{Name: "Host", Value: path.Host}, {Name: "X-Forwarded-For", Value: "203.0.113.7"}}}
	with := base
	with.Headers = append(trustmodel.Header{{Name: header, Value: value}}, base.Headers...)
	a, b := p.App.Evaluator.Evaluate(base), p.App.Evaluator.Evaluate(with)
	matters := undefOr(a.IP) != undefOr(b.IP) || undefOr(a.Hostname) != undefOr(b.Hostname) ||
		a.Raised["ip"] != b.Raised["ip"] || a.Raised["host"] != b.Raised["host"]
	p.shared.headerProbes.Store(key, matters)
	return matters
}
