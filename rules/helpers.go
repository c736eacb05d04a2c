package rules

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// NginxHop returns the nginx hop of a path (nil for a path straight to the app).
func (p *Path) NginxHop() *trustmodel.Hop {
	if p.Proxy == nil || len(p.Hops) == 0 {
		return nil
	}
	return &p.Hops[len(p.Hops)-1]
}

// ownClientIP reports whether the app takes the client address from
// somewhere other than its framework's accessor (client_ip_from).
func (p *Pass) ownClientIP() bool {
	return p.App.Evaluator != nil && trustmodel.ClientIPFrom(p.App.Evaluator) != "framework"
}

// ownSyntax reports whether the app's framework is one outside Node (and
// not proxy-addr itself), whose trust lives in its own options, middleware
// and servers and is written through its evaluator's Advise.
func (p *Pass) ownSyntax() bool {
	return p.App.Evaluator != nil && p.ownSyntaxFramework()
}

// ownSyntaxFramework is ownSyntax for the framework named, whether or not
// it accepted the app's settings.
func (p *Pass) ownSyntaxFramework() bool {
	switch fw := strings.ToLower(p.App.Spec.Framework); {
	case trustmodel.NodeFramework(fw), fw == "proxy-addr", fw == "request-ip":
		return false
	}
	return true
}

// codeThen continues a fix after code: on the same line after "; ", or on
// the next when the code spans lines (ASP.NET Core's options, Spring's
// properties).
func codeThen(code, then string) string {
	if strings.Contains(code, "\n") {
		return code + "\n" + then
	}
	return code + "; " + then
}

// Prop names a result property the way the app's code spells it: req.ip,
// request.ip (Fastify), ctx.ip (Koa); the client address as the app reads
// it when that is not the framework's accessor.
func (p *Pass) Prop(name string) string {
	from := "framework"
	if p.App.Evaluator != nil {
		from = trustmodel.ClientIPFrom(p.App.Evaluator)
	}
	return trustmodel.FieldName(p.App.Spec.Framework, from, name)
}

// Attack describes a replay as the request a client sends and the value the
// app ends up with: `a client sending "X-Forwarded-For: 6.6.6.6" to
// https://app.example/ gets req.ip = 6.6.6.6`.
//
// For the honest replay it says what every client gets, which is no attack:
// `every client requesting https://app.example/ gets req.ip = 10.0.0.1`
// (the finding is then Honest).
func (p *Pass) Attack(path *Path, r Replay, prop string, got *string) string {
	val := trustmodel.NullWord(p.App.Spec.Framework)
	if got != nil {
		val = *got
	}
	if r.Inject == "" {
		return fmt.Sprintf("every client%s requesting %s gets %s = %s", admittedFrom(path), path.URL, p.Prop(prop), val)
	}
	who := "a client" + admittedFrom(path)
	if path.Kind == EntryApp && path.From != "" {
		who = "a client on the app's network at " + path.From
	}
	sent := fmt.Sprintf("%q", r.Inject+": "+r.Value)
	return fmt.Sprintf("%s sending %s to %s gets %s = %s", who, sent, path.URL, p.Prop(prop), val)
}

// admittedFrom names where a path's clients must be when allow/deny at its
// location refuses the public: " at 10.0.0.5 (nginx admits only 10.0.0.0/8
// here)"; "" otherwise.
func admittedFrom(path *Path) string {
	if path.Kind != EntryNginx || path.From == "" || path.Proxy == nil || path.Proxy.Location == nil {
		return ""
	}
	var allowed []string
	for _, r := range path.Proxy.Location.Access() {
		if r.Allow && r.Addr != "all" {
			allowed = append(allowed, r.Addr)
		}
	}
	return fmt.Sprintf(" at %s (nginx admits only %s here)", path.From, andList(allowed))
}

// TrustValue renders the app's trust setting as the code passes it.
func (p *Pass) TrustValue() string {
	return jsLiteral(p.App.Spec.TrustProxy)
}

// TrustIsTrue reports whether the app trusts every address: `true`, or any
// truthy value for Koa, whose app.proxy knows no addresses.
func (p *Pass) TrustIsTrue() bool {
	return p.App.Evaluator != nil && trustmodel.BelievesEveryPeer(p.App.Evaluator)
}

// TrustPos is where the trust setting is written (zero in quick mode).
func (p *Pass) TrustPos() trustmodel.Pos { return p.App.Spec.TrustProxyPos }

// TrustPosOr is where to report a problem of the trust setting: its line in
// trustcheck.yaml, or fallback (an nginx position) when it came from
// --trust-proxy, so every finding has a file and line.
func (p *Pass) TrustPosOr(fallback trustmodel.Pos) trustmodel.Pos {
	if p.App.Spec.TrustProxyPos.File != "" {
		return p.App.Spec.TrustProxyPos
	}
	return fallback
}

// SetTrust renders the code that sets trust to value, a JavaScript
// literal, in the app's Node framework.
func (p *Pass) SetTrust(value string) string {
	switch strings.ToLower(p.App.Spec.Framework) {
	case "fastify":
		return fmt.Sprintf("fastify({ trustProxy: %s })", value)
	case "koa":
		return fmt.Sprintf("app.proxy = %s", value)
	}
	return fmt.Sprintf("app.set('trust proxy', %s)", value)
}

// NginxTrustValue is the narrowest trust value that covers the address nginx
// connects from: 'loopback' for loopback, else the address itself.
func NginxTrustValue(addr string) string { return jsLiteral(nginxTrust(addr)) }

// nginxTrust is NginxTrustValue as the value itself: "loopback" or the address.
func nginxTrust(addr string) string {
	if a, err := netip.ParseAddr(addr); err == nil && a.Unmap().IsLoopback() {
		return "loopback"
	}
	return addr
}

func jsLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "undefined"
	case string:
		// A JS single-quoted literal: Go's escapes (\n, \t, \x00, \u2028) are JS's too.
		q := strconv.Quote(x)
		inner := strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
		return "'" + strings.ReplaceAll(inner, "'", `\'`) + "'"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = jsLiteral(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if len(x) == 0 {
			return "{}"
		}
		keys := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + jsLiteral(x[k])
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return fmt.Sprint(v)
}

// DirectiveText renders a header rule as the proxy_set_header that made it.
func DirectiveText(r trustmodel.HeaderRule) string {
	if r.Remove {
		return fmt.Sprintf(`proxy_set_header %s "";`, r.Name)
	}
	return fmt.Sprintf("proxy_set_header %s %s;", r.Name, r.Value.String())
}

// HasSource reports whether the rule's value depends on a source of kind k.
func HasSource(r trustmodel.HeaderRule, k trustmodel.SourceKind) bool {
	if r.Remove || r.Value == nil {
		return false
	}
	for _, s := range r.Value.Sources() {
		if s.Kind == k {
			return true
		}
	}
	return false
}
