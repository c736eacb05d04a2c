package rules

// Exported views of the trust helpers for `trustcheck suggest` (lint/suggest.go).

// SuggestedTrust is the narrowest trust value for the pass's paths through
// nginx (see suggestedTrust); nil when no path passes through nginx.
func (p *Pass) SuggestedTrust() any {
	p.foldPaths()
	return p.suggestedTrust()
}

// TrustFits reports whether trust value v makes every path through nginx
// right: the honest client is the app's client address wherever its address
// reaches the app, and no injected X-Forwarded-For becomes it.
func (p *Pass) TrustFits(v any) bool {
	p.foldPaths()
	return p.trustFits(v)
}

// foldPaths folds the paths the pass was made with into its trust views,
// as checking them as one part with no rules does.
func (p *Pass) foldPaths() {
	if !p.shared.complete {
		p.judgeTrustValues()
		p.check(nil, p.Nginx.Servers, p.Nginx.Proxies(), p.Paths, true)
		p.shared.complete = true
	}
}

// HasTrustSetting reports whether the app's framework takes a trust_proxy
// value at all (Flask, Django, FastAPI, echo and chi keep their trust in
// middleware, options or the app server), so suggest can write one.
func (p *Pass) HasTrustSetting() bool { return p.evaluatorWith([]any{}) != nil }

// JSValue renders a trust value as JavaScript writes it: 'loopback',
// ['loopback', '10.0.0.0/8'], true, 2.
func JSValue(v any) string { return jsLiteral(v) }
