package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc201 = &Rule{
	ID:       "TC201",
	Name:     "proto-not-set",
	Severity: Error,
	Property: PropProtocol,
	NeedsApp: true,
	Doc: Doc{
		Title: "TLS ends before the app, but X-Forwarded-Proto does not tell it: req.secure is false for https requests",
		Rationale: "When nginx (or a load balancer in front of it) terminates TLS, the app receives plain HTTP and " +
			"only knows the request was https from X-Forwarded-Proto. nginx sends none by default, and `$scheme` " +
			"behind a load balancer that already terminated TLS is `http`. The app then computes `req.protocol = " +
			"'http'` and `req.secure = false` for every https request: express-session withholds Secure cookies " +
			"(users are logged out on every request), `res.redirect` and absolute links point to http, and " +
			"'require https' middleware redirects in a loop. The rule replays an honest https request and reports " +
			"the place where the header is lost, when setting it would give the app `https`.",
		Bad: "# app: app.set('trust proxy', 'loopback')\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"    }\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    }\n" +
			"}",
		Fix: "Where nginx terminates TLS, set `proxy_set_header X-Forwarded-Proto $scheme;` in every proxying " +
			"location (or once at server level, with no `proxy_set_header` in the locations). Where a load balancer " +
			"terminates TLS in front of nginx, have it set X-Forwarded-Proto and pass its value on with " +
			"`proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;`, and let clients reach nginx only " +
			"through the load balancer.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
			"https://github.com/expressjs/session#cookiesecure",
		},
	},
	Check: checkTC201,
}

func checkTC201(p *Pass) {
	for _, path := range p.Paths {
		hop := path.NginxHop()
		if hop == nil || !honestHTTPS(p, path) {
			continue
		}
		r := path.Honest()
		if r.AtApp.TLS || strOr(r.Result.Protocol, "") == "https" {
			continue
		}
		// The header is the problem only if the app would believe a correct
		// one; otherwise the trust setting is (TC104). express-session with
		// proxy: true reads the header whatever the trust setting.
		fixed := p.App.Evaluator.Evaluate(withHeader(r.AtApp, "X-Forwarded-Proto", "https"))
		var effect, attack string
		switch {
		case strOr(fixed.Protocol, "") == "https":
			effect = fmt.Sprintf("%s is %s for https requests, so %s is false: %s",
				p.Prop("protocol"), strOr(r.Result.Protocol, "undefined"), p.Prop("secure"), p.insecureEffect())
			attack = p.Attack(path, r, "protocol", r.Result.Protocol)
		case r.Result.SessionCookie == "withheld" && fixed.SessionCookie == "secure":
			effect = "express-session (proxy: true) takes https only from that header, so it never sets its cookie.secure session cookie"
			attack = fmt.Sprintf("every client requesting %s gets no session cookie: every request starts a new session", path.URL)
		default:
			continue
		}
		// The client speaks TLS and the app receives plain HTTP: some hop ends it.
		end := tlsEnd(path)
		where := hopLabel(path, end)
		site := nginxSite(path, "X-Forwarded-Proto")
		got, present := appValue(r, "X-Forwarded-Proto")
		var what string
		switch {
		case site.Rule != nil && site.Rule.Remove:
			what = "nginx removes X-Forwarded-Proto"
		case site.Rule != nil && present:
			what = fmt.Sprintf("nginx sets X-Forwarded-Proto to %s, which is %q here", site.Rule.Value.String(), got)
		case site.Rule != nil:
			what = fmt.Sprintf("nginx sets X-Forwarded-Proto to %s, which is empty here, so no header is sent", site.Rule.Value.String())
		case hop.DropClientHeaders:
			what = "nginx sends no X-Forwarded-Proto (proxy_pass_request_headers off, and no proxy_set_header for it)"
		default:
			what = "nginx does not set X-Forwarded-Proto"
		}
		related := append([]trustmodel.Pos{path.Proxy.Pos, p.TrustPos()}, edgesKeeping(path, "X-Forwarded-Proto")...)
		if site.Rule == nil {
			note, pos := shadowNote(path, "X-Forwarded-Proto")
			what += note
			related = append(related, pos...)
		}

		fix := setHeaderFix(path, site, "X-Forwarded-Proto", "$scheme")
		if end < len(path.Hops)-1 {
			fix = tlsEdgeFix(p, path, end, site)
		}
		p.Report(Finding{
			Pos:       site.Pos,
			Directive: site.Directive,
			Message:   fmt.Sprintf("TLS ends at %s, but %s: %s", where, what, effect),
			Path:      path.Entry,
			Attack:    attack,
			Honest:    true,
			Fix:       fix,
			Related:   related,
			CausedBy:  droppedBy(path.Proxy, "X-Forwarded-Proto"),
		})
	}
}

// tlsEdgeFix is the fix when TLS ends at edge hop end, before nginx: the
// edge must set X-Forwarded-Proto and nginx must pass its value on.
// Its edits are nginx's part, given only when that part is all it takes.
func tlsEdgeFix(p *Pass, path *Path, end int, site headerSite) SuggestedFix {
	where := hopLabel(path, end)
	var steps []string
	var edits []Edit
	elsewhere := false // a step that is no edit of the files
	if r, ok := path.Hops[end].Rule("X-Forwarded-Proto"); !ok || r.Remove {
		steps = append(steps, "configure "+where+" to set X-Forwarded-Proto")
		elsewhere = true
	}
	if site.Rule != nil || path.NginxHop().DropClientHeaders {
		fix := setHeaderFix(path, site, "X-Forwarded-Proto", "$http_x_forwarded_proto")
		step := fix.Message + " to pass on the value " + where + " sets"
		edits = fix.Edits
		if nginxReachable(p) {
			step += ", and let clients reach nginx only through " + where + " (they could set it themselves otherwise)"
			elsewhere = true
		}
		steps = append(steps, step)
	}
	if len(steps) == 0 {
		return Fix("make every hop after " + where + " pass its X-Forwarded-Proto on")
	}
	if elsewhere {
		edits = nil
	}
	return Fix(strings.Join(steps, "; "), edits...)
}

// insecureEffect says what an https request taken for http breaks, as the
// app's session cookie is configured.
func (p *Pass) insecureEffect() string {
	if s := p.App.Spec.Session; s != nil {
		switch s.CookieSecure {
		case true:
			return "express-session withholds its Secure session cookie, so no session survives a request"
		case "auto":
			return "express-session sends its session cookie without the Secure flag"
		}
	}
	return "cookies the app marks Secure only on secure requests lose the flag, and redirects to https loop"
}
