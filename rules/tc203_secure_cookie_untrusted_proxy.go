package rules

import (
	"fmt"

	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

var tc203 = &Rule{
	ID:       "TC203",
	Name:     "secure-cookie-untrusted-proxy",
	Severity: Error,
	NeedsApp: true,
	Doc: Doc{
		Title: "express-session cookie.secure is true but the app does not trust the proxy: the session cookie is never set",
		Rationale: "express-session sends a `cookie.secure` session cookie only when it believes the request is " +
			"https: the socket is TLS, or (without its own `proxy` option) Express's `req.secure` is true, which " +
			"behind a TLS-terminating proxy requires `trust proxy` to cover the proxy's address and the proxy to " +
			"send X-Forwarded-Proto. Without that, the Set-Cookie header is silently dropped on every response " +
			"(the session may still be saved), so every request starts a new session: logins do not stick and " +
			"CSRF tokens never match. `proxy: false` in the session options has the same effect whatever the " +
			"trust setting. The rule replays an honest https request and reports when the cookie is withheld " +
			"because of the trust setting or `proxy: false`.",
		Bad: "# app: app.use(session({ cookie: { secure: true } }))   // no app.set('trust proxy', ...)\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    }\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"#      app.use(session({ cookie: { secure: true } }))\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    }\n" +
			"}",
		Fix: "Trust the proxy the app sits behind (`app.set('trust proxy', 'loopback')` when nginx connects over " +
			"loopback) and make sure it sends `X-Forwarded-Proto $scheme`; remove `proxy: false` from the " +
			"session options.",
		References: []string{
			"https://github.com/expressjs/session#cookiesecure",
			"https://github.com/expressjs/session#proxy",
			"https://expressjs.com/en/guide/behind-proxies.html",
		},
	},
	Check:  checkTC203,
	Finish: finishTC203,
}

// tc203Finding is a TC203 finding in report order; untrusted ones wait
// for their fix, which is the narrowest trust value for every path
// (finishTC203).
type tc203Finding struct {
	finding   Finding
	untrusted bool
	atApp     trustmodel.Request
	headerFix SuggestedFix // adds X-Forwarded-Proto at the proxy, when trusting alone would not do
}

func checkTC203(p *Pass) {
	s := p.App.Spec.Session
	if s == nil {
		return
	}
	if b, ok := s.CookieSecure.(bool); !ok || !b {
		return // false sends no Secure cookie; "auto" sends an insecure one rather than none
	}
	if s.Proxy != nil && *s.Proxy {
		return // express-session reads X-Forwarded-Proto itself, whatever the trust setting (TC201, TC204)
	}
	found := stateOf[[]tc203Finding](p)
	for _, path := range p.Paths {
		hop := path.NginxHop()
		if hop == nil || !honestHTTPS(p, path) {
			continue
		}
		r := path.Honest()
		if r.AtApp.TLS || r.Result.SessionCookie != "withheld" {
			continue
		}
		if s.Proxy != nil && !*s.Proxy {
			*found = append(*found, tc203Finding{finding: Finding{
				Pos:       p.App.Spec.SessionPos,
				Directive: "proxy: false",
				Message:   "express-session `proxy: false` ignores X-Forwarded-Proto, so behind TLS-terminating nginx the cookie.secure session cookie is never set",
				Path:      path.Entry,
				Attack:    fmt.Sprintf("a client sending a request to %s gets no session cookie: every request starts a new session", path.URL),
				Fix: Fix("remove `proxy: false` from the express-session options, so it follows Express's trust proxy setting",
					RemoveYAML(p.App.Spec.SessionPos, "proxy")),
				Related: []trustmodel.Pos{path.Proxy.Pos},
			}})
		}
		if ok, _ := p.App.Evaluator.Trust().Trusts(hop.Addr, 0); ok {
			continue // nginx is trusted: the header is the problem (TC201)
		}
		peer := hop.Addr
		if peer == "" {
			peer = "a UNIX socket"
		}
		*found = append(*found, tc203Finding{Finding{
			Pos:       p.TrustPosOr(path.Proxy.Pos),
			Directive: fmt.Sprintf("trust_proxy: %s", p.TrustValue()),
			Message: fmt.Sprintf("the session cookie is cookie.secure, but the app does not trust nginx (%s), so %s is false behind TLS-terminating nginx and express-session never sets the cookie",
				peer, p.Prop("secure")),
			Path:    path.Entry,
			Attack:  fmt.Sprintf("a client sending a request to %s gets no session cookie: every request starts a new session", path.URL),
			Related: []trustmodel.Pos{path.Proxy.Pos, p.App.Spec.SessionPos},
		}, true, r.AtApp, addHeaderFix(path.Proxy, "proxy_set_header X-Forwarded-Proto $scheme;")})
	}
}

func finishTC203(p *Pass) {
	for _, f := range *stateOf[[]tc203Finding](p) {
		if f.untrusted {
			// The value TC104 suggests too: every proxy on the way, narrowly.
			trust := p.suggestedTrust()
			f.finding.Fix = Fix(p.SetTrust(jsLiteral(trust)), p.trustEdits(trust)...)
			if !cookieSentWith(p, trust, f.atApp) {
				f.finding.Fix.Message += "; " + f.headerFix.Message
				f.finding.Fix.Edits = append(f.finding.Fix.Edits, f.headerFix.Edits...)
			}
		}
		p.Report(f.finding)
	}
}

// cookieSentWith reports whether the app, trusting trust instead (and
// without `proxy: false`, reported on its own), would set the session cookie
// for req.
func cookieSentWith(p *Pass, trust any, req trustmodel.Request) bool {
	spec := p.App.Spec
	session := *spec.Session
	if session.Proxy != nil && !*session.Proxy {
		session.Proxy = nil
	}
	ev, err := frameworks.New(trustmodel.App{
		Framework: spec.Framework, Version: spec.FrameworkVersion,
		TrustProxy: trust, TrustProxySet: true,
		Options: spec.Options, Session: &session,
	})
	return err == nil && ev.Evaluate(req).SessionCookie == "secure"
}
