package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc303 = &Rule{
	ID:       "TC303",
	Name:     "forwarded-passthrough",
	Severity: Warning,
	NeedsApp: true,
	Doc: Doc{
		Title: "The client's RFC 7239 Forwarded header reaches something on the path that reads it",
		Rationale: "nginx passes a client's `Forwarded` header on unless a `proxy_set_header Forwarded` replaces it. " +
			"Express, Fastify and Koa (with its default proxyIpHeader) ignore Forwarded, so for them passing it " +
			"on changes nothing and this rule stays silent: reporting every configuration that does not clear the " +
			"header would be noise. It matters when something acts on it: the app's framework (Koa with " +
			"`proxyIpHeader: 'Forwarded'`, or frameworks such as Spring's ForwardedHeaderFilter and Rack that parse " +
			"RFC 7239 without checking who sent it) or nginx itself, when a `map` or `proxy_set_header` derives " +
			"X-Forwarded-For/-Proto/-Host from `$http_forwarded` (a translation written for a proxy that sends " +
			"Forwarded, which also translates whatever a client writes). The rule replays a client sending " +
			"`Forwarded: for=6.6.6.6;proto=https;host=evil.example` and reports each place whose removal would " +
			"stop the injected address, scheme or host from reaching the app's result.",
		Bad: "# app: app.set('trust proxy', 'loopback')\n" +
			"map $http_forwarded $fwd_host {\n" +
			"    default        $host;\n" +
			"    ~host=([^;,]+) $1;\n" +
			"}\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Host $fwd_host;\n" +
			"    }\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Host $host;\n" +
			"        proxy_set_header Forwarded \"\";\n" +
			"    }\n" +
			"}",
		Fix: "Derive forwarding headers from what nginx itself saw (`$remote_addr`, `$scheme`, `$host`), not from " +
			"`$http_forwarded`; clear the client's header with `proxy_set_header Forwarded \"\";` when the app " +
			"reads it, or overwrite it with nginx's own view.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc7239",
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
			"https://koajs.com/#settings",
			"https://docs.spring.io/spring-framework/reference/web/webmvc/filters.html#filters-forwarded-headers",
		},
	},
	Check: checkTC303,
}

// safeForwardValue is the value nginx computes itself for a forwarding header.
var safeForwardValue = map[string]string{
	"x-forwarded-for":   "$remote_addr",
	"x-real-ip":         "$remote_addr",
	"x-forwarded-proto": "$scheme",
	"x-forwarded-host":  "$host",
	"host":              "$host",
	"forwarded":         `""`,
}

func checkTC303(p *Pass) {
	for _, path := range p.Paths {
		if path.NginxHop() == nil {
			continue // a client reaching the app directly: TC106
		}
		// A plain request on a server that also listens with TLS shows the
		// injected proto=https; the path's own replay shows the rest.
		if honest, r, u, ok := plainReplays(path, p.App.Evaluator, "Forwarded", forwardedValue(path)); ok {
			checkForwarded(p, path, withURL(path, u), honest, r)
		}
		if r, ok := path.HostileFor("Forwarded"); ok {
			checkForwarded(p, path, path, path.Honest(), r)
		}
	}
}

// forwardedValue is what the path's hostile client sends as Forwarded.
func forwardedValue(path *Path) string {
	for _, inj := range path.Clients.Injections(path) {
		if inj.Header == "Forwarded" {
			return inj.Value
		}
	}
	return ""
}

// checkForwarded reports each place on path whose removal would keep one of
// the injected Forwarded values of replay r out of the app's result.
func checkForwarded(p *Pass, path, attackPath *Path, honest, r Replay) {
	if len(forwardedEvidence(honest.Result, r.Result)) == 0 {
		return
	}
	hop := path.NginxHop()
	related := []trustmodel.Pos{path.Proxy.Pos, p.TrustPos()}
	// nginx passes the header itself and the app reads it.
	if _, set := hop.Rule("Forwarded"); !set && !hop.DropClientHeaders {
		if prop, got, ok := forwardedCause(p, honest, r, r.AtApp.Headers.Without("Forwarded")); ok {
			p.Report(Finding{
				Pos:       path.Proxy.Pos,
				Directive: path.Proxy.Directive.String(),
				Message: fmt.Sprintf("nginx passes the client's Forwarded header on and %s reads it: %s follows what the client writes there",
					p.App.Evaluator.Name(), p.Prop(prop)),
				Path:    path.Entry,
				Attack:  p.Attack(attackPath, r, prop, got),
				Fix:     addHeaderFix(path.Proxy, `proxy_set_header Forwarded "";`),
				Related: append(related, edgesKeeping(path, "Forwarded")...),
			})
		}
	}
	// nginx derives a header from the client's Forwarded.
	for _, rule := range hop.Rules {
		if !readsHeader(rule, "Forwarded") {
			continue
		}
		h := r.AtApp.Headers.Without(rule.Name)
		if v, present := appValue(honest, rule.Name); present {
			h = append(h, trustmodel.HeaderLine{Name: rule.Name, Value: v})
		}
		prop, got, ok := forwardedCause(p, honest, r, h)
		if !ok {
			continue
		}
		fix := Fix("derive it from what nginx saw, not from the client's Forwarded header")
		if v, ok := safeForwardValue[strings.ToLower(rule.Name)]; ok {
			d := fmt.Sprintf("proxy_set_header %s %s;", rule.Name, v)
			fix = Fix(fmt.Sprintf("replace it with `%s`", d), ReplaceText(rule.Pos, DirectiveText(rule), d))
		}
		p.Report(Finding{
			Pos:       rule.Pos,
			Directive: DirectiveText(rule),
			Message: fmt.Sprintf("nginx builds %s from the client's Forwarded header (%s): %s follows what the client writes there",
				rule.Name, rule.Value.String(), p.Prop(prop)),
			Path:    path.Entry,
			Attack:  p.Attack(attackPath, r, prop, got),
			Fix:     fix,
			Related: related,
		})
	}
}

// forwardedEvidence lists the result properties that took a value from the
// injected Forwarded header (for=6.6.6.6;proto=https;host=evil.example).
func forwardedEvidence(honest, hostile trustmodel.Result) []string {
	has := func(v *string, s string) bool { return v != nil && strings.Contains(*v, s) }
	var props []string
	if has(hostile.IP, SpoofedAddr) && !has(honest.IP, SpoofedAddr) {
		props = append(props, "ip")
	}
	if has(hostile.Hostname, SpoofedHost) && !has(honest.Hostname, SpoofedHost) {
		props = append(props, "hostname")
	}
	if strOr(hostile.Protocol, "") == "https" && strOr(honest.Protocol, "") != "https" {
		props = append(props, "protocol")
	}
	return props
}

// forwardedCause reports whether the app, receiving headers h instead of
// those of the hostile replay r, loses an injected Forwarded value, and the
// first such property with the value the hostile request gave it.
func forwardedCause(p *Pass, honest, r Replay, h trustmodel.Header) (string, *string, bool) {
	req := r.AtApp
	req.Headers = h
	after := forwardedEvidence(honest.Result, p.App.Evaluator.Evaluate(req))
	for _, prop := range forwardedEvidence(honest.Result, r.Result) {
		if slices.Contains(after, prop) {
			continue
		}
		switch prop {
		case "ip":
			return prop, r.Result.IP, true
		case "hostname":
			return prop, r.Result.Hostname, true
		}
		return prop, r.Result.Protocol, true
	}
	return "", nil, false
}
