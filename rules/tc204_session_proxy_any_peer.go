package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

var tc204 = &Rule{
	ID:       "TC204",
	Name:     "session-proxy-any-peer",
	Severity: Warning,
	Property: PropProtocol,
	// The session's own proxy option decides here, not the trust setting:
	// the rule needs only app.session (and Express).
	NeedsApp: false,
	Doc: Doc{
		Title: "express-session proxy: true believes X-Forwarded-Proto from any peer while a client can send it",
		Rationale: "With `proxy: true`, express-session decides whether a request is https from the leftmost " +
			"X-Forwarded-Proto value alone, without asking who sent it: unlike Express's `trust proxy`, it never " +
			"checks the peer address. That is only safe when every request reaches the app through a proxy that " +
			"overwrites the header. When the app is reachable directly, or nginx passes the client's " +
			"X-Forwarded-Proto through, a client on plain HTTP that sends `X-Forwarded-Proto: https` gets its " +
			"`cookie.secure` session cookie over an unencrypted connection (and `secure: 'auto'` marks it Secure " +
			"or not as the client chooses). The rule replays such a client and reports when the session " +
			"cookie decision follows the injected header. It is silent when `cookie.secure` is false, since the " +
			"option then changes nothing.",
		Bad: "# app: app.use(session({ proxy: true, cookie: { secure: true } }))\n" +
			"#      app.listen(3000)   // every interface: clients can skip nginx\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    }\n" +
			"}",
		Good: "# app: app.set('trust proxy', 'loopback')\n" +
			"#      app.use(session({ cookie: { secure: true } }))   // follows trust proxy\n" +
			"#      app.listen(3000, '127.0.0.1')\n" +
			"server {\n" +
			"    listen 443 ssl;\n" +
			"    location / {\n" +
			"        proxy_pass http://127.0.0.1:3000;\n" +
			"        proxy_set_header X-Forwarded-Proto $scheme;\n" +
			"    }\n" +
			"}",
		Fix: "Remove `proxy: true` from the express-session options and set Express's `trust proxy` to the " +
			"proxy's address instead, which checks the peer; or make sure no client reaches the app without nginx " +
			"(bind it to 127.0.0.1) and that nginx overwrites X-Forwarded-Proto with `$scheme`.",
		References: []string{
			"https://github.com/expressjs/session#proxy",
			"https://github.com/expressjs/session#cookiesecure",
			"https://expressjs.com/en/guide/behind-proxies.html",
		},
	},
	Check:  checkTC204,
	Finish: finishTC204,
}

// tc204Evidence is a plain request that claims https and changes what
// express-session does with the cookie.
type tc204Evidence struct {
	path   *Path
	url    string
	honest Replay
	r      Replay
}

// tc204Seen is the first evidence of each kind, a client reaching the app
// directly and one passing nginx, and where every piece of evidence points.
type tc204Seen struct {
	direct, viaNginx *tc204Evidence
	related          []trustmodel.Pos
	// untrusted: the app does not trust nginx on some path, so without
	// proxy: true no https request is secure until it does.
	untrusted bool
	// headerEdits make the headers the app then believes nginx's own
	// (trustedHeaderEdits; headersOK: every path's could be edited).
	headerEdits editSet
	headersOK   bool
}

// checkTC204 gathers the evidence; one finding reports all of it
// (finishTC204).
func checkTC204(p *Pass) {
	ev := sessionProxyEvaluator(p)
	if ev == nil {
		return
	}
	seen := stateOf[tc204Seen](p)
	for _, path := range p.Paths {
		if hop := path.NginxHop(); hop != nil && p.App.Evaluator != nil {
			if ok, _ := p.App.Evaluator.Trust().Trusts(hop.Addr, 0); !ok {
				if !seen.untrusted {
					seen.untrusted, seen.headersOK = true, true
				}
				edits, ok := trustedHeaderEdits(p, path)
				seen.headersOK = seen.headersOK && ok
				seen.headerEdits.add(edits...)
			}
		}
		var cands []tc204Evidence
		if h, r, u, ok := plainReplays(path, ev, "X-Forwarded-Proto", "https"); ok {
			cands = append(cands, tc204Evidence{path, u, h, r})
		}
		if r, ok := path.HostileFor("X-Forwarded-Proto"); ok {
			h := path.Honest()
			h.Result, r.Result = ev.Evaluate(h.AtApp), ev.Evaluate(r.AtApp)
			cands = append(cands, tc204Evidence{path, path.URL, h, r})
		}
		for _, c := range cands {
			// Only a plain request claiming https exposes the cookie; an https
			// client claiming http harms nobody but itself.
			if c.r.Client.TLS || c.r.Result.SessionCookie == c.honest.Result.SessionCookie {
				continue
			}
			if path.Kind == EntryApp {
				seen.related = append(seen.related, p.App.Spec.ListenPos)
				if seen.direct == nil {
					seen.direct = &c
				}
			} else {
				seen.related = append(seen.related, nginxSite(path, "X-Forwarded-Proto").Pos)
				if seen.viaNginx == nil {
					seen.viaNginx = &c
				}
			}
			break
		}
	}
}

func finishTC204(p *Pass) {
	seen := stateOf[tc204Seen](p)
	direct, viaNginx, related := seen.direct, seen.viaNginx, seen.related
	shown := direct
	if shown == nil {
		shown = viaNginx
	}
	if shown == nil {
		return
	}
	var how, fix []string
	var edits []Edit
	noEdits := false // a step that is no edit
	if direct != nil {
		reach := "the app is reachable directly"
		if p.App.Spec.Listen != "" {
			reach += fmt.Sprintf(" (listen %s)", p.App.Spec.Listen)
		}
		how = append(how, reach)
	}
	if viaNginx != nil {
		how = append(how, "nginx passes the client's X-Forwarded-Proto on")
		site := nginxSite(viaNginx.path, "X-Forwarded-Proto")
		// $scheme where nginx accepts the client's TLS; behind a TLS edge
		// the way around it must close, which is no edit.
		hf := protoSpoofFix(p, viaNginx.path, site)
		fix = append(fix, "in nginx, "+hf.Message+fmt.Sprintf(" (%s:%d)", site.Pos.File, site.Pos.Line))
		edits = append(edits, hf.Edits...)
		noEdits = len(hf.Edits) == 0
	}
	fix = append(fix, "remove `proxy: true` from the express-session options, so it follows Express's trust proxy setting, which checks the peer")
	edits = append(edits, RemoveYAML(p.App.Spec.SessionPos, "proxy"))
	if seen.untrusted && p.suggestedTrust() != nil {
		tf := p.trustFix()
		fix = append(fix, "and trust nginx: "+tf.Message)
		if len(seen.headerEdits.list) > 0 || !seen.headersOK {
			fix = append(fix, "with the X-Forwarded-Proto and X-Forwarded-Host nginx sends its own (TC202, TC301)")
		}
		noEdits = noEdits || len(tf.Edits) == 0 || !seen.headersOK
		edits = append(edits, tf.Edits...)
		all := editSet{}
		all.add(edits...)
		all.add(seen.headerEdits.list...)
		edits = all.list
	}
	if direct != nil {
		bind := "127.0.0.1:PORT"
		if l, err := trustmodel.ParseListen(p.App.Spec.Listen); err == nil && l.Port != 0 {
			bind = fmt.Sprintf("127.0.0.1:%d", l.Port)
		}
		fix = append(fix, fmt.Sprintf("bind the app to loopback (listen: %s) so that only nginx reaches it", bind))
		if s := &p.App.Spec; s.ListenPos.File != "" && bind != "127.0.0.1:PORT" {
			edits = append(edits, SetYAML(s.ListenPos, s.Pos, "listen", bind))
		} else {
			noEdits = true
		}
	}
	if noEdits {
		edits = nil
	}
	p.Report(Finding{
		Pos:       p.App.Spec.SessionPos,
		Directive: "proxy: true",
		Message: fmt.Sprintf("express-session `proxy: true` believes X-Forwarded-Proto from any peer, and %s: the client decides whether its session cookie is treated as sent over https",
			strings.Join(how, " and ")),
		Path: shown.path.Entry,
		Attack: fmt.Sprintf("a client sending %q to %s gets %s over plain HTTP (without the header: %s)",
			shown.r.Inject+": "+shown.r.Value, shown.url, cookiePhrase(shown.r.Result.SessionCookie), cookiePhrase(shown.honest.Result.SessionCookie)),
		Fix:     Fix(strings.Join(fix, "; "), edits...),
		Related: related,
	})
}

// sessionProxyEvaluator returns an Express evaluator carrying the app's
// express-session options when they say proxy: true and the cookie's Secure
// flag depends on it; nil otherwise. The session decision then ignores the
// trust setting, so none is needed.
func sessionProxyEvaluator(p *Pass) trustmodel.Evaluator {
	spec := p.App.Spec
	s := spec.Session
	if s == nil || s.Proxy == nil || !*s.Proxy {
		return nil
	}
	if fw := strings.ToLower(spec.Framework); fw != "" && fw != "express" {
		return nil // express-session is Express middleware
	}
	if b, ok := s.CookieSecure.(bool); (!ok || !b) && s.CookieSecure != "auto" {
		return nil
	}
	ev, err := frameworks.New(trustmodel.App{Framework: "express", Version: spec.FrameworkVersion, Session: s})
	if err != nil {
		return nil
	}
	return ev
}

// cookiePhrase says what express-session's decision gives the client.
func cookiePhrase(decision string) string {
	switch decision {
	case "secure":
		return "a Secure session cookie"
	case "insecure":
		return "a session cookie without Secure"
	}
	return "no session cookie"
}
