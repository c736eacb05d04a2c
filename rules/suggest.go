package rules

// Exported views of the trust helpers for `trustcheck suggest` (lint/suggest.go).

// SuggestedTrust is the narrowest trust value for the pass's paths through
// nginx (see suggestedTrust); nil when no path passes through nginx.
func (p *Pass) SuggestedTrust() any { return p.suggestedTrust() }

// TrustFits reports whether trust value v makes every path through nginx
// right: the honest client is the app's client address wherever its address
// reaches the app, and no injected X-Forwarded-For becomes it.
func (p *Pass) TrustFits(v any) bool { return p.trustFits(v) }

// JSValue renders a trust value as JavaScript writes it: 'loopback',
// ['loopback', '10.0.0.0/8'], true, 2.
func JSValue(v any) string { return jsLiteral(v) }
